//! The future of work offloaded to another thread, and its error.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_channel::oneshot;

/// Why an offloaded closure or future gave no value: it panicked.
///
/// # Example
///
/// ```no_run
/// # async fn example() {
/// let outcome = godot_tasks::threads::spawn_blocking(|| -> u32 { panic!("corrupt save file") }).await;
/// if let Err(error) = outcome {
///     godot::global::godot_error!("{error}");
/// }
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockingError {
    message: String,
    started_at: &'static Location<'static>,
}

impl BlockingError {
    /// The panic message.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # fn example(error: godot_tasks::threads::BlockingError) {
    /// eprintln!("worker failed: {}", error.message());
    /// # }
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Where the work was offloaded.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # fn example(error: godot_tasks::threads::BlockingError) {
    /// eprintln!("offloaded at {}", error.started_at());
    /// # }
    /// ```
    pub fn started_at(&self) -> &'static Location<'static> {
        self.started_at
    }
}

impl fmt::Display for BlockingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "work offloaded at {} panicked on its worker thread: {}", self.started_at, self.message)
    }
}

impl std::error::Error for BlockingError {}

/// The result of work running on a worker thread; made by [`spawn_blocking`](super::spawn_blocking),
/// [`spawn_compute`](super::spawn_compute) or [`spawn_send`](super::spawn_send).
///
/// Resolves to the work's value, or to a [`BlockingError`] if it panicked. The work starts at once, whether
/// or not this is awaited.
///
/// Dropping it before the work starts cancels the work; after that, the work runs to completion on its
/// thread and its value is dropped there (it is `Send`, so it holds no engine object). Not
/// cancellation-safe in `select!`: a dropped `Blocking` loses its value.
///
/// # Example
///
/// ```no_run
/// # async fn example() {
/// let checksum = godot_tasks::threads::spawn_blocking(|| (0..1_000_000u64).sum::<u64>()).await;
/// # }
/// ```
#[must_use = "dropping it loses the result (and cancels the work if it has not started)"]
pub struct Blocking<R> {
    source: Source<R>,
    started_at: &'static Location<'static>,
}

/// Where the value comes from: a panic becomes its message.
enum Source<R> {
    /// The `blocking` crate's pool.
    Pool(blocking::Task<Result<R, String>>),
    /// A compute-pool job, which sends its outcome.
    Channel(oneshot::Receiver<Result<R, String>>),
}

impl<R: Send + 'static> Blocking<R> {
    pub(super) fn from_pool(task: blocking::Task<Result<R, String>>, started_at: &'static Location<'static>) -> Self {
        Self { source: Source::Pool(task), started_at }
    }

    pub(super) fn from_channel(
        receiver: oneshot::Receiver<Result<R, String>>,
        started_at: &'static Location<'static>,
    ) -> Self {
        Self { source: Source::Channel(receiver), started_at }
    }
}

impl<R: Send + 'static> Future for Blocking<R> {
    type Output = Result<R, BlockingError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let started_at = self.started_at;
        let outcome = match &mut self.source {
            Source::Pool(task) => std::task::ready!(Pin::new(task).poll(cx)),
            Source::Channel(receiver) => std::task::ready!(Pin::new(receiver).poll(cx))
                .unwrap_or_else(|_| Err("the worker pool dropped the job without running it".to_owned())),
        };
        Poll::Ready(outcome.map_err(|message| BlockingError { message, started_at }))
    }
}

/// A panic payload's message.
pub(super) fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    godot_tasks_executor::payload_message(&*payload)
}
