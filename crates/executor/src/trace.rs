//! `tracing` support (the `tracing` feature): one span per task, entered at each poll and while the task's
//! future is dropped, and events for its spawn, wakes, cancellation, panic and end, so that
//! `tracing-subscriber` and the tools built on it see task lifetimes. Without the feature none of this is
//! compiled, and the executor runs exactly the same code as before.
//!
//! # What a subscriber sees
//!
//! Every span and event has the target [`TARGET`] (`godot_tasks::task`). A task's span is a root span (a task
//! outlives the code that spawned it) named `task`, at DEBUG level, with the fields `task.name` (only for a
//! named task), `task.id` (the [`TaskId`] of snapshots, only while tracking knows the task: recorded at spawn,
//! or when tracking is turned on later) and `spawned_at` (`file:line:column`). It *follows from* the span that
//! was current at spawn, such as the spawning task's. It is closed when the task finishes.
//!
//! | event | level | when | fields |
//! |---|---|---|---|
//! | `spawned` | DEBUG | the task was spawned | |
//! | `woken` | TRACE | before each poll but the first: the task was woken | |
//! | `cancel requested` | DEBUG | a handle, `cancel_task` or `cancel_current_task` asked to cancel it | |
//! | `panicked` | ERROR | a poll panicked | `panic.message`, `task.name`, `spawned_at` |
//! | `finished` | DEBUG | the future is gone | `outcome`: `value`, `cancelled` or `panicked` |
//!
//! Each event's parent is the task's span. A panic event carries the task's name and spawn location too, so
//! that it says which task it is about even for a subscriber that filters spans out. A shutdown drops futures
//! without a request: their tasks end with `finished` and the outcome `cancelled`, with no `cancel requested`.
//!
//! # Where the spans live
//!
//! In a table of their own, keyed like the side table by the task's address, so that a task's allocation does
//! not grow; only the executor's thread touches it. A task has an entry only if the subscriber wanted its span
//! when it was spawned: with no subscriber, or one that filters the span out, spawning costs a level check and
//! a poll one lookup in the table (empty when no task is traced); such tasks get no span and no events but
//! `panicked`, which names its task by itself. A task spawned before a subscriber was installed is not traced
//! either.
//!
//! # Wakes
//!
//! Wakers run on any thread and must stay cheap, and the spans are the executor thread's. So a wake is recorded
//! where the executor takes the woken task from the ready queue to poll it, on its own thread: a `woken` event
//! before every poll but the first, however many wakes came before that poll (they cost one poll, and make one
//! event). The waker itself emits nothing.
//!
//! # A subscriber that panics
//!
//! Subscriber code (making, entering, leaving and closing a span, recording an event) never runs while a table
//! here is borrowed, and a panic in it is caught here and dropped (the panic hook has printed it already): a
//! broken subscriber loses spans and events, never a task.

use std::cell::RefCell;
use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::rc::Rc;

use tracing::Span;

use crate::TaskId;
use crate::drop_quietly;
use crate::memory::TrimRule;
use crate::task::Outcome;

/// The target of every span and event of the executor, for filters such as `godot_tasks::task=debug`.
pub(crate) const TARGET: &str = "godot_tasks::task";

/// A traced task's span, and whether it was polled yet (every later poll follows a wake).
struct Traced {
    /// Shared, so that the span is entered and recorded outside the table's borrow (where subscriber code may
    /// run), and so that a task that finishes while its span is entered closes it only once it is left.
    span: Rc<Span>,
    polled: bool,
}

/// The spans of the traced tasks of one executor.
#[derive(Default)]
pub(crate) struct Spans {
    traced: RefCell<HashMap<usize, Traced>>,
}

impl Spans {
    /// Opens the span of a new task (the one at `key`) and records its spawn, if the subscriber wants it.
    /// `id` gives its tracking id, and is called only then.
    pub(crate) fn spawned(
        &self,
        key: usize,
        name: Option<&str>,
        spawned_at: &'static Location<'static>,
        id: impl FnOnce() -> Option<TaskId>,
    ) {
        let opened = shielded(|| {
            let span = tracing::debug_span!(
                target: TARGET,
                parent: None,
                "task",
                task.name = name,
                task.id = id().map(TaskId::get),
                spawned_at = %spawned_at,
            );
            if span.is_disabled() {
                return None;
            }
            span.follows_from(Span::current());
            tracing::debug!(target: TARGET, parent: &span, "spawned");
            Some(span)
        });
        let Some(Some(span)) = opened else { return };
        let replaced = self.traced.borrow_mut().insert(key, Traced { span: Rc::new(span), polled: false });
        debug_assert!(replaced.is_none(), "a task's span outlived the task");
        drop_quietly(replaced);
    }

