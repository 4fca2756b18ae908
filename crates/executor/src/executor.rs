//! The executor: spawning, flushing the ready queue, cancelling, shutting down.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use crate::join_handle::JoinHandle;
use crate::memory::{Capacities, TrimClock, TrimRule};
use crate::panic_report::{PanicReport, payload_message};
use crate::raw_task::{RawTask, TaskCell};
use crate::ready_queue::{Shared, TaskWaker};
use crate::task_table::{Entry, Phase, TaskRef, TaskTable};
use crate::{Host, JoinError};

/// How many rounds the flushes of one frame (or each flush, if the host never calls
/// [`Executor::start_frame`]) run at most by default. See [`Executor::set_round_budget`].
///
/// # Example
///
/// ```
/// assert_eq!(godot_tasks_executor::DEFAULT_ROUND_BUDGET, 64);
/// ```
pub const DEFAULT_ROUND_BUDGET: u32 = 64;

/// How many refused futures one drop loop drops before it leaks the rest. See [`Executor::spawn`].
///
/// # Example
///
/// ```
/// assert_eq!(godot_tasks_executor::REFUSED_DROP_LIMIT, 10_000);
/// ```
pub const REFUSED_DROP_LIMIT: usize = 10_000;

/// A single-threaded executor for `'static` futures that need not be `Send`.
///
/// It lives on one thread (the one that created it; it is neither `Send` nor `Sync`), but its tasks can be
/// woken from any thread. It never runs on its own: its [`Host`] is told when work is ready and answers by
/// calling [`flush`](Self::flush). Cloning an `Executor` gives another handle to the same executor.
///
/// # Memory
///
/// The executor's buffers grow to fit the most tasks it held at once. Every 64 calls to `flush` or
/// [`start_frame`](Self::start_frame) it compares them with the most tasks it held since the previous check,
/// and shrinks those that are more than four times that (and above a small floor) to twice that. So a burst's
/// memory comes back soon after its tasks ended, while a steady load keeps its buffers from frame to frame. One
/// limit: tasks cannot move, so a task spawned during a burst that outlives it keeps the task table long enough
/// to hold its slot until it ends.
///
/// # Example
///
/// ```
/// use godot_tasks_executor::{Executor, Host};
///
/// struct Manual; // A host that does nothing: this example flushes by hand.
/// impl Host for Manual {
///     fn request_flush(&self) {}
/// }
///
/// let executor = Executor::new(Manual);
/// let answer = executor.spawn(async { 6 * 7 });
/// let printer = executor.spawn(async move { answer.await.unwrap() + 1 });
/// executor.flush();
/// assert!(printer.is_finished());
/// ```
#[derive(Clone)]
pub struct Executor {
    inner: Rc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) table: RefCell<TaskTable>,
    shared: Arc<Shared>,
    round_budget: Cell<u32>,
    /// The rounds the current frame has left; `None` until the host first calls `start_frame`, and then every
    /// flush gets the whole budget.
    frame_rounds_left: Cell<Option<u32>>,
    /// The batch being polled; kept between flushes so that draining the queue allocates nothing.
    spare_batch: RefCell<Vec<TaskRef>>,
    /// Tasks spawned since the last flush took them: queued here, on the executor's own thread, without the
    /// shared queue's lock.
    spawned: RefCell<Vec<TaskRef>>,
    flushing: Cell<bool>,
    closed: Cell<bool>,
    /// Futures refused after shutdown, waiting for the drop loop that runs now (see [`DropLoop`]).
    refused: RefCell<VecDeque<Refused>>,
    /// Whether a [`DropLoop`] runs: a refused spawn then parks its future for that loop.
    in_drop_loop: Cell<bool>,
    /// When to check whether the buffers have outgrown the load (see the `memory` module).
    trim_clock: TrimClock,
}

/// A future that `spawn` refused after shutdown, waiting to be dropped.
struct Refused {
    future: Box<dyn Any>,
    spawned_at: &'static Location<'static>,
    name: Option<Arc<str>>,
}

