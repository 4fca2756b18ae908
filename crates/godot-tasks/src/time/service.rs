//! The main thread's timelines and their waiters, advanced by the runtime's frame hooks.
//!
//! Eleven timelines: process frames and physics ticks counted (pausable or not), game time, unscaled time
//! and physics time accumulated (pausable or not), and the wall clock. The runtime calls
//! [`on_process_frame`] at the start of every process frame and [`on_physics_frame`] at every physics tick.
//! Accounting starts with the first use of this module (and goes on across runtime restarts), so a game
//! that never waits for time pays one flag check per frame.
//!
//! Waiters live in one slab; each future holds its slot's key and the timelines hold keys in their heaps.
//! Waits for a frame line's next count skip both: the line keeps their wakers in one list (`next_tick.rs`), in
//! the frame clock (`frame_clock.rs`).
//! Wakers are woken after the registry is released.

use std::cell::RefCell;
use std::panic::Location;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use super::frame_clock::{self, FRAME_LINES};
use super::timeline::Timeline;
use crate::arena::{Arena, Key};
use crate::runtime::{self, FrameInfo, LeakAtThreadExit};
use crate::wake_buffer::WakeBuffer;

/// One of the timelines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Line {
    ProcessFrames { during_pause: bool },
    PhysicsTicks { during_pause: bool },
    ProcessScaled { during_pause: bool },
    ProcessUnscaled { during_pause: bool },
    PhysicsScaled { during_pause: bool },
    PhysicsUnscaled { during_pause: bool },
    Realtime,
}

const LINES: usize = 13;

impl Line {
    /// For a frame line: whether it counts physics ticks (else process frames), and whether it counts while
    /// the tree is paused.
    pub(super) fn frame_kind(self) -> (bool, bool) {
        match self {
            Line::ProcessFrames { during_pause } => (false, during_pause),
            Line::PhysicsTicks { during_pause } => (true, during_pause),
            _ => (false, false),
        }
    }

    #[inline]
    pub(super) fn index(self) -> usize {
        let pause = |during_pause: bool| usize::from(during_pause);
        match self {
            Line::ProcessFrames { during_pause } => pause(during_pause),
            Line::PhysicsTicks { during_pause } => 2 + pause(during_pause),
            Line::ProcessScaled { during_pause } => 4 + pause(during_pause),
            Line::ProcessUnscaled { during_pause } => 6 + pause(during_pause),
            Line::PhysicsScaled { during_pause } => 8 + pause(during_pause),
            Line::Realtime => 10,
            Line::PhysicsUnscaled { during_pause } => 11 + pause(during_pause),
        }
    }
}

/// The time service's hooks: clocks and frame counts advance at every frame and physics tick once time is
/// used; the waiters' wakers are dropped when the runtime stops.
pub(crate) const SERVICE: runtime::Service = runtime::Service {
    frame: || {
        if is_active()
            && let Some(frame) = runtime::frame_info(false)
        {
            on_process_frame(&frame);
        }
    },
    physics: || {
        if let Some(tick) = runtime::frame_info(true) {
            on_physics_frame(&tick);
        }
    },
    wants_physics: is_active,
    stop: |_| on_shutdown(),
};

/// Names a waiter; stale once the waiter is gone.
pub(crate) type WaiterKey = Key;

struct Waiter {
    line: Line,
    waker: Option<Waker>,
    fired: bool,
}

struct Timers {
    lines: [Timeline<WaiterKey>; LINES],
    waiters: Arena<Waiter>,
    /// Whether time is being counted (from the first use of this module on).
    active: bool,
    started: Option<Instant>,
    last_process: Option<Instant>,
    /// Reused between frames.
    due: Vec<WaiterKey>,
    wake_buffer: WakeBuffer,
}

thread_local! {
    static TIMERS: RefCell<LeakAtThreadExit<Timers>> = const { RefCell::new(LeakAtThreadExit(None)) };
}

fn with_timers<R>(f: impl FnOnce(&mut Timers) -> R) -> Option<R> {
    runtime::with_registry(&TIMERS, "timer registry", Timers::new, f)
}

