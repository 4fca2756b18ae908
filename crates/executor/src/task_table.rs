//! The task table and the task state machine.
//!
//! Every spawned task occupies one slot of the table until both its future is gone and nobody can still ask
//! for its outcome. A slot is named by a [`TaskRef`] (index plus generation): when a slot is reused, its
//! generation changes, so a stale reference (held by a late waker or an old handle) finds nothing.
//!
//! A new task takes the lowest vacant slot, so that live tasks gather at the front and the vacant tail can be
//! given back after a burst (see the `memory` module). A slot given back keeps that promise: a slot created
//! later at the same index starts at a generation above that of every slot given back, so a stale reference to
//! the old slot does not name the new task. (As everywhere, generations wrap after 2^32 uses of one index.)
//!
//! # The task state machine
//!
//! ```text
//!              spawn
//!                │  (queued: the first poll happens in a flush, never inside spawn)
//!                ▼
//!   ┌────────► Idle ──────── flush pops it, cancel not requested ───────► Running
//!   │            │                                                          │
//!   │            └─ flush pops it, cancel requested ─► Cancelling           │
//!   │                                                  (future dropped)     │
//!   │                                                       │               │
//!   └──────────── poll returned Pending, no cancel ─────────┼───────────────┤
//!                                                           │               │ Ready, panic, or Pending
//!                                                           ▼               │ with cancel requested
//!                                                        Finished ◄─────────┘
//!                                                           │
//!                       handle took the outcome, or handle detached: slot released
//! ```
//!
//! - **Idle**: the future sits in the slot, waiting for a wake. It may also be on the ready queue.
//! - **Running**: the executor took the future out of the slot and is polling it. Code running now (the task
//!   itself, or any destructor it triggers) may spawn, cancel or await other tasks: nothing is borrowed.
//!   Cancelling a Running task only sets `cancel_requested`; the executor acts on it when the poll returns.
//! - **Cancelling**: the executor took the future out to drop it. Its destructor may run arbitrary code;
//!   cancelling it again is a no-op.
//! - **Finished**: the future is gone (dropped on the executor's thread) and the outcome waits in the slot for
//!   the `JoinHandle`: `Ok(value)`, or a [`JoinError`](crate::JoinError) for a panic or a cancellation. The
//!   task's waker is retired: every later wake is a no-op.
//!
//! `cancel_requested` can be set in Idle (then the task is queued so that the next flush drops it) and in
//! Running. Once set, the future is never polled again. A task that returns `Ready` in the same poll in which it
//! cancelled itself finishes with its value: the value exists, so it is not thrown away.
//!
//! `detached` is set when the `JoinHandle` is dropped: the slot is released as soon as the task is Finished,
//! dropping the outcome unobserved.
//!
//! At shutdown, every slot that is not Running is released and its future dropped; a Running task is
//! released when its poll returns.
//!
//! # Borrowing
//!
//! The table lives in a `RefCell` and every borrow is short: it runs no code the executor does not own. A
//! future, an output, a join waker or a panic payload leaves the table inside the borrow and is dropped (a
//! waker woken) only after the borrow ended, because its destructor may spawn, cancel or await, and each of
//! those borrows the table again.

use std::panic::Location;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Waker;

use crate::memory::TrimRule;
use crate::raw_task::RawTask;
use crate::ready_queue::TaskWaker;
use crate::vacant_slots::VacantSlots;

/// Names one task: a slot index and the generation of that slot when the task was spawned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct TaskRef {
    index: u32,
    generation: u32,
}

impl TaskRef {
    /// A reference that never names a task (for handles of tasks that were never stored).
    pub(crate) const NONE: TaskRef = TaskRef { index: u32::MAX, generation: 0 };
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    Idle,
    Running,
    Cancelling,
    Finished,
}

pub(crate) struct Entry {
    /// The future and its outcome. `None` while Running or Cancelling (the executor holds it).
    pub(crate) cell: Option<Pin<Box<dyn RawTask>>>,
    pub(crate) phase: Phase,
    pub(crate) cancel_requested: bool,
    pub(crate) detached: bool,
    pub(crate) wake_state: Arc<TaskWaker>,
    pub(crate) waker: Waker,
    /// The task awaiting this task's `JoinHandle`, if any.
    pub(crate) join_waker: Option<Waker>,
    pub(crate) spawned_at: &'static Location<'static>,
    pub(crate) name: Option<std::sync::Arc<str>>,
}

