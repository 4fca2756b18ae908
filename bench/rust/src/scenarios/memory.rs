//! Scenario 7: the memory a pending trivial task holds, and the allocations it took.
//!
//! Rust implementations are measured by the bench's counting allocator (live bytes and allocations, Rust
//! side only); GDScript coroutines by Godot's static memory counter. Allocations per wake and per signal
//! await are in the wake-coalescing and signal-churn rows.
//!
//! The tasks are counted once they all wait and the executor's trimming has had two intervals to give back
//! what the burst of spawns left in its queues (the memory of the tasks, not of the way they were spawned);
//! the note gives the figure right after the burst as well.

use godot::prelude::*;

use godot_tasks_executor::Capacities;

use crate::alloc_counter::snapshot;
use crate::harness::{Sizes, next_frame};
use crate::report::{GDSCRIPT, Measurement, OURS, UPSTREAM};

const SCENARIO: &str = "memory";
const UNIT: &str = "bytes per task";

pub async fn run(sizes: Sizes, mut gdscript: Gd<Node>) -> Vec<Measurement> {
    let tasks = sizes.memory_tasks;

    let mut ours = Vec::with_capacity(tasks);
    let before = snapshot();
    for _ in 0..tasks {
        ours.push(godot_tasks::spawn(std::future::pending::<()>()));
    }
    next_frame().await; // polled once
    let right_after_burst = snapshot().bytes_per(before, tasks);
    for _ in 0..2 * Capacities::TRIM_INTERVAL {
        next_frame().await;
    }
    let after = snapshot();
    let ours_row = Measurement::new(SCENARIO, OURS, UNIT, 0.0, tasks as u64)
        .bytes(after.bytes_per(before, tasks))
        .allocs(after.allocations_per(before, tasks))
        .note(format!("{right_after_burst:.0} B right after the burst of spawns"));
    for handle in &ours {
        handle.cancel();
    }
    drop(ours);
    next_frame().await;

    let mut upstream = Vec::with_capacity(tasks);
    let before = snapshot();
    for _ in 0..tasks {
        upstream.push(godot::task::spawn(std::future::pending::<()>()));
    }
    let after = snapshot();
    let upstream_row = Measurement::new(SCENARIO, UPSTREAM, UNIT, 0.0, tasks as u64)
        .bytes(after.bytes_per(before, tasks))
        .allocs(after.allocations_per(before, tasks));
    for handle in upstream {
        handle.cancel();
    }
    next_frame().await;

    let bytes = gdscript.call("memory_per_waiter", &[(tasks as i64).to_variant()]).to::<f64>();
    gdscript.call("stop_idle", &[]);
    let gdscript_row = Measurement::new(SCENARIO, GDSCRIPT, UNIT, 0.0, tasks as u64)
        .bytes(bytes)
        .note("Godot's static memory counter");
    vec![ours_row, upstream_row, gdscript_row]
}
