//! Task tracking: what a snapshot of the live tasks tells beyond their name, spawn location and state. While
//! tracking is on, each task has an id, the frame it was first seen in, how many times it was polled and for how
//! long, and notes of what it awaits. Off by default: then it costs one branch per spawn, poll and release.
//!
//! The entries live in a table of their own, keyed like the side table by the task's address, so that a task's
//! allocation does not grow. Turning tracking on gives every live task an entry (its age counts from then);
//! turning it off forgets them all.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::panic::Location;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use crate::Executor;
use crate::memory::TrimRule;
use crate::task::Phase;

/// A task's id in snapshots: unique among the tasks of one executor for its whole life, never reused.
///
/// Tasks get their id when tracking sees them first (at spawn, or when tracking is turned on), so ids grow in
/// that order. [`Executor::cancel_task`](crate::Executor::cancel_task) takes one.
///
/// # Example
///
/// ```
/// # let executor = godot_tasks_executor::doc_support::executor();
/// executor.set_tracking(true);
/// executor.spawn(std::future::pending::<()>()).detach();
/// let id = executor.snapshot()[0].id;
/// assert_eq!(id.to_string(), format!("#{}", id.get()));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TaskId(u64);

impl TaskId {
    /// The number behind the id (what the editor inspector sends back to cancel a task).
    pub fn get(self) -> u64 {
        self.0
    }

    /// The id whose number is `raw` (it may name no task).
    pub fn from_raw(raw: u64) -> Self {
        TaskId(raw)
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Where a task is in its life, as a snapshot sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TaskState {
    /// Ready: it will be polled in the next flush (spawned, woken, or cancelled and about to be dropped).
    Queued,
    /// Waiting for a wake.
    Waiting,
    /// Being polled now (the snapshot was taken from inside it, or from a task it polls).
    Running,
    /// Its future is being dropped now (the snapshot was taken from a destructor).
    Cancelling,
    /// Its future is gone; the outcome waits for its `JoinHandle`.
    Finished,
}

impl TaskState {
    /// The state's name in lower case: `queued`, `waiting`, `running`, `cancelling` or `finished`.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::Queued => "queued",
            TaskState::Waiting => "waiting",
            TaskState::Running => "running",
            TaskState::Cancelling => "cancelling",
            TaskState::Finished => "finished",
        }
    }
}

impl fmt::Display for TaskState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One live task, as [`Executor::snapshot`](crate::Executor::snapshot) saw it.
#[derive(Clone)]
#[non_exhaustive]
pub struct TaskSnapshot {
    /// Its id, for [`Executor::cancel_task`](crate::Executor::cancel_task).
    pub id: TaskId,
    /// Its name, if it was spawned with one.
    pub name: Option<Arc<str>>,
    /// Where it was spawned.
    pub spawned_at: &'static Location<'static>,
    /// Where it is in its life.
    pub state: TaskState,
    /// Frames ([`Executor::start_frame`](crate::Executor::start_frame) calls) since tracking first saw it.
    pub age_frames: u64,
    /// Polls since tracking first saw it.
    pub polls: u64,
    /// The time those polls took, if polls are timed (see [`Executor::set_poll_timing`](crate::Executor::set_poll_timing));
    /// polls before timing was turned on are not counted.
    pub poll_time: Option<Duration>,
    /// What it awaited when its last poll returned `Pending`: the notes of
    /// [`Executor::note_awaiting`](crate::Executor::note_awaiting), in the order they were made (a `select` or
    /// a timeout makes several). A `JoinHandle` notes an [`AwaitedTask`]. Empty for a task not polled since
    /// tracking began, or whose futures make no notes.
    pub awaiting: Vec<Rc<dyn Any>>,
}

impl fmt::Debug for TaskSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskSnapshot")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("spawned_at", &format_args!("{}", self.spawned_at))
            .field("state", &self.state)
            .field("age_frames", &self.age_frames)
            .field("polls", &self.polls)
            .field("poll_time", &self.poll_time)
            .field("awaiting", &self.awaiting.len())
            .finish()
    }
}

/// The note a `JoinHandle` makes while its task is awaited by a task of the same executor: the other task.
///
/// # Example
///
/// ```
/// use godot_tasks_executor::AwaitedTask;
///
/// # let executor = godot_tasks_executor::doc_support::executor();
/// executor.set_tracking(true);
/// let inner = executor.spawn_named("inner", std::future::pending::<()>());
/// executor.spawn(async move { inner.await }).detach();
/// executor.flush();
///
/// let snapshot = executor.snapshot();
/// let outer = snapshot.iter().find(|task| task.name.is_none()).unwrap();
/// let awaited = outer.awaiting[0].downcast_ref::<AwaitedTask>().unwrap();
/// assert_eq!(awaited.name.as_deref(), Some("inner"));
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct AwaitedTask {
    /// The awaited task's id.
    pub id: TaskId,
    /// Its name, if it has one.
    pub name: Option<Arc<str>>,
    /// Where it was spawned.
    pub spawned_at: &'static Location<'static>,
}

