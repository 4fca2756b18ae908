//! The engine side of the runtime: the only place that schedules engine calls.
//!
//! One executor per process lives in a thread-local of Godot's main thread, created by the first `spawn`.
//! It is driven by engine hooks (`hooks.rs`), all attached lazily to the current `SceneTree`, never by the
//! user:
//!
//! - **flush request** (`host.rs`): when work becomes ready on the main thread, one deferred call flushes the
//!   executor in a fresh call stack, later in the same frame. Many wakes before that flush cost one deferred
//!   call. It and the frame and physics hooks go through an engine-side relay (`relay.rs`).
//! - **frame hook** (`SceneTree.process_frame`): once per frame, one atomic load checks for work that was
//!   woken from other threads, or left over when a flush spent its round budget, and flushes it. The same
//!   hook runs every service's frame hook first (`service.rs`): signals hand emissions from other threads
//!   to their tasks and release connections nobody awaits any more ([`crate::signal`]), and, once
//!   [`crate::time`] is used, time advances its clocks and frame counts and wakes the waits that end.
//! - **physics hook** (`SceneTree.physics_frame`, attached once a service wants it: [`crate::time`] once it
//!   is used): runs the services' physics hooks (the physics clocks and tick counts) and flushes the tasks
//!   whose waits ended.
//! - **exit hook** (the root window's `tree_exiting`, emitted while the engine tears the scene tree down at
//!   exit, whether a task, GDScript or the window asked to quit).
//! - **unload hook** (`GDExtensionManager.extension_unloading`, emitted by editor builds before an extension
//!   is unloaded or hot-reloaded): the hook checks that it is this extension that goes away.
//!
//! # Monitors
//!
//! While it runs, the runtime shows itself in Godot's debugger (the Monitors tab, category `godot_tasks`)
//! and to `Performance.get_custom_monitor(id)`:
//!
//! | id | value |
//! |---|---|
//! | `godot_tasks/tasks_alive` | tasks alive: unfinished, or finished with their handle not yet awaited |
//! | `godot_tasks/polls_per_frame` | how many times tasks were polled during the last frame |
//! | `godot_tasks/flush_usec` | microseconds spent running tasks in the last frame's flushes (measured from its first read on) |
//! | `godot_tasks/signal_waiters` | signal futures and streams subscribed now |
//! | `godot_tasks/timers_pending` | time and frame waits that have not ended |
//! | `godot_tasks/jobs_in_flight` | offloaded jobs queued or running, and `spawn_tokio` futures running |
//!
//! They are registered when the runtime starts (its first task), removed when it stops, and registered again
//! by the next runtime (after [`shutdown`] or a hot reload). They cost counters only. With two extensions that
//! use godot-tasks in one project, each has its own runtime, and the monitors show the one that started first.
//!
//! ```gdscript
//! print(Performance.get_custom_monitor("godot_tasks/tasks_alive"))
//! ```
//!
//! # Task snapshots
//!
//! [`tasks()`] lists the live tasks: id, name, spawn location, state, age in frames, polls, poll time (while
//! [`set_poll_timing`] is on) and what each awaits ([`Awaiting`]). Ages, polls and awaited things are counted
//! while task tracking is on: [`set_task_tracking`]`(true)` at startup sees every task from its spawn; the first
//! `tasks()` call and an attached debugger (see the editor inspector) turn it on too. Tracking costs a table entry per task and a
//! few lookups per poll (the `diagnostics` rows of the bench); off, it costs one branch per poll.
//! [`cancel_task`] cancels a task by its id.
//!
//! # The editor inspector
//!
//! The crate ships an editor addon, `addons/godot_tasks_inspector`, that adds a **Tasks** tab to the editor's
//! Debugger panel: the running game's tasks, refreshed twice a second, sortable by any column (age, polls, poll
//! time...), with the spawn location, what each task awaits, a button to cancel one, a switch for poll timing,
//! and a Copy button that puts the table on the clipboard as text. To enable it, copy the folder into your
//! project's `addons/` (it is in the crate's sources, next to `Cargo.toml`; from a shell in your Rust crate:
//!
//! ```text
//! cp -r "$(dirname "$(cargo metadata --format-version 1 | python3 -c 'import json,sys; print(next(p["manifest_path"] for p in json.load(sys.stdin)["packages"] if p["name"] == "godot-tasks"))')")/addons/godot_tasks_inspector" path/to/your/godot/project/addons/
//! ```
//!
//! ), then tick **godot-tasks inspector** in Project → Project Settings → Plugins. Nothing is needed on the
//! Rust side.
//!
//! The game side answers only while a debugger is attached (a game run from the editor, or started with
//! `--remote-debug`): then, when the runtime starts, it registers an `EngineDebugger` message capture named
//! `godot_tasks` and turns task tracking on, so that the inspector sees what each task awaits from its spawn on
//! (a run from the editor pays the cost of tracking, see above; exported games and runs without a debugger do
//! not). With two extensions using godot-tasks in one project, the
//! runtime that starts first answers. The messages, for other tools:
//!
//! | from the inspector | data | the game answers |
//! |---|---|---|
//! | `godot_tasks:snapshot` | `[]` | `godot_tasks:tasks` |
//! | `godot_tasks:cancel` | `[id: int]` | `godot_tasks:cancelled` `[id, found: bool]`, then `godot_tasks:tasks` |
//! | `godot_tasks:poll_timing` | `[on: bool]` | `godot_tasks:tasks` |
//!
//! The game also sends `godot_tasks:hello` `[protocol: int]` (now 1) when its runtime starts.
//! `godot_tasks:tasks` carries `[frame: int, poll_timing: bool, tasks: Array]`, one `Dictionary` per task
//! with the keys `id` (int), `name` (String, empty if unnamed), `state` (String), `spawned_at` (String,
//! `file:line:column`), `age_frames` (int), `polls` (int), `poll_usec` (int, -1 while timing is off) and
//! `awaiting` (PackedStringArray, each thing in words).
//!
//! # Stopping
//!
//! The runtime stops in one way (`stop.rs`), whatever the reason: engine exit, unload (hot reload), or
//! [`shutdown`]. In this order, on the main thread, while the engine is still alive:
//!
//! 1. every hook is disconnected, so no engine signal calls into the library any more;
//! 2. every task is cancelled and its future dropped (destructors may still use the engine);
//! 3. each service stops, in the order of `SERVICES` at the crate root (`service.rs`): signal connections are
//!    released (all of them at exit and unload, since the emitters outlive us), the time service drops the
//!    wakers it holds, the worker pools stop (queued jobs dropped unrun, running ones waited for, threads
//!    joined: [`crate::threads`]), and the GDScript bridge resumes awaits an unload cancelled and releases
//!    its engine objects;
//! 4. the engine objects the runtime keeps (the relay, cached names) are released, so that a deferred flush
//!    still queued, or an emission of `process_frame` still under way, reaches nothing (the relay goes
//!    first, before the tasks are dropped; see `relay.rs`).
//!
//! After an engine exit or unload the runtime stays closed: `spawn` refuses new tasks. After [`shutdown`]
//! the next `spawn` starts a fresh runtime.

