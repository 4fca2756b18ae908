//! `runtime::tasks()`: each live task's id, name, spawn location and state, its age and polls, and the right
//! awaited thing for every wait kind; `cancel_task` by id.

use std::sync::mpsc;
use std::time::Duration;

use godot::classes::{Node, Script};
use godot::prelude::*;
use godot_tasks::runtime::{self, Awaiting, TaskInfo, TaskState};
use godot_tasks::signal::TypedSignalExt;
use godot_tasks::time::{self, Clock};
use godot_tasks::{JoinHandle, TaskBuilder, gdscript};

use crate::emitter::Emitter;
use crate::harness::{frames, next_frame, tree, wait_until};
use crate::{ensure, ensure_eq, tests};

tests![
    a_snapshot_shows_name_location_state_age_and_polls,
    a_snapshot_from_inside_a_task_shows_it_running,
    a_signal_wait_names_the_emitter_and_the_signal,
    a_sleep_names_its_deadline_and_clock,
    a_bound_task_shows_what_it_awaits_not_its_binding,
    frame_waits_name_the_frames_left,
    an_offloaded_job_names_its_pool_and_where_it_started,
    a_tokio_future_names_tokio_and_where_it_started,
    a_gdscript_call_names_the_object_and_the_method,
    a_join_handle_names_the_other_task,
    a_timeout_names_both_the_wait_and_its_clock,
    yield_now_names_the_next_flush,
    cancel_task_cancels_a_task_by_id,
    tracking_is_kept_across_shutdown,
];

/// Turns tracking off again when a test ends, so that the other tests run as users' code does by default.
struct TrackingOff;

impl Drop for TrackingOff {
    fn drop(&mut self) {
        runtime::set_task_tracking(false);
        runtime::set_poll_timing(false);
    }
}

fn tracking() -> TrackingOff {
    runtime::set_task_tracking(true);
    TrackingOff
}

fn named(name: &str) -> Result<TaskInfo, String> {
    runtime::tasks()
        .into_iter()
        .find(|task| task.name.as_deref() == Some(name))
        .ok_or_else(|| format!("no task named {name} in the snapshot"))
}

/// Spawns `future` as a task named `name` and lets it run to its first wait.
async fn waiting<T: 'static>(name: &str, future: impl Future<Output = T> + 'static) -> JoinHandle<T> {
    let task = TaskBuilder::new().name(name).spawn(future);
    next_frame().await;
    task
}

/// The one thing `name` awaits.
fn awaits(name: &str) -> Result<Awaiting, String> {
    let task = named(name)?;
    ensure_eq!(task.state, TaskState::Waiting);
    match <[Awaiting; 1]>::try_from(task.awaiting.clone()) {
        Ok([awaiting]) => Ok(awaiting),
        Err(all) => Err(format!("{name} awaits {all:?}, not one thing")),
    }
}

async fn a_snapshot_shows_name_location_state_age_and_polls() -> Result<(), String> {
    let _off = tracking();
    let line = line!() + 1;
    let task = TaskBuilder::new().name("idler").spawn(std::future::pending::<()>());
    let queued = named("idler")?;
    ensure_eq!((queued.state, queued.polls, queued.age_frames), (TaskState::Queued, 0, 0));
    ensure_eq!((queued.spawned_at.file(), queued.spawned_at.line()), (file!(), line));
    frames(3).await;
    let later = named("idler")?;
    ensure_eq!((later.id, later.state, later.polls), (queued.id, TaskState::Waiting, 1));
    ensure!((2..=4).contains(&later.age_frames), "three frames later the age is {}", later.age_frames);
    ensure!(later.awaiting.is_empty(), "`pending` is nothing godot-tasks knows: {:?}", later.awaiting);
    ensure_eq!(later.poll_time, None);
    task.cancel();
    next_frame().await;
    ensure_eq!(named("idler")?.state, TaskState::Finished); // until its handle takes the outcome
    drop(task);
    ensure!(named("idler").is_err(), "a task whose handle is gone leaves the snapshot");
    Ok(())
}

async fn a_snapshot_from_inside_a_task_shows_it_running() -> Result<(), String> {
    let _off = tracking();
    let looker = TaskBuilder::new().name("looker").spawn(async { named("looker").map(|task| task.state) });
    wait_until(5, "the looker ran", || looker.is_finished()).await?;
    ensure_eq!(looker.await.map_err(|e| e.to_string())??, TaskState::Running);
    Ok(())
}

