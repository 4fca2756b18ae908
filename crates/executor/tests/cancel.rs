//! Cancelling tasks, detaching them, and `CancelOnDrop`.

mod common;

use std::cell::RefCell;
use std::rc::Rc;

use common::{Event, Gate, NOTHING_RAN, dropped, executor, join_in_task, note, on_drop, outcome, poll, yield_now};
use godot_tasks_executor::{FlushOutcome, JoinHandle};

/// Where a task finds its own handle (stored right after `spawn`, before the first flush).
type OwnHandle<T> = Rc<RefCell<Option<JoinHandle<T>>>>;

fn cancel_own<T: 'static>(own: &OwnHandle<T>) {
    own.borrow().as_ref().expect("the handle is stored before the first flush").cancel();
}

#[test]
fn cancel_of_an_idle_task_drops_its_future_at_the_next_flush_not_inside_cancel() {
    let (executor, trace) = executor();
    let (future, counts) = trace.probe("a", std::future::pending::<()>());
    let handle = executor.spawn(future);
    let _ = executor.flush();
    trace.take();

    handle.cancel();

    assert_eq!(trace.take(), [Event::FlushRequested]);
    assert_eq!(counts.drops(), 0);
    assert!(!handle.is_finished());
    let outcome = executor.flush();
    assert_eq!(trace.take(), [dropped("a")]);
    assert_eq!(outcome, FlushOutcome { polls: 0, rounds: 1, more_work: false });
    assert_eq!(counts.polls(), 1, "never polled again after cancel");
}

#[test]
fn cancelled_task_handle_reports_cancelled() {
    let (executor, _trace) = executor();
    let spawn_line = line!() + 1;
    let handle = executor.spawn(std::future::pending::<()>());
    let _ = executor.flush();
    handle.cancel();
    let _ = executor.flush();

    let error = outcome(handle).unwrap_err();

    assert!(error.is_cancelled());
    assert!(!error.is_panic());
    assert_eq!(error.panic_message(), None);
    assert_eq!((error.started_at().file(), error.started_at().line()), (file!(), spawn_line));
}

#[test]
fn cancel_before_the_first_poll_means_the_future_is_never_polled() {
    let (executor, trace) = executor();
    let (future, counts) = trace.probe("a", async { 1 });
    let handle = executor.spawn(future);

    handle.cancel();

    assert_eq!(trace.take(), [Event::FlushRequested], "the task was already queued: no second request");
    let _ = executor.flush();
    assert_eq!(trace.take(), [dropped("a")]);
    assert_eq!(counts.polls(), 0);
    assert!(outcome(handle).unwrap_err().is_cancelled());
}

#[test]
fn cancel_from_inside_the_task_drops_its_future_when_the_poll_returns() {
    let (executor, trace) = executor();
    let own: OwnHandle<()> = Rc::default();
    let task = {
        let (own, trace) = (own.clone(), trace.clone());
        async move {
            cancel_own(&own);
            trace.note("cancelled itself");
            yield_now().await; // wakes itself: the wake must not bring it back
            trace.note("resumed after cancelling itself");
        }
    };
    let (task, counts) = trace.probe("a", task);
    *own.borrow_mut() = Some(executor.spawn(task));
    trace.take();

    let outcome = executor.flush();

    assert_eq!(trace.take(), [poll("a"), note("cancelled itself"), dropped("a")]);
    assert_eq!(outcome.polls, 1);
    assert_eq!(counts.polls(), 1);
    let handle = own.borrow_mut().take().unwrap();
    assert!(common::outcome(handle).unwrap_err().is_cancelled());
}

#[test]
fn task_that_cancels_itself_and_then_returns_keeps_its_value() {
    let (executor, _trace) = executor();
    let own: OwnHandle<u32> = Rc::default();
    let task = {
        let own = own.clone();
        async move {
            cancel_own(&own);
            42
        }
    };
    *own.borrow_mut() = Some(executor.spawn(task));

    let _ = executor.flush();

    let handle = own.borrow_mut().take().unwrap();
    assert_eq!(outcome(handle), Ok(42));
}

