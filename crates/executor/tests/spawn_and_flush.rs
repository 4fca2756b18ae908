//! Spawning and flushing: when a task is polled, and when the host is asked for a flush.

mod common;

use std::cell::Cell;
use std::rc::Rc;

use common::{Event, Gate, NOTHING_RAN, dropped, executor, note, on_drop, poll, wake_self_forever, yield_now};
use godot_tasks_executor::{DEFAULT_ROUND_BUDGET, FlushOutcome};

#[test]
fn spawn_requests_exactly_one_flush_and_polls_nothing() {
    let (executor, trace) = executor();
    let (future, counts) = trace.probe("a", async {});

    let handle = executor.spawn(future);

    assert_eq!(trace.take(), [Event::FlushRequested]);
    assert_eq!(counts.polls(), 0);
    assert!(!handle.is_finished());
}

#[test]
fn flush_polls_a_spawned_task() {
    let (executor, trace) = executor();
    let (future, counts) = trace.probe("a", async { 7 });
    let handle = executor.spawn(future);
    trace.take();

    let outcome = executor.flush();

    assert_eq!(outcome, FlushOutcome { polls: 1, rounds: 1, more_work: false });
    assert_eq!(counts.polls(), 1);
    assert!(handle.is_finished());
}

#[test]
fn a_future_is_dropped_as_soon_as_it_completes() {
    let (executor, trace) = executor();
    let (future, counts) = trace.probe("a", async { 7 });
    let handle = executor.spawn(future);
    trace.take();

    let _ = executor.flush();

    assert_eq!(trace.take(), [poll("a"), dropped("a")]);
    assert_eq!(counts.drops(), 1);
    drop(handle); // the handle still holds the output, not the future
    assert_eq!(trace.take(), []);
}

#[test]
fn second_spawn_before_a_flush_does_not_request_a_second_flush() {
    let (executor, trace) = executor();
    let (a, _) = trace.probe("a", async {});
    let (b, _) = trace.probe("b", async {});

    executor.spawn(a).detach();
    executor.spawn(b).detach();

    assert_eq!(trace.take(), [Event::FlushRequested]);
}

#[test]
fn one_flush_polls_every_spawned_task_in_spawn_order() {
    let (executor, trace) = executor();
    for name in ["a", "b", "c"] {
        let (future, _) = trace.probe(name, async {});
        executor.spawn(future).detach();
    }
    trace.take();

    let outcome = executor.flush();

    assert_eq!(trace.take(), [poll("a"), dropped("a"), poll("b"), dropped("b"), poll("c"), dropped("c")]);
    assert_eq!(outcome, FlushOutcome { polls: 3, rounds: 1, more_work: false });
}

#[test]
fn spawn_after_a_flush_requests_a_new_flush() {
    let (executor, trace) = executor();
    let (a, _) = trace.probe("a", async {});
    executor.spawn(a).detach();
    let _ = executor.flush();
    trace.take();

    let (b, _) = trace.probe("b", async {});
    executor.spawn(b).detach();

    assert_eq!(trace.take(), [Event::FlushRequested]);
}

#[test]
fn flush_with_nothing_ready_polls_nothing() {
    let (executor, trace) = executor();

    let outcome = executor.flush();

    assert_eq!(outcome, NOTHING_RAN);
    assert_eq!(trace.take(), []);
}

#[test]
fn pending_task_is_not_polled_again_without_a_wake() {
    let (executor, trace) = executor();
    let (future, counts) = trace.probe("a", std::future::pending::<()>());
    executor.spawn(future).detach();
    let _ = executor.flush();

    let outcome = executor.flush();

    assert_eq!(outcome, NOTHING_RAN);
    assert_eq!(counts.polls(), 1);
}

