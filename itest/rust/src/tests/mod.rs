//! Every integration test, grouped by behaviour.

mod cancel;
mod errors;
mod gdscript_bridge;
mod gdscript_timing;
mod inspector;
mod level_flow;
mod lifecycle;
mod lifetimes;
mod monitors;
mod panics;
mod resources;
mod signal_connections;
mod signal_streams;
mod signal_threads;
mod signals;
mod slow_polls;
mod spawn;
mod support;
mod task_snapshot;
mod threads;
mod time;
mod timing_parity;
mod wakes;

pub fn all() -> Vec<crate::harness::Test> {
    [
        spawn::all(),
        cancel::all(),
        wakes::all(),
        panics::all(),
        lifecycle::all(),
        signals::all(),
        signal_streams::all(),
        signal_connections::all(),
        signal_threads::all(),
        time::all(),
        lifetimes::all(),
        threads::all(),
        gdscript_bridge::all(),
        errors::all(),
        gdscript_timing::all(),
        timing_parity::all(),
        level_flow::all(),
        monitors::all(),
        slow_polls::all(),
        task_snapshot::all(),
        inspector::all(),
        resources::all(),
    ]
    .into_iter()
    .flatten()
    .collect()
}
