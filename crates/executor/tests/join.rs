//! Awaiting a task's outcome through its `JoinHandle`, and what a `JoinError` says.

mod common;

use std::task::Poll;

use common::{
    Event, Gate, WakeCounter, dropped, executor, here, join_in_task, note, outcome, poll_once, poll_with,
    waker_with_drop_hook,
};
use godot_tasks_executor::FlushOutcome;

#[test]
fn awaiting_a_handle_from_another_task_gives_the_value() {
    let (executor, _trace) = executor();
    let handle = executor.spawn(async { 42 });
    let slot = join_in_task(&executor, handle);

    let outcome = executor.flush();

    assert_eq!(slot.borrow_mut().take(), Some(Ok(42)));
    assert_eq!(outcome, FlushOutcome { polls: 2, rounds: 1, more_work: false });
}

#[test]
fn awaiting_task_is_woken_when_the_awaited_task_finishes_and_resumes_in_the_same_flush() {
    let (executor, trace) = executor();
    let gate = Gate::default();
    let awaited = {
        let gate = gate.clone();
        async move {
            gate.wait().await;
            "done"
        }
    };
    let slot = join_in_task(&executor, executor.spawn(awaited));
    let _ = executor.flush();
    assert_eq!(*slot.borrow(), None);
    trace.take();

    gate.open();
    let outcome = executor.flush();

    assert_eq!(slot.borrow_mut().take(), Some(Ok("done")));
    assert_eq!(outcome, FlushOutcome { polls: 2, rounds: 2, more_work: false });
    assert_eq!(trace.take(), [Event::FlushRequested], "only the gate asked for a flush");
}

#[test]
fn task_can_spawn_a_child_and_await_it_within_one_flush() {
    let (executor, _trace) = executor();
    let parent = {
        let executor = executor.clone();
        async move {
            let child = executor.spawn(async { 'x' });
            child.await
        }
    };
    let handle = executor.spawn(parent);

    let outcome = executor.flush();

    assert_eq!(common::outcome(handle), Ok(Ok('x')));
    assert_eq!(outcome, FlushOutcome { polls: 3, rounds: 3, more_work: false });
}

#[test]
fn handle_of_an_already_finished_task_gives_the_value_at_once() {
    let (executor, _trace) = executor();
    let handle = executor.spawn(async { String::from("kept") });
    let _ = executor.flush();
    assert!(handle.is_finished());

    let slot = join_in_task(&executor, handle);
    let outcome = executor.flush();

    assert_eq!(slot.borrow_mut().take(), Some(Ok(String::from("kept"))));
    assert_eq!(outcome, FlushOutcome { polls: 1, rounds: 1, more_work: false });
}

#[test]
fn handle_knows_where_its_task_was_spawned() {
    let (executor, _trace) = executor();

    let spawn_line = line!() + 1;
    let handle = executor.spawn(async {});

    assert_eq!(handle.spawned_at().file(), file!());
    assert_eq!(handle.spawned_at().line(), spawn_line);
}

#[test]
fn spawn_at_records_the_given_location() {
    let (executor, _trace) = executor();
    let location = here();

    let handle = executor.spawn_at(std::future::pending::<()>(), location);
    handle.cancel();
    let _ = executor.flush();

    assert_eq!(handle.spawned_at(), location);
    assert_eq!(outcome(handle).unwrap_err().started_at(), location);
}

#[test]
fn join_error_of_a_cancelled_task_says_cancelled_and_where_it_was_spawned() {
    let (executor, _trace) = executor();
    let spawn_line = line!() + 1;
    let handle = executor.spawn(std::future::pending::<()>());
    let location = handle.spawned_at();
    handle.cancel();
    let slot = join_in_task(&executor, handle);

    let _ = executor.flush();

    let error = slot.borrow_mut().take().unwrap().unwrap_err();
    assert!(error.is_cancelled());
    assert!(!error.is_panic());
    assert_eq!(error.panic_message(), None);
    assert_eq!((error.started_at().file(), error.started_at().line()), (file!(), spawn_line));
    assert_eq!(error.to_string(), format!("task spawned at {location} was cancelled"));
    assert_eq!(format!("{error:?}"), error.to_string());
}