/// What one [`Executor::flush`] did.
///
/// # Example
///
/// ```
/// # use godot_tasks_executor::{Executor, Host, PanicReport};
/// # struct NoHost;
/// # impl Host for NoHost { fn request_flush(&self) {} fn report_panic(&self, _: &PanicReport) {} }
/// # let executor = Executor::new(NoHost);
/// executor.spawn(async {}).detach();
/// let outcome = executor.flush();
/// assert_eq!((outcome.polls, outcome.more_work), (1, false));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[must_use = "when `more_work` is set, the host must flush again later (for example next frame)"]
pub struct FlushOutcome {
    /// How many times a future was polled.
    pub polls: usize,
    /// How many rounds ran (a round polls every task that was ready when the round began).
    pub rounds: u32,
    /// The round budget ran out while tasks were still ready: flush again later (next frame), not right away.
    ///
    /// Also set by a flush that ran nothing because the frame's budget was already spent.
    pub more_work: bool,
}

impl Executor {
    /// Creates an executor owned by the current thread.
    ///
    /// # Example
    ///
    /// ```
    /// use godot_tasks_executor::{Executor, Host, PanicReport};
    ///
    /// struct MyEngine;
    /// impl Host for MyEngine {
    ///     fn request_flush(&self) { /* schedule a call to `executor.flush()` soon, in a fresh call stack */ }
    ///     fn report_panic(&self, report: &PanicReport) { eprintln!("{} panicked: {}", report.task(), report.message) }
    /// }
    /// let executor = Executor::new(MyEngine);
    /// ```
    pub fn new(host: impl Host) -> Self {
        let shared = Arc::new(Shared::new(Box::new(host)));
        shared.claim_local_lane();
        Self {
            inner: Rc::new(Inner {
                table: RefCell::new(TaskTable::default()),
                shared,
                round_budget: Cell::new(DEFAULT_ROUND_BUDGET),
                frame_rounds_left: Cell::new(None),
                spare_batch: RefCell::new(Vec::new()),
                spawned: RefCell::new(Vec::new()),
                flushing: Cell::new(false),
                closed: Cell::new(false),
                refused: RefCell::new(VecDeque::new()),
                in_drop_loop: Cell::new(false),
                trim_clock: TrimClock::default(),
            }),
        }
    }

