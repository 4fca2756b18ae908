//! Async/await for Rust in Godot 4, with the engine itself as the runtime.
//!
//! Write sequential game logic with `async` blocks instead of state machines; the engine's own main loop
//! drives the tasks on its main thread. There is no second event loop and no extra thread.
//!
//! # Tutorial
//!
//! [`spawn`] starts a task and returns a [`JoinHandle`]; awaiting the handle from another task gives the
//! task's value, or a [`JoinError`] if it panicked or was cancelled:
//!
//! ```no_run
//! use godot::prelude::*;
//!
//! # fn example() {
//! let loading = godot_tasks::spawn(async {
//!     // ... await signals, frames, other tasks ...
//!     "forest"
//! });
//! godot_tasks::spawn(async move {
//!     match loading.await {
//!         Ok(level) => godot_print!("loaded {level}"),
//!         Err(error) => godot_error!("loading failed: {error}"),
//!     }
//! })
//! .detach();
//! # }
//! ```
//!
//! Tasks wait for what happens in the game by awaiting signals ([`signal`]), as GDScript's `await` does:
//!
//! ```no_run
//! use godot::classes::Timer;
//! use godot::prelude::*;
//! use godot_tasks::prelude::*;
//!
//! # fn example(mut timer: Gd<Timer>, enemy: Gd<Node>) {
//! spawn(async move {
//!     timer.start();
//!     timer.signals().timeout().next_emission().await;
//!     let (damage,): (i64,) = Signal::from_object_signal(&enemy, "hit").next_emission().await;
//!     godot_print!("hit for {damage} after the timer");
//! })
//! .detach();
//! # }
//! ```
//!
//! and for frames and game time ([`time`]):
//!
//! ```no_run
//! use std::time::Duration;
//! use godot_tasks::time;
//!
//! # fn example() {
//! godot_tasks::spawn(async {
//!     time::next_frame().await;
//!     time::sleep(Duration::from_secs(2)).await; // game time: follows time scale, stops while paused
//! })
//! .detach();
//! # }
//! ```
//!
//! GDScript awaits Rust tasks, and Rust awaits GDScript methods and coroutines ([`gdscript`]):
//!
//! ```no_run
//! use godot::prelude::*;
//!
//! # #[derive(GodotClass)]
//! # #[class(init, base = Node)]
//! # struct Loader { base: Base<Node> }
//! #[godot_api]
//! impl Loader {
//!     /// GDScript: `var level = await $Loader.load_level("forest")`
//!     #[func]
//!     fn load_level(&self, name: GString) -> Signal {
//!         godot_tasks::gdscript::awaitable(async move { format!("level {name}") })
//!     }
//! }
//! ```
//!
//! # Lifetimes and cancellation
//!
//! Objects die all the time in a game; tasks can die with them, or with whatever owns them:
//!
//! - [`TaskBuilder::new()`](TaskBuilder::new)`.bind(&object)` cancels the task when the object is freed;
//!   `.bind_to_tree(&node)` also when the node leaves the scene tree.
//! - A [`TaskGroup`] owns tasks: await the next one or all of them, cancel them all; dropping the group
//!   cancels them, so groups owned by tasks form a tree that cancellation flows down.
//! - A [`CancelToken`] is a shared flag that any number of tasks await (in `select!`) or check.
//! - A [`JoinHandle`] cancels its own task ([`JoinHandle::cancel`]), or does so when dropped
//!   ([`JoinHandle::cancel_on_drop`]).
//!
//! The most common case: a click cancels the sequence that is running and starts another. Keep the running
//! task's handle as a [`CancelOnDrop`]; replacing it cancels the old sequence.
//!
//! ```no_run
//! use std::time::Duration;
//! use godot::prelude::*;
//! use godot_tasks::{CancelOnDrop, TaskBuilder};
//!
//! #[derive(GodotClass)]
//! #[class(init, base = Node)]
//! struct Cutscene {
//!     running: Option<CancelOnDrop<()>>,
//!     base: Base<Node>,
//! }
//!
//! #[godot_api]
//! impl Cutscene {
//!     #[func]
//!     fn on_clicked(&mut self, shot: i64) {
//!         let sequence = TaskBuilder::new().name("cutscene").bind(&self.to_gd()).spawn(async move {
//!             godot_print!("shot {shot}: fade in");
//!             godot_tasks::time::sleep(Duration::from_secs(2)).await;
//!             godot_print!("shot {shot}: dialogue");
//!         });
//!         // The previous sequence, if it is still running, is cancelled here: it never prints again.
//!         self.running = Some(sequence.cancel_on_drop());
//!     }
//! }
//! ```
//!
//! # What to rely on
//!
//! - **Main thread only.** Tasks may hold `Gd` objects; [`spawn`] panics off the main thread. Wakers may be
//!   used from any thread: the task then resumes on the main thread, in the same or the next frame.
//! - **Never inside your call stack.** A task's first poll, and every resume, happens in a fresh call stack
//!   started by the engine (a deferred call), later in the same frame. Spawning while holding `bind_mut()` is
//!   safe.
//! - **One poll per flush.** However often a task is woken before it runs, it is polled once; waking
//!   allocates nothing; a wake after the task ended is a no-op.
//! - **Bounded work per flush.** Tasks woken while the runtime runs tasks run in the same flush, up to a
//!   round budget ([`runtime::set_round_budget`]); the rest continues next frame, so a task that keeps waking
//!   itself cannot freeze the game.
//! - **Cancellation** ([`JoinHandle::cancel`]) never panics, may be called from inside the task or from a
//!   destructor, and guarantees the future is not polled again; it is dropped on the main thread. Dropping a
//!   handle detaches the task; [`JoinHandle::cancel_on_drop`] ties the task to the handle instead.
//! - **Panics stay in their task**: Godot's output gets an error with the task's spawn location and message.
//! - **Engine exit** drops every unfinished future on the main thread while the engine is alive, silently.
//!
//! Nothing needs wiring: the runtime attaches itself to the `SceneTree` on first use.

#![cfg_attr(docsrs, feature(doc_cfg))]

/// The crate README's examples, compiled as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExamples;

mod arena;
pub mod gdscript;
mod lifetime;
mod origin;
pub mod prelude;
pub mod runtime;
pub mod signal;
mod spawn;
pub mod threads;
pub mod time;
mod wake_buffer;
mod yield_now;

/// The services the runtime drives, in the order their hooks run (see `runtime/service.rs`).
const SERVICES: [&runtime::Service; 4] = [&signal::SERVICE, &time::SERVICE, &threads::SERVICE, &gdscript::SERVICE];

pub use godot_tasks_executor::{CancelHandle, CancelOnDrop, JoinError, JoinHandle};
pub use lifetime::{CancelToken, TaskBuilder, TaskGroup, WaitForCancel};
#[allow(deprecated)]
pub use spawn::{spawn, task};
pub use yield_now::{YieldNow, yield_now};
