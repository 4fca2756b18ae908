//! The future of work offloaded to a worker pool, and its error; how a job runs on a pool.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use futures_channel::oneshot;
use godot_tasks_executor::CaughtPanic;

use super::pool::Job;
use crate::origin::Origin;
use crate::runtime::{self, Awaiting};

/// Why offloaded work gave no value: it panicked, or it was cancelled (its pool dropped it without running
/// it, which happens only when the runtime stops: `runtime::shutdown()`, engine exit, or the extension being
/// unloaded).
///
/// It answers the questions every error of the crate answers, under the same names:
/// [`is_panic`](Self::is_panic), [`is_cancelled`](Self::is_cancelled), [`started_at`](Self::started_at) (where
/// the work was offloaded), [`task_name`](Self::task_name), and for a panic
/// [`panic_message`](Self::panic_message) and [`into_panic`](Self::into_panic), which keeps the worker's
/// payload. Clones share that payload.
///
/// # Example
///
/// ```no_run
/// # async fn example() {
/// let outcome = godot_tasks::threads::spawn_blocking(|| -> u32 { panic!("corrupt save file") }).await;
/// match outcome {
///     Ok(value) => { /* ... */ }
///     Err(error) if error.is_cancelled() => {} // the game is quitting
///     // "work offloaded at src/save.rs:12:18 panicked on its worker thread: corrupt save file"
///     Err(error) => godot::global::godot_error!("{error}"),
/// }
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OffloadError {
    /// `None` if the job was dropped without running.
    panic: Option<CaughtPanic>,
    origin: Origin,
}

impl OffloadError {
    /// Whether the work panicked on its worker thread.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # fn example(error: godot_tasks::threads::OffloadError) {
    /// if error.is_panic() {
    ///     godot::global::godot_error!("the job panicked: {error}");
    /// }
    /// # }
    /// ```
    pub fn is_panic(&self) -> bool {
        self.panic.is_some()
    }

    /// Whether the work was cancelled: its pool dropped it without running it (or it gave up) because the
    /// runtime stopped.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # fn example(error: godot_tasks::threads::OffloadError) {
    /// if error.is_cancelled() { /* the game is quitting: nothing to report */ }
    /// # }
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.panic.is_none()
    }

    /// The panic message, if the work panicked.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # fn example(error: godot_tasks::threads::OffloadError) {
    /// eprintln!("worker failed: {}", error.panic_message().unwrap_or("cancelled"));
    /// # }
    /// ```
    pub fn panic_message(&self) -> Option<&str> {
        self.panic.as_ref().map(CaughtPanic::message)
    }

    /// The panic's payload, as the worker thread caught it, to raise it again with
    /// [`std::panic::resume_unwind`]; or the error back if the work was cancelled.
    ///
    /// If a clone of this error gave the payload away already, the payload is the message as a `String`.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # async fn example() {
    /// let parsed = godot_tasks::threads::spawn_compute(|| "12".parse::<u32>().unwrap()).await;
    /// // A panic on the worker goes on in this task, with its original payload:
    /// let value = parsed.unwrap_or_else(|error| match error.try_into_panic() {
    ///     Ok(payload) => std::panic::resume_unwind(payload),
    ///     Err(_cancelled) => 0,
    /// });
    /// # }
    /// ```
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, Self> {
        match self.panic {
            Some(panic) => Ok(panic.into_payload()),
            None => Err(self),
        }
    }

    /// The panic's payload, to raise it again with [`std::panic::resume_unwind`].
    ///
    /// # Panics
    ///
    /// If the work did not panic (check [`is_panic`](Self::is_panic) first, or use
    /// [`try_into_panic`](Self::try_into_panic)).
    ///
    /// # Example
    ///
    /// ```no_run
    /// # fn example(error: godot_tasks::threads::OffloadError) {
    /// if error.is_panic() {
    ///     std::panic::resume_unwind(error.into_panic());
    /// }
    /// # }
    /// ```
    #[track_caller]
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        self.try_into_panic().unwrap_or_else(|error| {
            panic!("`OffloadError::into_panic` called on an error that is not a panic ({error}); check `is_panic()` first, or call `try_into_panic()`")
        })
    }

    /// Where the work was offloaded (the `spawn_blocking`, `spawn_compute` or `spawn_send` call).
    ///
    /// # Example
    ///
    /// ```no_run
    /// # fn example(error: godot_tasks::threads::OffloadError) {
    /// eprintln!("offloaded at {}", error.started_at());
    /// # }
    /// ```
    pub fn started_at(&self) -> &'static Location<'static> {
        self.origin.started_at
    }

    /// The name of the task that awaited the work, if it has one.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # fn example(error: godot_tasks::threads::OffloadError) {
    /// eprintln!("in {}", error.task_name().unwrap_or("an unnamed task"));
    /// # }
    /// ```
    pub fn task_name(&self) -> Option<&str> {
        self.origin.task_name()
    }
}

impl fmt::Display for OffloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (at, by) = (self.origin.started_at, self.origin.awaited_by());
        match &self.panic {
            Some(panic) => write!(f, "work offloaded at {at}{by} panicked on its worker thread: {panic}"),
            None => write!(f, "work offloaded at {at}{by} was cancelled: the runtime stopped before it finished"),
        }
    }
}

impl std::error::Error for OffloadError {}

