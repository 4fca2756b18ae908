//! Starting tasks.

use std::future::Future;
use std::panic::Location;

use crate::JoinHandle;
use crate::runtime;

/// Starts a task on Godot's main thread and returns a handle to await its value.
///
/// The future runs on the main thread only, so it may hold `Gd` objects and other values that are not `Send`.
/// Its first poll does **not** happen inside `spawn`: it happens later in the same frame, from a fresh call
/// stack started by the engine (a deferred call). So spawning from inside a `#[func]` that holds `bind_mut()`
/// of the object the task touches is safe, and code after `spawn` always runs before the task starts.
///
/// After that, the task is polled again whenever it is woken (from any thread): once per flush however often
/// it was woken, in the same frame when woken on the main thread, at the latest in the next frame when woken
/// from another thread.
///
/// Dropping the returned [`JoinHandle`] detaches the task (it keeps running). A panic inside the task is
/// caught: Godot's output gets an error naming the task's spawn location and the message, the handle gets a
/// [`JoinError`](crate::JoinError), and other tasks keep running. When the game exits, every unfinished
/// task's future is dropped on the main thread while the engine is still alive.
///
/// # Panics
///
/// If called from any thread other than Godot's main thread. Tasks live on the main thread because Godot
/// objects are not thread-safe; from another thread, send the data to the main thread (a channel, or
/// `call_deferred`) and spawn there.
///
/// # Example
///
/// ```no_run
/// use godot::prelude::*;
///
/// # fn example() {
/// let answer = godot_tasks::spawn(async { 6 * 7 });
/// godot_tasks::spawn(async move {
///     let value = answer.await.expect("the task neither panicked nor was cancelled");
///     godot_print!("the answer is {value}");
/// })
/// .detach();
/// # }
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let spawned_at = Location::caller();
    runtime::assert_main_thread("godot_tasks::spawn()", spawned_at);
    runtime::executor().spawn_at(future, spawned_at)
}

/// Starts a [`TaskBuilder`](crate::TaskBuilder); the same as [`TaskBuilder::new()`](crate::TaskBuilder::new).
#[deprecated(
    since = "0.2.0",
    note = "use `TaskBuilder::new()`: `task()` is easily confused with the `godot::task` module"
)]
pub fn task() -> crate::TaskBuilder {
    crate::TaskBuilder::new()
}