impl Timers {
    fn new() -> Self {
        let mut lines: [Timeline<WaiterKey>; LINES] = Default::default();
        for line in [
            Line::ProcessFrames { during_pause: true },
            Line::ProcessFrames { during_pause: false },
            Line::PhysicsTicks { during_pause: true },
            Line::PhysicsTicks { during_pause: false },
        ] {
            lines[line.index()] = Timeline::counting_frames();
        }
        Self {
            lines,
            waiters: Arena::new(),
            active: false,
            started: None,
            last_process: None,
            due: Vec::new(),
            wake_buffer: WakeBuffer::default(),
        }
    }

    /// Starts counting (on first use) and reads `line` now. The wall clock is read live (its line only holds
    /// the time of the frame's start, which is when waits on it are checked); the other lines hold what the
    /// hooks counted.
    fn start_and_read(&mut self, line: Line) -> f64 {
        self.active = true;
        let started = *self.started.get_or_insert_with(Instant::now);
        let counted = self.line(line).now();
        match line {
            Line::Realtime => counted.max(started.elapsed().as_secs_f64()),
            _ => counted,
        }
    }

    fn line(&mut self, line: Line) -> &mut Timeline<WaiterKey> {
        &mut self.lines[line.index()]
    }

    /// Mirrors the frame lines' counts in the frame clock.
    fn publish_counts(&self) {
        for (index, line) in self.lines[..FRAME_LINES].iter().enumerate() {
            frame_clock::set_count(index, line.now() as u64);
        }
    }

    /// Fires the waiters due on the frame line `line` (it just counted a frame): those in its buckets, then
    /// its next-count list.
    fn fire_frame_line(&mut self, line: Line, wakers: &mut Vec<Waker>) {
        debug_assert!(matches!(line, Line::ProcessFrames { .. } | Line::PhysicsTicks { .. }));
        self.fire_due(line, wakers);
        frame_clock::drain_next(line.index(), wakers);
    }

    fn is_live(waiters: &Arena<Waiter>, key: WaiterKey) -> bool {
        waiters.get(key).is_some_and(|w| !w.fired)
    }

    /// Fires every waiter due on `line`; their wakers go to `wakers`.
    fn fire_due(&mut self, line: Line, wakers: &mut Vec<Waker>) {
        let mut due = std::mem::take(&mut self.due);
        let waiters = &self.waiters;
        self.lines[line.index()].pop_due(&mut due, |key| Self::is_live(waiters, key));
        for key in due.drain(..) {
            let waiter = self.waiters.get_mut(key).expect("`pop_due` hands out live waiters only");
            waiter.fired = true;
            wakers.extend(waiter.waker.take());
        }
        self.due = due;
    }
}

/// Whether time is being counted (the frame hooks skip the engine queries otherwise).
pub(crate) fn is_active() -> bool {
    with_timers(|timers| timers.active).unwrap_or(false)
}

/// Starts counting (on first use) and returns `line`'s time now. Main thread only.
pub(crate) fn now(line: Line, at: &'static Location<'static>) -> f64 {
    runtime::assert_main_thread("godot_tasks::time", at);
    let now = with_timers(|timers| timers.start_and_read(line)).unwrap_or(0.0);
    ensure_hooks();
    now
}

/// Frames and time are counted by the runtime's hooks, which attach themselves on the first use of time (and
/// again after the runtime restarts). Called after counting started, on the main thread; opens the frame clock
/// once the hooks run.
fn ensure_hooks() {
    if !frame_clock::is_open() && runtime::ensure_time_hooks() {
        frame_clock::set_open(true);
    }
}

/// The count of the frame line `line` (`now` now) that a wait of `count` frames made now waits for;
/// `in_physics` tells whether this engine iteration's physics ticks ran already.
fn frames_from_now(line: Line, now: u64, count: u64, in_physics: bool) -> u64 {
    // Physics runs before process within one engine iteration: a process-frame wait made in between counts
    // from this iteration's process frame.
    let ahead = matches!(line, Line::ProcessFrames { .. }) && in_physics && count > 0;
    now + count + u64::from(ahead)
}

/// The count of the frame line `line` at which a wait of `count` frames made now ends. Main thread only.
#[inline]
pub(crate) fn frame_target(line: Line, count: u64, at: &'static Location<'static>) -> u64 {
    // The frame clock is open only on the main thread, once time is counted and the hooks run.
    match frame_clock::now_if_open(line.index()) {
        Some((now, in_physics)) => frames_from_now(line, now, count, in_physics),
        None => opening_frame_target(line, count, at),
    }
}

