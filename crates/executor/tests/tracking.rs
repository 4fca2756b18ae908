//! Task tracking and snapshots: ids, states, ages, poll counts and times, notes of what a task awaits,
//! cancelling by id, and what happens to all of it when tasks end, tracking is turned off, or a note's
//! destructor does something hostile.

mod common;

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use common::executor;
use godot_tasks_executor::{AwaitedTask, Executor, TaskId, TaskSnapshot, TaskState};

/// A future that notes `what` at each poll and waits until `open` is set.
fn gate(
    executor: &Executor,
    what: &'static str,
    open: Rc<Cell<bool>>,
    waker: Rc<RefCell<Option<Waker>>>,
) -> impl Future<Output = ()> + 'static {
    let executor = executor.clone();
    std::future::poll_fn(move |cx| {
        if open.get() {
            return Poll::Ready(());
        }
        executor.note_awaiting(|| what);
        *waker.borrow_mut() = Some(cx.waker().clone());
        Poll::Pending
    })
}

fn by_name<'a>(snapshot: &'a [TaskSnapshot], name: &str) -> &'a TaskSnapshot {
    snapshot.iter().find(|task| task.name.as_deref() == Some(name)).unwrap_or_else(|| panic!("no task named {name}"))
}

#[test]
fn a_snapshot_shows_name_location_state_age_and_polls() {
    let (executor, _) = executor();
    executor.set_tracking(true);
    let (open, waker) = (Rc::new(Cell::new(false)), Rc::new(RefCell::new(None)));
    let line = line!() + 1;
    executor.spawn_named("door", gate(&executor, "door", open.clone(), waker.clone())).detach();
    let first = executor.snapshot();
    assert_eq!(first.len(), 1);
    assert_eq!((first[0].state, first[0].polls, first[0].age_frames), (TaskState::Queued, 0, 0));
    assert_eq!((first[0].spawned_at.file(), first[0].spawned_at.line()), (file!(), line));
    assert!(first[0].awaiting.is_empty());

    for _ in 0..3 {
        executor.start_frame();
    }
    let _ = executor.flush();
    let second = executor.snapshot();
    let door = by_name(&second, "door");
    assert_eq!((door.id, door.state, door.polls, door.age_frames), (first[0].id, TaskState::Waiting, 1, 3));
    assert_eq!(door.awaiting.len(), 1);
    assert_eq!(door.awaiting[0].downcast_ref::<&str>(), Some(&"door"));
    assert_eq!(door.poll_time, None, "poll timing is off");

    waker.borrow_mut().take().unwrap().wake();
    assert_eq!(by_name(&executor.snapshot(), "door").state, TaskState::Queued);
    open.set(true);
    let _ = executor.flush();
    assert!(executor.snapshot().is_empty(), "a finished, detached task is gone");
    executor.shutdown(); // futures holding a clone of the executor would keep it alive
}

#[test]
fn notes_are_replaced_at_each_poll_and_several_waits_make_several_notes() {
    let (executor, _) = executor();
    executor.set_tracking(true);
    let polls = Rc::new(Cell::new(0));
    let notes = executor.clone();
    let counter = polls.clone();
    executor
        .spawn(std::future::poll_fn(move |cx| {
            counter.set(counter.get() + 1);
            if counter.get() == 1 {
                notes.note_awaiting(|| "a signal");
                notes.note_awaiting(|| "a timeout");
                cx.waker().wake_by_ref();
            } else {
                notes.note_awaiting(|| "a frame");
            }
            Poll::<()>::Pending
        }))
        .detach();
    executor.set_round_budget(1);
    let _ = executor.flush();
    let first: Vec<_> = executor.snapshot()[0].awaiting.iter().map(|n| *n.downcast_ref::<&str>().unwrap()).collect();
    assert_eq!(first, ["a signal", "a timeout"]);
    let _ = executor.flush();
    let second: Vec<_> = executor.snapshot()[0].awaiting.iter().map(|n| *n.downcast_ref::<&str>().unwrap()).collect();
    assert_eq!(second, ["a frame"]);
    executor.shutdown(); // futures holding a clone of the executor would keep it alive
}