async fn a_signal_wait_names_the_emitter_and_the_signal() -> Result<(), String> {
    let _off = tracking();
    let emitter = Emitter::new_gd();
    let ping = emitter.signals().ping().next_emission();
    let task = waiting("pinged", ping).await;
    match awaits("pinged")? {
        Awaiting::Signal { emitter: described, emitter_id, signal } => {
            ensure_eq!(signal, "ping");
            ensure_eq!(emitter_id, Some(emitter.instance_id()));
            ensure!(described.contains("Emitter"), "the emitter is described as {described}");
        }
        other => return Err(format!("awaits {other:?}")),
    }
    task.cancel();
    Ok(())
}

async fn a_sleep_names_its_deadline_and_clock() -> Result<(), String> {
    let _off = tracking();
    let before = Clock::UNSCALED.now().seconds();
    let task = waiting("sleeper", Clock::UNSCALED.sleep(Duration::from_secs(60))).await;
    match awaits("sleeper")? {
        Awaiting::Sleep { deadline } => {
            ensure_eq!(deadline.clock(), Clock::UNSCALED);
            let ahead = deadline.seconds() - before;
            ensure!((59.0..=61.0).contains(&ahead), "the deadline is {ahead} s ahead");
        }
        other => return Err(format!("awaits {other:?}")),
    }
    task.cancel();
    Ok(())
}

async fn a_bound_task_shows_what_it_awaits_not_its_binding() -> Result<(), String> {
    let _off = tracking();
    let mut node = Node::new_alloc();
    tree().get_root().expect("the itest runs in a tree").add_child(&node);
    let sleep = Clock::UNSCALED.sleep(Duration::from_secs(60));
    let task = TaskBuilder::new().name("guard").bind_to_tree(&node).spawn(sleep);
    next_frame().await;
    match awaits("guard")? {
        Awaiting::Sleep { deadline } => ensure_eq!(deadline.clock(), Clock::UNSCALED),
        other => return Err(format!("awaits {other:?}")),
    }
    node.queue_free();
    ensure!(task.await.is_err_and(|error| error.is_cancelled()), "freeing the node cancels the bound task");
    Ok(())
}

async fn frame_waits_name_the_frames_left() -> Result<(), String> {
    let _off = tracking();
    let counter = waiting("counter", time::frames(1000)).await;
    let ticker = waiting("ticker", Clock::PHYSICS.during_pause().frames(500)).await;
    let stepper = waiting("stepper", time::next_frame()).await;
    match awaits("counter")? {
        Awaiting::Frames { physics: false, during_pause: false, left } => {
            ensure!((990..1000).contains(&left), "{left} frames left");
        }
        other => return Err(format!("counter awaits {other:?}")),
    }
    match awaits("ticker")? {
        Awaiting::Frames { physics: true, during_pause: true, left } => {
            ensure!((480..=500).contains(&left), "{left} ticks left");
        }
        other => return Err(format!("ticker awaits {other:?}")),
    }
    // `next_frame` made by the spawn (before its first poll) has ended by now; one made in a loop waits.
    let looping = waiting("looping", async {
        loop {
            time::next_frame().await;
        }
    })
    .await;
    ensure!(matches!(awaits("looping")?, Awaiting::Frames { physics: false, left: 1, .. }), "{:?}", awaits("looping"));
    for task in [&counter, &ticker, &looping] {
        task.cancel();
    }
    drop(stepper);
    Ok(())
}

async fn an_offloaded_job_names_its_pool_and_where_it_started() -> Result<(), String> {
    let _off = tracking();
    let (release, wait) = mpsc::channel::<()>();
    let line = line!() + 1;
    let job = godot_tasks::threads::spawn_blocking(move || wait.recv_timeout(Duration::from_secs(10)).is_ok());
    let task = waiting("offloader", job).await;
    match awaits("offloader")? {
        Awaiting::Job { kind, started_at } => {
            ensure_eq!(kind, "blocking");
            ensure_eq!((started_at.file(), started_at.line()), (file!(), line));
        }
        other => return Err(format!("awaits {other:?}")),
    }
    let _ = release.send(());
    wait_until(100, "the job ended", || task.is_finished()).await?;
    Ok(())
}

async fn a_tokio_future_names_tokio_and_where_it_started() -> Result<(), String> {
    let _off = tracking();
    let line = line!() + 1;
    let job = godot_tasks::threads::spawn_tokio(async { tokio::time::sleep(Duration::from_secs(30)).await });
    let task = waiting("networker", job).await;
    match awaits("networker")? {
        Awaiting::Job { kind, started_at } => {
            ensure_eq!(kind, "tokio");
            ensure_eq!((started_at.file(), started_at.line()), (file!(), line));
        }
        other => return Err(format!("awaits {other:?}")),
    }
    task.cancel(); // dropping the TokioTask aborts the tokio task
    wait_until(5, "the task was cancelled", || task.is_finished()).await?;
    Ok(())
}

