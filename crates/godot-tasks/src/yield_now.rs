//! Letting the other ready tasks run.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Lets every other ready task run, then resumes in the same frame; made by [`yield_now`].
///
/// The task is queued again at once, so it runs in the runtime's next round, in the same flush (within the
/// round budget, see [`runtime::set_round_budget`](crate::runtime::set_round_budget)).
///
/// Cancellation-safe: dropping it loses nothing.
///
/// # Example
///
/// ```no_run
/// # async fn example(chunks: Vec<Vec<u8>>) {
/// for chunk in chunks {
///     // ... work on one chunk ...
///     godot_tasks::yield_now().await; // give other tasks their turn
/// }
/// # }
/// ```
#[must_use = "futures do nothing unless awaited"]
#[derive(Debug)]
pub struct YieldNow {
    yielded: bool,
}

/// Lets every other ready task run, then resumes in the same frame; see [`YieldNow`].
///
/// # Example
///
/// ```no_run
/// # async fn example() {
/// godot_tasks::yield_now().await;
/// # }
/// ```
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        crate::runtime::note_awaiting(|| crate::runtime::Awaiting::Yield);
        Poll::Pending
    }
}
