//! Waiting for a condition, checked once per frame.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::{Clock, FrameWait};

/// Resolves once a condition holds, checking it when first polled and then once per frame of its clock;
/// made by [`wait_until`](super::wait_until) or [`wait_until_on`](super::wait_until_on).
///
/// Cancellation-safe.
///
/// # Example
///
/// ```no_run
/// use godot::prelude::*;
/// # async fn example(player: Gd<Node2D>) {
/// godot_tasks::time::wait_until(|| player.get_position().x > 100.0).await;
/// # }
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct WaitUntil<P> {
    condition: P,
    clock: Clock,
    frame: Option<FrameWait>,
}

impl<P> std::fmt::Debug for WaitUntil<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WaitUntil").field("clock", &self.clock).field("frame", &self.frame).finish_non_exhaustive()
    }
}

impl<P: FnMut() -> bool> WaitUntil<P> {
    pub(super) fn new(clock: Clock, condition: P) -> Self {
        Self { condition, clock, frame: None }
    }
}

// The condition is never pinned: it is only called through `&mut`.
impl<P> Unpin for WaitUntil<P> {}

impl<P: FnMut() -> bool> Future for WaitUntil<P> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        loop {
            if let Some(frame) = &mut this.frame {
                if Pin::new(frame).poll(cx).is_pending() {
                    return Poll::Pending;
                }
                this.frame = None;
            }
            if (this.condition)() {
                return Poll::Ready(());
            }
            this.frame = Some(this.clock.frames(1));
        }
    }
}
