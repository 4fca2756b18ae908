//! Engine strings the bridge uses on every call, made once per engine run.

use std::cell::RefCell;

use godot::builtin::{GString, StringName};

use crate::runtime::{self, LeakAtThreadExit};

struct Names {
    /// The signal of GDScript's function states.
    completed: StringName,
    /// The class of a suspended GDScript coroutine.
    function_state: GString,
}

thread_local! {
    static NAMES: RefCell<LeakAtThreadExit<Names>> = const { RefCell::new(LeakAtThreadExit(None)) };
}

impl Names {
    fn new() -> Self {
        Self { completed: StringName::from("completed"), function_state: GString::from("GDScriptFunctionState") }
    }
}

/// What `pick` takes from the cached names; from names made for this use only during engine exit (when the
/// cache is released, or about to be) and once the thread-local is gone.
fn cached<T>(pick: fn(&Names) -> T) -> T {
    if runtime::engine_exiting() {
        return pick(&Names::new());
    }
    runtime::with_registry(&NAMES, "bridge name cache", Names::new, |names| pick(names))
        .unwrap_or_else(|| pick(&Names::new()))
}

/// `completed`.
pub(super) fn completed() -> StringName {
    cached(|names| names.completed.clone())
}

/// `GDScriptFunctionState`.
pub(super) fn function_state() -> GString {
    cached(|names| names.function_state.clone())
}

/// Releases the names while the engine is still alive (at engine exit).
pub(crate) fn release_engine_objects() {
    let names = NAMES.with_borrow_mut(|names| names.0.take());
    drop(names);
}
