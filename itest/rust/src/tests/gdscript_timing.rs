//! GDScript timing: a task whose first poll runs inside `spawn` and that resumes inside the emission it awaits,
//! against the default timing; re-entrancy ends in a panic that names the fix; a freed emitter ends the task
//! quietly.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use godot::classes::Node;
use godot::prelude::*;
use godot_tasks::TaskBuilder;
use godot_tasks::signal::TypedSignalExt;

use crate::emitter::{Emitter, EmitterNode};
use crate::harness::{next_frame, wait_until};
use crate::{ensure, ensure_eq, tests};

tests![
    first_poll_runs_inside_spawn_only_with_gdscript_timing,
    resumes_inside_the_emission_and_reads_the_emitters_state,
    tasks_resumed_by_one_emission_run_in_the_order_they_awaited,
    a_resumed_task_that_emits_resumes_the_next_one_inside_its_own_poll,
    a_task_that_emits_the_signal_it_awaits_gets_the_emission_in_the_same_poll,
    freed_emitter_ends_the_task_quietly,
    emitter_bound_while_emitting_gives_a_panic_naming_the_emission_and_the_fix,
    spawner_bound_while_spawning_gives_a_panic_naming_the_spawn_and_the_fix,
    bound_task_with_gdscript_timing_ends_with_its_node,
];

/// A log the tests and their tasks append to.
#[derive(Clone, Default)]
struct Log(Rc<RefCell<Vec<String>>>);

impl Log {
    fn push(&self, line: impl Into<String>) {
        self.0.borrow_mut().push(line.into());
    }

    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.borrow_mut())
    }
}

fn emit_ping(emitter: &Gd<Emitter>) {
    emitter.clone().upcast::<Object>().emit_signal("ping", &[]);
}

async fn first_poll_runs_inside_spawn_only_with_gdscript_timing() -> Result<(), String> {
    let log = Log::default();
    for gdscript in [true, false] {
        let inside = log.clone();
        let builder = if gdscript { TaskBuilder::new().gdscript_timing() } else { TaskBuilder::new() };
        let task = builder.spawn(async move { inside.push("first poll") });
        log.push("spawn returned");
        wait_until(2, "the task ran", || task.is_finished()).await?;
    }
    ensure_eq!(log.take(), ["first poll", "spawn returned", "spawn returned", "first poll"]);
    Ok(())
}

/// The GDScript idiom: the emitter sets a flag, emits, and clears the flag; a coroutine resumed by the emission
/// reads the flag.
async fn resumes_inside_the_emission_and_reads_the_emitters_state() -> Result<(), String> {
    for gdscript in [true, false] {
        let emitter = Emitter::new_gd();
        let flag = Rc::new(Cell::new(false));
        let seen = Rc::new(Cell::new(None));
        let (read, store) = (flag.clone(), seen.clone());
        let ping = emitter.signals().ping().next_emission();
        let builder = if gdscript { TaskBuilder::new().gdscript_timing() } else { TaskBuilder::new() };
        let task = builder.spawn(async move {
            ping.await;
            store.set(Some(read.get()));
        });
        next_frame().await;
        flag.set(true);
        emit_ping(&emitter);
        let resumed_inside = seen.get().is_some();
        flag.set(false);
        wait_until(2, "the task ended", || task.is_finished()).await?;
        // Resumed inside the emission, reading the flag still set, only with GDScript timing.
        ensure_eq!((gdscript, resumed_inside, seen.get()), (gdscript, gdscript, Some(gdscript)));
    }
    Ok(())
}

async fn tasks_resumed_by_one_emission_run_in_the_order_they_awaited() -> Result<(), String> {
    let emitter = Emitter::new_gd();
    let log = Log::default();
    let mut tasks = Vec::new();
    for name in ["first", "second", "third"] {
        let (log, emitter) = (log.clone(), emitter.clone());
        tasks.push(TaskBuilder::new().gdscript_timing().spawn(async move {
            emitter.signals().count().next_emission().await;
            log.push(name);
        }));
    }
    log.push("emit");
    emitter.signals().count().emit(1);
    log.push("emit returned");
    ensure_eq!(log.take(), ["emit", "first", "second", "third", "emit returned"]);
    ensure!(tasks.iter().all(|task| task.is_finished()));
    Ok(())
}

async fn a_resumed_task_that_emits_resumes_the_next_one_inside_its_own_poll() -> Result<(), String> {
    let (first, second) = (Emitter::new_gd(), Emitter::new_gd());
    let log = Log::default();
    let (log_b, second_b) = (log.clone(), second.clone());
    let _b = TaskBuilder::new().gdscript_timing().spawn(async move {
        second_b.signals().ping().next_emission().await;
        log_b.push("b resumed");
    });
    let (log_a, first_a, second_a) = (log.clone(), first.clone(), second.clone());
    let _a = TaskBuilder::new().gdscript_timing().spawn(async move {
        first_a.signals().ping().next_emission().await;
        log_a.push("a resumed");
        emit_ping(&second_a);
        log_a.push("a after its emit");
    });
    emit_ping(&first);
    log.push("emit returned");
    ensure_eq!(log.take(), ["a resumed", "b resumed", "a after its emit", "emit returned"]);
    Ok(())
}

