//! The spawn builder: the options a task can be spawned with.

use std::future::Future;
use std::panic::Location;
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
    gdscript_timing: bool,
}

impl std::fmt::Debug for TaskBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskBuilder")
            .field("bound_to", &self.object)
            .field("cancel_on_tree_exit", &self.exits_tree)
            .field("name", &self.name)
            .field("gdscript_timing", &self.gdscript_timing)
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

    /// Gives the task **GDScript timing**, for code ported from GDScript that depends on when a coroutine
    /// runs:
    ///
    /// - **Its first poll runs at once, inside `spawn`**, as calling a GDScript coroutine runs it up to its
    ///   first `await` (the default polls it later in the frame, from a fresh call stack).
    /// - **It resumes inside the emission** of a signal it awaits, before `emit` returns to the emitter, as a
    ///   GDScript `await` does (the default resumes after the emitter returns, later in the frame). Tasks
    ///   awaiting one emission resume in the order they started awaiting; tasks with the default timing are
    ///   queued as usual.
    /// - **A freed emitter ends it quietly**: `next_emission()` on an emitter that is freed cancels the task
    ///   (its destructors run, its handle reports a cancellation, nothing is printed), as GDScript ends the
    ///   coroutine. `try_next_emission()` still gives the error, and streams still end.
    ///
    /// [`awaitable`](Self::awaitable) tasks keep the default timing: GDScript must hold the returned signal
    /// before the task can finish.
    ///
    /// Everything else is the same: [`Clock`](crate::time::Clock) waits (`sleep`, `next_frame`, ...) resume
    /// in the runtime's frame hook (the engine's own waits, [`time::create_timer`](crate::time::create_timer)
    /// and the frame signals, are signals, so they resume inside their emission); a signal emitted on another
    /// thread resumes the task on the main thread later; and a task that cannot be polled when its signal is
    /// emitted resumes at the next flush, later in the frame: one that is being polled (it emitted the signal
    /// itself), or one already queued by another wake. Awaiting a [`JoinHandle`](crate::JoinHandle) also
    /// resumes at the next flush, not inside the code that ends the other task. A freed emitter ends the task
    /// at the next flush, not inside `free()`.
    ///
    /// **The cost is re-entrancy.** The task runs inside its caller's call stack: if the spawner or the
    /// emitter still holds a `bind()`/`bind_mut()` guard on an object that the task binds, the task's bind
    /// panics. The task then ends with that panic, and the message says where the task ran and how to fix it:
    /// drop the guard before spawning or emitting (emit at the end of the method, or with `call_deferred`), or
    /// use the default timing. The usual shape of a node's async method avoids this: take a `Gd<Self>`, and
    /// bind it for one step at a time, never across an `.await`.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use godot::prelude::*;
    /// use godot_tasks::TaskBuilder;
    /// use godot_tasks::signal::SignalExt;
    ///
    /// # fn example(door: Gd<Node>) {
    /// // GDScript: func open_sequence(): print("waiting"); await door.opened; print("opened")
    /// TaskBuilder::new().gdscript_timing().spawn(async move {
    ///     godot_print!("waiting"); // printed before `spawn` returns
    ///     Signal::from_object_signal(&door, "opened").next_emission::<()>().await;
    ///     godot_print!("opened"); // printed inside `door.emit_signal("opened")`
    /// })
    /// .detach();
    /// # }
    /// ```
    pub fn gdscript_timing(mut self) -> Self {
        self.gdscript_timing = true;
        self
    }

    /// The same options with the default timing.
    pub(crate) fn default_timing(mut self) -> Self {
        self.gdscript_timing = false;
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
        let timing = self.gdscript_timing;
        match self.object {
            None => spawn_with(&executor, timing, self.name, future, at),
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
                spawn_with(&executor, timing, self.name, Bound::new(future, watch), at)
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

/// Spawns with the default timing or, if `gdscript_timing`, with GDScript's.
fn spawn_with<F>(
    executor: &godot_tasks_executor::Executor,
    gdscript_timing: bool,
    name: Option<Arc<str>>,
    future: F,
    at: &'static Location<'static>,
) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    if gdscript_timing {
        crate::gdscript_timing::spawn(executor, name, future, at)
    } else {
        executor.spawn_named_at(name, future, at)
    }
}
