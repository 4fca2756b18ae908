//! Issue 5, scenarios (b) and (c): many tasks sleeping with distinct deadlines, of which few end each frame.
//!
//! (b) The cost per frame: the shortest window around the runtime's frame hook over many frames, as in the
//! idle-cost scenario (an upper bound). (c) Allocations per sleep, counted while the sleepers run through
//! many short sleeps each. godot-tasks only: the alternatives need one engine timer per sleep.

use std::time::Duration;

use crate::alloc_counter::snapshot;
use crate::harness::{Sizes, frames, next_frame};
use crate::report::{Measurement, OURS};
use crate::runner::shortest_hook_window;

pub async fn run(sizes: Sizes) -> Vec<Measurement> {
    let tasks = sizes.fan_out_tasks;

    // (b) Distinct deadlines spread over a minute of game time: a few end per frame.
    let handles: Vec<_> = (0..tasks)
        .map(|index| {
            let delay = Duration::from_secs_f64(1.0 + 60.0 * index as f64 / tasks as f64);
            godot_tasks::spawn(godot_tasks::time::sleep(delay))
        })
        .collect();
    next_frame().await;
    let window = shortest_hook_window(sizes.idle_frames).await;
    for handle in &handles {
        handle.cancel();
    }
    next_frame().await;
    let many = Measurement::new("sleeping tasks", OURS, "per frame", window, sizes.idle_frames as u64)
        .note(format!("{tasks} tasks sleeping until distinct deadlines; upper bound: the whole frame-hook window"));

    // (c) Every sleeper sleeps a tiny amount again and again: each sleep ends in the next frame.
    let rounds = sizes.fan_out_rounds;
    for _ in 0..tasks {
        godot_tasks::spawn(async move {
            for _ in 0..rounds {
                godot_tasks::time::sleep(Duration::from_micros(1)).await;
            }
        })
        .detach();
    }
    next_frame().await; // first sleeps made (and the table and heap grown)
    let before = snapshot();
    frames(rounds as u32 + 1).await;
    let sleeps = tasks * rounds;
    let allocs = snapshot().allocations_per(before, sleeps);
    let churn = Measurement::new("allocations per sleep", OURS, "per sleep", 0.0, sleeps as u64)
        .untimed()
        .allocs(allocs)
        .note("time not measured here; see frame waits");
    vec![many, churn]
}