    /// Spawns a task. Its first poll happens in a later [`flush`](Self::flush), never inside this call.
    ///
    /// # After shutdown
    ///
    /// After [`shutdown`](Self::shutdown) the future is refused: it is never polled, the handle reports a
    /// cancellation, and the future is dropped on this thread by the outermost *drop loop*, never by a `spawn`
    /// that a destructor called:
    ///
    /// - A `spawn` from a destructor that the executor runs (a task's future dropped by the shutdown, or
    ///   another refused future) returns first; its future is dropped right after that destructor returns.
    /// - Any other `spawn` after shutdown drops its future, and whatever its destructor spawns, before it
    ///   returns.
    ///
    /// So a destructor that spawns a replacement every time does not recurse, but it would never end: one drop
    /// loop (one `shutdown`, or one outermost refused `spawn`) drops at most [`REFUSED_DROP_LIMIT`] refused
    /// futures. It leaks the rest (they are never dropped) and tells [`Host::report_panic`] where the first
    /// leaked one was spawned. Do not spawn from `Drop` during shutdown: check [`is_shut_down`](Self::is_shut_down)
    /// first.
    ///
    /// A refused future whose destructor panics is reported to [`Host::report_panic`]; the panic does not
    /// leave `spawn`.
    ///
    /// # Example
    ///
    /// ```
    /// # use godot_tasks_executor::{Executor, Host, PanicReport};
    /// # struct NoHost;
    /// # impl Host for NoHost { fn request_flush(&self) {} fn report_panic(&self, _: &PanicReport) {} }
    /// # let executor = Executor::new(NoHost);
    /// let handle = executor.spawn(async { "done" });
    /// let _ = executor.flush();
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.spawn_at(future, Location::caller())
    }

    /// [`spawn`](Self::spawn) with an explicit spawn location, for wrappers that track their own caller.
    ///
    /// # Example
    ///
    /// ```
    /// # use godot_tasks_executor::{Executor, Host, PanicReport};
    /// # struct NoHost;
    /// # impl Host for NoHost { fn request_flush(&self) {} fn report_panic(&self, _: &PanicReport) {} }
    /// # let executor = Executor::new(NoHost);
    /// let here = std::panic::Location::caller();
    /// let handle = executor.spawn_at(async {}, here);
    /// assert_eq!(handle.spawned_at(), here);
    /// ```
    pub fn spawn_at<F>(&self, future: F, spawned_at: &'static Location<'static>) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.spawn_named_at(future, spawned_at, None)
    }

    /// [`spawn`](Self::spawn) with a name, shown in panic reports and join errors.
    ///
    /// # Example
    ///
    /// ```
    /// # use godot_tasks_executor::{Executor, Host, PanicReport};
    /// # struct NoHost;
    /// # impl Host for NoHost { fn request_flush(&self) {} fn report_panic(&self, _: &PanicReport) {} }
    /// # let executor = Executor::new(NoHost);
    /// let handle = executor.spawn_named("pathfinding", async {});
    /// # drop(handle);
    /// ```
    #[track_caller]
    pub fn spawn_named<F>(&self, name: &str, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.spawn_named_at(future, Location::caller(), Some(Arc::from(name)))
    }

    /// [`spawn_at`](Self::spawn_at) with an optional name.
    ///
    /// # Example
    ///
    /// ```
    /// # use godot_tasks_executor::{Executor, Host, PanicReport};
    /// # struct NoHost;
    /// # impl Host for NoHost { fn request_flush(&self) {} fn report_panic(&self, _: &PanicReport) {} }
    /// # let executor = Executor::new(NoHost);
    /// let handle = executor.spawn_named_at(async {}, std::panic::Location::caller(), Some("ai".into()));
    /// assert_eq!(handle.name(), Some("ai"));
    /// ```
    pub fn spawn_named_at<F>(
        &self,
        future: F,
        spawned_at: &'static Location<'static>,
        name: Option<Arc<str>>,
    ) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let inner = &self.inner;
        if inner.closed.get() {
            inner.refuse(Refused { future: Box::new(future), spawned_at, name: name.clone() });
            return JoinHandle::new(Rc::downgrade(inner), TaskRef::NONE, spawned_at, name);
        }
        let cell: Pin<Box<dyn RawTask>> = Box::pin(TaskCell::new(future));
        let task = {
            let mut table = inner.table.borrow_mut();
            let task = table.next_ref();
            let wake_state = Arc::new(TaskWaker::new_queued(task, inner.shared.clone()));
            let waker = Waker::from(wake_state.clone());
            table.insert(Entry {
                cell: Some(cell),
                phase: Phase::Idle,
                cancel_requested: false,
                detached: false,
                wake_state,
                waker,
                join_waker: None,
                spawned_at,
                name: name.clone(),
            })
        };
        inner.spawned.borrow_mut().push(task);
        if !inner.flushing.get() {
            inner.shared.request_flush_here();
        }
        JoinHandle::new(Rc::downgrade(inner), task, spawned_at, name)
    }

    /// Polls every ready task, then every task that became ready meanwhile, round after round, until no task
    /// is ready or the round budget is spent.
    ///
    /// The budget is the frame's (see [`start_frame`](Self::start_frame)): a flush gets what the earlier flushes
    /// of its frame left, and when nothing is left it polls nothing and leaves the work queued for the next frame
    /// ([`has_ready_work`](Self::has_ready_work) still says so). Until the host first calls `start_frame`, every
    /// flush gets the whole budget.
    ///
    /// Call it from a fresh call stack on the executor's thread. A re-entrant call (from inside a task) does
    /// nothing. Every poll is wrapped in `catch_unwind`: a panicking task finishes with a [`JoinError`] and is
    /// reported to [`Host::report_panic`]; the other tasks are unaffected.
    ///
    /// # Example
    ///
    /// ```
    /// # use godot_tasks_executor::{Executor, Host, PanicReport};
    /// # struct NoHost;
    /// # impl Host for NoHost { fn request_flush(&self) {} fn report_panic(&self, _: &PanicReport) {} }
    /// # let executor = Executor::new(NoHost);
    /// executor.spawn(async {}).detach();
    /// if executor.flush().more_work {
    ///     // the round budget ran out: flush again later (for example next frame)
    /// }
    /// ```
    pub fn flush(&self) -> FlushOutcome {
        let inner = &self.inner;
        let mut outcome = FlushOutcome::default();
        if inner.flushing.get() {
            return outcome;
        }
        if !inner.round_left(0) {
            // The frame's budget is spent: the work stays queued, and so does any flush request, since the host
            // flushes next frame anyway (it was told so by `more_work`).
            outcome.more_work = inner.has_ready();
            inner.tick();
            return outcome;
        }
        inner.flushing.set(true);
        inner.shared.begin_flush();
        let _end = FlushGuard(inner);
        let mut batch = std::mem::take(&mut *inner.spare_batch.borrow_mut());
        while inner.round_left(outcome.rounds) && !inner.closed.get() {
            inner.shared.take_ready(&mut batch);
            batch.append(&mut inner.spawned.borrow_mut());
            if batch.is_empty() {
                break;
            }
            outcome.rounds += 1;
            inner.spend_frame_round();
            for task in batch.drain(..) {
                if inner.run(task) {
                    outcome.polls += 1;
                }
            }
        }
        *inner.spare_batch.borrow_mut() = batch;
        outcome.more_work = inner.has_ready();
        inner.tick();
        outcome
    }

    /// Whether any task is waiting on the ready queue. Cheap (one atomic load): a host may check it every frame.
    ///
    /// # Example
    ///
    /// ```
    /// # use godot_tasks_executor::{Executor, Host, PanicReport};
    /// # struct NoHost;
    /// # impl Host for NoHost { fn request_flush(&self) {} fn report_panic(&self, _: &PanicReport) {} }
    /// # let executor = Executor::new(NoHost);
    /// executor.spawn(async {}).detach();
    /// assert!(executor.has_ready_work());
    /// let _ = executor.flush();
    /// assert!(!executor.has_ready_work());
    /// ```
    pub fn has_ready_work(&self) -> bool {
        self.inner.has_ready()
    }

    /// How many tasks the executor holds: unfinished ones, and finished ones whose handle has not yet taken
    /// the outcome.
    ///
    /// # Example
    ///
    /// ```
    /// # use godot_tasks_executor::{Executor, Host, PanicReport};
    /// # struct NoHost;
    /// # impl Host for NoHost { fn request_flush(&self) {} fn report_panic(&self, _: &PanicReport) {} }
    /// # let executor = Executor::new(NoHost);
    /// let pending = executor.spawn(std::future::pending::<()>());
    /// assert_eq!(executor.task_count(), 1);
    /// # drop(pending);
    /// ```
    pub fn task_count(&self) -> usize {
        self.inner.table.borrow().len()
    }

    /// Sets how many rounds the flushes of one frame may run together (at least 1). Default:
    /// [`DEFAULT_ROUND_BUDGET`].
    ///
    /// A task woken during a flush runs in that same flush, in the next round. The budget bounds the work of
    /// one frame: a task that wakes itself every time it is polled is polled at most `rounds` times per frame,
    /// however many times the host flushes in it, and the rest waits for the next frame instead of freezing
    /// the program. Frames are what the host marks with [`start_frame`](Self::start_frame); a host that never
    /// calls it gets the budget per flush instead.
    ///
    /// The current frame gets the new budget at once, whatever it had spent.
    ///
    /// # Example
    ///
    /// ```
    /// # use godot_tasks_executor::{Executor, Host, PanicReport};
    /// # struct NoHost;
    /// # impl Host for NoHost { fn request_flush(&self) {} fn report_panic(&self, _: &PanicReport) {} }
    /// # let executor = Executor::new(NoHost);
    /// executor.set_round_budget(8);
    /// ```
    pub fn set_round_budget(&self, rounds: u32) {
        let inner = &self.inner;
        inner.round_budget.set(rounds.max(1));
        if inner.frame_rounds_left.get().is_some() {
            inner.frame_rounds_left.set(Some(inner.round_budget.get()));
        }
    }

    /// Tells the executor that a new frame starts: the flushes from now until the next call share one round
    /// budget (see [`set_round_budget`](Self::set_round_budget)).
    ///
    /// Call it once per frame from the host's frame hook, before that frame's flushes, and every frame, also
    /// when nothing is ready (the calls also pace the giving back of memory, see [Memory](Self#memory)). It
    /// runs nothing and requests no flush: if [`has_ready_work`](Self::has_ready_work) says so afterwards (work
    /// left over by the last frame's budget), flush.
    ///
    /// The first call switches the executor from a budget per flush (what a host gets that never calls it) to
    /// a budget per frame, for good. With it, a task that wakes itself gets the same number of polls per
    /// frame however often the host flushes (a deferred flush, then one per physics tick, say), instead of
    /// more polls exactly when frames are slow and the engine runs more ticks each. So once it has called
    /// `start_frame`, a host must go on calling it every frame for as long as it flushes: without a new frame,
    /// a spent budget is never renewed, and flushes run nothing.
    ///
    /// # Example
    ///
    /// ```
    /// # use godot_tasks_executor::{Executor, FlushOutcome, Host, PanicReport};
    /// # struct NoHost;
    /// # impl Host for NoHost { fn request_flush(&self) {} fn report_panic(&self, _: &PanicReport) {} }
    /// # let executor = Executor::new(NoHost);
    /// executor.set_round_budget(4);
    /// let spinner = executor.spawn(std::future::poll_fn(|cx| {
    ///     cx.waker().wake_by_ref(); // always ready again
    ///     std::task::Poll::<()>::Pending
    /// }));
    ///
    /// // In the host's frame hook:
    /// executor.start_frame();
    /// assert_eq!(executor.flush().rounds, 4);
    /// assert_eq!(executor.flush().rounds, 0); // a second flush in the same frame: the budget is spent
    /// assert!(executor.has_ready_work()); // the spinner waits for the next frame
    ///
    /// executor.start_frame();
    /// assert_eq!(executor.flush().rounds, 4);
    /// # drop(spinner);
    /// ```
    pub fn start_frame(&self) {
        let inner = &self.inner;
        inner.frame_rounds_left.set(Some(inner.round_budget.get()));
        inner.tick();
    }

    /// The capacities of the executor's buffers, for tests of the trimming policy. Not part of the stable API.
    #[doc(hidden)]
    pub fn capacities(&self) -> Capacities {
        let inner = &self.inner;
        let (ready, local_lane) = inner.shared.capacities();
        Capacities {
            tasks: inner.table.borrow().capacity(),
            free_slots: inner.table.borrow().free_capacity(),
            batch: inner.spare_batch.borrow().capacity(),
            spawned: inner.spawned.borrow().capacity(),
            ready,
            local_lane,
        }
    }

    /// Whether [`shutdown`](Self::shutdown) was called.
    ///
    /// # Example
    ///
    /// ```
    /// # use godot_tasks_executor::{Executor, Host, PanicReport};
    /// # struct NoHost;
    /// # impl Host for NoHost { fn request_flush(&self) {} fn report_panic(&self, _: &PanicReport) {} }
    /// # let executor = Executor::new(NoHost);
    /// executor.shutdown();
    /// assert!(executor.is_shut_down());
    /// ```
    pub fn is_shut_down(&self) -> bool {
        self.inner.closed.get()
    }

    /// Drops every task's future now, on this thread, and refuses new work.
    ///
    /// Handles report a cancellation, also those of finished tasks whose value was not taken yet (the value is
    /// dropped with everything else), and whoever awaits them is woken; later wakes are no-ops; later spawns
    /// are refused (see "After shutdown" in [`spawn`](Self::spawn)). Futures spawned by destructors during shutdown
    /// are dropped too, each right after the destructor that spawned it. If called from inside a task, that
    /// task's future is dropped when its poll returns.
    ///
    /// # Example
    ///
    /// ```
    /// # use godot_tasks_executor::{Executor, Host, PanicReport};
    /// # struct NoHost;
    /// # impl Host for NoHost { fn request_flush(&self) {} fn report_panic(&self, _: &PanicReport) {} }
    /// # let executor = Executor::new(NoHost);
    /// let pending = executor.spawn(std::future::pending::<()>());
    /// executor.shutdown();
    /// assert!(pending.is_finished());
    /// ```
    pub fn shutdown(&self) {
        let inner = &self.inner;
        inner.closed.set(true);
        inner.shared.close();
        inner.spawned.borrow_mut().clear();
        // Destructors may spawn (refused: parked for this drop loop, or for the one that runs already) or cancel
        // (a no-op by now); loop until only the tasks being polled or dropped right now remain.
        let mut drop_loop = inner.enter_drop_loop();
        loop {
            let released: Vec<Entry> = {
                let mut table = inner.table.borrow_mut();
                let refs: Vec<TaskRef> = table
                    .refs()
                    .filter(|(_, phase)| matches!(phase, Phase::Idle | Phase::Finished))
                    .map(|(task, _)| task)
                    .collect();
                refs.into_iter().filter_map(|task| table.remove(task)).collect()
            };
            if released.is_empty() {
                break;
            }
            for entry in released {
                inner.release(entry);
                if let Some(drop_loop) = &mut drop_loop {
                    drop_loop.drop_refused();
                }
            }
        }
    }
}

