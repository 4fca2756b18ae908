//! A storm of wakes from other threads while the executor's thread keeps flushing: no wake is lost, no task
//! is polled without a wake, and finished tasks stay finished.

mod common;

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex, PoisonError};
use std::task::{Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use common::{Event, executor, scaled};
use godot_tasks_executor::{FlushOutcome, JoinError};

const THREADS: usize = scaled(4, 2);
/// Each thread wakes live tasks this many times, and finished tasks as many times again.
const WAKES_PER_THREAD: usize = scaled(100_000, 200);
const LIVE_TASKS: usize = scaled(4, 2);
const FINISHED_TASKS: usize = scaled(4, 2);
/// How many wakes each live task receives (and waits for) in all.
const WAKES_PER_LIVE_TASK: usize = THREADS * WAKES_PER_THREAD / LIVE_TASKS;
const _: () = assert!(WAKES_PER_THREAD.is_multiple_of(LIVE_TASKS), "every live task must get the same number of wakes");
/// If a wake is lost, the task waiting for it never completes: give up after this long.
const TIMEOUT: Duration = Duration::from_secs(if cfg!(miri) { 3600 } else { 60 });

/// The outcomes of the live tasks, in spawn order.
type Outcomes = Vec<Result<usize, JoinError>>;

/// What a task and the test share. The atomics are read and written from any thread.
#[derive(Default)]
struct Shared {
    /// Incremented by a waking thread right before each wake of this task.
    announced: AtomicUsize,
    polls: AtomicUsize,
    completions: AtomicUsize,
    /// Polls that happened after the task had completed.
    polls_after_completion: AtomicUsize,
    /// Polls that no wake explains: poll number `k` (from 1) needs at least `k - 1` announced wakes.
    unexplained_polls: AtomicUsize,
    /// The task's waker, stored by its first poll.
    waker: Mutex<Option<Waker>>,
}

impl Shared {
    fn waker(&self) -> Waker {
        self.waker.lock().unwrap_or_else(PoisonError::into_inner).clone().expect("the task was polled once")
    }
}

/// A task that completes once it has seen `wakes_needed` announced wakes; if the last wake were lost it
/// would never be polled again, so it would never complete.
fn counting_task(shared: Arc<Shared>, wakes_needed: usize) -> impl Future<Output = usize> {
    std::future::poll_fn(move |cx| {
        let polls = shared.polls.fetch_add(1, Ordering::SeqCst) + 1;
        let announced = shared.announced.load(Ordering::SeqCst);
        if shared.completions.load(Ordering::SeqCst) > 0 {
            shared.polls_after_completion.fetch_add(1, Ordering::SeqCst);
        }
        if announced < polls - 1 {
            shared.unexplained_polls.fetch_add(1, Ordering::SeqCst);
        }
        if polls == 1 {
            *shared.waker.lock().unwrap_or_else(PoisonError::into_inner) = Some(cx.waker().clone());
        }
        if announced == wakes_needed {
            shared.completions.fetch_add(1, Ordering::SeqCst);
            Poll::Ready(announced)
        } else {
            Poll::Pending
        }
    })
}

#[test]
fn cross_thread_wake_storm_loses_no_wake_and_never_polls_a_finished_task() {
    let (executor, trace) = executor();
    let live: Vec<Arc<Shared>> = (0..LIVE_TASKS).map(|_| Arc::default()).collect();
    let finished: Vec<Arc<Shared>> = (0..FINISHED_TASKS).map(|_| Arc::default()).collect();
    let live_handles: Vec<_> =
        live.iter().map(|shared| executor.spawn(counting_task(shared.clone(), WAKES_PER_LIVE_TASK))).collect();
    for shared in &finished {
        executor.spawn(counting_task(shared.clone(), 0)).detach();
    }
    let results: Rc<RefCell<Option<Outcomes>>> = Rc::default();
    let collector = {
        let results = results.clone();
        async move {
            let mut outcomes = Vec::new();
            for handle in live_handles {
                outcomes.push(handle.await);
            }
            *results.borrow_mut() = Some(outcomes);
        }
    };
    executor.spawn(collector).detach();
    let _ = executor.flush(); // every task stores its waker; the finished ones complete
    assert!(finished.iter().all(|shared| shared.completions.load(Ordering::SeqCst) == 1));
    trace.take();

    let start = Barrier::new(THREADS + 1);
    thread::scope(|scope| {
        for thread_index in 0..THREADS {
            let live_wakers: Vec<(Arc<Shared>, Waker)> =
                live.iter().map(|shared| (shared.clone(), shared.waker())).collect();
            let finished_wakers: Vec<Waker> = finished.iter().map(|shared| shared.waker()).collect();
            let start = &start;
            scope.spawn(move || {
                start.wait();
                for i in 0..WAKES_PER_THREAD {
                    let (shared, waker) = &live_wakers[(thread_index + i) % LIVE_TASKS];
                    shared.announced.fetch_add(1, Ordering::SeqCst);
                    waker.wake_by_ref();
                    finished_wakers[(thread_index + i) % FINISHED_TASKS].wake_by_ref();
                }
            });
        }

        start.wait();
        let deadline = Instant::now() + TIMEOUT;
        while results.borrow().is_none() {
            assert!(Instant::now() < deadline, "a wake was lost: some task never saw its last wake");
            let _ = executor.flush();
            thread::yield_now();
        }
    });

    let results = results.borrow_mut().take().unwrap();
    assert_eq!(results, vec![Ok(WAKES_PER_LIVE_TASK); LIVE_TASKS]);
    for shared in &live {
        let polls = shared.polls.load(Ordering::SeqCst);
        assert_eq!(shared.completions.load(Ordering::SeqCst), 1);
        assert!((2..=WAKES_PER_LIVE_TASK + 1).contains(&polls), "{polls} polls");
        assert_eq!(shared.unexplained_polls.load(Ordering::SeqCst), 0, "polls without a wake");
        assert_eq!(shared.polls_after_completion.load(Ordering::SeqCst), 0);
    }
    for shared in &finished {
        assert_eq!(shared.polls.load(Ordering::SeqCst), 1, "a finished task was polled again");
        assert_eq!(shared.completions.load(Ordering::SeqCst), 1);
    }
    let events = trace.take();
    assert!(events.contains(&Event::FlushRequestedFromOtherThread));
    assert!(!events.iter().any(|event| matches!(event, Event::PanicReported { .. })), "{events:?}");
    assert_eq!(executor.flush().polls, 0, "nothing is left to poll");
    assert_eq!(executor.task_count(), 0);
}

#[test]
fn wakes_from_other_threads_while_the_executor_flushes_complete_a_task_that_waits_for_all_of_them() {
    let (executor, trace) = executor();
    let shared = Arc::new(Shared::default());
    let wakes = scaled(10_000, 100);
    let handle = executor.spawn(counting_task(shared.clone(), 2 * wakes));
    let _ = executor.flush();
    trace.take();

    thread::scope(|scope| {
        for _ in 0..2 {
            let (shared, waker) = (shared.clone(), shared.waker());
            scope.spawn(move || {
                for _ in 0..wakes {
                    shared.announced.fetch_add(1, Ordering::SeqCst);
                    waker.wake_by_ref();
                }
            });
        }
        let deadline = Instant::now() + TIMEOUT;
        while !handle.is_finished() {
            assert!(Instant::now() < deadline, "the last wake was lost");
            let outcome: FlushOutcome = executor.flush();
            assert!(outcome.polls <= outcome.rounds as usize, "one task, polled twice in a round: {outcome:?}");
            thread::yield_now();
        }
    });

    assert_eq!(common::outcome(handle), Ok(2 * wakes));
    assert_eq!(shared.unexplained_polls.load(Ordering::SeqCst), 0);
    assert!(trace.take().contains(&Event::FlushRequestedFromOtherThread));
}
