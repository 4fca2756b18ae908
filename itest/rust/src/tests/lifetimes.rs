//! Lifetimes: tasks bound to objects and to the tree, task groups, cancellation tokens, interop with the
//! `futures` combinators.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use futures_util::{FutureExt, StreamExt, select};
use godot::classes::Script;
use godot::prelude::*;
use godot_tasks::signal::{SignalExt, TypedSignalExt};
use godot_tasks::time;
use godot_tasks::{CancelToken, TaskGroup};

use crate::emitter::EmitterNode;
use crate::harness::{frames, next_frame, run_task, tree, wait_until};
use crate::{ensure, ensure_eq, tests};

tests![
    bound_task_is_cancelled_when_its_node_is_freed,
    bound_task_of_an_object_freed_before_its_first_poll_never_runs,
    thousand_bound_tasks_freed_at_random_frames_end_cleanly,
    tree_bound_task_ends_when_the_node_leaves_and_stays_ended,
    group_joins_all_in_order_and_next_in_finishing_order,
    group_cancel_all_and_drop_cancel_its_tasks,
    group_detached_on_drop_lets_tasks_finish,
    group_spawn_returns_a_handle_that_cancels_only_that_task,
    nested_groups_cancel_downward,
    select_between_a_signal_and_a_timeout,
    join_of_three_tasks,
    cancel_token_stops_a_select_loop,
    named_task_is_named_in_its_error,
    bound_task_never_runs_after_its_object_is_freed_on_another_thread,
    binding_to_a_freed_object_or_a_node_outside_the_tree_cancels_at_once,
    bind_after_bind_to_tree_binds_only_the_object,
    interrupted_join_all_loses_no_outcome,
    next_after_an_interrupted_join_all_keeps_finishing_order,
];

/// Counts drops, and whether each happened on the main thread.
#[derive(Clone, Default)]
struct Drops {
    on_main: Rc<Cell<u32>>,
    elsewhere: Rc<Cell<u32>>,
}

impl Drops {
    fn probe(&self) -> DropProbe {
        DropProbe(self.clone())
    }
}

struct DropProbe(Drops);

impl Drop for DropProbe {
    fn drop(&mut self) {
        let counter = if godot::init::is_main_thread() { &self.0.on_main } else { &self.0.elsewhere };
        counter.set(counter.get() + 1);
    }
}

async fn bound_task_is_cancelled_when_its_node_is_freed() -> Result<(), String> {
    let node = Node::new_alloc();
    let drops = Drops::default();
    let (probe, polls) = (drops.probe(), Rc::new(Cell::new(0)));
    let counted = polls.clone();
    let handle = godot_tasks::TaskBuilder::new().bind(&node).spawn(async move {
        let _probe = probe;
        loop {
            counted.set(counted.get() + 1);
            time::next_frame().await;
        }
    });
    frames(3).await;
    ensure!(polls.get() >= 2);
    node.free();
    let polls_at_free = polls.get();
    let outcome = handle.await;
    ensure!(outcome.as_ref().is_err_and(|e| e.is_cancelled()), "{outcome:?}");
    ensure_eq!(polls.get(), polls_at_free);
    ensure_eq!((drops.on_main.get(), drops.elsewhere.get()), (1, 0));
    Ok(())
}

async fn bound_task_of_an_object_freed_before_its_first_poll_never_runs() -> Result<(), String> {
    let object = RefCounted::new_gd();
    let ran = Rc::new(Cell::new(false));
    let seen = ran.clone();
    let handle = godot_tasks::TaskBuilder::new().bind(&object).spawn(async move { seen.set(true) });
    drop(object); // freed now
    let outcome = handle.await;
    ensure!(outcome.is_err_and(|e| e.is_cancelled()));
    ensure!(!ran.get(), "the task ran although its object was freed before its first poll");
    Ok(())
}

