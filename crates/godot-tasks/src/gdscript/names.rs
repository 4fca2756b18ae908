//! Engine strings the bridge uses on every call, made once per engine run.

use std::cell::RefCell;

use godot::builtin::{GString, StringName};

use crate::runtime::{self, LeakAtThreadExit};

struct Names {
    /// The signal of `RustTask` and of GDScript's function states.
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

fn with_names<R>(f: impl FnOnce(&Names) -> R) -> R {
    if runtime::engine_exiting() {
        // Released already (or about to be): make them for this use only.
        return f(&Names::new());
    }
    NAMES.with_borrow_mut(|names| f(names.0.get_or_insert_with(Names::new)))
}

/// `completed`.
pub(super) fn completed() -> StringName {
    with_names(|names| names.completed.clone())
}

/// `GDScriptFunctionState`.
pub(super) fn function_state() -> GString {
    with_names(|names| names.function_state.clone())
}

/// Releases the names while the engine is still alive (at engine exit).
pub(crate) fn release_engine_objects() {
    let names = NAMES.with_borrow_mut(|names| names.0.take());
    drop(names);
}