#[test]
fn a_join_handle_notes_the_awaited_task() {
    let (executor, _) = executor();
    executor.set_tracking(true);
    let inner = executor.spawn_named("inner", std::future::pending::<()>());
    executor.spawn_named("outer", async move { inner.await.ok() }).detach();
    let _ = executor.flush();
    let snapshot = executor.snapshot();
    let (inner, outer) = (by_name(&snapshot, "inner"), by_name(&snapshot, "outer"));
    let awaited = outer.awaiting[0].downcast_ref::<AwaitedTask>().expect("a join handle's note");
    assert_eq!((awaited.id, awaited.name.as_deref(), awaited.spawned_at), (inner.id, Some("inner"), inner.spawned_at));
    assert!(inner.awaiting.is_empty(), "`pending` makes no note");
    executor.shutdown(); // futures holding a clone of the executor would keep it alive
}

#[test]
fn notes_are_made_only_while_tracking_and_inside_a_poll() {
    let (executor, _) = executor();
    let built = Rc::new(Cell::new(0));
    let count = built.clone();
    executor.note_awaiting(|| count.set(count.get() + 1));
    assert!(!executor.wants_awaiting_note());
    let notes = executor.clone();
    let count = built.clone();
    executor
        .spawn(std::future::poll_fn(move |_| {
            notes.note_awaiting(|| count.set(count.get() + 1));
            Poll::<()>::Pending
        }))
        .detach();
    let _ = executor.flush();
    assert_eq!(built.get(), 0, "tracking is off: the note is not even built");
    executor.set_tracking(true);
    executor.note_awaiting(count_outside);
    assert!(!executor.wants_awaiting_note(), "no task is being polled");
    executor.shutdown(); // futures holding a clone of the executor would keep it alive
}

fn count_outside() -> &'static str {
    panic!("a note outside a poll must not be built")
}

#[test]
fn ids_are_unique_and_never_reused_also_across_turning_tracking_off_and_on() {
    let (executor, _) = executor();
    let mut seen = std::collections::HashSet::new();
    for round in 0..3 {
        executor.set_tracking(true);
        let tasks: Vec<_> = (0..4).map(|_| executor.spawn(std::future::pending::<()>())).collect();
        for task in executor.snapshot() {
            assert!(seen.insert(task.id), "id {} given twice (round {round})", task.id);
        }
        tasks.iter().for_each(|task| task.cancel());
        executor.set_tracking(false);
        let _ = executor.flush();
    }
    assert_eq!(seen.len(), 12);
    executor.shutdown(); // futures holding a clone of the executor would keep it alive
}

#[test]
fn turning_tracking_on_late_starts_ages_and_polls_at_zero() {
    let (executor, _) = executor();
    let waiting = executor.spawn(std::future::pending::<()>());
    let _ = executor.flush();
    executor.start_frame();
    assert!(!executor.is_tracking());
    let snapshot = executor.snapshot();
    assert!(executor.is_tracking(), "a snapshot turns tracking on");
    assert_eq!((snapshot[0].polls, snapshot[0].age_frames, snapshot[0].state), (0, 0, TaskState::Waiting));
    executor.start_frame();
    assert_eq!(executor.snapshot()[0].age_frames, 1);
    drop(waiting);
    executor.shutdown(); // futures holding a clone of the executor would keep it alive
}

#[test]
fn poll_time_adds_up_while_timing_is_on() {
    let (executor, _) = executor();
    executor.set_tracking(true);
    executor.set_poll_timing(true);
    let polls = Rc::new(Cell::new(0));
    let counter = polls.clone();
    executor
        .spawn_named(
            "slow",
            std::future::poll_fn(move |cx| {
                counter.set(counter.get() + 1);
                std::thread::sleep(Duration::from_millis(3));
                if counter.get() < 3 {
                    cx.waker().wake_by_ref();
                }
                Poll::<()>::Pending
            }),
        )
        .detach();
    let _ = executor.flush();
    let slow = executor.snapshot().into_iter().next().unwrap();
    assert_eq!(slow.polls, 3);
    assert!(slow.poll_time.unwrap() >= Duration::from_millis(9), "{:?}", slow.poll_time);
    executor.set_poll_timing(false);
    assert_eq!(executor.snapshot()[0].poll_time, None);
    executor.shutdown(); // futures holding a clone of the executor would keep it alive
}

#[test]
fn a_snapshot_from_inside_a_task_shows_it_running() {
    let (executor, _) = executor();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let (inside, record) = (executor.clone(), seen.clone());
    executor
        .spawn_named("looker", async move {
            *record.borrow_mut() = inside.snapshot().into_iter().map(|t| (t.name, t.state)).collect();
        })
        .detach();
    let _ = executor.flush();
    assert_eq!(*seen.borrow(), [(Some("looker".into()), TaskState::Running)]);
    executor.shutdown(); // futures holding a clone of the executor would keep it alive
}

