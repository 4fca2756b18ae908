//! The engine-agnostic core of godot-tasks: a single-threaded executor whose
//! tasks can be woken from any thread, driven by a host that it only asks to "flush soon".
//!
//! Most users never touch this crate: `godot_tasks::spawn` wraps it with Godot as the host. It is a crate of
//! its own so that it can be unit-tested, run under miri and reasoned about without an engine.
//!
//! # Shape
//!
//! ```text
//! spawn(fut) ──► task (one allocation) ──(waker, any thread)──► ready queue ──► Executor::flush ──► poll
//!                  │                                                │
//!                  └── JoinHandle<T> (await / cancel)               └── Host::request_flush ("flush soon")
//! ```
//!
//! - A task is one allocation: header, future and (once the future is gone) output, in the private `task`
//!   module, whose `state` submodule is the task state machine. The private `tasks` module is the set of live
//!   tasks that shutdown walks, and every step of a task's life that runs user code; the executor and the
//!   handles both go through it.
//! - The ready queue is the only part other threads touch; a task is queued at most once at a time, so many
//!   wakes before a flush cost one poll, and no wake allocates.
//! - [`Executor::flush`] polls ready tasks in rounds, under a round budget per frame (the host marks frames with
//!   [`Executor::start_frame`]), catching panics per task.
//! - Memory that a burst of tasks needed is given back once the load is gone: the private `memory` module
//!   describes when and how much.
//!
//! # Tracing
//!
//! With the `tracing` feature, each task is a [`tracing`](https://docs.rs/tracing) span named `task` (target
//! `godot_tasks::task`, DEBUG level, fields `task.name`, `spawned_at` and, while tracking knows the task,
//! `task.id`), entered at every poll and while a cancelled task's future is dropped, and closed when the task
//! ends. Its events are `spawned`, `woken` (TRACE: before a poll that a wake caused, one however many wakes
//! came before it), `cancel requested`, `panicked` (ERROR, with `panic.message`, `task.name` and `spawned_at`)
//! and `finished` (with `outcome`: `value`, `cancelled` or `panicked`). Wakers emit nothing: they run on any
//! thread and stay as cheap as without the feature; the `woken` event comes from the executor's thread, when
//! it takes the woken task from the ready queue. Tasks spawned while no subscriber wants their span are not
//! traced (only their panics are reported). Without the feature none of this is compiled.
//!
//! ```toml
//! [dependencies]
//! godot-tasks-executor = { version = "0.1", features = ["tracing"] }
//! tracing-subscriber = "0.3"
//! ```
//!
//! Then install a subscriber before spawning, for example `tracing_subscriber::fmt().init()` (which shows
//! INFO and above: add `.with_max_level(tracing_subscriber::filter::LevelFilter::DEBUG)` to see the tasks).
//!
//! # Example
//!
//! ```
//! use std::sync::atomic::{AtomicBool, Ordering};
//! use std::sync::Arc;
//! use godot_tasks_executor::{Executor, Host};
//!
//! #[derive(Clone, Default)]
//! struct Flag(Arc<AtomicBool>);
//! impl Host for Flag {
//!     fn request_flush(&self) {
//!         self.0.store(true, Ordering::SeqCst); // a real host schedules a deferred call here
//!     }
//! }
//!
//! let host = Flag::default();
//! let executor = Executor::new(host.clone());
//! let handle = executor.spawn(async { "done" });
//! assert!(host.0.load(Ordering::SeqCst)); // the host was asked to flush...
//! assert!(!handle.is_finished()); // ...and nothing ran inside spawn
//! let _ = executor.flush();
//! assert!(handle.is_finished());
//! ```

mod cancel_handle;
mod caught_panic;
#[doc(hidden)]
pub mod doc_support;
mod executor;
mod host;
mod join_error;
mod join_handle;
mod memory;
mod panic_report;
mod ready_queue;
mod shared_life;
mod task;
mod tasks;
#[cfg(feature = "tracing")]
mod trace;
mod tracking;
mod vacant_slots;

pub use cancel_handle::CancelHandle;
pub use caught_panic::CaughtPanic;
pub use executor::{DEFAULT_ROUND_BUDGET, Executor, FlushOutcome, REFUSED_DROP_LIMIT};
pub use host::Host;
pub use join_error::{JoinError, TaskLabel};
pub use join_handle::{CancelOnDrop, JoinHandle};
#[doc(hidden)]
pub use memory::Capacities;
pub use panic_report::{PanicReport, SlowPoll, drop_quietly, payload_message};
pub use tracking::{AwaitedTask, TaskId, TaskSnapshot, TaskState};
