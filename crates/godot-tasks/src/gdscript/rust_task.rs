//! `RustTask`: the engine object GDScript sees for a Rust task it awaits.

use std::panic::Location;

use godot::prelude::*;
use godot_tasks_executor::CancelHandle;

use super::names;
use crate::JoinHandle;

/// A Rust task seen from GDScript: what an [`awaitable`](super::awaitable) `#[func]` hands out.
///
/// The `#[func]` returns this object's `completed` signal, so `await` in GDScript waits for the task and
/// yields its value. The object itself is reachable from the signal with `get_object()`:
///
/// ```gdscript
/// var level = await $Loader.load_level("forest")   # waits, yields the value (null if it failed)
///
/// var loading: Signal = $Loader.load_level("cave") # starts it without waiting
/// var task: RustTask = loading.get_object()
/// if not task.is_done():
///     task.cancel()                                # `await loading` resumes with null
/// var value = await task.wait()                    # never hangs, even after completion
/// ```
///
/// - `completed(result)`: emitted once, when the task ends: with its value, or with `null` if it panicked
///   or was cancelled. Never emitted inside a call from GDScript (not inside `cancel()`), so a coroutine
///   that cancels and then awaits is resumed.
/// - `is_done()`, `is_cancelled()`, `get_result()` (`null` until done), `get_error()` (empty unless it
///   panicked or was cancelled), `get_task_name()`.
/// - `cancel()`: cancels the Rust task (its future is dropped on the main thread, not polled again);
///   `completed` is emitted with `null` later in the frame. Does nothing once done.
/// - `wait()`: the `completed` signal while running, the result once done; `await task.wait()` therefore
///   never waits for an emission that already happened.
///
/// The runtime keeps the object alive until `completed` is emitted. It cannot be made with `new()`.
#[derive(GodotClass)]
#[class(no_init, base = RefCounted)]
pub struct RustTask {
    /// The Rust task's name, if it has one.
    name: Option<String>,
    spawned_at: Option<&'static Location<'static>>,
    state: State,
    /// Cancels the Rust task while it runs.
    cancel: Option<CancelHandle>,
    /// Whether GDScript asked for the cancellation (which is then not reported as an error).
    cancel_requested: bool,
    base: Base<RefCounted>,
}

enum State {
    Running,
    Done(Variant),
    Panicked(String),
    Cancelled(Cancellation),
}

/// Who ended a task early.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Cancellation {
    /// GDScript, with `cancel()`.
    Requested,
    /// Rust: its bound object was freed, or its node left the tree.
    Rust,
    /// `runtime::shutdown()`.
    Shutdown,
}

#[godot_api]
impl RustTask {
    /// Emitted once, when the task ends: its value, or `null` if it panicked or was cancelled.
    #[signal]
    pub(crate) fn completed(result: Variant);

    /// Whether the task has ended (with a value, a panic or a cancellation).
    #[func]
    fn is_done(&self) -> bool {
        !matches!(self.state, State::Running)
    }

    /// Whether the task was cancelled (from GDScript or from Rust).
    #[func]
    fn is_cancelled(&self) -> bool {
        matches!(self.state, State::Cancelled(_))
    }

    /// The task's value once it is done, `null` before or if it failed.
    #[func]
    fn get_result(&self) -> Variant {
        match &self.state {
            State::Done(value) => value.clone(),
            _ => Variant::nil(),
        }
    }

    /// Why the task failed: its panic message or a cancellation; empty while running or after a value.
    #[func]
    fn get_error(&self) -> GString {
        match &self.state {
            State::Panicked(message) => GString::from(&format!("panicked: {message}")),
            State::Cancelled(Cancellation::Requested) => "cancelled by cancel()".into(),
            State::Cancelled(Cancellation::Rust) => "cancelled".into(),
            State::Cancelled(Cancellation::Shutdown) => "cancelled: the runtime shut down".into(),
            State::Running | State::Done(_) => GString::new(),
        }
    }

    /// The task's name: its Rust name, or where it was spawned.
    #[func]
    fn get_task_name(&self) -> GString {
        match (&self.name, self.spawned_at) {
            (Some(name), _) => name.as_str().into(),
            (None, Some(at)) => GString::from(&format!("task spawned at {at}")),
            (None, None) => GString::new(),
        }
    }

    /// Cancels the task if it is running; `completed` is emitted with `null` later in this frame.
    #[func]
    fn cancel(&mut self) {
        if let (State::Running, Some(cancel)) = (&self.state, &self.cancel) {
            self.cancel_requested = true;
            cancel.cancel();
        }
    }

    /// What to `await`: the `completed` signal while running, the result once done.
    #[func]
    fn wait(&self) -> Variant {
        match &self.state {
            State::Running => Signal::from_object_signal(&self.to_gd(), "completed").to_variant(),
            _ => self.get_result(),
        }
    }
}

impl RustTask {
    /// A running task, not yet attached to its Rust task.
    pub(super) fn start() -> Gd<Self> {
        Gd::from_init_fn(|base| Self {
            name: None,
            spawned_at: None,
            state: State::Running,
            cancel: None,
            cancel_requested: false,
            base,
        })
    }

    /// The signal GDScript awaits.
    pub(super) fn completed_signal(task: &Gd<Self>) -> Signal {
        Signal::from_object_signal(task, &names::completed())
    }

    /// Ties `task` to the Rust task of `handle` (before that task first runs).
    pub(super) fn attach<T: 'static>(mut task: Gd<Self>, handle: &JoinHandle<T>) {
        let mut this = task.bind_mut();
        this.name = handle.name().map(str::to_owned);
        this.spawned_at = Some(handle.spawned_at());
        if matches!(this.state, State::Running) {
            this.cancel = Some(handle.cancel_handle());
        }
    }

    /// Emits `completed` with `result`; GDScript resumes inside this call.
    pub(super) fn emit_completed(task: Gd<Self>, result: &Variant) {
        task.upcast::<Object>().emit_signal(&names::completed(), std::slice::from_ref(result));
    }

    /// "task 'NAME' spawned at LOCATION", or "task spawned at LOCATION".
    pub(super) fn label(&self) -> String {
        let at = self.spawned_at.map_or_else(|| "?".to_owned(), ToString::to_string);
        match &self.name {
            Some(name) => format!("task '{name}' spawned at {at}"),
            None => format!("task spawned at {at}"),
        }
    }

    /// Whether GDScript called `cancel()` while the task ran.
    pub(super) fn cancel_requested(&self) -> bool {
        self.cancel_requested
    }
    /// Records the value; the caller emits `completed` afterwards, outside any borrow.
    pub(super) fn finish(&mut self, value: Variant) {
        self.state = State::Done(value);
        self.cancel = None;
    }

    /// Records a panic.
    pub(super) fn panicked(&mut self, message: &str) {
        self.state = State::Panicked(message.to_owned());
        self.cancel = None;
    }

    /// Records a cancellation.
    pub(super) fn cancelled(&mut self, by: Cancellation) {
        self.state = State::Cancelled(by);
        self.cancel = None;
    }
}