/// [`frame_target`] while the frame clock is closed: the first wait, the first after a restart, or a wait
/// made off the main thread (which panics here).
#[cold]
#[inline(never)]
fn opening_frame_target(line: Line, count: u64, at: &'static Location<'static>) -> u64 {
    runtime::assert_main_thread("godot_tasks::time", at);
    let now = with_timers(|timers| timers.start_and_read(line))
        .expect("godot-tasks: time waits need the main thread's registry");
    ensure_hooks();
    frames_from_now(line, now as u64, count, frame_clock::in_physics())
}

/// When a wait made now ends.
#[derive(Clone, Copy)]
pub(crate) enum Until {
    /// At this value of the line.
    At(f64),
    /// After this many seconds of the line's time.
    After(f64),
    /// After this many frames of the line.
    Frames(u64),
}

/// A waiter for `line` reaching `until`, and its deadline; fired at once if it already has. Main thread
/// only. One pass over the registry: this is the path of every sleep and frame wait.
pub(crate) fn register(line: Line, until: Until, at: &'static Location<'static>) -> (WaiterKey, f64) {
    runtime::assert_main_thread("godot_tasks::time", at);
    let (key, deadline) = with_timers(|timers| {
        let now = timers.start_and_read(line);
        let deadline = match until {
            Until::At(deadline) => deadline,
            Until::After(seconds) => now + seconds,
            Until::Frames(count) => frames_from_now(line, now as u64, count, frame_clock::in_physics()) as f64,
        };
        let fired = timers.line(line).is_due(deadline);
        let key = timers.waiters.insert(Waiter { line, waker: None, fired });
        if !fired {
            timers.line(line).schedule(deadline, key);
        }
        (key, deadline)
    })
    .expect("godot-tasks: time waits need the main thread's registry");
    ensure_hooks();
    (key, deadline)
}

/// How many frames (or ticks) of the frame line `line` are left until its count reaches `target`: for the
/// task snapshot.
/// `None` if the registry is busy: a snapshot can be taken from anywhere, the editor's break loop included.
pub(crate) fn frames_left(line: Line, target: u64) -> Option<u64> {
    TIMERS
        .try_with(|cell| {
            let mut timers = cell.try_borrow_mut().ok()?;
            let timers = timers.0.as_mut()?;
            Some(target.saturating_sub(timers.start_and_read(line) as u64))
        })
        .ok()
        .flatten()
}

/// Whether the waiter fired; if so it is removed (the key is stale from now on), otherwise the task's waker is
/// stored. One pass over the registry either way.
pub(crate) fn poll_fired(key: WaiterKey, cx: &Context<'_>) -> Poll<()> {
    let (poll, replaced) = with_timers(|timers| match timers.waiters.get_mut(key) {
        Some(waiter) if waiter.fired => {
            let waiter = timers.waiters.remove(key).expect("found above");
            (Poll::Ready(()), waiter.waker)
        }
        Some(waiter) => {
            if waiter.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                (Poll::Pending, None)
            } else {
                (Poll::Pending, waiter.waker.replace(cx.waker().clone()))
            }
        }
        // Gone with the registry (thread exit): never fires.
        None => (Poll::Pending, None),
    })
    .unwrap_or((Poll::Pending, None));
    drop(replaced);
    poll
}

/// How many time and frame waits have not ended yet (the `timers_pending` monitor): sleeps, timeouts, ticks
/// and frame waits, including the next-frame waits kept in the frame clock's lists.
pub(crate) fn pending_count() -> usize {
    let registered = with_timers(|timers| timers.waiters.iter().filter(|(_, waiter)| !waiter.fired).count());
    registered.unwrap_or(0) + frame_clock::listed_count()
}

/// Removes a waiter (its future is done or dropped).
pub(crate) fn release(key: WaiterKey) {
    let waker = with_timers(|timers| {
        let waiter = timers.waiters.remove(key)?;
        if !waiter.fired {
            let waiters = &timers.waiters;
            timers.lines[waiter.line.index()].forget_one(|k| Timers::is_live(waiters, k));
        }
        waiter.waker
    })
    .flatten();
    drop(waker);
}

