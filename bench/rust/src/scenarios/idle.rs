//! Scenario 6: many tasks await a signal that never fires; what they add to every frame.
//!
//! Measured between two `process_frame` connections that enclose the runtime's frame hook (the first is
//! connected before the runtime attaches, the second now), averaged over frames, minus the same window
//! without the tasks. Tasks of `godot::task` and GDScript coroutines have no per-frame hook at all.

use godot::prelude::*;
use godot_tasks::signal::SignalExt;

use crate::emitter::BenchEmitter;
use crate::harness::{Sizes, frames, next_frame};
use crate::report::{Measurement, OURS};
use crate::runner::{connect_closing_mark, record_hook_windows};

pub async fn run(sizes: Sizes) -> Vec<Measurement> {
    connect_closing_mark();
    let baseline = average_window(sizes.idle_frames).await;
    let emitter = BenchEmitter::new_gd();
    let never = emitter.signals().never().to_untyped();
    let handles: Vec<_> = (0..sizes.idle_tasks).map(|_| godot_tasks::spawn(never.next_emission::<()>())).collect();
    next_frame().await;
    let loaded = average_window(sizes.idle_frames).await;
    for handle in &handles {
        handle.cancel();
    }
    next_frame().await;
    let added = (loaded - baseline).max(0.0);
    vec![
        Measurement::new("idle cost", OURS, "per frame", added, sizes.idle_frames as u64)
            .note(format!("{} idle tasks; frame-hook window {baseline:.0} ns without them", sizes.idle_tasks)),
    ]
}

async fn average_window(frame_count: usize) -> f64 {
    record_hook_windows(true);
    frames(frame_count as u32).await;
    let windows = record_hook_windows(false);
    windows.iter().sum::<f64>() / windows.len().max(1) as f64
}