/// Hashes a task's address for the tracking table: the table is looked up at every poll while tracking is on,
/// and addresses need no protection against chosen collisions, so one multiplication replaces SipHash.
#[derive(Default)]
pub(crate) struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn write_usize(&mut self, address: usize) {
        // Allocations are aligned, so the low bits carry little: the multiplication spreads every bit upwards,
        // and the rotation brings the well-mixed high bits down to where the table takes its index from.
        self.0 = (address as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(26);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// What tracking knows of one task.
pub(crate) struct Tracked {
    id: TaskId,
    first_frame: u64,
    polls: u64,
    poll_time: Duration,
    awaiting: Vec<Rc<dyn Any>>,
}

/// The tracking table of one executor.
#[derive(Default)]
pub(crate) struct Tracker {
    on: Cell<bool>,
    /// The next id to give; ids are never reused, also across turning tracking off and on.
    next_id: Cell<u64>,
    /// How many frames started since the executor was made (counted whether tracking is on or not).
    frame: Cell<u64>,
    entries: RefCell<HashMap<usize, Tracked, BuildHasherDefault<AddressHasher>>>,
    /// The key of the task being polled while tracking is on: where notes go.
    current: Cell<Option<usize>>,
    /// Whether poll times are added up (see [`Executor::set_poll_timing`]).
    timing: Cell<bool>,
    /// The time taken by the runs nested in the run going on now (inline tasks polled inside it).
    nested: Cell<Duration>,
}

/// What the executor keeps of one run's tracking between [`Tracker::begin_run`] and [`Tracker::end_run`].
pub(crate) struct RunTracking {
    notes: Vec<Rc<dyn Any>>,
    outer: Option<usize>,
    outer_nested: Duration,
    timed: bool,
}

impl RunTracking {
    /// Whether the poll's time counts for the task (poll timing was on, and tracking knew the task).
    pub(crate) fn is_timed(&self) -> bool {
        self.timed
    }
}

impl Tracker {
    pub(crate) fn is_on(&self) -> bool {
        self.on.get()
    }

    /// Turns tracking on, giving an entry to each of `live` (the live tasks' keys); or off, forgetting them.
    /// Returns the entries forgotten, for the caller to drop outside every borrow.
    pub(crate) fn set_on(&self, on: bool, live: impl Iterator<Item = usize>) -> Vec<Tracked> {
        let was = self.on.replace(on);
        if !on {
            return std::mem::take(&mut *self.entries.borrow_mut()).into_values().collect();
        }
        if !was {
            for key in live {
                self.spawned(key);
            }
        }
        Vec::new()
    }

    pub(crate) fn is_timing(&self) -> bool {
        self.timing.get()
    }

    pub(crate) fn frame_started(&self) {
        self.frame.set(self.frame.get() + 1);
    }

    /// Gives a new task its entry (if tracking is on).
    pub(crate) fn spawned(&self, key: usize) {
        if !self.on.get() {
            return;
        }
        let id = TaskId(self.next_id.get() + 1);
        self.next_id.set(id.0);
        let tracked =
            Tracked { id, first_frame: self.frame.get(), polls: 0, poll_time: Duration::ZERO, awaiting: Vec::new() };
        self.entries.borrow_mut().insert(key, tracked);
    }

    /// Forgets a released task; returns its entry for the caller to drop outside every borrow.
    pub(crate) fn released(&self, key: usize) -> Option<Tracked> {
        if !self.on.get() {
            return None;
        }
        self.entries.borrow_mut().remove(&key)
    }

    /// Begins the tracking of one poll of the task `key`: counts it, notes the task as the one notes go to, and
    /// forgets what it awaited before (the old notes are handed back at the end of the run).
    pub(crate) fn begin_run(&self, key: usize) -> RunTracking {
        let notes = {
            let mut entries = self.entries.borrow_mut();
            entries.get_mut(&key).map(|tracked| {
                tracked.polls += 1;
                std::mem::take(&mut tracked.awaiting)
            })
        };
        RunTracking {
            timed: self.timing.get() && notes.is_some(),
            notes: notes.unwrap_or_default(),
            outer: self.current.replace(Some(key)),
            outer_nested: self.nested.replace(Duration::ZERO),
        }
    }

    /// Ends the tracking of a poll that took `took` (if it was timed): adds its time, less that of the inline
    /// polls nested in it, which count for their own tasks. Returns the notes of the previous poll, for the
    /// caller to drop once the task is settled, with nothing borrowed.
    pub(crate) fn end_run(&self, key: usize, run: RunTracking, took: Option<Duration>) -> Vec<Rc<dyn Any>> {
        self.current.set(run.outer);
        let took = took.unwrap_or_default();
        let nested = self.nested.replace(run.outer_nested + took);
        if run.timed
            && let Some(tracked) = self.entries.borrow_mut().get_mut(&key)
            && tracked.polls > 0
        {
            // (An entry with no polls was made during this poll, by turning tracking off and on: not this poll's.)
            tracked.poll_time += took.saturating_sub(nested);
        }
        run.notes
    }

    /// Forgets what a finished task awaited (its future is gone); returns the notes for the caller to drop once
    /// the task is settled.
    pub(crate) fn finished(&self, key: usize) -> Vec<Rc<dyn Any>> {
        if !self.on.get() {
            return Vec::new();
        }
        self.entries.borrow_mut().get_mut(&key).map(|tracked| std::mem::take(&mut tracked.awaiting)).unwrap_or_default()
    }

    /// Shrinks the table after a burst of tasks (see the `memory` module).
    pub(crate) fn trim(&self, rule: TrimRule) {
        if let Ok(mut entries) = self.entries.try_borrow_mut()
            && rule.too_large(entries.capacity())
        {
            entries.shrink_to(rule.target());
        }
    }

    /// Whether a note made now would be kept: tracking is on and a task of this executor is being polled.
    pub(crate) fn wants_note(&self) -> bool {
        self.on.get() && self.current.get().is_some()
    }

    /// Adds a note of what the task being polled awaits (if tracking is on and knows the task).
    pub(crate) fn note(&self, note: Rc<dyn Any>) {
        let Some(key) = self.current.get() else { return };
        if let Some(tracked) = self.entries.borrow_mut().get_mut(&key) {
            tracked.awaiting.push(note);
        }
    }

    /// The id of the live task whose key is `key`, if tracking knows it.
    pub(crate) fn id(&self, key: usize) -> Option<TaskId> {
        self.entries.borrow().get(&key).map(|tracked| tracked.id)
    }

    /// The key of the task with id `id`, if it is live and tracked.
    pub(crate) fn key_of(&self, id: TaskId) -> Option<usize> {
        self.entries.borrow().iter().find(|(_, tracked)| tracked.id == id).map(|(key, _)| *key)
    }

    /// What tracking knows of a task for its snapshot: id, age, polls, poll time, notes. Every live task has an
    /// entry while tracking is on; one without (which would be a bug) gets a new id, so that ids stay unique.
    pub(crate) fn describe(&self, key: usize, timed: bool) -> (TaskId, u64, u64, Option<Duration>, Vec<Rc<dyn Any>>) {
        if let Some(tracked) = self.entries.borrow().get(&key) {
            let age = self.frame.get() - tracked.first_frame;
            return (tracked.id, age, tracked.polls, timed.then_some(tracked.poll_time), tracked.awaiting.clone());
        }
        let id = TaskId(self.next_id.get() + 1);
        self.next_id.set(id.0);
        (id, 0, 0, None, Vec::new())
    }
}

impl Executor {
    /// Turns task tracking on or off (default: off). While it is on, each task has an id, an age in frames, a
    /// count of its polls and notes of what it awaits, for [`snapshot`](Self::snapshot); it costs a table entry
    /// per task and a few table lookups per poll. Turning it on gives every live task an id and starts its age
    /// and poll count at zero; turning it off forgets them (ids are never reused).
    ///
    /// # Example
    ///
    /// ```
    /// # let executor = godot_tasks_executor::doc_support::executor();
    /// executor.set_tracking(true);
    /// assert!(executor.is_tracking());
    /// ```
    pub fn set_tracking(&self, on: bool) {
        let tasks = self.tasks();
        let keys = if on && !tasks.tracker().is_on() { tasks.live_keys() } else { Vec::new() };
        // The forgotten notes may be anything: dropped with nothing borrowed.
        drop(tasks.tracker().set_on(on, keys.iter().copied()));
        #[cfg(feature = "tracing")]
        tasks.spans().record_ids(keys.into_iter().filter_map(|key| Some((key, tasks.tracker().id(key)?))));
    }

    /// Whether task tracking is on (see [`set_tracking`](Self::set_tracking)).
    pub fn is_tracking(&self) -> bool {
        self.tasks().tracker().is_on()
    }

    /// Adds up how long each task's polls take, for [`TaskSnapshot::poll_time`] (default: off). It costs two
    /// clock reads per poll, and counts only while tracking is on too.
    ///
    /// # Example
    ///
    /// ```
    /// # let executor = godot_tasks_executor::doc_support::executor();
    /// executor.set_tracking(true);
    /// executor.set_poll_timing(true);
    /// executor.spawn(async {}).detach();
    /// executor.spawn(std::future::pending::<()>()).detach();
    /// let _ = executor.flush();
    /// assert!(executor.snapshot()[0].poll_time.is_some());
    /// ```
    pub fn set_poll_timing(&self, on: bool) {
        self.tasks().tracker().timing.set(on);
    }

    /// Every live task: its id, name, spawn location and state, and what tracking knows of it (age, polls,
    /// poll time, what it awaits), in the order of the executor's table (not of spawning). Turns tracking on if
    /// it is off (see [`set_tracking`](Self::set_tracking)): the first snapshot then shows ages and polls of
    /// zero and no notes.
    ///
    /// # Example
    ///
    /// ```
    /// use godot_tasks_executor::TaskState;
    ///
    /// # let executor = godot_tasks_executor::doc_support::executor();
    /// executor.set_tracking(true);
    /// executor.spawn_named("waiter", std::future::pending::<()>()).detach();
    /// assert_eq!(executor.snapshot()[0].state, TaskState::Queued);
    /// let _ = executor.flush();
    ///
    /// let waiter = &executor.snapshot()[0];
    /// assert_eq!((waiter.name.as_deref(), waiter.state, waiter.polls), (Some("waiter"), TaskState::Waiting, 1));
    /// ```
    pub fn snapshot(&self) -> Vec<TaskSnapshot> {
        self.set_tracking(true);
        let tasks = self.tasks();
        let tracker = tasks.tracker();
        let timed = tracker.is_timing();
        tasks
            .live()
            .into_iter()
            .map(|task| {
                let state = match task.state().phase() {
                    Phase::Idle { .. } if task.is_queued() => TaskState::Queued,
                    Phase::Idle { .. } => TaskState::Waiting,
                    Phase::Running { .. } => TaskState::Running,
                    Phase::Cancelling => TaskState::Cancelling,
                    Phase::Finished(_) | Phase::Released => TaskState::Finished,
                };
                let (id, age_frames, polls, poll_time, awaiting) = tracker.describe(task.key(), timed);
                TaskSnapshot {
                    id,
                    name: tasks.name(&task),
                    spawned_at: task.spawned_at(),
                    state,
                    age_frames,
                    polls,
                    poll_time,
                    awaiting,
                }
            })
            .collect()
    }

    /// Whether a note made now would be kept: tracking is on and a task of this executor is being polled. A
    /// future that notes what it awaits can skip building the note when this is false.
    pub fn wants_awaiting_note(&self) -> bool {
        self.tasks().tracker().wants_note()
    }

    /// Notes what the task being polled awaits, for [`TaskSnapshot::awaiting`]: called by a future that returns
    /// `Pending`, with whatever describes its wait (snapshot readers downcast it). Does nothing (and does not
    /// call `note`) unless tracking is on and a task of this executor is being polled. A task's notes are
    /// replaced at each poll.
    ///
    /// # Example
    ///
    /// ```
    /// use std::task::Poll;
    ///
    /// struct WaitingFor(&'static str);
    ///
    /// # let executor = godot_tasks_executor::doc_support::executor();
    /// executor.set_tracking(true);
    /// let notes = executor.clone();
    /// executor.spawn(std::future::poll_fn(move |_| {
    ///     notes.note_awaiting(|| WaitingFor("the door"));
    ///     Poll::<()>::Pending
    /// })).detach();
    /// let _ = executor.flush();
    ///
    /// let note = &executor.snapshot()[0].awaiting[0];
    /// assert_eq!(note.downcast_ref::<WaitingFor>().unwrap().0, "the door");
    /// ```
    pub fn note_awaiting<N: Any>(&self, note: impl FnOnce() -> N) {
        let tracker = self.tasks().tracker();
        if tracker.wants_note() {
            tracker.note(Rc::new(note()));
        }
    }

    /// Requests the cancellation of the live task with id `id` (as its `CancelHandle` would); returns whether
    /// there was one whose future was not gone yet. For tools such as the editor inspector, which know tasks only
    /// by their id.
    ///
    /// # Example
    ///
    /// ```
    /// # let executor = godot_tasks_executor::doc_support::executor();
    /// let task = executor.spawn(std::future::pending::<()>());
    /// let id = executor.snapshot()[0].id;
    /// assert!(executor.cancel_task(id));
    /// let _ = executor.flush();
    /// assert!(task.is_finished());
    /// ```
    pub fn cancel_task(&self, id: TaskId) -> bool {
        let tasks = self.tasks();
        let Some(task) = tasks.tracker().key_of(id).and_then(|key| tasks.by_key(key)) else { return false };
        if !matches!(task.state().phase(), Phase::Idle { .. } | Phase::Running { .. }) {
            return false;
        }
        tasks.cancel(&task);
        true
    }
}
