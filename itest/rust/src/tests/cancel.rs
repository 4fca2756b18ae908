//! Cancellation: from outside, from inside the task, from a destructor, on drop.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use godot_tasks::JoinHandle;

use super::support::{OnDrop, Probe};
use crate::harness::next_frame;
use crate::{ensure, ensure_eq, tests};

tests![
    cancelled_task_is_dropped_on_the_main_thread_and_never_polled_again,
    task_can_cancel_itself,
    cancel_from_a_destructor_is_safe,
    cancel_on_drop_cancels_when_the_guard_drops,
    cancel_after_completion_keeps_the_value,
];

async fn cancelled_task_is_dropped_on_the_main_thread_and_never_polled_again() -> Result<(), String> {
    let (probe, polls, dropped_on_main) = Probe::new();
    let handle = godot_tasks::spawn(probe);
    next_frame().await;
    ensure_eq!(polls.get(), 1);
    handle.cancel();
    handle.cancel(); // A second call is a no-op.
    next_frame().await;
    ensure_eq!(dropped_on_main.get(), Some(true));
    ensure_eq!(polls.get(), 1);
    ensure!(handle.is_finished());
    let outcome = Rc::new(RefCell::new(None));
    let out = outcome.clone();
    godot_tasks::spawn(async move { *out.borrow_mut() = Some(handle.await) }).detach();
    next_frame().await;
    let outcome = outcome.borrow_mut().take().ok_or("the handle never resolved")?;
    ensure!(outcome.as_ref().is_err_and(|e| e.is_cancelled()), "expected a cancellation, got {outcome:?}");
    Ok(())
}

async fn task_can_cancel_itself() -> Result<(), String> {
    let own: Rc<RefCell<Option<JoinHandle<()>>>> = Rc::default();
    let (probe, polls, dropped_on_main) = Probe::new();
    let slot = own.clone();
    let handle = godot_tasks::spawn(async move {
        let _probe = probe;
        if let Some(me) = slot.borrow().as_ref() {
            me.cancel();
        }
        std::future::pending::<()>().await;
    });
    own.borrow_mut().replace(handle);
    next_frame().await;
    ensure_eq!(dropped_on_main.get(), Some(true));
    ensure_eq!(polls.get(), 0); // The probe itself was never polled, only held.
    ensure!(own.borrow().as_ref().is_some_and(|h| h.is_finished()));
    Ok(())
}

async fn cancel_from_a_destructor_is_safe() -> Result<(), String> {
    let (victim_probe, _polls, victim_dropped) = Probe::new();
    let victim = godot_tasks::spawn(victim_probe);
    let canceller = godot_tasks::spawn(async move {
        let _guard = OnDrop(move || victim.cancel());
        std::future::pending::<()>().await;
    });
    next_frame().await;
    canceller.cancel();
    next_frame().await;
    ensure_eq!(victim_dropped.get(), Some(true));
    Ok(())
}

async fn cancel_on_drop_cancels_when_the_guard_drops() -> Result<(), String> {
    let (probe, _polls, dropped_on_main) = Probe::new();
    let guard = godot_tasks::spawn(probe).cancel_on_drop();
    next_frame().await;
    ensure_eq!(dropped_on_main.get(), None);
    drop(guard);
    next_frame().await;
    ensure_eq!(dropped_on_main.get(), Some(true));
    Ok(())
}

async fn cancel_after_completion_keeps_the_value() -> Result<(), String> {
    let handle = godot_tasks::spawn(async { "value" });
    next_frame().await;
    ensure!(handle.is_finished());
    handle.cancel();
    let outcome = Rc::new(Cell::new(None));
    let out = outcome.clone();
    godot_tasks::spawn(async move { out.set(Some(handle.await.is_ok_and(|v| v == "value"))) }).detach();
    next_frame().await;
    ensure_eq!(outcome.get(), Some(true));
    Ok(())
}
