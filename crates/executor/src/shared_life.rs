//! How long the executor's shared state (its ready queue and host) lives: as long as the executor, or any task
//! allocation, whichever lasts longer. A waker on another thread may outlive the executor, and waking it must
//! still find the queue (closed by then) it would push to.
//!
//! The plain way, an `Arc` count per task, costs two atomic read-modify-writes per spawned task. Almost every
//! task is allocated and freed on the executor's thread while the executor lives, so this count keeps those on
//! the executor's thread without atomics, and only frees elsewhere (or after the executor is gone) pay:
//!
//! - `owner_count`: tasks allocated minus tasks freed *on the executor's thread while the executor lives*.
//!   Written by the executor's thread only (plain loads and stores).
//! - `others`: starts at [`BIAS`], a stand-in for the executor; every other free decrements it.
//! - When the executor goes, it takes [`BIAS`] back and adds `owner_count`: what is left is exactly the number
//!   of task allocations still alive. If none, the state goes with the executor's `Arc`; otherwise the executor
//!   leaves one `Arc` count behind, and the free that brings `others` to zero gives it back.
//!
//! Only the free that brings `others` to zero can see it there: before the executor went, it holds at least
//! `BIAS` minus the other frees, far above zero, because the executor's thread tops it back up to `BIAS` now
//! and then (moving the difference into `owner_count`, so the sum stays right). That matters on 32-bit
//! targets, where `BIAS` is about a billion. The counts are compared modulo 2^N, so `owner_count` may wrap.

#![allow(unsafe_code)]

use std::ptr::NonNull;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::ready_queue::Shared;

/// The executor's share of `others`: more than any number of task frees.
const BIAS: usize = 1 << (usize::BITS - 2);

pub(crate) struct SharedLife {
    owner_count: AtomicUsize,
    others: AtomicUsize,
    executor_alive: AtomicBool,
}

impl SharedLife {
    pub(crate) fn new() -> Self {
        Self { owner_count: AtomicUsize::new(0), others: AtomicUsize::new(BIAS), executor_alive: AtomicBool::new(true) }
    }

    /// A task was allocated (on the executor's thread, while it lives).
    pub(crate) fn task_allocated(&self) {
        let count = self.owner_count.load(Ordering::Relaxed);
        self.owner_count.store(count.wrapping_add(1), Ordering::Relaxed);
    }

    /// Gives `others` back what frees on other threads took from it, if that is much (executor's thread, while
    /// the executor lives; called now and then).
    pub(crate) fn top_up(&self) {
        let taken = BIAS.wrapping_sub(self.others.load(Ordering::Relaxed));
        if taken < BIAS / 2 {
            return;
        }
        // `others` only decreases elsewhere, so adding `taken` never carries it past `BIAS`.
        self.others.fetch_add(taken, Ordering::AcqRel);
        let count = self.owner_count.load(Ordering::Relaxed);
        self.owner_count.store(count.wrapping_sub(taken), Ordering::Relaxed);
    }

    /// The executor is being dropped, on its own thread: hands the state's life to the tasks still allocated.
    pub(crate) fn executor_gone(shared: &Arc<Shared>) {
        let life = shared.life();
        life.executor_alive.store(false, Ordering::Relaxed);
        // Made before the count can reach zero elsewhere, so that a free on another thread that reaches zero
        // right after the subtraction below always has this count to give back.
        let kept = Arc::clone(shared);
        let owner_count = life.owner_count.load(Ordering::Relaxed);
        let share = BIAS.wrapping_sub(owner_count);
        let before = life.others.fetch_sub(share, Ordering::AcqRel);
        if before == share {
            drop(kept); // no task allocation is left
        } else {
            std::mem::forget(kept); // given back by the last task's free
        }
    }
}

/// A pointer from a task to its executor's shared state, which lives at least as long as the task (module
/// docs). It holds no count of its own.
#[derive(Clone, Copy)]
pub(crate) struct SharedPtr(NonNull<Shared>);

