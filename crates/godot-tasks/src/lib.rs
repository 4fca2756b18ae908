//! Async/await for Rust in Godot 4, with the engine itself as the runtime.
//!
//! placeholder tutorial
#![doc(html_no_source)]

pub mod runtime;
mod spawn;

pub use godot_tasks_executor::{CancelOnDrop, JoinError, JoinHandle};
pub use spawn::spawn;
