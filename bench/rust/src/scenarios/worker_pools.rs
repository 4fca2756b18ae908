//! Issue 7: which pool should run offloaded work. Three pools, each measured alone (the await on the main
//! thread would cost the same for all):
//! - `spawn_compute`'s pool (rayon's, one thread per core): the "godot-tasks" row;
//! - Godot's own `WorkerThreadPool`, driven from Rust with a custom callable per job (see `worker_pool.rs`),
//!   every task waited for with `wait_for_task_completion` as the engine requires: the "by hand" row;
//! - `spawn_blocking`'s pool (the `blocking` crate's, which grows while its threads are busy): in the note.
//!
//! Burst: jobs that each increment a counter, all submitted at once, until the main thread has seen them
//! all finish. Latency: one job at a time, from its submission until the main thread sees it finish.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use godot::classes::WorkerThreadPool;
use godot::obj::Singleton;

use crate::harness::{Sizes, nanos_since, next_frame};
use crate::report::{BY_HAND, Measurement, OURS};
use crate::worker_pool;

#[derive(Clone, Copy)]
enum Pool {
    Compute,
    Blocking,
    Godot,
}

/// A job submitted to a pool; finishing it means it is collected (dropped, or waited for).
enum Pending {
    Ours(#[allow(dead_code)] godot_tasks::threads::Blocking<usize>),
    Godot(i64),
}

impl Pool {
    fn submit(self, done: &Arc<AtomicUsize>) -> Pending {
        let done = done.clone();
        let work = move || done.fetch_add(1, Ordering::Release);
        match self {
            Pool::Compute => Pending::Ours(godot_tasks::threads::spawn_compute(work)),
            Pool::Blocking => Pending::Ours(godot_tasks::threads::spawn_blocking(work)),
            Pool::Godot => Pending::Godot(WorkerThreadPool::singleton().add_task(&worker_pool::job(move || {
                work();
            }))),
        }
    }
}

impl Pending {
    fn finish(self) {
        if let Pending::Godot(id) = self {
            WorkerThreadPool::singleton().wait_for_task_completion(id);
        }
    }
}

/// Spins the main thread until `counter` reaches `target`.
fn spin_until(counter: &AtomicUsize, target: usize) {
    while counter.load(Ordering::Acquire) < target {
        std::hint::spin_loop();
    }
}

/// Nanoseconds per job for `jobs` jobs submitted at once.
fn burst(pool: Pool, jobs: usize) -> f64 {
    let done = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let pending: Vec<Pending> = (0..jobs).map(|_| pool.submit(&done)).collect();
    spin_until(&done, jobs);
    pending.into_iter().for_each(Pending::finish);
    nanos_since(start) / jobs as f64
}

/// Nanoseconds per job for `jobs` jobs one after another.
fn one_by_one(pool: Pool, jobs: usize) -> f64 {
    let done = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    for job in 0..jobs {
        let pending = pool.submit(&done);
        spin_until(&done, job + 1);
        pending.finish();
    }
    nanos_since(start) / jobs as f64
}

pub async fn run(sizes: Sizes) -> Vec<Measurement> {
    let jobs = sizes.offload_jobs;
    let sequential = (jobs / 10).max(10);
    let mut results = Vec::new();
    for pool in [Pool::Compute, Pool::Godot, Pool::Blocking] {
        burst(pool, jobs); // warm-up: threads started
        next_frame().await;
        let per_job = burst(pool, jobs);
        next_frame().await;
        let latency = one_by_one(pool, sequential);
        next_frame().await;
        results.push((per_job, latency));
    }
    let [(compute, compute_latency), (godot, godot_latency), (blocking, blocking_latency)] = results[..] else {
        unreachable!("three pools")
    };
    let godot_note =
        "Godot's WorkerThreadPool: a custom callable per job, add_task (low priority), each task waited for";
    vec![
        Measurement::new("worker pool burst", OURS, "per job", compute, jobs as u64).note(format!(
            "{jobs} jobs at once on spawn_compute's pool; spawn_blocking's pool: {blocking:.0} ns per job"
        )),
        Measurement::new("worker pool burst", BY_HAND, "per job", godot, jobs as u64).note(godot_note),
        Measurement::new("worker pool latency", OURS, "per job", compute_latency, sequential as u64).note(format!(
            "{sequential} jobs one after another on spawn_compute's pool; spawn_blocking's pool: {blocking_latency:.0} ns per job"
        )),
        Measurement::new("worker pool latency", BY_HAND, "per job", godot_latency, sequential as u64).note(godot_note),
    ]
}
