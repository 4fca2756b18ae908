//! Threads: run blocking work and `Send` futures on background threads, and await them from main-thread
//! tasks.
//!
//! Tasks stay on Godot's main thread; anything that runs elsewhere can be awaited from them. The awaiting
//! task resumes on the main thread, in the same or the next frame (a wake from another thread reaches the
//! runtime through its frame hook). None of this needs the `godot` crate's `experimental-threads` feature:
//! only `Send` values cross threads, and nothing here calls the engine off the main thread.
//!
//! # Which function
//!
//! | work | function | pool |
//! | --- | --- | --- |
//! | CPU-bound: decoding, path-finding, generation | [`spawn_compute`] | the compute pool: one thread per core |
//! | waits: files, blocking network calls, locks, sleeps | [`spawn_blocking`] | the blocking pool: grows while its threads are busy |
//! | an `async` computation that needs no runtime | [`spawn_send`] | as `spawn_blocking`, one thread per future |
//! | needs tokio (its sockets, its timers) | `spawn_tokio` (feature `tokio`) | your tokio runtime, or one started on demand |
//!
//! Why these pools and not Godot's own `WorkerThreadPool` (the repository's README has the benchmark, rows
//! "worker pool burst" and "worker pool latency"):
//!
//! - **Speed is not the reason.** For bursts of small jobs the compute pool and `WorkerThreadPool` are even;
//!   `WorkerThreadPool` wakes from idle faster; all of them are far inside a frame, and the awaiting task
//!   resumes in the next frame either way. The blocking pool starts threads while its queue is long: right
//!   for work that waits, wrong for many small computations (use `spawn_compute` for those).
//! - **Reach is.** From Rust without `experimental-threads`, each `WorkerThreadPool` job has to be a custom
//!   callable made through the raw GDExtension interface, jobs can be queued only from the main thread, and
//!   every task must be waited for from the main thread. Rust pools need none of that, work wherever Rust
//!   runs (including before the engine is up), and their jobs can be skipped when nobody awaits them any
//!   more.
//! - **Stopping is.** Both pools are godot-tasks' own (a rayon thread pool whose threads it starts, and a
//!   small elastic pool), not rayon's global pool or the `blocking` crate's: those threads can never be
//!   joined, and a thread still running the extension's code when Godot unloads it crashes the game at exit
//!   or the editor at hot reload.
//!
//! Godot runs its own pool of one thread per core as well; the compute pool adds as many threads again,
//! which matters only while both are busy.
//!
//! # Stopping
//!
//! Both pools belong to godot-tasks and start on first use. They stop whenever the runtime stops: at
//! [`runtime::shutdown()`](crate::runtime::shutdown), when the engine exits (also on `get_tree().quit()`),
//! and when the editor unloads or hot-reloads the extension. Then:
//!
//! - every task is cancelled first, so nothing awaits the jobs any more;
//! - jobs that have not started are dropped unrun (their futures, if still held, resolve to an
//!   [`OffloadError`] that is not a panic);
//! - jobs that are running are waited for, because no thread may run the extension's code once Godot unloads
//!   it. After half a second Godot's output shows a warning naming where each late job was offloaded. **A job
//!   that never ends keeps the game from quitting** (and the editor from reloading): let long jobs check a
//!   flag or a [`CancelToken`](crate::CancelToken) now and then and return early;
//! - every pool thread is joined. After `runtime::shutdown()` the next job starts the pools again; after an
//!   engine exit or unload, later jobs are dropped unrun.
//!
//! The runtime hears of the exit and of an unload through hooks it attaches to the scene tree on the main
//! thread, the first time a task is spawned or work is offloaded there. Work offloaded only from other
//! threads, by a program that never touches godot-tasks on the main thread, is not stopped.
//!
//! The tokio runtime that `spawn_tokio` starts on demand stops the same way; a runtime you handed over with
//! `use_tokio_runtime` is yours to stop.
//!
//! With the cargo feature `tokio`, `spawn_tokio` runs futures that need tokio (its networking, its timers)
//! on a tokio runtime, yours or one started on demand, and main-thread tasks await their results.
//!
//! To stream values between a worker and tasks, use a well-kept channel crate (`futures::channel`,
//! `async-channel` or `flume`): their receivers are streams or futures that a main-thread task can await,
//! and their senders work from any thread.
//!
//! ```no_run
//! use futures_util::StreamExt;
//! use futures_channel::mpsc;
//! use godot::prelude::*;
//!
//! # fn example() {
//! let (progress, mut updates) = mpsc::unbounded::<u32>();
//! std::thread::spawn(move || {
//!     for percent in (0..=100).step_by(10) {
//!         // ... load a chunk ...
//!         let _ = progress.unbounded_send(percent);
//!     }
//! });
//! godot_tasks::spawn(async move {
//!     while let Some(percent) = updates.next().await {
//!         godot_print!("loading: {percent}%"); // on the main thread: may touch nodes
//!     }
//! })
//! .detach();
//! # }
//! ```
//!
//! The `godot` crate's `experimental-threads` feature is not needed for any of this. Enabling it lets your
//! own code call engine APIs from other threads (at your own risk, as the `godot` crate says); godot-tasks
//! behaves the same with or without it: tasks still run and resume only on the main thread.

mod blocking;
mod compute;
mod outcome;
mod pool;
#[cfg(feature = "tokio")]
mod tokio;
mod workers;

/// The threads service's hooks: the pools stop when the runtime stops (closed for good at exit and unload).
pub(crate) const SERVICE: crate::runtime::Service = crate::runtime::Service {
    stop: |reason| {
        let close = reason != crate::runtime::Stop::Shutdown;
        pool::stop_all(close, &|warning| godot::global::godot_warn!("{warning}"));
    },
    ..crate::runtime::Service::NONE
};

pub use blocking::{spawn_blocking, spawn_send};
pub use compute::spawn_compute;
pub use outcome::{OffloadError, Offloaded};

/// How many offloaded jobs are queued or running now, and `spawn_tokio` futures running on tokio (the
/// `jobs_in_flight` monitor).
pub(crate) fn jobs_in_flight() -> usize {
    #[cfg(feature = "tokio")]
    let tokio = tokio::running();
    #[cfg(not(feature = "tokio"))]
    let tokio = 0;
    outcome::in_flight() + tokio
}
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub use tokio::{TokioError, TokioTask, spawn_tokio, use_tokio_runtime};
