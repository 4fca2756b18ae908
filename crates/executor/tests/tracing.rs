//! The `tracing` feature: a subscriber sees one span per task, with its name, spawn location and tracking id,
//! entered around each poll and around the drop of a cancelled future, and the events `spawned`, `woken`,
//! `cancel requested`, `panicked` and `finished`.
//!
//! Each test installs a recording subscriber of its own for its thread, and asserts the exact timeline it
//! recorded: spans opened, entered, left and closed, and events with the span they belong to.

#![cfg(feature = "tracing")]

mod common;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use common::{Gate, executor, on_drop, panic_with, yield_now};
use godot_tasks_executor::Executor;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_core::span::Current;

/// The target of the executor's spans and events.
const TARGET: &str = "godot_tasks::task";

// ---------------------------------------------------------------------------------------------------------------
// A recording subscriber

/// What the recorder saw, in order.
#[derive(Default)]
struct Log {
    /// Each line of the timeline: `open #1`, `enter #1`, `exit #1`, `close #1`, `event #1 MESSAGE` (an event
    /// and the span it belongs to: its explicit parent, else the innermost entered span), `event - MESSAGE` (in
    /// no span), `follows #2 #1`.
    timeline: Vec<String>,
    /// Every span: its name, target and fields, at index `id - 1`.
    spans: Vec<Recorded>,
    /// The metadata of every span, at index `id - 1`.
    span_metadata: Vec<&'static Metadata<'static>>,
    /// Every event: its level, target and fields (the message under `message`), in order.
    events: Vec<Recorded>,
    /// The spans entered on this thread, innermost last.
    entered: Vec<u64>,
    /// How many handles each open span has.
    handles: BTreeMap<u64, usize>,
}

/// A span or an event as the recorder saw it.
#[derive(Clone, Debug)]
struct Recorded {
    name: &'static str,
    target: String,
    level: Level,
    fields: BTreeMap<String, String>,
    /// The span an event belongs to.
    span: Option<u64>,
}

impl Visit for Recorded {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.fields.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.fields.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

/// A subscriber that records everything at `max_level` or above into a shared [`Log`].
#[derive(Clone)]
struct Recorder {
    log: Arc<Mutex<Log>>,
    max_level: Level,
    next_id: Arc<AtomicU64>,
    /// Panics whenever a span is entered: a broken subscriber.
    panic_on_enter: bool,
}

impl Recorder {
    fn new(max_level: Level) -> Self {
        Recorder { log: Arc::default(), max_level, next_id: Arc::new(AtomicU64::new(1)), panic_on_enter: false }
    }

    fn log(&self) -> std::sync::MutexGuard<'_, Log> {
        self.log.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The timeline so far.
    fn timeline(&self) -> Vec<String> {
        self.log().timeline.clone()
    }

    /// Every span so far.
    fn spans(&self) -> Vec<Recorded> {
        self.log().spans.clone()
    }

    /// The event whose message is `message` (the only one).
    fn event(&self, message: &str) -> Recorded {
        let log = self.log();
        let mut found =
            log.events.iter().filter(|event| event.fields.get("message").map(String::as_str) == Some(message));
        let event = found.next().unwrap_or_else(|| panic!("no event {message:?}")).clone();
        assert!(found.next().is_none(), "more than one event {message:?}");
        event
    }
}

impl Subscriber for Recorder {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        // Asked again every time: other tests run on other threads with subscribers of their own, or none.
        Interest::sometimes()
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        *metadata.level() <= self.max_level
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let metadata = span.metadata();
        let mut recorded = Recorded {
            name: metadata.name(),
            target: metadata.target().to_owned(),
            level: *metadata.level(),
            fields: BTreeMap::new(),
            span: span.parent().map(Id::into_u64),
        };
        span.record(&mut recorded);
        let mut log = self.log();
        assert!(span.is_root(), "a task's span has no parent");
        log.spans.push(recorded);
        log.span_metadata.push(metadata);
        log.handles.insert(id, 1);
        log.timeline.push(format!("open #{id}"));
        Id::from_u64(id)
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        let mut log = self.log();
        let recorded = &mut log.spans[span.into_u64() as usize - 1];
        values.record(recorded);
        log.timeline.push(format!("record #{}", span.into_u64()));
    }

    fn record_follows_from(&self, span: &Id, follows: &Id) {
        self.log().timeline.push(format!("follows #{} #{}", span.into_u64(), follows.into_u64()));
    }