async fn thousand_bound_tasks_freed_at_random_frames_end_cleanly() -> Result<(), String> {
    const TASKS: usize = 1000;
    let drops = Drops::default();
    let mut nodes = Vec::new();
    let mut handles = Vec::new();
    for index in 0..TASKS {
        let node = EmitterNode::new_alloc();
        let probe = drops.probe();
        let waiting_on = node.clone();
        let handle = godot_tasks::TaskBuilder::new().bind(&node).spawn(async move {
            let _probe = probe;
            loop {
                match index % 3 {
                    0 => {
                        let _ = waiting_on.signals().hit().try_next_emission().await;
                    }
                    1 => time::sleep(Duration::from_millis(3)).await,
                    _ => time::next_frame().await,
                }
            }
        });
        nodes.push(Some(node));
        handles.push(handle);
    }
    // Free them at pseudo-random frames over the next 30 frames.
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut free_at: Vec<u32> = (0..TASKS)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % 30) as u32
        })
        .collect();
    for frame in 0..30 {
        for (index, at) in free_at.iter_mut().enumerate() {
            if *at == frame
                && let Some(node) = nodes[index].take()
            {
                node.free();
            }
        }
        next_frame().await;
    }
    frames(2).await;
    let mut cancelled = 0;
    for handle in handles {
        ensure!(handle.is_finished());
        match handle.await {
            Err(error) if error.is_cancelled() => cancelled += 1,
            other => return Err(format!("a bound task ended with {other:?}")),
        }
    }
    ensure_eq!(cancelled, TASKS);
    ensure_eq!((drops.on_main.get(), drops.elsewhere.get()), (TASKS as u32, 0));
    Ok(())
}

async fn tree_bound_task_ends_when_the_node_leaves_and_stays_ended() -> Result<(), String> {
    let node = Node::new_alloc();
    let mut root = tree().get_root().ok_or("no root")?;
    root.add_child(&node);
    let handle = godot_tasks::TaskBuilder::new().bind_to_tree(&node).spawn(std::future::pending::<()>());
    next_frame().await;
    ensure!(!handle.is_finished());
    root.remove_child(&node);
    next_frame().await;
    ensure!(handle.is_finished(), "still running after the node left the tree");
    root.add_child(&node); // re-entering does not revive it
    next_frame().await;
    ensure!(handle.await.is_err_and(|e| e.is_cancelled()));
    node.free();
    Ok(())
}

/// A group of tasks that each return their value after waiting their number of frames.
fn delayed_group(values_and_waits: &[(i32, u64)]) -> TaskGroup<i32> {
    let mut group = TaskGroup::new();
    for &(value, wait) in values_and_waits {
        group.spawn(async move {
            time::frames(wait).await;
            value
        });
    }
    group
}

/// A group of `count` tasks that never finish, each holding a probe of `drops`.
fn pending_group(drops: &Drops, count: usize) -> TaskGroup<()> {
    let mut group = TaskGroup::new();
    for _ in 0..count {
        let probe = drops.probe();
        group.spawn(async move {
            let _probe = probe;
            std::future::pending::<()>().await;
        });
    }
    group
}

async fn group_joins_all_in_order_and_next_in_finishing_order() -> Result<(), String> {
    let mut group = delayed_group(&[(1, 3), (2, 1), (3, 2)]);
    let all = run_task(async move { group.join_all().await.into_iter().map(Result::ok).collect::<Vec<_>>() }).await?;
    ensure_eq!(all, vec![Some(1), Some(2), Some(3)]);

    let mut group = delayed_group(&[(1, 3), (2, 1), (3, 2)]);
    let order = run_task(async move {
        let mut order = Vec::new();
        while let Some(outcome) = group.next().await {
            order.push(outcome.ok());
        }
        order
    })
    .await?;
    ensure_eq!(order, vec![Some(2), Some(3), Some(1)]);
    Ok(())
}

async fn group_cancel_all_and_drop_cancel_its_tasks() -> Result<(), String> {
    let drops = Drops::default();
    let mut group = pending_group(&drops, 3);
    next_frame().await;
    group.cancel_all();
    let outcomes = run_task(async move { group.join_all().await }).await?;
    ensure!(outcomes.iter().all(|o| o.as_ref().is_err_and(|e| e.is_cancelled())));
    ensure_eq!(drops.on_main.get(), 3);

    let drops = Drops::default();
    let group = pending_group(&drops, 3);
    next_frame().await;
    drop(group);
    next_frame().await;
    ensure_eq!(drops.on_main.get(), 3);
    Ok(())
}

async fn group_detached_on_drop_lets_tasks_finish() -> Result<(), String> {
    let finished = Rc::new(Cell::new(0));
    let mut group = TaskGroup::new().detach_on_drop();
    for _ in 0..3 {
        let finished = finished.clone();
        group.spawn(async move {
            time::frames(2).await;
            finished.set(finished.get() + 1);
        });
    }
    drop(group);
    wait_until(10, "the detached tasks finished", || finished.get() == 3).await
}

