//! The runtime's monitors in Godot's Performance singleton: each reads the right value for a known set of
//! tasks, waiters, timers and jobs, and after they end; they go with `shutdown()` and come back with the next
//! runtime.

use std::sync::mpsc;
use std::time::Duration;

use godot::classes::Performance;
use godot::obj::Singleton;
use godot::prelude::*;
use godot_tasks::signal::TypedSignalExt;
use godot_tasks::time;

use crate::emitter::Emitter;
use crate::harness::{frames, next_frame, wait_until};
use crate::{ensure, ensure_eq, tests};

tests![
    every_monitor_is_registered_under_its_id,
    tasks_alive_counts_live_tasks,
    signal_waiters_counts_signal_futures,
    timers_pending_counts_time_and_frame_waits,
    jobs_in_flight_counts_offloaded_jobs,
    polls_per_frame_and_flush_usec_show_the_last_frame,
    monitors_go_with_shutdown_and_come_back_with_the_next_runtime,
];

const IDS: [&str; 6] = [
    "godot_tasks/tasks_alive",
    "godot_tasks/polls_per_frame",
    "godot_tasks/flush_usec",
    "godot_tasks/signal_waiters",
    "godot_tasks/timers_pending",
    "godot_tasks/jobs_in_flight",
];

/// A monitor's value as a number (the counters are integers, `flush_usec` a float).
fn monitor(id: &str) -> f64 {
    let value = Performance::singleton().get_custom_monitor(id);
    value.try_to::<i64>().map(|count| count as f64).or_else(|_| value.try_to::<f64>()).unwrap_or(f64::NAN)
}

/// Makes sure a runtime runs (its hooks attach with its first task), so that its monitors are registered.
async fn started() {
    godot_tasks::spawn(async {}).detach();
    next_frame().await;
}

fn registered(id: &str) -> bool {
    Performance::singleton().has_custom_monitor(id)
}

async fn every_monitor_is_registered_under_its_id() -> Result<(), String> {
    started().await;
    for id in IDS {
        ensure!(registered(id), "{id} is not registered");
        ensure!(monitor(id) >= 0.0, "{id} reads {}", monitor(id));
    }
    Ok(())
}

async fn tasks_alive_counts_live_tasks() -> Result<(), String> {
    started().await;
    let before = monitor("godot_tasks/tasks_alive");
    let handles: Vec<_> = (0..3).map(|_| godot_tasks::spawn(std::future::pending::<()>())).collect();
    ensure_eq!(monitor("godot_tasks/tasks_alive"), before + 3.0);
    for handle in &handles {
        handle.cancel();
    }
    drop(handles);
    next_frame().await;
    ensure_eq!(monitor("godot_tasks/tasks_alive"), before);
    Ok(())
}

async fn signal_waiters_counts_signal_futures() -> Result<(), String> {
    started().await;
    let before = monitor("godot_tasks/signal_waiters");
    let emitter = Emitter::new_gd();
    let first = emitter.signals().ping().next_emission();
    let second = emitter.signals().count().try_next_emission();
    ensure_eq!(monitor("godot_tasks/signal_waiters"), before + 2.0);
    drop((first, second));
    ensure_eq!(monitor("godot_tasks/signal_waiters"), before);
    Ok(())
}

async fn timers_pending_counts_time_and_frame_waits() -> Result<(), String> {
    started().await;
    let before = monitor("godot_tasks/timers_pending");
    let sleeper = godot_tasks::spawn(time::sleep(Duration::from_secs(60)));
    let framer = godot_tasks::spawn(async {
        loop {
            time::next_frame().await;
        }
    });
    let counter = godot_tasks::spawn(time::frames(1000));
    next_frame().await; // all three have been polled and wait
    ensure_eq!(monitor("godot_tasks/timers_pending"), before + 3.0);
    for task in [&sleeper, &counter] {
        task.cancel();
    }
    framer.cancel();
    next_frame().await;
    ensure_eq!(monitor("godot_tasks/timers_pending"), before);
    Ok(())
}

async fn jobs_in_flight_counts_offloaded_jobs() -> Result<(), String> {
    started().await;
    let before = monitor("godot_tasks/jobs_in_flight");
    let (release, wait) = mpsc::channel::<()>();
    let job = godot_tasks::threads::spawn_blocking(move || wait.recv_timeout(Duration::from_secs(10)).is_ok());
    ensure_eq!(monitor("godot_tasks/jobs_in_flight"), before + 1.0);
    let _ = release.send(());
    let done = godot_tasks::spawn(job);
    wait_until(100, "the job ended", || done.is_finished()).await?;
    wait_until(100, "the job left the count", || monitor("godot_tasks/jobs_in_flight") == before).await?;
    ensure!(done.await.map_err(|e| e.to_string())?.map_err(|e| e.to_string())?, "the job was released");
    Ok(())
}

async fn polls_per_frame_and_flush_usec_show_the_last_frame() -> Result<(), String> {
    started().await;
    let _ = monitor("godot_tasks/flush_usec"); // reading it turns flush timing on
    let busy: Vec<_> = (0..50)
        .map(|_| {
            godot_tasks::spawn(async {
                loop {
                    time::next_frame().await;
                }
            })
        })
        .collect();
    frames(3).await;
    let polls = monitor("godot_tasks/polls_per_frame");
    let micros = monitor("godot_tasks/flush_usec");
    for task in &busy {
        task.cancel();
    }
    ensure!(polls >= 50.0, "50 tasks polled every frame, the monitor shows {polls}");
    ensure!(micros > 0.0, "flush_usec reads {micros}");
    Ok(())
}

async fn monitors_go_with_shutdown_and_come_back_with_the_next_runtime() -> Result<(), String> {
    godot_tasks::runtime::shutdown();
    for id in IDS {
        ensure!(!registered(id), "{id} is still registered after shutdown");
    }
    let task = godot_tasks::spawn(async { 1 });
    wait_until(5, "the next runtime ran a task", || task.is_finished()).await?;
    for id in IDS {
        ensure!(registered(id), "{id} is not registered again");
    }
    Ok(())
}