struct FlushGuard<'a>(&'a Inner);

impl Drop for FlushGuard<'_> {
    fn drop(&mut self) {
        self.0.flushing.set(false);
        self.0.shared.end_flush();
    }
}

impl Inner {
    fn has_ready(&self) -> bool {
        self.shared.has_ready() || !self.spawned.borrow().is_empty()
    }

    /// Counts a flush or a frame start; now and then, gives back what the buffers hold beyond the recent load.
    fn tick(&self) {
        if !self.trim_clock.tick() {
            return;
        }
        // Only task references and vacant slots are freed here: no user code runs.
        let rule = {
            let Ok(mut table) = self.table.try_borrow_mut() else {
                return;
            };
            let rule = TrimRule::for_peak(table.take_peak());
            table.trim(rule);
            rule
        };
        if let Ok(mut batch) = self.spare_batch.try_borrow_mut() {
            rule.shrink(&mut batch);
        }
        if let Ok(mut spawned) = self.spawned.try_borrow_mut() {
            rule.shrink(&mut spawned);
        }
        self.shared.trim_queues(rule);
    }

    /// Whether a flush that has run `rounds` rounds may run another: the frame has rounds left, or, without
    /// frames, the flush has.
    fn round_left(&self, rounds: u32) -> bool {
        match self.frame_rounds_left.get() {
            Some(left) => left > 0,
            None => rounds < self.round_budget.get(),
        }
    }