    fn event(&self, event: &Event<'_>) {
        let metadata = event.metadata();
        let mut log = self.log();
        let span = if event.is_contextual() { log.entered.last().copied() } else { event.parent().map(Id::into_u64) };
        let mut recorded = Recorded {
            name: metadata.name(),
            target: metadata.target().to_owned(),
            level: *metadata.level(),
            fields: BTreeMap::new(),
            span,
        };
        event.record(&mut recorded);
        let message = recorded.fields.get("message").cloned().unwrap_or_default();
        let place = span.map_or_else(|| "-".to_owned(), |id| format!("#{id}"));
        log.timeline.push(format!("event {place} {message}"));
        log.events.push(recorded);
    }

    fn enter(&self, span: &Id) {
        assert!(!self.panic_on_enter, "this subscriber panics when a span is entered");
        let mut log = self.log();
        log.entered.push(span.into_u64());
        log.timeline.push(format!("enter #{}", span.into_u64()));
    }

    fn exit(&self, span: &Id) {
        let mut log = self.log();
        assert_eq!(log.entered.pop(), Some(span.into_u64()), "spans are left in the order they were entered");
        log.timeline.push(format!("exit #{}", span.into_u64()));
    }

    fn clone_span(&self, span: &Id) -> Id {
        *self.log().handles.get_mut(&span.into_u64()).expect("an open span") += 1;
        span.clone()
    }

    fn try_close(&self, span: Id) -> bool {
        let mut log = self.log();
        let handles = log.handles.get_mut(&span.into_u64()).expect("an open span");
        *handles -= 1;
        if *handles > 0 {
            return false;
        }
        log.handles.remove(&span.into_u64());
        log.timeline.push(format!("close #{}", span.into_u64()));
        true
    }

    fn current_span(&self) -> Current {
        let log = self.log();
        match log.entered.last() {
            Some(&id) => Current::new(Id::from_u64(id), log.span_metadata[id as usize - 1]),
            None => Current::none(),
        }
    }
}

/// Runs `test` with `recorder` as this thread's subscriber, and an executor whose host records nothing here.
fn traced<R>(recorder: &Recorder, test: impl FnOnce(&Executor) -> R) -> R {
    let (executor, _trace) = executor();
    tracing::subscriber::with_default(recorder.clone(), || test(&executor))
}

/// The timeline lines given, as owned strings.
fn lines(lines: &[&str]) -> Vec<String> {
    lines.iter().map(|line| (*line).to_owned()).collect()
}

// ---------------------------------------------------------------------------------------------------------------
// Spans

#[test]
fn each_task_gets_one_span_named_task_with_its_name_and_spawn_location() {
    let recorder = Recorder::new(Level::TRACE);
    let (named, unnamed) = traced(&recorder, |executor| {
        let named = executor.spawn_named("loader", async {});
        let unnamed = executor.spawn(async {});
        let _ = executor.flush();
        (named.spawned_at().to_string(), unnamed.spawned_at().to_string())
    });

    let spans = recorder.spans();
    assert_eq!(spans.len(), 2);
    for span in &spans {
        assert_eq!((span.name, span.target.as_str(), span.level, span.span), ("task", TARGET, Level::DEBUG, None));
    }
    let fields = |span: &Recorded| span.fields.iter().map(|(k, v)| (k.clone(), v.clone())).collect::<Vec<_>>();
    assert_eq!(
        fields(&spans[0]),
        [("spawned_at".to_owned(), named.clone()), ("task.name".to_owned(), "loader".to_owned())]
    );
    assert_eq!(fields(&spans[1]), [("spawned_at".to_owned(), unnamed.clone())]);
    assert!(named.starts_with(&format!("{}:", file!())), "{named} is a location in this file");
}

#[test]
fn each_poll_runs_inside_the_task_span_and_the_span_closes_when_the_task_finishes() {
    let recorder = Recorder::new(Level::TRACE);
    traced(&recorder, |executor| {
        executor
            .spawn(async {
                tracing::info!("first poll");
                yield_now().await;
                tracing::info!("second poll");
            })
            .detach();
        let _ = executor.flush();
    });

    assert_eq!(
        recorder.timeline(),
        lines(&[
            "open #1",
            "event #1 spawned",
            "enter #1",
            "event #1 first poll",
            "exit #1",
            "event #1 woken",
            "enter #1",
            "event #1 second poll",
            "exit #1",
            "event #1 finished",
            "close #1",
        ])
    );
    assert_eq!(recorder.event("finished").fields["outcome"], "value");
}