#[test]
fn woken_task_requests_a_flush_and_is_polled_in_it_not_inside_wake() {
    let (executor, trace) = executor();
    let gate = Gate::default();
    let (future, counts) = trace.probe("a", gate.wait());
    let handle = executor.spawn(future);
    let _ = executor.flush();
    trace.take();

    gate.open();

    assert_eq!(trace.take(), [Event::FlushRequested]);
    assert_eq!(counts.polls(), 1);
    let outcome = executor.flush();
    assert_eq!(trace.take(), [poll("a"), dropped("a")]);
    assert_eq!(outcome, FlushOutcome { polls: 1, rounds: 1, more_work: false });
    assert!(handle.is_finished());
}

#[test]
fn first_poll_of_a_task_spawned_inside_a_task_happens_after_the_spawning_poll_returns() {
    let (executor, trace) = executor();
    let (inner, inner_counts) = trace.probe("inner", async {});
    let outer = {
        let (executor, trace) = (executor.clone(), trace.clone());
        async move {
            executor.spawn(inner).detach();
            trace.note("outer spawned inner");
        }
    };
    let (outer, _) = trace.probe("outer", outer);
    executor.spawn(outer).detach();
    trace.take();

    let _ = executor.flush();

    assert_eq!(
        trace.take(),
        [poll("outer"), note("outer spawned inner"), dropped("outer"), poll("inner"), dropped("inner")]
    );
    assert_eq!(inner_counts.polls(), 1);
}

#[test]
fn task_spawned_inside_a_flush_runs_in_the_next_round_of_that_flush_without_a_flush_request() {
    let (executor, trace) = executor();
    let spawner = {
        let executor = executor.clone();
        async move { executor.spawn(async {}).detach() }
    };
    executor.spawn(spawner).detach();
    trace.take();

    let outcome = executor.flush();

    assert_eq!(outcome, FlushOutcome { polls: 2, rounds: 2, more_work: false });
    assert_eq!(trace.take(), []);
    assert_eq!(executor.task_count(), 0);
}

#[test]
fn task_spawned_by_a_destructor_during_a_flush_runs_in_that_flush() {
    let (executor, trace) = executor();
    let (b, b_counts) = trace.probe("b", async {});
    let guard = {
        let executor = executor.clone();
        on_drop(move || executor.spawn(b).detach())
    };
    let (a, _) = trace.probe("a", async move {
        let _guard = guard;
        std::future::pending::<()>().await;
    });
    let a = executor.spawn(a);
    let _ = executor.flush();
    a.cancel();
    trace.take();

    let outcome = executor.flush();

    assert_eq!(trace.take(), [dropped("a"), poll("b"), dropped("b")]);
    assert_eq!(outcome, FlushOutcome { polls: 1, rounds: 2, more_work: false });
    assert_eq!(b_counts.polls(), 1);
}

#[test]
fn task_that_wakes_itself_during_its_poll_is_polled_again_in_the_next_round() {
    let (executor, trace) = executor();
    let (future, _) = trace.probe("a", yield_now());
    let handle = executor.spawn(future);
    trace.take();

    let outcome = executor.flush();

    assert_eq!(trace.take(), [poll("a"), poll("a"), dropped("a")]);
    assert_eq!(outcome, FlushOutcome { polls: 2, rounds: 2, more_work: false });
    assert!(handle.is_finished());
}

#[test]
fn flush_called_from_inside_a_task_does_nothing() {
    let (executor, trace) = executor();
    let inner_outcome = Rc::new(Cell::new(None));
    let a = {
        let (executor, inner_outcome) = (executor.clone(), inner_outcome.clone());
        async move { inner_outcome.set(Some(executor.flush())) }
    };
    let (a, _) = trace.probe("a", a);
    let (b, _) = trace.probe("b", async {});
    executor.spawn(a).detach();
    executor.spawn(b).detach();
    trace.take();

    let outcome = executor.flush();

    assert_eq!(inner_outcome.get(), Some(NOTHING_RAN));
    assert_eq!(trace.take(), [poll("a"), dropped("a"), poll("b"), dropped("b")]);
    assert_eq!(outcome, FlushOutcome { polls: 2, rounds: 1, more_work: false });
}

#[test]
fn has_ready_work_is_true_from_spawn_until_the_flush() {
    let (executor, _trace) = executor();
    assert!(!executor.has_ready_work());

    executor.spawn(std::future::pending::<()>()).detach();
    assert!(executor.has_ready_work());

    let _ = executor.flush();
    assert!(!executor.has_ready_work());
}

