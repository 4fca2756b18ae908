//! Offloading blocking closures and `Send` futures to a thread pool.

use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

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

/// The result of work running on a worker thread; made by [`spawn_blocking`] or [`spawn_send`].
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
    task: blocking::Task<Result<R, String>>,
    started_at: &'static Location<'static>,
}

impl<R: Send + 'static> Future for Blocking<R> {
    type Output = Result<R, BlockingError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let started_at = self.started_at;
        Pin::new(&mut self.task)
            .poll(cx)
            .map(|outcome| outcome.map_err(|message| BlockingError { message, started_at }))
    }
}

/// Runs `work` on a pool of worker threads (grown on demand, shrunk when idle) and returns its result as a
/// future for a main-thread task. A panic in `work` comes back as a [`BlockingError`].
///
/// Use it for file loading, decoding, path-finding and anything else that would stall the frame. `work` and
/// its result must be `Send`: build engine objects from the result on the main thread, after the await.
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
pub fn spawn_blocking<F, R>(work: F) -> Blocking<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let started_at = Location::caller();
    let task = blocking::unblock(move || catch_unwind(AssertUnwindSafe(work)).map_err(panic_message));
    Blocking { task, started_at }
}

/// Runs a `Send` future on a worker thread (driven there until it completes) and returns its output as a
/// future for a main-thread task; a panic comes back as a [`BlockingError`].
///
/// For async work that never touches the engine, such as a computation written with `async` helpers. Each
/// such future occupies a worker thread while it runs.
///
/// # Example
///
/// ```no_run
/// # async fn example() {
/// let answer = godot_tasks::threads::spawn_send(async { 6 * 7 }).await;
/// assert_eq!(answer, Ok(42));
/// # }
/// ```
#[track_caller]
pub fn spawn_send<F>(future: F) -> Blocking<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let started_at = Location::caller();
    let task = blocking::unblock(move || catch_unwind(AssertUnwindSafe(|| block_on(future))).map_err(panic_message));
    Blocking { task, started_at }
}

/// Drives `future` to completion on this (worker) thread, parking between wakes.
fn block_on<F: Future>(future: F) -> F::Output {
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

    let waker = Arc::new(Unpark(thread::current())).into();
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        thread::park();
    }
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    godot_tasks_executor::payload_message(&*payload)
}
