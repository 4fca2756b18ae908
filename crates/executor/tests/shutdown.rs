//! Shutting the executor down, and dropping it: every future is dropped exactly once, on the executor's thread,
//! and nothing runs afterwards.

mod common;

use std::cell::RefCell;
use std::rc::Rc;
use std::thread::{self, ThreadId};

use common::{Gate, NOTHING_RAN, assert_nothing_to_do, dropped, executor, note, on_drop, outcome, poll, poll_once};
use godot_tasks_executor::{Executor, FlushOutcome, JoinHandle};

/// Spawns a task that never finishes and records, when dropped, the thread it was dropped on.
fn spawn_recording_drop_thread(executor: &Executor, threads: &Rc<RefCell<Vec<ThreadId>>>) -> JoinHandle<()> {
    let guard = {
        let threads = threads.clone();
        on_drop(move || threads.borrow_mut().push(thread::current().id()))
    };
    executor.spawn(async move {
        let _guard = guard;
        std::future::pending::<()>().await;
    })
}

#[test]
fn shutdown_drops_every_pending_future_exactly_once_in_task_order() {
    let (executor, trace) = executor();
    let (a, a_counts) = trace.probe("a", std::future::pending::<()>());
    let (b, b_counts) = trace.probe("b", std::future::pending::<()>());
    let _a = executor.spawn(a);
    let _ = executor.flush();
    let _b = executor.spawn(b); // spawned but never polled
    trace.take();

    executor.shutdown();

    assert_eq!(trace.take(), [dropped("a"), dropped("b")]);
    assert_eq!((a_counts.drops(), b_counts.drops()), (1, 1));
    assert_eq!((a_counts.polls(), b_counts.polls()), (1, 0));
    assert_eq!(executor.task_count(), 0);
}

#[test]
fn shutdown_drops_the_futures_on_the_calling_thread() {
    let (executor, _trace) = executor();
    let threads = Rc::new(RefCell::new(Vec::new()));
    let _polled = spawn_recording_drop_thread(&executor, &threads);
    let _ = executor.flush();
    let _queued = spawn_recording_drop_thread(&executor, &threads);

    executor.shutdown();

    assert_eq!(*threads.borrow(), [thread::current().id(); 2]);
}

#[test]
fn handles_of_unfinished_tasks_report_cancelled_after_shutdown() {
    let (executor, _trace) = executor();
    let polled = executor.spawn(std::future::pending::<()>());
    let _ = executor.flush();
    let queued = executor.spawn(std::future::pending::<()>());

    executor.shutdown();

    assert!(polled.is_finished() && queued.is_finished());
    assert!(outcome(polled).unwrap_err().is_cancelled());
    assert!(outcome(queued).unwrap_err().is_cancelled());
}

#[test]
fn shutdown_discards_the_unobserved_outcome_of_a_finished_task() {
    let (executor, trace) = executor();
    let output = trace.tracked("output", 1);
    let handle = executor.spawn(async move { output });
    let _ = executor.flush();
    trace.take();

    executor.shutdown();

    assert_eq!(trace.take(), [dropped("output")]);
    assert!(outcome(handle).unwrap_err().is_cancelled());
}

#[test]
fn spawn_after_shutdown_drops_the_future_at_once_and_returns_a_cancelled_handle() {
    let (executor, trace) = executor();
    executor.shutdown();
    let (future, counts) = trace.probe("late", async { 1 });

    let spawn_line = line!() + 1;
    let handle = executor.spawn(future);

    assert_eq!(trace.take(), [dropped("late")], "dropped inside spawn, and no flush requested");
    assert_eq!(counts.polls(), 0);
    assert!(handle.is_finished());
    assert_eq!(executor.task_count(), 0);
    let error = outcome(handle).unwrap_err();
    assert!(error.is_cancelled());
    assert_eq!((error.started_at().file(), error.started_at().line()), (file!(), spawn_line));
}

#[test]
fn task_spawned_by_a_destructor_during_shutdown_is_dropped_after_that_destructor_and_never_polled() {
    let (executor, trace) = executor();
    let (b, b_counts) = trace.probe("b", std::future::pending::<()>());
    let guard = {
        let executor = executor.clone();
        on_drop(move || executor.spawn(b).detach())
    };
    let (a, _) = trace.probe("a", async move {
        let _guard = guard;
        std::future::pending::<()>().await;
    });
    executor.spawn(a).detach();
    let _ = executor.flush();
    trace.take();

    executor.shutdown();

    assert_eq!(trace.take(), [dropped("a"), dropped("b")]);
    assert_eq!((b_counts.polls(), b_counts.drops()), (0, 1));
    assert_eq!(executor.task_count(), 0);
    assert_eq!(executor.flush(), NOTHING_RAN);
}

#[test]
fn cancel_from_a_destructor_during_shutdown_is_a_noop() {
    let (executor, trace) = executor();
    let (b, b_counts) = trace.probe("b", std::future::pending::<()>());
    let b = executor.spawn(b);
    let guard = on_drop(move || b.cancel());
    let (a, a_counts) = trace.probe("a", async move {
        let _guard = guard;
        std::future::pending::<()>().await;
    });
    executor.spawn(a).detach();
    let _ = executor.flush();
    trace.take();

    executor.shutdown();

    assert_eq!(trace.take(), [dropped("b"), dropped("a")]);
    assert_eq!((a_counts.drops(), b_counts.drops()), (1, 1));
}

