//! Scenario 5: several threads wake main-thread tasks many times each.
//!
//! Reports the wall time per wake while all threads wake at once, and how many frames after the last wake
//! every task has resumed. `godot::task`'s waker calls into the engine, which the `godot` crate refuses
//! off the main thread without its `experimental-threads` feature, so only godot-tasks runs this.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::time::Instant;

use crate::harness::{Sizes, frame, nanos_since, next_frame};
use crate::report::{Measurement, OURS};

#[derive(Default)]
struct Shared {
    waker: Mutex<Option<Waker>>,
    wakes: AtomicU64,
    done: AtomicBool,
}

pub async fn run(sizes: Sizes) -> Vec<Measurement> {
    let (threads, per_thread) = (sizes.wake_threads, sizes.wakes_per_thread);
    let shared: Vec<Arc<Shared>> = (0..threads).map(|_| Arc::default()).collect();
    let handles: Vec<_> = shared
        .iter()
        .map(|shared| {
            let shared = shared.clone();
            godot_tasks::spawn(std::future::poll_fn(move |cx| {
                if shared.done.load(Ordering::Acquire) {
                    return Poll::Ready(shared.wakes.load(Ordering::Relaxed));
                }
                *shared.waker.lock().unwrap() = Some(cx.waker().clone());
                Poll::Pending
            }))
        })
        .collect();
    next_frame().await; // every task stored its waker
    let start = Instant::now();
    let workers: Vec<_> = shared
        .iter()
        .map(|shared| {
            let shared = shared.clone();
            std::thread::spawn(move || {
                let waker = shared.waker.lock().unwrap().clone().expect("the task was polled");
                for _ in 0..per_thread {
                    shared.wakes.fetch_add(1, Ordering::Relaxed);
                    waker.wake_by_ref();
                }
                shared.done.store(true, Ordering::Release);
                waker.wake_by_ref();
            })
        })
        .collect();
    for worker in workers {
        worker.join().expect("a waking thread panicked");
    }
    let nanos = nanos_since(start);
    let woken_in = frame();
    while !handles.iter().all(|handle| handle.is_finished()) {
        next_frame().await;
    }
    let frames = (frame() - woken_in) as f64;
    let wakes = threads * per_thread;
    vec![
        Measurement::new("cross-thread wakes", OURS, "per wake", nanos / wakes as f64, wakes as u64)
            .frames_until_resumed(frames)
            .note(format!("{threads} threads; godot::task cannot be woken off the main thread")),
    ]
}
