//! What the diagnostics cost: the same polls with slow-poll timing off and on, with task tracking (what
//! `runtime::tasks()` and the editor inspector read) on, with tracking and poll timing on, and with the
//! `godot_tasks/flush_usec` monitor's flush timing on (it starts with the monitor's first read and stays on);
//! and what one read of the six monitors costs (the debugger's Monitors tab reads them once a second).
//!
//! Each task yields a few times, so most of the measured time is polls run by the runtime's flushes.

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use godot::builtin::StringName;
use godot::classes::Performance;
use godot::obj::Singleton;

use crate::harness::{Sizes, nanos_since, next_frame};
use crate::report::{Measurement, OURS};

const UNIT: &str = "per poll";
/// Polls per task: its first, and one after each yield.
const POLLS_PER_TASK: usize = 4;

pub async fn run(sizes: Sizes) -> Vec<Measurement> {
    let tasks = sizes.spawn_tasks / 4;
    godot_tasks::runtime::set_slow_poll_warning(None);
    polls(tasks).await; // warm-up
    let off = polls(tasks).await;
    // A threshold no poll reaches: the cost of timing, without any warning.
    godot_tasks::runtime::set_slow_poll_warning(Some(Duration::from_secs(1)));
    let slow_poll_timing = polls(tasks).await;
    godot_tasks::runtime::set_slow_poll_warning(None);
    godot_tasks::runtime::set_task_tracking(true);
    let tracking = polls(tasks).await;
    godot_tasks::runtime::set_poll_timing(true);
    let tracking_timed = polls(tasks).await;
    godot_tasks::runtime::set_poll_timing(false);
    godot_tasks::runtime::set_task_tracking(false);
    godot_tasks::runtime::set_slow_poll_warning(godot_tasks::runtime::DEFAULT_SLOW_POLL_WARNING);
    // Reading flush_usec turns the flush timing on for the rest of the process: measured last.
    let _ = Performance::singleton().get_custom_monitor("godot_tasks/flush_usec");
    let flush_timing = polls(tasks).await;
    let reads = sizes.spawn_tasks / 10;
    let monitor_read = monitor_reads(reads);
    vec![
        Measurement::new("polls, diagnostics off", OURS, UNIT, off, (tasks * POLLS_PER_TASK) as u64),
        Measurement::new("polls, slow-poll timing", OURS, UNIT, slow_poll_timing, (tasks * POLLS_PER_TASK) as u64)
            .note("runtime::set_slow_poll_warning(Some(..)): two clock reads per poll"),
        Measurement::new("polls, task tracking", OURS, UNIT, tracking, (tasks * POLLS_PER_TASK) as u64)
            .note("runtime::set_task_tracking(true), as while the editor inspector is attached"),
        Measurement::new("polls, tracking + poll timing", OURS, UNIT, tracking_timed, (tasks * POLLS_PER_TASK) as u64)
            .note("runtime::set_poll_timing(true) too: the inspector's poll time column"),
        Measurement::new("polls, flush timing", OURS, UNIT, flush_timing, (tasks * POLLS_PER_TASK) as u64)
            .note("after the first read of godot_tasks/flush_usec: two clock reads per flush"),
        Measurement::new("monitors, one read of all six", OURS, "per read", monitor_read, reads as u64)
            .note("Performance.get_custom_monitor for each godot_tasks/ id, as the debugger reads them"),
    ]
}

/// Nanoseconds for one read of every monitor, averaged over `reads` reads.
fn monitor_reads(reads: usize) -> f64 {
    let ids: Vec<StringName> = godot_tasks::runtime::MONITOR_IDS.iter().map(|id| StringName::from(*id)).collect();
    let performance = Performance::singleton();
    let start = Instant::now();
    let mut sum = 0.0;
    for _ in 0..reads {
        for id in &ids {
            sum += performance.get_custom_monitor(id).try_to::<f64>().unwrap_or(0.0);
        }
    }
    std::hint::black_box(sum);
    nanos_since(start) / reads as f64
}

/// Nanoseconds per poll for `tasks` tasks that each yield `POLLS_PER_TASK - 1` times.
async fn polls(tasks: usize) -> f64 {
    let left = Rc::new(Cell::new(tasks));
    let finished = Rc::new(Cell::new(None));
    let start = Instant::now();
    for _ in 0..tasks {
        let (left, finished) = (left.clone(), finished.clone());
        godot_tasks::spawn(async move {
            for _ in 1..POLLS_PER_TASK {
                godot_tasks::yield_now().await;
            }
            left.set(left.get() - 1);
            if left.get() == 0 {
                finished.set(Some(nanos_since(start)));
            }
        })
        .detach();
    }
    while finished.get().is_none() {
        next_frame().await;
    }
    finished.get().unwrap_or(0.0) / (tasks * POLLS_PER_TASK) as f64
}
