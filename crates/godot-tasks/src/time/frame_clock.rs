//! What every next-frame wait reads, kept beside the time registry rather than in it: the frame lines' counts
//! and two flags.
//!
//! `next_frame()` is made and polled far more often than any other wait. A thread-local of plain cells without
//! a destructor costs one address lookup to read, where the registry costs a checked borrow; so making a
//! next-frame wait and finding it done touch only these cells, and only listing a waker borrows the registry.
//! The time service writes them whenever the lines they mirror change.

use std::cell::Cell;

/// The lines that count frames (process frames and physics ticks, each pausable or not).
pub(super) const FRAME_LINES: usize = 4;

struct FrameClock {
    /// The counts of the frame lines, by line index.
    counts: [Cell<u64>; FRAME_LINES],
    /// Between a physics tick and the process frame of the same engine iteration.
    in_physics: Cell<bool>,
    /// Time is counted and the runtime's hooks are attached; only ever set on the main thread.
    open: Cell<bool>,
}

thread_local! {
    static CLOCK: FrameClock = const {
        FrameClock {
            counts: [const { Cell::new(0) }; FRAME_LINES],
            in_physics: Cell::new(false),
            open: Cell::new(false),
        }
    };
}

/// The count of the frame line with index `line`.
pub(super) fn count(line: usize) -> u64 {
    CLOCK.with(|clock| clock.counts[line].get())
}

/// The count of the frame line with index `line` if the clock is open (so this is the main thread, time is
/// counted and the hooks run): the fast path of making a frame wait.
pub(super) fn count_if_open(line: usize) -> Option<u64> {
    CLOCK.with(|clock| clock.open.get().then(|| clock.counts[line].get()))
}

pub(super) fn set_count(line: usize, count: u64) {
    CLOCK.with(|clock| clock.counts[line].set(count));
}

pub(super) fn in_physics() -> bool {
    CLOCK.with(|clock| clock.in_physics.get())
}

pub(super) fn set_in_physics(in_physics: bool) {
    CLOCK.with(|clock| clock.in_physics.set(in_physics));
}

pub(super) fn is_open() -> bool {
    CLOCK.with(|clock| clock.open.get())
}

pub(super) fn set_open(open: bool) {
    CLOCK.with(|clock| clock.open.set(open));
}