#[test]
fn wake_after_shutdown_is_a_noop_and_requests_no_flush() {
    let (executor, trace) = executor();
    let gate = Gate::default();
    let (future, counts) = trace.probe("a", gate.wait());
    let _handle = executor.spawn(future);
    let _ = executor.flush();
    executor.shutdown();
    trace.take();

    gate.wake();

    assert_nothing_to_do(&executor, &trace);
    assert_eq!(counts.polls(), 1);
}

#[test]
fn wake_from_another_thread_after_shutdown_is_a_noop_and_requests_no_flush() {
    let (executor, trace) = executor();
    let gate = Gate::default();
    let _handle = executor.spawn(gate.wait());
    let _ = executor.flush();
    let waker = gate.waker();
    executor.shutdown();
    trace.take();

    thread::spawn(move || waker.wake()).join().unwrap();

    assert_eq!(trace.take(), []);
    assert!(!executor.has_ready_work());
}

#[test]
fn flush_after_shutdown_polls_nothing_even_if_tasks_were_queued() {
    let (executor, trace) = executor();
    let (future, counts) = trace.probe("a", async {});
    executor.spawn(future).detach();
    executor.shutdown();

    let outcome = executor.flush();

    assert_eq!(outcome, NOTHING_RAN);
    assert_eq!(counts.polls(), 0);
    assert!(!executor.has_ready_work());
}

#[test]
fn is_shut_down_tells_whether_shutdown_was_called() {
    let (executor, _trace) = executor();
    assert!(!executor.is_shut_down());

    executor.shutdown();

    assert!(executor.is_shut_down());
}

#[test]
fn second_shutdown_is_a_noop() {
    let (executor, trace) = executor();
    let (future, counts) = trace.probe("a", std::future::pending::<()>());
    executor.spawn(future).detach();
    executor.shutdown();
    trace.take();

    executor.shutdown();

    assert_eq!(trace.take(), []);
    assert_eq!(counts.drops(), 1);
}

#[test]
fn shutdown_from_inside_a_task_drops_the_others_at_once_and_that_task_when_its_poll_returns() {
    let (executor, trace) = executor();
    let (idle, _) = trace.probe("idle", std::future::pending::<()>());
    let idle = executor.spawn(idle);
    let _ = executor.flush();
    let stopper = {
        let (executor, trace) = (executor.clone(), trace.clone());
        async move {
            executor.shutdown();
            trace.note("shutdown returned");
            std::future::pending::<()>().await;
        }
    };
    let (stopper, _) = trace.probe("stopper", stopper);
    let stopper = executor.spawn(stopper);
    let (queued, queued_counts) = trace.probe("queued", async {});
    let queued = executor.spawn(queued);
    trace.take();

    let outcome = executor.flush();

    assert_eq!(
        trace.take(),
        [poll("stopper"), dropped("idle"), dropped("queued"), note("shutdown returned"), dropped("stopper")]
    );
    assert_eq!(outcome, FlushOutcome { polls: 1, rounds: 1, more_work: false });
    assert_eq!(queued_counts.polls(), 0);
    assert_eq!(executor.task_count(), 0);
    for handle in [idle, stopper, queued] {
        assert!(common::outcome(handle).unwrap_err().is_cancelled());
    }
}

#[test]
fn task_that_shuts_the_executor_down_and_then_returns_has_its_output_dropped() {
    let (executor, trace) = executor();
    let output = trace.tracked("output", 1);
    let stopper = {
        let executor = executor.clone();
        async move {
            executor.shutdown();
            output
        }
    };
    let handle = executor.spawn(stopper);
    trace.take();

    let _ = executor.flush();

    assert_eq!(trace.take(), [dropped("output")]);
    assert_eq!(executor.task_count(), 0);
    assert!(outcome(handle).unwrap_err().is_cancelled());
}

#[test]
fn dropping_the_executor_drops_every_future_and_unobserved_output_on_this_thread() {
    let (executor, trace) = executor();
    let threads = Rc::new(RefCell::new(Vec::new()));
    let (idle, _) = trace.probe("idle", std::future::pending::<()>());
    let idle = executor.spawn(idle);
    let output = trace.tracked("output", 1);
    let finished = executor.spawn(async move { output });
    let recorded = spawn_recording_drop_thread(&executor, &threads);
    let _ = executor.flush();
    let (queued, _) = trace.probe("queued", std::future::pending::<()>());
    let queued = executor.spawn(queued);
    trace.take();

    drop(executor);

    assert_eq!(trace.take(), [dropped("idle"), dropped("output"), dropped("queued")]);
    assert_eq!(*threads.borrow(), [thread::current().id()]);
    for handle in [idle, recorded, queued] {
        assert!(handle.is_finished());
        assert!(outcome(handle).unwrap_err().is_cancelled());
    }
    assert!(outcome(finished).unwrap_err().is_cancelled());
}

#[test]
fn dropping_one_clone_of_the_executor_keeps_it_running() {
    let (executor, trace) = executor();
    let clone = executor.clone();
    let (future, counts) = trace.probe("a", async { 3 });
    let mut handle = executor.spawn(future);

    drop(executor);
    let _ = clone.flush();

    assert_eq!(counts.polls(), 1);
    assert_eq!(poll_once(&mut handle), std::task::Poll::Ready(Ok(3)));
}

#[test]
fn shutdown_requests_no_flush() {
    let (executor, trace) = executor();
    executor.spawn(std::future::pending::<()>()).detach();
    let _ = executor.flush();
    trace.take();

    executor.shutdown();

    assert_eq!(trace.take(), []);
}
