//! The threads of a pool, what each is running, and how stopping waits for them.
//!
//! No thread may run library code once the library is unloaded, so a stopping pool joins every thread it
//! started. Most jobs end long before anyone notices; one that does not gets a warning, after a grace
//! period, naming where it was offloaded (a job that never ends would otherwise hang the game's exit or the
//! editor's hot reload without a word). To name it, each thread publishes the place its current job was
//! offloaded in a slot of its own: an uncontended lock per job, nothing shared between threads.

use std::cell::OnceCell;
use std::panic::Location;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a stopping pool waits silently for its running jobs before it warns.
pub(super) const GRACE: Duration = Duration::from_millis(500);

/// Where the job a thread runs now was offloaded; `None` while it runs none.
#[derive(Default)]
pub(super) struct CurrentJob(Mutex<Option<&'static Location<'static>>>);

impl CurrentJob {
    fn set(&self, at: Option<&'static Location<'static>>) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = at;
    }

    fn get(&self) -> Option<&'static Location<'static>> {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

thread_local! {
    /// This pool thread's slot (unset on threads that are not pool threads).
    static CURRENT: OnceCell<Arc<CurrentJob>> = const { OnceCell::new() };
}

/// A pool thread: its handle and its slot.
pub(super) struct Worker {
    handle: JoinHandle<()>,
    current: Arc<CurrentJob>,
}

impl Worker {
    /// Starts a pool thread named `name` that runs `body`.
    pub(super) fn spawn(name: String, body: impl FnOnce() + Send + 'static) -> std::io::Result<Self> {
        let current = Arc::new(CurrentJob::default());
        let slot = Arc::clone(&current);
        let handle = std::thread::Builder::new().name(name).spawn(move || {
            CURRENT.with(|cell| {
                let _ = cell.set(slot);
            });
            body();
        })?;
        Ok(Self { handle, current })
    }

    pub(super) fn is_finished(&self) -> bool {
        self.handle.is_finished()
    }

    /// Waits until the thread has exited entirely (also its thread-local destructors, library code too).
    pub(super) fn join(self) {
        let _ = self.handle.join();
    }
}

/// Runs `job`, offloaded at `at`, publishing `at` in this thread's slot meanwhile.
pub(super) fn run_job(at: &'static Location<'static>, job: impl FnOnce()) {
    /// Clears the slot when the job ends, also by a panic.
    struct Clear<'a>(Option<&'a CurrentJob>);
    impl Drop for Clear<'_> {
        fn drop(&mut self) {
            if let Some(current) = self.0 {
                current.set(None);
            }
        }
    }
    CURRENT.with(|cell| {
        let current = cell.get().map(|current| &**current);
        if let Some(current) = current {
            current.set(Some(at));
        }
        let _clear = Clear(current);
        job();
    });
}

/// Joins `workers` once their threads end (the caller made sure they will: no more jobs are handed out).
/// After [`GRACE`], warns once through `warn` naming where the jobs still running were offloaded.
pub(super) fn join_all(workers: Vec<Worker>, pool: &str, warn: &dyn Fn(&str)) {
    // A thread parked inside a job (a `spawn_send` future waiting) wakes and sees that the pools stop.
    for worker in &workers {
        worker.handle.thread().unpark();
    }
    wait_with_grace(
        || workers.iter().all(Worker::is_finished),
        || {
            workers
                .iter()
                .filter(|worker| !worker.is_finished())
                .filter_map(|worker| worker.current.get())
                .map(ToString::to_string)
                .collect()
        },
        pool,
        warn,
    );
    for worker in workers {
        worker.join();
    }
}

/// Polls `done` until it holds. After [`GRACE`], warns once through `warn` with what `late` names.
pub(super) fn wait_with_grace(
    mut done: impl FnMut() -> bool,
    late: impl Fn() -> Vec<String>,
    pool: &str,
    warn: &dyn Fn(&str),
) {
    let deadline = Instant::now() + GRACE;
    let mut warned = false;
    while !done() {
        if !warned && Instant::now() >= deadline {
            warned = true;
            let places = late();
            warn(&format!(
                "godot-tasks: waiting for {} job(s) still running on the {pool} pool (offloaded at {}); the \
                 engine cannot quit or reload the extension while its code runs on a worker thread. Let long \
                 jobs check a flag or a `CancelToken` and return early.",
                places.len(),
                places.join(", ")
            ));
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}
