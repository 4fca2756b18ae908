//! Attacks on the executor's hand-written memory management, the way a hostile user or a racing thread would
//! make them: references dropped from inside the destructors the executor runs, wakers that panic or run code
//! when cloned, wakers raced against shutdown and drop on other threads, batches of mixed wakers, and handles
//! that outlive everything. Run under miri, these check that no task and no shared state is used after it is
//! freed, freed twice or leaked.

// Only the hand-made waker of `waker_with_clone_hook` needs it.
#![allow(unsafe_code)]

mod common;

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex, PoisonError, mpsc};
use std::task::{Poll, RawWaker, RawWakerVTable, Wake, Waker};
use std::thread::{self, ThreadId};

use common::{Gate, WakeCounter, dropped, executor, on_drop, outcome, poll_once, poll_with, scaled};
use godot_tasks_executor::{Executor, FlushOutcome, Host, JoinHandle};

// ---------------------------------------------------------------------------------------------------------------
// Fixtures

/// A host that records on which thread it was dropped: the executor's shared state (which owns the host) lives
/// as long as the executor or any task allocation, so the host's drop shows when that state was freed.
struct DropWatchHost(Arc<Mutex<Option<ThreadId>>>);

impl Host for DropWatchHost {
    fn request_flush(&self) {}
}

impl Drop for DropWatchHost {
    fn drop(&mut self) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(thread::current().id());
    }
}

/// An executor whose host tells on which thread (if any yet) it was dropped.
fn watched_executor() -> (Executor, Arc<Mutex<Option<ThreadId>>>) {
    let dropped_on = Arc::new(Mutex::new(None));
    (Executor::new(DropWatchHost(dropped_on.clone())), dropped_on)
}

