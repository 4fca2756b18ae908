//! What the pools share: the job they run, and how the runtime stops them.

use std::panic::Location;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

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

/// Where a pool lives while it runs: started by the first job, taken out by a stop, and closed for good by
/// the stop of an engine exit or unload (after which no pool starts again).
pub(super) struct PoolSlot<T> {
    pool: Mutex<Option<Arc<T>>>,
    closed: AtomicBool,
}

impl<T> PoolSlot<T> {
    pub(super) const fn new() -> Self {
        Self { pool: Mutex::new(None), closed: AtomicBool::new(false) }
    }

    /// The running pool, started with `start` if there is none; `None` once the slot is closed.
    pub(super) fn get(&self, start: impl FnOnce() -> T) -> Option<Arc<T>> {
        // The lock is never held while user code runs, so a poisoned lock still holds consistent data.
        let mut pool = self.pool.lock().unwrap_or_else(PoisonError::into_inner);
        if self.closed.load(Ordering::Acquire) {
            return None;
        }
        Some(Arc::clone(pool.get_or_insert_with(|| Arc::new(start()))))
    }

    /// Takes the running pool out, if any, for the caller to stop; closes the slot for good if `gate` says so.
    pub(super) fn take(&self, gate: Gate) -> Option<Arc<T>> {
        let mut pool = self.pool.lock().unwrap_or_else(PoisonError::into_inner);
        if gate == Gate::Close {
            self.closed.store(true, Ordering::Release);
        }
        pool.take()
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
