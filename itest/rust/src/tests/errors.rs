//! Every error of the crate answers the same questions the same way: panic or cancellation, the panic's
//! payload, where the work started (a line of this file), and which task met the error.

use std::time::Duration;

use godot::classes::Node;
use godot::prelude::*;
use godot_tasks::TaskBuilder;
use godot_tasks::gdscript::{self, CallErrorKind};
use godot_tasks::signal::{SignalErrorKind, SignalExt, TypedSignalExt};
use godot_tasks::threads::{spawn_compute, spawn_tokio};
use godot_tasks::time::{self, Clock};

use crate::emitter::Emitter;
use crate::harness::{next_frame, run_task};
use crate::{ensure, ensure_eq, tests};

tests![
    join_error_of_a_named_task_keeps_its_payload_name_and_spawn_line,
    offload_error_keeps_the_worker_payload_and_names_the_awaiting_task,
    tokio_error_keeps_tokio_payload_and_names_the_awaiting_task,
    signal_error_of_a_freed_emitter_is_a_cancellation_with_its_line_and_task,
    signal_error_of_a_wrong_tuple_is_not_a_cancellation,
    call_errors_of_a_missing_method_and_a_call_on_a_freed_object_are_not_cancellations,
    elapsed_carries_its_deadline_clock_line_and_task,
    sleep_until_counts_the_clock_the_instant_came_from,
    instants_of_different_clocks_do_not_compare,
];

/// A panic payload that is not a string, to see that the original value comes back.
#[derive(Debug, PartialEq)]
struct Corrupt(u32);

async fn join_error_of_a_named_task_keeps_its_payload_name_and_spawn_line() -> Result<(), String> {
    let line = line!() + 1;
    let task = TaskBuilder::new().name("saver").spawn(async { std::panic::panic_any(Corrupt(7)) });
    let error = task.await.err().ok_or("a panicking task returned")?;
    ensure!(error.is_panic() && !error.is_cancelled());
    ensure_eq!((error.started_at().file(), error.started_at().line()), (file!(), line));
    ensure_eq!(error.task_name(), Some("saver"));
    let payload = error.clone().into_panic();
    ensure_eq!(payload.downcast_ref::<Corrupt>(), Some(&Corrupt(7)));

    let cancelled = TaskBuilder::new().name("waiter").spawn(std::future::pending::<()>());
    cancelled.cancel();
    let error = cancelled.await.err().ok_or("a cancelled task returned")?;
    ensure!(error.is_cancelled() && !error.is_panic());
    ensure_eq!(error.task_name(), Some("waiter"));
    ensure!(error.try_into_panic().is_err());
    Ok(())
}

async fn offload_error_keeps_the_worker_payload_and_names_the_awaiting_task() -> Result<(), String> {
    // Offloaded now, awaited by the named task.
    let line = line!() + 1;
    let job = spawn_compute(|| -> u8 { std::panic::panic_any(Corrupt(3)) });
    let outcome = TaskBuilder::new().name("offloader").spawn(job);
    let error = outcome.await.map_err(|e| e.to_string())?.err().ok_or("a panicking job returned")?;
    ensure!(error.is_panic() && !error.is_cancelled());
    ensure_eq!(error.panic_message(), Some("<non-string panic payload>"));
    ensure_eq!((error.started_at().file(), error.started_at().line()), (file!(), line));
    ensure_eq!(error.task_name(), Some("offloader"));
    ensure!(error.to_string().contains("awaited by task 'offloader'"), "{error}");
    // Raised again on the main thread, the worker's panic is the same value.
    let payload = error.into_panic();
    let raised = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| std::panic::resume_unwind(payload)))
        .err()
        .ok_or("resume_unwind returned")?;
    ensure_eq!(raised.downcast_ref::<Corrupt>(), Some(&Corrupt(3)));
    Ok(())
}

async fn tokio_error_keeps_tokio_payload_and_names_the_awaiting_task() -> Result<(), String> {
    let line = line!() + 1;
    let job = spawn_tokio(async { std::panic::panic_any::<Corrupt>(Corrupt(9)) });
    let outcome = TaskBuilder::new().name("net").spawn(job);
    let error = outcome.await.map_err(|e| e.to_string())?.err().ok_or("a panicking tokio task returned")?;
    ensure!(error.is_panic() && !error.is_cancelled());
    ensure_eq!((error.started_at().file(), error.started_at().line()), (file!(), line));
    ensure_eq!(error.task_name(), Some("net"));
    let clone = error.clone();
    let payload = error.into_panic();
    ensure_eq!(payload.downcast_ref::<Corrupt>(), Some(&Corrupt(9)));
    // The payload went to the first taker; the clone gives the message.
    ensure!(clone.into_panic().downcast_ref::<String>().is_some());
    Ok(())
}

