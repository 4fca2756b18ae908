//! The object GDScript sees for a Rust task it awaits: a `RefCounted` with a script godot-tasks makes.
//!
//! Why a script and not a registered class: a class name is global in Godot, and every extension that links
//! godot-tasks would register the same one (the second extension then fails to load). A script made at run
//! time has no global name, and its state lives in the engine, so it stays valid across an editor hot reload
//! of the extension; the only pointer into the library it holds, the cancel callable, is cleared as soon as
//! the task ends (and every task ends before the library is unloaded).

use std::cell::RefCell;
use std::panic::Location;

use godot::classes::GDScript;
use godot::prelude::*;
use godot_tasks_executor::CancelHandle;

use crate::JoinHandle;
use crate::runtime::{self, LeakAtThreadExit};

/// The script of every task object. Its fields are set from Rust only; GDScript reads them through the
/// methods. See the [module docs](super#what-gdscript-sees) for what each method does.
const SOURCE: &str = r#"extends RefCounted
## A Rust task that GDScript can await (made by godot-tasks): await `completed`, or `await wait()`.

signal completed(result)

var _done := false
var _cancelled := false
var _cancel_requested := false
var _result = null
var _error := ""
var _name := ""
var _cancel := Callable()


func is_done() -> bool:
	return _done


func is_cancelled() -> bool:
	return _cancelled


func get_result():
	return _result


func get_error() -> String:
	return _error


func get_task_name() -> String:
	return _name


func cancel() -> void:
	if not _done and not _cancel_requested:
		_cancel_requested = true
		_cancel.call()


func wait():
	if _done:
		return _result
	return completed


# Deferred by Rust after a cancellation; the argument (this object) keeps it alive until then.
func _emit_null(_self_reference) -> void:
	completed.emit(null)
"#;

/// Who ended a task early.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Cancellation {
    /// GDScript, with `cancel()`.
    Requested,
    /// Rust: its bound object was freed, or its node left the tree.
    Rust,
    /// `runtime::shutdown()`, or the extension being unloaded.
    Shutdown,
}

/// The names of the script's fields and signal, made once per engine run.
struct Names {
    script: Gd<GDScript>,
    completed: StringName,
    emit_null: StringName,
    done: StringName,
    cancelled: StringName,
    cancel_requested: StringName,
    result: StringName,
    error: StringName,
    name: StringName,
    cancel: StringName,
}

thread_local! {
    static NAMES: RefCell<LeakAtThreadExit<Names>> = const { RefCell::new(LeakAtThreadExit(None)) };
    /// Tasks cancelled because the extension is being unloaded, resumed at the end of the unload's stop.
    static UNLOADED: RefCell<LeakAtThreadExit<Vec<TaskObject>>> = const { RefCell::new(LeakAtThreadExit(None)) };
}

impl Names {
    fn new() -> Self {
        let mut script = GDScript::new_gd();
        script.set_source_code(SOURCE);
        let compiled = script.reload();
        assert_eq!(compiled, godot::global::Error::OK, "godot-tasks: the task object's script did not compile");
        Self {
            script,
            completed: "completed".into(),
            emit_null: "_emit_null".into(),
            done: "_done".into(),
            cancelled: "_cancelled".into(),
            cancel_requested: "_cancel_requested".into(),
            result: "_result".into(),
            error: "_error".into(),
            name: "_name".into(),
            cancel: "_cancel".into(),
        }
    }
}

/// Runs `f` with the cached script and names; with ones made for this use only once the runtime stopped for
/// good (the cache is released then, and must not fill again) and once the thread-local is gone.
fn with_names<R>(f: impl FnOnce(&Names) -> R) -> R {
    if runtime::engine_exiting() {
        return f(&Names::new());
    }
    let mut f = Some(f);
    let mut call = |names: &Names| f.take().expect("called once")(names);
    match runtime::with_registry(&NAMES, "task script cache", Names::new, |names| call(names)) {
        Some(result) => result,
        None => call(&Names::new()),
    }
}

/// Resumes the GDScript awaits of the tasks that the unload cancelled, with null: called at the end of the
/// unload's stop, when no task runs any more (GDScript resuming here can no longer spawn).
pub(crate) fn resume_unloaded() {
    let unloaded = UNLOADED.try_with(|unloaded| unloaded.borrow_mut().0.take()).ok().flatten();
    for task in unloaded.into_iter().flatten() {
        task.emit_now(&Variant::nil());
    }
}

