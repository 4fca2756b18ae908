//! The spawn builder: the options a task can be spawned with.

use std::cell::OnceCell;
use std::future::Future;
use std::panic::Location;
use std::rc::Rc;
use std::sync::Arc;

use godot::classes::{Node, Object};
use godot::obj::{Gd, Inherits};

use super::bound::{Bound, Watch};
use crate::{JoinHandle, TaskGroup, runtime};

/// Spawns a task with options: a name, bound to an object's life or to a node's time in the tree, and/or
/// into a [`TaskGroup`]. Made by [`task`](crate::task).
///
/// A **bound** task is cancelled when its object is freed: its future is not polled again and is dropped on
/// the main thread, and its handle reports a cancellation. Nothing polls the object per frame: the engine
/// itself tells the task, by dropping a connection of the object when it dies. With
/// [`bind_to_tree`](Self::bind_to_tree) the task also ends when the node starts leaving the tree (and does
/// not come back if the node re-enters).
///
/// # Example
///
/// ```no_run
/// use std::time::Duration;
/// use godot::prelude::*;
/// use godot_tasks::time;
///
/// # fn example(enemy: Gd<Node2D>) {
/// let mut body = enemy.clone();
/// godot_tasks::task().bind(&enemy).spawn(async move {
///     loop {
///         time::sleep(Duration::from_secs(1)).await; // if the enemy is freed meanwhile, this never resumes
///         body.translate(Vector2::new(10.0, 0.0));
///     }
/// })
/// .detach();
/// # }
/// ```
#[must_use = "a builder does nothing until `spawn`"]
#[derive(Default)]
pub struct TaskBuilder {
    object: Option<Gd<Object>>,
    exits_tree: bool,
    name: Option<Arc<str>>,
}

impl TaskBuilder {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Names the task: the name appears in its panic report and in its [`JoinError`](crate::JoinError).
    ///
    /// # Example
    ///
    /// ```no_run
    /// let handle = godot_tasks::task().name("wave spawner").spawn(async { /* ... */ });
    /// assert_eq!(handle.name(), Some("wave spawner"));
    /// ```
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(Arc::from(name));
        self
    }

    /// Cancels the task when `object` is freed.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # use godot::prelude::*;
    /// # fn example(pickup: Gd<Node>) {
    /// godot_tasks::task().bind(&pickup).spawn(async { /* ... */ }).detach();
    /// # }
    /// ```
    pub fn bind<T: Inherits<Object>>(mut self, object: &Gd<T>) -> Self {
        self.object = Some(object.clone().upcast());
        self
    }

    /// Cancels the task when `node` is freed or starts leaving the scene tree.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # use godot::prelude::*;
    /// # fn example(level: Gd<Node>) {
    /// godot_tasks::task().bind_to_tree(&level).spawn(async { /* level logic */ }).detach();
    /// # }
    /// ```
    pub fn bind_to_tree<T: Inherits<Node>>(mut self, node: &Gd<T>) -> Self {
        self.object = Some(node.clone().upcast::<Node>().upcast());
        self.exits_tree = true;
        self
    }

    /// Spawns `future` with these options.
    ///
    /// # Panics
    ///
    /// Off Godot's main thread.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # use godot::prelude::*;
    /// # fn example(node: Gd<Node>) {
    /// let handle = godot_tasks::task().bind(&node).spawn(async { 42 });
    /// # }
    /// ```
    #[track_caller]
    pub fn spawn<F>(self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let at = Location::caller();
        runtime::assert_main_thread("TaskBuilder::spawn()", at);
        let executor = runtime::executor();
        match self.object {
            None => executor.spawn_named_at(future, at, self.name),
            Some(object) => {
                let watch = Watch::new(&object, self.exits_tree);
                let cancel = Rc::new(OnceCell::new());
                let handle = executor.spawn_named_at(Bound::new(future, watch, cancel.clone()), at, self.name);
                let _ = cancel.set(handle.cancel_handle());
                handle
            }
        }
    }

    /// Spawns `future` with these options into `group`.
    ///
    /// # Panics
    ///
    /// Off Godot's main thread.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # use godot::prelude::*;
    /// # fn example(node: Gd<Node>, group: &mut godot_tasks::TaskGroup<()>) {
    /// godot_tasks::task().bind(&node).spawn_in(group, async {});
    /// # }
    /// ```
    #[track_caller]
    pub fn spawn_in<F>(self, group: &mut TaskGroup<F::Output>, future: F)
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        group.add(self.spawn(future));
    }
}
