//! Offloading blocking closures and `Send` futures to a pool that grows while its threads are busy.

use std::future::Future;
use std::task::{Context, Poll};

use super::outcome::{Offloaded, Pool};

/// Runs `work` on a pool of worker threads that grows while they are busy (and shrinks when idle), and
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
pub fn spawn_send<F>(future: F) -> Offloaded<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    Pool::Blocking.offload(move || block_on(future))
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