/// Releases the script and names while the engine is still alive (at engine exit or unload).
pub(crate) fn release_engine_objects() {
    let names = NAMES.try_with(|names| names.borrow_mut().0.take()).ok().flatten();
    drop(names);
}

/// A task object, seen from Rust.
#[derive(Clone)]
pub(super) struct TaskObject(Gd<RefCounted>);

impl TaskObject {
    /// A running task, not yet attached to its Rust task.
    pub(super) fn start() -> Self {
        let mut object = RefCounted::new_gd();
        with_names(|names| object.set_script(&names.script));
        Self(object)
    }

    /// The signal GDScript awaits.
    pub(super) fn completed_signal(&self) -> Signal {
        with_names(|names| Signal::from_object_signal(&self.0, &names.completed))
    }

    /// Ties the object to the Rust task of `handle` (before that task first runs): `cancel()` cancels it.
    pub(super) fn attach<T: 'static>(&mut self, handle: &JoinHandle<T>) {
        let cancel: CancelHandle = handle.cancel_handle();
        let cancel = Callable::from_fn("godot_tasks::cancel", move |_args| cancel.cancel());
        let name = label_name(handle.name(), handle.spawned_at());
        with_names(|names| {
            self.0.set(&names.cancel, &cancel.to_variant());
            self.0.set(&names.name, &name.to_variant());
        });
    }

    /// Whether GDScript called `cancel()` while the task ran.
    pub(super) fn cancel_requested(&self) -> bool {
        with_names(|names| self.0.get(&names.cancel_requested).try_to::<bool>().unwrap_or(false))
    }

    /// Records the task's value and emits `completed` with it; GDScript resumes inside this call.
    pub(super) fn finish(mut self, value: &Variant) {
        with_names(|names| {
            self.end(names);
            self.0.set(&names.result, value);
        });
        self.emit_now(value);
    }

    /// Records a panic and emits `completed` with null; GDScript resumes inside this call.
    pub(super) fn panicked(mut self, message: &str) {
        with_names(|names| {
            self.end(names);
            self.0.set(&names.error, &format!("panicked: {message}").to_variant());
        });
        self.emit_now(&Variant::nil());
    }

    /// Records a cancellation; `completed` is emitted with null by the engine's deferred calls, later in
    /// this frame: never inside the call that cancelled (GDScript may await right after `cancel()`), and
    /// whether or not the library is still loaded by then. The deferred call holds a reference to the object
    /// until then (nothing else may).
    pub(super) fn cancelled(mut self, by: Cancellation) {
        let error = match by {
            Cancellation::Requested => "cancelled by cancel()",
            Cancellation::Rust => "cancelled",
            Cancellation::Shutdown => "cancelled: the runtime shut down",
        };
        let unloading = runtime::unloading();
        with_names(|names| {
            self.end(names);
            self.0.set(&names.cancelled, &true.to_variant());
            self.0.set(&names.error, &error.to_variant());
            if !unloading {
                let this = self.0.to_variant();
                self.0.call_deferred(&names.emit_null, &[this]);
            }
        });
        if unloading {
            // The editor reloads scripts around an unload, which loses this script's methods before a deferred
            // call would run: resume GDScript at the end of the stop instead.
            let _ = UNLOADED.try_with(|unloaded| unloaded.borrow_mut().0.get_or_insert_with(Vec::new).push(self));
        }
    }

    /// Marks the task done and drops its cancel callable (the object may outlive the library).
    fn end(&mut self, names: &Names) {
        self.0.set(&names.done, &true.to_variant());
        self.0.set(&names.cancel, &Callable::invalid().to_variant());
    }

    fn emit_now(mut self, result: &Variant) {
        let completed = with_names(|names| names.completed.clone());
        self.0.emit_signal(&completed, std::slice::from_ref(result));
    }
}

/// What `get_task_name()` returns: the Rust name, or where the task was spawned.
fn label_name(name: Option<&str>, spawned_at: &'static Location<'static>) -> String {
    match name {
        Some(name) => name.to_owned(),
        None => format!("task spawned at {spawned_at}"),
    }
}
