//! A cloneable right to cancel a task, without its outcome.

use std::rc::Weak;

use crate::task::{Phase, TaskRef};
use crate::tasks::Tasks;

/// Cancels one task; made by [`JoinHandle::cancel_handle`](crate::JoinHandle::cancel_handle).
///
/// Unlike the [`JoinHandle`](crate::JoinHandle), it can be cloned and gives no outcome; cancelling works
/// exactly like [`JoinHandle::cancel`](crate::JoinHandle::cancel) (never panics, may be called from inside
/// the task). It belongs to the executor's thread.
///
/// # Example
///
/// ```
/// # use godot_tasks_executor::doc_support::{next_frame, run, spawn, spawn_named};
/// # run(async {
/// let music = spawn(std::future::pending::<()>());
/// let stop_music = music.cancel_handle(); // for the options menu
/// stop_music.clone().cancel();
/// assert!(music.await.unwrap_err().is_cancelled());
/// # });
/// ```
#[derive(Clone)]
pub struct CancelHandle {
    tasks: Weak<Tasks>,
    /// `None` for a task that was never spawned (refused after shutdown) or whose outcome was taken.
    task: Option<TaskRef>,
}

impl std::fmt::Debug for CancelHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let spawned_at = self.task.as_ref().map(TaskRef::spawned_at);
        f.debug_struct("CancelHandle").field("spawned_at", &spawned_at).finish_non_exhaustive()
    }
}

impl CancelHandle {
    pub(crate) fn new(tasks: Weak<Tasks>, task: Option<TaskRef>) -> Self {
        Self { tasks, task }
    }

    /// Cancels the task; see [`JoinHandle::cancel`](crate::JoinHandle::cancel).
    ///
    /// # Example
    ///
    /// ```
    /// # use godot_tasks_executor::doc_support::{next_frame, run, spawn, spawn_named};
    /// # run(async {
    /// let handle = spawn(std::future::pending::<()>());
    /// handle.cancel_handle().cancel();
    /// assert!(handle.await.unwrap_err().is_cancelled());
    /// # });
    /// ```
    pub fn cancel(&self) {
        let Some(task) = &self.task else {
            return;
        };
        if task.state().phase() != Phase::Released
            && let Some(tasks) = self.tasks.upgrade()
        {
            tasks.cancel(task);
        }
    }
}
