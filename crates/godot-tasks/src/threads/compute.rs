//! Offloading CPU-bound closures to a pool of one thread per core.

use super::outcome::{Offloaded, Pool};

/// Runs `work` on the compute pool (one thread per core) and returns its result as a future for a
/// main-thread task. A panic in `work` comes back as a [`OffloadError`](super::OffloadError).
///
/// Use it for work that keeps a core busy: decoding, path-finding, procedural generation, physics queries
/// on your own data. Jobs queue for the pool's threads, so a burst of jobs never starts more threads than
/// the machine has cores. Work that waits (files, network, locks) belongs in
/// [`spawn_blocking`](super::spawn_blocking), where a waiting job does not keep others from running.
///
/// The pool is [rayon](https://docs.rs/rayon-core)'s global pool: jobs you give rayon yourself share its
/// threads, and `rayon::ThreadPoolBuilder::build_global` (called before the first job) sizes it.
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
