//! The executor's host in Godot: flush requests become one deferred engine call.
//!
//! The deferred call goes through a relay: a plain engine object whose user signal `flush` is connected to
//! the runtime's flush. Godot keeps deferred calls in its message queue, and a deferred call straight to a
//! Rust callable would still be called after the extension was unloaded (a crash). When the runtime stops,
//! the relay is disconnected and freed, so a deferred call still queued then reaches nothing, silently.

use std::cell::RefCell;

use godot::prelude::*;
use godot_tasks_executor::{Host, PanicReport};

pub(super) struct GodotHost;

struct Relay {
    /// A plain `Object` with the user signal `flush`.
    object: Gd<Object>,
    /// `object.emit_signal("flush")`: what is deferred.
    request: Callable,
    /// The runtime's flush, connected to `flush`.
    flush: Callable,
}

thread_local! {
    /// The flush relay, made once per runtime and reused for every flush request.
    static RELAY: RefCell<super::LeakAtThreadExit<Relay>> = const { RefCell::new(super::LeakAtThreadExit(None)) };
}

impl Relay {
    fn new() -> Self {
        let mut object = Object::new_alloc();
        object.add_user_signal("flush");
        let flush = Callable::from_fn("godot_tasks::flush", |_args| super::flush());
        object.connect("flush", &flush);
        let request = Callable::from_object_method(&object, "emit_signal").bindv(&varray!["flush"]);
        Self { object, request, flush }
    }
}

/// Disconnects and frees the flush relay (when the runtime stops): a flush still queued reaches nothing.
pub(super) fn release_engine_objects() {
    let relay = RELAY.try_with(|relay| relay.borrow_mut().0.take()).ok().flatten();
    if let Some(Relay { mut object, request, flush }) = relay {
        object.disconnect("flush", &flush);
        object.free();
        drop((request, flush));
    }
}

impl Host for GodotHost {
    fn request_flush(&self) {
        RELAY.with_borrow_mut(|relay| relay.0.get_or_insert_with(Relay::new).request.call_deferred(&[]));
    }

    // Wakes from other threads are picked up by the frame hook, at the latest one frame later: calling into
    // the engine from an arbitrary thread is exactly what this runtime exists to avoid.

    fn report_panic(&self, report: &PanicReport) {
        godot_error!("godot-tasks: {} panicked: {}", report.task(), report.message);
    }
}
