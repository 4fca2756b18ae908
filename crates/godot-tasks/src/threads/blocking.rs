//! Offloading blocking closures and `Send` futures to the blocking pool, which grows while its threads are
//! busy and shrinks when they are idle.
//!
//! The pool is godot-tasks' own, so that stopping it can drop the jobs still queued and join every thread
//! (an idle thread waking from its timeout after the library was unloaded would crash the process).
//! A job is queued; if more jobs wait than threads are idle, a new thread starts (up to [`MAX_THREADS`]).
//! A thread idle for [`IDLE_TIMEOUT`] ends.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use super::outcome::{Offloaded, Pool};
use super::pool::{Gate, Job, PoolSlot};
use super::workers::{Worker, join_all, run_job};

/// The most threads the blocking pool runs at once; later jobs wait in its queue.
const MAX_THREADS: usize = 512;
/// How long a blocking-pool thread waits for a job before it ends.
const IDLE_TIMEOUT: Duration = Duration::from_secs(5);

/// Runs `work` on the blocking pool, whose threads (`godot-tasks-blocking`) grow in number while they are
/// busy and end when idle, and
/// returns its result as a future for a main-thread task. A panic in `work` comes back as a
/// [`OffloadError`](super::OffloadError).
///
/// Use it for work that waits: reading files, blocking network calls, anything that sleeps or locks. A
/// blocked job never holds up other jobs, because the pool starts another thread. For work that keeps a
/// core busy (decoding, path-finding, procedural generation), [`spawn_compute`](super::spawn_compute) is
/// faster and does not oversubscribe the CPU. `work` and its result must be `Send`: build engine objects
/// from the result on the main thread, after the await.
///
/// # Example
///
/// ```no_run
/// use godot::prelude::*;
///
/// # fn example(mut label: Gd<godot::classes::Label>) {
/// godot_tasks::spawn(async move {
///     let text = godot_tasks::threads::spawn_blocking(|| std::fs::read_to_string("save.json")).await;
///     match text {
///         Ok(Ok(text)) => label.set_text(&text), // back on the main thread
///         Ok(Err(io)) => godot_error!("cannot read the save: {io}"),
///         Err(panic) => godot_error!("{panic}"),
///     }
/// })
/// .detach();
/// # }
/// ```
#[track_caller]
pub fn spawn_blocking<F, R>(work: F) -> Offloaded<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    Pool::Blocking.offload(work)
}

/// Runs a `Send` future on a worker thread (driven there until it completes) and returns its output as a
/// future for a main-thread task; a panic comes back as a [`OffloadError`](super::OffloadError).
///
/// When the runtime stops (see [the threads module](super#stopping)) a future still waiting is dropped at
/// once, on its worker, and this resolves to an [`OffloadError`](super::OffloadError) that is not a panic.
///
/// For async work that never touches the engine, such as a computation written with `async` helpers. Each
/// such future occupies a worker thread while it runs.
///
/// # Example
///
/// ```no_run
/// # async fn example() {
/// // Ok(42), or an `OffloadError` if the work panicked or the runtime stopped first.
/// let answer = godot_tasks::threads::spawn_send(async { 6 * 7 }).await;
/// # }
/// ```
#[track_caller]
pub fn spawn_send<F>(future: F) -> Offloaded<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    Pool::Blocking.offload_until_stopped(move || block_on(future))
}

/// Drives `future` to completion on this (worker) thread, parking between wakes; gives up (`None`, dropping
/// the future here) when the pools stop meanwhile, which unparks every pool thread.
fn block_on<F: Future>(future: F) -> Option<F::Output> {
    use std::sync::Arc;
    use std::task::Wake;
    use std::thread::{self, Thread};

    struct Unpark(Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.unpark();
        }
    }

    let stops = super::pool::stops();
    let waker = Arc::new(Unpark(thread::current())).into();
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return Some(output);
        }
        thread::park();
        if super::pool::stops() != stops {
            return None;
        }
    }
}

/// The running blocking pool, if any.
static POOL: PoolSlot<Shared> = PoolSlot::new();

/// One blocking pool, shared by its threads and by whoever queues jobs.
struct Shared {
    state: Mutex<State>,
    /// Notified when a job is queued, and when the pool stops.
    work: Condvar,
}

struct State {
    jobs: VecDeque<Job>,
    /// Threads waiting for a job.
    idle: usize,
    /// Every thread started and not yet joined (some may have ended after their idle timeout).
    threads: Vec<Worker>,
    /// Threads still in their work loop.
    live: usize,
    stopping: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // No user code runs under the lock (jobs are dropped outside it), so poisoning cannot leave it broken.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The loop of one pool thread: takes jobs until the pool stops or no job came for `IDLE_TIMEOUT`.
    fn work(&self) {
        let mut state = self.lock();
        loop {
            if let Some(job) = state.jobs.pop_front() {
                drop(state);
                run_job(job.offloaded_at, || job.run());
                state = self.lock();
                continue;
            }
            if state.stopping {
                state.live -= 1;
                return;
            }
            state.idle += 1;
            let (next, timeout) = self.work.wait_timeout(state, IDLE_TIMEOUT).unwrap_or_else(PoisonError::into_inner);
            state = next;
            state.idle -= 1;
            if timeout.timed_out() && state.jobs.is_empty() && !state.stopping {
                state.live -= 1;
                return; // idle too long; its handle is joined by the next `run` that starts a thread, or `stop`
            }
        }
    }
}

/// Queues `job` on the blocking pool, starting the pool or another thread if needed. Returns the job if the
/// library has stopped for good (the caller drops it).
pub(super) fn run(job: Job) -> Result<(), Job> {
    let start = || Shared {
        state: Mutex::new(State { jobs: VecDeque::new(), idle: 0, threads: Vec::new(), live: 0, stopping: false }),
        work: Condvar::new(),
    };
    let Some(shared) = POOL.get(start) else { return Err(job) };
    let mut state = shared.lock();
    if state.stopping {
        return Err(job); // stopped between the two locks: a `runtime::shutdown()` is under way
    }
    state.jobs.push_back(job);
    // Waiting jobs that the idle threads cannot all take at once get a new thread.
    if state.jobs.len() > state.idle && state.live < MAX_THREADS {
        // Threads that ended after their idle timeout are joined here (their handles would pile up).
        for ended in state.threads.extract_if(.., |thread| thread.is_finished()).collect::<Vec<_>>() {
            ended.join();
        }
        let pool = Arc::clone(&shared);
        match Worker::spawn("godot-tasks-blocking".into(), move || pool.work()) {
            Ok(thread) => {
                state.threads.push(thread);
                state.live += 1;
            }
            // Out of threads: the job waits for one of the running threads, as it would past MAX_THREADS.
            Err(_) if state.live > 0 => {}
            Err(error) => panic!("godot-tasks: could not start a blocking-pool thread: {error}"),
        }
    }
    if state.idle > 0 {
        shared.work.notify_one();
    }
    Ok(())
}

/// Stops the pool: queued jobs are dropped unrun (here, on the calling thread), running ones are waited for
/// (with a warning through `warn` after a grace period), and every pool thread is joined. The next job
/// starts a new pool, unless `gate` closes the pool for good.
pub(super) fn stop(gate: Gate, warn: &dyn Fn(&str)) {
    let Some(shared) = POOL.take(gate) else { return };
    let queued = {
        let mut state = shared.lock();
        state.stopping = true;
        shared.work.notify_all();
        std::mem::take(&mut state.jobs)
    };
    drop(queued);
    let threads = std::mem::take(&mut shared.lock().threads);
    join_all(threads, "blocking", warn);
}
