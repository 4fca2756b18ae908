//! The task state machine: what the executor's thread knows about a task, and every way it may change.
//!
//! ```text
//!              spawn (queued: the first poll happens in a flush, never inside spawn)
//!                │
//!                ▼
//!   ┌────────► Idle ─────── begin_run, no cancel ───────► Running ─── pending (no cancel, not closed) ──┐
//!   │            │                                          │                                           │
//!   │            └── begin_run, cancel requested ──┐        │ Ready or panic      pending, with cancel  │
//!   │                                              ▼        │                     or after shutdown     │
//!   │                                         Cancelling ◄──┼───────────────────────────────────────────┘
//!   │                                     (future dropped)  │
//!   │                                              │        ▼
//!   │                                              └──► Finished(outcome) ── outcome taken or dropped ──► Released
//!   └──────────────────────────────────────────────────────────────────────── (back to Idle) ◄── pending
//! ```
//!
//! - **Idle**: the future sits in the task, waiting for a wake (it may be queued already). `cancel` says that a
//!   cancellation was requested: the task is queued, and the next flush drops the future instead of polling it.
//! - **Running**: the executor is polling the future. Code running now may spawn, cancel or await anything,
//!   this task included; cancelling sets `cancel`, and the executor acts on it when the poll returns. A task
//!   that returns `Ready` in the poll in which it cancelled itself finishes with its value: it exists.
//! - **Cancelling**: the executor is dropping the future; its destructor may run any code. Cancelling again is
//!   a no-op.
//! - **Finished**: the future is gone (dropped on the executor's thread). The outcome waits in the task for the
//!   `JoinHandle`: a value, a cancellation or a panic.
//! - **Released**: the outcome was taken or dropped and the task left the executor's set of live tasks; the
//!   allocation lives on only as long as somebody holds a reference (a waker, a handle).
//!
//! Besides the phase, the state records whether a `JoinHandle` is attached (dropping it detaches the task:
//! a Finished task is then released at once) and whether the task has an entry in the executor's side table
//! (its name, the waker of whoever awaits it, a panic message).
//!
//! This module is pure bookkeeping: it runs no user code and touches no memory but the state itself. Every
//! transition is a method of [`State`] that says what the caller must do next.

/// How a task ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The future returned; its output is stored in the task.
    Value,
    /// The future was dropped before it returned.
    Cancelled,
    /// The future panicked; the message is in the side table if a handle may still ask for it.
    Panicked,
}

/// The phase of a task, with the data each phase carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    Idle { cancel: bool },
    Running { cancel: bool },
    Cancelling,
    Finished(Outcome),
    Released,
}

/// What [`State::begin_run`] tells the executor to do with a task it took from the ready queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Run {
    /// Poll the future.
    Poll,
    /// Drop the future: a cancellation was requested.
    Cancel,
    /// Nothing: the task is no longer Idle (a stale queue entry, or one queued after it finished).
    Skip,
}

/// What [`State::end_poll`] tells the executor after a poll that returned `Pending`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AfterPending {
    /// The task waits for its next wake.
    Wait,
    /// Drop the future now: a cancellation came in during the poll, or the executor shut down.
    Cancel,
}

/// What the task's owner must do after [`State::finish`] or [`State::detach`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AfterFinish {
    /// Keep the outcome for the attached handle (and wake whoever awaits it).
    Keep,
    /// Nobody will ask for the outcome: release the task.
    Release,
}

/// The state of one task, packed into 32 bits so that the task's header stays small.
///
/// Bits 0–3: the phase; bit 4: a handle is attached; bit 5: a side-table entry exists; bit 6: the task is
/// *inline* (polled inside the code that spawns or wakes it, when it can be); bits 7–31: the task's index in
/// the executor's set of live tasks (its *slot*).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct State(u32);

const PHASE_BITS: u32 = 0b1111;
const HANDLE: u32 = 1 << 4;
const EXTRAS: u32 = 1 << 5;
const INLINE: u32 = 1 << 6;
const SLOT_SHIFT: u32 = 7;

/// The most tasks an executor can hold at once: the slot has 25 bits.
pub(crate) const MAX_TASKS: usize = (u32::MAX >> SLOT_SHIFT) as usize;

impl Phase {
    const fn encode(self) -> u32 {
        match self {
            Phase::Idle { cancel: false } => 0,
            Phase::Idle { cancel: true } => 1,
            Phase::Running { cancel: false } => 2,
            Phase::Running { cancel: true } => 3,
            Phase::Cancelling => 4,
            Phase::Finished(Outcome::Value) => 5,
            Phase::Finished(Outcome::Cancelled) => 6,
            Phase::Finished(Outcome::Panicked) => 7,
            Phase::Released => 8,
        }
    }

