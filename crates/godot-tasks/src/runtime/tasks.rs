//! The task snapshot: [`tasks`], what each live task is and awaits, for the editor inspector, an in-game
//! overlay or a test.

use std::cell::Cell;
use std::fmt;
use std::panic::Location;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use godot::obj::InstanceId;
use godot_tasks_executor::AwaitedTask;

pub use godot_tasks_executor::{TaskId, TaskState};

use super::assert_main_thread;
use super::context::{with_context, with_runtime};
use crate::time::Instant;

/// Whether tracking is on, readable without the thread-local: what a wait future checks before it builds a note.
static TRACKING: AtomicBool = AtomicBool::new(false);

/// One live task, as [`tasks`] saw it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct TaskInfo {
    /// Its id, unique for the runtime's life; [`cancel_task`] takes it.
    pub id: TaskId,
    /// Its name, if it was spawned with one ([`TaskBuilder::name`](crate::TaskBuilder::name)).
    pub name: Option<Arc<str>>,
    /// Where it was spawned.
    pub spawned_at: &'static Location<'static>,
    /// Queued (runs in the next flush), waiting, running (the snapshot was taken from inside it), cancelling or
    /// finished (its result waits for its `JoinHandle`).
    pub state: TaskState,
    /// Frames since it was spawned, or since tracking began if that was later.
    pub age_frames: u64,
    /// How many times it was polled (since tracking began, if that was later).
    pub polls: u64,
    /// How long those polls took, while [`set_poll_timing`] is on (`None` otherwise).
    pub poll_time: Option<Duration>,
    /// What it waits for, as its last poll left it: usually one thing, several under a `select!` or a timeout
    /// (the timeout's clock, then the wrapped wait). Empty for a task not polled since tracking began, or
    /// waiting on something godot-tasks does not know (a channel, another crate's future).
    pub awaiting: Vec<Awaiting>,
}

/// What a task awaits, in a [`TaskInfo`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Awaiting {
    /// The next emission of a signal (a signal future or stream).
    Signal {
        /// The emitter, as errors describe it: `Timer 'Cooldown' (instance 123)`.
        emitter: String,
        /// The emitter's instance id (`None` in the rare case the subscription outlived the runtime's registry).
        emitter_id: Option<InstanceId>,
        /// The signal's name.
        signal: String,
    },
    /// A time wait: [`time::sleep`](crate::time::sleep), a ticker, a timeout.
    Sleep {
        /// When it ends, on its clock.
        deadline: Instant,
    },
    /// A frame wait: [`time::next_frame`](crate::time::next_frame), [`Clock::frames`](crate::time::Clock::frames).
    Frames {
        /// Whether it counts physics ticks (else process frames).
        physics: bool,
        /// Whether it counts frames while the tree is paused.
        during_pause: bool,
        /// How many are left when the snapshot is taken.
        left: u64,
    },
    /// A job on another thread: [`threads`](crate::threads) or `spawn_tokio`.
    Job {
        /// The pool: `compute`, `blocking` (also `spawn_send`) or `tokio`.
        kind: &'static str,
        /// Where it was started.
        started_at: &'static Location<'static>,
    },
    /// A GDScript method called with [`gdscript::call`](crate::gdscript::call), still running (awaiting).
    GdscriptCall {
        /// The object, described like a signal's emitter.
        object: String,
        /// The method's name.
        method: String,
    },
    /// Another task, through its `JoinHandle`.
    Task {
        /// Its id.
        id: TaskId,
        /// Its name, if it has one.
        name: Option<Arc<str>>,
        /// Where it was spawned.
        spawned_at: &'static Location<'static>,
    },
    /// The next flush: [`yield_now`](crate::yield_now).
    Yield,
    /// A resource loading on Godot's threaded loader ([`resources::load`](crate::resources::load)).
    Load {
        /// The path being loaded.
        path: String,
    },
}