/// The result of work running on a worker pool; made by [`spawn_blocking`](super::spawn_blocking),
/// [`spawn_compute`](super::spawn_compute) or [`spawn_send`](super::spawn_send).
///
/// Resolves to the work's value, or to an [`OffloadError`] if it panicked. The work is queued at once,
/// whether or not this is awaited.
///
/// Dropping it (for example because its task was cancelled) before the work starts skips the work. After
/// that, the work runs to its end and its value is dropped on a worker thread, not on the main thread,
/// even if the value was already waiting to be picked up. (Only while the runtime stops can such a value,
/// or a job that will never run, be dropped on the thread that stops it.) Not cancellation-safe in `select!`: a dropped
/// `Offloaded` loses its value.
///
/// # Example
///
/// ```no_run
/// # async fn example() {
/// let checksum = godot_tasks::threads::spawn_compute(|| (0..1_000_000u64).sum::<u64>()).await;
/// # }
/// ```
#[must_use = "dropping it loses the result (and skips the work if it has not started)"]
pub struct Offloaded<R: Send + 'static> {
    receiver: oneshot::Receiver<Result<R, CaughtPanic>>,
    pool: Pool,
    started_at: &'static Location<'static>,
}

impl<R: Send + 'static> std::fmt::Debug for Offloaded<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Offloaded")
            .field("pool", &self.pool)
            .field("started_at", &self.started_at)
            .finish_non_exhaustive()
    }
}

impl<R: Send + 'static> Future for Offloaded<R> {
    type Output = Result<R, OffloadError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let started_at = self.started_at;
        let Poll::Ready(outcome) = Pin::new(&mut self.receiver).poll(cx) else {
            let kind = match self.pool {
                Pool::Compute => "compute",
                Pool::Blocking => "blocking",
            };
            runtime::note_awaiting(|| Awaiting::Job { kind, started_at });
            return Poll::Pending;
        };
        Poll::Ready(match outcome {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(panic)) => Err(OffloadError { panic: Some(panic), origin: Origin::now(started_at) }),
            Err(oneshot::Canceled) => Err(OffloadError { panic: None, origin: Origin::now(started_at) }),
        })
    }
}

impl<R: Send + 'static> Drop for Offloaded<R> {
    fn drop(&mut self) {
        // From now on the worker's send fails and the value stays (and is dropped) on the worker; a value
        // sent before is taken out here and handed back to the pool to be dropped there.
        self.receiver.close();
        if let Ok(Some(Ok(value))) = self.receiver.try_recv() {
            self.pool.run(self.started_at, move || drop(value));
        }
    }
}

/// Jobs queued on or running in a worker pool now (the `jobs_in_flight` monitor, with the tokio tasks).
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

/// How many offloaded jobs are queued or running now.
pub(crate) fn in_flight() -> usize {
    IN_FLIGHT.load(Ordering::Relaxed)
}

/// Counts one job from its queueing until it is dropped, run or not.
struct InFlight;

impl InFlight {
    fn enter() -> Self {
        IN_FLIGHT.fetch_add(1, Ordering::Relaxed);
        InFlight
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A pool that runs offloaded work.
#[derive(Clone, Copy, Debug)]
pub(super) enum Pool {
    /// The compute pool: one thread per core.
    Compute,
    /// The blocking pool: grows while its threads are busy.
    Blocking,
}

impl Pool {
    /// Runs `job` on this pool. A panic anywhere in it (including in drops) stays on the worker. Once the
    /// library has stopped for good (engine exit, unload), the job is dropped here, unrun.
    fn run(self, offloaded_at: &'static Location<'static>, job: impl FnOnce() + Send + 'static) {
        // Code that offloads without ever spawning a task must still have the pools stopped at exit.
        crate::runtime::ensure_stop_hooks();
        // Counted from now until the job has run or was dropped unrun, on whichever thread that happens.
        let in_flight = InFlight::enter();
        let job = move || {
            let _in_flight = in_flight;
            if let Err(payload) = catch_unwind(AssertUnwindSafe(job)) {
                godot_tasks_executor::drop_quietly(payload);
            }
        };
        // A job the pool refuses (the library stopped for good) is dropped here.
        let _refused = match self {
            Pool::Compute => super::compute::run(offloaded_at, job).map_err(drop),
            Pool::Blocking => super::blocking::run(Job::new(offloaded_at, job)).map_err(drop),
        };
    }

    /// Queues `work` and returns the future of its outcome. The work is skipped if that future is dropped
    /// before the work starts.
    #[track_caller]
    pub(super) fn offload<R: Send + 'static>(self, work: impl FnOnce() -> R + Send + 'static) -> Offloaded<R> {
        self.offload_until_stopped(move || Some(work()))
    }

    /// As [`offload`](Self::offload), for work that may give up because its pool stops (`None`): its future
    /// then resolves as if the job had been dropped unrun.
    #[track_caller]
    pub(super) fn offload_until_stopped<R: Send + 'static>(
        self,
        work: impl FnOnce() -> Option<R> + Send + 'static,
    ) -> Offloaded<R> {
        let started_at = Location::caller();
        let (sender, receiver) = oneshot::channel();
        self.run(started_at, move || {
            if sender.is_canceled() {
                return; // nobody awaits the outcome any more
            }
            let outcome = match catch_unwind(AssertUnwindSafe(work)) {
                Ok(Some(value)) => Ok(value),
                Ok(None) => return, // gave up: the sender is dropped unsent
                Err(payload) => Err(CaughtPanic::new(payload)),
            };
            // Sending fails only if the future was dropped meanwhile; the value is then dropped here.
            let _ = sender.send(outcome);
        });
        Offloaded { receiver, pool: self, started_at }
    }
}
