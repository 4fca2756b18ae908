//! Scenario 1: spawn and complete trivial tasks.
//!
//! godot-tasks polls a new task in the runtime's next flush (a deferred call later in the same frame), so the
//! time runs from the first spawn until the last task has run. `godot::task` polls inside `spawn`, so its
//! time is the spawn loop. GDScript has no tasks to spawn.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Instant;

use crate::alloc_counter::snapshot;
use crate::harness::{Sizes, nanos_since, next_frame};
use crate::report::{Measurement, OURS, UPSTREAM};

const UNIT: &str = "per task";

pub async fn run(sizes: Sizes) -> Vec<Measurement> {
    let tasks = sizes.spawn_tasks;
    // Warm-up at full size: the runtime's tables and the allocator's free lists reach their steady state
    // (godot-tasks holds every task until the flush; godot::task finishes each inside spawn).
    ours(tasks).await;
    upstream(tasks);
    vec![ours(tasks).await, upstream(tasks)]
}

async fn ours(tasks: usize) -> Measurement {
    let finished = Rc::new(Cell::new(None));
    let before = snapshot();
    let start = Instant::now();
    for _ in 0..tasks {
        godot_tasks::spawn(async {}).detach();
    }
    let spawned = nanos_since(start);
    let done = finished.clone();
    godot_tasks::spawn(async move { done.set(Some(nanos_since(start))) }).detach();
    next_frame().await;
    let allocs = snapshot().allocations_per(before, tasks);
    let nanos = finished.get().expect("every task ran within the frame");
    Measurement::new("spawn", OURS, UNIT, nanos / tasks as f64, tasks as u64)
        .allocs(allocs)
        .note(format!("spawn calls {:.0} ns per task, the rest in the flush", spawned / tasks as f64))
}

fn upstream(tasks: usize) -> Measurement {
    let before = snapshot();
    let start = Instant::now();
    for _ in 0..tasks {
        godot::task::spawn(async {});
    }
    let nanos = nanos_since(start);
    let allocs = snapshot().allocations_per(before, tasks);
    Measurement::new("spawn", UPSTREAM, UNIT, nanos / tasks as f64, tasks as u64).allocs(allocs)
}
