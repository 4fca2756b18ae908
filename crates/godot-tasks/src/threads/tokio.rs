//! Awaiting tokio futures from main-thread tasks (cargo feature `tokio`).

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::{Mutex, PoisonError};
use std::task::{Context, Poll};

use tokio::runtime::{Builder, Handle, Runtime};

use godot_tasks_executor::CaughtPanic;
use slab::Slab;

use super::pool::Gate;
use super::workers::wait_with_grace;
use crate::origin::Origin;

/// The runtime `spawn_tokio` uses.
static CHOSEN: Mutex<Chosen> = Mutex::new(Chosen::None);
/// Where each `spawn_tokio` future that has not ended yet was started.
static RUNNING: Mutex<Slab<&'static Location<'static>>> = Mutex::new(Slab::new());

/// How many `spawn_tokio` futures are running on tokio now.
pub(super) fn running() -> usize {
    RUNNING.lock().unwrap_or_else(PoisonError::into_inner).len()
}

/// A future's entry in [`RUNNING`], removed when the future ends or is dropped.
struct Running(usize);

impl Running {
    fn enter(at: &'static Location<'static>) -> Self {
        Self(RUNNING.lock().unwrap_or_else(PoisonError::into_inner).insert(at))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        RUNNING.lock().unwrap_or_else(PoisonError::into_inner).remove(self.0);
    }
}

enum Chosen {
    /// None yet: the first `spawn_tokio` starts one.
    None,
    /// The user's, from `use_tokio_runtime`.
    Yours(Handle),
    /// Started by godot-tasks; stopped (and its threads joined) with the runtime.
    Own(Runtime),
    /// Stopped for good (engine exit, unload): `spawn_tokio` futures are dropped unrun.
    Closed,
}

/// Uses your tokio runtime for [`spawn_tokio`] instead of starting one. Call it before the first
/// `spawn_tokio`; returns `false` (and changes nothing) if a runtime was already chosen.
///
/// Your runtime is yours to stop: godot-tasks stops only the runtime it started itself. Stop it before the
/// extension is unloaded (in your `ExtensionLibrary::on_stage_deinit`), since its threads run your
/// extension's code.
///
/// # Example
///
/// ```no_run
/// let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
/// godot_tasks::threads::use_tokio_runtime(runtime.handle().clone());
/// # std::mem::forget(runtime);
/// ```
pub fn use_tokio_runtime(handle: Handle) -> bool {
    let mut chosen = CHOSEN.lock().unwrap_or_else(PoisonError::into_inner);
    if !matches!(*chosen, Chosen::None) {
        return false;
    }
    *chosen = Chosen::Yours(handle);
    true
}

/// The runtime to spawn on, started if needed; `None` once the library stopped for good.
fn handle() -> Option<Handle> {
    let mut chosen = CHOSEN.lock().unwrap_or_else(PoisonError::into_inner);
    if matches!(*chosen, Chosen::None) {
        let runtime = Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("godot-tasks-tokio")
            .enable_all()
            .build()
            .expect("godot-tasks: could not start a tokio runtime");
        *chosen = Chosen::Own(runtime);
    }
    match &*chosen {
        Chosen::Yours(handle) => Some(handle.clone()),
        Chosen::Own(runtime) => Some(runtime.handle().clone()),
        Chosen::None | Chosen::Closed => None,
    }
}

/// Stops the runtime godot-tasks started, if any: its tasks are dropped at their next await, and the main
/// thread waits (with a warning through `warn` after a grace period) until its threads are joined. Your own
/// runtime is left alone.
pub(super) fn stop(gate: Gate, warn: &dyn Fn(&str)) {
    let own = {
        let mut chosen = CHOSEN.lock().unwrap_or_else(PoisonError::into_inner);
        let next = match (gate, &*chosen) {
            (Gate::Close, _) => Chosen::Closed,
            (Gate::Reopen, Chosen::Own(_)) => Chosen::None,
            (Gate::Reopen, _) => return,
        };
        std::mem::replace(&mut *chosen, next)
    };
    let Chosen::Own(runtime) = own else { return };
    // Dropping a runtime blocks until its threads end; do that on a helper thread so that this one can name
    // the futures that keep it waiting. The scope joins the helper before returning.
    std::thread::scope(|scope| {
        let dropping = scope.spawn(move || drop(runtime));
        let late =
            || RUNNING.lock().unwrap_or_else(PoisonError::into_inner).iter().map(|(_, at)| at.to_string()).collect();
        wait_with_grace(|| dropping.is_finished(), late, "tokio", warn);
    });
}

