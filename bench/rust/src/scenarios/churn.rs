//! Scenario 3: one task awaits a signal many times in sequence.
//!
//! In Rust each await creates the signal future, emits the signal and awaits it (the emission before the
//! first poll is kept, so this runs inside one poll). In GDScript a coroutine awaits while a loop emits:
//! every emission resumes it inside `emit`. All times include the emission.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Instant;

use godot::prelude::*;
use godot_tasks::signal::SignalExt;

use crate::alloc_counter::snapshot;
use crate::emitter::BenchEmitter;
use crate::harness::{Sizes, nanos_since, next_frame};
use crate::report::{GDSCRIPT, Measurement, OURS, UPSTREAM};

const SCENARIO: &str = "signal churn";
const UNIT: &str = "per await";

pub async fn run(sizes: Sizes, mut gdscript: Gd<Node>) -> Vec<Measurement> {
    let awaits = sizes.churn_awaits;
    let ours = measure(OURS, awaits, |signal, mut object, name, result| {
        godot_tasks::spawn(async move {
            let before = snapshot();
            let start = Instant::now();
            for _ in 0..awaits {
                let next = signal.next_emission::<()>();
                object.emit_signal(&name, &[]);
                next.await;
            }
            result.set(Some((nanos_since(start), snapshot().allocations_per(before, awaits))));
        })
        .detach();
    })
    .await;
    let upstream = measure(UPSTREAM, awaits, |signal, mut object, name, result| {
        godot::task::spawn(async move {
            let before = snapshot();
            let start = Instant::now();
            for _ in 0..awaits {
                let next = signal.to_future::<()>();
                object.emit_signal(&name, &[]);
                next.await;
            }
            result.set(Some((nanos_since(start), snapshot().allocations_per(before, awaits))));
        });
    })
    .await;
    let micros = gdscript.call("churn", &[(awaits as i64).to_variant()]).to::<i64>();
    let gdscript = Measurement::new(SCENARIO, GDSCRIPT, UNIT, micros as f64 * 1000.0 / awaits as f64, awaits as u64);
    vec![ours, upstream, gdscript]
}

type Outcome = Rc<Cell<Option<(f64, f64)>>>;

async fn measure(
    implementation: &'static str,
    awaits: usize,
    spawn: impl FnOnce(Signal, Gd<Object>, StringName, Outcome),
) -> Measurement {
    let emitter = BenchEmitter::new_gd();
    let signal = emitter.signals().tick().to_untyped();
    let outcome: Outcome = Rc::new(Cell::new(None));
    spawn(signal, emitter.clone().upcast(), StringName::from("tick"), outcome.clone());
    next_frame().await;
    let (nanos, allocs) = outcome.get().expect("the churn loop ran within the frame");
    Measurement::new(SCENARIO, implementation, UNIT, nanos / awaits as f64, awaits as u64).allocs(allocs)
}