async fn group_spawn_returns_a_handle_that_cancels_only_that_task() -> Result<(), String> {
    let mut group = TaskGroup::new();
    group.spawn(async {
        time::frames(2).await;
        1
    });
    let slow = group.spawn(std::future::pending());
    let adopted = group.add(godot_tasks::spawn(std::future::pending()));
    let node = Node::new_alloc();
    let bound = godot_tasks::TaskBuilder::new().bind(&node).spawn_in(&mut group, async {
        time::frames(1).await;
        4
    });
    slow.cancel();
    adopted.clone().cancel();
    let outcomes = run_task(async move { group.join_all().await }).await?;
    node.free();
    let described: Vec<_> = outcomes.iter().map(|o| o.as_ref().map_err(|e| e.is_cancelled()).copied()).collect();
    ensure_eq!(described, vec![Ok(1), Err(true), Err(true), Ok(4)]);
    bound.cancel(); // after the end: a no-op
    Ok(())
}

async fn nested_groups_cancel_downward() -> Result<(), String> {
    let drops = Drops::default();
    let leaves = drops.clone();
    let root_task = godot_tasks::spawn(async move {
        let mut middle = TaskGroup::new();
        for _ in 0..3 {
            let leaves = leaves.clone();
            middle.spawn(async move {
                let mut inner = TaskGroup::new();
                for _ in 0..3 {
                    let probe = leaves.probe();
                    inner.spawn(async move {
                        let _probe = probe;
                        std::future::pending::<()>().await;
                    });
                }
                inner.join_all().await;
            });
        }
        middle.join_all().await;
    });
    frames(2).await;
    ensure_eq!(drops.on_main.get(), 0);
    root_task.cancel();
    frames(3).await;
    ensure_eq!(drops.on_main.get(), 9);
    Ok(())
}

async fn select_between_a_signal_and_a_timeout() -> Result<(), String> {
    let emitter = EmitterNode::new_alloc();
    let signal = emitter.signals().hit().to_untyped();
    let quiet = signal.clone();
    let first = run_task(async move {
        select! {
            hit = quiet.next_emission::<(i64,)>().fuse() => format!("hit {}", hit.0),
            _ = time::sleep(Duration::from_millis(20)).fuse() => "timeout".to_owned(),
        }
    })
    .await?;
    ensure_eq!(first, "timeout");
    let loud = signal.clone();
    let racing = godot_tasks::spawn(async move {
        select! {
            hit = loud.next_emission::<(i64,)>().fuse() => format!("hit {}", hit.0),
            _ = time::sleep(Duration::from_secs(60)).fuse() => "timeout".to_owned(),
        }
    });
    next_frame().await;
    emitter.signals().hit().emit(5);
    ensure_eq!(racing.await.map_err(|e| e.to_string())?, "hit 5");
    emitter.free();
    Ok(())
}

async fn join_of_three_tasks() -> Result<(), String> {
    let a = godot_tasks::spawn(async { 1 });
    let b = godot_tasks::spawn(async {
        time::frames(2).await;
        2
    });
    let c = godot_tasks::spawn(async {
        time::next_frame().await;
        3
    });
    let (a, b, c) = run_task(async move { futures_util::join!(a, b, c) }).await?;
    ensure_eq!((a.ok(), b.ok(), c.ok()), (Some(1), Some(2), Some(3)));
    Ok(())
}

async fn cancel_token_stops_a_select_loop() -> Result<(), String> {
    let token = CancelToken::new();
    let stop = token.clone();
    let ticks = Rc::new(RefCell::new(0));
    let counted = ticks.clone();
    let looping = godot_tasks::spawn(async move {
        let mut frames =
            futures_util::stream::unfold((), |()| async { Some((time::next_frame().await, ())) }).boxed_local();
        loop {
            select! {
                _ = stop.cancelled() => break,
                _ = frames.next().fuse() => *counted.borrow_mut() += 1,
            }
        }
        "stopped"
    });
    frames(4).await;
    ensure!(*ticks.borrow() >= 2);
    token.cancel();
    ensure_eq!(looping.await.map_err(|e| e.to_string())?, "stopped");
    Ok(())
}

