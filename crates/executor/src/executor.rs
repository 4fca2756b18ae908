//! The executor: spawning, flushing the ready queue, cancelling, shutting down.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::rc::Rc;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use crate::CaughtPanic;
use crate::Host;
use crate::join_handle::JoinHandle;
use crate::memory::{Capacities, QueuedPeak, TrimClock, TrimRule};
use crate::panic_report::{PanicReport, payload_message};
use crate::panic_report::{SlowPoll, drop_quietly};
use crate::ready_queue::Shared;
use crate::shared_life::SharedLife;
use crate::task::{AfterPending, Outcome, Phase, Run, TaskPtr, TaskRef};
use crate::tasks::Tasks;
use crate::tracking::RunTracking;

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
/// memory comes back soon after its tasks ended, while a steady load keeps its buffers from frame to frame.
/// Each task is one allocation (a 32-byte header on 64-bit targets, then its future, whose memory its output
/// reuses), freed when the task has ended and nothing refers to it any more.
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

impl std::fmt::Debug for Executor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Executor")
            .field("tasks", &self.task_count())
            .field("has_ready_work", &self.has_ready_work())
            .finish_non_exhaustive()
    }
}

struct Inner {
    /// Shared with the handles, which act on their tasks through it.
    tasks: Rc<Tasks>,
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
    /// The task being polled, if one is (the run that polls it holds its reference).
    polling: Cell<Option<TaskPtr>>,
    /// How many polls ran since the executor was made.
    polls: Cell<u64>,
    /// A poll longer than this is reported to the host (`None`: not for this reason).
    slow_poll: Cell<Option<Duration>>,
    /// Futures refused after shutdown, waiting for the drop loop that runs now (see [`DropLoop`]).
    refused: RefCell<VecDeque<Refused>>,
    /// Whether a [`DropLoop`] runs: a refused spawn then parks its future for that loop.
    in_drop_loop: Cell<bool>,
    /// When to check whether the buffers have outgrown the load (see the `memory` module).
    trim_clock: TrimClock,
    /// What the queues held at most since the last check.
    queued_peak: QueuedPeak,
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
/// # let executor = godot_tasks_executor::doc_support::executor();
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
                tasks: Rc::new(Tasks::new(shared)),
                round_budget: Cell::new(DEFAULT_ROUND_BUDGET),
                frame_rounds_left: Cell::new(None),
                spare_batch: RefCell::new(Vec::new()),
                spawned: RefCell::new(Vec::new()),
                flushing: Cell::new(false),
                polling: Cell::new(None),
                polls: Cell::new(0),
                slow_poll: Cell::new(None),
                refused: RefCell::new(VecDeque::new()),
                in_drop_loop: Cell::new(false),
                trim_clock: TrimClock::default(),
                queued_peak: QueuedPeak::default(),
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
    /// # let executor = godot_tasks_executor::doc_support::executor();
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
    /// # let executor = godot_tasks_executor::doc_support::executor();
    /// let here = std::panic::Location::caller();
    /// let handle = executor.spawn_at(async {}, here);
    /// assert_eq!(handle.spawned_at(), here);
    /// ```
    pub fn spawn_at<F>(&self, future: F, spawned_at: &'static Location<'static>) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.spawn_named_at(None, future, spawned_at)
    }

    /// [`spawn`](Self::spawn) with a name, shown in panic reports and join errors.
    ///
    /// # Example
    ///
    /// ```
    /// # let executor = godot_tasks_executor::doc_support::executor();
    /// let handle = executor.spawn_named("pathfinding", async {});
    /// # drop(handle);
    /// ```
    #[track_caller]
    pub fn spawn_named<F>(&self, name: &str, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.spawn_named_at(Some(Arc::from(name)), future, Location::caller())
    }

    /// [`spawn_at`](Self::spawn_at) with an optional name. The arguments come in the order of
    /// [`spawn_named`](Self::spawn_named) and [`spawn_at`](Self::spawn_at): name, future, spawn location.
    ///
    /// # Example
    ///
    /// ```
    /// # let executor = godot_tasks_executor::doc_support::executor();
    /// let handle = executor.spawn_named_at(Some("ai".into()), async {}, std::panic::Location::caller());
    /// assert_eq!(handle.name(), Some("ai"));
    /// ```
    pub fn spawn_named_at<F>(
        &self,
        name: Option<Arc<str>>,
        future: F,
        spawned_at: &'static Location<'static>,
    ) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.spawn_task(name, future, spawned_at, false)
    }

    /// Spawns an *inline* task: its first poll runs now, inside this call (as calling a GDScript coroutine runs
    /// it up to its first `await`), and [`wake_inline`](Self::wake_inline) may later poll it inside the code
    /// that wakes it (as a GDScript coroutine resumes inside the signal's emission).
    ///
    /// The price is re-entrancy: the task runs inside its caller's call stack, so it must not need what the
    /// caller holds (a `RefCell` borrow, a lock, a game object the caller has mutably borrowed). A panic in that
    /// first poll is caught and handled like any task panic ([`Host::report_panic`], the handle's
    /// [`JoinError`](crate::JoinError)); it does not leave this call. Polled inside another task's poll, it is a
    /// nested poll: allowed, and every other rule holds. After [`shutdown`](Self::shutdown) the future is
    /// refused as with [`spawn`](Self::spawn).
    ///
    /// # Example
    ///
    /// ```
    /// use std::cell::Cell;
    /// use std::rc::Rc;
    ///
    /// # let executor = godot_tasks_executor::doc_support::executor();
    /// let started = Rc::new(Cell::new(false));
    /// let flag = started.clone();
    /// let handle = executor.spawn_inline_at(
    ///     Some("intro".into()),
    ///     async move {
    ///         flag.set(true); // runs inside spawn_inline_at
    ///         std::future::pending::<()>().await;
    ///     },
    ///     std::panic::Location::caller(),
    /// );
    /// assert!(started.get());
    /// # drop(handle);
    /// ```
    pub fn spawn_inline_at<F>(
        &self,
        name: Option<Arc<str>>,
        future: F,
        spawned_at: &'static Location<'static>,
    ) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.spawn_task(name, future, spawned_at, true)
    }

    /// Times every poll from now on and reports each one longer than `limit` to
    /// [`Host::report_slow_poll`]: the frame hitches a game otherwise hunts for by hand. `None` (the default)
    /// stops timing: polls then cost no clock reads.
    ///
    /// # Example
    ///
    /// ```
    /// # let executor = godot_tasks_executor::doc_support::executor();
    /// executor.set_slow_poll_threshold(Some(std::time::Duration::from_millis(4)));
    /// ```
    pub fn set_slow_poll_threshold(&self, limit: Option<Duration>) {
        self.inner.slow_poll.set(limit);
    }

    /// The executor's live tasks and their tables, for the methods that other modules add to `Executor`.
    pub(crate) fn tasks(&self) -> &Rc<Tasks> {
        &self.inner.tasks
    }

    /// How many times a future was polled since the executor was made (in flushes and inline): for monitors
    /// that show polls per frame.
    ///
    /// # Example
    ///
    /// ```
    /// # let executor = godot_tasks_executor::doc_support::executor();
    /// executor.spawn(async {}).detach();
    /// let _ = executor.flush();
    /// assert_eq!(executor.poll_count(), 1);
    /// ```
    pub fn poll_count(&self) -> u64 {
        self.inner.polls.get()
    }

    /// Whether any live task is inline: when none is, [`wake_inline`](Self::wake_inline) is a plain wake, and
    /// a batch of wakers can go to [`wake_all`](Self::wake_all) instead.
    ///
    /// # Example
    ///
    /// ```
    /// # let executor = godot_tasks_executor::doc_support::executor();
    /// assert!(!executor.has_inline_tasks());
    /// let waiting = executor.spawn_inline_at(None, std::future::pending::<()>(), std::panic::Location::caller());
    /// assert!(executor.has_inline_tasks());
    /// # drop(waiting);
    /// ```
    pub fn has_inline_tasks(&self) -> bool {
        self.inner.tasks.has_inline()
    }

    /// Whether `waker` wakes an inline task of this executor that [`wake_inline`](Self::wake_inline) could poll
    /// at once (it is not finished): for code that sorts a batch of wakers before waking them.
    ///
    /// # Example
    ///
    /// ```
    /// # let executor = std::rc::Rc::new(godot_tasks_executor::doc_support::executor());
    /// let inside = executor.clone();
    /// let handle = executor.spawn(std::future::poll_fn(move |cx| {
    ///     std::task::Poll::Ready(inside.wakes_inline(cx.waker()))
    /// }));
    /// let _ = executor.flush();
    /// # let mut handle = std::pin::pin!(handle);
    /// # let std::task::Poll::Ready(Ok(inline)) = handle.as_mut().poll(&mut std::task::Context::from_waker(std::task::Waker::noop())) else { unreachable!() };
    /// assert!(!inline); // an ordinary task
    /// ```
    #[allow(unsafe_code)] // Reads the state of the waker's task without counting a reference: see below.
    pub fn wakes_inline(&self, waker: &std::task::Waker) -> bool {
        let Some(task) = TaskPtr::of_waker(waker) else { return false };
        // SAFETY: the waker holds a reference to its task for as long as it is borrowed here.
        let task = unsafe { task.task() };
        // Another executor's task may live on another thread: its state is not ours to read.
        std::ptr::eq(task.shared(), &**self.inner.tasks.shared()) && task.state().is_inline()
    }

    /// Wakes the task of `waker`; if it is an inline task of this executor that waits for this wake (it is
    /// not being polled, not queued, and the executor is not shut down), it is polled now, inside this call.
    /// Any other waker is woken as [`Waker::wake`](std::task::Waker::wake) would: an ordinary task of this
    /// executor runs at the next flush.
    ///
    /// The same re-entrancy rules hold as for [`spawn_inline_at`](Self::spawn_inline_at). A task that is being
    /// polled (it woke itself, or the code waking it runs inside it) cannot be polled again now: it is queued
    /// as usual, so no wake is ever lost.
    ///
    /// # Example
    ///
    /// ```
    /// use std::cell::RefCell;
    /// use std::rc::Rc;
    /// use std::task::{Poll, Waker};
    ///
    /// # let executor = godot_tasks_executor::doc_support::executor();
    /// let parked: Rc<RefCell<Option<Waker>>> = Rc::default();
    /// let slot = parked.clone();
    /// let mut polls = 0;
    /// let handle = executor.spawn_inline_at(
    ///     None,
    ///     std::future::poll_fn(move |cx| {
    ///         polls += 1;
    ///         if polls == 2 {
    ///             return Poll::Ready(());
    ///         }
    ///         *slot.borrow_mut() = Some(cx.waker().clone());
    ///         Poll::Pending
    ///     }),
    ///     std::panic::Location::caller(),
    /// );
    /// let waker = parked.borrow_mut().take().unwrap();
    /// executor.wake_inline(waker); // polled here, not at the next flush
    /// assert!(handle.is_finished());
    /// ```
    #[allow(unsafe_code)] // Reads the state of the waker's task without counting a reference: see below.
    pub fn wake_inline(&self, waker: std::task::Waker) {
        let inner = &self.inner;
        let Some(task) = TaskPtr::of_waker(&waker) else { return waker.wake() };
        // SAFETY: the waker holds a reference to its task, and lives until the end of this function (moved
        // into `queue_from_waker` only after the last use of `current`).
        let current = unsafe { task.task() };
        // Another executor's task may live on another thread: its state is not ours to read.
        if !std::ptr::eq(current.shared(), &**inner.tasks.shared()) {
            return waker.wake();
        }
        let state = current.state();
        if !state.is_inline() || inner.tasks.is_closed() || !matches!(state.phase(), Phase::Idle { .. }) {
            return waker.wake();
        }
        // Not queued yet: this wake would queue it; run that queue entry now instead. Queued already: the
        // entry runs at the next flush, and this wake has nothing to add.
        if let Some(entry) = TaskRef::queue_from_waker(waker) {
            inner.run(entry);
        }
    }

    fn spawn_task<F>(
        &self,
        name: Option<Arc<str>>,
        future: F,
        spawned_at: &'static Location<'static>,
        inline: bool,
    ) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let inner = &self.inner;
        let tasks = &inner.tasks;
        if tasks.is_closed() {
            inner.refuse(Refused { future: Box::new(future), spawned_at, name: name.clone() });
            return JoinHandle::refused(spawned_at, name);
        }
        assert!(
            tasks.len() < crate::task::MAX_TASKS,
            "an executor holds at most {} tasks at once",
            crate::task::MAX_TASKS
        );
        // The task starts queued, with references for the live set, the spawn queue and the handle.
        let (for_set, for_queue, task) = TaskRef::new(future, tasks.shared(), spawned_at);
        if inline {
            for_set.set_state(for_set.state().inline());
        }
        tasks.insert(for_set, name.clone());
        #[cfg(feature = "tracing")]
        {
            let key = for_queue.key();
            tasks.spans().spawned(key, name.as_deref(), spawned_at, || tasks.tracker().id(key));
        }
        if inline {
            let handle = JoinHandle::new(Rc::downgrade(tasks), task, name);
            inner.run(for_queue);
            return handle;
        }
        inner.spawned.borrow_mut().push(for_queue);
        // Made before the host is asked for a flush: if the host panics, the handle detaches the task as it
        // unwinds, and the task runs at the next flush.
        let handle = JoinHandle::new(Rc::downgrade(tasks), task, name);
        if !inner.flushing.get() {
            tasks.shared().request_flush_here();
        }
        handle
    }

    /// Polls every ready task, then every task that became ready meanwhile, round after round, until no task
    /// is ready or the round budget is spent.
    ///
    /// The budget is the frame's (see [`start_frame`](Self::start_frame)): a flush gets what the earlier flushes
    /// of its frame left, and when nothing is left it polls nothing and leaves the work queued for the next frame
    /// ([`has_ready_work`](Self::has_ready_work) still says so). Until the host first calls `start_frame`, every
    /// flush gets the whole budget.
    ///
    /// **Order.** Each round runs, in this order: the tasks woken from other threads, in the order they were
    /// woken; the tasks woken on the executor's thread, in the order they were woken; the tasks spawned since
    /// the previous round, in the order they were spawned. A task is in a round at most once, at the place of
    /// its first wake. This order is part of the API and stays. (It holds for the first executor made on a
    /// thread, which keeps its thread's wakes apart; a second executor on the same thread keeps all its wakes
    /// in one queue, in the order they came.)
    ///
    /// Call it from a fresh call stack on the executor's thread. A re-entrant call (from inside a task) does
    /// nothing. Every poll is wrapped in `catch_unwind`: a panicking task finishes with a [`JoinError`](crate::JoinError) and is
    /// reported to [`Host::report_panic`]; the other tasks are unaffected.
    ///
    /// # Example
    ///
    /// ```
    /// # let executor = godot_tasks_executor::doc_support::executor();
    /// executor.spawn(async {}).detach();
    /// if executor.flush().more_work {
    ///     // the round budget ran out: flush again later (for example next frame)
    /// }
    /// ```
    pub fn flush(&self) -> FlushOutcome {
        let inner = &self.inner;
        let mut outcome = FlushOutcome::default();
        // Re-entrant: called from inside a task (also an inline task polled outside a flush), whose own queue
        // entry a nested flush would take while it runs.
        if inner.flushing.get() || inner.polling.get().is_some() {
            outcome.more_work = inner.has_ready();
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
        inner.tasks.shared().begin_flush();
        let _end = FlushGuard(inner);
        let mut batch = std::mem::take(&mut *inner.spare_batch.borrow_mut());
        while inner.round_left(outcome.rounds) && !inner.tasks.is_closed() {
            inner.tasks.shared().take_ready(&mut batch);
            let mut spawned = inner.spawned.borrow_mut();
            if batch.is_empty() {
                // Swapped, not copied: a burst of spawns leaves one large buffer behind, not two.
                std::mem::swap(&mut batch, &mut *spawned);
            } else {
                batch.append(&mut spawned);
            }
            drop(spawned);
            if batch.is_empty() {
                break;
            }
            inner.queued_peak.note(batch.len());
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

    /// Wakes every waker in `wakers`, leaving the vector empty with its memory kept: what a service that
    /// resumes many tasks at once (every task waiting for the next frame, say) calls instead of waking them
    /// one by one.
    ///
    /// The tasks of the executor that owns the calling thread are queued in one go, in order, with one flush
    /// request for the whole batch; then every other waker is woken as usual, in order. For the executor's own
    /// tasks the effect is that of calling [`Waker::wake`](std::task::Waker::wake) on each.
    ///
    /// # Example
    ///
    /// ```
    /// # let executor = godot_tasks_executor::doc_support::executor();
    /// use std::{cell::RefCell, rc::Rc, task::Poll};
    /// use godot_tasks_executor::Executor;
    ///
    /// let waiting = Rc::new(RefCell::new(Vec::new())); // a service's list of waiters
    /// let mut polls = 0;
    /// let list = waiting.clone();
    /// let waiter = executor.spawn(std::future::poll_fn(move |cx| {
    ///     polls += 1;
    ///     if polls == 2 {
    ///         return Poll::Ready(());
    ///     }
    ///     list.borrow_mut().push(cx.waker().clone());
    ///     Poll::Pending
    /// }));
    /// let _ = executor.flush(); // the task stored its waker...
    /// let mut wakers = std::mem::take(&mut *waiting.borrow_mut());
    /// Executor::wake_all(&mut wakers); // ...and is woken, with every other one, a frame later, say
    /// let _ = executor.flush();
    /// assert!(waiter.is_finished());
    /// ```
    pub fn wake_all(wakers: &mut Vec<std::task::Waker>) {
        Shared::wake_all(wakers);
    }

    /// Whether any task is waiting on the ready queue. Cheap (one atomic load): a host may check it every frame.
    ///
    /// # Example
    ///
    /// ```
    /// # let executor = godot_tasks_executor::doc_support::executor();
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
    /// # let executor = godot_tasks_executor::doc_support::executor();
    /// let pending = executor.spawn(std::future::pending::<()>());
    /// assert_eq!(executor.task_count(), 1);
    /// # drop(pending);
    /// ```
    pub fn task_count(&self) -> usize {
        self.inner.tasks.len()
    }

    /// The name of the task being polled, if a task is being polled and it was spawned with a name.
    ///
    /// Errors made inside a task use it to say which task met them.
    ///
    /// # Example
    ///
    /// ```
    /// # let executor = std::rc::Rc::new(godot_tasks_executor::doc_support::executor());
    /// let inside = executor.clone();
    /// let handle = executor.spawn_named("loader", async move { inside.current_task_name() });
    /// let _ = executor.flush();
    /// assert!(executor.current_task_name().is_none()); // no task is being polled here
    /// # let mut handle = std::pin::pin!(handle);
    /// # let std::task::Poll::Ready(Ok(name)) = handle.as_mut().poll(&mut std::task::Context::from_waker(std::task::Waker::noop())) else { unreachable!() };
    /// assert_eq!(name.as_deref(), Some("loader"));
    /// ```
    #[allow(unsafe_code)] // The task being polled, without counting a reference: see below.
    pub fn current_task_name(&self) -> Option<Arc<str>> {
        let task = self.inner.polling.get()?;
        // SAFETY: the task being polled is alive: the run polling it holds its reference.
        self.inner.tasks.name(&*unsafe { task.task() })
    }

    /// Whether the task being polled is an inline task (see [`spawn_inline_at`](Self::spawn_inline_at)); false
    /// outside a poll.
    ///
    /// # Example
    ///
    /// ```
    /// # let executor = std::rc::Rc::new(godot_tasks_executor::doc_support::executor());
    /// let inside = executor.clone();
    /// let handle = executor.spawn_inline_at(None, async move { inside.current_task_is_inline() }, std::panic::Location::caller());
    /// assert!(handle.is_finished()); // it ran to its end inside the spawn
    /// ```
    #[allow(unsafe_code)] // As `current_task_name`.
    pub fn current_task_is_inline(&self) -> bool {
        // SAFETY: as in `current_task_name`.
        self.inner.polling.get().is_some_and(|task| unsafe { task.task() }.state().is_inline())
    }

    /// Cancels the task being polled, as its [`JoinHandle::cancel`] would: its future is dropped when this poll
    /// returns, and is not polled again. Returns false outside a poll.
    ///
    /// For futures that end their own task quietly (as GDScript ends a coroutine whose emitter was freed).
    ///
    /// # Example
    ///
    /// ```
    /// # let executor = std::rc::Rc::new(godot_tasks_executor::doc_support::executor());
    /// let inside = executor.clone();
    /// let handle = executor.spawn(std::future::poll_fn(move |_| {
    ///     inside.cancel_current_task();
    ///     std::task::Poll::<()>::Pending
    /// }));
    /// let _ = executor.flush();
    /// assert!(handle.is_finished()); // cancelled
    /// ```
    #[allow(unsafe_code)] // As `current_task_name`.
    pub fn cancel_current_task(&self) -> bool {
        let Some(task) = self.inner.polling.get() else { return false };
        // SAFETY: as in `current_task_name`.
        self.inner.tasks.cancel(&*unsafe { task.task() });
        true
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
    /// # let executor = godot_tasks_executor::doc_support::executor();
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
    /// # use godot_tasks_executor::FlushOutcome;
    /// # let executor = godot_tasks_executor::doc_support::executor();
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
        inner.tasks.tracker().frame_started();
        inner.frame_rounds_left.set(Some(inner.round_budget.get()));
        inner.tick();
    }

    /// The capacities of the executor's buffers, for tests of the trimming policy. Not part of the stable API.
    #[doc(hidden)]
    pub fn capacities(&self) -> Capacities {
        let inner = &self.inner;
        let (ready, local_lane) = inner.tasks.shared().capacities();
        let (tasks, free_slots) = inner.tasks.capacities();
        Capacities {
            tasks,
            free_slots,
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
    /// # let executor = godot_tasks_executor::doc_support::executor();
    /// executor.shutdown();
    /// assert!(executor.is_shut_down());
    /// ```
    pub fn is_shut_down(&self) -> bool {
        self.inner.tasks.is_closed()
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
    /// # let executor = godot_tasks_executor::doc_support::executor();
    /// let pending = executor.spawn(std::future::pending::<()>());
    /// executor.shutdown();
    /// assert!(pending.is_finished());
    /// ```
    pub fn shutdown(&self) {
        let inner = &self.inner;
        inner.tasks.close();
        // Dropped outside the borrow: a last reference may free a task.
        let spawned = std::mem::take(&mut *inner.spawned.borrow_mut());
        drop(spawned);
        // Destructors may spawn (refused: parked for this drop loop, or for the one that runs already) or cancel
        // (a no-op by now); loop until only the tasks being polled or dropped right now remain.
        let mut drop_loop = inner.enter_drop_loop();
        inner.drop_tasks(|| {
            if let Some(drop_loop) = &mut drop_loop {
                drop_loop.drop_refused();
            }
        });
    }
}

struct FlushGuard<'a>(&'a Inner);

impl Drop for FlushGuard<'_> {
    fn drop(&mut self) {
        self.0.flushing.set(false);
        self.0.tasks.shared().end_flush();
    }
}

impl Inner {
    fn has_ready(&self) -> bool {
        self.tasks.shared().has_ready() || !self.spawned.borrow().is_empty()
    }

    /// Counts a flush or a frame start; now and then, gives back what the buffers hold beyond the recent load.
    fn tick(&self) {
        if !self.trim_clock.tick() {
            return;
        }
        self.tasks.shared().life().top_up();
        // Only buffers of task references are shrunk here: no reference is dropped, no user code runs.
        self.tasks.trim(TrimRule::for_peak(self.tasks.take_peak()));
        let queues = TrimRule::for_peak(self.queued_peak.take());
        if let Ok(mut batch) = self.spare_batch.try_borrow_mut() {
            queues.shrink(&mut batch);
        }
        if let Ok(mut spawned) = self.spawned.try_borrow_mut() {
            queues.shrink(&mut spawned);
        }
        self.tasks.shared().trim_queues(queues);
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
    #[allow(unsafe_code)] // One step instead of two for every poll: see `TaskRef::unqueue`.
    fn run(&self, entry: TaskRef) -> bool {
        let (state, run) = entry.state().begin_run();
        if run == Run::Skip {
            // Finished or released meanwhile (a wake that came before it finished): the entry just goes.
            return false;
        }
        // SAFETY: the task is Idle, so it is in the live set, and nothing releases it before it finishes, which
        // is the last thing this run does with it: a Running or Cancelling task is skipped by shutdown, kept by
        // its handle, and not Finished for `take_outcome`.
        let task = unsafe { entry.unqueue() };
        task.set_state(state);
        let this = Some(TaskPtr::of(&task));
        match run {
            Run::Skip => unreachable!("handled above"),
            Run::Cancel => {
                // The future's destructor runs as the task's own code.
                self.noting_polled(this, || self.tasks.cancel_now(&task));
                return false;
            }
            Run::Poll => {}
        }
        let mut gone = false;
        self.polls.set(self.polls.get() + 1);
        let tracker = self.tasks.tracker();
        let tracked = tracker.is_on().then(|| tracker.begin_run(task.key()));
        #[cfg(feature = "tracing")]
        let in_span = self.tasks.spans().enter_poll(task.key());
        let timed = self.slow_poll.get().is_some() || tracked.as_ref().is_some_and(RunTracking::is_timed);
        let start = timed.then(Instant::now);
        let polled = self.noting_polled(this, || catch_unwind(AssertUnwindSafe(|| task.poll(&mut gone))));
        let took = start.map(|start| start.elapsed());
        #[cfg(feature = "tracing")]
        drop(in_span);
        // The notes of the previous poll may be anything: they go at the end of this run, once the task is no
        // longer Running (a destructor that flushes must not find it Running and lose its wake).
        let old_notes = tracked.map(|run| tracker.end_run(task.key(), run, took));
        if let (Some(took), Some(limit)) = (took, self.slow_poll.get())
            && took > limit
        {
            let name = self.tasks.name(&task);
            let report = SlowPoll { spawned_at: task.spawned_at(), name, took, limit };
            // A host that panics must not cut the run short: the task's state is settled below.
            drop_quietly(catch_unwind(AssertUnwindSafe(|| self.tasks.shared().host().report_slow_poll(&report))));
        }
        // What runs from here on (destructors of the future, the output, wakers) is the task's end, not a poll
        // of it or of an outer task.
        self.noting_polled(None, || match polled {
            Ok(Poll::Ready(())) => self.tasks.finish(&task, Outcome::Value, None),
            Ok(Poll::Pending) => {
                let (state, next) = task.state().end_poll(self.tasks.is_closed());
                task.set_state(state);
                if next == AfterPending::Cancel {
                    self.noting_polled(this, || self.tasks.cancel_now(&task));
                }
            }
            Err(payload) => {
                let panic = CaughtPanic::new(payload);
                let name = self.tasks.name(&task);
                let message = panic.message().to_owned();
                #[cfg(feature = "tracing")]
                self.tasks.spans().panicked(task.key(), name.as_deref(), task.spawned_at(), &message);
                self.tasks.report(&PanicReport { message, spawned_at: task.spawned_at(), name });
                task.set_state(task.state().poll_panicked());
                if !gone {
                    self.noting_polled(this, || self.tasks.drop_future(&task));
                }
                self.tasks.finish(&task, Outcome::Panicked, Some(panic));
            }
        });
        drop(old_notes);
        true
    }

    /// Runs `f` with `task` noted as the task being polled (`None`: no task), then notes the previous one again.
    /// Whatever `f` does (user code included), it cannot unwind: polls and destructors are caught inside.
    fn noting_polled<R>(&self, task: Option<TaskPtr>, f: impl FnOnce() -> R) -> R {
        let outer = self.polling.replace(task);
        let result = f();
        self.polling.set(outer);
        result
    }

    /// Drops every task that is not being polled or dropped right now, and those that destructors spawn meanwhile
    /// (refused after shutdown: `after_each` drops them), until none is left.
    fn drop_tasks(&self, mut after_each: impl FnMut()) {
        loop {
            let droppable = self.tasks.droppable();
            if droppable.is_empty() {
                break;
            }
            for task in droppable {
                self.drop_task(&task);
                after_each();
            }
        }
    }

    /// Drops a task at shutdown: an Idle one's future (as a cancellation), then the task itself.
    fn drop_task(&self, task: &TaskRef) {
        match task.state().begin_drop() {
            Some(state) => {
                task.set_state(state);
                self.tasks.cancel_now(task); // finished while closed: released too
            }
            None if matches!(task.state().phase(), crate::task::Phase::Finished(_)) => self.tasks.release(task),
            None => {}
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
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Runs even if a destructor below panics: from then on the task allocations that wakers or handles still
        // reference keep the shared state alive, and it must not go with this executor.
        struct HandOver<'a>(&'a Arc<Shared>);
        impl Drop for HandOver<'_> {
            fn drop(&mut self) {
                SharedLife::executor_gone(self.0);
            }
        }
        let shared = self.tasks.shared().clone();
        let _hand_over = HandOver(&shared);
        // Nobody can reach this executor any more (handles hold weak references), so destructors that try to
        // spawn, cancel or await here find it gone.
        self.tasks.close();
        drop(std::mem::take(self.spawned.get_mut()));
        drop(std::mem::take(self.spare_batch.get_mut()));
        // No task runs now (a flush holds the executor): every task is Idle or Finished.
        self.drop_tasks(|| {});
        debug_assert_eq!(self.tasks.len(), 0);
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
                drop_quietly(payload);
                self.inner.tasks.report(&PanicReport { message, spawned_at, name });
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
        self.inner.tasks.report(&PanicReport { message, spawned_at, name });
    }
}

impl Drop for DropLoop<'_> {
    fn drop(&mut self) {
        // Nothing is left parked: every path that parks a future runs `drop_refused` afterwards.
        self.inner.in_drop_loop.set(false);
    }
}
