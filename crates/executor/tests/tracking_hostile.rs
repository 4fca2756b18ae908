//! Task tracking under hostile use: notes whose destructors flush or hold their task, finished and cancelled
//! tasks, join handles awaited from another executor, nested inline polls, tracking toggled inside a poll.

mod common;

use std::cell::{Cell, RefCell};
use std::panic::Location;
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use common::executor;
use godot_tasks_executor::{AwaitedTask, Executor, JoinHandle, TaskState};

/// A note whose destructor flushes the executor.
struct FlushOnDrop(Executor);
impl Drop for FlushOnDrop {
    fn drop(&mut self) {
        let _ = self.0.flush();
    }
}

/// The previous poll's notes are dropped once the task is settled: a destructor that flushes (possible when
/// the run is inline, outside a flush) must not find the task Running, skip its queue entry and lose its wake.
#[test]
fn an_old_notes_destructor_that_flushes_does_not_lose_the_tasks_wake() {
    let (executor, _) = executor();
    executor.set_tracking(true);
    let polls = Rc::new(Cell::new(0));
    let waker: Rc<RefCell<Option<Waker>>> = Rc::default();
    let (p, w, e) = (polls.clone(), waker.clone(), executor.clone());
    let handle = executor.spawn_inline_at(
        None,
        std::future::poll_fn(move |cx| {
            p.set(p.get() + 1);
            match p.get() {
                1 => {
                    // First poll (inside spawn_inline_at): a note that flushes when dropped.
                    let e2 = e.clone();
                    e.note_awaiting(move || FlushOnDrop(e2));
                    *w.borrow_mut() = Some(cx.waker().clone());
                    Poll::Pending
                }
                2 => {
                    // Second poll (inside wake_inline): asks to be polled again (as yield_now does).
                    cx.waker().wake_by_ref();
                    *w.borrow_mut() = Some(cx.waker().clone());
                    Poll::Pending
                }
                _ => Poll::Ready(()),
            }
        }),
        Location::caller(),
    );
    assert_eq!(polls.get(), 1);
    let w = waker.borrow_mut().take().unwrap();
    executor.wake_inline(w); // poll 2, outside any flush; then the first poll's note is dropped
    for _ in 0..3 {
        let _ = executor.flush();
    }
    assert_eq!(polls.get(), 3, "the task woke itself in poll 2 and was not polled again");
    assert!(handle.is_finished());
    executor.shutdown();
}

/// Notes made in the poll that returned Ready (a `select!` whose other branch won) go with the future.
#[test]
fn a_finished_task_awaits_nothing() {
    let (executor, _) = executor();
    executor.set_tracking(true);
    let e = executor.clone();
    // As `select!` does: one branch is pending (and notes), the other is ready.
    let handle = executor.spawn_named(
        "select",
        std::future::poll_fn(move |_| {
            e.note_awaiting(|| "the losing branch");
            Poll::Ready(())
        }),
    );
    let _ = executor.flush();
    let snapshot = executor.snapshot();
    assert_eq!(snapshot[0].state, TaskState::Finished);
    assert!(
        snapshot[0].awaiting.is_empty(),
        "finished, yet awaits {:?}",
        snapshot[0].awaiting[0].downcast_ref::<&str>()
    );
    drop(handle);
    executor.shutdown();
}

/// A cancelled task's notes go with its future, not with its handle.
#[test]
fn a_cancelled_task_awaits_nothing() {
    let (executor, _) = executor();
    executor.set_tracking(true);
    let e = executor.clone();
    let handle = executor.spawn(std::future::poll_fn(move |_| {
        e.note_awaiting(|| "door");
        Poll::<()>::Pending
    }));
    let _ = executor.flush();
    handle.cancel();
    let _ = executor.flush();
    let snapshot = executor.snapshot();
    assert_eq!(snapshot[0].state, TaskState::Finished);
    assert!(snapshot[0].awaiting.is_empty(), "cancelled, yet still awaits a door");
    executor.shutdown();
}