async fn signal_error_of_a_freed_emitter_is_a_cancellation_with_its_line_and_task() -> Result<(), String> {
    let emitter = Emitter::new_gd();
    let line = line!() + 1;
    let emission = emitter.signals().count().try_next_emission();
    let task = TaskBuilder::new().name("listener").spawn(emission);
    next_frame().await;
    drop(emitter);
    let error = task.await.map_err(|e| e.to_string())?.err().ok_or("resolved although the emitter is gone")?;
    ensure_eq!(error.kind(), &SignalErrorKind::EmitterFreed);
    ensure!(error.is_cancelled() && !error.is_panic());
    ensure_eq!((error.started_at().file(), error.started_at().line()), (file!(), line));
    ensure_eq!(error.task_name(), Some("listener"));
    let message = error.to_string();
    ensure!(message.contains(&format!("made at {}", error.started_at())), "{message}");
    ensure!(message.contains("awaited by task 'listener'"), "{message}");
    Ok(())
}

async fn signal_error_of_a_wrong_tuple_is_not_a_cancellation() -> Result<(), String> {
    let emitter = Emitter::new_gd();
    let line = line!() + 1;
    let emissions = Signal::from_object_signal(&emitter, "count").try_emissions::<(GString,)>();
    let task = godot_tasks::spawn(async move {
        let mut emissions = emissions;
        emissions.next().await
    });
    next_frame().await;
    emitter.clone().upcast::<Object>().emit_signal("count", &[5.to_variant()]);
    let error = task.await.map_err(|e| e.to_string())?.ok_or("the stream ended")?.err().ok_or("converted")?;
    ensure!(matches!(error.kind(), SignalErrorKind::TypeMismatch { .. }), "{error}");
    ensure!(!error.is_cancelled() && !error.is_panic());
    ensure_eq!(error.started_at().line(), line);
    ensure_eq!(error.task_name(), None);
    Ok(())
}

async fn call_errors_of_a_missing_method_and_a_call_on_a_freed_object_are_not_cancellations() -> Result<(), String> {
    let node = Node::new_alloc();
    let line = line!() + 1;
    let missing = gdscript::call::<i64>(&node, "no_such_method", &[]);
    let missing = TaskBuilder::new().name("caller").spawn(missing).await.map_err(|e| e.to_string())?;
    let missing = missing.err().ok_or("a missing method returned")?;
    ensure_eq!(missing.kind(), &CallErrorKind::MissingMethod);
    ensure!(!missing.is_cancelled() && !missing.is_panic());
    ensure_eq!((missing.started_at().file(), missing.started_at().line()), (file!(), line));
    ensure_eq!(missing.task_name(), Some("caller"));
    ensure!(std::error::Error::source(&missing).is_none());

    let gone = node.clone();
    node.free();
    let freed = run_task(async move { gdscript::call::<i64>(&gone, "get_child_count", &[]).await }).await?;
    let freed = freed.err().ok_or("a call on a freed object returned")?;
    ensure_eq!(freed.kind(), &CallErrorKind::ObjectFreed);
    // Calling a freed object is a bug, as in GDScript; freed while its coroutine waits is a cancellation
    // (gdscript_bridge.rs).
    ensure!(!freed.is_cancelled());
    Ok(())
}

async fn elapsed_carries_its_deadline_clock_line_and_task() -> Result<(), String> {
    let line = line!() + 1;
    let timeout = Clock::UNSCALED.timeout(Duration::from_millis(1), std::future::pending::<()>());
    let outcome = TaskBuilder::new().name("patience").spawn(timeout);
    let elapsed = outcome.await.map_err(|e| e.to_string())?.err().ok_or("a pending future completed")?;
    ensure_eq!(elapsed.deadline().clock(), Clock::UNSCALED);
    ensure!(elapsed.deadline().seconds() <= Clock::UNSCALED.now().seconds());
    ensure!(!elapsed.is_cancelled() && !elapsed.is_panic());
    ensure_eq!((elapsed.started_at().file(), elapsed.started_at().line()), (file!(), line));
    ensure_eq!(elapsed.task_name(), Some("patience"));
    ensure!(elapsed.to_string().contains("of Clock::UNSCALED"), "{elapsed}");
    Ok(())
}

/// An instant of the wall clock, given to the free `sleep_until`, is counted on the wall clock: it ends while
/// the tree is paused, which the game clock would not.
async fn sleep_until_counts_the_clock_the_instant_came_from() -> Result<(), String> {
    let deadline = Clock::REALTIME.now() + Duration::from_millis(30);
    let sleep = time::sleep_until(deadline);
    ensure_eq!(sleep.deadline(), deadline);
    let mut tree = crate::harness::tree();
    tree.set_pause(true);
    let woke = run_task(async move {
        sleep.await;
        Clock::REALTIME.now()
    })
    .await;
    tree.set_pause(false);
    ensure!(woke? >= deadline);
    Ok(())
}

async fn instants_of_different_clocks_do_not_compare() -> Result<(), String> {
    let game = Clock::GAME.now();
    let realtime = Clock::REALTIME.now();
    ensure_eq!(game.partial_cmp(&realtime), None);
    ensure!(game != realtime);
    ensure_eq!(game.checked_duration_since(realtime), None);
    let later = (game + Duration::from_secs(1)).checked_duration_since(game).ok_or("no duration on one clock")?;
    ensure!(later.abs_diff(Duration::from_secs(1)) < Duration::from_micros(1), "{later:?}");
    ensure_eq!(game.saturating_duration_since(game + Duration::from_secs(1)), Duration::ZERO);
    Ok(())
}
