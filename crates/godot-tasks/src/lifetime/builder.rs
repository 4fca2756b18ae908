//! The spawn builder: the options a task can be spawned with.

use std::cell::OnceCell;
use std::future::Future;
use std::panic::Location;
use std::rc::Rc;
use std::sync::Arc;

use godot::classes::{Node, Object};
use godot::obj::{Gd, Inherits, InstanceId};

use super::bound::{Bound, Watch};
use crate::{CancelHandle, JoinHandle, TaskGroup, runtime};

/// Spawns a task with options: a name, bound to an object's life or to a node's time in the tree, and/or
/// into a [`TaskGroup`]. Made by [`task`](crate::task).
///
/// A **bound** task is cancelled when its object is freed: its future is not polled again and is dropped on
/// the main thread, and its handle reports a cancellation. Nothing polls the object per frame: the engine
/// wakes the task by dropping a connection of the object when it dies, and the task checks that its
/// object is alive before each poll (so a free on another thread, which reaches the main thread later,
/// cannot let it run once more). With [`bind_to_tree`](Self::bind_to_tree) the task also ends when the
/// node starts leaving the tree, and does not come back if the node re-enters.
///
/// Do not move the bound object into the task's future as a `Gd` of a `RefCounted` class: the future would
/// keep it alive, and it would never be freed. Hold an `InstanceId` or a weak handle instead.
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
/// godot_tasks::TaskBuilder::new().bind(&enemy).spawn(async move {
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
    /// By id: binding to an object that is already freed must not touch it.
    object: Option<InstanceId>,
    exits_tree: bool,
    pub(crate) name: Option<Arc<str>>,
}

impl std::fmt::Debug for TaskBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskBuilder")
            .field("bound_to", &self.object)
            .field("cancel_on_tree_exit", &self.exits_tree)
            .field("name", &self.name)
            .finish()
    }
}

impl TaskBuilder {
    /// A builder for a task that is bound to nothing and has no name yet.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # use godot::prelude::*;
    /// # fn example(enemy: Gd<Node>) {
    /// use godot_tasks::TaskBuilder;
    ///
    /// TaskBuilder::new().name("enemy AI").bind(&enemy).spawn(async { /* AI */ }).detach();
    /// # }
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Names the task: the name appears in its panic report and in its [`JoinError`](crate::JoinError).
    ///
    /// # Example
    ///
    /// ```no_run
    /// let handle = godot_tasks::TaskBuilder::new().name("wave spawner").spawn(async { /* ... */ });
    /// let name = handle.name(); // Some("wave spawner")
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
    /// godot_tasks::TaskBuilder::new().bind(&pickup).spawn(async { /* ... */ }).detach();
    /// # }
    /// ```
    pub fn bind<T: Inherits<Object>>(mut self, object: &Gd<T>) -> Self {
        self.object = Some(object.instance_id_unchecked());
        self.exits_tree = false;
        self
    }

    /// Cancels the task when `node` is freed or starts leaving the scene tree. A node that is not in the tree
    /// when the task is spawned cancels it at once. Moving the node with `reparent()` leaves the tree, so
    /// it cancels the task too.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # use godot::prelude::*;
    /// # fn example(level: Gd<Node>) {
    /// godot_tasks::TaskBuilder::new().bind_to_tree(&level).spawn(async { /* level logic */ }).detach();
    /// # }
    /// ```
    pub fn bind_to_tree<T: Inherits<Node>>(mut self, node: &Gd<T>) -> Self {
        self.object = Some(node.instance_id_unchecked());
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
    /// let handle = godot_tasks::TaskBuilder::new().bind(&node).spawn(async { 42 });
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
            None => executor.spawn_named_at(self.name, future, at),
            Some(id) => {
                let alive = Gd::<Object>::try_from_instance_id(id).ok();
                let in_tree = alive.as_ref().is_some_and(|object| {
                    !self.exits_tree || object.clone().try_cast::<Node>().is_ok_and(|node| node.is_inside_tree())
                });
                let Some(object) = alive.filter(|_| in_tree) else {
                    // Already freed (or not in the tree): cancelled before its first poll.
                    let handle = executor.spawn_named_at(self.name, future, at);
                    handle.cancel();
                    return handle;
                };
                let watch = Watch::new(&object, self.exits_tree);
                let cancel = Rc::new(OnceCell::new());
                let handle = executor.spawn_named_at(self.name, Bound::new(future, watch, cancel.clone()), at);
                let _ = cancel.set(handle.cancel_handle());
                handle
            }
        }
    }

    /// Spawns `future` with these options into `group`, and returns a handle that cancels that one task (see
    /// [`TaskGroup::spawn`]).
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
    /// godot_tasks::TaskBuilder::new().bind(&node).spawn_in(group, async {});
    /// # }
    /// ```
    #[track_caller]
    pub fn spawn_in<F>(self, group: &mut TaskGroup<F::Output>, future: F) -> CancelHandle
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        group.add(self.spawn(future))
    }
}