async fn named_task_is_named_in_its_error() -> Result<(), String> {
    let node = Node::new_alloc();
    let handle = godot_tasks::TaskBuilder::new().name("patrol").bind(&node).spawn(std::future::pending::<()>());
    ensure_eq!(handle.name(), Some("patrol"));
    next_frame().await;
    node.free();
    let error = handle.await.err().ok_or("the bound task outlived its node")?;
    ensure_eq!(error.task_name(), Some("patrol"));
    ensure!(error.to_string().starts_with("task 'patrol' spawned at itest/rust/src/tests/lifetimes.rs:"), "{error}");
    Ok(())
}

async fn bound_task_never_runs_after_its_object_is_freed_on_another_thread() -> Result<(), String> {
    let object = Object::new_alloc();
    let id = object.instance_id();
    let alive_at_poll = Rc::new(RefCell::new(Vec::new()));
    let seen = alive_at_poll.clone();
    let gate = godot_tasks::spawn(std::future::pending::<()>());
    let open_gate = gate.cancel_handle();
    let handle = godot_tasks::TaskBuilder::new().bind(&object).spawn(async move {
        seen.borrow_mut().push(id.lookup_validity());
        let _ = gate.await;
        seen.borrow_mut().push(id.lookup_validity());
        std::future::pending::<()>().await;
    });
    frames(2).await;
    let mut helper = RefCounted::new_gd();
    helper.set_script(&load::<Script>("res://thread_emitter.gd"));
    helper.call("free_on_thread", &[object.to_variant()]);
    open_gate.cancel(); // wakes the bound task before the main thread hears of the free
    frames(3).await;
    ensure_eq!(*alive_at_poll.borrow(), vec![true]);
    ensure!(handle.await.is_err_and(|e| e.is_cancelled()));
    Ok(())
}

async fn binding_to_a_freed_object_or_a_node_outside_the_tree_cancels_at_once() -> Result<(), String> {
    let ran = Rc::new(Cell::new(0));
    let node = Node::new_alloc();
    node.clone().free();
    let seen = ran.clone();
    let freed = godot_tasks::TaskBuilder::new().bind(&node).spawn(async move { seen.set(seen.get() + 1) });
    let outside = Node::new_alloc();
    let seen = ran.clone();
    let not_in_tree =
        godot_tasks::TaskBuilder::new().bind_to_tree(&outside).spawn(async move { seen.set(seen.get() + 1) });
    ensure!(freed.await.is_err_and(|e| e.is_cancelled()));
    ensure!(not_in_tree.await.is_err_and(|e| e.is_cancelled()));
    ensure_eq!(ran.get(), 0);
    outside.free();
    Ok(())
}

async fn bind_after_bind_to_tree_binds_only_the_object() -> Result<(), String> {
    let node = Node::new_alloc();
    let object = RefCounted::new_gd();
    let handle = godot_tasks::TaskBuilder::new().bind_to_tree(&node).bind(&object).spawn(async {
        time::frames(2).await;
        "done"
    });
    ensure_eq!(handle.await.map_err(|e| e.to_string())?, "done");
    node.free();
    Ok(())
}

/// Awaits `group.join_all()` for 4 frames only; fails if it finished by then.
async fn interrupt_join_all(group: &mut TaskGroup<i32>) -> Result<(), String> {
    select! {
        _ = group.join_all().fuse() => Err("join_all finished before the timeout".to_owned()),
        _ = time::frames(4).fuse() => Ok(()),
    }
}

async fn interrupted_join_all_loses_no_outcome() -> Result<(), String> {
    let mut group = delayed_group(&[(1, 1), (2, 2), (3, 8)]);
    let outcomes = run_task(async move {
        interrupt_join_all(&mut group).await?;
        Ok::<_, String>(group.join_all().await.into_iter().map(Result::ok).collect::<Vec<_>>())
    })
    .await??;
    ensure_eq!(outcomes, vec![Some(1), Some(2), Some(3)]);
    Ok(())
}

/// Outcomes an interrupted `join_all` collected come out of `next` in the order the tasks finished.
async fn next_after_an_interrupted_join_all_keeps_finishing_order() -> Result<(), String> {
    // Added in the order 3, 1, 2; they finish 1, 2, 3.
    let mut group = delayed_group(&[(3, 8), (1, 1), (2, 2)]);
    let outcomes = run_task(async move {
        interrupt_join_all(&mut group).await?;
        let mut outcomes = Vec::new();
        while let Some(outcome) = group.next().await {
            outcomes.push(outcome.ok());
        }
        Ok::<_, String>(outcomes)
    })
    .await??;
    ensure_eq!(outcomes, vec![Some(1), Some(2), Some(3)]);
    Ok(())
}
