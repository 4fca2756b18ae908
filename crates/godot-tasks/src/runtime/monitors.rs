//! The runtime in Godot's Performance monitors (the debugger's Monitors tab, `Performance.get_custom_monitor`):
//! registered while the runtime's hooks are attached, removed when it stops, registered again by the next
//! runtime (after `shutdown()`, or a hot reload).
//!
//! Counters only: the runtime counts polls (one cell per poll, in the executor) and reads the rest when a
//! monitor is read. Flush time is measured only once `godot_tasks/flush_usec` has been read, so a game that
//! never looks at it never pays for the clock reads.

use std::cell::Cell;
use std::time::Instant;

use godot::builtin::{Callable, StringName, Variant};
use godot::classes::Performance;
use godot::meta::ToGodot;
use godot::obj::Singleton;

use super::context::with_runtime;

/// A monitor: its id, and what it shows.
type Monitor = (&'static str, fn() -> Variant);

/// The monitors.
const MONITORS: [Monitor; 6] = [
    ("godot_tasks/tasks_alive", || count(with_runtime(|runtime| runtime.executor.task_count()).unwrap_or(0))),
    ("godot_tasks/polls_per_frame", || {
        i64::try_from(STATS.with(|stats| stats.last_frame_polls.get())).unwrap_or(i64::MAX).to_variant()
    }),
    ("godot_tasks/flush_usec", || {
        STATS.with(|stats| {
            stats.timing.set(true);
            (stats.last_frame_flush_nanos.get() as f64 / 1000.0).to_variant()
        })
    }),
    ("godot_tasks/signal_waiters", || count(crate::signal::waiter_count())),
    ("godot_tasks/timers_pending", || count(crate::time::pending_waits())),
    ("godot_tasks/jobs_in_flight", || count(crate::threads::jobs_in_flight())),
];

/// The ids of the monitors, in the order the Monitors tab lists them.
pub(crate) const IDS: [&str; 6] =
    [MONITORS[0].0, MONITORS[1].0, MONITORS[2].0, MONITORS[3].0, MONITORS[4].0, MONITORS[5].0];

fn count(value: usize) -> Variant {
    i64::try_from(value).unwrap_or(i64::MAX).to_variant()
}

/// What the runtime counts per frame for the monitors.
struct Stats {
    /// The executor's poll count when the current frame started.
    frame_start_polls: Cell<u64>,
    last_frame_polls: Cell<u64>,
    /// Time spent in flushes this frame, while `timing` is on.
    flush_nanos: Cell<u64>,
    last_frame_flush_nanos: Cell<u64>,
    /// Set by the first read of `godot_tasks/flush_usec`.
    timing: Cell<bool>,
    /// Whether this runtime registered the monitors (another extension's runtime may have them).
    registered: Cell<bool>,
}

thread_local! {
    static STATS: Stats = const {
        Stats {
            frame_start_polls: Cell::new(0),
            last_frame_polls: Cell::new(0),
            flush_nanos: Cell::new(0),
            last_frame_flush_nanos: Cell::new(0),
            timing: Cell::new(false),
            registered: Cell::new(false),
        }
    };
}

/// A frame starts: the counts of the frame that ended become what the monitors show.
pub(super) fn frame_started(poll_count: u64) {
    let _ = STATS.try_with(|stats| {
        stats.last_frame_polls.set(poll_count.saturating_sub(stats.frame_start_polls.replace(poll_count)));
        stats.last_frame_flush_nanos.set(stats.flush_nanos.replace(0));
    });
}

/// Runs a flush, timing it if someone reads `godot_tasks/flush_usec`.
pub(super) fn timed_flush(flush: impl FnOnce()) {
    if !STATS.try_with(|stats| stats.timing.get()).unwrap_or(false) {
        return flush();
    }
    let start = Instant::now();
    flush();
    let nanos = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
    let _ = STATS.try_with(|stats| stats.flush_nanos.set(stats.flush_nanos.get().saturating_add(nanos)));
}

/// Adds the monitors, unless another extension's runtime already shows its own under the same ids (each
/// extension has a runtime of its own; the first one's is shown).
pub(super) fn register(poll_count: u64) {
    let mut performance = Performance::singleton();
    if IDS.iter().any(|id| performance.has_custom_monitor(&StringName::from(*id))) {
        return;
    }
    for (id, value) in MONITORS {
        performance.add_custom_monitor(&StringName::from(id), &Callable::from_fn(id, move |_args| value()));
    }
    let _ = STATS.try_with(|stats| {
        stats.registered.set(true);
        stats.frame_start_polls.set(poll_count);
        stats.last_frame_polls.set(0);
        stats.last_frame_flush_nanos.set(0);
        stats.flush_nanos.set(0);
    });
}

/// Removes the monitors this runtime added.
pub(super) fn unregister() {
    if !STATS.try_with(|stats| stats.registered.replace(false)).unwrap_or(false) {
        return;
    }
    let mut performance = Performance::singleton();
    for id in IDS {
        let id = StringName::from(id);
        if performance.has_custom_monitor(&id) {
            performance.remove_custom_monitor(&id);
        }
    }
}