struct Slot {
    generation: u32,
    entry: Option<Entry>,
}

#[derive(Default)]
pub(crate) struct TaskTable {
    slots: Vec<Slot>,
    /// The vacant slots; a new task takes the lowest.
    free: VacantSlots,
    live: usize,
    /// The most tasks held at once since the last `take_peak`.
    peak: usize,
    /// The generation of a slot created from now on: above that of every slot `trim` gave back.
    fresh_generation: u32,
}

impl TaskTable {
    /// The reference the next `insert` will return.
    pub(crate) fn next_ref(&mut self) -> TaskRef {
        match self.free.lowest() {
            Some(index) => TaskRef { index, generation: self.slots[index as usize].generation },
            None => {
                let index = u32::try_from(self.slots.len()).expect("more than 4 billion live tasks");
                TaskRef { index, generation: self.fresh_generation }
            }
        }
    }

    /// Stores `entry` at `next_ref()`.
    pub(crate) fn insert(&mut self, entry: Entry) -> TaskRef {
        let task = self.next_ref();
        if task.index as usize == self.slots.len() {
            self.slots.push(Slot { generation: self.fresh_generation, entry: None });
        } else {
            self.free.remove(task.index);
        }
        let slot = &mut self.slots[task.index as usize];
        debug_assert!(slot.entry.is_none());
        slot.entry = Some(entry);
        self.live += 1;
        self.peak = self.peak.max(self.live);
        task
    }

    pub(crate) fn get_mut(&mut self, task: TaskRef) -> Option<&mut Entry> {
        let slot = self.slots.get_mut(task.index as usize)?;
        if slot.generation != task.generation {
            return None;
        }
        slot.entry.as_mut()
    }

    /// Releases the slot; the caller drops the entry after releasing its borrow of the table.
    pub(crate) fn remove(&mut self, task: TaskRef) -> Option<Entry> {
        let slot = self.slots.get_mut(task.index as usize)?;
        if slot.generation != task.generation {
            return None;
        }
        let entry = slot.entry.take()?;
        slot.generation = slot.generation.wrapping_add(1);
        self.free.insert(task.index);
        self.live -= 1;
        Some(entry)
    }

    /// How many slots hold a task (in any phase).
    pub(crate) fn len(&self) -> usize {
        self.live
    }

    /// How many slots the table can hold without growing.
    pub(crate) fn capacity(&self) -> usize {
        self.slots.capacity()
    }

    /// How many slots the set of vacant slots can describe without growing.
    pub(crate) fn free_capacity(&self) -> usize {
        self.free.capacity()
    }

    /// The most tasks held at once since the previous call (or since the table was made).
    pub(crate) fn take_peak(&mut self) -> usize {
        std::mem::replace(&mut self.peak, self.live)
    }

    /// Gives back what `rule` finds too large: the vacant slots past the last occupied one, and the spare
    /// capacity of the slots and of the set of vacant slots.
    pub(crate) fn trim(&mut self, rule: TrimRule) {
        if rule.too_large(self.slots.capacity()) {
            let before = self.slots.len();
            while let Some(last) = self.slots.pop_if(|slot| slot.entry.is_none()) {
                // Every reference to a slot given back is stale and holds a generation below the slot's own.
                self.fresh_generation = self.fresh_generation.max(last.generation);
            }
            if self.slots.len() < before {
                self.free.truncate(self.slots.len());
            }
        }
        rule.shrink(&mut self.slots);
        self.free.trim(rule);
    }

    /// Every occupied slot's reference and phase.
    pub(crate) fn refs(&self) -> impl Iterator<Item = (TaskRef, Phase)> + '_ {
        self.slots.iter().enumerate().filter_map(|(index, slot)| {
            let entry = slot.entry.as_ref()?;
            Some((TaskRef { index: index as u32, generation: slot.generation }, entry.phase))
        })
    }

    /// Empties the table, returning every entry (used when the executor is dropped).
    pub(crate) fn drain(&mut self) -> Vec<Entry> {
        self.free.clear();
        self.live = 0;
        self.slots.drain(..).filter_map(|slot| slot.entry).collect()
    }
}