fn host_dropped_on(watch: &Mutex<Option<ThreadId>>) -> Option<ThreadId> {
    *watch.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A foreign waker whose `wake` panics (a waker that, say, borrows a `RefCell` that is already borrowed).
struct PanickingWaker;

impl Wake for PanickingWaker {
    fn wake(self: Arc<Self>) {
        panic!("the waker panicked");
    }
}

fn panicking_waker() -> Waker {
    Waker::from(Arc::new(PanickingWaker))
}

thread_local! {
    /// What the next clone of a [`waker_with_clone_hook`] waker runs.
    static CLONE_HOOK: RefCell<Option<Box<dyn FnOnce()>>> = const { RefCell::new(None) };
}

static CLONE_HOOK_VTABLE: RawWakerVTable = RawWakerVTable::new(hook_clone, hook_noop, hook_noop, hook_noop);

fn hook_clone(_: *const ()) -> RawWaker {
    if let Some(hook) = CLONE_HOOK.with_borrow_mut(Option::take) {
        hook();
    }
    RawWaker::new(std::ptr::null(), &CLONE_HOOK_VTABLE)
}

fn hook_noop(_: *const ()) {}

/// A foreign waker that does nothing, except that its first clone runs `hook`: cloning a waker runs arbitrary
/// code, which may re-enter the executor. Must be cloned on the thread that made it.
fn waker_with_clone_hook(hook: impl FnOnce() + 'static) -> Waker {
    CLONE_HOOK.with_borrow_mut(|slot| *slot = Some(Box::new(hook)));
    // SAFETY: the vtable's functions ignore the (null) data pointer, and `hook_clone` returns a waker with the
    // same vtable; nothing is owned, so nothing can leak or be freed twice.
    unsafe { Waker::from_raw(RawWaker::new(std::ptr::null(), &CLONE_HOOK_VTABLE)) }
}

/// Where a task's output finds its own `JoinHandle`.
type HandleSlot<T> = Rc<RefCell<Option<JoinHandle<T>>>>;

/// A task output whose destructor drops the `JoinHandle` of its own task (taking it from a shared slot), then
/// touches its own fields.
struct DropsOwnHandle {
    handle: HandleSlot<DropsOwnHandle>,
    /// Whether to poll the handle before dropping it.
    poll_first: bool,
    dropped: Rc<Cell<usize>>,
}

impl Drop for DropsOwnHandle {
    fn drop(&mut self) {
        let handle = self.handle.borrow_mut().take();
        if let Some(mut handle) = handle {
            if self.poll_first {
                assert!(poll_once(&mut handle).is_ready(), "a released task's handle is ready");
            } else {
                drop(handle);
            }
        }
        // The output lives in the task's allocation: this must not be freed memory by now.
        self.dropped.set(self.dropped.get() + 1);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Destructors that the executor runs, dropping the references it relies on

/// The task shuts the executor down during its last poll and returns an output whose destructor drops the
/// task's own handle. After shutdown a finished task is released at once, while the handle is still attached,
/// so the handle inherits the live set's reference; the output is dropped afterwards, with that reference the
/// only one left, and dropping the handle from inside that destructor frees the allocation the destructor is
/// still running in.
fn shut_down_in_last_poll_and_drop_own_handle_in_output_destructor(poll_first: bool) {
    let (executor, _trace) = executor();
    let slot: HandleSlot<DropsOwnHandle> = Rc::default();
    let dropped = Rc::new(Cell::new(0));
    let task = {
        let (executor, slot, dropped) = (executor.clone(), slot.clone(), dropped.clone());
        async move {
            executor.shutdown();
            DropsOwnHandle { handle: slot, poll_first, dropped }
        }
    };
    *slot.borrow_mut() = Some(executor.spawn(task));

    let _ = executor.flush();

    assert_eq!(dropped.get(), 1);
    assert!(slot.borrow().is_none());
    assert_eq!(executor.task_count(), 0);
}

#[test]
fn output_destructor_that_drops_its_own_handle_after_shutdown_in_the_last_poll() {
    shut_down_in_last_poll_and_drop_own_handle_in_output_destructor(false);
}

#[test]
fn output_destructor_that_polls_its_own_handle_after_shutdown_in_the_last_poll() {
    shut_down_in_last_poll_and_drop_own_handle_in_output_destructor(true);
}

/// The same destructor when the finished task is released by a `shutdown` called from outside, or by the
/// executor's drop: those hold a reference of their own to every task they release, so this is safe.
#[test]
fn output_destructor_that_drops_its_own_handle_during_shutdown_or_executor_drop() {
    for shut_down_first in [true, false] {
        for poll_first in [false, true] {
            let (executor, _trace) = executor();
            let slot: HandleSlot<DropsOwnHandle> = Rc::default();
            let dropped = Rc::new(Cell::new(0));
            let output = DropsOwnHandle { handle: slot.clone(), poll_first, dropped: dropped.clone() };
            *slot.borrow_mut() = Some(executor.spawn(async move { output }));
            let _ = executor.flush();
            assert_eq!(dropped.get(), 0, "kept for the handle");

            if shut_down_first {
                executor.shutdown();
            } else {
                drop(executor);
            }

            assert_eq!(dropped.get(), 1);
            assert!(slot.borrow().is_none());
        }
    }
}

/// Handles (of named tasks, so that they have side-table entries and go the long way) dropped by a future's
/// destructor while the executor itself is being dropped: the first task's destructor releases a finished task
/// and detaches an idle one in the middle of the executor's own walk over its tasks.
#[test]
fn handles_dropped_by_destructors_while_the_executor_drops() {
    let (executor, trace) = executor();
    let handles: Rc<RefCell<Vec<Box<dyn Any>>>> = Rc::default();
    let guard = {
        let handles = handles.clone();
        on_drop(move || drop(std::mem::take(&mut *handles.borrow_mut())))
    };
    executor
        .spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        })
        .detach();
    let output = trace.tracked("finished output", ());
    handles.borrow_mut().push(Box::new(executor.spawn_named("finished", async move { output })));
    let (idle, idle_counts) = trace.probe("idle", std::future::pending::<()>());
    handles.borrow_mut().push(Box::new(executor.spawn_named("idle", idle)));
    let _ = executor.flush();
    trace.take();

    drop(executor);

    assert_eq!(trace.take(), [dropped("finished output"), dropped("idle")]);
    assert_eq!(idle_counts.drops(), 1);
    assert!(handles.borrow().is_empty());
}

/// An output whose destructor spawns while `shutdown` releases its task: the spawn is refused, and its future
/// is dropped on this thread, once, by the shutdown's drop loop.
#[test]
fn output_destructor_that_spawns_during_shutdown() {
    let (executor, trace) = executor();
    let (late, late_counts) = trace.probe("late", async {});
    let spawner = {
        let executor = executor.clone();
        on_drop(move || {
            let handle = executor.spawn(late);
            assert!(handle.is_finished(), "refused after shutdown");
        })
    };
    let handle = executor.spawn(async move { spawner });
    let _ = executor.flush();
    trace.take();

    executor.shutdown();

    assert_eq!(trace.take(), [dropped("late")]);
    assert_eq!((late_counts.polls(), late_counts.drops()), (0, 1));
    assert!(outcome(handle).is_err_and(|error| error.is_cancelled()));
}

// ---------------------------------------------------------------------------------------------------------------
// Wakers that run code: a waker that panics, or runs code when cloned

/// A task's handle awaited with a waker that panics when woken; the task finishes in a flush in which another
/// task is ready after it. The panic leaves the flush, and the rest of the batch (already marked as no longer
/// waiting for a wake, and not yet polled) must not be lost.
#[test]
fn panicking_join_waker_does_not_lose_the_rest_of_the_flush() {
    let (executor, trace) = executor();
    let mut first = executor.spawn(async { 1 });
    assert!(poll_with(&mut first, &panicking_waker()).is_pending());
    let (second, second_counts) = trace.probe("second", async { 2 });
    let second = executor.spawn(second);

    let flushed = catch_unwind(AssertUnwindSafe(|| executor.flush()));
    // Whether or not the waker's panic leaves `flush` (the docs promise panics are caught per task), the second
    // task must run: now, or in the next flush.
    let _ = executor.flush();

    assert_eq!(second_counts.polls(), 1, "the second task was never polled");
    assert_eq!(outcome(second), Ok(2));
    assert!(flushed.is_ok(), "the waker's panic left flush");
}

/// The same panicking waker while the executor is dropped: the waker is woken from the executor's destructor,
/// with other tasks still to be dropped after it. A waker of one of those tasks outlives the executor.
#[test]
fn panicking_join_waker_while_the_executor_drops() {
    let (executor, trace) = executor();
    let mut awaited = executor.spawn(std::future::pending::<()>());
    assert!(poll_with(&mut awaited, &panicking_waker()).is_pending());
    let gate = Gate::default();
    let (later, later_counts) = trace.probe("later", gate.wait());
    executor.spawn(later).detach();
    let _ = executor.flush();
    let waker = gate.waker(); // keeps the later task's allocation, and so the executor's shared state

    let dropped = catch_unwind(AssertUnwindSafe(move || drop(executor)));
    let later_dropped = later_counts.drops();
    // Under miri, this is where the freed shared state is used.
    waker.wake_by_ref();
    drop(waker);
    drop(awaited);

    assert_eq!(later_dropped, 1, "the later task's future was never dropped");
    assert!(dropped.is_ok(), "the waker's panic left the executor's drop");
}

/// A join waker whose clone spawns a named task (which writes the side table the clone is made under).
#[test]
fn join_waker_whose_clone_spawns_a_named_task_does_not_panic() {
    let (executor, trace) = executor();
    let mut handle = executor.spawn(std::future::pending::<()>());
    let (spawned, spawned_counts) = trace.probe("spawned", async {});
    let waker = {
        let executor = executor.clone();
        waker_with_clone_hook(move || executor.spawn_named("from a waker's clone", spawned).detach())
    };

    let polled = catch_unwind(AssertUnwindSafe(|| poll_with(&mut handle, &waker)));

    assert!(matches!(polled, Ok(Poll::Pending)), "polling the handle panicked");
    let _ = executor.flush();
    assert_eq!(spawned_counts.polls(), 1);
}

/// A join waker whose clone drops the handle of another (named, finished) task, which removes that task's
/// side-table entry.
#[test]
fn join_waker_whose_clone_drops_another_named_handle_does_not_panic() {
    let (executor, trace) = executor();
    let mut handle = executor.spawn(std::future::pending::<()>());
    let other = {
        let output = trace.tracked("other output", ());
        executor.spawn_named("other", async move { output })
    };
    let _ = executor.flush();
    trace.take();
    let waker = waker_with_clone_hook(move || drop(other));

    let polled = catch_unwind(AssertUnwindSafe(|| poll_with(&mut handle, &waker)));

    assert!(matches!(polled, Ok(Poll::Pending)), "polling the handle panicked");
    assert_eq!(trace.take(), [dropped("other output")]);
}

// ---------------------------------------------------------------------------------------------------------------
// Who frees the shared state, and when

/// Every kind of reference that can outlive the executor (a waker, a join handle, a cancel handle) keeps the
/// shared state (and so the host) alive exactly until the last one goes, wherever that is.
#[test]
fn the_last_reference_of_any_kind_frees_the_shared_state_after_the_executor() {
    let here = thread::current().id();

    // A cancel handle, after the join handle and the executor.
    let (executor, watch) = watched_executor();
    let handle = executor.spawn(std::future::pending::<()>());
    let canceller = handle.cancel_handle();
    let _ = executor.flush();
    drop(handle);
    drop(executor);
    assert_eq!(host_dropped_on(&watch), None, "a cancel handle still holds the task");
    canceller.cancel(); // a no-op by now
    let clone = canceller.clone();
    drop(canceller);
    assert_eq!(host_dropped_on(&watch), None);
    drop(clone);
    assert_eq!(host_dropped_on(&watch), Some(here));

    // A join handle that inherited the live set's reference.
    let (executor, watch) = watched_executor();
    let mut handle = executor.spawn(async { 5 });
    let _ = executor.flush();
    drop(executor);
    assert_eq!(host_dropped_on(&watch), None, "the join handle still holds the task");
    assert!(poll_once(&mut handle).is_ready());
    assert_eq!(host_dropped_on(&watch), Some(here), "polling gave the reference up");
    drop(handle);

    // A waker, last dropped on another thread.
    let (executor, watch) = watched_executor();
    let gate = Gate::default();
    executor.spawn(gate.wait()).detach();
    let _ = executor.flush();
    let waker = gate.waker();
    drop(gate);
    drop(executor);
    assert_eq!(host_dropped_on(&watch), None, "the waker still holds the task");
    let other = thread::spawn(move || {
        waker.wake_by_ref();
        drop(waker);
        thread::current().id()
    })
    .join()
    .unwrap();
    assert_eq!(host_dropped_on(&watch), Some(other));

    // No reference left when the executor goes: it frees the state itself.
    let (executor, watch) = watched_executor();
    executor.spawn(async {}).detach();
    let finished = executor.spawn(async {});
    let _ = executor.flush();
    drop(finished);
    drop(executor);
    assert_eq!(host_dropped_on(&watch), Some(here));
}

/// A task clones its waker in its last poll and hands it to another thread, which wakes it (by reference or by
/// value) and drops it while the executor retires and releases the task, then drops itself. Whichever side
/// drops the last reference frees the task, exactly once, after every use of it.
#[test]
fn waker_cloned_in_the_last_poll_races_the_release_of_its_task() {
    for round in 0..scaled(200, 6) {
        let (executor, watch) = watched_executor();
        let (send, receive) = mpsc::channel::<Waker>();
        let by_value = round % 2 == 0;
        let racer = thread::spawn(move || {
            let waker = receive.recv().unwrap();
            if by_value {
                waker.wake();
            } else {
                waker.wake_by_ref();
                drop(waker);
            }
        });
        let mut handle = Some(executor.spawn(std::future::poll_fn(move |cx| {
            send.send(cx.waker().clone()).unwrap();
            Poll::Ready(round)
        })));
        if round % 3 == 0 {
            drop(handle.take()); // released as soon as it finishes
        }
        let _ = executor.flush();
        drop(executor);
        drop(handle);
        racer.join().unwrap();
        assert!(host_dropped_on(&watch).is_some(), "round {round}: the shared state was never freed");
    }
}

/// A task that panics after cloning its waker for another thread: the thread wakes it over and over while the
/// executor reports the panic, releases the task and is dropped.
#[test]
fn waker_of_a_task_that_panicked_woken_from_another_thread_during_the_executor_drop() {
    for _ in 0..scaled(50, 3) {
        let (executor, watch) = watched_executor();
        let (send, receive) = mpsc::channel::<Waker>();
        let stop = Arc::new(AtomicBool::new(false));
        let racer = {
            let stop = stop.clone();
            thread::spawn(move || {
                let waker = receive.recv().unwrap();
                let mut wakes = 0;
                while !stop.load(Ordering::SeqCst) || wakes < 3 {
                    // By value on purpose: a wake that gives up the waker's reference in the same step.
                    #[allow(clippy::waker_clone_wake)]
                    waker.clone().wake();
                    waker.wake_by_ref();
                    wakes += 1;
                    thread::yield_now();
                }
            })
        };
        let handle = executor.spawn(std::future::poll_fn(move |cx| -> Poll<()> {
            send.send(cx.waker().clone()).unwrap();
            panic!("after cloning the waker");
        }));
        let _ = executor.flush();
        assert!(outcome(handle).unwrap_err().is_panic());
        drop(executor);
        stop.store(true, Ordering::SeqCst);
        racer.join().unwrap();
        assert!(host_dropped_on(&watch).is_some());
    }
}

/// Threads clone, wake and drop the wakers of live and finished tasks without pause while the executor's thread
/// flushes, shuts down and drops the executor.
#[test]
fn wakers_stormed_from_other_threads_across_shutdown_and_drop() {
    for round in 0..scaled(40, 2) {
        let (executor, watch) = watched_executor();
        let gates: Vec<Gate> = (0..3).map(|_| Gate::default()).collect();
        let mut handles = Vec::new();
        for gate in &gates {
            handles.push(executor.spawn(gate.wait()));
        }
        let finished = Gate::default();
        handles.push(executor.spawn(finished.capture_waker()));
        let _ = executor.flush();
        let wakers: Vec<Waker> = gates.iter().chain([&finished]).map(Gate::waker).collect();
        drop((gates, finished));
        let start = Arc::new(Barrier::new(3));
        let stop = Arc::new(AtomicBool::new(false));
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let (wakers, start, stop) = (wakers.clone(), start.clone(), stop.clone());
                thread::spawn(move || {
                    start.wait();
                    let mut batch = Vec::new();
                    while !stop.load(Ordering::SeqCst) {
                        for waker in &wakers {
                            waker.wake_by_ref();
                            batch.push(waker.clone());
                        }
                        Executor::wake_all(&mut batch);
                        thread::yield_now();
                    }
                    drop(wakers);
                })
            })
            .collect();
        drop(wakers);
        start.wait();

        let _ = executor.flush();
        if round % 2 == 0 {
            executor.shutdown();
            let _ = executor.flush();
        }
        drop(executor);
        stop.store(true, Ordering::SeqCst);
        for thread in threads {
            thread.join().unwrap();
        }
        for handle in handles {
            assert!(handle.is_finished());
        }
        assert!(host_dropped_on(&watch).is_some(), "round {round}: the shared state was never freed");
    }
}