    const fn decode(bits: u32) -> Phase {
        match bits & PHASE_BITS {
            0 => Phase::Idle { cancel: false },
            1 => Phase::Idle { cancel: true },
            2 => Phase::Running { cancel: false },
            3 => Phase::Running { cancel: true },
            4 => Phase::Cancelling,
            5 => Phase::Finished(Outcome::Value),
            6 => Phase::Finished(Outcome::Cancelled),
            7 => Phase::Finished(Outcome::Panicked),
            _ => Phase::Released,
        }
    }
}

impl State {
    /// A freshly spawned task: Idle, queued by its spawn, with its handle attached.
    pub(crate) const fn spawned() -> Self {
        State(Phase::Idle { cancel: false }.encode() | HANDLE)
    }

    pub(crate) const fn phase(self) -> Phase {
        Phase::decode(self.0)
    }

    fn with_phase(self, phase: Phase) -> Self {
        State((self.0 & !PHASE_BITS) | phase.encode())
    }

    /// Whether a `JoinHandle` is attached.
    pub(crate) fn has_handle(self) -> bool {
        self.0 & HANDLE != 0
    }

    /// Whether the task is inline: its first poll runs inside `spawn`, and a wake through
    /// `Executor::wake_inline` polls it at once.
    pub(crate) fn is_inline(self) -> bool {
        self.0 & INLINE != 0
    }

    pub(crate) fn inline(self) -> Self {
        State(self.0 | INLINE)
    }

    pub(crate) fn not_inline(self) -> Self {
        State(self.0 & !INLINE)
    }

    /// Whether the task has an entry in the executor's side table.
    pub(crate) fn has_extras(self) -> bool {
        self.0 & EXTRAS != 0
    }

    /// Records that the task got a side-table entry (or lost it).
    pub(crate) fn with_extras(self, extras: bool) -> Self {
        State(if extras { self.0 | EXTRAS } else { self.0 & !EXTRAS })
    }

    /// The task's index in the executor's set of live tasks.
    pub(crate) fn slot(self) -> usize {
        (self.0 >> SLOT_SHIFT) as usize
    }

    /// The same state at another slot (`slot` at most [`MAX_TASKS`]).
    pub(crate) fn at_slot(self, slot: usize) -> Self {
        debug_assert!(slot <= MAX_TASKS);
        State((self.0 & ((1 << SLOT_SHIFT) - 1)) | ((slot as u32) << SLOT_SHIFT))
    }

    /// The executor took the task from the ready queue.
    pub(crate) fn begin_run(self) -> (Self, Run) {
        match self.phase() {
            Phase::Idle { cancel: false } => (self.with_phase(Phase::Running { cancel: false }), Run::Poll),
            Phase::Idle { cancel: true } => (self.with_phase(Phase::Cancelling), Run::Cancel),
            _ => (self, Run::Skip),
        }
    }

    /// A poll returned `Pending`; `closed` says whether the executor shut down meanwhile.
    pub(crate) fn end_poll(self, closed: bool) -> (Self, AfterPending) {
        match self.phase() {
            Phase::Running { cancel } if cancel || closed => (self.with_phase(Phase::Cancelling), AfterPending::Cancel),
            Phase::Running { .. } => (self.with_phase(Phase::Idle { cancel: false }), AfterPending::Wait),
            phase => unreachable!("a poll ended in phase {phase:?}"),
        }
    }

    /// A poll panicked: the future, if still there, must be dropped before the task finishes.
    pub(crate) fn poll_panicked(self) -> Self {
        debug_assert!(matches!(self.phase(), Phase::Running { .. }), "{:?}", self.phase());
        self.with_phase(Phase::Cancelling)
    }

    /// Someone asked to cancel the task. Returns the new state and whether the task must be queued (an Idle
    /// task is, so that the next flush drops it; a Running one is dropped when its poll returns).
    pub(crate) fn request_cancel(self) -> (Self, bool) {
        match self.phase() {
            Phase::Idle { cancel: false } => (self.with_phase(Phase::Idle { cancel: true }), true),
            Phase::Running { cancel: false } => (self.with_phase(Phase::Running { cancel: true }), false),
            _ => (self, false),
        }
    }

    /// The executor is about to drop the future without polling it (shutdown): Idle becomes Cancelling.
    /// Returns `None` for a task in any other phase (a Running one is handled when its poll returns).
    pub(crate) fn begin_drop(self) -> Option<Self> {
        matches!(self.phase(), Phase::Idle { .. }).then(|| self.with_phase(Phase::Cancelling))
    }

    /// The future is gone (it returned, panicked or was dropped): the task is Finished with `outcome`.
    pub(crate) fn finish(self, outcome: Outcome) -> (Self, AfterFinish) {
        debug_assert!(matches!(self.phase(), Phase::Running { .. } | Phase::Cancelling), "{:?}", self.phase());
        let finished = self.with_phase(Phase::Finished(outcome));
        (finished, if self.has_handle() { AfterFinish::Keep } else { AfterFinish::Release })
    }

