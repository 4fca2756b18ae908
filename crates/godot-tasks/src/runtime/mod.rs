//! The engine side of the runtime: the only place that schedules engine calls.
//!
//! One executor per process lives in a thread-local of Godot's main thread, created by the first `spawn`.
//! It is driven by up to four engine hooks, all attached lazily to the current `SceneTree`, never by the user:
//!
//! - **flush request**: when work becomes ready on the main thread, one deferred call (`call_deferred` of a
//!   cached callable) flushes the executor in a fresh call stack, later in the same frame. Many wakes before
//!   that flush cost one deferred call.
//! - **frame hook** (`SceneTree.process_frame`): once per frame, one atomic load checks for work that was
//!   woken from other threads, or left over when a flush spent its round budget, and flushes it. The same
//!   hook hands signal emissions from other threads to their tasks and releases signal connections that
//!   nobody awaits any more ([`crate::signal`]), and, once [`crate::time`] is used, advances its clocks and
//!   frame counts and wakes the waits that end.
//! - **physics hook** (`SceneTree.physics_frame`, attached once [`crate::time`] is used): advances the physics
//!   clocks and tick counts and flushes the tasks whose waits ended.
//! - **exit hook** (the root window's `tree_exiting`, emitted while the engine tears the scene tree down at
//!   exit, whether a task, GDScript or the window asked to quit).
//! - **unload hook** (`GDExtensionManager.extension_unloading`, emitted by editor builds before an extension
//!   is unloaded or hot-reloaded): the hook checks that it is this extension that goes away.
//!
//! # Stopping
//!
//! The runtime stops in one way, whatever the reason ([`Stop`]): engine exit, unload (hot reload), or
//! [`shutdown`]. In this order, on the main thread, while the engine is still alive:
//!
//! 1. every hook is disconnected, so no engine signal calls into the library any more;
//! 2. every task is cancelled and its future dropped (destructors may still use the engine);
//! 3. signal connections are released (all of them at exit and unload, since the emitters outlive us),
//!    and the time service drops the wakers it holds;
//! 4. the worker pools stop: queued jobs are dropped unrun, running ones are waited for, threads are joined
//!    ([`crate::threads`]);
//! 5. the engine objects the runtime keeps (the relay, cached names) are released, so that a deferred flush
//!    still queued, or an emission of `process_frame` still under way, reaches nothing (the relay goes
//!    first, before the tasks are dropped; see `host.rs`).
//!
//! After an engine exit or unload the runtime stays closed: `spawn` refuses new tasks. After [`shutdown`]
//! the next `spawn` starts a fresh runtime.

mod host;

use std::cell::{Cell, RefCell};
use std::panic::Location;

use godot::classes::{Engine, GDExtensionManager, SceneTree, Window};
use godot::prelude::*;
pub use godot_tasks_executor::DEFAULT_ROUND_BUDGET;
use godot_tasks_executor::Executor;

use host::{GodotHost, Relayed};

thread_local! {
    static RUNTIME: RefCell<LeakAtThreadExit<Runtime>> = const { RefCell::new(LeakAtThreadExit(None)) };
    /// Set when the runtime stopped for good: the engine exits, or the extension is being unloaded.
    static CLOSED: Cell<Option<Stop>> = const { Cell::new(None) };
    /// How many times `shutdown()` ran.
    static GENERATION: Cell<u64> = const { Cell::new(0) };
    /// The round budget set with `set_round_budget`; kept across `shutdown()`.
    static ROUND_BUDGET: Cell<u32> = const { Cell::new(DEFAULT_ROUND_BUDGET) };
}

/// Why the runtime stops.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Stop {
    /// [`shutdown`]: the next `spawn` starts a fresh runtime.
    Shutdown,
    /// The engine tears the scene tree down for good.
    EngineExit,
    /// The editor unloads (or hot-reloads) this extension: its code goes away while the engine lives on.
    Unload,
}

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

