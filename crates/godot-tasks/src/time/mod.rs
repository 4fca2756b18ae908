//! Time and frames: the next frame, the next physics tick, sleeps in game time, timeouts, tickers.
//!
//! ```no_run
//! use std::time::Duration;
//! use godot_tasks::time::{self, Clock};
//!
//! # async fn example() {
//! time::next_frame().await;                         // the next process frame that is not paused
//! time::frames(10).await;                           // ten process frames
//! time::next_physics_frame().await;                 // the next physics tick that is not paused
//! time::sleep(Duration::from_secs(2)).await;        // two seconds of game time (stops while paused)
//! Clock::REALTIME.sleep(Duration::from_secs(1)).await; // wall clock, ignores pause and time scale
//! let reply = time::timeout(Duration::from_secs(5), async { 42 }).await; // Ok(42) or Err(Elapsed)
//! # }
//! ```
//!
//! **Porting GDScript frame by frame?** The waits above are the fast path: no engine object or connection
//! per wait. They are close to GDScript's, not identical: `await get_tree().create_timer(2.0).timeout` also
//! counts while the tree is paused (its default `process_always` is true: `Clock::for_timer(true, false,
//! false)` is the matching clock), counts the frame it was made in, and resumes after the nodes' `_process`;
//! `await get_tree().process_frame` also resumes while paused. For the same frames, use the engine's own
//! waits: [`create_timer`], [`process_frame`] and [`physics_frame`] (and [GDScript
//! timing](crate::TaskBuilder::gdscript_timing) to resume inside their emissions); see "Coming from GDScript"
//! in the crate docs.
//!
//! What to rely on:
//!
//! - **Which time.** Waits count a [`Clock`]: game time by default (follows `Engine.time_scale`, stops
//!   while the tree is paused), or unscaled, wall-clock or physics time; any clock can run during pause.
//! - **When.** Time advances once per frame in the runtime's frame hook, at the start of the frame (and
//!   once per physics tick for physics clocks). A wait ends in the first frame whose accumulated time
//!   reaches its deadline; its task resumes in that frame. A deadline is fixed when the future is made.
//!   `next_frame()` made in frame `N` resumes in frame `N + 1`; `frames(n)` in frame `N + n` (a process
//!   frame wait made during the physics step of an engine iteration counts from that iteration's process
//!   frame, so it too ends `n` process frames later).
//! - **Wall clock.** [`Clock::REALTIME`] reads the wall clock when a wait is made; its waits end at the first
//!   frame start at or after their deadline.
//! - **Cost.** One engine hook per frame kind in total, however many tasks wait; no timer, callable or
//!   connection per wait; each frame touches only the waits that end (a heap of deadlines per clock, one
//!   bucket per frame for frame waits, and for the most common ones, `next_frame()` and
//!   `next_physics_frame()`, one list of wakers per frame kind that is woken whole).
//!   Waiting allocates nothing beyond amortised slots. Counting starts with the first use of this module.
//! - **Main thread only**, like every task.

mod clock;
mod engine_waits;
mod frame_clock;
mod instant;
mod next_tick;
mod service;
mod ticker;
mod timeline;
mod timeout;
mod wait;
mod wait_until;

use std::time::Duration;

use service::Until;

pub use clock::Clock;
pub use engine_waits::{TimerTimeout, create_timer, physics_frame, process_frame};
pub use instant::Instant;
pub(crate) use service::{SERVICE, pending_count as pending_waits};
pub use ticker::{MissedTicks, Ticker};
pub use timeout::{Elapsed, Timeout};
pub use wait::{FrameWait, Sleep};
pub use wait_until::WaitUntil;

/// Resumes in the next process frame (frames while the tree is paused do not count; see [`Clock`]).
///
/// # Panics
///
/// Off Godot's main thread.
///
/// # Example
///
/// ```no_run
/// # async fn example() {
/// godot_tasks::time::next_frame().await;
/// # }
/// ```
#[track_caller]
#[inline]
pub fn next_frame() -> FrameWait {
    Clock::GAME.frames(1)
}

/// Resumes `count` process frames later.
///
/// # Panics
///
/// Off Godot's main thread.
///
/// # Example
///
/// ```no_run
/// # async fn example() {
/// godot_tasks::time::frames(30).await;
/// # }
/// ```
#[track_caller]
#[inline]
pub fn frames(count: u64) -> FrameWait {
    Clock::GAME.frames(count)
}

