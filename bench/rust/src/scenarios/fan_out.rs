//! Scenario 2: many tasks await one user signal, emitted once per frame, for several rounds.
//!
//! Each round's time runs from the emission until the last task has resumed (and re-subscribed, except that
//! last one). GDScript resumes every waiter inside `emit`, so its time is the `emit` call.

use std::rc::Rc;
use std::time::Instant;

use godot::prelude::*;
use godot_tasks::signal::SignalExt;

use crate::alloc_counter::snapshot;
use crate::emitter::BenchEmitter;
use crate::harness::{RoundProgress, Sizes, nanos_since, next_frame};
use crate::report::{GDSCRIPT, Measurement, OURS, UPSTREAM};

const SCENARIO: &str = "signal fan-out";
const UNIT: &str = "per await";

pub async fn run(sizes: Sizes, gdscript: Gd<Node>) -> Vec<Measurement> {
    let (tasks, rounds) = (sizes.fan_out_tasks, sizes.fan_out_rounds);
    let check = connection_check(tasks).await;
    vec![
        measure(OURS, tasks, rounds, |signal, progress| {
            godot_tasks::spawn(async move {
                for _ in 0..rounds {
                    signal.next_emission::<()>().await;
                    progress.resume();
                }
            })
            .detach();
        })
        .await
        .note(format!("of which {check:.0} ns are the engine calls that check the shared connection")),
        measure(UPSTREAM, tasks, rounds, |signal, progress| {
            godot::task::spawn(async move {
                for _ in 0..rounds {
                    signal.to_future::<()>().await;
                    progress.resume();
                }
            });
        })
        .await,
        gdscript_fan_out(gdscript, tasks, rounds).await,
    ]
}

async fn measure(
    implementation: &'static str,
    tasks: usize,
    rounds: usize,
    spawn: impl Fn(Signal, Rc<RoundProgress>),
) -> Measurement {
    let emitter = BenchEmitter::new_gd();
    let signal = emitter.signals().tick().to_untyped();
    let progress = Rc::new(RoundProgress::new(tasks));
    for _ in 0..tasks {
        spawn(signal.clone(), progress.clone());
    }
    next_frame().await; // every task is waiting
    let mut nanos = 0.0;
    let before = snapshot();
    for round in 1..=rounds {
        let start = Instant::now();
        emitter.signals().tick().emit();
        next_frame().await;
        let last = progress.last.get().expect("tasks resumed");
        nanos += last.duration_since(start).as_nanos() as f64;
        assert_eq!(progress.resumed.get(), tasks * round, "{implementation}: every task resumes once per round");
    }
    let ops = tasks * rounds;
    Measurement::new(SCENARIO, implementation, UNIT, nanos / ops as f64, ops as u64)
        .allocs(snapshot().allocations_per(before, ops))
}

/// The engine calls with which each new godot-tasks future checks that the shared connection is still in
/// place (so that a future made after someone disconnected it by hand is connected anew): checking the
/// emitter's instance, and asking `is_connected`.
async fn connection_check(tasks: usize) -> f64 {
    let emitter = BenchEmitter::new_gd();
    let signal = emitter.signals().tick().to_untyped();
    let waiting = godot_tasks::spawn(signal.next_emission::<()>());
    next_frame().await;
    let connected = emitter
        .upcast_ref::<Object>()
        .get_signal_connection_list("tick")
        .iter_shared()
        .find_map(|connection| connection.get("callable").map(|callable| callable.to::<Callable>()))
        .expect("the task's connection");
    let id = emitter.instance_id();
    let start = Instant::now();
    for _ in 0..tasks {
        std::hint::black_box(std::hint::black_box(id).lookup_validity());
        std::hint::black_box(signal.is_connected(std::hint::black_box(&connected)));
    }
    let nanos = nanos_since(start) / tasks as f64;
    emitter.signals().tick().emit();
    next_frame().await;
    assert!(waiting.is_finished(), "the waiting task resumed");
    nanos
}

async fn gdscript_fan_out(mut gdscript: Gd<Node>, tasks: usize, rounds: usize) -> Measurement {
    gdscript.call("start_fan_out", &[(tasks as i64).to_variant()]);
    next_frame().await;
    let mut micros = 0;
    for _ in 0..rounds {
        micros += gdscript.call("fan_out_round", &[]).to::<i64>();
        next_frame().await;
    }
    gdscript.call("stop_fan_out", &[]);
    let ops = tasks * rounds;
    Measurement::new(SCENARIO, GDSCRIPT, UNIT, micros as f64 * 1000.0 / ops as f64, ops as u64)
}