mod context;
mod hooks;
mod host;
mod inspector;
mod monitors;
mod relay;
mod service;
mod stop;
mod tasks;

use std::cell::{Cell, RefCell};
use std::panic::Location;

use godot::prelude::*;

use godot_tasks_executor::Executor;

/// The slow-poll warning threshold unless [`set_slow_poll_warning`] says otherwise: 4 ms in builds with debug
/// assertions (the `dev` profile), off in release builds.
///
/// # Example
///
/// ```
/// # use std::time::Duration;
/// let default = godot_tasks::runtime::DEFAULT_SLOW_POLL_WARNING;
/// assert_eq!(default, cfg!(debug_assertions).then(|| Duration::from_millis(4)));
/// ```
pub const DEFAULT_SLOW_POLL_WARNING: Option<std::time::Duration> =
    if cfg!(debug_assertions) { Some(std::time::Duration::from_millis(4)) } else { None };

/// Warns, in Godot's output, about every poll of a task that takes longer than `threshold`: the task's name
/// and spawn location, and how long the poll took. A poll that long is a frame hitch (a frame at 60 fps has
/// 16.7 ms for everything); the usual fixes are to move the work to a worker thread
/// ([`threads::spawn_compute`](crate::threads::spawn_compute), [`spawn_blocking`](crate::threads::spawn_blocking))
/// or to split it with [`yield_now`](crate::yield_now) between steps.
///
/// `None` turns the warning off, and with it the two clock reads per poll it costs. The default is
/// [`DEFAULT_SLOW_POLL_WARNING`]: 4 ms in debug builds, off in release builds. The setting is kept across
/// [`shutdown`].
///
/// # Example
///
/// ```no_run
/// use std::time::Duration;
/// // Also in release builds, for a profiling session:
/// godot_tasks::runtime::set_slow_poll_warning(Some(Duration::from_millis(8)));
/// ```
///
/// # Panics
///
/// If called from any thread other than Godot's main thread.
#[track_caller]
pub fn set_slow_poll_warning(threshold: Option<std::time::Duration>) {
    assert_main_thread("godot_tasks::runtime::set_slow_poll_warning()", Location::caller());
    let _ = with_context(|cx| cx.slow_poll.set(threshold));
    executor().set_slow_poll_threshold(threshold);
}

