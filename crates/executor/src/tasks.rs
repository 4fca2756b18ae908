//! The executor's live tasks: the set that shutdown walks, the side table of what few tasks need, and every
//! step of a task's life on the executor's thread that runs user code (dropping a future or an output,
//! waking whoever awaits the task).
//!
//! The executor and the handles both act on tasks through this module and the state machine in
//! `task::state`; neither touches a task's state on its own.
//!
//! # Borrowing
//!
//! Every `RefCell` borrow here is short and runs no user code: a future, an output, a waker or a panic payload
//! leaves the borrow before it is dropped or woken, because its destructor may spawn, cancel or await, and each
//! of those borrows again.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::task::Waker;

use crate::memory::TrimRule;
use crate::panic_report::{PanicReport, drop_quietly, payload_message};
use crate::ready_queue::Shared;
use crate::task::{AfterFinish, HandleRef, Outcome, Phase, TaskRef};
#[cfg(feature = "tracing")]
use crate::trace::Spans;
use crate::tracking::Tracker;
use crate::vacant_slots::VacantSlots;
use crate::{CaughtPanic, JoinError, task};

/// Every task that is not Released, each at the index its state records (its slot), which does not change
/// while the task lives: taking a task out touches no other task's memory.
///
/// A new task takes the lowest vacant slot, so that live tasks gather at the front and the vacant tail can be
/// given back after a burst (see the `memory` module).
#[derive(Default)]
struct LiveSet {
    slots: Vec<Option<TaskRef>>,
    vacant: VacantSlots,
    len: usize,
}

impl LiveSet {
    /// Stores `task` in the lowest vacant slot, recording the slot in its state.
    fn insert(&mut self, task: TaskRef) {
        self.len += 1;
        match self.vacant.lowest() {
            Some(slot) => {
                self.vacant.remove(slot);
                task.set_state(task.state().at_slot(slot as usize));
                self.slots[slot as usize] = Some(task);
            }
            None => {
                task.set_state(task.state().at_slot(self.slots.len()));
                self.slots.push(Some(task));
            }
        }
    }

    fn remove(&mut self, slot: usize, task: &TaskRef) -> Option<TaskRef> {
        let entry = self.slots.get_mut(slot)?;
        if !entry.as_ref().is_some_and(|held| held.same(task)) {
            return None;
        }
        self.vacant.insert(slot as u32);
        self.len -= 1;
        entry.take()
    }

    fn iter(&self) -> impl Iterator<Item = &TaskRef> {
        self.slots.iter().flatten()
    }

    fn trim(&mut self, rule: TrimRule) {
        if rule.too_large(self.slots.capacity()) {
            let before = self.slots.len();
            while self.slots.pop_if(|slot| slot.is_none()).is_some() {}
            if self.slots.len() < before {
                self.vacant.truncate(self.slots.len());
            }
        }
        rule.shrink(&mut self.slots);
        self.vacant.trim(rule);
    }
}

/// What a few tasks need and most do not, kept out of the task's own allocation.
#[derive(Default)]
struct Extras {
    name: Option<Arc<str>>,
    /// The waker of whoever awaits the task's `JoinHandle`.
    join_waker: Option<Waker>,
    /// The panic the task ended with, until its handle takes it.
    panic: Option<CaughtPanic>,
}

pub(crate) struct Tasks {
    live: RefCell<LiveSet>,
    extras: RefCell<HashMap<usize, Extras>>,
    /// The most tasks held at once since the last `take_peak`.
    peak: Cell<usize>,
    /// How many live tasks are inline.
    inline: Cell<usize>,
    closed: Cell<bool>,
    shared: Arc<Shared>,
    tracker: Tracker,
    #[cfg(feature = "tracing")]
    spans: Spans,
}

