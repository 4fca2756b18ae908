//! A stream that ticks every period of a clock: the ticker.

use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

use super::service::Until;
use super::{Clock, Sleep};

/// What an [`Ticker`] does when frames are longer than its period, so that ticks were missed.
///
/// # Example
///
/// ```no_run
/// # async fn example() {
/// use std::time::Duration;
/// use godot_tasks::time::{MissedTicks, ticker};
/// // A physics-like accumulator that must see every tick, even after a long frame:
/// let mut steps = ticker(Duration::from_millis(10)).missed_ticks(MissedTicks::Burst);
/// steps.tick().await;
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum MissedTicks {
    /// Tick once, then go on at the next multiple of the period after now (the default): a frame hitch
    /// costs ticks, never a burst. Tick numbers then jump (1, 2, 3, 8, ...: they count periods since the
    /// start), and the tick after a late one may come less than a period later, since ticks stay on the
    /// grid of `start + k × period`.
    #[default]
    Skip,
    /// Deliver every missed tick, one per poll, at once: the count of ticks matches elapsed time.
    Burst,
}

/// Ticks every `period` of a clock's time; made by [`ticker`](super::ticker) or
/// [`Clock::ticker`](super::Clock::ticker).
///
/// Tick `k` is due at `start + k × period` (the first tick is one period after the ticker was made), so
/// ticks do not drift however long each frame is: each resolves in the first frame that reaches its due
/// time. The stream never ends; each item is the number of the tick. See [`MissedTicks`] for frames longer
/// than a period.
///
/// It behaves like a Godot `Timer` that repeats, and like Go's `time.Ticker`: the first tick comes one period
/// after it was made, and a frame hitch skips ticks rather than delivering a burst. That is not tokio's
/// `interval` (whose first tick is immediate and whose default catches up in a burst), hence the name. For
/// tokio's catching up, use [`MissedTicks::Burst`]; for an immediate first tick, act once before the loop.
///
/// # Example
///
/// ```no_run
/// # async fn example() {
/// use std::time::Duration;
/// let mut regen = godot_tasks::time::ticker(Duration::from_secs(1));
/// loop {
///     let tick = regen.tick().await;
///     godot::global::godot_print!("+1 health (tick {tick})");
/// }
/// # }
/// ```
#[derive(Debug)]
pub struct Ticker {
    clock: Clock,
    start: f64,
    period: f64,
    /// The number of the next tick.
    next: u64,
    sleep: Sleep,
    missed: MissedTicks,
    made_at: &'static Location<'static>,
}

impl Ticker {
    pub(super) fn new(clock: Clock, start: f64, period: f64, made_at: &'static Location<'static>) -> Self {
        let sleep = Sleep::new(clock, Until::At(start + period), made_at);
        Self { clock, start, period, next: 1, sleep, missed: MissedTicks::Skip, made_at }
    }

    /// Sets what happens to missed ticks.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use godot_tasks::time::{MissedTicks, ticker};
    /// let ticks = ticker(Duration::from_millis(100)).missed_ticks(MissedTicks::Burst);
    /// ```
    pub fn missed_ticks(mut self, missed: MissedTicks) -> Self {
        self.missed = missed;
        self
    }

    /// Waits for the next tick and returns its number (1, 2, ...).
    ///
    /// Cancellation-safe: if the returned future is dropped before it resolves, the tick is not lost; the
    /// next call gets it.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # async fn example() {
    /// use std::time::Duration;
    /// let mut ticks = godot_tasks::time::ticker(Duration::from_millis(250));
    /// let first = ticks.tick().await; // 1, a quarter of a second of game time later
    /// # }
    /// ```
    pub async fn tick(&mut self) -> u64 {
        std::future::poll_fn(|cx| self.poll_tick(cx)).await
    }

    fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<u64> {
        if Pin::new(&mut self.sleep).poll(cx).is_pending() {
            return Poll::Pending;
        }
        let tick = self.next;
        let now_due = self.sleep.deadline().seconds();
        self.next = match self.missed {
            MissedTicks::Burst => tick + 1,
            MissedTicks::Skip => {
                // The first tick still due after now; `now` is at least the deadline just reached.
                let now = super::service::now(self.clock.time_line(), self.made_at).max(now_due);
                let elapsed_ticks = ((now - self.start) / self.period).floor() as u64;
                elapsed_ticks.max(tick) + 1
            }
        };
        self.sleep = Sleep::new(self.clock, Until::At(self.start + self.next as f64 * self.period), self.made_at);
        Poll::Ready(tick)
    }
}

impl Stream for Ticker {
    type Item = u64;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<u64>> {
        self.get_mut().poll_tick(cx).map(Some)
    }
}