#[test]
fn cancel_from_inside_the_destructor_of_another_future_drops_that_task_in_the_same_flush() {
    let (executor, trace) = executor();
    let (b, b_counts) = trace.probe("b", std::future::pending::<()>());
    let b = executor.spawn(b);
    let guard = {
        let trace = trace.clone();
        on_drop(move || {
            trace.note("a's destructor cancels b");
            b.cancel();
        })
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

    assert_eq!(trace.take(), [dropped("a"), note("a's destructor cancels b"), dropped("b")]);
    assert_eq!(outcome, FlushOutcome { polls: 0, rounds: 2, more_work: false });
    assert_eq!(b_counts.polls(), 1);
}

#[test]
fn cancel_of_its_own_task_from_a_destructor_during_cancellation_is_a_noop() {
    let (executor, trace) = executor();
    let own: OwnHandle<()> = Rc::default();
    let guard = {
        let (own, trace) = (own.clone(), trace.clone());
        on_drop(move || {
            cancel_own(&own);
            trace.note("cancelled again from the destructor");
        })
    };
    let (task, counts) = trace.probe("a", async move {
        let _guard = guard;
        std::future::pending::<()>().await;
    });
    *own.borrow_mut() = Some(executor.spawn(task));
    let _ = executor.flush();
    own.borrow().as_ref().unwrap().cancel();
    trace.take();

    let _ = executor.flush();

    assert_eq!(trace.take(), [dropped("a"), note("cancelled again from the destructor")]);
    assert_eq!(counts.drops(), 1);
    assert_eq!(executor.flush(), NOTHING_RAN);
    let handle = own.borrow_mut().take().unwrap();
    assert!(outcome(handle).unwrap_err().is_cancelled());
}

#[test]
fn cancel_of_a_finished_task_keeps_its_value() {
    let (executor, trace) = executor();
    let handle = executor.spawn(async { 5 });
    let _ = executor.flush();
    trace.take();

    handle.cancel();

    assert_eq!(trace.take(), []);
    assert!(!executor.has_ready_work());
    assert_eq!(outcome(handle), Ok(5));
}

#[test]
fn second_cancel_is_a_noop() {
    let (executor, trace) = executor();
    let (future, counts) = trace.probe("a", std::future::pending::<()>());
    let handle = executor.spawn(future);
    let _ = executor.flush();
    trace.take();

    handle.cancel();
    handle.cancel();

    assert_eq!(trace.take(), [Event::FlushRequested]);
    let _ = executor.flush();
    handle.cancel();
    assert_eq!(trace.take(), [dropped("a")]);
    assert_eq!(counts.drops(), 1);
    assert!(outcome(handle).unwrap_err().is_cancelled());
}

#[test]
fn is_finished_is_false_until_the_task_returns() {
    let (executor, _trace) = executor();
    let gate = Gate::default();
    let handle = executor.spawn(gate.wait());
    assert!(!handle.is_finished());

    let _ = executor.flush();
    assert!(!handle.is_finished());

    gate.open();
    let _ = executor.flush();
    assert!(handle.is_finished());
}

#[test]
fn is_finished_is_true_once_a_cancelled_task_was_dropped() {
    let (executor, _trace) = executor();
    let handle = executor.spawn(std::future::pending::<()>());
    handle.cancel();
    assert!(!handle.is_finished());

    let _ = executor.flush();

    assert!(handle.is_finished());
}

#[test]
fn dropping_the_handle_detaches_the_task_which_runs_to_completion() {
    let (executor, trace) = executor();
    let gate = Gate::default();
    let task = {
        let (gate, trace) = (gate.clone(), trace.clone());
        async move {
            gate.wait().await;
            trace.note("finished");
        }
    };
    let (task, counts) = trace.probe("a", task);
    let handle = executor.spawn(task);
    let _ = executor.flush();

    drop(handle);
    gate.open();
    trace.take();
    let _ = executor.flush();

    assert_eq!(trace.take(), [poll("a"), note("finished"), dropped("a")]);
    assert_eq!(counts.polls(), 2);
    assert_eq!(executor.task_count(), 0, "a detached task is released when it finishes");
}

#[test]
fn output_of_a_detached_task_is_dropped_when_it_finishes() {
    let (executor, trace) = executor();
    let output = trace.tracked("output", 3);
    executor.spawn(async move { output }).detach();
    trace.take();

    let _ = executor.flush();

    assert_eq!(trace.take(), [dropped("output")]);
    assert_eq!(executor.task_count(), 0);
}

#[test]
fn cancelling_a_task_that_awaits_another_detaches_the_awaited_task() {
    let (executor, trace) = executor();
    let gate = Gate::default();
    let (awaited, awaited_counts) = trace.probe("awaited", gate.wait());
    let awaited = executor.spawn(awaited);
    let awaiter = executor.spawn(async move {
        let _ = awaited.await;
    });
    let _ = executor.flush();

    awaiter.cancel();
    let _ = executor.flush();
    gate.open();
    let _ = executor.flush();

    assert_eq!(awaited_counts.polls(), 2, "the awaited task ran to completion");
    assert!(outcome(awaiter).unwrap_err().is_cancelled());
    assert_eq!(executor.task_count(), 0, "the awaited task was detached, so it was released when it finished");
}

#[test]
fn cancel_on_drop_cancels_the_task_when_dropped() {
    let (executor, trace) = executor();
    let (future, counts) = trace.probe("a", std::future::pending::<()>());
    let guard = executor.spawn(future).cancel_on_drop();
    let _ = executor.flush();
    trace.take();

    drop(guard);

    assert_eq!(trace.take(), [Event::FlushRequested]);
    let _ = executor.flush();
    assert_eq!(trace.take(), [dropped("a")]);
    assert_eq!(counts.polls(), 1);
    assert_eq!(executor.task_count(), 0, "nobody can ask for the outcome: the slot is released");
}

#[test]
fn cancel_on_drop_handle_sees_the_same_task() {
    let (executor, _trace) = executor();
    let guard = executor.spawn(async { 1 }).cancel_on_drop();
    assert!(!guard.handle().is_finished());

    let _ = executor.flush();

    assert!(guard.handle().is_finished());
}

#[test]
fn awaiting_cancel_on_drop_gives_the_task_value() {
    let (executor, _trace) = executor();
    let guard = executor.spawn(async { 8 }).cancel_on_drop();
    let slot = {
        let slot = Rc::new(RefCell::new(None));
        let filled = slot.clone();
        executor.spawn(async move { *filled.borrow_mut() = Some(guard.await) }).detach();
        slot
    };

    let _ = executor.flush();

    assert_eq!(slot.borrow_mut().take(), Some(Ok(8)));
}

#[test]
fn into_handle_turns_cancel_on_drop_back_into_a_detaching_handle() {
    let (executor, trace) = executor();
    let gate = Gate::default();
    let (future, counts) = trace.probe("a", gate.wait());
    let guard = executor.spawn(future).cancel_on_drop();
    let _ = executor.flush();

    drop(guard.into_handle());
    gate.open();
    trace.take();
    let _ = executor.flush();

    assert_eq!(trace.take(), [poll("a"), dropped("a")]);
    assert_eq!(counts.polls(), 2, "the task was not cancelled: it ran to completion");
}

#[test]
fn into_handle_keeps_the_outcome() {
    let (executor, _trace) = executor();
    let handle = executor.spawn(async { 9 }).cancel_on_drop().into_handle();
    let slot = join_in_task(&executor, handle);

    let _ = executor.flush();

    assert_eq!(slot.borrow_mut().take(), Some(Ok(9)));
}