    /// Takes one round from the frame's budget (without frames there is nothing to take).
    fn spend_frame_round(&self) {
        if let Some(left) = self.frame_rounds_left.get() {
            self.frame_rounds_left.set(Some(left.saturating_sub(1)));
        }
    }

    /// Polls or cancels one task popped from the ready queue. Returns whether a future was polled.
    fn run(&self, task: TaskRef) -> bool {
        let (mut cell, waker, cancel, spawned_at, name) = {
            let mut table = self.table.borrow_mut();
            let Some(entry) = table.get_mut(task) else {
                return false; // Released since it was queued.
            };
            if entry.phase != Phase::Idle {
                return false;
            }
            entry.wake_state.clear_queued();
            let cancel = entry.cancel_requested;
            entry.phase = if cancel { Phase::Cancelling } else { Phase::Running };
            let cell = entry.cell.take().expect("an Idle task holds its future");
            // Lent to the poll and put back after it (nothing reads it while the task runs): no clone.
            let waker = std::mem::replace(&mut entry.waker, Waker::noop().clone());
            (cell, waker, cancel, entry.spawned_at, entry.name.clone())
        };
        if cancel {
            drop(waker);
            self.cancel_now(task, cell, spawned_at, name);
            return false;
        }

        let mut cx = Context::from_waker(&waker);
        let polled = catch_unwind(AssertUnwindSafe(|| cell.as_mut().poll(&mut cx)));
        if matches!(polled, Ok(Poll::Pending)) {
            if let Some(entry) = self.table.borrow_mut().get_mut(task) {
                entry.waker = waker;
            }
        } else {
            drop(waker);
        }
        match polled {
            Ok(Poll::Ready(())) => self.finish(task, cell),
            Ok(Poll::Pending) => {
                let cancel = {
                    let mut table = self.table.borrow_mut();
                    let entry = table.get_mut(task).expect("a Running task keeps its slot");
                    if entry.cancel_requested || self.closed.get() {
                        entry.phase = Phase::Cancelling;
                        Some(cell)
                    } else {
                        entry.phase = Phase::Idle;
                        entry.cell = Some(cell);
                        None
                    }
                };
                if let Some(cell) = cancel {
                    self.cancel_now(task, cell, spawned_at, name);
                }
            }
            Err(payload) => {
                let report = PanicReport { message: payload_message(&*payload), spawned_at, name: name.clone() };
                quietly_drop(payload);
                self.report(&report);
                let error = JoinError::panicked(report.message, spawned_at).named(name);
                self.fail(&mut cell, error);
                self.finish(task, cell);
            }
        }
        true
    }