/// The ids of the runtime's monitors (see [Monitors](self#monitors)), in the order the Monitors tab lists them.
///
/// # Example
///
/// ```no_run
/// use godot::classes::Performance;
/// use godot::obj::Singleton;
/// use godot::global::godot_print;
///
/// for id in godot_tasks::runtime::MONITOR_IDS {
///     godot_print!("{id}: {}", Performance::singleton().get_custom_monitor(id));
/// }
/// ```
pub const MONITOR_IDS: [&str; 6] = monitors::IDS;

/// How many rounds the runtime runs per frame unless [`set_round_budget`] says otherwise.
///
/// # Example
///
/// ```
/// assert_eq!(godot_tasks::runtime::DEFAULT_ROUND_BUDGET, 64);
/// ```
pub const DEFAULT_ROUND_BUDGET: u32 = godot_tasks_executor::DEFAULT_ROUND_BUDGET;

use context::{Runtime, current_executor, with_context, with_runtime};
use hooks::attach_hooks;
pub(crate) use hooks::{ensure_frame_hook, ensure_stop_hooks, ensure_time_hooks, frame_info};
use host::GodotHost;
pub(crate) use service::{FrameInfo, Service};
pub(crate) use stop::Stop;
use stop::stop;
pub use tasks::{Awaiting, TaskId, TaskInfo, TaskState, cancel_task, set_poll_timing, set_task_tracking, tasks};
pub(crate) use tasks::{note_awaiting, note_awaiting_live, quietly};

/// Holds engine-bound values in a thread-local. If the thread-local is destroyed while still holding one (the
/// process exits without the exit hook having run), the value is leaked: dropping it then would call into an
/// engine that is already gone.
pub(crate) struct LeakAtThreadExit<T>(pub(crate) Option<T>);

impl<T> Drop for LeakAtThreadExit<T> {
    fn drop(&mut self) {
        std::mem::forget(self.0.take());
    }
}

/// Runs `f` on the main thread's registry in `key`, made by `init` on first use; `None` once the
/// thread-local is gone (process exit). A re-entrant use is a bug and panics naming the registry (`what`).
pub(crate) fn with_registry<T: 'static, R>(
    key: &'static std::thread::LocalKey<RefCell<LeakAtThreadExit<T>>>,
    what: &str,
    init: fn() -> T,
    f: impl FnOnce(&mut T) -> R,
) -> Option<R> {
    key.try_with(|cell| {
        let mut registry =
            cell.try_borrow_mut().unwrap_or_else(|_| panic!("godot-tasks: the {what} was re-entered (a bug)"));
        f(registry.0.get_or_insert_with(init))
    })
    .ok()
}

