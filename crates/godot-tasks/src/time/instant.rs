//! A moment on one clock, which carries that clock.

use std::cmp::Ordering;
use std::ops::{Add, AddAssign};
use std::time::Duration;

use super::Clock;

/// A moment on one [`Clock`]: what [`Clock::now`], [`Sleep::deadline`](super::Sleep::deadline) and
/// [`Elapsed::deadline`](super::Elapsed::deadline) give, and what [`sleep_until`](super::sleep_until) takes.
///
/// It carries its clock, so a wait until it always counts the clock it came from. Moments of different
/// clocks do not compare (`partial_cmp` gives `None`, `==` gives false): game time and wall-clock time
/// drift apart as soon as the game pauses or the time scale changes.
///
/// # Example
///
/// ```no_run
/// # async fn example() {
/// use std::time::Duration;
/// use godot_tasks::time::{Clock, sleep_until};
///
/// let started = Clock::GAME.now();
/// let respawn_at = started + Duration::from_secs(5);
/// sleep_until(respawn_at).await;
/// let waited = started.elapsed(); // at least 5 s of game time
/// # }
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Instant {
    clock: Clock,
    seconds: f64,
}

impl Instant {
    pub(super) fn new(clock: Clock, seconds: f64) -> Self {
        Self { clock, seconds }
    }

    /// Seconds of the clock's time since this module was first used (counting goes on across runtime
    /// restarts).
    ///
    /// # Example
    ///
    /// ```no_run
    /// let played_for = godot_tasks::time::Clock::GAME.now().seconds();
    /// ```
    pub fn seconds(self) -> f64 {
        self.seconds
    }

    /// The clock this moment belongs to.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use godot_tasks::time::Clock;
    /// let clock = Clock::PHYSICS.now().clock(); // Clock::PHYSICS
    /// ```
    pub fn clock(self) -> Clock {
        self.clock
    }

    /// How much of its clock's time has passed since this moment; zero if the moment is still ahead.
    ///
    /// # Panics
    ///
    /// Off Godot's main thread (it reads the clock).
    ///
    /// # Example
    ///
    /// ```no_run
    /// use godot_tasks::time::Clock;
    /// let started = Clock::UNSCALED.now();
    /// // ... later ...
    /// let took = started.elapsed();
    /// ```
    #[track_caller]
    pub fn elapsed(self) -> Duration {
        self.clock.now().saturating_duration_since(self)
    }

    /// How much time lies between `earlier` and this moment, or `None` if `earlier` is later, belongs to
    /// another clock, or lies so far back that a `Duration` cannot hold the difference.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use godot_tasks::time::Clock;
    /// let start = Clock::GAME.now();
    /// let end = start + Duration::from_secs(2);
    /// // Some(2 s); None against a moment of another clock.
    /// let between = end.checked_duration_since(start);
    /// ```
    pub fn checked_duration_since(self, earlier: Instant) -> Option<Duration> {
        if self.clock != earlier.clock {
            return None;
        }
        Duration::try_from_secs_f64(self.seconds - earlier.seconds).ok()
    }

    /// How much time lies between `earlier` and this moment; zero if `earlier` is later or belongs to
    /// another clock, `Duration::MAX` if a `Duration` cannot hold the difference.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use godot_tasks::time::Clock;
    /// let start = Clock::GAME.now();
    /// let zero = start.saturating_duration_since(start);
    /// ```
    pub fn saturating_duration_since(self, earlier: Instant) -> Duration {
        match self.checked_duration_since(earlier) {
            Some(duration) => duration,
            None if self.clock == earlier.clock && self.seconds > earlier.seconds => Duration::MAX,
            None => Duration::ZERO,
        }
    }
}

impl PartialEq for Instant {
    fn eq(&self, other: &Self) -> bool {
        self.clock == other.clock && self.seconds == other.seconds
    }
}

impl PartialOrd for Instant {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        if self.clock != other.clock {
            return None;
        }
        self.seconds.partial_cmp(&other.seconds)
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;

    fn add(self, duration: Duration) -> Instant {
        Instant { clock: self.clock, seconds: self.seconds + duration.as_secs_f64() }
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, duration: Duration) {
        *self = *self + duration;
    }
}
