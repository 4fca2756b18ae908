//! The executor's host in Godot: flush requests become one deferred engine call.

use std::cell::RefCell;

use godot::prelude::*;
use godot_tasks_executor::{Host, PanicReport};

pub(super) struct GodotHost;

thread_local! {
    /// The deferred-flush callable, made once and reused for every flush request.
    static FLUSH_CALLABLE: RefCell<super::LeakAtThreadExit<Callable>> =
        const { RefCell::new(super::LeakAtThreadExit(None)) };
}

/// Frees the cached callable while the engine is still alive (at engine exit).
pub(super) fn release_engine_objects() {
    let callable = FLUSH_CALLABLE.with_borrow_mut(|cached| cached.0.take());
    drop(callable);
}

impl Host for GodotHost {
    fn request_flush(&self) {
        FLUSH_CALLABLE.with_borrow_mut(|cached| {
            cached
                .0
                .get_or_insert_with(|| Callable::from_fn("godot_tasks::flush", |_args| super::flush()))
                .call_deferred(&[]);
        });
    }

    // Wakes from other threads are picked up by the frame hook, at the latest one frame later: calling into
    // the engine from an arbitrary thread is exactly what this runtime exists to avoid.

    fn report_panic(&self, report: &PanicReport) {
        godot_error!("godot-tasks: {} panicked: {}", report.task(), report.message);
    }
}