/// Why a tokio task gave no value: it panicked, or it was cancelled (tokio aborted it, its runtime shut
/// down, or `spawn_tokio` was called after godot-tasks stopped for good, so it never ran).
///
/// It answers the questions every error of the crate answers, under the same names:
/// [`is_panic`](Self::is_panic), [`is_cancelled`](Self::is_cancelled), [`started_at`](Self::started_at) (the
/// `spawn_tokio` call), [`task_name`](Self::task_name), and for a panic [`panic_message`](Self::panic_message)
/// and [`into_panic`](Self::into_panic), which keeps the payload tokio caught. Clones share that payload.
///
/// # Example
///
/// ```no_run
/// # async fn example() {
/// match godot_tasks::threads::spawn_tokio(async { 1 }).await {
///     Ok(one) => { /* ... */ }
///     Err(error) if error.is_cancelled() => {} // the game is quitting
///     Err(error) => godot::global::godot_error!("{error}"),
/// }
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokioError {
    cause: Cause,
    origin: Origin,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Cause {
    Panicked(CaughtPanic),
    /// Tokio cancelled it: aborted, or its runtime shut down.
    Cancelled,
    /// `spawn_tokio` was called after the library stopped for good.
    NeverRan,
}

impl TokioError {
    fn new(error: Option<tokio::task::JoinError>, started_at: &'static Location<'static>) -> Self {
        let cause = match error {
            None => Cause::NeverRan,
            Some(error) => match error.try_into_panic() {
                Ok(payload) => Cause::Panicked(CaughtPanic::new(payload)),
                Err(_cancelled) => Cause::Cancelled,
            },
        };
        Self { cause, origin: Origin::now(started_at) }
    }

    /// Whether the tokio task panicked.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # fn example(error: godot_tasks::threads::TokioError) {
    /// if error.is_panic() { /* ... */ }
    /// # }
    /// ```
    pub fn is_panic(&self) -> bool {
        matches!(self.cause, Cause::Panicked(_))
    }

    /// Whether the tokio task was cancelled: tokio aborted it or shut down, or it never ran because
    /// godot-tasks had stopped for good.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # fn example(error: godot_tasks::threads::TokioError) {
    /// if error.is_cancelled() { /* the game is quitting */ }
    /// # }
    /// ```
    pub fn is_cancelled(&self) -> bool {
        !self.is_panic()
    }

    /// The panic message, if the tokio task panicked.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # fn example(error: godot_tasks::threads::TokioError) {
    /// eprintln!("{}", error.panic_message().unwrap_or("cancelled"));
    /// # }
    /// ```
    pub fn panic_message(&self) -> Option<&str> {
        match &self.cause {
            Cause::Panicked(panic) => Some(panic.message()),
            Cause::Cancelled | Cause::NeverRan => None,
        }
    }

    /// The panic's payload, to raise it again with [`std::panic::resume_unwind`]; or the error back if the
    /// task was cancelled. If a clone gave the payload away already, the payload is the message as a `String`.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # fn example(error: godot_tasks::threads::TokioError) {
    /// if let Ok(payload) = error.try_into_panic() {
    ///     std::panic::resume_unwind(payload);
    /// }
    /// # }
    /// ```
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, Self> {
        match self.cause {
            Cause::Panicked(panic) => Ok(panic.into_payload()),
            Cause::Cancelled | Cause::NeverRan => Err(self),
        }
    }

    /// The panic's payload, to raise it again with [`std::panic::resume_unwind`].
    ///
    /// # Panics
    ///
    /// If the tokio task did not panic (check [`is_panic`](Self::is_panic) first, or use
    /// [`try_into_panic`](Self::try_into_panic)).
    ///
    /// # Example
    ///
    /// ```no_run
    /// # fn example(error: godot_tasks::threads::TokioError) {
    /// if error.is_panic() {
    ///     std::panic::resume_unwind(error.into_panic());
    /// }
    /// # }
    /// ```
    #[track_caller]
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        self.try_into_panic().unwrap_or_else(|error| {
            panic!("`TokioError::into_panic` called on an error that is not a panic ({error}); check `is_panic()` first, or call `try_into_panic()`")
        })
    }

    /// Where the tokio task was started (the `spawn_tokio` call).
    ///
    /// # Example
    ///
    /// ```no_run
    /// # fn example(error: godot_tasks::threads::TokioError) {
    /// eprintln!("started at {}", error.started_at());
    /// # }
    /// ```
    pub fn started_at(&self) -> &'static Location<'static> {
        self.origin.started_at
    }

    /// The name of the task that awaited the tokio task, if it has one.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # fn example(error: godot_tasks::threads::TokioError) {
    /// eprintln!("in {}", error.task_name().unwrap_or("an unnamed task"));
    /// # }
    /// ```
    pub fn task_name(&self) -> Option<&str> {
        self.origin.task_name()
    }
}

