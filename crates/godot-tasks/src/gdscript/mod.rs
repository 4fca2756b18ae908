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
//!         godot_tasks::TaskBuilder::new().name("load_level").awaitable(async move {
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
//! shows an error naming the task, except for a cancellation GDScript asked for with `cancel()`. The signal's
//! object lets GDScript check and cancel the task: `var task = signal.get_object()`.
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
//!
//! # What GDScript sees
//!
//! The signal an awaitable returns belongs to a task object: a `RefCounted` whose script godot-tasks makes
//! at run time. It has no global class name (so two extensions that both use godot-tasks load side by side),
//! so declare it untyped or as `RefCounted`. Its methods:
//!
//! ```gdscript
//! var loading: Signal = $Loader.load_level("cave")  # starts the Rust task without waiting
//! var task = loading.get_object()                    # the task object (a RefCounted)
//! if not task.is_done():
//!     task.cancel()                                  # `await loading` resumes with null
//! var value = await task.wait()                      # never hangs, even after completion
//! ```
//!
//! - `completed(result)`: emitted once, when the task ends: with its value, or with `null` if it panicked
//!   or was cancelled. Never emitted inside a call from GDScript (not inside `cancel()`), so a coroutine
//!   that cancels and then awaits is resumed.
//! - `is_done()`, `is_cancelled()`, `get_result()` (`null` until done), `get_error()` (empty unless it
//!   panicked or was cancelled), `get_task_name()` (its Rust name, or where it was spawned).
//! - `cancel()`: cancels the Rust task (its future is dropped on the main thread, not polled again);
//!   `completed` is emitted with `null` later in the frame. Does nothing once done.
//! - `wait()`: the `completed` signal while running, the result once done; `await task.wait()` therefore
//!   never waits for an emission that already happened.
//!
//! The runtime keeps the object alive until `completed` is emitted. The object stays valid after an editor
//! hot reload of the extension (every running task was cancelled, and awaits resumed with `null`).

mod awaitable;
mod call;
mod names;
mod task_object;

pub use awaitable::awaitable;
pub use call::{Call, CallError, CallErrorKind, call};

/// The bridge's hooks: when the extension is unloaded, GDScript awaits resume with null (every spawn is
/// refused by then, and every pool closed); at exit and unload the engine objects it caches are released.
pub(crate) const SERVICE: crate::runtime::Service = crate::runtime::Service {
    stop: |reason| {
        use crate::runtime::Stop;
        if reason == Stop::Unload {
            task_object::resume_unloaded();
        }
        if reason != Stop::Shutdown {
            names::release_engine_objects();
            task_object::release_engine_objects();
        }
    },
    ..crate::runtime::Service::NONE
};
