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
//! To stream values between a worker and tasks, use a well-kept channel crate such as `async-channel` or
//! `flume`: their receivers are futures a main-thread task can await.

mod blocking;
#[cfg(feature = "tokio")]
mod tokio;

pub use blocking::{Blocking, BlockingError, spawn_blocking, spawn_send};
#[cfg(feature = "tokio")]
pub use tokio::{TokioError, TokioTask, spawn_tokio, use_tokio_runtime};