/// Connects `callable` to `object`'s signal `signal` with the engine's own `connect`, returning its error.
///
/// The `godot` crate's typed `connect` also records every connection to a Rust callable, in the editor, so
/// that it can cut them before a hot reload, and then warns about it in the editor's output at every reload.
/// godot-tasks disconnects its own connections when the runtime stops (before any unload), so it connects
/// through the engine's method and spares users that warning.
pub(crate) fn connect_untracked(
    object: &mut Gd<Object>,
    signal: &StringName,
    callable: &Callable,
) -> godot::global::Error {
    let error = object.call("connect", &[signal.to_variant(), callable.to_variant()]);
    godot::global::Error::from_godot(error.try_to::<i32>().unwrap_or(godot::global::Error::FAILED.ord()))
}

/// Whether this is Godot's main thread, remembered per thread (asking the `godot` crate takes a copy of
/// the thread's handle each time, which shows in spawn-heavy code).
pub(crate) fn on_main_thread() -> bool {
    thread_local! {
        static ON_MAIN_THREAD: Cell<Option<bool>> = const { Cell::new(None) };
    }
    ON_MAIN_THREAD
        .try_with(|known| {
            known.get().unwrap_or_else(|| {
                let main = godot::init::is_main_thread();
                known.set(Some(main));
                main
            })
        })
        .unwrap_or_else(|_| godot::init::is_main_thread())
}

/// Panics with a message naming the rule and the way out if not on Godot's main thread.
#[track_caller]
pub(crate) fn assert_main_thread(what: &str, at: &'static Location<'static>) {
    if !on_main_thread() {
        let thread = std::thread::current();
        let name = thread.name().unwrap_or("<unnamed>");
        panic!(
            "{what} was called at {at} on thread `{name}`, but godot-tasks runs tasks only on Godot's main thread \
             (Godot objects are not thread-safe). Call it from the main thread instead: send the data there with \
             a channel or `call_deferred`, or await this thread's result from a task spawned on the main thread."
        );
    }
}

/// The main thread's executor, created on first use.
///
/// # Panics
///
/// While the thread's locals are being destroyed (the process exits): there is no runtime left to run on.
pub(crate) fn executor() -> Executor {
    let (executor, closed) = with_context(|cx| {
        let mut runtime = cx.runtime.borrow_mut();
        let runtime = runtime.get_or_insert_with(|| {
            let executor = Executor::new(GodotHost);
            executor.set_round_budget(cx.round_budget.get());
            executor.set_slow_poll_threshold(cx.slow_poll.get());
            tasks::configure(&executor, cx.tracking.get(), cx.poll_timing.get());
            Runtime { executor, hooks: None }
        });
        (runtime.executor.clone(), cx.closed.get().is_some())
    })
    .expect("godot-tasks: the runtime was used while the main thread's locals were being destroyed");
    if closed && !executor.is_shut_down() {
        executor.shutdown();
    }
    executor
}

/// The name of the task being polled on this thread, if one is and it has a name. Errors call it when they are
/// made, which happens while the task that meets them is polled.
pub(crate) fn current_task_name() -> Option<std::sync::Arc<str>> {
    with_runtime(|runtime| runtime.executor.current_task_name()).flatten()
}

/// Cancels the task being polled on this thread (it ends when its poll returns); false outside a poll.
pub(crate) fn cancel_current_task() -> bool {
    with_runtime(|runtime| runtime.executor.cancel_current_task()).unwrap_or(false)
}

/// Cancels the task being polled on this thread if it has GDScript timing (an inline task); says whether it
/// did.
pub(crate) fn cancel_current_inline_task() -> bool {
    with_runtime(|runtime| runtime.executor.current_task_is_inline() && runtime.executor.cancel_current_task())
        .unwrap_or(false)
}

/// The runtime's executor, if any of its tasks has GDScript timing (an inline task): what an emission checks
/// before it resumes tasks inside itself.
pub(crate) fn executor_with_inline_tasks() -> Option<Executor> {
    with_runtime(|runtime| runtime.executor.has_inline_tasks().then(|| runtime.executor.clone())).flatten()
}

