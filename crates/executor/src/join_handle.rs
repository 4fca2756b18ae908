//! Handles to spawned tasks: await the outcome, cancel, detach.

use std::future::Future;
use std::marker::PhantomData;
use std::panic::Location;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::task::{AfterFinish, HandleRef, Phase, TaskRef};
use crate::tasks::Tasks;
use crate::{AwaitedTask, CancelHandle, JoinError};

/// The right to await a task's outcome, and to cancel it.
///
/// Awaiting it (from another task) gives `Ok(value)` when the task returned, or a [`JoinError`] when it
/// panicked or was cancelled.
///
/// **Dropping the handle detaches the task**: it keeps running to completion and its output is dropped. Use
/// [`cancel_on_drop`](Self::cancel_on_drop) to tie the task's life to the handle instead.
///
/// A `JoinHandle` belongs to the executor's thread (it is neither `Send` nor `Sync`).
///
/// Awaiting it is cancellation-safe: dropping the awaiting future (in a `select!`, say) does not affect the
/// task, and a later await still gets the outcome.
///
/// # Example
///
/// ```
/// # use godot_tasks_executor::doc_support::{next_frame, run, spawn, spawn_named};
/// # run(async {
/// let answer = spawn(async { 6 * 7 });
/// // ... from another task:
/// match answer.await {
///     Ok(value) => assert_eq!(value, 42),
///     Err(error) => eprintln!("{error}"), // it panicked or was cancelled
/// }
/// # });
/// ```
#[must_use = "dropping a JoinHandle detaches the task; call `.detach()` to say so, or `.cancel_on_drop()`"]
pub struct JoinHandle<T> {
    tasks: Weak<Tasks>,
    /// `None` once the outcome was taken, or for a spawn refused after shutdown.
    task: Option<HandleRef>,
    spawned_at: &'static Location<'static>,
    name: Option<Arc<str>>,
    /// The outcome was returned; polling again is a bug.
    consumed: bool,
    _output: PhantomData<(T, *const ())>,
}

impl<T> Unpin for JoinHandle<T> {}

