//! Panics: caught per task, reported with the spawn location, handed to the join handle.

use std::cell::RefCell;
use std::rc::Rc;

use crate::harness::next_frame;
use crate::{ensure, ensure_eq, tests};

tests![panicking_task_is_isolated_and_its_handle_gets_the_message];

async fn panicking_task_is_isolated_and_its_handle_gets_the_message() -> Result<(), String> {
    let before = godot_tasks::spawn(async { 1 });
    // `cargo xtask test` also checks that Godot's error output names this line and the marker.
    let panicking = godot_tasks::spawn(async {
        if true {
            panic!("itest-panic-marker: deliberate");
        }
        2
    });
    let after = godot_tasks::spawn(async { 3 });
    let outcomes = Rc::new(RefCell::new(Vec::new()));
    let out = outcomes.clone();
    godot_tasks::spawn(async move {
        let first = before.await.map_err(|e| e.to_string());
        let second = panicking.await.map_err(|e| e.to_string());
        let third = after.await.map_err(|e| e.to_string());
        out.borrow_mut().extend([first, second, third]);
    })
    .detach();
    next_frame().await;
    let outcomes = outcomes.borrow();
    ensure_eq!(outcomes.len(), 3);
    ensure_eq!(outcomes[0], Ok(1));
    ensure_eq!(outcomes[2], Ok(3));
    let error = outcomes[1].clone().err().ok_or("the panicking task returned a value")?;
    ensure!(error.contains("panicked: itest-panic-marker: deliberate"), "error: {error}");
    ensure!(error.contains("panics.rs:"), "error does not name the spawn location: {error}");
    Ok(())
}
