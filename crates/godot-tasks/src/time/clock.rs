//! Which time a wait counts: game time, unscaled time, wall-clock time or physics time, paused or not.

use std::time::Duration;

use super::service::{self, Line, Until};
use super::{FrameWait, Instant, Sleep, Ticker, Timeout};

/// A way of counting time and frames for sleeps, frame waits, timeouts and tickers.
///
/// | clock | time advances by | frames counted | while the tree is paused |
/// |---|---|---|---|
/// | [`Clock::GAME`] (default) | each frame's `delta` (follows `Engine.time_scale`) | process frames | stops |
/// | [`Clock::UNSCALED`] | each frame's `delta` without `Engine.time_scale` | process frames | stops |
/// | [`Clock::REALTIME`] | the wall clock | process frames | runs |
/// | [`Clock::PHYSICS`] | each physics tick's `delta` (follows `Engine.time_scale`) | physics ticks | stops |
///
/// [`during_pause`](Self::during_pause) makes a clock run while the tree is paused, like a node with
/// `process_mode = ALWAYS` (a pause menu's animations, for example).
///
/// Time advances once per frame (or physics tick), in the runtime's frame hook at the start of the frame: a
/// wait ends in the first frame whose accumulated time reaches its deadline, and the task resumes in that
/// same frame.
///
/// # Example
///
/// ```no_run
/// use std::time::Duration;
/// use godot_tasks::time::Clock;
///
/// # async fn example() {
/// Clock::GAME.sleep(Duration::from_secs(2)).await; // stops while paused, follows time scale
/// Clock::UNSCALED.during_pause().sleep(Duration::from_millis(300)).await; // a pause-menu fade
/// Clock::PHYSICS.frames(3).await; // three physics ticks
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Clock {
    pub(super) source: Source,
    pub(super) during_pause: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Source {
    Game,
    Unscaled,
    Realtime,
    Physics,
    PhysicsUnscaled,
}

impl Clock {
    /// Game time: follows `Engine.time_scale`, stops while the tree is paused. The default.
    ///
    /// ```no_run
    /// # async fn example() {
    /// godot_tasks::time::Clock::GAME.sleep(std::time::Duration::from_secs(1)).await;
    /// # }
    /// ```
    pub const GAME: Clock = Clock { source: Source::Game, during_pause: false };
    /// Game time without `Engine.time_scale`; stops while the tree is paused.
    ///
    /// Each frame's delta is divided by the time scale read in the frame hook; a time scale changed during
    /// the physics step of a frame (before the hook) skews that one frame. At time scale 0 the wall-clock
    /// time between frame hooks is used instead.
    ///
    /// ```no_run
    /// # async fn example() {
    /// // A cooldown that bullet time does not stretch:
    /// godot_tasks::time::Clock::UNSCALED.sleep(std::time::Duration::from_secs(3)).await;
    /// # }
    /// ```
    pub const UNSCALED: Clock = Clock { source: Source::Unscaled, during_pause: false };
    /// The wall clock: ignores time scale and pause. Its frames are all process frames.
    ///
    /// ```no_run
    /// # async fn example() {
    /// godot_tasks::time::Clock::REALTIME.sleep(std::time::Duration::from_millis(200)).await;
    /// # }
    /// ```
    pub const REALTIME: Clock = Clock { source: Source::Realtime, during_pause: true };
    /// Physics time, counted in physics ticks: follows `Engine.time_scale`, stops while the tree is paused.
    ///
    /// ```no_run
    /// # async fn example() {
    /// godot_tasks::time::Clock::PHYSICS.frames(2).await; // two physics ticks
    /// # }
    /// ```
    pub const PHYSICS: Clock = Clock { source: Source::Physics, during_pause: false };
    /// The time GDScript's `get_tree().create_timer(t)` counts with its default flags: game time (it follows
    /// `Engine.time_scale`) that **also counts while the tree is paused**, unlike [`Clock::GAME`]. The same as
    /// `Clock::GAME.during_pause()` and `Clock::for_timer(true, false, false)`.
    ///
    /// ```no_run
    /// # async fn example() {
    /// // GDScript: await get_tree().create_timer(2.0).timeout   (the same time, counted by a clock)
    /// godot_tasks::time::Clock::SCENE_TREE_TIMER.sleep(std::time::Duration::from_secs(2)).await;
    /// # }
    /// ```
    pub const SCENE_TREE_TIMER: Clock = Clock { source: Source::Game, during_pause: true };
    /// Physics time without `Engine.time_scale`, counted in physics ticks; stops while the tree is paused.
    ///
    /// ```no_run
    /// # async fn example() {
    /// godot_tasks::time::Clock::PHYSICS_UNSCALED.sleep(std::time::Duration::from_millis(500)).await;
    /// # }
    /// ```
    pub const PHYSICS_UNSCALED: Clock = Clock { source: Source::PhysicsUnscaled, during_pause: false };

    /// The same clock, but running while the tree is paused.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # async fn example() {
    /// use godot_tasks::time::Clock;
    /// Clock::GAME.during_pause().frames(10).await;
    /// # }
    /// ```
    pub const fn during_pause(self) -> Clock {
        Clock { during_pause: true, ..self }
    }

    /// This clock's time now: a moment that carries this clock (see [`Instant`]). Add a duration to it for
    /// [`sleep_until`](super::sleep_until).
    ///
    /// # Panics
    ///
    /// Off Godot's main thread.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use godot_tasks::time::Clock;
    /// let played_for = Clock::GAME.now().seconds();
    /// ```
    #[track_caller]
    pub fn now(self) -> Instant {
        Instant::new(self, service::now(self.time_line(), std::panic::Location::caller()))
    }

    /// Waits `duration` of this clock's time.
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
    /// use godot_tasks::time::Clock;
    /// Clock::REALTIME.sleep(Duration::from_millis(500)).await;
    /// # }
    /// ```
    #[track_caller]
    pub fn sleep(self, duration: Duration) -> Sleep {
        Sleep::new(self, Until::After(duration.as_secs_f64()), std::panic::Location::caller())
    }

    /// Waits `count` frames of this clock (process frames, or physics ticks for [`Clock::PHYSICS`]); frames
    /// while the tree is paused count only if the clock runs during pause. `frames(0)` is ready at once.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # async fn example() {
    /// godot_tasks::time::Clock::GAME.frames(5).await;
    /// # }
    /// ```
    #[track_caller]
    #[inline]
    pub fn frames(self, count: u64) -> FrameWait {
        FrameWait::new(self.frame_line(), count, std::panic::Location::caller())
    }

    /// Runs `future` for at most `duration` of this clock's time.
    ///
    /// # Panics
    ///
    /// Off Godot's main thread.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # async fn example(reply: impl std::future::Future<Output = i32>) {
    /// use std::time::Duration;
    /// use godot_tasks::time::Clock;
    /// let answer = Clock::REALTIME.timeout(Duration::from_secs(5), reply).await;
    /// # }
    /// ```
    #[track_caller]
    pub fn timeout<F: std::future::Future>(self, duration: Duration, future: F) -> Timeout<F> {
        Timeout::new(future, self.sleep(duration))
    }

    /// Ticks every `period` of this clock's time; see [`Ticker`].
    ///
    /// # Panics
    ///
    /// If `period` is zero.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # async fn example() {
    /// use std::time::Duration;
    /// use godot_tasks::time::Clock;
    /// let mut ticks = Clock::PHYSICS.ticker(Duration::from_millis(100));
    /// ticks.tick().await;
    /// # }
    /// ```
    #[track_caller]
    pub fn ticker(self, period: Duration) -> Ticker {
        assert!(!period.is_zero(), "godot-tasks: a ticker's period must not be zero");
        let at = std::panic::Location::caller();
        let now = service::now(self.time_line(), at);
        Ticker::new(self, now, period.as_secs_f64(), at)
    }

    /// The clock that counts the time `SceneTree.create_timer(time_sec, process_always, process_in_physics,
    /// ignore_time_scale)` counts, for its flags: which time, scaled or not, paused or not. Not frame for
    /// frame: a clock sleep counts from the moment it is made and resumes at the start of a frame, and with
    /// `process_in_physics` and `ignore_time_scale` the engine counts each tick as a process frame's length;
    /// for the same frames use [`time::create_timer`](super::create_timer). GDScript's default, `create_timer(t)`, is
    /// `Clock::for_timer(true, false, false)`: game time that **runs during pause** (unlike [`Clock::GAME`]).
    ///
    /// | `process_always` | `process_in_physics` | `ignore_time_scale` | clock |
    /// |---|---|---|---|
    /// | false | false | false | [`Clock::GAME`] |
    /// | true (GDScript's default) | false | false | `Clock::GAME.during_pause()` |
    /// | any | false | true | [`Clock::UNSCALED`] (`.during_pause()` if `process_always`) |
    /// | any | true | false | [`Clock::PHYSICS`] (`.during_pause()` if `process_always`) |
    /// | any | true | true | [`Clock::PHYSICS_UNSCALED`] (`.during_pause()` if `process_always`) |
    ///
    /// # Example
    ///
    /// ```no_run
    /// # async fn example() {
    /// use std::time::Duration;
    /// use godot_tasks::time::Clock;
    /// // GDScript: await get_tree().create_timer(1.5).timeout
    /// Clock::for_timer(true, false, false).sleep(Duration::from_secs_f64(1.5)).await;
    /// # }
    /// ```
    pub const fn for_timer(process_always: bool, process_in_physics: bool, ignore_time_scale: bool) -> Clock {
        let source = match (process_in_physics, ignore_time_scale) {
            (false, false) => Source::Game,
            (false, true) => Source::Unscaled,
            (true, false) => Source::Physics,
            (true, true) => Source::PhysicsUnscaled,
        };
        Clock { source, during_pause: process_always }
    }

    pub(super) fn time_line(self) -> Line {
        match self.source {
            Source::Game => Line::ProcessScaled { during_pause: self.during_pause },
            Source::Unscaled => Line::ProcessUnscaled { during_pause: self.during_pause },
            Source::Realtime => Line::Realtime,
            Source::Physics => Line::PhysicsScaled { during_pause: self.during_pause },
            Source::PhysicsUnscaled => Line::PhysicsUnscaled { during_pause: self.during_pause },
        }
    }

    #[inline]
    pub(super) fn frame_line(self) -> Line {
        match self.source {
            Source::Game | Source::Unscaled | Source::Realtime => {
                Line::ProcessFrames { during_pause: self.during_pause }
            }
            Source::Physics | Source::PhysicsUnscaled => Line::PhysicsTicks { during_pause: self.during_pause },
        }
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::GAME
    }
}

/// The clock as it is written in code: `Clock::GAME`, `Clock::UNSCALED.during_pause()`, `Clock::REALTIME`.
impl std::fmt::Display for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self.source {
            Source::Game => "GAME",
            Source::Unscaled => "UNSCALED",
            Source::Realtime => "REALTIME",
            Source::Physics => "PHYSICS",
            Source::PhysicsUnscaled => "PHYSICS_UNSCALED",
        };
        write!(f, "Clock::{name}")?;
        if self.during_pause && self.source != Source::Realtime {
            f.write_str(".during_pause()")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Clock;

    #[test]
    fn every_create_timer_flag_combination_has_its_clock() {
        let table = [
            ((false, false, false), Clock::GAME),
            ((true, false, false), Clock::GAME.during_pause()),
            ((false, false, true), Clock::UNSCALED),
            ((true, false, true), Clock::UNSCALED.during_pause()),
            ((false, true, false), Clock::PHYSICS),
            ((true, true, false), Clock::PHYSICS.during_pause()),
            ((false, true, true), Clock::PHYSICS_UNSCALED),
            ((true, true, true), Clock::PHYSICS_UNSCALED.during_pause()),
        ];
        for ((always, physics, ignore_scale), clock) in table {
            assert_eq!(Clock::for_timer(always, physics, ignore_scale), clock, "{always} {physics} {ignore_scale}");
        }
        assert_eq!(Clock::SCENE_TREE_TIMER, Clock::for_timer(true, false, false));
        assert_eq!(Clock::SCENE_TREE_TIMER.to_string(), "Clock::GAME.during_pause()");
        assert_eq!(Clock::PHYSICS_UNSCALED.during_pause().to_string(), "Clock::PHYSICS_UNSCALED.during_pause()");
    }
}
