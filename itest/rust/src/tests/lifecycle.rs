//! Runtime lifecycle: shutdown drops everything on the main thread; the runtime starts again afterwards.

use std::cell::Cell;
use std::rc::Rc;

use super::support::{OnDrop, Probe};
use crate::harness::next_frame;
use crate::{ensure, ensure_eq, tests};

tests![shutdown_drops_every_task_and_the_runtime_starts_again, spawn_from_a_destructor_works];

async fn shutdown_drops_every_task_and_the_runtime_starts_again() -> Result<(), String> {
    let mut probes = Vec::new();
    let mut handles = Vec::new();
    for _ in 0..100 {
        let (probe, _polls, dropped) = Probe::new();
        handles.push(godot_tasks::spawn(probe));
        probes.push(dropped);
    }
    next_frame().await;
    godot_tasks::runtime::shutdown();
    ensure!(probes.iter().all(|d| d.get() == Some(true)), "not every future was dropped on the main thread");
    ensure!(handles.iter().all(|h| h.is_finished()));
    ensure_eq!(godot_tasks::runtime::task_count(), 0);

    let ran = Rc::new(Cell::new(false));
    let flag = ran.clone();
    godot_tasks::spawn(async move { flag.set(true) }).detach();
    next_frame().await;
    ensure!(ran.get(), "no task ran after the runtime restarted");
    Ok(())
}

async fn spawn_from_a_destructor_works() -> Result<(), String> {
    let ran = Rc::new(Cell::new(false));
    let flag = ran.clone();
    let handle = godot_tasks::spawn(async move {
        let _guard = OnDrop(move || {
            let flag = flag.clone();
            godot_tasks::spawn(async move { flag.set(true) }).detach();
        });
        std::future::pending::<()>().await;
    });
    next_frame().await;
    handle.cancel();
    next_frame().await;
    ensure!(ran.get(), "the task spawned by a destructor did not run");
    Ok(())
}
