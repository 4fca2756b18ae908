//! The jobs a pool is running right now, so that stopping the pool can wait for them and name the late ones.
//!
//! No thread may run library code once the library is unloaded, so a stopping pool waits for every job that
//! already started. Most jobs end long before anyone notices; one that does not gets a warning, after a
//! grace period, that names where it was offloaded (a job that never ends would otherwise hang the game's
//! exit or the editor's hot reload without a word).

use std::panic::Location;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use slab::Slab;

/// How long a stopping pool waits silently for its running jobs before it warns.
pub(super) const GRACE: Duration = Duration::from_millis(500);

/// The running jobs of one pool: where each was offloaded.
pub(super) struct Running {
    jobs: Mutex<Slab<&'static Location<'static>>>,
    /// Notified when the last running job ends.
    idle: Condvar,
}

/// A job's entry in [`Running`]; removed when it is dropped (also if the job panics).
pub(super) struct RunningGuard<'a> {
    running: &'a Running,
    key: usize,
}

impl Running {
    pub(super) const fn new() -> Self {
        Self { jobs: Mutex::new(Slab::new()), idle: Condvar::new() }
    }

    fn lock(&self) -> MutexGuard<'_, Slab<&'static Location<'static>>> {
        // The lock is never held while user code runs, so a poisoned lock still holds consistent data.
        self.jobs.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records a job offloaded at `at` as running until the guard is dropped.
    pub(super) fn enter(&self, at: &'static Location<'static>) -> RunningGuard<'_> {
        let key = self.lock().insert(at);
        RunningGuard { running: self, key }
    }

    /// Waits until no job runs. After [`GRACE`], warns once through `warn` with the places the late jobs
    /// were offloaded, then keeps waiting: the caller must not go on while pool code still runs.
    pub(super) fn wait_until_idle(&self, pool: &str, warn: &dyn Fn(&str)) {
        let deadline = Instant::now() + GRACE;
        let mut jobs = self.lock();
        let mut warned = false;
        while !jobs.is_empty() {
            let now = Instant::now();
            if !warned && now >= deadline {
                warned = true;
                let places: Vec<String> = jobs.iter().map(|(_, at)| at.to_string()).collect();
                warn(&format!(
                    "godot-tasks: waiting for {} job(s) still running on the {pool} pool (offloaded at {}); \
                     the engine cannot quit or reload the extension while its code runs on a worker thread. \
                     Let long jobs check a flag or a `CancelToken` and return early.",
                    places.len(),
                    places.join(", ")
                ));
            }
            let timeout = if warned { Duration::from_secs(3600) } else { deadline.saturating_duration_since(now) };
            jobs = self.idle.wait_timeout(jobs, timeout).unwrap_or_else(PoisonError::into_inner).0;
        }
    }
}

impl Drop for RunningGuard<'_> {
    fn drop(&mut self) {
        let mut jobs = self.running.lock();
        jobs.remove(self.key);
        if jobs.is_empty() {
            self.running.idle.notify_all();
        }
    }
}