    /// Drops a future taken out for cancellation and finishes the task as cancelled.
    fn cancel_now(
        &self,
        task: TaskRef,
        mut cell: Pin<Box<dyn RawTask>>,
        spawned_at: &'static Location<'static>,
        name: Option<Arc<str>>,
    ) {
        let error = JoinError::cancelled(spawned_at).named(name);
        self.fail(&mut cell, error);
        self.finish(task, cell);
    }

    /// Drops the future inside `cell`, recording `error` as the outcome. A panicking destructor is reported,
    /// never propagated.
    fn fail(&self, cell: &mut Pin<Box<dyn RawTask>>, error: JoinError) {
        let spawned_at = error.spawned_at();
        let name = error.name().map(Arc::from);
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| cell.as_mut().fail(error))) {
            let message = format!("a task's future panicked while being dropped: {}", payload_message(&*payload));
            quietly_drop(payload);
            self.report(&PanicReport { message, spawned_at, name });
        }
    }

    /// Moves a task whose future is gone to Finished, or releases it if nobody will ask for the outcome.
    fn finish(&self, task: TaskRef, cell: Pin<Box<dyn RawTask>>) {
        let (released, join_waker) = {
            let mut table = self.table.borrow_mut();
            let Some(entry) = table.get_mut(task) else {
                drop(table);
                quietly_drop(cell);
                return;
            };
            entry.wake_state.retire();
            entry.phase = Phase::Finished;
            if entry.detached || self.closed.get() {
                let mut released = table.remove(task).expect("the entry was just found");
                released.cell = Some(cell);
                (Some(released), None)
            } else {
                entry.cell = Some(cell);
                (None, entry.join_waker.take())
            }
        };
        if let Some(entry) = released {
            self.release(entry);
        }
        if let Some(waker) = join_waker {
            waker.wake();
        }
    }

    /// Drops a released entry outside every borrow: its future or unobserved output may run any code.
    pub(crate) fn release(&self, mut entry: Entry) {
        let spawned_at = entry.spawned_at;
        let name = entry.name.clone();
        // Whoever awaits the handle must get to see that the task is gone (it reads a cancellation).
        let join_waker = entry.join_waker.take();
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| drop(entry))) {
            let message =
                format!("a task's future or output panicked while being dropped: {}", payload_message(&*payload));
            quietly_drop(payload);
            self.report(&PanicReport { message, spawned_at, name });
        }
        if let Some(waker) = join_waker {
            waker.wake();
        }
    }

    /// Takes a future refused after shutdown: parks it for the drop loop that runs now, or runs one.
    fn refuse(&self, refused: Refused) {
        self.refused.borrow_mut().push_back(refused);
        if let Some(mut drop_loop) = self.enter_drop_loop() {
            drop_loop.drop_refused();
        }
    }

    /// Starts the drop loop, unless one runs already (then that one drops what is refused from now on).
    fn enter_drop_loop(&self) -> Option<DropLoop<'_>> {
        // Not `then_some`: a `DropLoop` made and discarded would end the running loop in its destructor.
        (!self.in_drop_loop.replace(true)).then(|| DropLoop { inner: self, dropped: 0, leaked: 0 })
    }

    /// Hands a panic report to the host; a host that panics itself is not allowed to lose tasks.
    fn report(&self, report: &PanicReport) {
        quietly_drop(catch_unwind(AssertUnwindSafe(|| self.shared.host().report_panic(report))));
    }

    /// Requests cancellation of `task`; see the state machine in the `task_table` module.
    pub(crate) fn cancel(&self, task: TaskRef) {
        let waker = {
            let mut table = self.table.borrow_mut();
            let Some(entry) = table.get_mut(task) else {
                return;
            };
            match entry.phase {
                Phase::Idle | Phase::Running if !entry.cancel_requested => {
                    entry.cancel_requested = true;
                    (entry.phase == Phase::Idle).then(|| entry.waker.clone())
                }
                _ => None,
            }
        };
        // An Idle task is queued so that the next flush drops it; a Running one is dropped when its poll returns.
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Nobody can reach this executor any more (handles hold weak references), so destructors that try to
        // spawn, cancel or await here find it gone.
        self.closed.set(true);
        self.shared.close();
        let entries = self.table.get_mut().drain();
        for entry in entries {
            self.release(entry);
        }
    }
}