    /// The handle was dropped without taking the outcome.
    pub(crate) fn detach(self) -> (Self, AfterFinish) {
        let detached = State(self.0 & !HANDLE);
        let next = match self.phase() {
            Phase::Finished(_) => AfterFinish::Release,
            _ => AfterFinish::Keep,
        };
        (detached, next)
    }

    /// The task left the set of live tasks with its future and outcome dropped (or taken).
    pub(crate) fn release(self) -> Self {
        self.with_phase(Phase::Released)
    }

    /// The handle is gone for good (it took the outcome, or was dropped after a release).
    pub(crate) fn drop_handle(self) -> Self {
        State(self.0 & !HANDLE)
    }
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("phase", &self.phase())
            .field("handle", &self.has_handle())
            .field("extras", &self.has_extras())
            .field("slot", &self.slot())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_phase_round_trips_through_its_encoding() {
        let phases = [
            Phase::Idle { cancel: false },
            Phase::Idle { cancel: true },
            Phase::Running { cancel: false },
            Phase::Running { cancel: true },
            Phase::Cancelling,
            Phase::Finished(Outcome::Value),
            Phase::Finished(Outcome::Cancelled),
            Phase::Finished(Outcome::Panicked),
            Phase::Released,
        ];
        for phase in phases {
            let state = State::spawned().inline().at_slot(MAX_TASKS).with_extras(true).with_phase(phase);
            assert_eq!(state.phase(), phase);
            assert_eq!(state.slot(), MAX_TASKS);
            assert!(state.has_handle() && state.has_extras() && state.is_inline());
        }
    }

    #[test]
    fn a_task_polled_to_completion_is_kept_for_its_handle() {
        let (running, run) = State::spawned().begin_run();
        assert_eq!(run, Run::Poll);
        let (finished, next) = running.finish(Outcome::Value);
        assert_eq!((finished.phase(), next), (Phase::Finished(Outcome::Value), AfterFinish::Keep));
        assert_eq!(finished.detach().1, AfterFinish::Release);
    }

    #[test]
    fn a_detached_task_is_released_when_it_finishes() {
        let (detached, next) = State::spawned().detach();
        assert_eq!(next, AfterFinish::Keep);
        let (running, _) = detached.begin_run();
        assert_eq!(running.finish(Outcome::Value).1, AfterFinish::Release);
    }

    #[test]
    fn cancelling_an_idle_task_queues_it_once_and_the_flush_drops_it() {
        let (cancelled, queue) = State::spawned().request_cancel();
        assert!(queue);
        assert_eq!(cancelled.request_cancel(), (cancelled, false));
        let (dropping, run) = cancelled.begin_run();
        assert_eq!((dropping.phase(), run), (Phase::Cancelling, Run::Cancel));
        assert_eq!(dropping.request_cancel(), (dropping, false));
    }

    #[test]
    fn cancelling_a_running_task_takes_effect_when_its_poll_returns() {
        let (running, _) = State::spawned().begin_run();
        let (cancelled, queue) = running.request_cancel();
        assert!(!queue);
        assert_eq!(cancelled.end_poll(false).1, AfterPending::Cancel);
        // A task that returned its value in that poll keeps it.
        assert_eq!(cancelled.finish(Outcome::Value).0.phase(), Phase::Finished(Outcome::Value));
    }

    #[test]
    fn a_task_whose_poll_panicked_finishes_as_panicked_after_its_future_is_dropped() {
        let (running, _) = State::spawned().begin_run();
        let dropping = running.poll_panicked();
        assert_eq!(dropping.phase(), Phase::Cancelling);
        assert_eq!(dropping.finish(Outcome::Panicked).0.phase(), Phase::Finished(Outcome::Panicked));
    }

    #[test]
    fn a_pending_task_waits_unless_the_executor_shut_down() {
        let (running, _) = State::spawned().begin_run();
        assert_eq!(running.end_poll(false), (running.with_phase(Phase::Idle { cancel: false }), AfterPending::Wait));
        assert_eq!(running.end_poll(true).1, AfterPending::Cancel);
    }

    #[test]
    fn only_idle_tasks_run_or_drop_and_finished_ones_ignore_cancels() {
        let (running, _) = State::spawned().begin_run();
        assert_eq!(running.begin_run().1, Run::Skip);
        assert_eq!(running.begin_drop(), None);
        let (finished, _) = running.finish(Outcome::Panicked);
        assert_eq!(finished.begin_run().1, Run::Skip);
        assert_eq!(finished.request_cancel(), (finished, false));
        assert_eq!(State::spawned().begin_drop().map(State::phase), Some(Phase::Cancelling));
    }
}