impl fmt::Display for TokioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (at, by) = (self.origin.started_at, self.origin.awaited_by());
        match &self.cause {
            Cause::Panicked(panic) => write!(f, "tokio task started at {at}{by} panicked: {panic}"),
            Cause::Cancelled => {
                write!(f, "tokio task started at {at}{by} was cancelled by tokio (aborted, or its runtime shut down)")
            }
            Cause::NeverRan => {
                write!(
                    f,
                    "tokio task started at {at}{by} was cancelled: it never ran, the godot-tasks runtime had stopped"
                )
            }
        }
    }
}

impl std::error::Error for TokioError {}

/// The result of a future running on the tokio runtime; made by [`spawn_tokio`].
///
/// Dropping it aborts the tokio task. Not cancellation-safe in `select!`: a dropped `TokioTask` loses its
/// value (and stops the work).
///
/// # Example
///
/// ```no_run
/// # async fn example() {
/// let task: godot_tasks::threads::TokioTask<u8> = godot_tasks::threads::spawn_tokio(async { 7 });
/// let seven = task.await;
/// # }
/// ```
#[must_use = "dropping it aborts the tokio task"]
pub struct TokioTask<T> {
    /// `None` if the future was dropped unrun because the library stopped for good.
    handle: Option<tokio::task::JoinHandle<T>>,
    started_at: &'static Location<'static>,
}

impl<T> std::fmt::Debug for TokioTask<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokioTask")
            .field("running", &self.handle.as_ref().is_some_and(|handle| !handle.is_finished()))
            .field("started_at", &self.started_at)
            .finish()
    }
}

impl<T> Future for TokioTask<T> {
    type Output = Result<T, TokioError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let started_at = self.started_at;
        let Some(handle) = &mut self.handle else {
            return Poll::Ready(Err(TokioError::new(None, started_at)));
        };
        let poll = Pin::new(handle).poll(cx);
        if poll.is_pending() {
            crate::runtime::note_awaiting(|| crate::runtime::Awaiting::Job { kind: "tokio", started_at });
        }
        poll.map(|outcome| outcome.map_err(|error| TokioError::new(Some(error), started_at)))
    }
}

impl<T> Drop for TokioTask<T> {
    fn drop(&mut self) {
        if let Some(handle) = &self.handle {
            handle.abort();
        }
    }
}

/// Runs `future` on the tokio runtime (yours, see [`use_tokio_runtime`], or one started on first use with two
/// worker threads) and returns its output as a future for a main-thread task.
///
/// Tokio's I/O and timers only work inside its runtime, so that is where the future runs; the main-thread
/// task awaits the result and resumes on the main thread. The future and its output must be `Send`. Make
/// tokio futures inside the `async` block you pass (some, like `tokio::time::sleep`, need the runtime as soon
/// as they are created).
///
/// # Example
///
/// With tokio's `net` feature turned on in your own `Cargo.toml`:
///
/// ```no_run
/// use godot::prelude::*;
///
/// # fn example() {
/// godot_tasks::spawn(async {
///     let reply = godot_tasks::threads::spawn_tokio(async {
///         let stream = tokio::net::TcpStream::connect("127.0.0.1:7000").await?;
///         // ... talk to the server ...
///         Ok::<_, std::io::Error>(stream.peer_addr()?)
///     })
///     .await;
///     godot_print!("{reply:?}");
/// })
/// .detach();
/// # }
/// ```
#[track_caller]
pub fn spawn_tokio<F>(future: F) -> TokioTask<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let started_at = Location::caller();
    crate::runtime::ensure_stop_hooks();
    let handle = handle().map(|handle| {
        handle.spawn(async move {
            // Counted while it exists, so that stopping the runtime can name what it waits for.
            let _running = Running::enter(started_at);
            future.await
        })
    });
    TokioTask { handle, started_at }
}
