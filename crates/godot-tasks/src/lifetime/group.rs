//! Task groups: spawn many, await all or the next, cancel all; dropping a group cancels its tasks.

use std::collections::VecDeque;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;

use crate::{CancelHandle, JoinError, JoinHandle};

/// A set of tasks with one outcome type, owned together.
///
/// - [`spawn`](Self::spawn) starts a task in the group (or use [`TaskBuilder::spawn_in`](crate::TaskBuilder::spawn_in)
///   for bound tasks); [`add`](Self::add) adopts a task spawned elsewhere.
/// - [`next`](Self::next) waits for the next task to finish (in finishing order), [`join_all`](Self::join_all)
///   for all of them (in the order they were added). The group is also a `Stream` of outcomes.
/// - [`cancel_all`](Self::cancel_all) cancels every task still running.
/// - **Dropping the group cancels its tasks** (unless [`detach_on_drop`](Self::detach_on_drop) was chosen).
///   So a group owned by a task is cancelled with that task: cancellation flows down a tree of tasks.
///
/// Main thread only, like every task. Awaiting `next` or `join_all` is cancellation-safe: outcomes are kept
/// in the group until taken, so dropping either future loses none.
///
/// # Example
///
/// ```no_run
/// use godot_tasks::TaskGroup;
///
/// # async fn example() {
/// let mut scouts = TaskGroup::new();
/// for area in ["north", "south", "east"] {
///     scouts.spawn(async move { format!("{area}: clear") });
/// }
/// while let Some(report) = scouts.next().await {
///     godot::global::godot_print!("{}", report.unwrap_or_else(|e| e.to_string()));
/// }
/// # }
/// ```
pub struct TaskGroup<T: 'static> {
    tasks: FuturesUnordered<Numbered<T>>,
    /// Outcomes collected by a `join_all` that was dropped before it finished, in finishing order; handed
    /// out first.
    collected: VecDeque<(usize, Result<T, JoinError>)>,
    added: usize,
    cancel_on_drop: bool,
}

impl<T: 'static> std::fmt::Debug for TaskGroup<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskGroup")
            .field("running", &self.tasks.len())
            .field("finished_unclaimed", &self.collected.len())
            .field("spawned", &self.added)
            .field("cancel_on_drop", &self.cancel_on_drop)
            .finish()
    }
}

/// A member's handle with the order it was added in.
struct Numbered<T: 'static> {
    number: usize,
    handle: JoinHandle<T>,
}

impl<T: 'static> Future for Numbered<T> {
    type Output = (usize, Result<T, JoinError>);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let number = self.number;
        Pin::new(&mut self.handle).poll(cx).map(|outcome| (number, outcome))
    }
}

impl<T: 'static> Default for TaskGroup<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: 'static> TaskGroup<T> {
    /// An empty group that cancels its tasks when dropped.
    ///
    /// # Example
    ///
    /// ```no_run
    /// let group: godot_tasks::TaskGroup<()> = godot_tasks::TaskGroup::new();
    /// ```
    pub fn new() -> Self {
        Self { tasks: FuturesUnordered::new(), collected: VecDeque::new(), added: 0, cancel_on_drop: true }
    }

    /// Makes dropping the group detach its tasks instead of cancelling them.
    ///
    /// # Example
    ///
    /// ```no_run
    /// let group = godot_tasks::TaskGroup::<()>::new().detach_on_drop();
    /// ```
    pub fn detach_on_drop(mut self) -> Self {
        self.cancel_on_drop = false;
        self
    }

    /// Spawns `future` as a task of this group, and returns a handle that cancels that one task (like the
    /// `AbortHandle` of tokio's `JoinSet::spawn`). The group keeps the task's outcome either way; a cancelled
    /// task's outcome is a cancellation.
    ///
    /// # Panics
    ///
    /// Off Godot's main thread.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # fn example(group: &mut godot_tasks::TaskGroup<i32>) {
    /// group.spawn(async { 1 + 1 });
    /// let slow_scout = group.spawn(std::future::pending());
    /// slow_scout.cancel(); // only this one
    /// # }
    /// ```
    #[track_caller]
    pub fn spawn<F>(&mut self, future: F) -> CancelHandle
    where
        F: Future<Output = T> + 'static,
    {
        let at = Location::caller();
        crate::runtime::assert_main_thread("TaskGroup::spawn()", at);
        let handle = crate::runtime::executor().spawn_at(future, at);
        self.add(handle)
    }

