//! What scenarios are made of: async bodies polled once per frame by the runner (with a no-op waker,
//! independently of the runtimes being measured), sizes, frame helpers, a clock.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use godot::classes::{Engine, SceneTree};
use godot::prelude::*;

use crate::report::Measurement;

pub type ScenarioBody = Pin<Box<dyn Future<Output = Vec<Measurement>>>>;

/// How much work each scenario does: the sizes, or small ones for a smoke test.
#[derive(Clone, Copy)]
pub struct Sizes {
    pub spawn_tasks: usize,
    pub fan_out_tasks: usize,
    pub fan_out_rounds: usize,
    pub churn_awaits: usize,
    pub wakes_per_frame: usize,
    pub wake_frames: usize,
    pub wake_threads: usize,
    pub wakes_per_thread: usize,
    pub idle_tasks: usize,
    pub idle_frames: usize,
    pub memory_tasks: usize,
    pub offload_jobs: usize,
}

impl Sizes {
    pub const FULL: Sizes = Sizes {
        spawn_tasks: 100_000,
        fan_out_tasks: 10_000,
        fan_out_rounds: 20,
        churn_awaits: 100_000,
        wakes_per_frame: 1_000,
        wake_frames: 20,
        wake_threads: 4,
        wakes_per_thread: 100_000,
        idle_tasks: 100_000,
        idle_frames: 60,
        memory_tasks: 100_000,
        offload_jobs: 10_000,
    };

    pub const QUICK: Sizes = Sizes {
        spawn_tasks: 2_000,
        fan_out_tasks: 500,
        fan_out_rounds: 3,
        churn_awaits: 2_000,
        wakes_per_frame: 1_000,
        wake_frames: 3,
        wake_threads: 4,
        wakes_per_thread: 2_000,
        idle_tasks: 2_000,
        idle_frames: 5,
        memory_tasks: 2_000,
        offload_jobs: 200,
    };
}

/// Resumes the scenario body `n` frames later.
pub fn frames(n: u32) -> impl Future<Output = ()> {
    let mut left = n;
    std::future::poll_fn(move |_cx: &mut Context<'_>| {
        if left == 0 {
            return Poll::Ready(());
        }
        left -= 1;
        Poll::Pending
    })
}

pub fn next_frame() -> impl Future<Output = ()> {
    frames(1)
}

pub fn frame() -> u64 {
    Engine::singleton().get_process_frames()
}

pub fn tree() -> Gd<SceneTree> {
    Engine::singleton()
        .get_main_loop()
        .and_then(|main_loop| main_loop.try_cast().ok())
        .expect("the benchmarks run inside a SceneTree")
}

/// Nanoseconds since `start`, as a float.
pub fn nanos_since(start: Instant) -> f64 {
    start.elapsed().as_nanos() as f64
}

/// How many tasks of a round resumed, and when the round's last one did (the clock is read once per round,
/// not per task, so that its own cost stays out of the measurement).
pub struct RoundProgress {
    tasks: usize,
    pub resumed: Cell<usize>,
    pub last: Cell<Option<Instant>>,
}

impl RoundProgress {
    /// Progress of rounds of `tasks` resumptions each.
    pub fn new(tasks: usize) -> Self {
        Self { tasks, resumed: Cell::new(0), last: Cell::new(None) }
    }

    /// One task resumed.
    pub fn resume(&self) {
        let resumed = self.resumed.get() + 1;
        self.resumed.set(resumed);
        if resumed.is_multiple_of(self.tasks) {
            self.last.set(Some(Instant::now()));
        }
    }
}
