//! Issue 7: offloading work to other threads and getting the result back on the main thread.
//!
//! godot-tasks: each job is `spawn_compute(..)`, awaited inside a main-thread task. The comparison is what
//! godot-rust users write by hand today: a worker thread fed by a channel, and a second channel polled with
//! `try_recv` once per frame in `_process` (here, the bench runner's own `process`).
//!
//! Reported per job: the main thread's time, which is what a game pays. That is the submission loop, plus,
//! in every frame in which results came back, the time from the start of the frame until they were all
//! handled (for godot-tasks, the runtime's frame hook resuming the tasks; by hand, the `try_recv` loop). The
//! wait for the next frame is left out: both sides wait for it alike, and it is a frame interval, not work
//! (measuring it made the row read anything from 50 to 740 ns). The frames until the last result are
//! reported separately.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::mpsc;
use std::time::Instant;

use crate::harness::{Sizes, frame, nanos_since, next_frame};
use crate::report::{BY_HAND, Measurement, OURS};
use crate::runner::frame_start;

pub async fn run(sizes: Sizes) -> Vec<Measurement> {
    let jobs = sizes.offload_jobs;

    // godot-tasks
    let done = Rc::new(Cell::new(0));
    let started_in = frame();
    let submit = Instant::now();
    for job in 0..jobs {
        let doubling = godot_tasks::threads::spawn_compute(move || job * 2);
        let done = done.clone();
        godot_tasks::spawn(async move {
            assert_eq!(doubling.await.expect("no panic"), job * 2);
            done.set(done.get() + 1);
        })
        .detach();
    }
    let mut ours_nanos = nanos_since(submit);
    while done.get() < jobs {
        let before = done.get();
        next_frame().await;
        if done.get() > before {
            ours_nanos += since_frame_start();
        }
    }
    let ours_frames = (frame() - started_in) as f64;

    // A worker thread and two channels, polled once per frame.
    let (to_worker, jobs_in) = mpsc::channel::<usize>();
    let (results_out, from_worker) = mpsc::channel::<usize>();
    let worker = std::thread::spawn(move || {
        for job in jobs_in {
            if results_out.send(job * 2).is_err() {
                break;
            }
        }
    });
    let started_in = frame();
    let submit = Instant::now();
    for job in 0..jobs {
        to_worker.send(job).expect("the worker runs");
    }
    let mut channel_nanos = nanos_since(submit);
    let mut received = 0;
    while received < jobs {
        next_frame().await;
        let before = received;
        while from_worker.try_recv().is_ok() {
            received += 1;
        }
        if received > before {
            channel_nanos += since_frame_start();
        }
    }
    let channel_frames = (frame() - started_in) as f64;
    drop(to_worker);
    let _ = worker.join();

    vec![
        Measurement::new("offload round trip", OURS, "per job", ours_nanos / jobs as f64, jobs as u64)
            .frames_until_resumed(ours_frames)
            .note(format!("{jobs} jobs, each spawn_compute(..) awaited in its own task; main-thread time")),
        Measurement::new("offload round trip", BY_HAND, "per job", channel_nanos / jobs as f64, jobs as u64)
            .frames_until_resumed(channel_frames)
            .note(
                "a worker thread fed by a channel, results from a second channel polled in _process; main-thread time",
            ),
    ]
}

/// Nanoseconds from the start of this frame (the first `process_frame` connection) until now.
fn since_frame_start() -> f64 {
    nanos_since(frame_start().expect("the frame mark runs every frame"))
}