// SAFETY: `Shared` is `Sync`, and the pointer is only read through while a task allocation (which keeps the state
// alive) exists.
unsafe impl Send for SharedPtr {}
// SAFETY: as above.
unsafe impl Sync for SharedPtr {}

impl SharedPtr {
    /// Records a new task allocation and points to the state (on the executor's thread).
    pub(crate) fn for_new_task(shared: &Arc<Shared>) -> Self {
        shared.life().task_allocated();
        // `as_ptr`, not a reference: the pointer must keep the provenance of the whole `Arc` allocation, counts
        // included, for `to_arc` and `task_freed`.
        Self(NonNull::new(Arc::as_ptr(shared).cast_mut()).expect("an Arc's pointer is never null"))
    }

    /// The state.
    ///
    /// # Safety
    ///
    /// The task that holds this pointer is still allocated.
    pub(crate) unsafe fn get<'a>(self) -> &'a Shared {
        // SAFETY: a live task keeps the state alive (module docs), as the caller guarantees.
        unsafe { self.0.as_ref() }
    }

    /// A counted handle to the state, for code that needs it after the task may be gone.
    ///
    /// # Safety
    ///
    /// As for [`Self::get`].
    pub(crate) unsafe fn to_arc(self) -> Arc<Shared> {
        let pointer = self.0.as_ptr().cast_const();
        // SAFETY: the state lives in an `Arc` (every `Shared` is made by `Executor::new` inside one), alive as
        // the caller guarantees; the count added here belongs to the result.
        unsafe {
            Arc::increment_strong_count(pointer);
            Arc::from_raw(pointer)
        }
    }

    /// The address, to tell executors apart.
    pub(crate) fn address(self) -> usize {
        self.0.as_ptr() as usize
    }

    /// A task allocation that pointed here was freed (on any thread, after the task's memory is gone).
    ///
    /// # Safety
    ///
    /// Called once per allocation made with [`Self::for_new_task`], after that allocation was freed.
    pub(crate) unsafe fn task_freed(self) {
        // SAFETY: the state outlives every allocation, and this one was just counted as still alive.
        let shared = unsafe { self.0.as_ref() };
        let life = shared.life();
        if shared.on_owner_thread() && life.executor_alive.load(Ordering::Relaxed) {
            let count = life.owner_count.load(Ordering::Relaxed);
            life.owner_count.store(count.wrapping_sub(1), Ordering::Relaxed);
        } else if life.others.fetch_sub(1, Ordering::AcqRel) == 1 {
            // The last allocation after the executor went: give back the count it left behind.
            // SAFETY: that count exists (`executor_gone` forgot it) and nothing else will give it back.
            unsafe { Arc::decrement_strong_count(self.0.as_ptr().cast_const()) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl SharedLife {
        /// Allocations still alive, as `executor_gone` would compute it.
        fn alive(&self) -> usize {
            let owner = self.owner_count.load(Ordering::Relaxed);
            self.others.load(Ordering::Relaxed).wrapping_sub(BIAS.wrapping_sub(owner))
        }
    }

    #[test]
    fn topping_up_keeps_the_count_of_live_allocations() {
        let life = SharedLife::new();
        for _ in 0..10 {
            life.task_allocated();
        }
        // As if half a bias of tasks more had been allocated here and freed on other threads, three of the ten
        // among them (set directly: counting that far one by one would take too long).
        let freed_elsewhere = BIAS / 2 + 3;
        let owner = life.owner_count.load(Ordering::Relaxed);
        life.owner_count.store(owner.wrapping_add(freed_elsewhere - 3), Ordering::Relaxed);
        life.others.fetch_sub(freed_elsewhere, Ordering::Relaxed);
        assert_eq!(life.alive(), 7);

        life.top_up();

        assert_eq!(life.others.load(Ordering::Relaxed), BIAS);
        assert_eq!(life.alive(), 7);
        // A small debt is left alone.
        life.others.fetch_sub(1, Ordering::Relaxed);
        life.top_up();
        assert_eq!(life.others.load(Ordering::Relaxed), BIAS - 1);
        assert_eq!(life.alive(), 6);
    }
}
