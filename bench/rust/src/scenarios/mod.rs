//! Every benchmark scenario, in the order they run. Each measures one kind of work for every implementation
//! that can express it, in the same process and the same frames.

mod bridge;
mod churn;
mod coalescing;
mod cross_thread;
mod diagnostics;
mod fan_out;
mod frame_waits;
mod idle;
mod memory;
mod offload;
mod sleepers;
mod spawn;
mod worker_pools;

use godot::prelude::*;

use crate::harness::{ScenarioBody, Sizes};

pub fn all(sizes: Sizes, gdscript: Gd<Node>) -> Vec<(&'static str, ScenarioBody)> {
    vec![
        ("spawn", Box::pin(spawn::run(sizes))),
        ("signal fan-out", Box::pin(fan_out::run(sizes, gdscript.clone()))),
        ("signal churn", Box::pin(churn::run(sizes, gdscript.clone()))),
        ("wake coalescing", Box::pin(coalescing::run(sizes))),
        ("cross-thread wakes", Box::pin(cross_thread::run(sizes))),
        ("idle cost", Box::pin(idle::run(sizes))),
        ("frame waits", Box::pin(frame_waits::run(sizes, gdscript.clone()))),
        ("sleepers", Box::pin(sleepers::run(sizes))),
        ("offload round trip", Box::pin(offload::run(sizes))),
        ("worker pools", Box::pin(worker_pools::run(sizes))),
        ("GDScript and Rust awaiting each other", Box::pin(bridge::run(sizes, gdscript.clone()))),
        ("memory", Box::pin(memory::run(sizes, gdscript))),
        ("diagnostics", Box::pin(diagnostics::run(sizes))),
    ]
}
