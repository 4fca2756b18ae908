//! What every next-frame wait touches, kept beside the time registry rather than in it: the frame lines' counts,
//! two flags, and the lines' next-count lists (`next_tick.rs`).
//!
//! `next_frame()` is made and polled far more often than any other wait. All of it lives in one thread-local
//! without a destructor, which costs one address lookup per use where the registry costs a lookup and a checked
//! borrow of a lazily made value: making a next-frame wait, finding it done, and listing its waker each cost one
//! lookup. The time service writes the counts and flags whenever what they mirror changes, and drains the lists
//! when their line counts.
//!
//! Like the registry, the lists are never dropped by the thread's exit: wakers left in them at process exit
//! are leaked, not dropped after the engine is gone. The runtime's stop drains them while the engine is alive.

use std::cell::{Cell, RefCell};
use std::mem::ManuallyDrop;
use std::task::{Poll, Waker};

use super::next_tick::{Listed, NextTick};

/// The lines that count frames (process frames and physics ticks, each pausable or not).
pub(super) const FRAME_LINES: usize = 4;

struct FrameClock {
    /// The counts of the frame lines, by line index.
    counts: [Cell<u64>; FRAME_LINES],
    /// Between a physics tick and the process frame of the same engine iteration.
    in_physics: Cell<bool>,
    /// Time is counted and the runtime's hooks are attached; only ever set on the main thread.
    open: Cell<bool>,
    /// The wakers of the waits for each frame line's next count, by line index. `ManuallyDrop` keeps the
    /// thread-local free of a destructor (see the module docs).
    next: RefCell<ManuallyDrop<[NextTick; FRAME_LINES]>>,
}

thread_local! {
    static CLOCK: FrameClock = const {
        FrameClock {
            counts: [const { Cell::new(0) }; FRAME_LINES],
            in_physics: Cell::new(false),
            open: Cell::new(false),
            next: RefCell::new(ManuallyDrop::new([const { NextTick::new() }; FRAME_LINES])),
        }
    };
}

/// Runs `f` on the frame line `line`'s next-count list.
fn with_list<R>(clock: &FrameClock, line: usize, f: impl FnOnce(&mut NextTick) -> R) -> R {
    let mut lists = clock
        .next
        .try_borrow_mut()
        .unwrap_or_else(|_| panic!("godot-tasks: the next-frame lists were re-entered (a bug)"));
    f(&mut lists[line])
}

/// The count of the frame line with index `line`, and whether a physics tick of this engine iteration ran
/// already, if the clock is open (so this is the main thread, time is counted and the hooks run): the fast path
/// of making a frame wait.
pub(super) fn now_if_open(line: usize) -> Option<(u64, bool)> {
    CLOCK.with(|clock| clock.open.get().then(|| (clock.counts[line].get(), clock.in_physics.get())))
}

/// Whether the frame line `line` reached `target`; if not, lists `waker` for the line's next count (where
/// `listed` says it already is, if it still is).
pub(super) fn poll_next(line: usize, target: u64, listed: &mut Option<Listed>, waker: &Waker) -> Poll<()> {
    let (poll, replaced) = CLOCK.with(|clock| {
        if clock.counts[line].get() >= target {
            // The line counted since the waker was listed, so the list was emptied: nothing to take out.
            *listed = None;
            return (Poll::Ready(()), None);
        }
        (Poll::Pending, with_list(clock, line, |list| list.list(waker, listed)))
    });
    // Dropped outside the borrow: dropping a waker may free a task and run its output's destructor.
    drop(replaced);
    poll
}

/// Takes a dropped wait's waker out of the frame line `line`'s next-count list.
pub(super) fn unlist(line: usize, listed: Listed) {
    let waker = CLOCK.with(|clock| with_list(clock, line, |list| list.unlist(listed)));
    drop(waker);
}

/// Moves every waker listed for the frame line `line`'s next count to `wakers` (the line just counted).
/// How many next-frame waits are listed on every frame line.
pub(super) fn listed_count() -> usize {
    CLOCK.with(|clock| (0..FRAME_LINES).map(|line| with_list(clock, line, |list| list.listed())).sum())
}

pub(super) fn drain_next(line: usize, wakers: &mut Vec<Waker>) {
    CLOCK.with(|clock| with_list(clock, line, |list| list.drain_into(wakers)));
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
