//! GDScript and Rust awaiting each other.
//!
//! **GDScript awaits Rust.** A `#[func]` returns [`awaitable`]`(async { ... })`, a `Signal`; GDScript's
//! `await` on it yields the task's value:
//!
//! ```no_run
//! use godot::prelude::*;
//!
//! #[derive(GodotClass)]
//! #[class(init, base = Node)]
//! struct Loader {
//!     base: Base<Node>,
//! }
//!
//! #[godot_api]
//! impl Loader {
//!     #[func]
//!     fn load_level(&self, name: GString) -> Signal {
//!         godot_tasks::task().name("load_level").awaitable(async move {
//!             godot_tasks::time::next_frame().await;
//!             format!("level {name}")
//!         })
//!     }
//! }
//! ```
//!
//! ```gdscript
//! var level = await $Loader.load_level("forest")  # "level forest"
//! ```
//!
//! A panic or a cancellation resumes GDScript's `await` with `null`, so GDScript never hangs; Godot's output
//! shows an error naming the task, except for a cancellation GDScript asked for with `cancel()`. The signal's object, a [`RustTask`], lets GDScript check
//! and cancel the task: `var task: RustTask = signal.get_object()`.
//!
//! **Rust awaits GDScript.** [`call`] calls any method by name and resolves with what it returns, whether
//! it returns at once or is a coroutine that awaits first; the result is converted to the Rust type you
//! ask for, with a clear [`CallError`] if it does not fit. A GDScript `Signal` handed to Rust is awaited
//! with [`SignalExt`](crate::signal::SignalExt):
//!
//! ```no_run
//! use godot::prelude::*;
//! use godot_tasks::prelude::*;
//!
//! # fn example(quest_giver: Gd<Node>, door_opened: Signal) {
//! spawn(async move {
//!     let reward = godot_tasks::gdscript::call::<i64>(&quest_giver, "give_quest", vslice!["dragon"]).await;
//!     let (by_player,): (i64,) = door_opened.next_emission().await;
//! })
//! .detach();
//! # }
//! ```
//!
//! The two nest freely: GDScript awaits Rust, which awaits GDScript, which awaits Rust again.

mod awaitable;
mod call;
mod names;
mod rust_task;

pub use awaitable::awaitable;
pub use call::{Call, CallError, CallErrorKind, call};
pub(crate) use names::release_engine_objects;
pub use rust_task::RustTask;