// ---------------------------------------------------------------------------------------------------------------
// wake_all with every kind of waker, and two executors on one thread

/// `wake_all` with wakers of the executor that holds this thread's local lane (live ones, one twice, one of a
/// finished task), of a second executor on the same thread, of a dropped executor, and a foreign one: each live
/// task is polled once, by its own executor, and nothing else happens.
#[test]
fn wake_all_with_a_mix_of_own_other_dead_and_foreign_wakers() {
    // A fresh thread, so that the first executor made here is certainly the one that holds its local lane.
    thread::spawn(|| {
        let (first, first_trace) = executor();
        let (second, second_trace) = executor();
        let dead_gate = Gate::default();
        {
            let (dead, _) = executor();
            dead.spawn(dead_gate.wait()).detach();
            let _ = dead.flush();
        }
        let gates: Vec<Gate> = (0..3).map(|_| Gate::default()).collect();
        let (a, a_counts) = first_trace.probe("a", gates[0].wait());
        let (b, b_counts) = first_trace.probe("b", gates[1].wait());
        let (c, c_counts) = second_trace.probe("c", gates[2].wait());
        let (a, b, c) = (first.spawn(a), first.spawn(b), second.spawn(c));
        let finished_gate = Gate::default();
        let (finished, finished_counts) = first_trace.probe("finished", finished_gate.capture_waker());
        let finished = first.spawn(finished);
        let _ = first.flush();
        let _ = second.flush();
        first_trace.take();
        second_trace.take();
        let (foreign, foreign_counter) = WakeCounter::new_waker();

        let mut wakers = vec![
            gates[2].waker(),
            gates[0].waker(),
            foreign,
            gates[0].waker(),
            finished_gate.waker(),
            dead_gate.waker(),
            gates[1].waker(),
        ];
        let capacity = wakers.capacity();
        Executor::wake_all(&mut wakers);

        assert!(wakers.is_empty());
        assert_eq!(wakers.capacity(), capacity);
        assert_eq!(foreign_counter.wakes(), 1);
        assert_eq!(first_trace.take(), [common::Event::FlushRequested]);
        assert_eq!(second_trace.take(), [common::Event::FlushRequested]);
        assert_eq!(first.flush(), FlushOutcome { polls: 2, rounds: 1, more_work: false });
        assert_eq!(second.flush(), FlushOutcome { polls: 1, rounds: 1, more_work: false });
        assert_eq!((a_counts.polls(), b_counts.polls(), c_counts.polls(), finished_counts.polls()), (2, 2, 2, 1));
        for gate in &gates {
            gate.open();
        }
        let _ = first.flush();
        let _ = second.flush();
        assert_eq!(outcome(a), Ok(()));
        assert_eq!(outcome(b), Ok(()));
        assert_eq!(outcome(c), Ok(()));
        assert_eq!(outcome(finished), Ok(()));
    })
    .join()
    .unwrap();
}

