//! Rust → GDScript: a Rust task GDScript can `await`.

use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use godot::global::godot_error;
use godot::prelude::*;
use godot_tasks_executor::TaskLabel;
use pin_project_lite::pin_project;

use super::task_object::{Cancellation, TaskObject, task_name};
use crate::{TaskBuilder, runtime};

/// Spawns `future` as a task and returns a `Signal` that GDScript can `await` for its value: the body of
/// an `async`-style `#[func]`.
///
/// GDScript's `await` on the returned signal yields the task's value (any [`ToGodot`] type; `null` for
/// `()`). If the task panics or is cancelled, the `await` still resumes, with `null`, and Godot's output
/// shows an error naming the task (except for a cancellation GDScript asked for with `cancel()`). The
/// signal belongs to a task object (see [what GDScript sees](super#what-gdscript-sees)), which GDScript
/// reaches with `get_object()` to query or cancel the task. Use
/// [`TaskBuilder::new()`](crate::TaskBuilder::new)`.name(..).bind(..).awaitable(..)` to name the task or bind it to
/// an object's life.
///
/// Await the signal right away (`await node.method()`). To start the task now and await it later, keep its
/// task object (`var task = signal.get_object()`) and `await task.wait()`: a signal awaited after its one
/// emission waits forever, and once the task has ended, nothing but your reference keeps the task object
/// alive.
///
/// A cancellation from Rust (its bound object freed, or its node leaving the tree) prints an error, because
/// GDScript then gets `null` instead of a value; `cancel()` from GDScript does not.
/// After `runtime::shutdown()`, and when the editor unloads or hot-reloads the extension, GDScript's
/// `await` resumes with `null` too (but not at engine exit, where the GDScript coroutines end as well).
///
/// # Panics
///
/// Off Godot's main thread.
///
/// # Example
///
/// ```no_run
/// use std::time::Duration;
/// use godot::prelude::*;
///
/// #[derive(GodotClass)]
/// #[class(init, base = Node)]
/// struct Loader {
///     base: Base<Node>,
/// }
///
/// #[godot_api]
/// impl Loader {
///     /// GDScript: `var level: Dictionary = await $Loader.load_level("forest")`
///     #[func]
///     fn load_level(&self, name: GString) -> Signal {
///         godot_tasks::gdscript::awaitable(async move {
///             godot_tasks::time::sleep(Duration::from_millis(500)).await;
///             let mut level = VarDictionary::new();
///             level.set("name", &name);
///             level
///         })
///     }
/// }
/// ```
#[track_caller]
pub fn awaitable<F>(future: F) -> Signal
where
    F: Future + 'static,
    F::Output: ToGodot,
{
    crate::TaskBuilder::new().awaitable(future)
}

impl TaskBuilder {
    /// Spawns `future` with these options, as [`awaitable`] does: returns a `Signal` that GDScript can
    /// `await` for the task's value.
    ///
    /// # Panics
    ///
    /// Off Godot's main thread.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use godot::prelude::*;
    ///
    /// # #[derive(GodotClass)]
    /// # #[class(init, base = Node)]
    /// # struct Loader { base: Base<Node> }
    /// #[godot_api]
    /// impl Loader {
    ///     #[func]
    ///     fn count_enemies(&self) -> Signal {
    ///         // Named in error messages; cancelled (GDScript resumes with null) if the loader is freed.
    ///         godot_tasks::TaskBuilder::new().name("count_enemies").bind(&self.to_gd()).awaitable(async { 12 })
    ///     }
    /// }
    /// ```
    #[track_caller]
    pub fn awaitable<F>(self, future: F) -> Signal
    where
        F: Future + 'static,
        F::Output: ToGodot,
    {
        let spawned_at = Location::caller();
        runtime::assert_main_thread("gdscript::awaitable()", spawned_at);
        let label = Label { name: self.name.clone(), spawned_at };
        let task = TaskObject::start();
        let signal = task.completed_signal();
        let delivering = Delivering { future, task: Some(task.clone()), label, generation: runtime::generation() };
        // Default timing whatever the builder says: a first poll inside this call could finish the task and
        // emit `completed` before GDScript has the signal to await.
        let handle = self.default_timing().spawn(delivering);
        // A spawn refused during engine exit or an unload has already ended the task.
        if !handle.is_finished() {
            task.attach(&handle);
        }
        handle.detach();
        signal
    }
}

/// Names the task in error messages.
struct Label {
    name: Option<Arc<str>>,
    spawned_at: &'static Location<'static>,
}

impl Label {
    /// What GDScript's `get_task_name()` gives.
    fn to_name(&self) -> String {
        task_name(self.name.as_deref(), self.spawned_at)
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        TaskLabel { name: self.name.as_deref(), spawned_at: self.spawned_at }.fmt(f)
    }
}

pin_project! {
    /// The task's future, which hands its outcome to GDScript: it emits `completed` itself when the future
    /// is done (or panics), and its drop guard has it emitted later when the task is cancelled.
    struct Delivering<F> {
        #[pin]
        future: F,
        // Until the outcome is handed over.
        task: Option<TaskObject>,
        label: Label,
        // The runtime generation it was spawned in.
        generation: u64,
    }

    impl<F> PinnedDrop for Delivering<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if let Some(task) = this.task.take() {
                cancelled(task, this.label, *this.generation);
            }
        }
    }
}

impl<F> Future for Delivering<F>
where
    F: Future,
    F::Output: ToGodot,
{
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        // The conversion too: a panicking `ToGodot` must not leave GDScript waiting.
        let outcome = match catch_unwind(AssertUnwindSafe(|| this.future.poll(cx).map(|value| value.to_variant()))) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(value)) => Ok(value),
            Err(payload) => Err(payload),
        };
        let Some(task) = this.task.take() else { return Poll::Ready(()) };
        // GDScript resumes inside these calls, as it does inside any emission.
        match outcome {
            // GDScript asked for a cancellation, which the task outran: it still gets what it asked for.
            Ok(_) if task.cancel_requested() => task.cancelled(Cancellation::Requested, &this.label.to_name()),
            Ok(value) => task.finish(&value, &this.label.to_name()),
            Err(payload) => {
                let message = godot_tasks_executor::payload_message(&*payload);
                godot_error!("godot-tasks: {} panicked: {message}", this.label);
                task.panicked(&message, &this.label.to_name());
                godot_tasks_executor::drop_quietly(payload);
            }
        }
        Poll::Ready(())
    }
}

/// The task ended without an outcome: it was cancelled by GDScript (`cancel()`), by Rust (its bound object
/// was freed, or its node left the tree), by `runtime::shutdown()`, or because the extension is unloaded.
/// `completed` is emitted with null later in the frame, never inside the call that cancelled. Nothing
/// happens at engine exit, where the GDScript coroutines end as well.
fn cancelled(task: TaskObject, label: &Label, generation: u64) {
    if !runtime::on_main_thread() || (runtime::engine_exiting() && !runtime::unloading()) {
        return;
    }
    let by = if task.cancel_requested() {
        Cancellation::Requested
    } else if runtime::generation() != generation || runtime::unloading() {
        Cancellation::Shutdown
    } else {
        Cancellation::Rust
    };
    if by == Cancellation::Rust {
        godot_error!("godot-tasks: {label} was cancelled, so GDScript's await on it resumes with null");
    }
    task.cancelled(by, &label.to_name());
}
