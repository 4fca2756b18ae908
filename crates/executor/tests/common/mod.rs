//! Fixtures shared by the executor's tests: a host that records what the executor asks of it, futures that
//! record what happens to them, and hand-made wakers.
//!
//! Everything a test observes goes into one [`Trace`], in order, so that tests can assert exact sequences such
//! as "one flush request, then nothing until the flush, then the poll".

// Each test file uses a different part of these fixtures.
#![allow(dead_code)]

use std::any::Any;
use std::cell::RefCell;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Wake, Waker};

use godot_tasks_executor::{Executor, FlushOutcome, Host, JoinError, JoinHandle, PanicReport};

/// `normal` in a regular test run, `under_miri` when the tests run under miri (which is far slower).
pub const fn scaled(normal: usize, under_miri: usize) -> usize {
    if cfg!(miri) { under_miri } else { normal }
}

// ---------------------------------------------------------------------------------------------------------------
// The trace and the fake host

/// One observable thing that happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The executor called [`Host::request_flush`].
    FlushRequested,
    /// The executor called [`Host::request_flush_from_other_thread`].
    FlushRequestedFromOtherThread,
    /// The executor called [`Host::report_panic`].
    PanicReported {
        /// [`PanicReport::message`].
        message: String,
        /// The file of [`PanicReport::spawned_at`].
        file: &'static str,
        /// The line of [`PanicReport::spawned_at`].
        line: u32,
    },
    /// Something a test future or a test recorded: `poll:<name>`, `drop:<name>`, or a free-form note.
    Note(String),
    SlowPoll {
        name: Option<String>,
        line: u32,
    },
}

/// The event a [`Probe`] named `name` records when polled.
pub fn poll(name: &str) -> Event {
    Event::Note(format!("poll:{name}"))
}

/// The event a [`Probe`] (or a [`Tracked`] value) named `name` records when dropped.
pub fn dropped(name: &str) -> Event {
    Event::Note(format!("drop:{name}"))
}

/// A free-form note, as recorded by [`Trace::note`].
pub fn note(text: &str) -> Event {
    Event::Note(text.to_owned())
}

/// The event the fake host records for a panic report.
pub fn panic_reported(message: &str, file: &'static str, line: u32) -> Event {
    Event::PanicReported { message: message.to_owned(), file, line }
}

/// The ordered record of everything that happened in one test. Cloning shares the record.
#[derive(Clone, Default)]
pub struct Trace(Arc<Mutex<Vec<Event>>>);

impl Trace {
    fn events(&self) -> std::sync::MutexGuard<'_, Vec<Event>> {
        // A test that failed inside a destructor must not hide its message behind a poisoned lock.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Appends `event`.
    pub fn push(&self, event: Event) {
        self.events().push(event);
    }

    /// Appends a free-form note.
    pub fn note(&self, text: impl Into<String>) {
        self.push(Event::Note(text.into()));
    }

    /// Everything recorded since the last `take`, in order; the trace is empty afterwards.
    pub fn take(&self) -> Vec<Event> {
        std::mem::take(&mut *self.events())
    }

    /// How many times `event` was recorded since the last `take`.
    pub fn count(&self, event: &Event) -> usize {
        self.events().iter().filter(|recorded| *recorded == event).count()
    }

    /// Wraps `future` so that its polls and its drop are recorded under `name` and counted.
    pub fn probe<F: Future>(&self, name: &'static str, future: F) -> (Probe<F>, Counts) {
        let counts = Counts::default();
        let probe = Probe { name, trace: self.clone(), counts: counts.clone(), future: Box::pin(future) };
        (probe, counts)
    }

    /// A value that records `drop:<name>` when dropped (a task output whose drop we want to see).
    pub fn tracked<T>(&self, name: &'static str, value: T) -> Tracked<T> {
        Tracked { name, trace: self.clone(), value }
    }
}

/// A host that does nothing but record every call in a [`Trace`].
pub struct FakeHost {
    trace: Trace,
}

impl Host for FakeHost {
    fn request_flush(&self) {
        self.trace.push(Event::FlushRequested);
    }

    fn request_flush_from_other_thread(&self) {
        self.trace.push(Event::FlushRequestedFromOtherThread);
    }

    fn report_slow_poll(&self, report: &godot_tasks_executor::SlowPoll) {
        assert!(report.took > report.limit);
        self.trace
            .push(Event::SlowPoll { name: report.name.as_deref().map(str::to_owned), line: report.spawned_at.line() });
    }

    fn report_panic(&self, report: &PanicReport) {
        self.trace.push(Event::PanicReported {
            message: report.message.clone(),
            file: report.spawned_at.file(),
            line: report.spawned_at.line(),
        });
    }
}

