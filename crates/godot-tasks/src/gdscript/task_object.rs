//! The object GDScript sees for a Rust task it awaits: a `RefCounted` with a script godot-tasks makes.
//!
//! Why a script and not a registered class: a class name is global in Godot, and every extension that links
//! godot-tasks would register the same one (the second extension then fails to load). A script made at run
//! time has no global name, and its state lives in the engine, so it stays valid across an editor hot reload
//! of the extension. Its only way into the library is one callable shared by every task object (a static
//! variable of the script), which the runtime clears when it stops for good.
//!
//! Cost matters here (every `await` of a Rust func from GDScript makes one): a task object costs its
//! creation, one entry in [`TASKS`] while it runs, and one script call when it ends.

use std::cell::RefCell;
use std::collections::HashMap;
use std::panic::Location;
use std::sync::Arc;

use godot::classes::GDScript;
use godot::obj::InstanceId;
use godot::prelude::*;
use godot_tasks_executor::CancelHandle;

use super::names;
use crate::JoinHandle;
use crate::runtime::{self, LeakAtThreadExit};

/// The script of every task object (`@tool`: in the editor, a script without it does not run, so tool
/// classes could not be awaited). Its one field is set from Rust only (through `_end`); GDScript reads it
/// through the methods. One field, not one per value: every field costs each task object's creation. See
/// the [module docs](super#what-gdscript-sees) for what each method does.
const SOURCE: &str = r#"@tool
extends RefCounted
## A Rust task that GDScript can await (made by godot-tasks): await `completed`, or `await wait()`.

signal completed(result)

## The Rust side: `_rust.call(op, task)`, op 0 cancels, op 1 names the task. Cleared when it goes away.
static var _rust := Callable()

## Null while the task runs; then [result, error, cancelled, name].
var _end_state = null


func is_done() -> bool:
	return _end_state != null


func is_cancelled() -> bool:
	return _end_state != null and _end_state[2]


func get_result():
	return null if _end_state == null else _end_state[0]


func get_error() -> String:
	return "" if _end_state == null else _end_state[1]


func get_task_name() -> String:
	if _end_state == null:
		return _rust.call(1, self) if _rust.is_valid() else ""
	return _end_state[3]


func cancel() -> void:
	if _end_state == null and _rust.is_valid():
		_rust.call(0, self)


func wait():
	if _end_state == null:
		return completed
	return _end_state[0]


# Called by Rust when the task ends.
func _end(result, error: String, cancelled: bool, name: String, emit: bool) -> void:
	_end_state = [result, error, cancelled, name]
	if emit:
		completed.emit(result)


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

/// The task objects' script, made once per engine run.
struct Script(Gd<GDScript>);

/// A running task, as the script's Rust side knows it.
struct Running {
    cancel: CancelHandle,
    /// Whether GDScript called `cancel()` (which is then not reported as an error).
    cancel_requested: bool,
    name: Option<Arc<str>>,
    spawned_at: &'static Location<'static>,
}

thread_local! {
    static SCRIPT: RefCell<LeakAtThreadExit<Script>> = const { RefCell::new(LeakAtThreadExit(None)) };
    /// The running tasks that have a task object, by the object's id.
    static TASKS: RefCell<LeakAtThreadExit<HashMap<InstanceId, Running>>> =
        const { RefCell::new(LeakAtThreadExit(None)) };
    /// Tasks cancelled because the extension is being unloaded, resumed at the end of the unload's stop.
    static UNLOADED: RefCell<LeakAtThreadExit<Vec<TaskObject>>> = const { RefCell::new(LeakAtThreadExit(None)) };
}

impl Script {
    /// The script, connected to the Rust side if `connected`. Only the cached script is: once the runtime has
    /// stopped for good nothing may point into the library any more (a GDScript resource can outlive its
    /// last reference from here).
    fn new(connected: bool) -> Self {
        let mut script = GDScript::new_gd();
        script.set_source_code(SOURCE);
        let compiled = script.reload();
        assert_eq!(compiled, godot::global::Error::OK, "godot-tasks: the task object's script did not compile");
        if connected {
            script.set(&names::task_rust(), &Callable::from_fn("godot_tasks::task_object", from_gdscript).to_variant());
        }
        Self(script)
    }

    fn cached() -> Self {
        Self::new(true)
    }
}

/// `_rust.call(op, task)` from the script: 0 cancels the task, 1 names it.
fn from_gdscript(args: &[&Variant]) -> Variant {
    let (Some(op), Some(task)) = (args.first(), args.get(1)) else { return Variant::nil() };
    let Ok(task) = task.try_to::<Gd<Object>>() else { return Variant::nil() };
    let id = task.instance_id();
    match op.try_to::<i64>() {
        Ok(0) => {
            let cancel = with_tasks(|tasks| {
                let running = tasks.get_mut(&id)?;
                running.cancel_requested = true;
                Some(running.cancel.clone())
            });
            // Outside the registry: cancelling may drop the task's future, whose drop reads the registry.
            if let Some(cancel) = cancel.flatten() {
                cancel.cancel();
            }
            Variant::nil()
        }
        Ok(1) => {
            with_tasks(|tasks| tasks.get(&id).map(|running| task_name(running.name.as_deref(), running.spawned_at)))
                .flatten()
                .unwrap_or_default()
                .to_variant()
        }
        _ => Variant::nil(),
    }
}

fn with_tasks<R>(f: impl FnOnce(&mut HashMap<InstanceId, Running>) -> R) -> Option<R> {
    runtime::with_registry(&TASKS, "task object registry", HashMap::new, f)
}