struct Runtime {
    executor: Executor,
    hooks: Option<Hooks>,
}

/// The engine connections that drive the executor.
struct Hooks {
    tree: Gd<SceneTree>,
    root: Gd<Window>,
    frame: Callable,
    exit: Callable,
    /// Connected to `GDExtensionManager.extension_unloading`.
    unload: Callable,
    /// Attached once the time module is in use.
    physics: Option<Callable>,
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
pub(crate) fn executor() -> Executor {
    let executor = RUNTIME.with_borrow_mut(|runtime| {
        let runtime = runtime.0.get_or_insert_with(|| {
            let executor = Executor::new(GodotHost);
            executor.set_round_budget(ROUND_BUDGET.get());
            executor.start_frame(); // budgeted per frame from the start, not per flush until the frame hook
            Runtime { executor, hooks: None }
        });
        runtime.executor.clone()
    });
    if CLOSED.get().is_some() && !executor.is_shut_down() {
        executor.shutdown();
    }
    executor
}

/// Runs the executor: called from the deferred flush and from the frame hook.
pub(crate) fn flush() {
    let Some(executor) = RUNTIME.with_borrow(|runtime| runtime.0.as_ref().map(|r| r.executor.clone())) else {
        return;
    };
    attach_hooks();
    // Work left over by the round budget stays queued; the frame hook flushes it next frame.
    let _ = executor.flush();
}

/// Counts `shutdown()` calls: a task spawned in one generation and dropped in a later one was dropped by a
/// shutdown (even if a destructor has started the next runtime meanwhile).
pub(crate) fn generation() -> u64 {
    GENERATION.try_with(Cell::get).unwrap_or(u64::MAX)
}

/// Whether the runtime stopped for good: the engine is tearing the scene tree down, the extension is being
/// unloaded, or the thread's locals are gone.
pub(crate) fn engine_exiting() -> bool {
    CLOSED.try_with(|closed| closed.get().is_some()).unwrap_or(true)
}

/// Whether the extension is being unloaded while the engine lives on (an editor hot reload).
pub(crate) fn unloading() -> bool {
    CLOSED.try_with(Cell::get).ok().flatten() == Some(Stop::Unload)
}

/// Attaches the frame hook to the current runtime if it can, and says whether one runs. False without a
/// runtime, without a scene tree, during engine exit, and while the thread's locals are torn down.
pub(crate) fn ensure_frame_hook() -> bool {
    if engine_exiting() || RUNTIME.try_with(|_| ()).is_err() {
        return false;
    }
    attach_hooks();
    RUNTIME
        .try_with(|runtime| runtime.try_borrow().is_ok_and(|r| r.0.as_ref().is_some_and(|r| r.hooks.is_some())))
        .unwrap_or(false)
}

/// Makes sure the hooks that count time run: the frame hook and the physics hook.
pub(crate) fn ensure_time_hooks() {
    let attached = RUNTIME
        .with_borrow(|runtime| runtime.0.as_ref().and_then(|r| r.hooks.as_ref()).is_some_and(|h| h.physics.is_some()));
    if attached {
        return; // The common case, on every time wait: one borrow.
    }
    let _ = executor();
    attach_hooks();
}

/// What the time module needs to know about the frame or tick that starts.
fn frame_info(physics: bool) -> Option<crate::time::FrameInfo> {
    if !crate::time::is_active() {
        return None;
    }
    let (tree, root) = RUNTIME.with_borrow(|runtime| {
        runtime.0.as_ref().and_then(|r| r.hooks.as_ref()).map(|h| (h.tree.clone(), h.root.clone()))
    })?;
    let delta = if physics { root.get_physics_process_delta_time() } else { root.get_process_delta_time() };
    Some(crate::time::FrameInfo { paused: tree.is_paused(), delta, time_scale: Engine::singleton().get_time_scale() })
}

fn on_physics_frame() {
    if let Some(tick) = frame_info(true) {
        crate::time::on_physics_frame(&tick);
    }
    flush_if_ready();
}

fn on_frame() {
    // The round budget is per frame: the flushes of this frame hook, of deferred calls and of the physics
    // ticks before the next frame share it.
    if let Some(executor) = RUNTIME.with_borrow(|runtime| runtime.0.as_ref().map(|r| r.executor.clone())) {
        executor.start_frame();
    }
    crate::signal::on_frame();
    if let Some(frame) = frame_info(false) {
        crate::time::on_process_frame(&frame);
    }
    flush_if_ready();
}

/// Flushes if tasks are ready: woken by the hook's own work, from other threads, or left by the round budget.
fn flush_if_ready() {
    let ready = RUNTIME.with_borrow(|runtime| runtime.0.as_ref().is_some_and(|r| r.executor.has_ready_work()));
    if ready {
        flush();
    }
}

/// Stops the runtime (see the module docs for the order). Called on the main thread.
pub(crate) fn stop(reason: Stop) {
    if reason != Stop::Shutdown {
        CLOSED.set(Some(reason));
    }
    // After an engine exit or unload the closed executor stays installed, so that spawns during the rest of
    // the teardown are refused; after a shutdown the next spawn starts a fresh runtime.
    let (executor, hooks, removed) = RUNTIME.with_borrow_mut(|slot| {
        let mut removed = if reason == Stop::Shutdown { slot.0.take() } else { None };
        let Some(runtime) = removed.as_mut().or(slot.0.as_mut()) else { return (None, None, None) };
        (Some(runtime.executor.clone()), runtime.hooks.take(), removed)
    });
    if reason == Stop::Shutdown {
        GENERATION.set(GENERATION.get() + 1);
    }
    if let Some(hooks) = hooks {
        hooks.detach();
    }
    // Before the tasks are dropped: a destructor that spawns into the next runtime (after a shutdown) makes
    // that runtime's own relay.
    host::release_engine_objects();
    if let Some(executor) = executor {
        // Outside the borrow: destructors of the futures may spawn (refused, or into the next runtime) or cancel.
        executor.shutdown();
    }
    drop(removed);
    match reason {
        Stop::Shutdown => crate::signal::on_shutdown(),
        Stop::EngineExit | Stop::Unload => crate::signal::on_engine_exit(),
    }
    crate::time::on_shutdown();
    crate::threads::stop_all(reason != Stop::Shutdown, &|warning| godot_warn!("{warning}"));
    if reason != Stop::Shutdown {
        host::release_engine_objects(); // in case a destructor asked for a flush of the closed runtime
        if reason == Stop::Unload {
            crate::gdscript::resume_unloaded();
        }
        crate::gdscript::release_engine_objects();
    }
}

fn on_engine_exit() {
    stop(Stop::EngineExit);
}

/// At `GDExtensionManager.extension_unloading(extension)`: stops the runtime if `extension` is this one.
fn on_extension_unloading(args: &[&Variant]) {
    let Some(extension) = args.first().and_then(|arg| arg.try_to::<Gd<Object>>().ok()) else { return };
    if is_this_extension(&extension) {
        stop(Stop::Unload);
    }
}

/// Whether `extension` (a `GDExtension`) is the extension this library was loaded as.
#[allow(unsafe_code)]
fn is_this_extension(extension: &Gd<Object>) -> bool {
    // SAFETY: `get_library` needs the binding initialized (it is: the engine calls into this library through
    // a callable, long after initialization) and the main thread (signal callables made with `from_fn` are
    // only called there). The library pointer Godot hands an extension at load is its `GDExtension` object,
    // which starts with its `Object` base (single inheritance), so the two pointers are equal.
    let library = unsafe { godot::sys::get_library() };
    std::ptr::eq(extension.obj_sys().cast::<std::ffi::c_void>(), library.cast::<std::ffi::c_void>())
}

/// Drops every task now (their handles report a cancellation) and detaches from the engine; the next
/// [`spawn`](crate::spawn) starts a fresh runtime.
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
/// assert!(pending.is_finished()); // dropped, and reported as cancelled to whoever awaits it
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
    RUNTIME.with_borrow(|runtime| runtime.0.as_ref().map_or(0, |r| r.executor.task_count()))
}