#[test]
fn taking_the_outcome_releases_the_task() {
    let (executor, _trace) = executor();
    let handle = executor.spawn(async { 1 });
    let slot = join_in_task(&executor, handle);
    assert_eq!(executor.task_count(), 2);

    let _ = executor.flush();

    assert_eq!(slot.borrow_mut().take(), Some(Ok(1)));
    assert_eq!(executor.task_count(), 0);
}

#[test]
fn dropping_the_handle_of_a_finished_task_drops_its_output_and_releases_the_task() {
    let (executor, trace) = executor();
    let output = trace.tracked("output", 1);
    let handle = executor.spawn(async move { output });
    let _ = executor.flush();
    trace.take();
    assert_eq!(executor.task_count(), 1);

    drop(handle);

    assert_eq!(trace.take(), [dropped("output")]);
    assert_eq!(executor.task_count(), 0);
}

#[test]
fn output_destructor_run_by_dropping_a_handle_may_spawn() {
    let (executor, trace) = executor();
    let (late, late_counts) = trace.probe("late", async {});
    let output = {
        let executor = executor.clone();
        common::on_drop(move || executor.spawn(late).detach())
    };
    let handle = executor.spawn(async move { output });
    let _ = executor.flush();
    trace.take();

    drop(handle);

    assert_eq!(trace.take(), [Event::FlushRequested]);
    let _ = executor.flush();
    assert_eq!(late_counts.polls(), 1);
}

#[test]
fn handle_polled_by_hand_wakes_its_latest_waker_when_the_task_finishes() {
    let (executor, _trace) = executor();
    let gate = Gate::default();
    let mut handle = executor.spawn(gate.wait());
    let _ = executor.flush();
    let (first_waker, first) = WakeCounter::new_waker();
    let (second_waker, second) = WakeCounter::new_waker();
    assert!(poll_with(&mut handle, &first_waker).is_pending());
    assert!(poll_with(&mut handle, &second_waker).is_pending());

    gate.open();
    let _ = executor.flush();

    assert_eq!((first.wakes(), second.wakes()), (0, 1));
    assert_eq!(poll_once(&mut handle), Poll::Ready(Ok(())));
}

#[test]
#[should_panic(expected = "JoinHandle polled after it already returned the task's outcome")]
fn polling_a_handle_again_after_it_returned_the_outcome_panics() {
    let (executor, _trace) = executor();
    let mut handle = executor.spawn(async { 1 });
    let _ = executor.flush();
    assert_eq!(poll_once(&mut handle), Poll::Ready(Ok(1)));

    let _ = poll_once(&mut handle);
}

#[test]
fn handle_that_outlives_its_executor_reports_cancelled() {
    let (executor, _trace) = executor();
    let handle = executor.spawn(std::future::pending::<()>());

    drop(executor);

    assert!(handle.is_finished());
    handle.cancel(); // a no-op that must not panic
    let error = outcome(handle).unwrap_err();
    assert!(error.is_cancelled());
}

#[test]
fn shutdown_wakes_a_waiter_of_an_unfinished_task_so_it_can_see_the_cancellation() {
    let (executor, _trace) = executor();
    let mut handle = executor.spawn(std::future::pending::<()>());
    let _ = executor.flush();
    let (waker, wakes) = WakeCounter::new_waker();
    assert!(poll_with(&mut handle, &waker).is_pending());

    executor.shutdown();

    assert_eq!(wakes.wakes(), 1, "the awaiter must be woken: its handle now completes with a cancellation");
    assert!(outcome(handle).unwrap_err().is_cancelled());
}

#[test]
fn dropping_the_executor_wakes_a_waiter_of_an_unfinished_task() {
    let (executor, _trace) = executor();
    let mut handle = executor.spawn(std::future::pending::<()>());
    let _ = executor.flush();
    let (waker, wakes) = WakeCounter::new_waker();
    assert!(poll_with(&mut handle, &waker).is_pending());

    drop(executor);

    assert_eq!(wakes.wakes(), 1, "the awaiter must be woken: its handle now completes with a cancellation");
    assert!(outcome(handle).unwrap_err().is_cancelled());
}

#[test]
fn task_on_another_executor_awaiting_a_shut_down_task_gets_cancelled() {
    let (first, _first_trace) = executor();
    let (second, _second_trace) = executor();
    let handle = first.spawn(std::future::pending::<()>());
    let slot = join_in_task(&second, handle);
    let _ = first.flush();
    let _ = second.flush();

    first.shutdown();
    let _ = second.flush();

    let outcome = slot.borrow_mut().take().expect("the awaiting task was never woken");
    assert!(outcome.unwrap_err().is_cancelled());
}

