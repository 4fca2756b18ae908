//! Offloading CPU-bound closures to the compute pool: one thread per core, owned by godot-tasks.
//!
//! The pool is a rayon `ThreadPool` built here (not rayon's global pool, whose threads can never be joined):
//! its threads are started by us, so stopping the pool can join them before the library is unloaded.

use std::panic::Location;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use super::outcome::{Offloaded, Pool};
use super::pool::{Gate, PoolSlot};
use super::workers::{Worker, join_all, run_job};

/// Runs `work` on the compute pool (one thread per core) and returns its result as a future for a
/// main-thread task. A panic in `work` comes back as a [`OffloadError`](super::OffloadError).
///
/// Use it for work that keeps a core busy: decoding, path-finding, procedural generation, physics queries
/// on your own data. Jobs queue for the pool's threads, so a burst of jobs never starts more threads than
/// the machine has cores. Work that waits (files, network, locks) belongs in
/// [`spawn_blocking`](super::spawn_blocking), where a waiting job does not keep others from running.
///
/// The pool is godot-tasks' own (a rayon thread pool with one thread per core, threads named
/// `godot-tasks-compute-N`), started on first use and stopped with the runtime (see
/// [the threads module](super#stopping)).
///
/// Dropping the returned future before the job starts skips the job; after that, the job runs to its end
/// and its value is dropped on a worker thread (see [`Offloaded`]).
///
/// # Example
///
/// ```no_run
/// use godot::prelude::*;
///
/// # fn find_path(from: (i32, i32), to: (i32, i32)) -> Vec<(i32, i32)> { vec![from, to] }
/// # fn example(mut agent: Gd<Node2D>) {
/// godot_tasks::spawn(async move {
///     let path = godot_tasks::threads::spawn_compute(|| find_path((0, 0), (40, 12))).await;
///     match path {
///         Ok(path) => agent.set_meta("path_length", &(path.len() as i64).to_variant()), // main thread
///         Err(panic) => godot_error!("{panic}"),
///     }
/// })
/// .detach();
/// # }
/// ```
#[track_caller]
pub fn spawn_compute<F, R>(work: F) -> Offloaded<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    Pool::Compute.offload(work)
}

/// The running compute pool, if any.
static POOL: PoolSlot<ComputePool> = PoolSlot::new();

struct ComputePool {
    pool: rayon_core::ThreadPool,
    /// Set when the pool stops: jobs that have not started are dropped unrun.
    stopping: Arc<AtomicBool>,
    workers: Arc<Mutex<Vec<Worker>>>,
}

/// Runs `job`, offloaded at `at`, on the compute pool, starting the pool if needed. Gives the job back if the
/// library has stopped for good (the caller drops it).
pub(super) fn run<J: FnOnce() + Send + 'static>(at: &'static Location<'static>, job: J) -> Result<(), J> {
    let Some(pool) = POOL.get(ComputePool::start) else { return Err(job) };
    let stopping = Arc::clone(&pool.stopping);
    pool.pool.spawn(move || {
        if stopping.load(Ordering::Acquire) {
            return; // dropped unrun, on this worker
        }
        run_job(at, job);
    });
    Ok(())
}

/// Stops the pool: jobs not yet started are dropped unrun, running ones are waited for (with a warning
/// through `warn` after a grace period), and every pool thread is joined. The next job starts a new pool,
/// unless `gate` closes the pool for good.
pub(super) fn stop(gate: Gate, warn: &dyn Fn(&str)) {
    let Some(pool) = POOL.take(gate) else { return };
    pool.stopping.store(true, Ordering::Release);
    // Queued jobs now only check the flag and return; rayon's threads end once the pool is gone and their
    // job is done (a thread that is offloading at this moment may hold the pool a little longer).
    let workers = Arc::clone(&pool.workers);
    drop(pool);
    let workers = std::mem::take(&mut *workers.lock().unwrap_or_else(PoisonError::into_inner));
    join_all(workers, "compute", warn);
}

impl ComputePool {
    fn start() -> Self {
        let workers = Arc::new(Mutex::new(Vec::new()));
        let spawned = Arc::clone(&workers);
        let pool = rayon_core::ThreadPoolBuilder::new()
            .thread_name(|index| format!("godot-tasks-compute-{index}"))
            .spawn_handler(move |thread| {
                let name = thread.name().unwrap_or("godot-tasks-compute").to_owned();
                let worker = Worker::spawn(name, move || thread.run())?;
                spawned.lock().unwrap_or_else(PoisonError::into_inner).push(worker);
                Ok(())
            })
            .build()
            .expect("godot-tasks: could not start the compute pool's threads");
        Self { pool, stopping: Arc::new(AtomicBool::new(false)), workers }
    }
}