async fn a_gdscript_call_names_the_object_and_the_method() -> Result<(), String> {
    let _off = tracking();
    let mut node = Node::new_alloc();
    node.set_script(&load::<Script>("res://bridge.gd"));
    node.set_name("Caller");
    tree().get_root().expect("a root").add_child(&node);
    let target = node.clone();
    let call =
        waiting("caller", async move { gdscript::call::<i64>(&target, "two_frames_then", vslice![21]).await }).await;
    let result = match awaits("caller")? {
        Awaiting::GdscriptCall { object, method } => {
            ensure_eq!(method, "two_frames_then");
            ensure!(object.contains("'Caller'"), "the object is described as {object}");
            Ok(())
        }
        other => Err(format!("awaits {other:?} (only the call, not the coroutine's `completed`)")),
    };
    wait_until(10, "the call ended", || call.is_finished()).await?;
    node.queue_free();
    result
}

async fn a_join_handle_names_the_other_task() -> Result<(), String> {
    let _off = tracking();
    let inner = TaskBuilder::new().name("inner").spawn(std::future::pending::<()>());
    let cancel = inner.cancel_handle();
    let outer = waiting("outer", inner).await;
    let inner_info = named("inner")?;
    match awaits("outer")? {
        Awaiting::Task { id, name, spawned_at } => {
            ensure_eq!((id, name.as_deref(), spawned_at), (inner_info.id, Some("inner"), inner_info.spawned_at));
        }
        other => return Err(format!("awaits {other:?}")),
    }
    cancel.cancel();
    wait_until(5, "the outer task saw the cancellation", || outer.is_finished()).await?;
    Ok(())
}

async fn a_timeout_names_both_the_wait_and_its_clock() -> Result<(), String> {
    let _off = tracking();
    let emitter = Emitter::new_gd();
    let ping = emitter.signals().ping().next_emission();
    let task = waiting("impatient", time::timeout(Duration::from_secs(30), ping)).await;
    let info = named("impatient")?;
    let kinds: Vec<_> = info
        .awaiting
        .iter()
        .map(|awaiting| match awaiting {
            Awaiting::Signal { signal, .. } => format!("signal {signal}"),
            Awaiting::Sleep { deadline } => format!("sleep on {}", deadline.clock()),
            other => format!("{other:?}"),
        })
        .collect();
    ensure_eq!(kinds, ["signal ping", "sleep on Clock::GAME"]);
    task.cancel();
    Ok(())
}

async fn yield_now_names_the_next_flush() -> Result<(), String> {
    let _off = tracking();
    // Ready tasks run in the order they were spawned or woken (see `Executor::flush`): in the first round the
    // looker yields, then the yielder; in the second the looker runs first and sees the yielder's note.
    let looker = godot_tasks::spawn(async {
        godot_tasks::yield_now().await;
        named("yielder").map(|task| task.awaiting)
    });
    let yielder = TaskBuilder::new().name("yielder").spawn(async {
        godot_tasks::yield_now().await;
        std::future::pending::<()>().await;
    });
    wait_until(5, "the looker looked", || looker.is_finished()).await?;
    let awaiting = looker.await.map_err(|e| e.to_string())??;
    yielder.cancel();
    ensure_eq!(awaiting, [Awaiting::Yield]);
    Ok(())
}

async fn cancel_task_cancels_a_task_by_id() -> Result<(), String> {
    let _off = tracking();
    let task = waiting("doomed", time::sleep(Duration::from_secs(60))).await;
    let id = named("doomed")?.id;
    ensure!(runtime::cancel_task(id), "cancel_task found no task {id}");
    next_frame().await;
    ensure!(task.is_finished(), "the task ended");
    ensure!(task.await.is_err_and(|error| error.is_cancelled()), "it ended as a cancellation");
    ensure!(!runtime::cancel_task(id), "a second cancel finds nothing");
    Ok(())
}

async fn tracking_is_kept_across_shutdown() -> Result<(), String> {
    let _off = tracking();
    runtime::shutdown();
    let task = waiting("reborn", time::sleep(Duration::from_secs(60))).await;
    let info = named("reborn")?;
    ensure_eq!(info.polls, 1); // the new runtime tracked the task from its spawn
    ensure!(matches!(info.awaiting[..], [Awaiting::Sleep { .. }]), "{:?}", info.awaiting);
    task.cancel();
    Ok(())
}
