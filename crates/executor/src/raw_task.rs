//! A spawned future and its eventual output, type-erased so the task table can hold any task.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::JoinError;

/// What the executor can do with a task without knowing its future's type.
///
/// Every method that may run user code (`poll`, `fail`) is called with the task taken out of the task table,
/// so that code can spawn, cancel and await other tasks freely.
pub(crate) trait RawTask {
    /// Polls the future once; on completion stores its output, drops the future and returns `Ready`.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()>;

    /// Drops the future (if still present) and stores `error` as the outcome.
    fn fail(self: Pin<&mut Self>, error: JoinError);

    /// Moves the outcome into `out`, which must be a `&mut Option<Result<T, JoinError>>` for the task's `T`.
    fn take_output(self: Pin<&mut Self>, out: &mut dyn Any);
}

pin_project! {
    pub(crate) struct TaskCell<F: Future> {
        #[pin]
        future: Option<F>,
        output: Option<Result<F::Output, JoinError>>,
    }
}

impl<F: Future> TaskCell<F> {
    pub(crate) fn new(future: F) -> Self {
        Self { future: Some(future), output: None }
    }
}

impl<F> RawTask for TaskCell<F>
where
    F: Future,
    F::Output: 'static,
{
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut this = self.project();
        let Some(future) = this.future.as_mut().as_pin_mut() else {
            return Poll::Ready(());
        };
        match future.poll(cx) {
            Poll::Ready(value) => {
                // Drop the future first: its destructor runs now, on this thread, not when the handle goes away.
                this.future.set(None);
                *this.output = Some(Ok(value));
                Poll::Ready(())
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn fail(self: Pin<&mut Self>, error: JoinError) {
        let mut this = self.project();
        // Store the outcome first, so it is there even if the future's destructor panics.
        if this.output.is_none() {
            *this.output = Some(Err(error));
        }
        this.future.set(None);
    }

    fn take_output(self: Pin<&mut Self>, out: &mut dyn Any) {
        let this = self.project();
        let slot = out
            .downcast_mut::<Option<Result<F::Output, JoinError>>>()
            .expect("JoinHandle<T> asked a task for an output of another type");
        *slot = this.output.take();
    }
}