    /// Enters the task's span for a poll (until the result is dropped); before every poll but the first,
    /// records the wake that led to it.
    pub(crate) fn enter_poll(&self, key: usize) -> InSpan {
        let found = self.traced.borrow_mut().get_mut(&key).map(|traced| {
            let woken = std::mem::replace(&mut traced.polled, true);
            (traced.span.clone(), woken)
        });
        let Some((span, woken)) = found else { return InSpan(None) };
        if woken {
            shielded(|| tracing::trace!(target: TARGET, parent: &*span, "woken"));
        }
        InSpan::enter(span)
    }

    /// Enters the task's span (until the result is dropped): while its future is dropped, so that what the
    /// destructors log is the task's.
    pub(crate) fn enter(&self, key: usize) -> InSpan {
        match self.span(key) {
            Some(span) => InSpan::enter(span),
            None => InSpan(None),
        }
    }

    /// Records that the task's cancellation was requested.
    pub(crate) fn cancel_requested(&self, key: usize) {
        if let Some(span) = self.span(key) {
            shielded(|| tracing::debug!(target: TARGET, parent: &*span, "cancel requested"));
            drop_quietly(span);
        }
    }

    /// Records that a poll of the task panicked, traced or not.
    pub(crate) fn panicked(
        &self,
        key: usize,
        name: Option<&str>,
        spawned_at: &'static Location<'static>,
        message: &str,
    ) {
        let span = self.span(key);
        shielded(|| {
            tracing::error!(
                target: TARGET,
                parent: span.as_deref().and_then(Span::id),
                { panic.message = message, task.name = name, spawned_at = %spawned_at },
                "panicked",
            );
        });
        drop_quietly(span);
    }

    /// Records that the task's future is gone with `outcome`, and closes its span (once nothing has it
    /// entered).
    pub(crate) fn finished(&self, key: usize, outcome: Outcome) {
        let Some(traced) = self.traced.borrow_mut().remove(&key) else { return };
        let outcome = match outcome {
            Outcome::Value => "value",
            Outcome::Cancelled => "cancelled",
            Outcome::Panicked => "panicked",
        };
        shielded(|| tracing::debug!(target: TARGET, parent: &*traced.span, outcome, "finished"));
        drop_quietly(traced.span);
    }

    /// Records the tracking ids given to live tasks when tracking was turned on, in their spans.
    pub(crate) fn record_ids(&self, ids: impl Iterator<Item = (usize, TaskId)>) {
        for (key, id) in ids {
            if let Some(span) = self.span(key) {
                shielded(|| span.record("task.id", id.get()));
                drop_quietly(span);
            }
        }
    }

    /// Gives back what the table holds beyond the recent load (see the `memory` module).
    pub(crate) fn trim(&self, rule: TrimRule) {
        if let Ok(mut traced) = self.traced.try_borrow_mut()
            && rule.too_large(traced.capacity())
        {
            traced.shrink_to(rule.target());
        }
    }

    /// The span of the task at `key`, if it is traced.
    fn span(&self, key: usize) -> Option<Rc<Span>> {
        self.traced.borrow().get(&key).map(|traced| traced.span.clone())
    }
}

/// A task's span, entered until this is dropped (or nothing, for a task that is not traced).
#[must_use = "the span is left when this is dropped"]
pub(crate) struct InSpan(Option<Rc<Span>>);

impl InSpan {
    fn enter(span: Rc<Span>) -> Self {
        // `Span::enter` borrows the span for the guard's life; the executor needs a guard that owns it.
        let entered = shielded(|| span.with_subscriber(|(id, subscriber)| subscriber.enter(id)));
        if entered.is_none() {
            // Entering panicked: not left either, so that the subscriber's stack stays as it was.
            drop_quietly(span);
            return InSpan(None);
        }
        InSpan(Some(span))
    }
}

impl Drop for InSpan {
    fn drop(&mut self) {
        if let Some(span) = self.0.take() {
            shielded(|| span.with_subscriber(|(id, subscriber)| subscriber.exit(id)));
            drop_quietly(span);
        }
    }
}

/// Runs subscriber code, catching a panic (see "A subscriber that panics" in the module docs).
fn shielded<R>(f: impl FnOnce() -> R) -> Option<R> {
    catch_unwind(AssertUnwindSafe(f)).map_err(drop_quietly).ok()
}
