//! Issue 7: which pool should run offloaded work. Three pools, each measured alone (the await on the main
//! thread would cost the same for all):
//! - `spawn_compute`'s pool (godot-tasks' own rayon pool, one thread per core): the "godot-tasks" row;
//! - Godot's own `WorkerThreadPool`, driven from Rust with a custom callable per job (see `worker_pool.rs`),
//!   every task waited for with `wait_for_task_completion` as the engine requires: the "by hand" row;
//! - `spawn_blocking`'s pool (godot-tasks' elastic pool, which grows while its threads are busy): in the note.
//!
//! Burst: jobs that each increment a counter, all submitted at once, until the main thread has seen them
//! all finish. Latency: one job per frame (the pool's threads sleep in between, as in a game), the median
//! time from its submission until the main thread (parked, so that it leaves the cores to the workers)
//! sees it finish.

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
    Ours(#[allow(dead_code)] godot_tasks::threads::Offloaded<usize>),
    Godot(i64),
}

/// Jobs finished so far, and the thread to unpark when one finishes.
struct Done {
    count: AtomicUsize,
    waiter: std::thread::Thread,
}

impl Done {
    fn new() -> Arc<Self> {
        Arc::new(Self { count: AtomicUsize::new(0), waiter: std::thread::current() })
    }

    /// Spins the main thread until `target` jobs finished: for bursts, where it is never idle long.
    fn spin_until(&self, target: usize) {
        while self.count.load(Ordering::Acquire) < target {
            std::hint::spin_loop();
        }
    }

    /// Parks the main thread until `target` jobs finished, leaving the cores to the workers.
    fn park_until(&self, target: usize) {
        while self.count.load(Ordering::Acquire) < target {
            std::thread::park();
        }
    }
}

impl Pool {
    fn submit(self, done: &Arc<Done>) -> Pending {
        let done = done.clone();
        let work = move || {
            let count = done.count.fetch_add(1, Ordering::Release);
            done.waiter.unpark();
            count
        };
        match self {
            Pool::Compute => Pending::Ours(godot_tasks::threads::spawn_compute(work)),
            Pool::Blocking => Pending::Ours(godot_tasks::threads::spawn_blocking(work)),
            Pool::Godot => {
                let job = worker_pool::job(move || {
                    work();
                });
                // High priority: low-priority tasks may use only part of the engine's threads.
                Pending::Godot(WorkerThreadPool::singleton().add_task_ex(&job).high_priority(true).done())
            }
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

/// Nanoseconds per job for `jobs` jobs submitted at once.
fn burst(pool: Pool, jobs: usize) -> f64 {
    let done = Done::new();
    let start = Instant::now();
    let pending: Vec<Pending> = (0..jobs).map(|_| pool.submit(&done)).collect();
    done.spin_until(jobs);
    pending.into_iter().for_each(Pending::finish);
    nanos_since(start) / jobs as f64
}

/// The median nanoseconds per job for `jobs` jobs, one per frame (as a game offloads them, so the pool's
/// threads have gone to sleep in between), each from its submission until the main thread, parked
/// meanwhile, sees it done.
async fn one_per_frame(pool: Pool, jobs: usize) -> f64 {
    let done = Done::new();
    let mut latencies = Vec::with_capacity(jobs);
    for job in 0..jobs {
        next_frame().await;
        let start = Instant::now();
        let pending = pool.submit(&done);
        done.park_until(job + 1);
        pending.finish();
        latencies.push(nanos_since(start));
    }
    latencies.sort_by(f64::total_cmp);
    latencies[jobs / 2]
}

pub async fn run(sizes: Sizes) -> Vec<Measurement> {
    let jobs = sizes.offload_jobs;
    let sequential = (jobs / 50).max(10);
    let mut results = Vec::new();
    for pool in [Pool::Compute, Pool::Godot, Pool::Blocking] {
        burst(pool, jobs); // warm-up: threads started
        next_frame().await;
        let per_job = burst(pool, jobs);
        next_frame().await;
        let latency = one_per_frame(pool, sequential).await;
        results.push((per_job, latency));
    }
    let [(compute, compute_latency), (godot, godot_latency), (blocking, blocking_latency)] = results[..] else {
        unreachable!("three pools")
    };
    let godot_note =
        "Godot's WorkerThreadPool: a custom callable per job, add_task at high priority, each task waited for";
    vec![
        Measurement::new("worker pool burst", OURS, "per job", compute, jobs as u64).note(format!(
            "{jobs} jobs at once on spawn_compute's pool; spawn_blocking's pool: {blocking:.0} ns per job"
        )),
        Measurement::new("worker pool burst", BY_HAND, "per job", godot, jobs as u64).note(godot_note),
        Measurement::new("worker pool latency", OURS, "per job", compute_latency, sequential as u64).note(format!(
            "median of {sequential} jobs, one per frame, on spawn_compute's pool; spawn_blocking's pool: {blocking_latency:.0} ns"
        )),
        Measurement::new("worker pool latency", BY_HAND, "per job", godot_latency, sequential as u64).note(godot_note),
    ]
}
