//! Spawning: deferred first poll, values through join handles, nesting, `bind_mut`, the main-thread rule.

use std::cell::Cell;
use std::rc::Rc;

use godot::prelude::*;

use crate::harness::{frame, next_frame, wait_until};
use crate::{ensure, ensure_eq, tests};

tests![
    task_value_reaches_the_awaiting_task,
    first_poll_is_deferred_but_in_the_same_frame,
    spawn_under_bind_mut_is_safe,
    nested_spawn_runs_in_the_same_frame,
    spawn_off_the_main_thread_panics_naming_the_rule,
    dropping_the_handle_detaches_the_task,
];

async fn task_value_reaches_the_awaiting_task() -> Result<(), String> {
    let answer = godot_tasks::spawn(async { 6 * 7 });
    let doubled = godot_tasks::spawn(async move { answer.await.map(|v| v * 2) });
    wait_until(5, "the awaiting task finished", || doubled.is_finished()).await?;
    let result = Rc::new(Cell::new(None));
    let out = result.clone();
    godot_tasks::spawn(async move { out.set(Some(doubled.await.expect("no panic, no cancel").ok())) }).detach();
    wait_until(5, "the result was read", || result.get().is_some()).await?;
    ensure_eq!(result.get(), Some(Some(84)));
    Ok(())
}

async fn first_poll_is_deferred_but_in_the_same_frame() -> Result<(), String> {
    let polled_in = Rc::new(Cell::new(None));
    let seen = polled_in.clone();
    let spawned_in = frame();
    let handle = godot_tasks::spawn(async move { seen.set(Some(frame())) });
    ensure!(polled_in.get().is_none(), "the task was polled inside spawn()");
    ensure!(!handle.is_finished());
    next_frame().await;
    ensure_eq!(polled_in.get(), Some(spawned_in));
    Ok(())
}

#[derive(GodotClass)]
#[class(init, base = RefCounted)]
pub struct Counter {
    count: i64,
    base: Base<RefCounted>,
}

#[godot_api]
impl Counter {
    /// Spawns a task that mutably binds this object: safe only because the first poll is deferred.
    #[func]
    fn start_incrementing(&mut self) {
        let mut this = self.to_gd();
        self.count += 1;
        godot_tasks::spawn(async move { this.bind_mut().count += 10 }).detach();
        self.count += 100; // Still holding `&mut self` here.
    }
}

async fn spawn_under_bind_mut_is_safe() -> Result<(), String> {
    let counter = Counter::new_gd();
    counter.clone().bind_mut().start_incrementing();
    ensure_eq!(counter.bind().count, 101);
    next_frame().await;
    ensure_eq!(counter.bind().count, 111);
    Ok(())
}

async fn nested_spawn_runs_in_the_same_frame() -> Result<(), String> {
    let inner_frame = Rc::new(Cell::new(None));
    let seen = inner_frame.clone();
    let spawned_in = frame();
    godot_tasks::spawn(async move {
        let inner = godot_tasks::spawn(async move { seen.set(Some(frame())) });
        inner.await.expect("inner task completes");
    })
    .detach();
    next_frame().await;
    ensure_eq!(inner_frame.get(), Some(spawned_in));
    Ok(())
}

async fn spawn_off_the_main_thread_panics_naming_the_rule() -> Result<(), String> {
    let outcome = std::thread::spawn(|| {
        std::panic::catch_unwind(|| {
            godot_tasks::spawn(async {}).detach();
        })
    })
    .join()
    .map_err(|_| "the thread itself died".to_owned())?;
    let payload = outcome.err().ok_or("spawn off the main thread did not panic")?;
    let message = payload.downcast_ref::<String>().cloned().unwrap_or_default();
    ensure!(message.contains("only on Godot's main thread"), "message does not name the rule: {message}");
    ensure!(message.contains("spawn.rs"), "message does not name the call site: {message}");
    ensure!(message.contains("channel"), "message does not name an alternative: {message}");
    Ok(())
}

async fn dropping_the_handle_detaches_the_task() -> Result<(), String> {
    let trigger = super::support::Trigger::default();
    let done = Rc::new(Cell::new(false));
    let (wait, flag) = (trigger.wait(), done.clone());
    drop(godot_tasks::spawn(async move {
        wait.await;
        flag.set(true);
    }));
    next_frame().await;
    trigger.fire();
    next_frame().await;
    ensure!(done.get(), "a detached task did not run to completion");
    Ok(())
}
