//! Issue 5, scenario (a): many tasks each awaiting the next frame, several times.
//!
//! Each frame's time runs from the start of the frame (the first `process_frame` connection) until the last
//! task has resumed. godot-tasks resumes them from its frame hook; `godot::task` awaits the scene tree's
//! `process_frame` signal (one connection and one deferred poll per task); GDScript awaits the same signal.
//! The floor ("by hand") is a loop written for this one job: the tasks are boxed futures in a list, an
//! await puts its task's index on the next frame's list, and a `process_frame` callable polls the listed
//! tasks: one list push and one poll per await, with no waker, no reference count and no bookkeeping.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use godot::prelude::*;

use crate::alloc_counter::snapshot;
use crate::harness::{RoundProgress, Sizes, next_frame, tree};
use crate::report::{BY_HAND, GDSCRIPT, Measurement, OURS, UPSTREAM};
use crate::runner::frame_start;

const SCENARIO: &str = "frame waits";
const UNIT: &str = "per await";

pub async fn run(sizes: Sizes, gdscript: Gd<Node>) -> Vec<Measurement> {
    let (tasks, rounds) = (sizes.fan_out_tasks, sizes.fan_out_rounds);
    let ours = measure(OURS, tasks, rounds, |progress| {
        godot_tasks::spawn(async move {
            for _ in 0..rounds {
                godot_tasks::time::next_frame().await;
                progress.resume();
            }
        })
        .detach();
    })
    .await;
    let process_frame = Signal::from_object_signal(&tree(), "process_frame");
    let upstream = measure(UPSTREAM, tasks, rounds, |progress| {
        let process_frame = process_frame.clone();
        godot::task::spawn(async move {
            for _ in 0..rounds {
                process_frame.to_future::<()>().await;
                progress.resume();
            }
        });
    })
    .await;
    let floor = floor(tasks, rounds).await;
    vec![ours, upstream, gdscript_frame_waits(gdscript, tasks, rounds).await, floor]
}

type HandTask = Pin<Box<dyn Future<Output = ()>>>;

thread_local! {
    /// The hand-written loop's tasks (a finished one leaves `None`), the index of the one being polled, and
    /// the indices listed for the next frame.
    static HAND_TASKS: RefCell<Vec<Option<HandTask>>> = const { RefCell::new(Vec::new()) };
    static HAND_CURRENT: Cell<usize> = const { Cell::new(0) };
    static HAND_NEXT: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

/// The hand-written loop's next-frame wait.
struct HandNextFrame {
    listed: bool,
}

impl Future for HandNextFrame {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        if self.listed {
            return Poll::Ready(());
        }
        self.listed = true;
        HAND_NEXT.with_borrow_mut(|next| next.push(HAND_CURRENT.get()));
        Poll::Pending
    }
}

/// Polls the tasks listed for this frame (the loop's frame hook).
fn hand_frame(due: &mut Vec<usize>) {
    HAND_NEXT.with_borrow_mut(|next| std::mem::swap(next, due));
    let mut cx = Context::from_waker(Waker::noop());
    HAND_TASKS.with_borrow_mut(|tasks| {
        for index in due.drain(..) {
            HAND_CURRENT.set(index);
            let task = &mut tasks[index];
            if task.as_mut().is_some_and(|future| future.as_mut().poll(&mut cx).is_ready()) {
                *task = None;
            }
        }
    });
}

async fn floor(tasks: usize, rounds: usize) -> Measurement {
    let mut due = Vec::new();
    let hook = Callable::from_fn("bench::hand_frame_loop", move |_args| hand_frame(&mut due));
    let process_frame = Signal::from_object_signal(&tree(), "process_frame");
    process_frame.connect(&hook);
    let measurement = measure(BY_HAND, tasks, rounds, |progress| {
        let task: HandTask = Box::pin(async move {
            for _ in 0..rounds {
                HandNextFrame { listed: false }.await;
                progress.resume();
            }
        });
        HAND_TASKS.with_borrow_mut(|tasks| {
            HAND_NEXT.with_borrow_mut(|next| next.push(tasks.len()));
            tasks.push(Some(task));
        });
    })
    .await;
    process_frame.disconnect(&hook);
    HAND_TASKS.with_borrow_mut(Vec::clear);
    measurement.note("the floor: boxed futures in a list, one list push and one poll per await")
}

async fn measure(
    implementation: &'static str,
    tasks: usize,
    rounds: usize,
    spawn: impl Fn(Rc<RoundProgress>),
) -> Measurement {
    let progress = Rc::new(RoundProgress::new(tasks));
    for _ in 0..tasks {
        spawn(progress.clone());
    }
    next_frame().await; // every task made its first wait
    let before = snapshot();
    let mut nanos = 0.0;
    let mut measured = 0;
    for _ in 0..rounds {
        let resumed = progress.resumed.get();
        next_frame().await;
        if progress.resumed.get() == resumed {
            break; // all rounds done
        }
        let start = frame_start().expect("the frame mark runs every frame");
        nanos += progress.last.get().expect("resumed").duration_since(start).as_nanos() as f64;
        measured += 1;
    }
    while progress.resumed.get() < tasks * rounds {
        next_frame().await;
    }
    let ops = tasks * measured.max(1);
    Measurement::new(SCENARIO, implementation, UNIT, nanos / ops as f64, ops as u64)
        .allocs(snapshot().allocations_per(before, ops))
}

async fn gdscript_frame_waits(mut gdscript: Gd<Node>, tasks: usize, rounds: usize) -> Measurement {
    gdscript.call("start_frame_waiters", &[(tasks as i64).to_variant(), (rounds as i64).to_variant()]);
    let mut micros = 0;
    for _ in 0..rounds {
        next_frame().await;
        micros += gdscript.call("frame_window_usec", &[]).to::<i64>();
    }
    next_frame().await;
    let ops = tasks * rounds;
    Measurement::new(SCENARIO, GDSCRIPT, UNIT, micros as f64 * 1000.0 / ops as f64, ops as u64)
}
