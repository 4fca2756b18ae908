//! The executor's host in Godot: flush requests become one deferred engine call.

use godot::prelude::*;
use godot_tasks_executor::{Host, PanicReport};

pub(super) struct GodotHost;

thread_local! {
    /// Created once per thread that requests flushes (only the main thread does).
    static FLUSH_CALLABLE: Callable = Callable::from_fn("godot_tasks::flush", |_args| super::flush());
}

impl Host for GodotHost {
    fn request_flush(&self) {
        FLUSH_CALLABLE.with(|flush| flush.call_deferred(&[]));
    }

    // Wakes from other threads are picked up by the frame hook, at the latest one frame later: calling into
    // the engine from an arbitrary thread is exactly what this runtime exists to avoid.

    fn report_panic(&self, report: &PanicReport) {
        godot_error!("godot-tasks: task spawned at {} panicked: {}", report.spawned_at, report.message);
    }
}