#[test]
fn task_count_counts_tasks_until_their_outcome_is_taken_or_abandoned() {
    let (executor, _trace) = executor();
    let first = executor.spawn(async { 1 });
    let second = executor.spawn(async { 2 });
    assert_eq!(executor.task_count(), 2);

    let _ = executor.flush();
    assert_eq!(executor.task_count(), 2, "finished tasks keep their outcome for their handles");

    drop(first);
    assert_eq!(executor.task_count(), 1);

    assert_eq!(common::outcome(second), Ok(2));
    assert_eq!(executor.task_count(), 0);
}

// ---------------------------------------------------------------------------------------------------------------
// Round budget

#[test]
fn self_waking_task_is_polled_exactly_budget_times_in_one_flush() {
    let (executor, trace) = executor();
    executor.set_round_budget(5);
    let (future, counts) = trace.probe("spinner", wake_self_forever());
    executor.spawn(future).detach();
    trace.take();

    let outcome = executor.flush();

    assert_eq!(outcome, FlushOutcome { polls: 5, rounds: 5, more_work: true });
    assert_eq!(counts.polls(), 5);
    assert_eq!(trace.take(), vec![poll("spinner"); 5], "no flush request from inside the flush");
    assert!(executor.has_ready_work());
}

#[test]
fn next_flush_continues_where_the_round_budget_stopped() {
    let (executor, trace) = executor();
    executor.set_round_budget(5);
    let (future, counts) = trace.probe("spinner", wake_self_forever());
    executor.spawn(future).detach();
    let _ = executor.flush();

    let outcome = executor.flush();

    assert_eq!(outcome, FlushOutcome { polls: 5, rounds: 5, more_work: true });
    assert_eq!(counts.polls(), 10);
}

#[test]
fn round_budget_counts_rounds_not_polls() {
    let (executor, _trace) = executor();
    executor.set_round_budget(5);
    for _ in 0..3 {
        executor.spawn(wake_self_forever()).detach();
    }

    let outcome = executor.flush();

    assert_eq!(outcome, FlushOutcome { polls: 15, rounds: 5, more_work: true });
}

#[test]
fn default_round_budget_is_default_round_budget_rounds() {
    let (executor, _trace) = executor();
    executor.spawn(wake_self_forever()).detach();

    let outcome = executor.flush();

    assert_eq!(DEFAULT_ROUND_BUDGET, 64);
    assert_eq!(outcome, FlushOutcome { polls: 64, rounds: 64, more_work: true });
}

#[test]
fn round_budget_of_zero_means_one_round() {
    let (executor, _trace) = executor();
    executor.set_round_budget(0);
    executor.spawn(wake_self_forever()).detach();

    let outcome = executor.flush();

    assert_eq!(outcome, FlushOutcome { polls: 1, rounds: 1, more_work: true });
}

#[test]
fn budget_is_not_spent_when_no_task_is_ready() {
    let (executor, _trace) = executor();
    executor.set_round_budget(5);
    executor.spawn(yield_now()).detach();

    let outcome = executor.flush();

    assert_eq!(outcome, FlushOutcome { polls: 2, rounds: 2, more_work: false });
}

// ---------------------------------------------------------------------------------------------------------------
// Round budget per frame

#[test]
fn flushes_in_one_frame_share_the_round_budget_and_the_next_frame_gets_it_again() {
    let (executor, trace) = executor();
    executor.set_round_budget(5);
    let (future, counts) = trace.probe("spinner", wake_self_forever());
    executor.spawn(future).detach();
    trace.take();

    executor.start_frame();
    let first_frame = [executor.flush(), executor.flush(), executor.flush()];

    let spent = FlushOutcome { polls: 0, rounds: 0, more_work: true };
    assert_eq!(first_frame, [FlushOutcome { polls: 5, rounds: 5, more_work: true }, spent, spent]);
    assert_eq!(counts.polls(), 5);
    assert!(executor.has_ready_work(), "the work waits for the next frame");
    assert_eq!(trace.take(), vec![poll("spinner"); 5], "no flush request: the host flushes next frame");

    executor.start_frame();
    let next_frame = [executor.flush(), executor.flush()];

    assert_eq!(next_frame, [FlushOutcome { polls: 5, rounds: 5, more_work: true }, spent]);
    assert_eq!(counts.polls(), 10);
}