/// `wake_all` from inside a task, while its executor flushes: the tasks it wakes run in the next round of that
/// flush, without a flush request; a task that wakes itself through it too.
#[test]
fn wake_all_from_inside_a_flush() {
    thread::spawn(|| {
        let (executor, trace) = executor();
        let gate = Gate::default();
        let (waiter, waiter_counts) = trace.probe("waiter", gate.wait());
        executor.spawn(waiter).detach();
        let _ = executor.flush();
        let waiter_waker = gate.waker();
        let polls = Rc::new(Cell::new(0));
        let waker_of_waiter = RefCell::new(Some(waiter_waker));
        let counted = polls.clone();
        executor
            .spawn(std::future::poll_fn(move |cx| {
                counted.set(counted.get() + 1);
                if counted.get() == 2 {
                    return Poll::Ready(());
                }
                let mut batch: Vec<Waker> = waker_of_waiter.borrow_mut().take().into_iter().collect();
                batch.push(cx.waker().clone());
                Executor::wake_all(&mut batch);
                Poll::Pending
            }))
            .detach();
        trace.take();

        let flushed = executor.flush();

        assert_eq!(flushed, FlushOutcome { polls: 3, rounds: 2, more_work: false });
        assert_eq!((polls.get(), waiter_counts.polls()), (2, 2));
        assert_eq!(trace.take(), [common::poll("waiter")], "no flush request from inside the flush");
    })
    .join()
    .unwrap();
}