impl<T: 'static> JoinHandle<T> {
    pub(crate) fn new(tasks: Weak<Tasks>, task: HandleRef, name: Option<Arc<str>>) -> Self {
        let spawned_at = task.task().spawned_at();
        Self { tasks, task: Some(task), spawned_at, name, consumed: false, _output: PhantomData }
    }

    /// The handle of a spawn refused after shutdown: it reports a cancellation.
    pub(crate) fn refused(spawned_at: &'static Location<'static>, name: Option<Arc<str>>) -> Self {
        Self { tasks: Weak::new(), task: None, spawned_at, name, consumed: false, _output: PhantomData }
    }

    /// The live set the task is in, if the task is still in it.
    fn live(&self) -> Option<(Rc<Tasks>, &TaskRef)> {
        let task = self.task.as_ref()?.task();
        if task.state().phase() == Phase::Released {
            return None;
        }
        Some((self.tasks.upgrade()?, task))
    }

    /// The task's name, if it was spawned with one.
    ///
    /// # Example
    ///
    /// ```
    /// # use godot_tasks_executor::doc_support::{next_frame, run, spawn, spawn_named};
    /// let handle = spawn_named("loader", async {});
    /// assert_eq!(handle.name(), Some("loader"));
    /// ```
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Cancels the task: its future is never polled again and is dropped on the executor's thread during the
    /// next flush (or, when the task cancels itself while running, as soon as its current poll returns).
    ///
    /// Never panics, whatever the state of the task: a task that already finished keeps its outcome, a second
    /// call is a no-op, and it may be called from inside the task itself or from a destructor.
    ///
    /// # Example
    ///
    /// ```
    /// # use godot_tasks_executor::doc_support::{next_frame, run, spawn, spawn_named};
    /// # run(async {
    /// let patrol = spawn(std::future::pending::<()>());
    /// patrol.cancel();
    /// assert!(patrol.await.unwrap_err().is_cancelled());
    /// # });
    /// ```
    pub fn cancel(&self) {
        if let Some((tasks, task)) = self.live() {
            tasks.cancel(task);
        }
    }

    /// Whether the task has finished (returned, panicked or been cancelled and dropped), so that awaiting
    /// this handle would complete immediately.
    ///
    /// # Example
    ///
    /// ```
    /// # use godot_tasks_executor::doc_support::{next_frame, run, spawn, spawn_named};
    /// let handle = spawn(async {});
    /// assert!(!handle.is_finished()); // first polled later, when the runtime runs its tasks
    /// # next_frame();
    /// // ... a frame later:
    /// assert!(handle.is_finished());
    /// ```
    pub fn is_finished(&self) -> bool {
        self.task
            .as_ref()
            .is_none_or(|task| matches!(task.task().state().phase(), Phase::Finished(_) | Phase::Released))
    }

    /// A cloneable handle that can cancel the task (but not await it), for code that must stop the task
    /// without owning this handle, such as the task itself.
    ///
    /// # Example
    ///
    /// ```
    /// # use godot_tasks_executor::doc_support::{next_frame, run, spawn, spawn_named};
    /// let handle = spawn(std::future::pending::<()>());
    /// let canceller = handle.cancel_handle(); // Clone, for a button, a timer, the task itself
    /// canceller.cancel();
    /// ```
    pub fn cancel_handle(&self) -> CancelHandle {
        CancelHandle::new(self.tasks.clone(), self.task.as_ref().map(|task| task.task().clone()))
    }

    /// Where the task was spawned.
    ///
    /// # Example
    ///
    /// ```
    /// # use godot_tasks_executor::doc_support::{next_frame, run, spawn, spawn_named};
    /// let handle = spawn(async {});
    /// eprintln!("spawned at {}", handle.spawned_at());
    /// ```
    pub fn spawned_at(&self) -> &'static Location<'static> {
        self.spawned_at
    }

    /// Lets the task run on without a handle (the same as dropping the handle, but says so).
    ///
    /// # Example
    ///
    /// ```
    /// # use godot_tasks_executor::doc_support::{next_frame, run, spawn, spawn_named};
    /// spawn(async { /* runs to completion on its own */ }).detach();
    /// ```
    pub fn detach(self) {}

    /// Turns this handle into one that cancels the task when dropped.
    ///
    /// # Example
    ///
    /// ```
    /// # use godot_tasks_executor::doc_support::{next_frame, run, spawn, spawn_named};
    /// let guard = spawn(std::future::pending::<()>()).cancel_on_drop();
    /// drop(guard); // cancels the task
    /// ```
    pub fn cancel_on_drop(self) -> CancelOnDrop<T> {
        CancelOnDrop { handle: Some(self) }
    }
}