#[test]
fn a_finished_task_whose_handle_is_kept_shows_finished() {
    let (executor, _) = executor();
    let done = executor.spawn(async { 1 });
    let _ = executor.flush();
    assert_eq!(executor.snapshot()[0].state, TaskState::Finished);
    drop(done);
    assert!(executor.snapshot().is_empty());
    executor.shutdown(); // futures holding a clone of the executor would keep it alive
}

#[test]
fn cancel_task_cancels_by_id_and_refuses_unknown_ids() {
    let (executor, _) = executor();
    let first = executor.spawn(std::future::pending::<()>());
    let second = executor.spawn(std::future::pending::<()>());
    let snapshot = executor.snapshot();
    assert!(executor.cancel_task(snapshot[0].id));
    assert!(!executor.cancel_task(TaskId::from_raw(9_999)));
    let _ = executor.flush();
    assert!(first.is_finished());
    assert!(!second.is_finished());
    assert!(!executor.cancel_task(snapshot[0].id), "the task has finished");
    executor.shutdown(); // futures holding a clone of the executor would keep it alive
}

/// A note whose destructor snapshots and spawns: the last one runs once its task is gone from every table.
struct Hostile(Executor, Rc<RefCell<Vec<Option<String>>>>);

impl Drop for Hostile {
    fn drop(&mut self) {
        *self.1.borrow_mut() = self.0.snapshot().into_iter().map(|task| task.name.map(|n| n.to_string())).collect();
        self.0.spawn_named("from a note", async {}).detach();
        self.0.set_tracking(true);
    }
}

#[test]
fn a_note_whose_destructor_spawns_and_snapshots_is_dropped_safely() {
    let (executor, _) = executor();
    executor.set_tracking(true);
    let seen = Rc::new(RefCell::new(Vec::new()));
    let (notes, record) = (executor.clone(), seen.clone());
    let polls = Rc::new(Cell::new(0));
    executor
        .spawn_named(
            "noter",
            std::future::poll_fn(move |cx| {
                polls.set(polls.get() + 1);
                let (inner, record) = (notes.clone(), record.clone());
                notes.note_awaiting(move || Hostile(inner, record));
                if polls.get() == 1 {
                    cx.waker().wake_by_ref();
                    Poll::Pending
                } else {
                    Poll::Ready(())
                }
            }),
        )
        .detach();
    let _ = executor.flush();
    // The first poll's note went after the second poll (which ended the task) and spawned a task; the second
    // poll's note went with the finished task, which it no longer saw.
    assert_eq!(*seen.borrow(), [Some("from a note".to_owned())]);
    let _ = executor.flush();
    executor.set_tracking(false);
    executor.shutdown();
}

#[test]
fn turning_tracking_off_forgets_every_entry_and_notes() {
    let (executor, _) = executor();
    executor.set_tracking(true);
    let dropped = Rc::new(Cell::new(false));
    struct Flag(Rc<Cell<bool>>);
    impl Drop for Flag {
        fn drop(&mut self) {
            self.0.set(true);
        }
    }
    let (notes, flag) = (executor.clone(), dropped.clone());
    let task = executor.spawn(std::future::poll_fn(move |_| {
        let flag = flag.clone();
        notes.note_awaiting(move || Flag(flag));
        Poll::<()>::Pending
    }));
    let _ = executor.flush();
    assert!(!dropped.get());
    executor.set_tracking(false);
    assert!(dropped.get(), "the notes went with the entries");
    drop(task);
    executor.shutdown(); // futures holding a clone of the executor would keep it alive
}

/// A future that is never ready and snapshots from its destructor (run at cancellation).
struct SnapshotOnDrop(Executor, Rc<RefCell<Vec<TaskState>>>);

impl Future for SnapshotOnDrop {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        Poll::Pending
    }
}

impl Drop for SnapshotOnDrop {
    fn drop(&mut self) {
        *self.1.borrow_mut() = self.0.snapshot().into_iter().map(|task| task.state).collect();
    }
}

#[test]
fn a_snapshot_from_a_cancelled_futures_destructor_shows_it_cancelling() {
    let (executor, _) = executor();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let task = executor.spawn(SnapshotOnDrop(executor.clone(), seen.clone()));
    let _ = executor.flush();
    task.cancel();
    let _ = executor.flush();
    assert_eq!(*seen.borrow(), [TaskState::Cancelling]);
    executor.shutdown(); // futures holding a clone of the executor would keep it alive
}
