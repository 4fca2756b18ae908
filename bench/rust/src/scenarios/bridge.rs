//! Issue 8: GDScript and Rust awaiting each other.
//!
//! - "GDScript awaits Rust": many GDScript coroutines each `await` a Rust async func that resolves at once,
//!   from the first call until the last coroutine resumed (GDScript's own clock). godot-tasks
//!   (`gdscript::awaitable`) against the hand-written pattern: a `RefCounted` with a signal, emitted by a
//!   deferred call.
//! - "Rust awaits GDScript": many tasks each call a GDScript coroutine that awaits a signal, then await its
//!   result: the calls, plus the time from the signal's emission until the last task resumed. godot-tasks
//!   (`gdscript::call`) against `godot::task` awaiting the coroutine's `completed` signal.

use std::rc::Rc;
use std::time::Instant;

use godot::prelude::*;

use crate::bridge::BridgeBench;
use crate::harness::{RoundProgress, Sizes, nanos_since, next_frame};
use crate::report::{BY_HAND, Measurement, OURS, UPSTREAM};

pub async fn run(sizes: Sizes, gdscript: Gd<Node>) -> Vec<Measurement> {
    let tasks = sizes.fan_out_tasks;
    let mut rows = Vec::new();
    let awaited_from_gdscript = [(OURS, "ours"), (BY_HAND, "by_hand")];
    // Warm-up at full size, so that both run in steady state (allocator, engine tables).
    for (implementation, method) in awaited_from_gdscript {
        gdscript_awaits_rust(gdscript.clone(), implementation, method, tasks).await;
    }
    for (implementation, method) in awaited_from_gdscript {
        rows.push(gdscript_awaits_rust(gdscript.clone(), implementation, method, tasks).await);
    }
    rows.push(
        rust_awaits_gdscript(gdscript.clone(), OURS, tasks, |gdscript, progress| {
            let call = godot_tasks::gdscript::call::<i64>(&gdscript, "coroutine_value", &[]);
            godot_tasks::spawn(async move {
                assert_eq!(call.await, Ok(1));
                progress.resume();
            })
            .detach();
        })
        .await,
    );
    rows.push(
        rust_awaits_gdscript(gdscript, UPSTREAM, tasks, |mut gdscript, progress| {
            let state: Gd<Object> = gdscript.call("coroutine_value", &[]).to();
            let completed = Signal::from_object_signal(&state, "completed").to_future::<(Variant,)>();
            godot::task::spawn(async move {
                let (value,) = completed.await;
                assert_eq!(value.to::<i64>(), 1);
                drop(state);
                progress.resume();
            });
        })
        .await,
    );
    rows
}

async fn gdscript_awaits_rust(
    mut gdscript: Gd<Node>,
    implementation: &'static str,
    method: &str,
    tasks: usize,
) -> Measurement {
    let mut rust = BridgeBench::new_gd();
    let args = [rust.to_variant(), method.to_variant(), (tasks as i64).to_variant()];
    let start = gdscript.call("start_bridge_awaits", &args).to::<i64>();
    let mut end = 0;
    for _ in 0..10 {
        next_frame().await;
        end = gdscript.get("bridge_end").to::<i64>();
        if end != 0 {
            break;
        }
    }
    assert!(end != 0, "{implementation}: every GDScript coroutine resumed");
    rust.call("release", &[]);
    let nanos = (end - start) as f64 * 1000.0;
    Measurement::new("GDScript awaits Rust", implementation, "per await", nanos / tasks as f64, tasks as u64)
        .note(format!("{tasks} GDScript coroutines, each awaiting a Rust async func that resolves at once"))
}

async fn rust_awaits_gdscript(
    mut gdscript: Gd<Node>,
    implementation: &'static str,
    tasks: usize,
    start_one: impl Fn(Gd<Node>, Rc<RoundProgress>),
) -> Measurement {
    let progress = Rc::new(RoundProgress::new(tasks));
    let start = Instant::now();
    for _ in 0..tasks {
        start_one(gdscript.clone(), progress.clone());
    }
    let calls = nanos_since(start);
    next_frame().await; // every task awaits its coroutine
    let fired = Instant::now();
    gdscript.call("fire_bridge", &[]);
    for _ in 0..10 {
        if progress.resumed.get() == tasks {
            break;
        }
        next_frame().await;
    }
    let last = progress.last.get().expect("every task resumed");
    let nanos = calls + last.duration_since(fired).as_nanos() as f64;
    Measurement::new("Rust awaits GDScript", implementation, "per await", nanos / tasks as f64, tasks as u64)
        .note(format!("{tasks} tasks, each calling a GDScript coroutine that awaits a signal"))
}