    /// Adopts a task spawned elsewhere; the group now decides its fate. Returns a handle that cancels that
    /// one task.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # fn example(group: &mut godot_tasks::TaskGroup<i32>) {
    /// group.add(godot_tasks::spawn(async { 7 }));
    /// # }
    /// ```
    pub fn add(&mut self, handle: JoinHandle<T>) -> CancelHandle {
        let cancel = handle.cancel_handle();
        self.tasks.push(Numbered { number: self.added, handle });
        self.added += 1;
        cancel
    }

    /// How many tasks whose outcome has not been taken yet.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # fn example(group: &godot_tasks::TaskGroup<()>) {
    /// godot::global::godot_print!("{} tasks left", group.len());
    /// # }
    /// ```
    pub fn len(&self) -> usize {
        self.tasks.len() + self.collected.len()
    }

    /// Whether every outcome has been taken.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # fn example(group: &godot_tasks::TaskGroup<()>) -> bool {
    /// group.is_empty()
    /// # }
    /// ```
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty() && self.collected.is_empty()
    }

    /// Cancels every task of the group that is still running: their outcomes become cancellations (a task
    /// that completes in the poll it is in when cancelled keeps its value).
    ///
    /// # Example
    ///
    /// ```no_run
    /// # fn example(group: &godot_tasks::TaskGroup<()>) {
    /// group.cancel_all();
    /// # }
    /// ```
    pub fn cancel_all(&self) {
        for member in self.tasks.iter() {
            member.handle.cancel();
        }
    }

    /// The outcome of the next task to finish, or `None` at once when the group is empty (so in a `select!`
    /// loop, check [`is_empty`](Self::is_empty) first).
    ///
    /// # Example
    ///
    /// ```no_run
    /// # async fn example(group: &mut godot_tasks::TaskGroup<i32>) {
    /// if let Some(Ok(first)) = group.next().await {
    ///     godot::global::godot_print!("first done: {first}");
    /// }
    /// # }
    /// ```
    pub async fn next(&mut self) -> Option<Result<T, JoinError>> {
        if let Some((_, outcome)) = self.collected.pop_front() {
            return Some(outcome);
        }
        self.tasks.next().await.map(|(_, outcome)| outcome)
    }

    /// Every remaining outcome, in the order the tasks were added.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # async fn example(mut group: godot_tasks::TaskGroup<i32>) {
    /// let results = group.join_all().await;
    /// # }
    /// ```
    pub async fn join_all(&mut self) -> Vec<Result<T, JoinError>> {
        // Outcomes are kept in the group as they arrive, so dropping this future loses none.
        while let Some(numbered) = self.tasks.next().await {
            self.collected.push_back(numbered);
        }
        let mut outcomes = Vec::from(std::mem::take(&mut self.collected));
        outcomes.sort_by_key(|(number, _)| *number);
        outcomes.into_iter().map(|(_, outcome)| outcome).collect()
    }
}

// Nothing in a group is ever pinned: its tasks' handles are polled through `FuturesUnordered`.
impl<T: 'static> Unpin for TaskGroup<T> {}

impl<T: 'static> Stream for TaskGroup<T> {
    type Item = Result<T, JoinError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Some((_, outcome)) = self.collected.pop_front() {
            return Poll::Ready(Some(outcome));
        }
        Pin::new(&mut self.tasks).poll_next(cx).map(|next| next.map(|(_, outcome)| outcome))
    }
}

impl<T: 'static> futures_core::FusedStream for TaskGroup<T> {
    fn is_terminated(&self) -> bool {
        self.collected.is_empty() && self.tasks.is_terminated()
    }
}

impl<T: 'static> Drop for TaskGroup<T> {
    fn drop(&mut self) {
        if self.cancel_on_drop {
            self.cancel_all();
        }
    }
}