impl Tasks {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self {
            live: RefCell::new(LiveSet::default()),
            extras: RefCell::new(HashMap::new()),
            peak: Cell::new(0),
            inline: Cell::new(0),
            closed: Cell::new(false),
            shared,
            tracker: Tracker::default(),
            #[cfg(feature = "tracing")]
            spans: Spans::default(),
        }
    }

    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    pub(crate) fn tracker(&self) -> &Tracker {
        &self.tracker
    }

    #[cfg(feature = "tracing")]
    pub(crate) fn spans(&self) -> &Spans {
        &self.spans
    }

    /// Every live task, for a snapshot.
    pub(crate) fn live(&self) -> Vec<TaskRef> {
        self.live.borrow().iter().cloned().collect()
    }

    /// The keys of the live tasks, for tracking.
    pub(crate) fn live_keys(&self) -> Vec<usize> {
        self.live.borrow().iter().map(TaskRef::key).collect()
    }

    /// The live task whose key is `key`.
    pub(crate) fn by_key(&self, key: usize) -> Option<TaskRef> {
        self.live.borrow().iter().find(|task| task.key() == key).cloned()
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.get()
    }

    pub(crate) fn close(&self) {
        self.closed.set(true);
        self.shared.close();
    }

    /// Stops counting `task` as inline (once).
    fn forget_inline(&self, task: &TaskRef) {
        let state = task.state();
        if state.is_inline() {
            self.inline.set(self.inline.get() - 1);
            task.set_state(state.not_inline());
        }
    }

    /// Whether any live task is inline.
    pub(crate) fn has_inline(&self) -> bool {
        self.inline.get() > 0
    }

    /// How many tasks are live (not Released).
    pub(crate) fn len(&self) -> usize {
        self.live.borrow().len
    }

    /// How many tasks the set can hold without growing, and how many slots its record of vacant slots can
    /// describe.
    pub(crate) fn capacities(&self) -> (usize, usize) {
        let live = self.live.borrow();
        (live.slots.capacity(), live.vacant.capacity())
    }

    /// The most tasks held at once since the previous call.
    pub(crate) fn take_peak(&self) -> usize {
        self.peak.replace(self.len())
    }

    pub(crate) fn trim(&self, rule: TrimRule) {
        if let Ok(mut live) = self.live.try_borrow_mut() {
            live.trim(rule);
        }
        if let Ok(mut extras) = self.extras.try_borrow_mut()
            && rule.too_large(extras.capacity())
        {
            extras.shrink_to(rule.target());
        }
        self.tracker.trim(rule);
        #[cfg(feature = "tracing")]
        self.spans.trim(rule);
    }

    /// Adds a new task (the reference is the set's own), with its name if it has one.
    pub(crate) fn insert(&self, task: TaskRef, name: Option<Arc<str>>) {
        let mut live = self.live.borrow_mut();
        debug_assert!(live.len < task::MAX_TASKS, "`spawn` checks the limit before allocating");
        if name.is_some() {
            task.set_state(task.state().with_extras(true));
            self.extras.borrow_mut().insert(task.key(), Extras { name, ..Extras::default() });
        }
        if task.state().is_inline() {
            self.inline.set(self.inline.get() + 1);
        }
        self.tracker.spawned(task.key());
        live.insert(task);
        self.peak.set(self.peak.get().max(live.len));
    }

    /// Every live task whose future can be dropped now (not the one being polled or dropped), for shutdown.
    pub(crate) fn droppable(&self) -> Vec<TaskRef> {
        let live = self.live.borrow();
        live.iter()
            .filter(|task| matches!(task.state().phase(), Phase::Idle { .. } | Phase::Finished(_)))
            .cloned()
            .collect()
    }

    /// The task's name, if it has one.
    pub(crate) fn name(&self, task: &TaskRef) -> Option<Arc<str>> {
        if !task.state().has_extras() {
            return None;
        }
        self.extras.borrow().get(&task.key()).and_then(|extras| extras.name.clone())
    }

    /// What the task's handle reports when it did not end with a value.
    pub(crate) fn error(&self, task: &TaskRef, outcome: Outcome) -> JoinError {
        let spawned_at = task.spawned_at();
        let name = self.name(task);
        let panic = match outcome {
            Outcome::Panicked if task.state().has_extras() => {
                self.extras.borrow_mut().get_mut(&task.key()).and_then(|extras| extras.panic.take())
            }
            _ => None,
        };
        match (outcome, panic) {
            (Outcome::Panicked, Some(panic)) => JoinError::panicked(panic, spawned_at),
            (Outcome::Panicked, None) => JoinError::panicked(
                CaughtPanic::new(Box::new(String::from("(the panic was already taken)"))),
                spawned_at,
            ),
            _ => JoinError::cancelled(spawned_at),
        }
        .named(name)
    }

    /// Remembers `waker` as the one to wake when the task finishes. Returns the waker it replaced, to be
    /// dropped by the caller outside every borrow.
    pub(crate) fn set_join_waker(&self, task: &TaskRef, waker: &Waker) -> Option<Waker> {
        let key = task.key();
        let same = task.state().has_extras()
            && self
                .extras
                .borrow()
                .get(&key)
                .and_then(|extras| extras.join_waker.as_ref())
                .is_some_and(|w| w.will_wake(waker));
        if same {
            return None;
        }
        // Cloned outside the borrow: a foreign waker's clone is user code, which may spawn or drop handles.
        let waker = waker.clone();
        task.set_state(task.state().with_extras(true));
        self.extras.borrow_mut().entry(key).or_default().join_waker.replace(waker)
    }

    /// Forgets the waker of whoever awaited the task (its handle was dropped).
    pub(crate) fn take_join_waker(&self, task: &TaskRef) -> Option<Waker> {
        if !task.state().has_extras() {
            return None;
        }
        self.extras.borrow_mut().get_mut(&task.key()).and_then(|extras| extras.join_waker.take())
    }

    /// Requests cancellation (see `State::request_cancel`); an Idle task is queued so that the next flush
    /// drops its future.
    pub(crate) fn cancel(&self, task: &TaskRef) {
        let (state, queue) = task.state().request_cancel();
        #[cfg(feature = "tracing")]
        if state != task.state() {
            self.spans.cancel_requested(task.key());
        }
        task.set_state(state);
        if queue && let Some(entry) = task.try_queue() {
            Shared::schedule(entry);
        }
    }

    /// Records that the future is gone with `outcome`, then keeps the task for its handle (waking whoever
    /// awaits it) or releases it. After shutdown every finished task is released.
    pub(crate) fn finish(&self, task: &TaskRef, outcome: Outcome, panic: Option<CaughtPanic>) {
        task.retire();
        // A finished task is polled no more: it no longer counts as inline, even while its handle keeps it.
        self.forget_inline(task);
        let (state, next) = task.state().finish(outcome);
        task.set_state(state);
        // What it awaited is over: the notes go when this returns, once the task is settled.
        let _notes = self.tracker.finished(task.key());
        #[cfg(feature = "tracing")]
        self.spans.finished(task.key(), outcome);
        if next == AfterFinish::Release || self.closed.get() {
            self.release(task);
            return;
        }
        if let Some(panic) = panic {
            let mut extras = self.extras.borrow_mut();
            extras.entry(task.key()).or_default().panic = Some(panic);
            task.set_state(task.state().with_extras(true));
        }
        if let Some(waker) = self.take_join_waker(task) {
            self.wake_joiner(task, waker, || self.name(task));
        }
    }

    /// Wakes whoever awaits the task's handle. Their waker is not ours to trust (a foreign executor's, or one of
    /// ours whose host panics): a panic is reported, never let out, so that it cannot cut a flush or a drop
    /// short.
    fn wake_joiner(&self, task: &TaskRef, waker: Waker, name: impl FnOnce() -> Option<Arc<str>>) {
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| waker.wake())) {
            let what = "the waker of the code awaiting this task panicked when the task ended";
            self.report_caught(task, what, payload, name());
        }
    }

    /// Drops the future of a task whose future is there and must go (Cancelling, or Running when its poll
    /// panicked), reporting a panic from its destructor.
    pub(crate) fn drop_future(&self, task: &TaskRef) {
        // What the destructors log is the task's.
        #[cfg(feature = "tracing")]
        let _in_span = self.spans.enter(task.key());
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| task.drop_future())) {
            self.report_caught(task, "a task's future panicked while being dropped", payload, self.name(task));
        }
    }

    /// Drops the future of a task that is Cancelling, reporting a panic from its destructor, and finishes the
    /// task as cancelled.
    pub(crate) fn cancel_now(&self, task: &TaskRef) {
        debug_assert_eq!(task.state().phase(), Phase::Cancelling);
        self.drop_future(task);
        self.finish(task, Outcome::Cancelled, None);
    }

    /// Takes the outcome of a Finished task for its handle, and releases the task.
    pub(crate) fn take_outcome<T: 'static>(&self, handle: HandleRef, outcome: Outcome) -> Result<T, JoinError> {
        let task = handle.task();
        let result = match outcome {
            Outcome::Value => {
                let mut output: Option<T> = None;
                task.take_output(&mut output);
                Ok(output.expect("a task finished with a value holds it"))
            }
            _ => Err(self.error(task, outcome)),
        };
        task.set_state(task.state().drop_handle());
        let (extras, removed) = self.unregister(task);
        drop(extras);
        drop(removed);
        result
    }

    /// Releases a Finished task: takes it out of the live set, drops its output if one is left (reporting a
    /// panic), and wakes whoever awaited it (they find a cancellation).
    pub(crate) fn release(&self, task: &TaskRef) {
        let phase = task.state().phase();
        debug_assert!(matches!(phase, Phase::Finished(_)), "released a task in phase {phase:?}");
        // With a handle attached, the set's reference goes to the handle, and the output's destructor below may
        // drop that handle: this one keeps the task alive until the end (the caller's may hold no count).
        let _keep = task.state().has_handle().then(|| task.clone());
        let (extras, removed) = self.unregister(task);
        let extras = extras.unwrap_or_default();
        // Released already: code that this destructor runs finds the task gone, not half-dropped.
        if phase == Phase::Finished(Outcome::Value)
            && let Err(payload) = catch_unwind(AssertUnwindSafe(|| task.drop_output()))
        {
            self.report_caught(task, "a task's output panicked while being dropped", payload, extras.name.clone());
        }
        if let Some(waker) = extras.join_waker {
            self.wake_joiner(task, waker, || extras.name);
        }
        // The set's reference last: it may free the allocation, whose output is gone by now.
        drop(removed);
    }

    /// Marks the task Released and takes it out of the live set and the side table. Returns the side table
    /// entry and the set's reference, for the caller to drop outside every borrow; if a handle is attached, the
    /// set's reference goes to it instead.
    fn unregister(&self, task: &TaskRef) -> (Option<Extras>, Option<TaskRef>) {
        self.forget_inline(task);
        let state = task.state();
        task.set_state(state.release().with_extras(false));
        let extras = if state.has_extras() { self.extras.borrow_mut().remove(&task.key()) } else { None };
        let tracked = self.tracker.released(task.key());
        let mut removed = self.remove(task);
        if state.has_handle()
            && let Some(reference) = removed.take()
        {
            reference.leave_to_handle();
        }
        // Its notes may be anything: dropped once the task is gone from every table, with nothing borrowed.
        drop(tracked);
        (extras, removed)
    }

    /// Takes `task` out of the live set; returns the set's reference.
    fn remove(&self, task: &TaskRef) -> Option<TaskRef> {
        self.live.borrow_mut().remove(task.state().slot(), task)
    }

    /// Reports a panic caught from code the executor ran for `task` (a destructor, a waker), as "WHAT: MESSAGE".
    fn report_caught(
        &self,
        task: &TaskRef,
        what: &str,
        payload: Box<dyn std::any::Any + Send>,
        name: Option<Arc<str>>,
    ) {
        let message = format!("{what}: {}", payload_message(&*payload));
        drop_quietly(payload);
        self.report(&PanicReport { message, spawned_at: task.spawned_at(), name });
    }

    /// Hands a panic report to the host; a host that panics itself is not allowed to lose tasks.
    pub(crate) fn report(&self, report: &PanicReport) {
        drop_quietly(catch_unwind(AssertUnwindSafe(|| self.shared.host().report_panic(report))));
    }

    /// Detaches the task from its handle; a Finished task is released at once.
    pub(crate) fn detach(&self, handle: HandleRef) {
        let task = handle.task();
        let (state, next) = task.state().detach();
        task.set_state(state);
        let waker = self.take_join_waker(task);
        if next == AfterFinish::Release {
            self.release(task);
        }
        drop_quietly(waker);
    }
}
