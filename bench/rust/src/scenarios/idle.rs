//! Scenario 6: many tasks await a signal that never fires; what they add to every frame.
//!
//! Measured between two `process_frame` connections that enclose the runtime's frame hook (the first is
//! connected before the runtime attaches, the second now). The reported cost is the shortest such window over
//! many frames with the tasks waiting: an upper bound, since it also holds the engine's dispatch to the
//! three connections (the minimum filters out the machine's noise, which is far larger than the hook). The
//! same window without the tasks is in the note. Tasks of `godot::task` and GDScript coroutines have no
//! per-frame hook at all.

use godot::prelude::*;
use godot_tasks::signal::SignalExt;

use crate::emitter::BenchEmitter;
use crate::harness::{Sizes, next_frame};
use crate::report::{Measurement, OURS};
use crate::runner::shortest_hook_window;

pub async fn run(sizes: Sizes) -> Vec<Measurement> {
    let baseline = shortest_hook_window(sizes.idle_frames).await;
    let emitter = BenchEmitter::new_gd();
    let never = emitter.signals().never().to_untyped();
    let handles: Vec<_> = (0..sizes.idle_tasks).map(|_| godot_tasks::spawn(never.next_emission::<()>())).collect();
    next_frame().await;
    let loaded = shortest_hook_window(sizes.idle_frames).await;
    for handle in &handles {
        handle.cancel();
    }
    next_frame().await;
    vec![Measurement::new("idle cost", OURS, "per frame", loaded, sizes.idle_frames as u64).note(format!(
        "{} idle tasks; upper bound: the whole frame-hook window, {baseline:.0} ns without the tasks",
        sizes.idle_tasks
    ))]
}