/// The cached script; one made for this use only, and not connected to the Rust side, once the runtime
/// stopped for good (the cache is released then, and must not fill again) and once the thread-local is gone.
fn script() -> Gd<GDScript> {
    if runtime::engine_exiting() {
        return Script::new(false).0;
    }
    runtime::with_registry(&SCRIPT, "task script cache", Script::cached, |script| script.0.clone())
        .unwrap_or_else(|| Script::new(false).0)
}

/// Resumes the GDScript awaits of the tasks that the unload cancelled, with null: called at the end of the
/// unload's stop, when no task runs any more (GDScript resuming here can no longer spawn).
pub(crate) fn resume_unloaded() {
    // GDScript resumed here may start awaitables again, which the closed runtime ends at once (and lists
    // here): resume those too, a bounded number of rounds.
    for _ in 0..64 {
        let unloaded = UNLOADED.try_with(|unloaded| unloaded.borrow_mut().0.take()).ok().flatten();
        let Some(unloaded) = unloaded.filter(|tasks| !tasks.is_empty()) else { return };
        for task in unloaded {
            task.emit_now(&Variant::nil());
        }
    }
}

/// Releases the script while the engine is still alive (at engine exit or unload), after clearing its way
/// into the library: task objects (and with them the script) may outlive the library.
pub(crate) fn release_engine_objects() {
    let script = SCRIPT.try_with(|script| script.borrow_mut().0.take()).ok().flatten();
    if let Some(Script(mut script)) = script {
        script.set(&names::task_rust(), &Callable::invalid().to_variant());
    }
    let tasks = TASKS.try_with(|tasks| tasks.borrow_mut().0.take()).ok().flatten();
    drop(tasks);
}

/// A task object, seen from Rust.
#[derive(Clone)]
pub(super) struct TaskObject(Gd<RefCounted>);

impl TaskObject {
    /// A running task, not yet attached to its Rust task.
    pub(super) fn start() -> Self {
        Self(script().call("new", &[]).to())
    }

    /// The signal GDScript awaits.
    pub(super) fn completed_signal(&self) -> Signal {
        Signal::from_object_signal(&self.0, &names::completed())
    }

    /// Ties the object to the Rust task of `handle` (before that task first runs): `cancel()` cancels it.
    pub(super) fn attach<T: 'static>(&self, handle: &JoinHandle<T>) {
        let running = Running {
            cancel: handle.cancel_handle(),
            cancel_requested: false,
            name: handle.name().map(Arc::from),
            spawned_at: handle.spawned_at(),
        };
        let _ = with_tasks(|tasks| tasks.insert(self.0.instance_id(), running));
    }

    /// Whether GDScript called `cancel()` while the task ran.
    pub(super) fn cancel_requested(&self) -> bool {
        with_tasks(|tasks| tasks.get(&self.0.instance_id()).is_some_and(|running| running.cancel_requested))
            .unwrap_or(false)
    }

    /// Records the task's value and emits `completed` with it; GDScript resumes inside this call.
    pub(super) fn finish(mut self, value: &Variant, name: &str) {
        self.end(value, "", false, name, true);
    }

    /// Records a panic and emits `completed` with null; GDScript resumes inside this call.
    pub(super) fn panicked(mut self, message: &str, name: &str) {
        self.end(&Variant::nil(), &format!("panicked: {message}"), false, name, true);
    }

    /// Records a cancellation; `completed` is emitted with null by the engine's deferred calls, later in
    /// this frame: never inside the call that cancelled (GDScript may await right after `cancel()`), and
    /// whether or not the library is still loaded by then. The deferred call holds a reference to the object
    /// until then (nothing else may).
    pub(super) fn cancelled(mut self, by: Cancellation, name: &str) {
        let error = match by {
            Cancellation::Requested => "cancelled by cancel()",
            Cancellation::Rust => "cancelled",
            Cancellation::Shutdown => "cancelled: the runtime shut down",
        };
        self.end(&Variant::nil(), error, true, name, false);
        if runtime::unloading() {
            // The editor reloads scripts around an unload, which loses this script's methods before a deferred
            // call would run: resume GDScript at the end of the stop instead.
            let _ = UNLOADED.try_with(|unloaded| unloaded.borrow_mut().0.get_or_insert_with(Vec::new).push(self));
        } else {
            let emit_null = names::task_emit_null();
            let this = self.0.to_variant();
            self.0.call_deferred(&emit_null, &[this]);
        }
    }

    /// Records the outcome (and emits `completed` with `result` if `emit`), forgetting the running task.
    fn end(&mut self, result: &Variant, error: &str, cancelled: bool, name: &str, emit: bool) {
        let running = with_tasks(|tasks| tasks.remove(&self.0.instance_id())).flatten();
        drop(running); // (a cancel handle: nothing of the task's own runs in its drop)
        let end = names::task_end();
        let args = [result.clone(), error.to_variant(), cancelled.to_variant(), name.to_variant(), emit.to_variant()];
        // GDScript resumes inside this call when `emit` is set.
        self.0.call(&end, &args);
    }

    fn emit_now(mut self, result: &Variant) {
        let completed = names::completed();
        self.0.emit_signal(&completed, std::slice::from_ref(result));
    }
}

/// What `get_task_name()` returns: the Rust name, or where the task was spawned.
pub(super) fn task_name(name: Option<&str>, spawned_at: &'static Location<'static>) -> String {
    match name {
        Some(name) => name.to_owned(),
        None => format!("task spawned at {spawned_at}"),
    }
}
