//! The runtime's one thread-local: everything it keeps on Godot's main thread, with one exit rule.
//!
//! Services keep their own registries (signal hubs, timers, the bridge's script); the runtime's own state is
//! all here: the executor and its engine hooks, the relay, the lifecycle state, and the configuration that
//! outlives a `shutdown()`.

use std::cell::{Cell, RefCell};

use godot_tasks_executor::{DEFAULT_ROUND_BUDGET, Executor};

use super::hooks::Hooks;
use super::relay::Relay;
use super::stop::Stop;

/// One executor and the engine hooks that drive it; made by the first `spawn`, dropped by `shutdown()`.
pub(super) struct Runtime {
    pub(super) executor: Executor,
    pub(super) hooks: Option<Hooks>,
}

pub(super) struct Context {
    /// The current runtime, if any.
    pub(super) runtime: RefCell<Option<Runtime>>,
    /// The relay every per-frame engine call goes through (`relay.rs`); made on first use.
    pub(super) relay: RefCell<Option<Relay>>,
    /// Why the runtime stopped for good (the engine exits, or the extension is being unloaded); `None`
    /// while it may run.
    pub(super) closed: Cell<Option<Stop>>,
    /// How many times `shutdown()` ran.
    pub(super) generation: Cell<u64>,
    /// The round budget set with `set_round_budget`; kept across `shutdown()`.
    pub(super) round_budget: Cell<u32>,
    /// The slow-poll warning threshold set with `set_slow_poll_warning`; kept across `shutdown()`.
    pub(super) slow_poll: Cell<Option<std::time::Duration>>,
    /// Whether task tracking is on (`set_task_tracking`, or a first `tasks()`); kept across `shutdown()`.
    pub(super) tracking: Cell<bool>,
    /// Whether poll times are added up (`set_poll_timing`); kept across `shutdown()`.
    pub(super) poll_timing: Cell<bool>,
}

impl Drop for Context {
    /// Reached only if the thread's locals are destroyed while the context still holds engine objects (the
    /// process exits without the exit hook having run): they are leaked, since dropping them would call into
    /// an engine that is already gone.
    fn drop(&mut self) {
        std::mem::forget(self.runtime.take());
        std::mem::forget(self.relay.take());
    }
}

thread_local! {
    pub(super) static CONTEXT: Context = const {
        Context {
            runtime: RefCell::new(None),
            relay: RefCell::new(None),
            closed: Cell::new(None),
            generation: Cell::new(0),
            round_budget: Cell::new(DEFAULT_ROUND_BUDGET),
            slow_poll: Cell::new(super::DEFAULT_SLOW_POLL_WARNING),
            tracking: Cell::new(false),
            poll_timing: Cell::new(false),
        }
    };
}

/// Runs `f` with the context; `None` once the thread's locals are being destroyed.
pub(super) fn with_context<R>(f: impl FnOnce(&Context) -> R) -> Option<R> {
    CONTEXT.try_with(f).ok()
}

/// Runs `f` with the current runtime, if there is one (and the thread's locals are alive).
pub(super) fn with_runtime<R>(f: impl FnOnce(&Runtime) -> R) -> Option<R> {
    with_context(|cx| cx.runtime.borrow().as_ref().map(f)).flatten()
}

/// The current runtime's executor, if there is one.
pub(super) fn current_executor() -> Option<Executor> {
    with_runtime(|runtime| runtime.executor.clone())
}