/// At the start of every process frame (before tasks run).
fn on_process_frame(frame: &FrameInfo) {
    let mut wakers = Vec::new();
    let counted = with_timers(|timers| {
        if !timers.active {
            return false;
        }
        frame_clock::set_in_physics(false);
        wakers = timers.wake_buffer.take();
        let now = Instant::now();
        let wall = timers.last_process.map_or(0.0, |last| (now - last).as_secs_f64());
        timers.last_process = Some(now);
        // The delta without the time scale; the wall clock's when the scale hides it (zero, NaN, infinite).
        let unscaled = Some(frame.delta / frame.time_scale).filter(|d| d.is_finite() && *d >= 0.0).unwrap_or(wall);
        let started = *timers.started.get_or_insert(now);
        for during_pause in [true, false] {
            if during_pause || !frame.paused {
                timers.line(Line::ProcessFrames { during_pause }).advance_by(1.0);
                timers.line(Line::ProcessScaled { during_pause }).advance_by(frame.delta);
                timers.line(Line::ProcessUnscaled { during_pause }).advance_by(unscaled);
            }
        }
        timers.line(Line::Realtime).advance_to((now - started).as_secs_f64());
        timers.publish_counts();
        timers.fire_frame_line(Line::ProcessFrames { during_pause: true }, &mut wakers);
        if !frame.paused {
            timers.fire_frame_line(Line::ProcessFrames { during_pause: false }, &mut wakers);
        }
        for line in [
            Line::ProcessScaled { during_pause: true },
            Line::ProcessScaled { during_pause: false },
            Line::ProcessUnscaled { during_pause: true },
            Line::ProcessUnscaled { during_pause: false },
            Line::Realtime,
        ] {
            timers.fire_due(line, &mut wakers);
        }
        true
    })
    .unwrap_or(false);
    if counted {
        wake_and_keep_buffer(wakers);
    }
}

/// Wakes outside the registry, then hands the emptied buffer back for the next frame.
fn wake_and_keep_buffer(wakers: Vec<Waker>) {
    crate::wake_buffer::wake_all(wakers, |emptied| {
        let _ = with_timers(|timers| timers.wake_buffer.keep(emptied));
    });
}

/// At every physics tick (once the physics hook is attached).
fn on_physics_frame(tick: &FrameInfo) {
    let mut wakers = Vec::new();
    let _ = with_timers(|timers| {
        frame_clock::set_in_physics(true);
        wakers = timers.wake_buffer.take();
        // The tick's length without the time scale; the fixed tick length when the scale hides it.
        let unscaled = Some(tick.delta / tick.time_scale).filter(|d| d.is_finite() && *d >= 0.0).unwrap_or_else(|| {
            use godot::obj::Singleton;
            1.0 / f64::from(godot::classes::Engine::singleton().get_physics_ticks_per_second().max(1))
        });
        // A line that did not count this tick (paused) has nothing due, and its next-tick list must wait.
        for during_pause in [true, false].into_iter().filter(|during_pause| *during_pause || !tick.paused) {
            timers.line(Line::PhysicsTicks { during_pause }).advance_by(1.0);
            timers.line(Line::PhysicsScaled { during_pause }).advance_by(tick.delta);
            timers.line(Line::PhysicsUnscaled { during_pause }).advance_by(unscaled);
            timers.fire_frame_line(Line::PhysicsTicks { during_pause }, &mut wakers);
            timers.fire_due(Line::PhysicsScaled { during_pause }, &mut wakers);
            timers.fire_due(Line::PhysicsUnscaled { during_pause }, &mut wakers);
        }
        // Read by polls, which run once the wakers are woken, after this borrow.
        timers.publish_counts();
    });
    wake_and_keep_buffer(wakers);
}

/// When the runtime stops, after every task was dropped: drops the wakers of waits polled outside tasks, while
/// the engine is alive, and forgets the hooks (the next wait attaches the next runtime's).
fn on_shutdown() {
    frame_clock::set_open(false);
    let mut wakers: Vec<Waker> =
        with_timers(|timers| timers.waiters.iter_mut().filter_map(|(_, waiter)| waiter.waker.take()).collect())
            .unwrap_or_default();
    for line in 0..FRAME_LINES {
        frame_clock::drain_next(line, &mut wakers);
    }
    drop(wakers);
}
