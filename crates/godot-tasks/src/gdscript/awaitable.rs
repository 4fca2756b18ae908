//! Rust → GDScript: a Rust task GDScript can `await`.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use godot::global::godot_error;
use godot::prelude::*;
use pin_project_lite::pin_project;

use super::rust_task::{Cancellation, RustTask};
use crate::{TaskBuilder, runtime};

/// Spawns `future` as a task and returns a `Signal` that GDScript can `await` for its value: the body of
/// an `async`-style `#[func]`.
///
/// GDScript's `await` on the returned signal yields the task's value (any [`ToGodot`] type; `null` for
/// `()`). If the task panics or is cancelled, the `await` still resumes, with `null`, and Godot's output
/// shows an error naming the task (except for a cancellation GDScript asked for with `cancel()`). The
/// signal belongs to a [`RustTask`] object, which GDScript reaches with `get_object()` to query or cancel
/// the task. Use [`task()`](crate::task)`.name(..).bind(..).awaitable(..)` to name the task or bind it to
/// an object's life.
///
/// Await the signal right away (`await node.method()`). To start the task now and await it later, keep its
/// `RustTask` (`var task = signal.get_object()`) and `await task.wait()`: a signal awaited after its one
/// emission waits forever, and once the task has ended, nothing but your reference keeps the `RustTask`
/// alive.
///
/// A cancellation from Rust (its bound object freed, or its node leaving the tree) prints an error, because
/// GDScript then gets `null` instead of a value; `RustTask.cancel()` from GDScript does not.
/// After `runtime::shutdown()`, GDScript's `await` resumes with `null` too (but not at engine exit, where the
/// GDScript coroutines end as well).
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
    crate::task().awaitable(future)
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
    ///         godot_tasks::task().name("count_enemies").bind(&self.to_gd()).awaitable(async { 12 })
    ///     }
    /// }
    /// ```
    #[track_caller]
    pub fn awaitable<F>(self, future: F) -> Signal
    where
        F: Future + 'static,
        F::Output: ToGodot,
    {
        let task = RustTask::start();
        let signal = RustTask::completed_signal(&task);
        let delivering = Delivering { future, task: Some(task.clone()), generation: runtime::generation() };
        let handle = self.spawn(delivering);
        RustTask::attach(task, &handle);
        handle.detach();
        signal
    }
}

pin_project! {
    /// The task's future, which hands its outcome to GDScript: it emits `completed` itself when the future
    /// is done (or panics), and its drop guard has it emitted later when the task is cancelled.
    struct Delivering<F> {
        #[pin]
        future: F,
        // Until the outcome is handed over.
        task: Option<Gd<RustTask>>,
        // The runtime generation it was spawned in.
        generation: u64,
    }

    impl<F> PinnedDrop for Delivering<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if let Some(task) = this.task.take() {
                cancelled(task, *this.generation);
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
        let Some(mut task) = this.task.take() else { return Poll::Ready(()) };
        let cancel_requested = task.bind().cancel_requested();
        let result = match outcome {
            // GDScript asked for a cancellation, which the task outran: it still gets what it asked for.
            Ok(_) if cancel_requested => {
                task.bind_mut().cancelled(Cancellation::Requested);
                Variant::nil()
            }
            Ok(value) => {
                task.bind_mut().finish(value.clone());
                value
            }
            Err(payload) => {
                let message = godot_tasks_executor::payload_message(&*payload);
                // No bind is held while Godot's loggers (which may be scripts) see the error.
                let label = task.bind().label();
                godot_error!("godot-tasks: {label} panicked: {message}");
                task.bind_mut().panicked(&message);
                Variant::nil()
            }
        };
        // GDScript resumes inside this call, as it does inside any emission.
        RustTask::emit_completed(task, &result);
        Poll::Ready(())
    }
}

/// The task ended without an outcome: it was cancelled by GDScript (`cancel()`), by Rust (its bound object
/// was freed, or its node left the tree), or by `runtime::shutdown()`. `completed` is emitted later, from a
/// task of its own, never inside the call that cancelled (GDScript awaits right after calling `cancel()`).
/// Nothing happens at engine exit, where the GDScript coroutines end as well.
fn cancelled(mut task: Gd<RustTask>, generation: u64) {
    if !can_emit() {
        return;
    }
    let by = if task.bind().cancel_requested() {
        Cancellation::Requested
    } else if runtime::generation() != generation {
        Cancellation::Shutdown
    } else {
        Cancellation::Rust
    };
    task.bind_mut().cancelled(by);
    EmitNull::spawn(task, by == Cancellation::Rust);
}

/// Whether `completed` may still be emitted: on the main thread, and not during engine exit.
fn can_emit() -> bool {
    !runtime::engine_exiting() && runtime::on_main_thread()
}

/// Emits `completed` with null for a cancelled task (reporting a cancellation from Rust first). If it is
/// itself dropped before it runs (another shutdown), it passes the job on to the next runtime.
struct EmitNull {
    task: Option<Gd<RustTask>>,
    report: bool,
}

impl EmitNull {
    /// Emits later in a task of its own, if `completed` may still be emitted.
    fn spawn(task: Gd<RustTask>, report: bool) {
        if can_emit() {
            crate::spawn(EmitNull { task: Some(task), report }).detach();
        }
    }
}

impl Future for EmitNull {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        if let Some(task) = self.task.take() {
            if self.report {
                let label = task.bind().label();
                godot_error!("godot-tasks: {label} was cancelled, so GDScript's await on it resumes with null");
            }
            RustTask::emit_completed(task, &Variant::nil());
        }
        Poll::Ready(())
    }
}

impl Drop for EmitNull {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            EmitNull::spawn(task, self.report);
        }
    }
}
