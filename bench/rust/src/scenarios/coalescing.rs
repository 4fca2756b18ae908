//! Scenario 4: one task woken many times per frame from the main thread.
//!
//! Reports the time per wake (the wakes plus the polls they cause, until the last poll) and the polls per
//! frame: godot-tasks polls once however often the task was woken; `godot::task` polls once per wake.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::Instant;

use crate::alloc_counter::snapshot;
use crate::harness::{Sizes, next_frame};
use crate::report::{Measurement, OURS, UPSTREAM};

const SCENARIO: &str = "wake coalescing";
const UNIT: &str = "per wake";

#[derive(Default)]
struct Woken {
    waker: RefCell<Option<Waker>>,
    polls: Cell<u64>,
    last_poll: Cell<Option<Instant>>,
    stop: Cell<bool>,
}

fn task(woken: Rc<Woken>) -> impl std::future::Future<Output = ()> {
    std::future::poll_fn(move |cx| {
        woken.polls.set(woken.polls.get() + 1);
        woken.last_poll.set(Some(Instant::now()));
        if woken.stop.get() {
            return Poll::Ready(());
        }
        let mut slot = woken.waker.borrow_mut();
        if !slot.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            *slot = Some(cx.waker().clone());
        }
        Poll::Pending
    })
}

pub async fn run(sizes: Sizes) -> Vec<Measurement> {
    vec![
        measure(OURS, sizes, |future| godot_tasks::spawn(future).detach()).await,
        measure(UPSTREAM, sizes, |future| {
            godot::task::spawn(future);
        })
        .await,
    ]
}

async fn measure(
    implementation: &'static str,
    sizes: Sizes,
    spawn: impl FnOnce(std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>),
) -> Measurement {
    let woken = Rc::new(Woken::default());
    spawn(Box::pin(task(woken.clone())));
    next_frame().await;
    let waker = woken.waker.borrow().clone().expect("the task was polled");
    let polls_before = woken.polls.get();
    let before = snapshot();
    let mut nanos = 0.0;
    for _ in 0..sizes.wake_frames {
        let start = Instant::now();
        for _ in 0..sizes.wakes_per_frame {
            waker.wake_by_ref();
        }
        next_frame().await;
        nanos += woken.last_poll.get().expect("polled").duration_since(start).as_nanos() as f64;
    }
    let wakes = sizes.wake_frames * sizes.wakes_per_frame;
    let allocs = snapshot().allocations_per(before, wakes);
    let polls_per_frame = (woken.polls.get() - polls_before) as f64 / sizes.wake_frames as f64;
    woken.stop.set(true);
    waker.wake_by_ref();
    next_frame().await;
    Measurement::new(SCENARIO, implementation, UNIT, nanos / wakes as f64, wakes as u64)
        .allocs(allocs)
        .polls_per_frame(polls_per_frame)
}