#[test]
fn flush_gets_the_rounds_that_earlier_flushes_of_its_frame_left() {
    let (executor, _trace) = executor();
    executor.set_round_budget(6);
    executor.start_frame();
    executor.spawn(yield_now()).detach();
    assert_eq!(executor.flush(), FlushOutcome { polls: 2, rounds: 2, more_work: false });
    executor.spawn(wake_self_forever()).detach();

    let outcome = executor.flush();

    assert_eq!(outcome, FlushOutcome { polls: 4, rounds: 4, more_work: true });
}

#[test]
fn flush_with_the_frame_budget_spent_polls_nothing_even_if_nothing_ran_before() {
    let (executor, _trace) = executor();
    executor.set_round_budget(2);
    executor.start_frame();
    let spinner = executor.spawn(wake_self_forever());
    let _ = executor.flush();
    spinner.cancel();

    let outcome = executor.flush();

    assert_eq!(outcome, FlushOutcome { polls: 0, rounds: 0, more_work: true });
    assert!(!spinner.is_finished(), "even a cancellation waits for the next frame's rounds");
    executor.start_frame();
    assert_eq!(executor.flush(), FlushOutcome { polls: 0, rounds: 1, more_work: false });
    assert!(spinner.is_finished());
}

#[test]
fn set_round_budget_gives_the_current_frame_the_new_budget() {
    let (executor, _trace) = executor();
    executor.start_frame();
    executor.spawn(wake_self_forever()).detach();

    executor.set_round_budget(3);

    assert_eq!(executor.flush(), FlushOutcome { polls: 3, rounds: 3, more_work: true });
    assert_eq!(executor.flush(), FlushOutcome { polls: 0, rounds: 0, more_work: true });
}

#[test]
fn start_frame_runs_nothing_and_requests_no_flush() {
    let (executor, trace) = executor();
    let (future, counts) = trace.probe("a", async {});
    executor.spawn(future).detach();
    trace.take();

    executor.start_frame();

    assert_eq!(trace.take(), []);
    assert_eq!(counts.polls(), 0);
    assert!(executor.has_ready_work());
}

/// The documented order of one round: tasks woken from other threads, then tasks woken on the executor's
/// thread, then tasks spawned since the last round, each group in the order it happened.
#[test]
fn a_round_runs_other_thread_wakes_then_local_wakes_then_spawns_each_in_order() {
    let (executor, trace) = executor();
    let gates: Vec<Gate> = (0..4).map(|_| Gate::default()).collect();
    let mut waiting = Vec::new();
    for (name, gate) in ["w0", "w1", "w2", "w3"].into_iter().zip(&gates) {
        let (task, _) = trace.probe(name, gate.wait());
        waiting.push(executor.spawn(task));
    }
    let _ = executor.flush();
    trace.take();

    let (spawned_first, _) = trace.probe("s0", async {});
    executor.spawn(spawned_first).detach();
    gates[2].wake(); // on this thread
    let remote = gates[3].waker();
    std::thread::spawn(move || remote.wake()).join().unwrap();
    gates[0].wake(); // on this thread
    let remote = gates[1].waker();
    std::thread::spawn(move || remote.wake()).join().unwrap();
    let (spawned_second, _) = trace.probe("s1", async {});
    executor.spawn(spawned_second).detach();

    let _ = executor.flush();
    let polls: Vec<_> = trace
        .take()
        .into_iter()
        .filter(|event| matches!(event, Event::Note(text) if text.starts_with("poll:")))
        .collect();
    assert_eq!(polls, [poll("w3"), poll("w1"), poll("w2"), poll("w0"), poll("s0"), poll("s1")]);
}
