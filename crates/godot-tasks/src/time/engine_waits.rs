//! Waits on the engine's own timer and frame signals: the exact counterparts of GDScript's
//! `await get_tree().create_timer(...).timeout`, `await get_tree().process_frame` and
//! `await get_tree().physics_frame`, for ports that must land on the same frames.
//!
//! They cost an engine timer or a signal subscription per wait, where the [`Clock`](super::Clock) waits cost
//! neither; see "Coming from GDScript" in the crate docs for when the two differ.

use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

use godot::classes::{Engine, SceneTree, SceneTreeTimer};
use godot::obj::{Gd, Singleton};

use crate::signal::{NextEmission, TypedSignalExt};

/// The running `SceneTree`.
#[track_caller]
fn scene_tree(what: &str) -> Gd<SceneTree> {
    Engine::singleton()
        .get_main_loop()
        .and_then(|main_loop| main_loop.try_cast::<SceneTree>().ok())
        .unwrap_or_else(|| panic!("godot-tasks: {what} needs a running SceneTree (called at {})", Location::caller()))
}

/// Waits for a timer of the scene tree, made now with GDScript's `create_timer` flags: the same engine timer
/// that `await get_tree().create_timer(seconds, process_always, process_in_physics, ignore_time_scale).timeout`
/// awaits, so it ends in the same frame, at the same point of it (after the nodes' `_process`, or
/// `_physics_process` with `process_in_physics`).
///
/// In a task with [GDScript timing](crate::TaskBuilder::gdscript_timing) the task resumes inside the timer's
/// `timeout` emission, exactly where the GDScript coroutine would; otherwise later in that frame. GDScript's
/// default `create_timer(t)` is `create_timer(t, true, false, false)`: it **counts while the tree is paused**.
///
/// The fast path is a [`Clock`](super::Clock) sleep ([`Clock::for_timer`](super::Clock::for_timer) maps the
/// flags), which needs no engine object; it ends in the same frame as this timer or one frame later.
///
/// # Panics
///
/// Without a running `SceneTree`, or off the main thread.
///
/// # Example
///
/// ```no_run
/// # async fn example() {
/// // GDScript: await get_tree().create_timer(1.5).timeout
/// godot_tasks::time::create_timer(1.5, true, false, false).await;
/// # }
/// ```
#[track_caller]
pub fn create_timer(
    seconds: f64,
    process_always: bool,
    process_in_physics: bool,
    ignore_time_scale: bool,
) -> TimerTimeout {
    let timer = scene_tree("time::create_timer()")
        .create_timer_ex(seconds)
        .process_always(process_always)
        .process_in_physics(process_in_physics)
        .ignore_time_scale(ignore_time_scale)
        .done();
    let timeout = timer.signals().timeout().next_emission();
    TimerTimeout { timeout, _timer: timer }
}

/// The future of [`create_timer`]: resolves when the engine timer emits `timeout`.
///
/// Dropping it stops waiting; the engine timer runs out on its own, as an unawaited GDScript timer does.
#[must_use = "futures do nothing unless awaited"]
pub struct TimerTimeout {
    timeout: NextEmission<()>,
    /// Kept alive while awaited (the tree holds it too, until it times out).
    _timer: Gd<SceneTreeTimer>,
}

impl std::fmt::Debug for TimerTimeout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TimerTimeout").field("time_left", &self._timer.get_time_left()).finish_non_exhaustive()
    }
}

impl Future for TimerTimeout {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.timeout).poll(cx)
    }
}

/// Waits for the scene tree's next `process_frame` signal: the exact counterpart of GDScript's
/// `await get_tree().process_frame`.
///
/// Unlike [`next_frame`](super::next_frame) it also resumes while the tree is paused (the signal is emitted
/// every frame), and, made during a physics step, it resumes in that same iteration's process step, where
/// `next_frame` waits one process frame more. In a task with
/// [GDScript timing](crate::TaskBuilder::gdscript_timing) it resumes inside the emission.
///
/// # Panics
///
/// Without a running `SceneTree`, or off the main thread.
///
/// # Example
///
/// ```no_run
/// # async fn example() {
/// godot_tasks::time::process_frame().await; // GDScript: await get_tree().process_frame
/// # }
/// ```
#[track_caller]
pub fn process_frame() -> NextEmission<()> {
    scene_tree("time::process_frame()").signals().process_frame().next_emission()
}

/// Waits for the scene tree's next `physics_frame` signal: the exact counterpart of GDScript's
/// `await get_tree().physics_frame`.
///
/// Unlike [`next_physics_frame`](super::next_physics_frame) it also resumes while the tree is paused. In a
/// task with [GDScript timing](crate::TaskBuilder::gdscript_timing) it resumes inside the emission.
///
/// # Panics
///
/// Without a running `SceneTree`, or off the main thread.
///
/// # Example
///
/// ```no_run
/// # async fn example() {
/// godot_tasks::time::physics_frame().await; // GDScript: await get_tree().physics_frame
/// # }
/// ```
#[track_caller]
pub fn physics_frame() -> NextEmission<()> {
    scene_tree("time::physics_frame()").signals().physics_frame().next_emission()
}