#[test]
fn each_task_has_its_own_span() {
    let recorder = Recorder::new(Level::TRACE);
    traced(&recorder, |executor| {
        executor.spawn(async { tracing::info!("a") }).detach();
        executor.spawn(async { tracing::info!("b") }).detach();
        let _ = executor.flush();
    });

    assert_eq!(
        recorder.timeline(),
        lines(&[
            "open #1",
            "event #1 spawned",
            "open #2",
            "event #2 spawned",
            "enter #1",
            "event #1 a",
            "exit #1",
            "event #1 finished",
            "close #1",
            "enter #2",
            "event #2 b",
            "exit #2",
            "event #2 finished",
            "close #2",
        ])
    );
}

#[test]
fn a_task_spawned_by_a_task_has_a_root_span_that_follows_from_its_spawner() {
    let recorder = Recorder::new(Level::TRACE);
    traced(&recorder, |executor| {
        let inner = executor.clone();
        executor.spawn(async move { inner.spawn(async {}).detach() }).detach();
        let _ = executor.flush();
    });

    let timeline = recorder.timeline();
    assert_eq!(
        timeline[..6],
        lines(&["open #1", "event #1 spawned", "enter #1", "open #2", "follows #2 #1", "event #2 spawned"])
    );
    assert_eq!(recorder.spans()[1].span, None, "not a child of the spawner's span");
}

#[test]
fn the_span_carries_the_tracking_id_from_spawn_or_from_when_tracking_is_turned_on() {
    let recorder = Recorder::new(Level::TRACE);
    let ids = traced(&recorder, |executor| {
        executor.spawn_named("spawned before tracking", std::future::pending::<()>()).detach();
        executor.set_tracking(true);
        executor.spawn_named("spawned while tracking", std::future::pending::<()>()).detach();
        let snapshot = executor.snapshot();
        let id = |name: &str| snapshot.iter().find(|task| task.name.as_deref() == Some(name)).unwrap().id.get();
        (id("spawned before tracking"), id("spawned while tracking"))
    });

    let spans = recorder.spans();
    assert_eq!(spans[0].fields["task.id"], ids.0.to_string());
    assert_eq!(spans[1].fields["task.id"], ids.1.to_string());
    assert_eq!(
        recorder.timeline()[..5],
        lines(&["open #1", "event #1 spawned", "record #1", "open #2", "event #2 spawned"]),
        "the first id is recorded in the open span, the second one when the span opens"
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Events

#[test]
fn many_wakes_before_a_poll_make_one_woken_event() {
    let recorder = Recorder::new(Level::TRACE);
    traced(&recorder, |executor| {
        let gate = Gate::default();
        executor.spawn(gate.wait()).detach();
        let _ = executor.flush();
        gate.wake();
        gate.wake();
        gate.open();
        let _ = executor.flush();
    });

    assert_eq!(
        recorder.timeline(),
        lines(&[
            "open #1",
            "event #1 spawned",
            "enter #1",
            "exit #1",
            "event #1 woken",
            "enter #1",
            "exit #1",
            "event #1 finished",
            "close #1",
        ])
    );
    assert_eq!(recorder.event("woken").level, Level::TRACE);
}

#[test]
fn a_wake_from_another_thread_is_recorded_when_the_executor_polls_the_task() {
    let recorder = Recorder::new(Level::TRACE);
    traced(&recorder, |executor| {
        let gate = Gate::default();
        executor.spawn(gate.wait()).detach();
        let _ = executor.flush();
        gate.open_quietly();
        let waker = gate.waker();
        std::thread::spawn(move || waker.wake()).join().unwrap();
        let _ = executor.flush();
    });

    let timeline = recorder.timeline();
    assert_eq!(timeline[4..], lines(&["event #1 woken", "enter #1", "exit #1", "event #1 finished", "close #1"]));
}

#[test]
fn a_cancelled_task_records_the_request_and_drops_its_future_inside_its_span() {
    let recorder = Recorder::new(Level::TRACE);
    traced(&recorder, |executor| {
        let guard = on_drop(|| tracing::info!("future dropped"));
        let handle = executor.spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        });
        let _ = executor.flush();
        handle.cancel();
        handle.cancel(); // already requested: no second event
        let _ = executor.flush();
    });

    assert_eq!(
        recorder.timeline(),
        lines(&[
            "open #1",
            "event #1 spawned",
            "enter #1",
            "exit #1",
            "event #1 cancel requested",
            "enter #1",
            "event #1 future dropped",
            "exit #1",
            "event #1 finished",
            "close #1",
        ])
    );
    assert_eq!(recorder.event("cancel requested").level, Level::DEBUG);
    assert_eq!(recorder.event("finished").fields["outcome"], "cancelled");
}

