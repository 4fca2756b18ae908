//! A cloneable right to cancel a task, without its outcome.

use std::rc::Weak;

use crate::executor::Inner;
use crate::task_table::TaskRef;

/// Cancels one task; made by [`JoinHandle::cancel_handle`](crate::JoinHandle::cancel_handle).
///
/// Unlike the [`JoinHandle`](crate::JoinHandle), it can be cloned and gives no outcome; cancelling works
/// exactly like [`JoinHandle::cancel`](crate::JoinHandle::cancel) (never panics, may be called from inside
/// the task). It belongs to the executor's thread.
///
/// # Example
///
/// ```
/// # use godot_tasks_executor::{Executor, Host, PanicReport};
/// # struct NoHost;
/// # impl Host for NoHost { fn request_flush(&self) {} fn report_panic(&self, _: &PanicReport) {} }
/// let executor = Executor::new(NoHost);
/// let handle = executor.spawn(std::future::pending::<()>());
/// let canceller = handle.cancel_handle();
/// canceller.cancel();
/// let _ = executor.flush();
/// assert!(handle.is_finished());
/// ```
#[derive(Clone, Debug)]
pub struct CancelHandle {
    executor: Weak<Inner>,
    task: TaskRef,
}

impl CancelHandle {
    pub(crate) fn new(executor: Weak<Inner>, task: TaskRef) -> Self {
        Self { executor, task }
    }

    /// Cancels the task; see [`JoinHandle::cancel`](crate::JoinHandle::cancel).
    ///
    /// # Example
    ///
    /// ```
    /// # use godot_tasks_executor::{Executor, Host, PanicReport};
    /// # struct NoHost;
    /// # impl Host for NoHost { fn request_flush(&self) {} fn report_panic(&self, _: &PanicReport) {} }
    /// # let executor = Executor::new(NoHost);
    /// let handle = executor.spawn(std::future::pending::<()>());
    /// handle.cancel_handle().cancel();
    /// # let _ = executor.flush();
    /// assert!(handle.is_finished());
    /// ```
    pub fn cancel(&self) {
        if let Some(inner) = self.executor.upgrade() {
            inner.cancel(self.task);
        }
    }
}