impl<T: 'static> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    /// # Panics
    ///
    /// If polled again after it returned `Ready`.
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        assert!(!this.consumed, "JoinHandle polled after it already returned the task's outcome");
        let live = this.task.as_ref().map(|task| task.task().state().phase()).zip(this.tasks.upgrade());
        let (phase, tasks) = match live {
            Some((phase, tasks)) if phase != Phase::Released => (phase, tasks),
            // Refused after shutdown, released by a shutdown, or the executor is gone: a cancellation.
            _ => {
                this.consumed = true;
                if let Some(task) = this.task.take() {
                    task.drop_inherited();
                }
                return Poll::Ready(Err(JoinError::cancelled(this.spawned_at).named(this.name.clone())));
            }
        };
        if let Phase::Finished(outcome) = phase {
            let task = this.task.take().expect("checked above");
            this.consumed = true;
            return Poll::Ready(tasks.take_outcome(task, outcome));
        }
        let task = this.task.as_ref().expect("checked above").task();
        // A foreign waker's destructor may spawn or cancel: it runs with nothing borrowed.
        drop(tasks.set_join_waker(task, cx.waker()));
        let tracker = tasks.tracker();
        // Only for a task of this executor: awaited from another one, the task being polled here is not the
        // awaiter. (A waker from a combinator or another runtime says nothing: then the note is made.)
        let awaiter_elsewhere =
            TaskRef::executor_of(cx.waker()).is_some_and(|executor| executor != task.shared_ptr().address());
        if tracker.wants_note()
            && !awaiter_elsewhere
            && let Some(id) = tracker.id(task.key())
        {
            let awaited = AwaitedTask { id, name: tasks.name(task), spawned_at: task.spawned_at() };
            tracker.note(Rc::new(awaited));
        }
        Poll::Pending
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        let Some(task) = self.task.take() else {
            return;
        };
        let state = task.task().state();
        match state.phase() {
            Phase::Released => task.drop_inherited(),
            // The common case (`spawn(..).detach()`): a live task with nothing in the side table only needs its
            // state changed.
            Phase::Idle { .. } | Phase::Running { .. } | Phase::Cancelling if !state.has_extras() => {
                let (detached, next) = state.detach();
                debug_assert_eq!(next, AfterFinish::Keep);
                task.task().set_state(detached);
            }
            _ => {
                if let Some(tasks) = self.tasks.upgrade() {
                    tasks.detach(task);
                }
            }
        }
    }
}

impl<T> std::fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoinHandle").field("spawned_at", &self.spawned_at).finish_non_exhaustive()
    }
}

/// A [`JoinHandle`] that cancels its task when dropped. Made by [`JoinHandle::cancel_on_drop`].
///
/// Awaiting it gives the same outcome as awaiting the handle. Not cancellation-safe by design: dropping it
/// (for example as the losing branch of a `select!`) cancels the task.
///
/// # Example
///
/// ```
/// # use godot_tasks_executor::doc_support::{next_frame, run, spawn, spawn_named};
/// # run(async {
/// // Dropped early (a scene change, a lost `select!` branch), the guard cancels the search:
/// let search = spawn(async { 1 }).cancel_on_drop();
/// assert_eq!(search.await.unwrap(), 1);
/// # });
/// ```
#[must_use = "dropping a CancelOnDrop cancels the task immediately"]
#[derive(Debug)]
pub struct CancelOnDrop<T: 'static> {
    /// Always `Some`, except inside `into_handle`.
    handle: Option<JoinHandle<T>>,
}

impl<T: 'static> CancelOnDrop<T> {
    /// The handle inside, for `cancel`, `is_finished` and the like.
    ///
    /// # Example
    ///
    /// ```
    /// # use godot_tasks_executor::doc_support::{next_frame, run, spawn, spawn_named};
    /// let guard = spawn(async {}).cancel_on_drop();
    /// let finished = guard.handle().is_finished();
    /// ```
    pub fn handle(&self) -> &JoinHandle<T> {
        self.handle.as_ref().expect("CancelOnDrop holds its handle until dropped")
    }

    /// Gives back a plain handle: dropping it detaches again instead of cancelling.
    ///
    /// # Example
    ///
    /// ```
    /// # use godot_tasks_executor::doc_support::{next_frame, run, spawn, spawn_named};
    /// let guard = spawn(async {}).cancel_on_drop();
    /// let handle = guard.into_handle(); // dropping this one detaches again
    /// handle.detach();
    /// ```
    pub fn into_handle(mut self) -> JoinHandle<T> {
        self.handle.take().expect("CancelOnDrop holds its handle until dropped")
    }
}

impl<T: 'static> Future for CancelOnDrop<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let handle = self.handle.as_mut().expect("CancelOnDrop holds its handle until dropped");
        Pin::new(handle).poll(cx)
    }
}

impl<T: 'static> Drop for CancelOnDrop<T> {
    fn drop(&mut self) {
        if let Some(handle) = &self.handle {
            handle.cancel();
        }
    }
}
