//! Giving memory back after a burst.
//!
//! A burst (a hundred thousand tasks spawned in one frame, say) grows the set of live tasks and the queues of
//! task references to fit it, and a `Vec` never shrinks on its own: a million tasks once left about 110 MiB
//! behind until shutdown. So the executor checks now and then whether its buffers are far larger than its
//! recent load, and gives the excess back. (A task's own allocation is freed when the task ends.)
//!
//! - **When**: every [`TRIM_INTERVAL`] *ticks*. A tick is a call to `Executor::flush` (not a re-entrant one)
//!   or to `Executor::start_frame`, so a host that marks every frame gets the memory back even once nothing is
//!   flushed any more.
//! - **Load**: the most tasks the executor held at once since the previous check (the *peak*), not the count at
//!   the check: a load that spawns and finishes its tasks within each frame holds none when a frame ends, yet
//!   needs its buffers again in the next one.
//! - **Rule**: a buffer whose capacity exceeds both 4 × peak and [`FLOOR`] shrinks to the larger of 2 × peak
//!   and `FLOOR`. The gap between the two factors is the hysteresis: after shrinking, a buffer grows again only
//!   if the load more than doubles, and shrinks again only if it halves, so a load that stays within a factor
//!   of two of itself never reallocates.
//! - **The queues of task references** (spawned, woken, the batch a flush polls) follow their own peak: the
//!   most entries one round of a flush took at once. A burst that spawns a hundred thousand tasks which then
//!   wait for good leaves the queues nearly empty, and their memory comes back while the tasks live on.
//! - **The set of live tasks** can only give back the vacant slots past its last occupied one: a task keeps its
//!   slot for life, so that taking a task out never touches another task's memory (with a hundred thousand
//!   tasks, that memory is rarely in the cache). To keep the tail vacant, a new task takes the lowest vacant
//!   slot (the `vacant_slots` module), and the live tasks gather at the front once a burst is over; a
//!   long-lived task that took a slot near the end during the burst holds the set at that length until it
//!   ends.
//!
//! So the memory of a burst comes back between one and two intervals after its last task ended.

/// Below this capacity (in entries) no buffer is shrunk.
pub(crate) const FLOOR: usize = 256;

/// How many ticks (flushes and frame starts) pass from one check to the next.
pub(crate) const TRIM_INTERVAL: u32 = 64;

/// The capacities of the executor's buffers, for tests of the trimming policy. Not part of the stable API.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Capacities {
    /// Slots of the set of live tasks.
    pub tasks: usize,
    /// The record of the set's vacant slots (in slots it can describe).
    pub free_slots: usize,
    /// The batch that a flush polls.
    pub batch: usize,
    /// Tasks spawned since the last flush took them.
    pub spawned: usize,
    /// The ready queue that wakes from other threads fill.
    pub ready: usize,
    /// The ready queue that wakes on the executor's own thread fill (0 if the executor does not hold it).
    pub local_lane: usize,
}

impl Capacities {
    /// Below this capacity nothing is given back.
    pub const FLOOR: usize = FLOOR;
    /// How many ticks (flushes and frame starts) pass from one check to the next.
    pub const TRIM_INTERVAL: u32 = TRIM_INTERVAL;
}

/// The most task references queued at once since the last check.
#[derive(Default)]
pub(crate) struct QueuedPeak(std::cell::Cell<usize>);

impl QueuedPeak {
    /// Notes that `queued` entries were queued at once.
    pub(crate) fn note(&self, queued: usize) {
        if queued > self.0.get() {
            self.0.set(queued);
        }
    }

    /// The peak since the last call; starts the next interval from nothing.
    pub(crate) fn take(&self) -> usize {
        self.0.replace(0)
    }
}

/// Counts ticks and says when a check is due.
#[derive(Default)]
pub(crate) struct TrimClock {
    ticks: std::cell::Cell<u32>,
}

impl TrimClock {
    /// Counts one tick; true on every `TRIM_INTERVAL`-th.
    pub(crate) fn tick(&self) -> bool {
        let ticks = self.ticks.get() + 1;
        let due = ticks >= TRIM_INTERVAL;
        self.ticks.set(if due { 0 } else { ticks });
        due
    }
}

/// What one check decided from the peak load: which capacities are too large, and what to shrink them to.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TrimRule {
    limit: usize,
    target: usize,
}

impl TrimRule {
    pub(crate) fn for_peak(peak: usize) -> Self {
        Self { limit: peak.saturating_mul(4).max(FLOOR), target: peak.saturating_mul(2).max(FLOOR) }
    }

    pub(crate) fn too_large(self, capacity: usize) -> bool {
        capacity > self.limit
    }

    /// The capacity to shrink a buffer that is too large to (never below its length).
    pub(crate) fn target(self) -> usize {
        self.target
    }

    /// Shrinks `buffer` if it is too large.
    pub(crate) fn shrink<T>(self, buffer: &mut Vec<T>) {
        if self.too_large(buffer.capacity()) {
            buffer.shrink_to(self.target);
        }
    }
}