/// Sets how many rounds the runtime may run per frame; see [`Executor::set_round_budget`].
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
    ROUND_BUDGET.set(rounds);
    executor().set_round_budget(rounds);
}

fn attach_hooks() {
    if engine_exiting() {
        return;
    }
    let (hooks_attached, physics_attached) = RUNTIME.with_borrow(|runtime| match &runtime.0 {
        None => (true, true), // no runtime: nothing to drive
        Some(r) => (r.hooks.is_some(), r.hooks.as_ref().is_some_and(|h| h.physics.is_some())),
    });
    if !hooks_attached {
        let Some(hooks) = Hooks::attach() else {
            return; // No scene tree yet; the next flush tries again.
        };
        RUNTIME.with_borrow_mut(|runtime| match &mut runtime.0 {
            Some(runtime) if runtime.hooks.is_none() => runtime.hooks = Some(hooks),
            _ => hooks.detach(),
        });
    }
    // The time module counts physics ticks from its first use on, across runtime restarts.
    if !physics_attached && crate::time::is_active() {
        let tree = RUNTIME.with_borrow(|runtime| {
            runtime.0.as_ref().and_then(|r| r.hooks.as_ref()).filter(|h| h.physics.is_none()).map(|h| h.tree.clone())
        });
        if let Some(tree) = tree {
            let physics = host::relay(
                Relayed::Physics,
                Callable::from_fn("godot_tasks::physics_hook", |_args| on_physics_frame()),
            );
            Signal::from_object_signal(&tree, "physics_frame").connect(&physics);
            RUNTIME.with_borrow_mut(|runtime| match runtime.0.as_mut().and_then(|r| r.hooks.as_mut()) {
                Some(hooks) if hooks.physics.is_none() => hooks.physics = Some(physics),
                _ => Signal::from_object_signal(&tree, "physics_frame").disconnect(&physics),
            });
        }
    }
}