/// A fresh executor whose host records into the returned trace.
/// The outcome of a flush that found no ready task.
pub const NOTHING_RAN: FlushOutcome = FlushOutcome { polls: 0, rounds: 0, more_work: false };

/// Asserts that nothing happened since the trace was last taken and that the executor has no work: no
/// ready task, and a flush runs nothing.
pub fn assert_nothing_to_do(executor: &Executor, trace: &Trace) {
    assert_eq!(trace.take(), []);
    assert!(!executor.has_ready_work());
    assert_eq!(executor.flush(), NOTHING_RAN);
}

pub fn executor() -> (Executor, Trace) {
    let trace = Trace::default();
    (Executor::new(FakeHost { trace: trace.clone() }), trace)
}

// ---------------------------------------------------------------------------------------------------------------
// Test futures

/// How often a [`Probe`] was polled and dropped. Cloning shares the counters; usable from any thread.
#[derive(Clone, Default, Debug)]
pub struct Counts {
    polls: Arc<AtomicUsize>,
    drops: Arc<AtomicUsize>,
}

impl Counts {
    /// How many times the probe was polled.
    pub fn polls(&self) -> usize {
        self.polls.load(Ordering::SeqCst)
    }

    /// How many times the probe was dropped (0 or 1, unless something is badly wrong).
    pub fn drops(&self) -> usize {
        self.drops.load(Ordering::SeqCst)
    }
}

/// A future that records `poll:<name>` before every poll of the future inside it and `drop:<name>` when
/// dropped (before the future inside it is dropped). Made by [`Trace::probe`].
pub struct Probe<F> {
    name: &'static str,
    trace: Trace,
    counts: Counts,
    future: Pin<Box<F>>,
}

impl<F: Future> Future for Probe<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        this.trace.push(poll(this.name));
        this.counts.polls.fetch_add(1, Ordering::SeqCst);
        this.future.as_mut().poll(cx)
    }
}

impl<F> Drop for Probe<F> {
    fn drop(&mut self) {
        self.trace.push(dropped(self.name));
        self.counts.drops.fetch_add(1, Ordering::SeqCst);
    }
}

/// A value that records `drop:<name>` when dropped. Made by [`Trace::tracked`].
pub struct Tracked<T> {
    name: &'static str,
    trace: Trace,
    /// The value inside.
    pub value: T,
}

impl<T: std::fmt::Debug> std::fmt::Debug for Tracked<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracked").field("name", &self.name).field("value", &self.value).finish()
    }
}

impl<T> Drop for Tracked<T> {
    fn drop(&mut self) {
        self.trace.push(dropped(self.name));
    }
}

/// Runs a closure when dropped: put one inside a future to run code in the future's destructor.
pub struct OnDrop<F: FnOnce()>(Option<F>);

/// A guard that calls `f` when dropped.
pub fn on_drop<F: FnOnce()>(f: F) -> OnDrop<F> {
    OnDrop(Some(f))
}

impl<F: FnOnce()> Drop for OnDrop<F> {
    fn drop(&mut self) {
        if let Some(f) = self.0.take() {
            f();
        }
    }
}

/// A value whose destructor panics with `self.0`.
pub struct PanicOnDrop(pub &'static str);

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        std::panic::panic_any(self.0);
    }
}

/// Returns `Pending` once (waking itself first), then `Ready`: gives the other ready tasks a turn.
pub fn yield_now() -> impl Future<Output = ()> {
    let mut yielded = false;
    std::future::poll_fn(move |cx| {
        if yielded {
            return Poll::Ready(());
        }
        yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    })
}

/// Never completes, and wakes itself every time it is polled: always ready again.
pub fn wake_self_forever() -> impl Future<Output = ()> {
    std::future::poll_fn(|cx| {
        cx.waker().wake_by_ref();
        Poll::Pending
    })
}

/// A future that panics with `payload` when first polled.
pub async fn panic_with<P: Any + Send + 'static>(payload: P) -> u32 {
    std::panic::panic_any(payload)
}

// ---------------------------------------------------------------------------------------------------------------
// Hand-made wakers and events

/// An external event on the executor's thread that tasks can wait for, and that keeps the waker of the last
/// task that waited so a test can wake it by hand. Cloning shares the gate.
#[derive(Clone, Default)]
pub struct Gate(Rc<RefCell<GateState>>);

#[derive(Default)]
struct GateState {
    open: bool,
    waker: Option<Waker>,
}

