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
//! # Coming from GDScript
//!
#![doc = include_str!("coming_from_gdscript.md")]
//!
//! # Errors
//!
//! Six errors, one vocabulary. Each says whether the work was cancelled (usually nothing to report) or
//! panicked (the panic can go on in the awaiting task), where the work started, and which task met it; its
//! message says all that and how to fix the cause.
//!
//! | error | from | `is_cancelled()` when | `is_panic()` |
//! |---|---|---|---|
//! | [`JoinError`] | awaiting a [`JoinHandle`] | the task was cancelled, or the runtime stopped | the task panicked |
//! | [`threads::OffloadError`] | `spawn_blocking`, `spawn_compute`, `spawn_send` | the runtime stopped before the job finished | the job panicked |
//! | `threads::TokioError` | `spawn_tokio` (feature `tokio`) | tokio aborted it, or a runtime stopped | the tokio task panicked |
//! | [`signal::SignalError`] | `try_next_emission`, `try_emissions` | the emitter was freed | never |
//! | [`gdscript::CallError`] | [`gdscript::call`] | the object, or what its coroutine awaited, was freed meanwhile | never |
//! | [`time::Elapsed`] | [`time::timeout`] | never (running out of time is the point) | never |
//!
//! All six have `started_at()` and `task_name()`; the three that can carry a panic have `panic_message()`,
//! `into_panic()` and `try_into_panic()`, which hand back the original payload for
//! [`std::panic::resume_unwind`]. All are `Clone`, `Debug`, `Send` and `Sync`.
//!
//! ```no_run
//! # async fn example() {
//! let outcome = godot_tasks::threads::spawn_blocking(|| std::fs::read("saves/slot1.dat")).await;
//! match outcome {
//!     Ok(bytes) => { /* ... */ }
//!     Err(error) if error.is_cancelled() => {} // the game is quitting
//!     Err(error) => std::panic::resume_unwind(error.into_panic()), // as if the read had panicked here
//! }
//! # }
//! ```
//!
//! # Tracing
//!
//! With the `tracing` feature, every task is a [`tracing`](https://docs.rs/tracing) span, so that
//! `tracing-subscriber` and the tools built on it see when tasks start, run, wait, panic and end:
//!
//! ```toml
//! [dependencies]
//! godot-tasks = { version = "0.1", features = ["tracing"] }
//! tracing-subscriber = "0.3"
//! ```
//!
//! Install a subscriber once, when your extension starts:
//!
//! ```no_run
//! use godot::prelude::*;
//!
//! struct MyExtension;
//!
//! #[gdextension]
//! unsafe impl ExtensionLibrary for MyExtension {
//!     fn on_stage_init(stage: InitStage) {
//!         if stage == InitStage::MainLoop {
//!             // `try_init`: a subscriber may be installed already (by another part of your code, say).
//!             let _ = tracing_subscriber::fmt()
//!                 .with_max_level(tracing_subscriber::filter::LevelFilter::DEBUG)
//!                 .try_init();
//!         }
//!     }
//! }
//! ```
//!
//! Then a task spawned with `TaskBuilder::new().name("loader").spawn(...)` that logs `loading` prints:
//!
//! ```text
//! DEBUG task{task.name="loader" spawned_at=src/level.rs:12:5}: godot_tasks::task: spawned
//!  INFO task{task.name="loader" spawned_at=src/level.rs:12:5}: my_game::level: loading
//! DEBUG task{task.name="loader" spawned_at=src/level.rs:12:5}: godot_tasks::task: finished outcome="value"
//! ```
//!
//! Each task has one span named `task` (DEBUG level, target `godot_tasks::task`), with the fields
//! `task.name` (for a named task), `spawned_at` and `task.id` (the id that [`runtime::tasks`] shows, for a
//! task that task tracking knows: see [`runtime::set_task_tracking`]). The span is entered at every poll and
//! while a cancelled task's future is dropped, so what the task logs is inside it, and it closes when the task
//! ends. Its events are `spawned`, `woken` (TRACE, before each poll that a wake caused: one however many wakes
//! came before it), `cancel requested`, `panicked` (ERROR, with `panic.message`, `task.name` and `spawned_at`)
//! and `finished` (with `outcome`: `value`, `cancelled` or `panicked`). Only tasks spawned while a subscriber
//! wants their span are traced; without the feature none of this is compiled.
//!
//! # What to rely on
//!
//! - **Main thread only.** Tasks may hold `Gd` objects; [`spawn`] panics off the main thread. Wakers may be
//!   used from any thread: the task then resumes on the main thread, in the same or the next frame.
//! - **Never inside your call stack** (with the default timing). A task's first poll, and every resume,
//!   happens in a fresh call stack started by the engine (a deferred call), later in the same frame. Spawning
//!   or emitting while holding `bind_mut()` is safe. Tasks with [GDScript timing](TaskBuilder::gdscript_timing)
//!   trade this for GDScript's timing: they run inside `spawn` and inside the emissions they await.
//! - **Order.** Tasks that are ready together run in rounds; each round runs the tasks woken from other
//!   threads, then those woken on the main thread, then those spawned since the previous round, each group in
//!   the order it happened. So a task woken by an emission runs before a task spawned earlier in the same
//!   frame but not yet started. Tasks with [GDScript timing](TaskBuilder::gdscript_timing) are the exception:
//!   they run inside `spawn` and inside the emissions they await.
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
mod gdscript_timing;
mod lifetime;
mod origin;
pub mod prelude;
pub mod resources;
pub mod runtime;
pub mod signal;
mod spawn;
pub mod threads;
pub mod time;
mod wake_buffer;
mod yield_now;