/// The executor holding the thread's local lane goes (with its wakes still on the lane) while a second one
/// lives on; a third one made afterwards takes the lane. Wakes of each reach the right executor, those of the
/// dead one do nothing, and the entries left on the lane are freed.
#[test]
fn local_lane_changes_hands_between_executors_on_one_thread() {
    thread::spawn(|| {
        let (first, _first_trace) = executor();
        let (second, second_trace) = executor();
        let first_gate = Gate::default();
        let (first_task, first_counts) = second_trace.probe("first", first_gate.wait());
        first.spawn(first_task).detach();
        let second_gate = Gate::default();
        let (second_task, second_counts) = second_trace.probe("second", second_gate.wait());
        let second_task = second.spawn(second_task);
        let _ = first.flush();
        let _ = second.flush();
        let mut batch = vec![first_gate.waker(), second_gate.waker()];
        Executor::wake_all(&mut batch); // the first task's entry sits on the lane
        drop(first);
        assert_eq!(first_counts.drops(), 1);

        let (third, _third_trace) = executor();
        let third_gate = Gate::default();
        let (third_task, third_counts) = second_trace.probe("third", third_gate.wait());
        let third_task = third.spawn(third_task);
        let _ = third.flush();
        let mut batch = vec![first_gate.waker(), third_gate.waker(), second_gate.waker()];
        Executor::wake_all(&mut batch);
        first_gate.wake();

        assert_eq!(second.flush(), FlushOutcome { polls: 1, rounds: 1, more_work: false });
        assert_eq!(third.flush(), FlushOutcome { polls: 1, rounds: 1, more_work: false });
        assert_eq!((first_counts.polls(), second_counts.polls(), third_counts.polls()), (1, 2, 2));
        second_gate.open();
        third_gate.open();
        let _ = second.flush();
        let _ = third.flush();
        assert_eq!(outcome(second_task), Ok(()));
        assert_eq!(outcome(third_task), Ok(()));
    })
    .join()
    .unwrap();
}