/// Resumes after the next physics tick.
///
/// # Panics
///
/// Off Godot's main thread.
///
/// # Example
///
/// ```no_run
/// # async fn example() {
/// godot_tasks::time::next_physics_frame().await;
/// # }
/// ```
#[track_caller]
#[inline]
pub fn next_physics_frame() -> FrameWait {
    Clock::PHYSICS.frames(1)
}

/// Resumes `count` physics ticks later.
///
/// # Panics
///
/// Off Godot's main thread.
///
/// # Example
///
/// ```no_run
/// # async fn example() {
/// godot_tasks::time::physics_frames(6).await;
/// # }
/// ```
#[track_caller]
#[inline]
pub fn physics_frames(count: u64) -> FrameWait {
    Clock::PHYSICS.frames(count)
}

/// Waits `duration` of game time ([`Clock::GAME`]).
///
/// # Panics
///
/// Off Godot's main thread.
///
/// # Example
///
/// ```no_run
/// # async fn example() {
/// godot_tasks::time::sleep(std::time::Duration::from_secs(2)).await;
/// # }
/// ```
#[track_caller]
pub fn sleep(duration: Duration) -> Sleep {
    Clock::GAME.sleep(duration)
}

/// Waits until `deadline` on the clock it was taken from (it carries its clock, so it cannot be counted on
/// another one).
///
/// A deadline already reached is ready at the first poll (it does not wait for a frame).
///
/// # Panics
///
/// Off Godot's main thread.
///
/// # Example
///
/// ```no_run
/// # async fn example() {
/// use std::time::Duration;
/// use godot_tasks::time::{Clock, sleep_until};
/// let wave_ends = Clock::GAME.now() + Duration::from_secs(30);
/// sleep_until(wave_ends).await;
/// // A pause-menu timer: counted on UNSCALED during pause, whatever called it.
/// sleep_until(Clock::UNSCALED.during_pause().now() + Duration::from_millis(250)).await;
/// # }
/// ```
#[track_caller]
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep::new(deadline.clock(), Until::At(deadline.seconds()), std::panic::Location::caller())
}

/// Runs `future` for at most `duration` of game time; see [`Timeout`].
///
/// # Panics
///
/// Off Godot's main thread.
///
/// # Example
///
/// ```no_run
/// # async fn example() {
/// use std::time::Duration;
/// // Ok("done"): the future finished within three seconds of game time.
/// let outcome = godot_tasks::time::timeout(Duration::from_secs(3), async { "done" }).await;
/// # }
/// ```
#[track_caller]
pub fn timeout<F: std::future::Future>(duration: Duration, future: F) -> Timeout<F> {
    Clock::GAME.timeout(duration, future)
}

/// Ticks every `period` of game time; see [`Ticker`].
///
/// # Panics
///
/// Off Godot's main thread, or if `period` is zero.
///
/// # Example
///
/// ```no_run
/// # async fn example() {
/// let mut every_second = godot_tasks::time::ticker(std::time::Duration::from_secs(1));
/// every_second.tick().await;
/// # }
/// ```
#[track_caller]
pub fn ticker(period: Duration) -> Ticker {
    Clock::GAME.ticker(period)
}

/// Resolves once `condition` holds, checked when first polled and then once per game frame.
///
/// # Example
///
/// ```no_run
/// # async fn example(done: std::rc::Rc<std::cell::Cell<bool>>) {
/// godot_tasks::time::wait_until(move || done.get()).await;
/// # }
/// ```
pub fn wait_until<P: FnMut() -> bool>(condition: P) -> WaitUntil<P> {
    WaitUntil::new(Clock::GAME, condition)
}

/// Like [`wait_until`], checked once per frame of `clock` (for example during pause).
///
/// # Example
///
/// ```no_run
/// # async fn example(done: std::rc::Rc<std::cell::Cell<bool>>) {
/// use godot_tasks::time::{Clock, wait_until_on};
/// wait_until_on(Clock::GAME.during_pause(), move || done.get()).await;
/// # }
/// ```
pub fn wait_until_on<P: FnMut() -> bool>(clock: Clock, condition: P) -> WaitUntil<P> {
    WaitUntil::new(clock, condition)
}
