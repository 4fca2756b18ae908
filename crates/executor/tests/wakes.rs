//! Waking tasks: many wakes cost one poll, and a wake that comes too late does nothing.

mod common;

use std::thread;

use common::{Event, Gate, assert_nothing_to_do, executor, poll, scaled};
use godot_tasks_executor::FlushOutcome;

#[test]
fn many_wakes_before_a_flush_cause_exactly_one_poll_and_one_flush_request() {
    let (executor, trace) = executor();
    let gate = Gate::default();
    let (future, counts) = trace.probe("a", gate.wait());
    executor.spawn(future).detach();
    let _ = executor.flush();
    trace.take();

    for _ in 0..scaled(1000, 100) {
        gate.wake();
    }

    assert_eq!(trace.take(), [Event::FlushRequested]);
    let outcome = executor.flush();
    assert_eq!(outcome, FlushOutcome { polls: 1, rounds: 1, more_work: false });
    assert_eq!(counts.polls(), 2);
}

#[test]
fn wake_of_an_already_queued_task_requests_nothing_and_adds_no_poll() {
    let (executor, trace) = executor();
    let gate = Gate::default();
    let (future, counts) = trace.probe("a", gate.wait());
    executor.spawn(future).detach();
    let _ = executor.flush();
    gate.wake();
    trace.take();

    gate.wake(); // already queued by the first wake

    assert_eq!(trace.take(), []);
    let _ = executor.flush();
    assert_eq!(counts.polls(), 2);
}

#[test]
fn wake_after_completion_is_a_noop() {
    let (executor, trace) = executor();
    let gate = Gate::default();
    let (future, counts) = trace.probe("a", gate.capture_waker());
    let handle = executor.spawn(future);
    let _ = executor.flush();
    assert!(handle.is_finished());
    trace.take();

    gate.wake();

    assert_nothing_to_do(&executor, &trace);
    assert_eq!(counts.polls(), 1);
}

#[test]
fn wake_after_cancellation_is_a_noop() {
    let (executor, trace) = executor();
    let gate = Gate::default();
    let (future, counts) = trace.probe("a", gate.wait());
    let handle = executor.spawn(future);
    let _ = executor.flush();
    handle.cancel();
    let _ = executor.flush();
    assert!(handle.is_finished());
    trace.take();

    gate.wake();

    assert_nothing_to_do(&executor, &trace);
    assert_eq!(counts.polls(), 1);
}

#[test]
fn wake_after_the_outcome_was_taken_is_a_noop() {
    let (executor, trace) = executor();
    let gate = Gate::default();
    let handle = executor.spawn(gate.capture_waker());
    let _ = executor.flush();
    assert_eq!(common::outcome(handle), Ok(()));
    trace.take();

    gate.wake();

    assert_eq!(trace.take(), []);
    assert!(!executor.has_ready_work());
}

#[test]
fn wake_from_another_thread_asks_the_host_through_request_flush_from_other_thread() {
    let (executor, trace) = executor();
    let gate = Gate::default();
    let (future, counts) = trace.probe("a", gate.wait());
    executor.spawn(future).detach();
    let _ = executor.flush();
    trace.take();
    let waker = gate.waker();

    thread::spawn(move || waker.wake()).join().unwrap();

    assert_eq!(trace.take(), [Event::FlushRequestedFromOtherThread]);
    assert!(executor.has_ready_work());
    assert_eq!(counts.polls(), 1, "nothing is polled on the waking thread");
    let outcome = executor.flush();
    assert_eq!(outcome, FlushOutcome { polls: 1, rounds: 1, more_work: false });
    assert_eq!(trace.take(), [poll("a")]);
}

#[test]
fn many_wakes_from_another_thread_before_a_flush_cause_one_request_and_one_poll() {
    let (executor, trace) = executor();
    let gate = Gate::default();
    let (future, counts) = trace.probe("a", gate.wait());
    executor.spawn(future).detach();
    let _ = executor.flush();
    trace.take();
    let waker = gate.waker();

    thread::spawn(move || {
        for _ in 0..scaled(1000, 100) {
            waker.wake_by_ref();
        }
    })
    .join()
    .unwrap();

    assert_eq!(trace.take(), [Event::FlushRequestedFromOtherThread]);
    assert_eq!(executor.flush(), FlushOutcome { polls: 1, rounds: 1, more_work: false });
    assert_eq!(counts.polls(), 2);
}

#[test]
fn wake_from_another_thread_after_a_flush_asks_the_host_again() {
    let (executor, trace) = executor();
    let gate = Gate::default();
    executor.spawn(gate.wait()).detach();
    let _ = executor.flush();
    let waker = gate.waker();
    let remote = waker.clone();
    thread::spawn(move || remote.wake()).join().unwrap();
    let _ = executor.flush();
    trace.take();

    thread::spawn(move || waker.wake()).join().unwrap();

    assert_eq!(trace.take(), [Event::FlushRequestedFromOtherThread]);
}

#[test]
fn wake_of_a_finished_task_from_another_thread_is_a_noop() {
    let (executor, trace) = executor();
    let gate = Gate::default();
    executor.spawn(gate.capture_waker()).detach();
    let _ = executor.flush();
    trace.take();
    let waker = gate.waker();

    thread::spawn(move || waker.wake()).join().unwrap();

    assert_eq!(trace.take(), []);
    assert!(!executor.has_ready_work());
}

#[test]
fn waker_that_outlives_its_executor_is_harmless_on_any_thread() {
    let (executor, trace) = executor();
    let gate = Gate::default();
    executor.spawn(gate.wait()).detach();
    let _ = executor.flush();
    let waker = gate.waker();
    drop(executor);
    trace.take();

    waker.wake_by_ref();
    thread::spawn(move || waker.wake()).join().unwrap();

    assert_eq!(trace.take(), []);
}

#[test]
fn wakers_dropped_on_other_threads_while_the_executor_drops_free_everything_once() {
    // The shared state lives as long as the executor or any task; whichever of the two goes last frees it.
    // Miri checks that it is freed exactly once, and never used after.
    for _ in 0..if cfg!(miri) { 4 } else { 200 } {
        let (executor, _trace) = executor();
        let gates: Vec<Gate> = (0..3).map(|_| Gate::default()).collect();
        for gate in &gates {
            executor.spawn(gate.wait()).detach();
        }
        let _ = executor.flush();
        let threads: Vec<_> = gates
            .iter()
            .map(|gate| {
                let waker = gate.waker();
                thread::spawn(move || {
                    waker.wake_by_ref();
                    drop(waker);
                })
            })
            .collect();
        drop(executor);
        drop(gates);
        for thread in threads {
            thread.join().unwrap();
        }
    }
}
