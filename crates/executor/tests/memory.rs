//! Giving memory back: after a burst of tasks has ended, the executor's buffers shrink back to a small floor,
//! and a stale reference to a slot given back never names a new task.

mod common;

use common::{Gate, executor, scaled, yield_now};
use godot_tasks_executor::{Capacities, Executor};

/// How many tasks a burst spawns: more than the floor (under miri, which takes about 15 ms per task, only just).
const BURST: usize = scaled(100_000, 300);

/// Asserts that no buffer is above the floor.
#[track_caller]
fn assert_at_floor(capacities: Capacities) {
    let Capacities { tasks, free_slots, batch, spawned, ready, local_lane } = capacities;
    let largest = [tasks, free_slots, batch, spawned, ready, local_lane].into_iter().max();
    assert!(largest <= Some(Capacities::FLOOR), "{capacities:?} is not at or below the floor of {}", Capacities::FLOOR);
}

/// Spawns `BURST` tasks that each yield once (so that they also fill the ready queue) and runs them to the end.
fn run_a_burst(executor: &Executor) {
    for _ in 0..BURST {
        executor.spawn(yield_now()).detach();
    }
    let _ = executor.flush();
    assert_eq!(executor.task_count(), 0);
}

/// Flushes with nothing to do until two checks of the trimming policy have passed.
fn idle_for_two_trim_intervals(executor: &Executor) {
    for _ in 0..2 * Capacities::TRIM_INTERVAL {
        let _ = executor.flush();
    }
}

#[test]
fn a_burst_fills_the_buffers_far_above_the_floor() {
    let (executor, _trace) = executor();

    run_a_burst(&executor);

    let Capacities { tasks, free_slots, batch, spawned, ready, local_lane } = executor.capacities();
    assert!(tasks >= BURST && free_slots >= BURST && spawned >= BURST);
    assert!(batch.max(ready) >= BURST && local_lane >= BURST);
}

#[test]
fn capacities_fall_back_to_the_floor_after_a_burst_of_finished_tasks() {
    let (executor, _trace) = executor();
    run_a_burst(&executor);

    idle_for_two_trim_intervals(&executor);

    assert_at_floor(executor.capacities());
}

#[test]
fn frame_starts_alone_give_the_memory_back_when_nothing_is_flushed() {
    let (executor, _trace) = executor();
    run_a_burst(&executor);

    for _ in 0..2 * Capacities::TRIM_INTERVAL {
        executor.start_frame();
    }

    assert_at_floor(executor.capacities());
}

#[test]
fn capacities_stay_while_the_burst_is_still_running() {
    let (executor, _trace) = executor();
    let gate = Gate::default();
    let waiting: Vec<_> = (0..BURST).map(|_| executor.spawn(gate.wait())).collect();
    let _ = executor.flush();
    let before = executor.capacities().tasks;

    idle_for_two_trim_intervals(&executor);

    assert_eq!(executor.capacities().tasks, before);
    assert_eq!(executor.task_count(), BURST);
    drop(waiting);
}

#[test]
fn the_queues_give_their_memory_back_while_a_burst_of_tasks_waits() {
    let (executor, _trace) = executor();
    let gate = Gate::default();
    let waiting: Vec<_> = (0..BURST).map(|_| executor.spawn(gate.wait())).collect();
    let _ = executor.flush();
    let before = executor.capacities();
    let queued = [before.batch, before.spawned, before.ready, before.local_lane].into_iter().max();
    assert!(queued >= Some(BURST), "the burst went through the queues: {before:?}");

    idle_for_two_trim_intervals(&executor);

    let Capacities { tasks, free_slots, batch, spawned, ready, local_lane } = executor.capacities();
    assert_eq!((tasks, free_slots), (before.tasks, before.free_slots), "the tasks still hold their slots");
    let largest_queue = [batch, spawned, ready, local_lane].into_iter().max();
    assert!(largest_queue <= Some(Capacities::FLOOR), "queues above the floor: {:?}", executor.capacities());
    drop(waiting);
}

#[test]
fn long_lived_task_spawned_right_after_a_burst_does_not_keep_the_table_large() {
    let (executor, _trace) = executor();
    run_a_burst(&executor);
    let survivor = executor.spawn(std::future::pending::<()>());
    let _ = executor.flush();

    idle_for_two_trim_intervals(&executor);

    assert_at_floor(executor.capacities());
    assert!(!survivor.is_finished());
}

#[test]
fn stale_cancel_handle_cannot_cancel_a_task_that_reuses_a_slot_given_back() {
    let (executor, _trace) = executor();
    let handles: Vec<_> = (0..BURST).map(|_| executor.spawn(async {})).collect();
    let stale = handles.last().expect("a burst spawns tasks").cancel_handle();
    drop(handles);
    let _ = executor.flush();
    idle_for_two_trim_intervals(&executor);
    assert_at_floor(executor.capacities());
    let gate = Gate::default();
    let reusing: Vec<_> = (0..BURST).map(|_| executor.spawn(gate.wait())).collect();
    let _ = executor.flush();

    stale.cancel();

    assert_eq!(executor.flush(), common::NOTHING_RAN, "no task was cancelled");
    assert!(reusing.iter().all(|handle| !handle.is_finished()));
}
