//! Running a future for at most some time.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::Sleep;

/// The error of a [`Timeout`] whose time ran out.
///
/// # Example
///
/// ```no_run
/// # async fn example() {
/// use std::time::Duration;
/// let result = godot_tasks::time::timeout(Duration::from_secs(1), std::future::pending::<()>()).await;
/// if let Err(elapsed) = result {
///     godot::global::godot_print!("gave up: {elapsed}");
/// }
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct Elapsed {
    /// The deadline that was reached, in seconds of the clock's time (see
    /// [`Deadline::seconds`](super::Deadline::seconds)).
    pub deadline_seconds: f64,
}

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the time ran out (deadline at {:.3} s of the clock) before the future completed",
            self.deadline_seconds
        )
    }
}

impl std::error::Error for Elapsed {}

pin_project! {
    /// Resolves to the inner future's output, or to [`Elapsed`] once the time runs out; made by
    /// [`timeout`](super::timeout) or [`Clock::timeout`](super::Clock::timeout).
    ///
    /// When the time runs out, the inner future is dropped at once (not when the `Timeout` is), and the
    /// `Timeout` resolves. The inner future is polled first, so if both are ready in the same poll, the
    /// output wins. Cancellation-safe if the inner future is.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use godot::prelude::*;
    /// use godot_tasks::prelude::*;
    /// use godot_tasks::time::timeout;
    ///
    /// # async fn example(door: Gd<Node>) {
    /// let opened = Signal::from_object_signal(&door, "opened").next_emission::<()>();
    /// match timeout(Duration::from_secs(10), opened).await {
    ///     Ok(()) => godot_print!("the door opened"),
    ///     Err(elapsed) => godot_print!("gave up waiting: {elapsed}"),
    /// }
    /// # }
    /// ```
    #[must_use = "futures do nothing unless awaited"]
    pub struct Timeout<F> {
        #[pin]
        future: Option<F>,
        sleep: Sleep,
    }
}

impl<F: Future> Timeout<F> {
    pub(super) fn new(future: F, sleep: Sleep) -> Self {
        Self { future: Some(future), sleep }
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let Some(future) = this.future.as_mut().as_pin_mut() else {
            panic!("godot-tasks: a Timeout was polled after it completed (made at {})", this.sleep.made_at());
        };
        if let Poll::Ready(output) = future.poll(cx) {
            this.future.set(None);
            return Poll::Ready(Ok(output));
        }
        match Pin::new(&mut *this.sleep).poll(cx) {
            Poll::Ready(()) => {
                this.future.set(None); // dropped now, on the main thread
                Poll::Ready(Err(Elapsed { deadline_seconds: this.sleep.deadline_seconds() }))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}