#[test]
fn a_task_that_cancels_itself_is_dropped_right_after_its_poll() {
    let recorder = Recorder::new(Level::TRACE);
    traced(&recorder, |executor| {
        let inner = executor.clone();
        executor
            .spawn(std::future::poll_fn(move |_| {
                inner.cancel_current_task();
                std::task::Poll::<()>::Pending
            }))
            .detach();
        let _ = executor.flush();
    });

    assert_eq!(
        recorder.timeline(),
        lines(&[
            "open #1",
            "event #1 spawned",
            "enter #1",
            "event #1 cancel requested",
            "exit #1",
            "enter #1",
            "exit #1",
            "event #1 finished",
            "close #1",
        ])
    );
}

#[test]
fn shutdown_finishes_tasks_as_cancelled_without_a_cancel_request() {
    let recorder = Recorder::new(Level::TRACE);
    traced(&recorder, |executor| {
        executor.spawn(std::future::pending::<()>()).detach();
        let _ = executor.flush();
        executor.shutdown();
    });

    assert_eq!(
        recorder.timeline(),
        lines(&[
            "open #1",
            "event #1 spawned",
            "enter #1",
            "exit #1",
            "enter #1",
            "exit #1",
            "event #1 finished",
            "close #1"
        ])
    );
    assert_eq!(recorder.event("finished").fields["outcome"], "cancelled");
}

#[test]
fn a_panic_is_an_error_event_naming_the_task_and_it_finishes_as_panicked() {
    let recorder = Recorder::new(Level::TRACE);
    let spawned_at = traced(&recorder, |executor| {
        let handle = executor.spawn_named("boss", panic_with("the boss fight broke"));
        let _ = executor.flush();
        handle.spawned_at().to_string()
    });

    assert_eq!(
        recorder.timeline(),
        lines(&[
            "open #1",
            "event #1 spawned",
            "enter #1",
            "exit #1",
            "event #1 panicked",
            "enter #1",
            "exit #1",
            "event #1 finished",
            "close #1",
        ])
    );
    let panicked = recorder.event("panicked");
    assert_eq!((panicked.level, panicked.target.as_str()), (Level::ERROR, TARGET));
    assert_eq!(panicked.fields["panic.message"], "the boss fight broke");
    assert_eq!(panicked.fields["task.name"], "boss");
    assert_eq!(panicked.fields["spawned_at"], spawned_at);
    assert_eq!(recorder.event("finished").fields["outcome"], "panicked");
}

// ---------------------------------------------------------------------------------------------------------------
// Tasks that are not traced

#[test]
fn a_subscriber_that_filters_out_task_spans_still_sees_panics_with_the_task_named() {
    let recorder = Recorder::new(Level::INFO);
    traced(&recorder, |executor| {
        executor.spawn_named("quiet", async {}).detach();
        executor.spawn_named("loud", panic_with("loud")).detach();
        let _ = executor.flush();
    });

    assert_eq!(recorder.timeline(), lines(&["event - panicked"]));
    assert_eq!(recorder.event("panicked").fields["task.name"], "loud");
}

#[test]
fn a_task_spawned_before_the_subscriber_was_installed_is_not_traced() {
    let (executor, _trace) = executor();
    let gate = Gate::default();
    executor.spawn(gate.wait()).detach();
    let recorder = Recorder::new(Level::TRACE);

    tracing::subscriber::with_default(recorder.clone(), || {
        let _ = executor.flush();
        gate.open();
        let _ = executor.flush();
    });

    assert_eq!(recorder.timeline(), Vec::<String>::new());
    assert_eq!(executor.task_count(), 0);
}

#[test]
fn a_subscriber_that_panics_loses_spans_not_tasks() {
    let recorder = Recorder { panic_on_enter: true, ..Recorder::new(Level::TRACE) };
    traced(&recorder, |executor| {
        let handle = executor.spawn(async { 7 });
        let _ = executor.flush();
        assert_eq!(common::outcome(handle), Ok(7));
    });

    assert_eq!(recorder.timeline(), lines(&["open #1", "event #1 spawned", "event #1 finished", "close #1"]));
}