/// The task is running when the emission arrives, so it cannot resume inside it; the emission waits in its
/// future, which is ready at its next poll: here, the same poll.
async fn a_task_that_emits_the_signal_it_awaits_gets_the_emission_in_the_same_poll() -> Result<(), String> {
    let emitter = Emitter::new_gd();
    let inside = emitter.clone();
    let task = TaskBuilder::new().gdscript_timing().spawn(async move {
        let ping = inside.signals().ping().next_emission();
        let mut ping = std::pin::pin!(ping);
        // Polled once (pending), then the signal is emitted by this very task while it runs.
        std::future::poll_fn(|cx| {
            let _ = ping.as_mut().poll(cx);
            std::task::Poll::Ready(())
        })
        .await;
        emit_ping(&inside);
        ping.await;
        "resumed"
    });
    ensure!(task.is_finished(), "the emission was kept for the await that follows it");
    ensure_eq!(task.await.map_err(|e| e.to_string())?, "resumed");
    Ok(())
}

async fn freed_emitter_ends_the_task_quietly() -> Result<(), String> {
    let dropped = Rc::new(Cell::new(false));
    struct SetOnDrop(Rc<Cell<bool>>);
    impl Drop for SetOnDrop {
        fn drop(&mut self) {
            self.0.set(true);
        }
    }
    let emitter = Emitter::new_gd();
    let guard = SetOnDrop(dropped.clone());
    let ping = emitter.signals().ping().next_emission();
    let task = TaskBuilder::new().gdscript_timing().spawn(async move {
        let _guard = guard;
        ping.await;
        "emitted"
    });
    drop(emitter); // freed: the await can never complete
    wait_until(3, "the task ended", || task.is_finished()).await?;
    ensure!(dropped.get(), "the task's destructors ran");
    let error = task.await.err().ok_or("a task whose emitter was freed returned")?;
    ensure!(error.is_cancelled(), "ended quietly, not with a panic: {error}");
    Ok(())
}

async fn emitter_bound_while_emitting_gives_a_panic_naming_the_emission_and_the_fix() -> Result<(), String> {
    let emitter = Emitter::new_gd();
    let inside = emitter.clone();
    let ping = emitter.signals().ping().next_emission();
    let task = TaskBuilder::new().gdscript_timing().spawn(async move {
        ping.await;
        let _bound = inside.bind(); // the emitter holds `bind_mut()` while it emits
    });
    {
        // Code that holds the emitter bound while it emits. (Inside the emitter's own `&mut self` methods,
        // godot-rust's `self.signals()` and `base_mut()` let the object be bound again, so they do not conflict.)
        let mut bound = emitter.clone();
        let _guard = bound.bind_mut();
        emit_ping(&emitter);
    }
    ensure!(task.is_finished(), "the task ran inside the emission");
    let error = task.await.err().ok_or("a bind that conflicts returned")?;
    let message = error.panic_message().ok_or("not a panic")?;
    ensure!(message.contains("already bound"), "{message}");
    ensure!(message.contains("inside the emission of signal 'ping' of Emitter"), "{message}");
    ensure!(message.contains("emit after the guard is dropped"), "{message}");
    // The emitter works on: nothing was left bound or half-delivered.
    let again = emitter.signals().ping().next_emission();
    let later = godot_tasks::spawn(again);
    emit_ping(&emitter);
    wait_until(2, "a later await resumed", || later.is_finished()).await
}

async fn spawner_bound_while_spawning_gives_a_panic_naming_the_spawn_and_the_fix() -> Result<(), String> {
    let mut node = EmitterNode::new_alloc();
    let inside = node.clone();
    let task = {
        let _bound = node.bind_mut();
        TaskBuilder::new().gdscript_timing().spawn(async move {
            let _also = inside.bind();
        })
    };
    let error = task.await.err().ok_or("a bind that conflicts returned")?;
    let message = error.panic_message().ok_or("not a panic")?;
    ensure!(message.contains("inside the spawn at itest/rust/src/tests/gdscript_timing.rs:"), "{message}");
    ensure!(message.contains("spawn it after the guard is dropped"), "{message}");
    node.free();
    Ok(())
}

async fn bound_task_with_gdscript_timing_ends_with_its_node() -> Result<(), String> {
    let node = Node::new_alloc();
    let ran = Rc::new(Cell::new(false));
    let flag = ran.clone();
    let task = TaskBuilder::new().gdscript_timing().bind(&node).spawn(async move {
        flag.set(true);
        std::future::pending::<()>().await;
    });
    ensure!(ran.get(), "the first poll ran inside spawn");
    node.free();
    wait_until(3, "the bound task ended", || task.is_finished()).await?;
    ensure!(task.await.is_err_and(|e| e.is_cancelled()));
    Ok(())
}
