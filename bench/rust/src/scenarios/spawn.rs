//! Scenario 1: spawn and complete trivial tasks.
//!
//! godot-tasks polls a new task in the runtime's next flush (a deferred call later in the same frame), so the
//! time runs from the first spawn until the last task has run. `godot::task` polls inside `spawn`, so its
//! time is the spawn loop. GDScript has no tasks to spawn.
//!
//! "By hand" is the floor of any executor that polls a task later than `spawn` (so that spawning inside
//! `bind_mut()` is safe): one allocation per task, held until the poll, one queue push and one poll, with no
//! state, no waker, no handle, no panic catching.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Instant;

use crate::alloc_counter::snapshot;
use crate::harness::{Sizes, nanos_since, next_frame};
use crate::report::{BY_HAND, Measurement, OURS, UPSTREAM};

const UNIT: &str = "per task";

pub async fn run(sizes: Sizes) -> Vec<Measurement> {
    let tasks = sizes.spawn_tasks;
    // Warm-up at full size: the runtime's tables and the allocator's free lists reach their steady state
    // (godot-tasks holds every task until the flush; godot::task finishes each inside spawn).
    ours(tasks).await;
    upstream(tasks);
    floor(tasks);
    vec![ours(tasks).await, upstream(tasks), floor(tasks)]
}

fn floor(tasks: usize) -> Measurement {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll, Waker};

    /// A trivial future as large as a godot-tasks task (whose 32-byte header holds its state), so that the
    /// floor allocates what a task allocates.
    struct Trivial([u64; 4]);
    impl Future for Trivial {
        type Output = ();
        fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
            std::hint::black_box(&self.0);
            Poll::Ready(())
        }
    }

    let mut queue: Vec<Pin<Box<dyn Future<Output = ()>>>> = Vec::with_capacity(tasks);
    let before = snapshot();
    let start = Instant::now();
    for index in 0..tasks {
        queue.push(Box::pin(Trivial([index as u64; 4])));
    }
    let mut cx = Context::from_waker(Waker::noop());
    for mut task in queue.drain(..) {
        let _ = std::hint::black_box(task.as_mut().poll(&mut cx));
    }
    let nanos = nanos_since(start);
    let allocs = snapshot().allocations_per(before, tasks);
    Measurement::new("spawn", BY_HAND, UNIT, nanos / tasks as f64, tasks as u64)
        .allocs(allocs)
        .note("the floor of a deferred first poll: a boxed future per task in a Vec, each polled once and freed")
}

async fn ours(tasks: usize) -> Measurement {
    let finished = Rc::new(Cell::new(None));
    let before = snapshot();
    let start = Instant::now();
    for _ in 0..tasks {
        godot_tasks::spawn(async {}).detach();
    }
    let spawned = nanos_since(start);
    let done = finished.clone();
    godot_tasks::spawn(async move { done.set(Some(nanos_since(start))) }).detach();
    next_frame().await;
    let allocs = snapshot().allocations_per(before, tasks);
    let nanos = finished.get().expect("every task ran within the frame");
    Measurement::new("spawn", OURS, UNIT, nanos / tasks as f64, tasks as u64)
        .allocs(allocs)
        .note(format!("spawn calls {:.0} ns per task, the rest in the flush", spawned / tasks as f64))
}

fn upstream(tasks: usize) -> Measurement {
    let before = snapshot();
    let start = Instant::now();
    for _ in 0..tasks {
        godot::task::spawn(async {});
    }
    let nanos = nanos_since(start);
    let allocs = snapshot().allocations_per(before, tasks);
    Measurement::new("spawn", UPSTREAM, UNIT, nanos / tasks as f64, tasks as u64).allocs(allocs)
}