#[test]
fn task_that_shuts_the_executor_down_wakes_the_waiter_of_its_own_handle() {
    let (executor, _trace) = executor();
    let gate = Gate::default();
    let stopper = {
        let (executor, gate) = (executor.clone(), gate.clone());
        async move {
            gate.wait().await;
            executor.shutdown();
        }
    };
    let mut handle = executor.spawn(stopper);
    let _ = executor.flush();
    let (waker, wakes) = WakeCounter::new_waker();
    assert!(poll_with(&mut handle, &waker).is_pending());

    gate.open();
    let _ = executor.flush();

    assert_eq!(wakes.wakes(), 1, "the awaiter must be woken: its handle now completes with a cancellation");
    assert!(outcome(handle).unwrap_err().is_cancelled());
}

// ---------------------------------------------------------------------------------------------------------------
// A join waker's destructor may re-enter the executor: it runs outside every borrow of the executor's state

#[test]
fn replacing_a_join_waker_whose_destructor_spawns_does_not_panic() {
    let (executor, trace) = executor();
    let mut handle = executor.spawn(std::future::pending::<()>());
    let first = {
        let (executor, trace) = (executor.clone(), trace.clone());
        waker_with_drop_hook(move || {
            let (spawned, _) = trace.probe("spawned", async {});
            executor.spawn(spawned).detach();
            trace.note("first waker dropped");
        })
    };
    assert!(poll_with(&mut handle, &first).is_pending());
    drop(first); // the handle holds the last clone
    trace.take();
    let (second, _) = WakeCounter::new_waker();

    let polled = poll_with(&mut handle, &second);

    assert!(polled.is_pending());
    assert_eq!(trace.take(), [note("first waker dropped")]);
    assert_eq!(executor.task_count(), 2);
    let _ = executor.flush();
    assert_eq!(trace.take(), [common::poll("spawned"), dropped("spawned")]);
}

#[test]
fn replacing_a_join_waker_whose_destructor_cancels_the_task_does_not_panic() {
    let (executor, trace) = executor();
    let (future, counts) = trace.probe("a", std::future::pending::<()>());
    let mut handle = executor.spawn(future);
    let canceller = handle.cancel_handle();
    let first = waker_with_drop_hook(move || canceller.cancel());
    assert!(poll_with(&mut handle, &first).is_pending());
    drop(first);
    let (second, second_wakes) = WakeCounter::new_waker();

    let polled = poll_with(&mut handle, &second);

    assert!(polled.is_pending());
    let _ = executor.flush();
    assert_eq!((counts.polls(), counts.drops()), (0, 1));
    assert_eq!(second_wakes.wakes(), 1, "the new waker is told of the cancellation");
    assert!(outcome(handle).unwrap_err().is_cancelled());
}

#[test]
fn dropping_a_handle_whose_join_waker_spawns_on_drop_does_not_panic() {
    let (executor, trace) = executor();
    let mut handle = executor.spawn(std::future::pending::<()>());
    let waker = {
        let (executor, trace) = (executor.clone(), trace.clone());
        waker_with_drop_hook(move || {
            executor.spawn(async {}).detach();
            trace.note("waker dropped");
        })
    };
    assert!(poll_with(&mut handle, &waker).is_pending());
    drop(waker);
    trace.take();

    drop(handle);

    assert_eq!(trace.take(), [note("waker dropped")]);
    assert_eq!(executor.task_count(), 2);
}

#[test]
fn dropping_a_handle_whose_join_waker_cancels_the_task_on_drop_does_not_panic() {
    let (executor, trace) = executor();
    let (future, counts) = trace.probe("a", std::future::pending::<()>());
    let mut handle = executor.spawn(future);
    let canceller = handle.cancel_handle();
    let waker = waker_with_drop_hook(move || canceller.cancel());
    assert!(poll_with(&mut handle, &waker).is_pending());
    drop(waker);

    drop(handle);

    let _ = executor.flush();
    assert_eq!((counts.polls(), counts.drops()), (0, 1));
    assert_eq!(executor.task_count(), 0);
}