impl fmt::Display for Awaiting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Awaiting::Signal { emitter, signal, .. } => write!(f, "signal `{signal}` of {emitter}"),
            Awaiting::Sleep { deadline } => write!(f, "{} at {:.3} s", deadline.clock(), deadline.seconds()),
            Awaiting::Frames { physics, during_pause, left } => {
                let kind = if *physics { "physics tick(s)" } else { "process frame(s)" };
                let pause = if *during_pause { ", counting during pause" } else { "" };
                write!(f, "{left} {kind}{pause}")
            }
            Awaiting::Job { kind, started_at } => write!(f, "{kind} job started at {started_at}"),
            Awaiting::GdscriptCall { object, method } => write!(f, "GDScript call `{method}` on {object}"),
            Awaiting::Task { id, name: Some(name), spawned_at } => write!(f, "task {id} '{name}' ({spawned_at})"),
            Awaiting::Task { id, name: None, spawned_at } => write!(f, "task {id} ({spawned_at})"),
            Awaiting::Yield => f.write_str("the next flush (yield_now)"),
            Awaiting::Load { path } => write!(f, "loading `{path}`"),
        }
    }
}

/// Every live task of the runtime: id, name, spawn location, state, age in frames, polls, poll time (if
/// [`set_poll_timing`] is on) and what it awaits.
///
/// The first call turns task tracking on (see [`set_task_tracking`]), which is what counts ages and polls and
/// records what each task awaits: tasks that existed before show ages and polls from that moment, and what they
/// await from their next poll. Turn tracking on at startup to see everything from the start. Tracking costs a
/// table entry per task and a few lookups per poll; without it, tasks cost nothing extra.
///
/// # Example
///
/// ```no_run
/// use godot::prelude::*;
///
/// # fn example() {
/// for task in godot_tasks::runtime::tasks() {
///     let name = task.name.as_deref().unwrap_or("(unnamed)");
///     let awaiting: Vec<String> = task.awaiting.iter().map(ToString::to_string).collect();
///     godot_print!("{} {name} [{}] at {}: {}", task.id, task.state, task.spawned_at, awaiting.join(", "));
/// }
/// # }
/// ```
///
/// # Panics
///
/// If called from any thread other than Godot's main thread.
#[track_caller]
pub fn tasks() -> Vec<TaskInfo> {
    assert_main_thread("godot_tasks::runtime::tasks()", Location::caller());
    set_tracking(true);
    let Some(snapshot) = with_runtime(|runtime| runtime.executor.snapshot()) else { return Vec::new() };
    snapshot
        .into_iter()
        .map(|task| TaskInfo {
            id: task.id,
            name: task.name,
            spawned_at: task.spawned_at,
            state: task.state,
            age_frames: task.age_frames,
            polls: task.polls,
            poll_time: task.poll_time,
            awaiting: task.awaiting.iter().filter_map(|note| awaiting_of(&**note)).collect(),
        })
        .collect()
}

/// Turns task tracking on or off (default: off; [`tasks`] turns it on). While it is on, each task has its age
/// and poll count counted and what it awaits recorded, at the cost of a table entry per task and a few lookups
/// per poll. The setting is kept across [`shutdown`](super::shutdown); turning it off forgets what was recorded.
///
/// # Example
///
/// ```no_run
/// // In the extension's startup, so that the inspector sees every task from its spawn:
/// godot_tasks::runtime::set_task_tracking(true);
/// ```
///
/// # Panics
///
/// If called from any thread other than Godot's main thread.
#[track_caller]
pub fn set_task_tracking(on: bool) {
    assert_main_thread("godot_tasks::runtime::set_task_tracking()", Location::caller());
    set_tracking(on);
}

/// Adds up how long each task's polls take, for [`TaskInfo::poll_time`] (default: off): two clock reads per
/// poll. Counts only while tracking is on. The setting is kept across [`shutdown`](super::shutdown).
///
/// # Example
///
/// ```no_run
/// godot_tasks::runtime::set_poll_timing(true);
/// let slowest = godot_tasks::runtime::tasks().into_iter().max_by_key(|task| task.poll_time);
/// ```
///
/// # Panics
///
/// If called from any thread other than Godot's main thread.
#[track_caller]
pub fn set_poll_timing(on: bool) {
    assert_main_thread("godot_tasks::runtime::set_poll_timing()", Location::caller());
    let _ = with_context(|cx| cx.poll_timing.set(on));
    with_runtime(|runtime| runtime.executor.set_poll_timing(on));
}

