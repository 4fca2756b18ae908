//! Threads: run blocking work and `Send` futures on background threads, and await them from main-thread
//! tasks.
//!
//! Tasks stay on Godot's main thread; anything that runs elsewhere can be awaited from them. The awaiting
//! task resumes on the main thread, in the same or the next frame (a wake from another thread reaches the
//! runtime through its frame hook). None of this needs the `godot` crate's `experimental-threads` feature:
//! only `Send` values cross threads, and nothing here calls the engine off the main thread.
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
#[cfg(feature = "tokio")]
mod tokio;

pub use blocking::{Blocking, BlockingError, spawn_blocking, spawn_send};
#[cfg(feature = "tokio")]
pub use tokio::{TokioError, TokioTask, spawn_tokio, use_tokio_runtime};
