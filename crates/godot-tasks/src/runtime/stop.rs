//! How the runtime stops: one sequence for `shutdown()`, engine exit and unload (see the module docs).

use super::context::with_context;
use super::relay;

/// Why the runtime stops.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Stop {
    /// [`shutdown`](super::shutdown): the next `spawn` starts a fresh runtime.
    Shutdown,
    /// The engine tears the scene tree down for good.
    EngineExit,
    /// The editor unloads (or hot-reloads) this extension: its code goes away while the engine lives on.
    Unload,
}

/// Stops the runtime (see the module docs for the order). Called on the main thread.
pub(crate) fn stop(reason: Stop) {
    // After an engine exit or unload the closed executor stays installed, so that spawns during the rest of
    // the teardown are refused; after a shutdown the next spawn starts a fresh runtime.
    let (executor, hooks, removed) = with_context(|cx| {
        if reason == Stop::Shutdown {
            cx.generation.set(cx.generation.get() + 1);
        } else {
            cx.closed.set(Some(reason));
        }
        let mut slot = cx.runtime.borrow_mut();
        let mut removed = if reason == Stop::Shutdown { slot.take() } else { None };
        let Some(runtime) = removed.as_mut().or(slot.as_mut()) else { return (None, None, None) };
        (Some(runtime.executor.clone()), runtime.hooks.take(), removed)
    })
    .unwrap_or((None, None, None));
    if let Some(hooks) = hooks {
        hooks.detach();
    }
    super::monitors::unregister();
    super::inspector::unregister();
    // Before the tasks are dropped: a destructor that spawns into the next runtime (after a shutdown) makes
    // that runtime's own relay.
    relay::release_engine_objects();
    if let Some(executor) = executor {
        // Outside the borrow: destructors of the futures may spawn (refused, or into the next runtime) or cancel.
        executor.shutdown();
    }
    drop(removed);
    for service in crate::SERVICES {
        (service.stop)(reason);
    }
    if reason != Stop::Shutdown {
        relay::release_engine_objects(); // in case a destructor or a service asked for a flush of the closed runtime
    }
}