impl Hooks {
    fn attach() -> Option<Self> {
        let tree = Engine::singleton().get_main_loop()?.try_cast::<SceneTree>().ok()?;
        let root = tree.get_root()?;
        let frame = host::relay(Relayed::Frame, Callable::from_fn("godot_tasks::frame_hook", |_args| on_frame()));
        let exit = Callable::from_fn("godot_tasks::exit_hook", |_args| on_engine_exit());
        let unload = Callable::from_fn("godot_tasks::unload_hook", on_extension_unloading);
        Signal::from_object_signal(&tree, "process_frame").connect(&frame);
        Signal::from_object_signal(&root, "tree_exiting").connect(&exit);
        Signal::from_object_signal(&GDExtensionManager::singleton(), "extension_unloading").connect(&unload);
        Some(Self { tree, root, frame, exit, unload, physics: None })
    }

    fn detach(&self) {
        let process_frame = Signal::from_object_signal(&self.tree, "process_frame");
        if process_frame.is_connected(&self.frame) {
            process_frame.disconnect(&self.frame);
        }
        let tree_exiting = Signal::from_object_signal(&self.root, "tree_exiting");
        if tree_exiting.is_connected(&self.exit) {
            tree_exiting.disconnect(&self.exit);
        }
        let unloading = Signal::from_object_signal(&GDExtensionManager::singleton(), "extension_unloading");
        if unloading.is_connected(&self.unload) {
            unloading.disconnect(&self.unload);
        }
        if let Some(physics) = &self.physics {
            let physics_frame = Signal::from_object_signal(&self.tree, "physics_frame");
            if physics_frame.is_connected(physics) {
                physics_frame.disconnect(physics);
            }
        }
    }
}