/// The services the runtime drives, in the order their hooks run (see `runtime/service.rs`).
const SERVICES: [&runtime::Service; 5] =
    [&signal::SERVICE, &time::SERVICE, &threads::SERVICE, &gdscript::SERVICE, &resources::SERVICE];

/// What [`spawn`] and [`TaskBuilder::spawn`] return: await it from another task for the task's value, or
/// cancel the task with it. Dropping it lets the task run on.
///
/// ```no_run
/// use godot::prelude::*;
///
/// # fn example() {
/// let loading = godot_tasks::spawn(async { 42 });
/// godot_tasks::spawn(async move {
///     match loading.await {
///         Ok(level) => godot_print!("loaded level {level}"),
///         Err(error) if error.is_cancelled() => {} // cancelled on purpose
///         Err(error) => godot_error!("{error}"),   // it panicked: "task spawned at src/lib.rs:4:19 panicked: ..."
///     }
/// })
/// .detach();
/// # }
/// ```
///
/// In godot-tasks every task lives on Godot's main thread and is polled by the engine's frame hook; the
/// examples below run the same calls on the engine-free core.
pub use godot_tasks_executor::JoinHandle;

/// Why a task gave no value: it was cancelled, or it panicked. What awaiting a [`JoinHandle`] gives instead of
/// the value.
///
/// Every error of godot-tasks answers the same questions under the same names: `is_cancelled()`,
/// `is_panic()`, `started_at()` (where the failed work was started), `task_name()` (the failed task here; the
/// task that awaited the work in the others); and, where a panic is possible, `panic_message()` and
/// `into_panic()` to raise it again in the awaiting task.
///
/// ```no_run
/// # async fn example() {
/// let boss = godot_tasks::TaskBuilder::new().name("boss fight").spawn(async { /* ... */ });
/// if let Err(error) = boss.await {
///     if error.is_panic() {
///         // The boss task's panic goes on in this task, with its original payload.
///         std::panic::resume_unwind(error.into_panic());
///     }
/// }
/// # }
/// ```
pub use godot_tasks_executor::JoinError;

/// Cancels one task without owning its [`JoinHandle`]: a `Clone` handle for a button, a timer or the task
/// itself.
///
/// ```no_run
/// use godot::prelude::*;
///
/// # fn example() {
/// let music = godot_tasks::spawn(async { /* play the level's tracks forever */ });
/// let stop_music = music.cancel_handle(); // keep it in the options menu
/// music.detach();
/// // ... when the player turns the music off:
/// stop_music.cancel();
/// # }
/// ```
pub use godot_tasks_executor::CancelHandle;

/// A [`JoinHandle`] that cancels its task when dropped: the task lives as long as the value that holds it (a
/// field of a node, a local, a losing `select!` branch).
///
/// ```no_run
/// use godot::prelude::*;
/// use godot_tasks::CancelOnDrop;
///
/// #[derive(GodotClass)]
/// #[class(base = Node, init)]
/// struct Hud {
///     /// The running blink of the "low health" label; a new one replaces (and cancels) the old.
///     blink: Option<CancelOnDrop<()>>,
/// }
///
/// impl Hud {
///     fn start_blinking(&mut self) {
///         self.blink = Some(godot_tasks::spawn(async { /* ... */ }).cancel_on_drop());
///     }
/// }
/// ```
pub use godot_tasks_executor::CancelOnDrop;
pub use lifetime::{CancelToken, TaskBuilder, TaskGroup, WaitForCancel};
#[allow(deprecated)]
pub use spawn::{spawn, task};
pub use yield_now::{YieldNow, yield_now};
