//! A cancellation signal shared by any number of tasks (and threads).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use event_listener::{Event, EventListener};
use futures_core::FusedFuture;

/// A flag that, once set, stays set and wakes everyone awaiting [`cancelled`](Self::cancelled).
///
/// Clone it to share it; it is `Send` and `Sync`, so a worker thread may cancel a task on the main thread
/// or the other way round. Use it inside `select!` to stop a loop, or check
/// [`is_cancelled`](Self::is_cancelled) between steps. Waiting is built on the `event-listener` crate. A
/// cancel from another thread resumes a main-thread task in the same or the next frame (wakes from other
/// threads reach the main thread through the runtime's frame hook).
///
/// # Example
///
/// ```no_run
/// use futures_util::{FutureExt, select};
/// use godot_tasks::CancelToken;
///
/// # async fn example(mut work: impl futures_util::Stream<Item = u32> + Unpin) {
/// use futures_util::StreamExt;
/// let stop = CancelToken::new();
/// let stop_later = stop.clone(); // hand it to a menu button, another task, a thread...
/// loop {
///     select! {
///         _ = stop.cancelled() => break,
///         item = work.next().fuse() => { /* ... */ }
///     }
/// }
/// # drop(stop_later);
/// # }
/// ```
#[derive(Clone, Default, Debug)]
pub struct CancelToken {
    shared: Arc<Shared>,
}

#[derive(Default, Debug)]
struct Shared {
    cancelled: AtomicBool,
    event: Event,
}

impl CancelToken {
    /// A token that is not cancelled yet.
    ///
    /// # Example
    ///
    /// ```
    /// let token = godot_tasks::CancelToken::new();
    /// assert!(!token.is_cancelled());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the flag and wakes every waiter; later calls do nothing.
    ///
    /// # Example
    ///
    /// ```
    /// let token = godot_tasks::CancelToken::new();
    /// token.cancel();
    /// assert!(token.is_cancelled());
    /// ```
    pub fn cancel(&self) {
        if !self.shared.cancelled.swap(true, Ordering::AcqRel) {
            self.shared.event.notify(usize::MAX);
        }
    }

    /// Whether [`cancel`](Self::cancel) was called on this token or a clone.
    ///
    /// # Example
    ///
    /// ```
    /// let token = godot_tasks::CancelToken::new();
    /// let clone = token.clone();
    /// clone.cancel();
    /// assert!(token.is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.shared.cancelled.load(Ordering::Acquire)
    }

    /// Resolves once the token is cancelled (at once if it already is). Cancellation-safe, and fused, so it
    /// can sit in a `select!` loop.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # async fn example(token: godot_tasks::CancelToken) {
    /// token.cancelled().await;
    /// # }
    /// ```
    pub fn cancelled(&self) -> WaitForCancel {
        WaitForCancel { shared: self.shared.clone(), listener: None, done: false }
    }
}

/// The future of [`CancelToken::cancelled`]. Cancellation-safe and fused.
///
/// # Example
///
/// ```no_run
/// # async fn example(token: godot_tasks::CancelToken) {
/// let stop: godot_tasks::WaitForCancel = token.cancelled();
/// stop.await;
/// # }
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct WaitForCancel {
    shared: Arc<Shared>,
    listener: Option<EventListener>,
    done: bool,
}

impl std::fmt::Debug for WaitForCancel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WaitForCancel").field("done", &self.done).finish_non_exhaustive()
    }
}

impl Future for WaitForCancel {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        loop {
            if this.shared.cancelled.load(Ordering::Acquire) {
                this.listener = None;
                this.done = true;
                return Poll::Ready(());
            }
            match &mut this.listener {
                // Listen first, then check the flag again: a cancel in between is not missed.
                None => this.listener = Some(this.shared.event.listen()),
                Some(listener) => match Pin::new(listener).poll(cx) {
                    Poll::Ready(()) => this.listener = None,
                    Poll::Pending => return Poll::Pending,
                },
            }
        }
    }
}

impl FusedFuture for WaitForCancel {
    fn is_terminated(&self) -> bool {
        self.done
    }
}
