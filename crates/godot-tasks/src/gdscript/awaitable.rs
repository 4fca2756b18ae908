//! Rust → GDScript: a Rust task GDScript can `await`.

use std::future::Future;

use godot::global::godot_error;
use godot::prelude::*;

use super::rust_task::RustTask;
use crate::{JoinHandle, TaskBuilder};

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
async fn deliver<T: ToGodot + 'static>(handle: JoinHandle<T>, mut task: Gd<RustTask>) {
    let result = match handle.await {
        Ok(value) => {
            let value = value.to_variant();
            task.bind_mut().finish(value.clone());
            value
        }
        Err(error) => {
            // A panic has already been reported, with the task's name, by the runtime.
            task.bind_mut().fail(error.panic_message());
            if error.is_cancelled() && !task.bind().cancel_requested() {
                godot_error!("godot-tasks: {error}, so GDScript's await on it resumes with null");
            }
            Variant::nil()
        }
    };
    task.signals().completed().emit(&result);
}