/// Threads that each have their own executor (holding their own local lane) call `wake_all` with a mix of
/// their own wakers and wakers of the main thread's executor, while the main thread flushes and then drops its
/// executor.
#[test]
fn wake_all_on_threads_with_their_own_executor_mixing_in_a_remote_executors_wakers() {
    const WAKES: usize = scaled(200, 4);
    for _ in 0..scaled(10, 1) {
        let (executor, watch) = watched_executor();
        let gate = Gate::default();
        let remote_polls = Arc::new(AtomicUsize::new(0));
        let counted = remote_polls.clone();
        executor
            .spawn(std::future::poll_fn(move |_| {
                counted.fetch_add(1, Ordering::SeqCst);
                Poll::<()>::Pending
            }))
            .detach();
        executor.spawn(gate.wait()).detach();
        let _ = executor.flush();
        let remote = gate.waker();
        let start = Arc::new(Barrier::new(3));
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let (remote, start) = (remote.clone(), start.clone());
                thread::spawn(move || {
                    let (local, _trace) = common::executor();
                    let polls = Rc::new(Cell::new(0));
                    let local_waker: Rc<RefCell<Option<Waker>>> = Rc::default();
                    let (counted, stored) = (polls.clone(), local_waker.clone());
                    local
                        .spawn(std::future::poll_fn(move |cx| {
                            counted.set(counted.get() + 1);
                            *stored.borrow_mut() = Some(cx.waker().clone());
                            Poll::<()>::Pending
                        }))
                        .detach();
                    let _ = local.flush();
                    start.wait();
                    let mut batch = Vec::new();
                    for _ in 0..WAKES {
                        batch.push(remote.clone());
                        batch.push(local_waker.borrow().clone().expect("polled once"));
                        batch.push(remote.clone());
                        Executor::wake_all(&mut batch);
                        assert_eq!(local.flush().polls, 1, "the local task was woken once per batch");
                    }
                    assert_eq!(polls.get(), WAKES + 1);
                })
            })
            .collect();
        drop(remote);
        start.wait();
        for _ in 0..3 {
            let _ = executor.flush();
            thread::yield_now();
        }
        drop(executor);
        for thread in threads {
            thread.join().unwrap();
        }
        drop(gate);
        assert!(host_dropped_on(&watch).is_some());
    }
}

