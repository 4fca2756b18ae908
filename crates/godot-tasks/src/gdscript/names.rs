//! Engine strings the bridge uses on every call, made once per engine run.

use std::cell::RefCell;

use godot::builtin::{GString, StringName};

use crate::runtime::{self, LeakAtThreadExit};

struct Names {
    /// The signal of GDScript's function states, and of task objects.
    completed: StringName,
    /// The class of a suspended GDScript coroutine.
    function_state: GString,
    /// The task object script's method that records the outcome (see `task_object.rs`).
    task_end: StringName,
    /// The task object script's method that emits `completed` with null, deferred.
    task_emit_null: StringName,
    /// The task object script's static variable holding its way into the library.
    task_rust: StringName,
}

thread_local! {
    static NAMES: RefCell<LeakAtThreadExit<Names>> = const { RefCell::new(LeakAtThreadExit(None)) };
}

impl Names {
    fn new() -> Self {
        Self {
            completed: StringName::from("completed"),
            function_state: GString::from("GDScriptFunctionState"),
            task_end: StringName::from("_end"),
            task_emit_null: StringName::from("_emit_null"),
            task_rust: StringName::from("_rust"),
        }
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

/// `_end`, of the task object script.
pub(super) fn task_end() -> StringName {
    cached(|names| names.task_end.clone())
}

/// `_emit_null`, of the task object script.
pub(super) fn task_emit_null() -> StringName {
    cached(|names| names.task_emit_null.clone())
}

/// `_rust`, of the task object script.
pub(super) fn task_rust() -> StringName {
    cached(|names| names.task_rust.clone())
}

/// Releases the names while the engine is still alive (at engine exit).
pub(crate) fn release_engine_objects() {
    let names = NAMES.with_borrow_mut(|names| names.0.take());
    drop(names);
}
