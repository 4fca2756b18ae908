//! Rust → GDScript: a Rust task GDScript can `await`.

use std::future::Future;

use godot::global::godot_error;
use godot::prelude::*;

use super::rust_task::{Cancellation, RustTask};
use crate::{JoinHandle, TaskBuilder, runtime};

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
/// A cancellation from Rust (the task's handle, its bound object freed, its group or token) prints an
/// error, because GDScript then gets `null` instead of a value; `RustTask.cancel()` from GDScript does not.
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
        let handle = self.spawn(future);
        let name = match handle.name() {
            Some(name) => name.to_owned(),
            None => format!("task spawned at {}", handle.spawned_at()),
        };
        let task = RustTask::start(&name, handle.cancel_handle());
        let signal = Signal::from_object_signal(&task, "completed");
        crate::spawn(deliver(handle, task)).detach();
        signal
    }
}

/// Waits for the task and emits its outcome to GDScript, in a fresh call stack of its own.
async fn deliver<T: ToGodot + 'static>(handle: JoinHandle<T>, task: Gd<RustTask>) {
    let mut delivery = Delivery(Some(task));
    let outcome = handle.await;
    let Some(mut task) = delivery.0.take() else { return };
    let cancel_requested = task.bind().cancel_requested();
    let result = match outcome {
        // GDScript asked for a cancellation, which the task may have outrun: it still gets what it asked for.
        Ok(_) if cancel_requested => {
            task.bind_mut().cancelled(Cancellation::Requested);
            Variant::nil()
        }
        Ok(value) => {
            let value = value.to_variant();
            task.bind_mut().finish(value.clone());
            value
        }
        Err(error) => {
            match error.panic_message() {
                // The runtime has already reported the panic, naming the task.
                Some(message) => task.bind_mut().panicked(message),
                None if cancel_requested => task.bind_mut().cancelled(Cancellation::Requested),
                None => {
                    task.bind_mut().cancelled(Cancellation::Rust);
                    godot_error!("godot-tasks: {error}, so GDScript's await on it resumes with null");
                }
            }
            Variant::nil()
        }
    };
    emit(task, result);
}

fn emit(task: Gd<RustTask>, result: Variant) {
    task.signals().completed().emit(&result);
}

/// Resumes GDScript even if `deliver` itself is dropped before the task ends: that happens when
/// `runtime::shutdown()` drops every task. (Not at engine exit: the GDScript coroutines go too.)
struct Delivery(Option<Gd<RustTask>>);

impl Drop for Delivery {
    fn drop(&mut self) {
        let Some(mut task) = self.0.take() else { return };
        if runtime::engine_exiting() || !godot::init::is_main_thread() {
            return;
        }
        task.bind_mut().cancelled(Cancellation::Shutdown);
        // Into the next runtime: the emission happens later, in a fresh call stack, never inside shutdown().
        crate::spawn(async move { emit(task, Variant::nil()) }).detach();
    }
}