thread_local! {
    /// Where `executor_in_a_thread_local_dropped_at_thread_exit` keeps its executor, as a game runtime would.
    static KEPT: RefCell<Option<(Executor, Vec<JoinHandle<()>>)>> = const { RefCell::new(None) };
}

/// An executor kept in a thread-local is dropped when its thread exits, with tasks queued on the thread's local
/// lane (itself a thread-local, destroyed before or after the executor depending on which was first used) and
/// a waker sent to another thread. Every future is dropped once, and the last reference frees the shared
/// state, wherever it goes.
#[test]
fn executor_in_a_thread_local_dropped_at_thread_exit() {
    for lane_destroyed_first in [false, true] {
        let (send, receive) = mpsc::channel();
        let drops = Arc::new(AtomicUsize::new(0));
        let counted = drops.clone();
        let owner = thread::spawn(move || {
            if lane_destroyed_first {
                // Registers this thread-local's destructor before the lane's: destructors run in reverse order.
                KEPT.with_borrow(|_| {});
            }
            let (executor, watch) = watched_executor();
            let gates: Vec<Gate> = (0..3).map(|_| Gate::default()).collect();
            let mut handles = Vec::new();
            for gate in &gates {
                let guard = {
                    let counted = counted.clone();
                    on_drop(move || {
                        counted.fetch_add(1, Ordering::SeqCst);
                    })
                };
                let wait = gate.wait();
                handles.push(executor.spawn(async move {
                    let _guard = guard;
                    wait.await;
                }));
            }
            let _ = executor.flush();
            let mut batch: Vec<Waker> = gates.iter().map(Gate::waker).collect();
            send.send((gates[0].waker(), watch)).unwrap();
            Executor::wake_all(&mut batch); // queued on the local lane, never flushed
            drop(gates);
            KEPT.with_borrow_mut(|kept| *kept = Some((executor, handles)));
        });
        let (waker, watch) = receive.recv().unwrap();
        owner.join().unwrap();

        assert_eq!(drops.load(Ordering::SeqCst), 3, "every future was dropped at thread exit");
        waker.wake_by_ref();
        assert_eq!(host_dropped_on(&watch), None, "the waker still holds its task");
        drop(waker);
        assert_eq!(host_dropped_on(&watch), Some(thread::current().id()));
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Handles used from inside their own task

/// A task awaits its own handle (its own waker becomes its join waker), then returns on a later poll: the
/// handle gets the value, and the task's wake of its own retired self does nothing.
#[test]
fn task_that_polls_its_own_handle_then_returns() {
    let (executor, _trace) = executor();
    let slot: HandleSlot<u32> = Rc::default();
    let gate = Gate::default();
    let task = {
        let (slot, gate) = (slot.clone(), gate.clone());
        let mut polled_own = false;
        std::future::poll_fn(move |cx| {
            if !polled_own {
                polled_own = true;
                let mut own = slot.borrow_mut();
                let own = own.as_mut().expect("the handle is in the slot");
                assert!(poll_with(own, cx.waker()).is_pending(), "a running task is not finished");
            }
            match std::pin::pin!(gate.wait()).poll(cx) {
                Poll::Ready(()) => Poll::Ready(9),
                Poll::Pending => Poll::Pending,
            }
        })
    };
    *slot.borrow_mut() = Some(executor.spawn_named("self-joiner", task));
    let _ = executor.flush();

    gate.open();
    let flushed = executor.flush();

    assert_eq!(flushed, FlushOutcome { polls: 1, rounds: 1, more_work: false }, "its own wake is a no-op");
    let handle = slot.borrow_mut().take().unwrap();
    assert_eq!(outcome(handle), Ok(9));
    assert_eq!(executor.task_count(), 0);
}

/// A named task (so that its handle goes the long way) drops its own handle, and a clone of its cancel handle,
/// from inside its poll, then returns: it is released with its output dropped.
#[test]
fn task_that_drops_its_own_handle_and_cancels_itself_from_inside_its_poll() {
    let (executor, trace) = executor();
    let slot: HandleSlot<common::Tracked<()>> = Rc::default();
    let output = trace.tracked("output", ());
    let task = {
        let slot = slot.clone();
        async move {
            let handle = slot.borrow_mut().take().unwrap();
            let canceller = handle.cancel_handle();
            drop(handle);
            canceller.cancel();
            canceller.clone().cancel();
            output
        }
    };
    *slot.borrow_mut() = Some(executor.spawn_named("self-dropper", task));
    trace.take();

    let _ = executor.flush();

    assert_eq!(trace.take(), [dropped("output")], "it returned in the poll that cancelled it");
    assert_eq!(executor.task_count(), 0);
}

/// The wakers of one task are interchangeable (`will_wake`), on any thread; the wakers of two tasks, even one
/// spawned after the other finished, never are.
#[test]
fn will_wake_tells_tasks_apart() {
    let (executor, _trace) = executor();
    let (first, second) = (Gate::default(), Gate::default());
    executor.spawn(first.capture_waker()).detach();
    let _ = executor.flush();
    executor.spawn(second.wait()).detach();
    let _ = executor.flush();
    let (a, b) = (first.waker(), second.waker());
    let a_elsewhere = thread::spawn({
        let a = a.clone();
        move || a.clone()
    })
    .join()
    .unwrap();

    assert!(a.will_wake(&a_elsewhere) && a_elsewhere.will_wake(&first.waker()));
    assert!(!a.will_wake(&b) && !b.will_wake(&a_elsewhere));
    assert!(!a.will_wake(Waker::noop()));
}
