//! Inline tasks: polled inside `spawn_inline_at` and inside `wake_inline`, as GDScript runs a coroutine inside
//! its call and resumes it inside the emission; every fallback queues the task instead, so no wake is lost.

mod common;

use std::cell::RefCell;
use std::panic::Location;
use std::rc::Rc;
use std::task::{Poll, Waker};

use common::{Gate, executor, note, outcome, panic_reported, poll};
use godot_tasks_executor::{Executor, JoinHandle};

fn spawn_inline<F: Future + 'static>(executor: &Executor, future: F) -> JoinHandle<F::Output> {
    executor.spawn_inline_at(None, future, Location::caller())
}

#[test]
fn the_first_poll_runs_inside_the_spawn_and_the_rest_after_a_wake() {
    let (executor, trace) = executor();
    let gate = Gate::default();
    let (task, counts) = trace.probe("inline", gate.wait());
    let handle = spawn_inline(&executor, task);
    assert_eq!(trace.take(), [poll("inline")]); // no flush was asked for: it ran
    assert!(!handle.is_finished());

    gate.open(); // an ordinary wake: the next flush polls it
    assert_eq!(counts.polls(), 1);
    let _ = executor.flush();
    assert_eq!(counts.polls(), 2);
    assert_eq!(outcome(handle), Ok(()));
}

#[test]
fn wake_inline_polls_a_waiting_inline_task_inside_the_call() {
    let (executor, trace) = executor();
    let gate = Gate::default();
    let (task, counts) = trace.probe("inline", gate.wait());
    let handle = spawn_inline(&executor, task);
    let waker = gate.waker();
    gate.open_quietly();

    executor.wake_inline(waker);

    assert_eq!(counts.polls(), 2);
    assert!(handle.is_finished());
    assert!(!executor.has_ready_work());
}

#[test]
fn wake_inline_only_queues_an_ordinary_task() {
    let (executor, trace) = executor();
    let gate = Gate::default();
    let (task, counts) = trace.probe("plain", gate.wait());
    let handle = executor.spawn(task);
    let _ = executor.flush();
    gate.open_quietly();

    executor.wake_inline(gate.waker());

    assert_eq!(counts.polls(), 1);
    assert!(executor.has_ready_work());
    let _ = executor.flush();
    assert!(handle.is_finished());
}

#[test]
fn a_task_that_wakes_itself_inline_during_its_own_poll_is_queued_not_lost() {
    let (executor, trace) = executor();
    let executor = Rc::new(executor);
    let inside = executor.clone();
    let mut polls = 0;
    let task = std::future::poll_fn(move |cx| {
        polls += 1;
        if polls == 1 {
            inside.wake_inline(cx.waker().clone()); // running: cannot be polled again now
            return Poll::Pending;
        }
        Poll::Ready(polls)
    });
    let handle = spawn_inline(&executor, task);
    assert!(!handle.is_finished());
    assert!(executor.has_ready_work());
    let _ = executor.flush();
    assert_eq!(outcome(handle), Ok(2));
    drop(trace);
}

#[test]
fn an_inline_task_already_queued_is_polled_once_by_the_flush() {
    let (executor, trace) = executor();
    let gate = Gate::default();
    let (task, counts) = trace.probe("inline", gate.wait());
    let handle = spawn_inline(&executor, task);
    gate.wake(); // queued by an ordinary wake
    executor.wake_inline(gate.waker());
    assert_eq!(counts.polls(), 1);
    let _ = executor.flush();
    assert_eq!(counts.polls(), 2);
    assert!(!handle.is_finished());
}

#[test]
fn a_panic_in_the_first_poll_is_caught_and_reported_and_spawn_returns() {
    let (executor, trace) = executor();
    let line = line!() + 1;
    let handle = executor.spawn_inline_at(None, async { panic!("inline boom") }, Location::caller());
    assert_eq!(trace.take(), [panic_reported("inline boom", file!(), line)]);
    let error = outcome(handle).unwrap_err();
    assert_eq!(error.panic_message(), Some("inline boom"));
}

#[test]
fn an_inline_spawn_inside_a_task_is_a_nested_poll_that_knows_which_task_runs() {
    let (executor, trace) = executor();
    let executor = Rc::new(executor);
    let inside = executor.clone();
    let outer = executor.spawn_named("outer", async move {
        let before = inside.current_task_name();
        let nested = inside.clone();
        let inner = inside.spawn_inline_at(
            Some("inner".into()),
            async move { (nested.current_task_name(), nested.current_task_is_inline()) },
            Location::caller(),
        );
        assert!(inner.is_finished(), "the inline task ran inside the spawn");
        let after = inside.current_task_name();
        (before, inner.await.unwrap(), after, inside.current_task_is_inline())
    });
    let _ = executor.flush();
    let (before, (inner_name, inner_inline), after, outer_inline) = outcome(outer).unwrap();
    assert_eq!(before.as_deref(), Some("outer"));
    assert_eq!((inner_name.as_deref(), inner_inline), (Some("inner"), true));
    assert_eq!(after.as_deref(), Some("outer"));
    assert!(!outer_inline);
    assert!(!executor.current_task_is_inline());
    drop(trace);
}

#[test]
fn after_shutdown_an_inline_spawn_is_refused_and_wake_inline_polls_nothing() {
    let (executor, trace) = executor();
    let gate = Gate::default();
    let (task, counts) = trace.probe("inline", gate.wait());
    let _waiting = spawn_inline(&executor, task);
    executor.shutdown();
    assert_eq!(counts.drops(), 1);

    let (refused, refused_counts) = trace.probe("refused", async {});
    let handle = spawn_inline(&executor, refused);
    assert_eq!(refused_counts.polls(), 0);
    assert!(outcome(handle).unwrap_err().is_cancelled());
}

