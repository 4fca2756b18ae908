//! The names most tasks need: `use godot_tasks::prelude::*;`.
//!
//! Brings [`spawn`], [`JoinHandle`] and [`JoinError`] into scope, and the signal extension traits
//! ([`SignalExt`](crate::signal::SignalExt), [`TypedSignalExt`](crate::signal::TypedSignalExt)) anonymously,
//! so that `.next_emission()`, `.try_next_emission()`, `.emissions()` and `.try_emissions()` work on signals
//! without clashing with other names.
//!
//! # Example
//!
//! ```no_run
//! use godot::classes::Timer;
//! use godot::prelude::*;
//! use godot_tasks::prelude::*;
//!
//! # fn example(timer: Gd<Timer>) {
//! let handle: JoinHandle<()> = spawn(async move {
//!     timer.signals().timeout().next_emission().await;
//! });
//! # }
//! ```

pub use crate::signal::{SignalExt as _, TypedSignalExt as _};
pub use crate::{CancelToken, JoinError, JoinHandle, TaskBuilder, TaskGroup, spawn, yield_now};
