//! Running a future for at most some time.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::{Instant, Sleep};
use crate::origin::Origin;

/// The error of a [`Timeout`] whose time ran out.
///
/// It answers the questions every error of the crate answers, under the same names:
/// [`is_cancelled`](Self::is_cancelled) and [`is_panic`](Self::is_panic) (both always false: running out of
/// time is neither), [`started_at`](Self::started_at) (the `timeout` call) and [`task_name`](Self::task_name);
/// and it says which [`deadline`](Self::deadline) was reached.
///
/// # Example
///
/// ```no_run
/// # async fn example() {
/// use std::time::Duration;
/// let result = godot_tasks::time::timeout(Duration::from_secs(1), std::future::pending::<()>()).await;
/// if let Err(elapsed) = result {
///     // "the timeout made at src/ai.rs:8:18 ran out before its future completed (deadline: 12.345 s of Clock::GAME)"
///     godot::global::godot_print!("gave up: {elapsed}");
/// }
/// # }
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Elapsed {
    deadline: Instant,
    origin: Origin,
}

impl Elapsed {
    /// The deadline that was reached, on the timeout's clock.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # fn example(elapsed: godot_tasks::time::Elapsed) {
    /// eprintln!("gave up at {:.1} s of game time", elapsed.deadline().seconds());
    /// # }
    /// ```
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Always false: the inner future was dropped because the time ran out, which is the outcome a timeout
    /// exists for, not a cancellation.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # fn example(elapsed: godot_tasks::time::Elapsed) {
    /// assert!(!elapsed.is_cancelled());
    /// # }
    /// ```
    pub fn is_cancelled(&self) -> bool {
        false
    }

    /// Always false: a timeout that runs out reports no panic (a panic in the inner future goes on as a panic
    /// of the awaiting task).
    ///
    /// # Example
    ///
    /// ```no_run
    /// # fn example(elapsed: godot_tasks::time::Elapsed) {
    /// assert!(!elapsed.is_panic());
    /// # }
    /// ```
    pub fn is_panic(&self) -> bool {
        false
    }

    /// Where the timeout was made (the `timeout` or `Clock::timeout` call).
    ///
    /// # Example
    ///
    /// ```no_run
    /// # fn example(elapsed: godot_tasks::time::Elapsed) {
    /// eprintln!("the timeout made at {} ran out", elapsed.started_at());
    /// # }
    /// ```
    pub fn started_at(&self) -> &'static Location<'static> {
        self.origin.started_at
    }

    /// The name of the task that awaited the timeout, if it has one.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # fn example(elapsed: godot_tasks::time::Elapsed) {
    /// eprintln!("in {}", elapsed.task_name().unwrap_or("an unnamed task"));
    /// # }
    /// ```
    pub fn task_name(&self) -> Option<&str> {
        self.origin.task_name()
    }
}

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the timeout made at {}{} ran out before its future completed (deadline: {:.3} s of {})",
            self.origin.started_at,
            self.origin.awaited_by(),
            self.deadline.seconds(),
            self.deadline.clock()
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
                Poll::Ready(Err(Elapsed { deadline: this.sleep.deadline(), origin: Origin::now(this.sleep.made_at()) }))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}
