//! The executor's host in Godot: flush requests become one deferred engine call (through the relay).

use godot::prelude::*;
use godot_tasks_executor::{Host, PanicReport, SlowPoll};

use super::relay::with_relay;

pub(super) struct GodotHost;

impl Host for GodotHost {
    fn request_flush(&self) {
        // Once the runtime stopped for good there is nothing to flush: the executor is shut down.
        let _ = with_relay(|relay| relay.request_flush.call_deferred(&[]));
    }

    // Wakes from other threads are picked up by the frame hook, at the latest one frame later: calling into
    // the engine from an arbitrary thread is exactly what this runtime exists to avoid.

    fn report_panic(&self, report: &PanicReport) {
        godot_error!("godot-tasks: {} panicked: {}", report.task(), report.message);
    }

    fn report_slow_poll(&self, report: &SlowPoll) {
        godot_warn!(
            "godot-tasks: {} took {:.1} ms in one poll (the warning threshold is {:.1} ms), a frame hitch: move \
             heavy work to `threads::spawn_compute` or `threads::spawn_blocking`, or `yield_now().await` between \
             steps (`runtime::set_slow_poll_warning` sets the threshold, `None` turns this off)",
            report.task(),
            report.took.as_secs_f64() * 1000.0,
            report.limit.as_secs_f64() * 1000.0
        );
    }
}
