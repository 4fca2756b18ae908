//! What the pools share: the job they run, and how the runtime stops them.

use std::panic::Location;
use std::sync::atomic::{AtomicU64, Ordering};

/// How many times the pools were stopped: work that waits (a `spawn_send` future) gives up when it changes.
static STOPS: AtomicU64 = AtomicU64::new(0);

pub(super) fn stops() -> u64 {
    STOPS.load(Ordering::Acquire)
}

/// A unit of work for the blocking pool's queue, with the place it was offloaded (named if it delays a stop).
pub(super) struct Job {
    pub(super) offloaded_at: &'static Location<'static>,
    work: Box<dyn FnOnce() + Send>,
}

impl Job {
    pub(super) fn new(offloaded_at: &'static Location<'static>, work: impl FnOnce() + Send + 'static) -> Self {
        Self { offloaded_at, work: Box::new(work) }
    }

    /// Runs the work (which catches its own panics: see `Pool::run`).
    pub(super) fn run(self) {
        (self.work)();
    }
}

/// Whether a stopped pool may start again.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Gate {
    /// `runtime::shutdown()`: the next job starts a new pool.
    Reopen,
    /// Engine exit or unload: no pool starts again; later jobs are dropped unrun.
    Close,
}

/// Stops every pool the crate owns: queued jobs are dropped unrun, running ones are waited for (each pool
/// warns through `warn` about jobs still running after a grace period), and every pool thread is joined.
/// Called on the main thread when the runtime stops.
pub(crate) fn stop_all(close: bool, warn: &dyn Fn(&str)) {
    let gate = if close { Gate::Close } else { Gate::Reopen };
    STOPS.fetch_add(1, Ordering::AcqRel); // pool threads are unparked below, and look
    super::compute::stop(gate, warn);
    super::blocking::stop(gate, warn);
    #[cfg(feature = "tokio")]
    super::tokio::stop(gate, warn);
}