#[test]
fn cancel_current_task_ends_the_task_when_its_poll_returns() {
    let (executor, trace) = executor();
    let executor = Rc::new(executor);
    assert!(!executor.cancel_current_task()); // not inside a poll
    let inside = executor.clone();
    let (task, counts) = trace.probe(
        "quits",
        std::future::poll_fn(move |_| {
            assert!(inside.cancel_current_task());
            Poll::<()>::Pending
        }),
    );
    let handle = spawn_inline(&executor, task);
    assert_eq!(counts.polls(), 1);
    assert_eq!(counts.drops(), 1, "dropped as soon as its poll returned");
    assert!(outcome(handle).unwrap_err().is_cancelled());
    assert!(trace.take().iter().all(|event| !matches!(event, common::Event::PanicReported { .. })));
}

#[test]
fn wake_inline_with_another_executors_waker_wakes_it_there() {
    let (ours, _trace) = executor();
    let (theirs, their_trace) = executor();
    let gate = Gate::default();
    let (task, counts) = their_trace.probe("theirs", gate.wait());
    let handle = theirs.spawn_inline_at(None, task, Location::caller());
    gate.open_quietly();

    ours.wake_inline(gate.waker());

    assert_eq!(counts.polls(), 1, "not polled by an executor it does not belong to");
    assert!(theirs.has_ready_work());
    let _ = theirs.flush();
    assert!(handle.is_finished());
}

#[test]
fn inline_tasks_resumed_by_one_emission_run_in_the_order_they_are_woken() {
    let (executor, trace) = executor();
    let wakers: Rc<RefCell<Vec<Waker>>> = Rc::default();
    let order = Rc::new(RefCell::new(Vec::new()));
    let mut handles = Vec::new();
    for name in ["a", "b", "c"] {
        let (wakers, order) = (wakers.clone(), order.clone());
        let mut waited = false;
        handles.push(spawn_inline(
            &executor,
            std::future::poll_fn(move |cx| {
                if waited {
                    order.borrow_mut().push(name);
                    return Poll::Ready(());
                }
                waited = true;
                wakers.borrow_mut().push(cx.waker().clone());
                Poll::Pending
            }),
        ));
    }
    trace.note("emit");
    for waker in std::mem::take(&mut *wakers.borrow_mut()) {
        executor.wake_inline(waker);
    }
    trace.note("emit returned");
    assert_eq!(*order.borrow(), ["a", "b", "c"]);
    assert!(handles.iter().all(JoinHandle::is_finished));
    assert_eq!(trace.take(), [note("emit"), note("emit returned")]);
}

#[test]
fn the_executor_knows_whether_any_inline_task_lives() {
    let (executor, _trace) = executor();
    assert!(!executor.has_inline_tasks());
    let gate = Gate::default();
    let waiting = spawn_inline(&executor, gate.wait());
    let done = spawn_inline(&executor, async {});
    assert!(executor.has_inline_tasks());
    drop(done); // finished and detached: released
    assert!(executor.has_inline_tasks());
    waiting.cancel();
    let _ = executor.flush();
    drop(waiting);
    assert!(!executor.has_inline_tasks());
    executor.spawn(async {}).detach();
    assert!(!executor.has_inline_tasks());
}

#[test]
fn a_flush_from_inside_an_inline_poll_is_re_entrant_and_loses_no_wake() {
    let (executor, _trace) = executor();
    let executor = Rc::new(executor);
    let inside = executor.clone();
    let parked: Rc<RefCell<Option<Waker>>> = Rc::default();
    let slot = parked.clone();
    let mut polls = 0;
    let handle = spawn_inline(
        &executor,
        std::future::poll_fn(move |cx| {
            polls += 1;
            if polls == 1 {
                cx.waker().wake_by_ref(); // queued while it runs
                let _ = inside.flush(); // must not take (and drop) that queue entry
                *slot.borrow_mut() = Some(cx.waker().clone());
                return Poll::Pending;
            }
            Poll::Ready(polls)
        }),
    );
    assert!(!handle.is_finished());
    let _ = executor.flush(); // the wake from inside the first poll
    assert_eq!(outcome(handle), Ok(2));
    drop(parked);
}

#[test]
fn a_finished_inline_task_whose_handle_is_kept_no_longer_counts_as_inline() {
    let (executor, _trace) = executor();
    let done = spawn_inline(&executor, async { 1 });
    assert!(done.is_finished());
    assert!(!executor.has_inline_tasks());
    assert_eq!(outcome(done), Ok(1));
}

#[test]
fn destructors_of_a_nested_cancelled_inline_task_see_it_as_the_current_task() {
    let (executor, _trace) = executor();
    let executor = Rc::new(executor);
    let seen: Rc<RefCell<Vec<Option<String>>>> = Rc::default();
    let inside = executor.clone();
    let record = seen.clone();
    let outer = executor.spawn_named("outer", async move {
        struct Note(Rc<Executor>, Rc<RefCell<Vec<Option<String>>>>);
        impl Drop for Note {
            fn drop(&mut self) {
                self.1.borrow_mut().push(self.0.current_task_name().map(|name| name.to_string()));
            }
        }
        let note = Note(inside.clone(), record.clone());
        let nested = inside.clone();
        let inner = inside.spawn_inline_at(
            Some("inner".into()),
            async move {
                let _note = note;
                nested.cancel_current_task(); // dropped as soon as this first poll returns
                std::future::pending::<()>().await;
            },
            Location::caller(),
        );
        assert!(inner.is_finished());
        inside.current_task_name().map(|name| name.to_string())
    });
    let _ = executor.flush();
    assert_eq!(outcome(outer).unwrap().as_deref(), Some("outer"));
    assert_eq!(*seen.borrow(), [Some("inner".to_owned())]);
}