impl Gate {
    /// Completes once the gate is open; until then stores the polling task's waker and returns `Pending`.
    pub fn wait(&self) -> impl Future<Output = ()> + use<> {
        let gate = self.clone();
        std::future::poll_fn(move |cx| {
            let mut state = gate.0.borrow_mut();
            if state.open {
                Poll::Ready(())
            } else {
                state.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        })
    }

    /// Stores the polling task's waker and completes at once: lets a test wake a task after it finished.
    pub fn capture_waker(&self) -> impl Future<Output = ()> + use<> {
        let gate = self.clone();
        std::future::poll_fn(move |cx| {
            gate.0.borrow_mut().waker = Some(cx.waker().clone());
            Poll::Ready(())
        })
    }

    /// Opens the gate and wakes the task waiting for it.
    pub fn open(&self) {
        let waker = {
            let mut state = self.0.borrow_mut();
            state.open = true;
            state.waker.clone()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Opens the gate without waking anyone: the test wakes the stored waker its own way.
    pub fn open_quietly(&self) {
        self.0.borrow_mut().open = true;
    }

    /// Wakes the stored waker without opening the gate (a spurious wake). Panics if no task waited yet.
    pub fn wake(&self) {
        self.waker().wake();
    }

    /// A clone of the stored waker. Panics if no task waited yet.
    pub fn waker(&self) -> Waker {
        self.0.borrow().waker.clone().expect("no task has polled this gate yet")
    }
}

/// A waker that counts how often it was woken. Usable from any thread.
#[derive(Default)]
pub struct WakeCounter(AtomicUsize);

impl WakeCounter {
    /// A new counter and a waker that increments it.
    pub fn new_waker() -> (Waker, Arc<WakeCounter>) {
        let counter = Arc::new(WakeCounter::default());
        (Waker::from(counter.clone()), counter)
    }

    /// How many times the waker was woken.
    pub fn wakes(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

impl Wake for WakeCounter {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// What a [`waker_with_drop_hook`] waker runs when dropped, with the id of that waker.
type DropHook = (usize, Box<dyn FnOnce()>);

thread_local! {
    /// The destructor hooks of the [`waker_with_drop_hook`] wakers alive on this thread.
    static DROP_HOOKS: RefCell<Vec<DropHook>> = const { RefCell::new(Vec::new()) };
}

/// A waker that does nothing when woken and runs `on_drop` when its last clone is dropped: a foreign waker whose
/// destructor may re-enter the executor. Must be dropped on the thread that made it.
pub fn waker_with_drop_hook(on_drop: impl FnOnce() + 'static) -> Waker {
    static NEXT_ID: AtomicUsize = AtomicUsize::new(0);
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    DROP_HOOKS.with_borrow_mut(|hooks| hooks.push((id, Box::new(on_drop))));
    Waker::from(Arc::new(HookedWaker { id }))
}

/// The state behind a [`waker_with_drop_hook`] waker: only an id, so that it is `Send + Sync` as `Wake`
/// requires, while the hook (which may hold the executor) stays in a thread-local.
struct HookedWaker {
    id: usize,
}

impl Wake for HookedWaker {
    fn wake(self: Arc<Self>) {}
}

impl Drop for HookedWaker {
    fn drop(&mut self) {
        let hook = DROP_HOOKS.with_borrow_mut(|hooks| {
            let at = hooks.iter().position(|(id, _)| *id == self.id).expect("dropped on the thread that made it");
            hooks.swap_remove(at).1
        });
        hook();
    }
}

/// Polls `future` once, by hand, with `waker`.
pub fn poll_with<F: Future + Unpin>(future: &mut F, waker: &Waker) -> Poll<F::Output> {
    Pin::new(future).poll(&mut Context::from_waker(waker))
}

/// Polls `future` once, by hand, with a waker that does nothing.
pub fn poll_once<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
    poll_with(future, Waker::noop())
}

/// Polls a handle whose task is known to be finished, by hand, and returns the outcome.
pub fn outcome<T: 'static>(mut handle: JoinHandle<T>) -> Result<T, JoinError> {
    match poll_once(&mut handle) {
        Poll::Ready(outcome) => outcome,
        Poll::Pending => panic!("the task spawned at {} has not finished", handle.spawned_at()),
    }
}

/// Where the outcome of a task awaited by another task lands. See [`join_in_task`].
pub type JoinSlot<T> = Rc<RefCell<Option<Result<T, JoinError>>>>;

/// Spawns a task that awaits `handle` and puts the outcome in the returned slot: how tests await a handle the
/// way real code does, from another task driven by `flush`.
pub fn join_in_task<T: 'static>(executor: &Executor, handle: JoinHandle<T>) -> JoinSlot<T> {
    let slot: JoinSlot<T> = Rc::default();
    let filled = slot.clone();
    executor
        .spawn(async move {
            let outcome = handle.await;
            *filled.borrow_mut() = Some(outcome);
        })
        .detach();
    slot
}

/// The location of the call to this function.
#[track_caller]
pub fn here() -> &'static Location<'static> {
    Location::caller()
}
