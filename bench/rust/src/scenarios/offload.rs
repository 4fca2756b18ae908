//! Issue 7: offloading work to other threads and getting the result back on the main thread.
//!
//! godot-tasks: each job is `spawn_compute(..).await` inside a main-thread task. The comparison is what
//! godot-rust users write by hand today: a worker thread fed by a channel, and a second channel polled with
//! `try_recv` once per frame in `_process` (here, the bench runner's own `process`). Reported: wall time per
//! job until every result is back on the main thread, and the frames that took.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::mpsc;
use std::time::Instant;

use crate::harness::{Sizes, frame, nanos_since, next_frame};
use crate::report::{BY_HAND, Measurement, OURS};

pub async fn run(sizes: Sizes) -> Vec<Measurement> {
    let jobs = sizes.offload_jobs;

    // godot-tasks
    let done = Rc::new(Cell::new(0));
    let start = Instant::now();
    let started_in = frame();
    for job in 0..jobs {
        let done = done.clone();
        godot_tasks::spawn(async move {
            let doubled = godot_tasks::threads::spawn_compute(move || job * 2).await.expect("no panic");
            assert_eq!(doubled, job * 2);
            done.set(done.get() + 1);
        })
        .detach();
    }
    let mut ours_nanos = 0.0;
    while done.get() < jobs {
        next_frame().await;
        ours_nanos = nanos_since(start);
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
    let start = Instant::now();
    let started_in = frame();
    for job in 0..jobs {
        to_worker.send(job).expect("the worker runs");
    }
    let mut received = 0;
    let mut channel_nanos = 0.0;
    while received < jobs {
        next_frame().await;
        while from_worker.try_recv().is_ok() {
            received += 1;
        }
        channel_nanos = nanos_since(start);
    }
    let channel_frames = (frame() - started_in) as f64;
    drop(to_worker);
    let _ = worker.join();

    vec![
        Measurement::new("offload round trip", OURS, "per job", ours_nanos / jobs as f64, jobs as u64)
            .frames_until_resumed(ours_frames)
            .note(format!("{jobs} jobs, each spawn_compute(..).await in its own task")),
        Measurement::new("offload round trip", BY_HAND, "per job", channel_nanos / jobs as f64, jobs as u64)
            .frames_until_resumed(channel_frames)
            .note("a worker thread fed by a channel, results from a second channel polled in _process"),
    ]
}