/// Runs the executor: called from the deferred flush and from the frame hook.
pub(crate) fn flush() {
    let Some(executor) = current_executor() else { return };
    attach_hooks();
    // Work left over by the round budget stays queued; the frame hook flushes it next frame.
    monitors::timed_flush(|| {
        let _ = executor.flush();
    });
}

/// Counts `shutdown()` calls: a task spawned in one generation and dropped in a later one was dropped by a
/// shutdown (even if a destructor has started the next runtime meanwhile).
pub(crate) fn generation() -> u64 {
    with_context(|cx| cx.generation.get()).unwrap_or(u64::MAX)
}

/// Whether the runtime stopped for good: the engine is tearing the scene tree down, the extension is being
/// unloaded, or the thread's locals are gone.
pub(crate) fn engine_exiting() -> bool {
    with_context(|cx| cx.closed.get().is_some()).unwrap_or(true)
}

/// Whether the extension is being unloaded while the engine lives on (an editor hot reload).
pub(crate) fn unloading() -> bool {
    with_context(|cx| cx.closed.get()).flatten() == Some(Stop::Unload)
}

/// Drops every task now (their handles report a cancellation) and detaches from the engine; the next
/// [`spawn`](crate::spawn) starts a fresh runtime.
///
/// It also stops the worker pools ([`crate::threads`]): queued jobs are dropped unrun, `spawn_send` futures
/// still waiting are dropped, and the call **blocks until the jobs already running have ended** and every
/// pool thread is joined (the pools start again with the next job). GDScript awaiting Rust tasks resumes
/// with `null`.
///
/// The engine exit does this by itself; call it yourself to reset all async work, for example before
/// reloading a game state from scratch.
///
/// # Panics
///
/// If called from any thread other than Godot's main thread.
///
/// # Example
///
/// ```no_run
/// # fn example() {
/// let pending = godot_tasks::spawn(std::future::pending::<()>());
/// godot_tasks::runtime::shutdown();
/// // `pending` is finished now: its future was dropped, and awaiting it gives a cancellation error.
/// let finished = pending.is_finished();
/// # }
/// ```
#[track_caller]
pub fn shutdown() {
    assert_main_thread("godot_tasks::runtime::shutdown()", Location::caller());
    stop(Stop::Shutdown);
}

/// How many tasks the runtime holds: running ones, and finished ones whose handle has not taken the result.
///
/// # Example
///
/// ```no_run
/// # fn example() {
/// godot::global::godot_print!("{} tasks alive", godot_tasks::runtime::task_count());
/// # }
/// ```
///
/// # Panics
///
/// If called from any thread other than Godot's main thread (which alone has a runtime).
#[track_caller]
pub fn task_count() -> usize {
    assert_main_thread("godot_tasks::runtime::task_count()", Location::caller());
    with_runtime(|runtime| runtime.executor.task_count()).unwrap_or(0)
}

/// Sets how many rounds the runtime may run per frame (at least 1). A round polls every task that was ready
/// when it began.
///
/// A task woken while the runtime flushes runs in the same flush, one round later. The budget (default
/// [`DEFAULT_ROUND_BUDGET`] rounds) bounds the work of one frame, shared by every flush until the next frame
/// (the deferred flushes, and one per physics tick): a task that wakes itself in a loop runs at most that many
/// times per frame, however many physics ticks the frame has, and continues in the next frame.
///
/// The budget is kept across [`shutdown`].
///
/// # Example
///
/// ```no_run
/// # fn example() {
/// godot_tasks::runtime::set_round_budget(16);
/// # }
/// ```
///
/// # Panics
///
/// If called from any thread other than Godot's main thread.
#[track_caller]
pub fn set_round_budget(rounds: u32) {
    assert_main_thread("godot_tasks::runtime::set_round_budget()", Location::caller());
    let _ = with_context(|cx| cx.round_budget.set(rounds));
    executor().set_round_budget(rounds);
}