/// Cancels the live task with id `id`, as its [`CancelHandle`](crate::CancelHandle) would: its future is
/// dropped in the next flush. Returns whether there was such a task still running. For tools that know tasks by
/// id only, such as the editor inspector's cancel button.
///
/// # Example
///
/// ```no_run
/// # fn example() {
/// let stuck = godot_tasks::runtime::tasks().into_iter().find(|task| task.age_frames > 36_000);
/// if let Some(task) = stuck {
///     godot_tasks::runtime::cancel_task(task.id);
/// }
/// # }
/// ```
///
/// # Panics
///
/// If called from any thread other than Godot's main thread.
#[track_caller]
pub fn cancel_task(id: TaskId) -> bool {
    assert_main_thread("godot_tasks::runtime::cancel_task()", Location::caller());
    with_runtime(|runtime| runtime.executor.cancel_task(id)).unwrap_or(false)
}

fn set_tracking(on: bool) {
    TRACKING.store(on, Ordering::Relaxed);
    let _ = with_context(|cx| cx.tracking.set(on));
    with_runtime(|runtime| runtime.executor.set_tracking(on));
}

/// Whether poll timing is on.
pub(super) fn poll_timing() -> bool {
    with_context(|cx| cx.poll_timing.get()).unwrap_or(false)
}

/// Applies the tracking settings to a new runtime's executor.
pub(super) fn configure(executor: &godot_tasks_executor::Executor, tracking: bool, poll_timing: bool) {
    executor.set_tracking(tracking);
    executor.set_poll_timing(poll_timing);
}

/// Records what the task being polled awaits (for [`tasks`]), if tracking is on: called by wait futures when
/// they return `Pending`. `note` is not called otherwise.
pub(crate) fn note_awaiting(note: impl FnOnce() -> Awaiting) {
    note_awaiting_any(note);
}

/// Records what the task being polled awaits as something read when the snapshot is taken (how many frames
/// are left, say), not when the task was polled.
pub(crate) fn note_awaiting_live(read: impl Fn() -> Awaiting + 'static) {
    note_awaiting_any(|| LiveNote(Box::new(read)));
}

fn note_awaiting_any<N: std::any::Any>(note: impl FnOnce() -> N) {
    if TRACKING.load(Ordering::Relaxed) && !QUIET.try_with(Cell::get).unwrap_or(true) {
        with_runtime(|runtime| runtime.executor.note_awaiting(note));
    }
}

/// A note read when the snapshot is taken.
struct LiveNote(Box<dyn Fn() -> Awaiting>);

thread_local! {
    /// Set while a future polls an inner wait whose note would only repeat its own (see [`quietly`]).
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Polls an inner wait with its notes held back: for a future that notes what it awaits itself (a GDScript call
/// notes the call, not the coroutine's `completed` signal it waits on). Costs nothing while tracking is off.
pub(crate) fn quietly<R>(poll: impl FnOnce() -> R) -> R {
    if !TRACKING.load(Ordering::Relaxed) {
        return poll();
    }
    let Ok(outer) = QUIET.try_with(|quiet| quiet.replace(true)) else { return poll() };
    // Restored by a guard: a panicking poll unwinds through here to the executor, which goes on with other tasks.
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            let _ = QUIET.try_with(|quiet| quiet.set(self.0));
        }
    }
    let _restore = Restore(outer);
    poll()
}

/// The runtime's note, or the executor's note of a join handle, as an [`Awaiting`].
fn awaiting_of(note: &dyn std::any::Any) -> Option<Awaiting> {
    if let Some(awaiting) = note.downcast_ref::<Awaiting>() {
        return Some(awaiting.clone());
    }
    if let Some(LiveNote(read)) = note.downcast_ref::<LiveNote>() {
        return Some(read());
    }
    let task = note.downcast_ref::<AwaitedTask>()?;
    Some(Awaiting::Task { id: task.id, name: task.name.clone(), spawned_at: task.spawned_at })
}
