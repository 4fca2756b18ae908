//! Awaiting tokio futures from main-thread tasks (cargo feature `tokio`).

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};

use tokio::runtime::{Builder, Handle, Runtime};

static HANDLE: OnceLock<Handle> = OnceLock::new();
static OWN_RUNTIME: OnceLock<Runtime> = OnceLock::new();

/// Uses your tokio runtime for [`spawn_tokio`] instead of starting one. Call it before the first
/// `spawn_tokio`; returns `false` (and changes nothing) if a runtime was already chosen.
///
/// # Example
///
/// ```no_run
/// let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
/// godot_tasks::threads::use_tokio_runtime(runtime.handle().clone());
/// # std::mem::forget(runtime);
/// ```
pub fn use_tokio_runtime(handle: Handle) -> bool {
    HANDLE.set(handle).is_ok()
}

fn handle() -> &'static Handle {
    HANDLE.get_or_init(|| {
        OWN_RUNTIME
            .get_or_init(|| {
                Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("godot-tasks-tokio")
                    .enable_all()
                    .build()
                    .expect("godot-tasks: could not start a tokio runtime")
            })
            .handle()
            .clone()
    })
}

/// Why a tokio task gave no value: it panicked, or the tokio runtime cancelled it (for example while
/// shutting down).
///
/// # Example
///
/// ```no_run
/// # async fn example() {
/// if let Err(error) = godot_tasks::threads::spawn_tokio(async { 1 }).await {
///     godot::global::godot_error!("{error}");
/// }
/// # }
/// ```
#[derive(Debug)]
pub struct TokioError {
    error: tokio::task::JoinError,
    started_at: &'static Location<'static>,
}

impl TokioError {
    /// Whether the tokio task panicked (otherwise tokio cancelled it).
    ///
    /// # Example
    ///
    /// ```no_run
    /// # fn example(error: godot_tasks::threads::TokioError) {
    /// if error.is_panic() { /* ... */ }
    /// # }
    /// ```
    pub fn is_panic(&self) -> bool {
        self.error.is_panic()
    }
}

impl fmt::Display for TokioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tokio task started at {} failed: {}", self.started_at, self.error)
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
    handle: tokio::task::JoinHandle<T>,
    started_at: &'static Location<'static>,
}

impl<T> Future for TokioTask<T> {
    type Output = Result<T, TokioError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let started_at = self.started_at;
        Pin::new(&mut self.handle).poll(cx).map(|outcome| outcome.map_err(|error| TokioError { error, started_at }))
    }
}

impl<T> Drop for TokioTask<T> {
    fn drop(&mut self) {
        self.handle.abort();
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
    TokioTask { handle: handle().spawn(future), started_at: Location::caller() }
}