/// A note that holds the task's own handle goes with the future, so it cannot keep the task alive.
struct Holds(#[allow(dead_code)] Rc<RefCell<Option<JoinHandle<()>>>>);

#[test]
fn a_note_holding_the_tasks_handle_does_not_leak_the_task() {
    let (executor, _) = executor();
    executor.set_tracking(true);
    let slot: Rc<RefCell<Option<JoinHandle<()>>>> = Rc::default();
    let (e, s) = (executor.clone(), slot.clone());
    let handle = executor.spawn(std::future::poll_fn(move |_| {
        let s = s.clone();
        e.note_awaiting(move || Holds(s));
        Poll::<()>::Pending
    }));
    *slot.borrow_mut() = Some(handle);
    drop(slot);
    let _ = executor.flush();
    let id = executor.snapshot()[0].id;
    assert!(executor.cancel_task(id));
    let _ = executor.flush();
    // Without tracking, dropping the future drops the last `slot`, hence the handle, and the task is released.
    assert_eq!(executor.task_count(), 0, "the cancelled task is kept alive by its own note");
    executor.shutdown();
}

/// A JoinHandle awaited from a task of another executor notes nothing (the task its own executor is polling
/// meanwhile is not the awaiter).
#[test]
fn a_join_handle_awaited_from_another_executor_notes_nothing_on_the_wrong_task() {
    let (a, _) = executor();
    let (b, _) = executor();
    a.set_tracking(true);
    b.set_tracking(true);
    let target = b.spawn_named("target", std::future::pending::<()>());
    let waiter = a.spawn_named("waiter", async move {
        let _ = target.await;
    });
    let a2 = a.clone();
    let bystander = b.spawn_named(
        "bystander",
        std::future::poll_fn(move |_| {
            let _ = a2.flush(); // e.g. a task that drives another executor
            Poll::<()>::Pending
        }),
    );
    let _ = b.flush();
    let on_b = b.snapshot();
    let bystander_snap = on_b.iter().find(|t| t.name.as_deref() == Some("bystander")).unwrap();
    let on_a = a.snapshot();
    let waiter_snap = &on_a[0];
    let wrong: Vec<_> = bystander_snap
        .awaiting
        .iter()
        .filter_map(|n| n.downcast_ref::<AwaitedTask>())
        .map(|t| t.name.clone())
        .collect();
    assert!(wrong.is_empty(), "the bystander on B is said to await {wrong:?}");
    assert!(waiter_snap.awaiting.is_empty(), "A knows nothing of B's task");
    drop((waiter, bystander));
    a.shutdown();
    b.shutdown();
}

/// The poll time of a task leaves out the inline tasks polled inside it: each counts for its own task.
#[test]
fn nested_inline_polls_count_for_their_own_task_only() {
    let (executor, _) = executor();
    executor.set_tracking(true);
    executor.set_poll_timing(true);
    let waker: Rc<RefCell<Option<Waker>>> = Rc::default();
    let w = waker.clone();
    let first = Rc::new(Cell::new(true));
    let inner = executor.spawn_inline_at(
        Some("inner".into()),
        std::future::poll_fn(move |cx| {
            if first.replace(false) {
                *w.borrow_mut() = Some(cx.waker().clone());
                return Poll::Pending;
            }
            std::thread::sleep(Duration::from_millis(30));
            Poll::Ready(())
        }),
        Location::caller(),
    );
    let e = executor.clone();
    let outer = executor.spawn_named(
        "outer",
        std::future::poll_fn(move |_| {
            let start = Instant::now();
            e.wake_inline(waker.borrow_mut().take().unwrap());
            assert!(start.elapsed() >= Duration::from_millis(30));
            Poll::<()>::Pending
        }),
    );
    let _ = executor.flush();
    let snap = executor.snapshot();
    let outer_snap = snap.iter().find(|t| t.name.as_deref() == Some("outer")).unwrap();
    let inner_snap = snap.iter().find(|t| t.name.as_deref() == Some("inner")).unwrap();
    assert!(outer_snap.poll_time.unwrap() < Duration::from_millis(30), "outer's own work took ~0 ms");
    assert!(inner_snap.poll_time.unwrap() >= Duration::from_millis(30), "inner's poll slept 30 ms");
    drop((inner, outer));
    executor.shutdown();
}

/// Tracking turned off and on inside a poll: the fresh entry gets neither the poll nor its time.
#[test]
fn toggling_tracking_inside_a_poll_counts_no_time_without_a_poll() {
    let (executor, _) = executor();
    executor.set_tracking(true);
    executor.set_poll_timing(true);
    let e = executor.clone();
    let task = executor.spawn(std::future::poll_fn(move |_| {
        e.set_tracking(false);
        e.set_tracking(true);
        std::thread::sleep(Duration::from_millis(5));
        Poll::<()>::Pending
    }));
    let _ = executor.flush();
    let s = &executor.snapshot()[0];
    assert!(!(s.polls == 0 && s.poll_time.unwrap() > Duration::ZERO), "0 polls that took {:?}", s.poll_time);
    drop(task);
    executor.shutdown();
}