/// The one loop that drops refused futures, one after the other, outside the `spawn` that refused them.
///
/// Only the outermost dropper runs one (a `shutdown`, or a refused `spawn` outside any drop loop); a `spawn`
/// inside a destructor it runs only parks its future, so a destructor that spawns never recurses. To end a
/// chain in which every destructor spawns a replacement, the loop drops at most [`REFUSED_DROP_LIMIT`] refused
/// futures and leaks the rest.
struct DropLoop<'a> {
    inner: &'a Inner,
    /// Refused futures dropped so far by this loop.
    dropped: usize,
    /// Refused futures leaked so far by this loop.
    leaked: usize,
}

impl DropLoop<'_> {
    /// Drops every parked future, and those their destructors spawn, until none is left.
    fn drop_refused(&mut self) {
        loop {
            let next = self.inner.refused.borrow_mut().pop_front();
            let Some(Refused { future, spawned_at, name }) = next else {
                return;
            };
            if self.dropped == REFUSED_DROP_LIMIT {
                // Leaking runs no code, so no new future is parked for it: the loop ends.
                std::mem::forget(future);
                self.leaked += 1;
                if self.leaked == 1 {
                    self.report_first_leak(spawned_at, name);
                }
                continue;
            }
            self.dropped += 1;
            if let Err(payload) = catch_unwind(AssertUnwindSafe(|| drop(future))) {
                let message = format!("a task's future panicked while being dropped: {}", payload_message(&*payload));
                quietly_drop(payload);
                self.inner.report(&PanicReport { message, spawned_at, name });
            }
        }
    }

    /// Tells the host that the chain was cut, naming the first leaked future. Reported once per loop: the
    /// host's own code may spawn again, and those futures are leaked silently.
    fn report_first_leak(&self, spawned_at: &'static Location<'static>, name: Option<Arc<str>>) {
        let leaked = 1 + self.inner.refused.borrow().len();
        let message = format!(
            "refused after shutdown and leaked: {REFUSED_DROP_LIMIT} refused futures were dropped in a row, each \
             spawning another from its destructor, so the executor ended the chain by leaking the {leaked} left \
             (never dropped). Do not spawn from Drop during shutdown: check `Executor::is_shut_down()` first"
        );
        self.inner.report(&PanicReport { message, spawned_at, name });
    }
}

impl Drop for DropLoop<'_> {
    fn drop(&mut self) {
        // Nothing is left parked: every path that parks a future runs `drop_refused` afterwards.
        self.inner.in_drop_loop.set(false);
    }
}

/// Drops a value, swallowing a panic from its destructor (used for panic payloads and leftovers).
fn quietly_drop<T>(value: T) {
    let _ = catch_unwind(AssertUnwindSafe(|| drop(value)));
}
