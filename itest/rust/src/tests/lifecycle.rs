//! Runtime lifecycle: shutdown drops everything on the main thread; the runtime starts again afterwards.

use std::cell::Cell;
use std::rc::Rc;

use super::support::{OnDrop, Probe};
use crate::harness::next_frame;
use crate::{ensure, ensure_eq, tests};

tests![
    shutdown_drops_every_task_and_the_runtime_starts_again,
    spawn_from_a_destructor_works,
    round_budget_survives_a_shutdown,
    a_task_may_shut_the_runtime_down,
    runtime_settings_refuse_other_threads,
];

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

/// `set_round_budget` configures the runtime, not one executor: the next runtime after a shutdown has it too.
async fn round_budget_survives_a_shutdown() -> Result<(), String> {
    const BUDGET: u32 = 3;
    godot_tasks::runtime::set_round_budget(BUDGET);
    godot_tasks::runtime::shutdown();
    let (spinner, polls) = super::support::spinner();
    let start = crate::harness::frame();
    crate::harness::frames(4).await;
    let (polled, elapsed) = (polls.get(), crate::harness::frame() - start);
    spinner.cancel();
    godot_tasks::runtime::set_round_budget(godot_tasks::runtime::DEFAULT_ROUND_BUDGET);
    ensure!(polled <= BUDGET * (elapsed as u32 + 1), "{polled} polls in {elapsed} frames with a budget of {BUDGET}");
    Ok(())
}

/// The runtime lives on the main thread; asking for it elsewhere is a clear panic, not another thread's
/// empty runtime.
async fn runtime_settings_refuse_other_threads() -> Result<(), String> {
    let message =
        |payload: Box<dyn std::any::Any + Send>| payload.downcast_ref::<String>().cloned().unwrap_or_default();
    let budget = std::thread::spawn(|| std::panic::catch_unwind(|| godot_tasks::runtime::set_round_budget(3)))
        .join()
        .map_err(|_| "the thread died")?;
    let count = std::thread::spawn(|| std::panic::catch_unwind(godot_tasks::runtime::task_count))
        .join()
        .map_err(|_| "the thread died")?;
    let budget = message(budget.err().ok_or("set_round_budget worked on another thread")?);
    let count = message(count.err().ok_or("task_count worked on another thread")?);
    ensure!(budget.contains("set_round_budget()") && budget.contains("main thread"), "{budget}");
    ensure!(count.contains("task_count()") && count.contains("main thread"), "{count}");
    Ok(())
}

/// A task may stop the runtime it runs in: the flush polling it (inside an emission of the runtime's relay)
/// ends cleanly, nothing is freed under it, and the next spawn starts a fresh runtime.
async fn a_task_may_shut_the_runtime_down() -> Result<(), String> {
    let log = super::support::ErrorLog::start();
    let (probe, _polls, dropped) = Probe::new();
    let waiting = godot_tasks::spawn(probe);
    let stopper = godot_tasks::spawn(async {
        godot_tasks::runtime::shutdown();
        "stopped"
    });
    crate::harness::frames(2).await;
    ensure!(waiting.is_finished() && dropped.get() == Some(true), "the other task was not dropped");
    ensure!(stopper.is_finished(), "the task that stopped the runtime is still held");
    let again = godot_tasks::spawn(async { 8 });
    crate::harness::frames(2).await;
    ensure_eq!(again.await.map_err(|e| e.to_string())?, 8);
    ensure!(log.errors().is_empty(), "errors: {:?}", log.errors());
    Ok(())
}
