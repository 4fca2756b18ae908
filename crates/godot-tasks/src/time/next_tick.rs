//! The waits that end at a frame line's next count: `next_frame()` and `next_physics_frame()`, the most
//! common waits of all.
//!
//! They need neither a waiter slot nor a bucket: each line keeps one list of wakers, and the whole list is
//! woken (moved into the frame's wake batch) when the line counts its next frame. A wait remembers where its
//! waker sits ([`Listed`]) so that a poll with a new waker replaces it in place and a dropped wait takes it
//! out: no stale wake reaches a task that stopped waiting. A wait whose target is further away (a process
//! frame wait made during the physics step counts one frame more) is simply listed again when it is woken
//! early.
//!
//! The list's memory is kept from frame to frame, so steady waiting allocates nothing.

use std::task::Waker;

/// Where a wait's waker sits in a [`NextTick`] list; only valid while the list has the same generation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Listed {
    generation: u64,
    index: usize,
}

/// One line's wakers for its next count.
pub(super) struct NextTick {
    /// In listing order; a dropped wait's slot holds the no-op waker, so that the list can be handed to the
    /// executor as it is.
    wakers: Vec<Waker>,
    /// Moves on each time the list is emptied, which makes every [`Listed`] handed out before stale.
    generation: u64,
}

impl NextTick {
    pub(super) const fn new() -> Self {
        Self { wakers: Vec::new(), generation: 0 }
    }

    /// Lists `waker` for the next count, or replaces the waker listed at `listed` if it is still in the list
    /// and would not wake the same task. Returns the replaced waker, for the caller to drop outside any
    /// borrow (dropping a waker may free a task, and run its output's destructor).
    #[inline]
    pub(super) fn list(&mut self, waker: &Waker, listed: &mut Option<Listed>) -> Option<Waker> {
        if let Some(at) = *listed
            && at.generation == self.generation
        {
            let slot = &mut self.wakers[at.index];
            if slot.will_wake(waker) {
                return None;
            }
            return Some(std::mem::replace(slot, waker.clone()));
        }
        *listed = Some(Listed { generation: self.generation, index: self.wakers.len() });
        self.wakers.push(waker.clone());
        None
    }

    /// Takes the waker listed at `listed` out of the list, if it is still there (to be dropped outside any
    /// borrow), and leaves the no-op waker in its place.
    pub(super) fn unlist(&mut self, listed: Listed) -> Option<Waker> {
        if listed.generation != self.generation {
            return None;
        }
        Some(std::mem::replace(&mut self.wakers[listed.index], Waker::noop().clone()))
    }

    /// Moves every listed waker to the end of `wakers`, in the order they were listed (a dropped wait leaves a
    /// no-op waker behind), and starts a new generation. Into an empty `wakers` the two vectors are swapped:
    /// the list keeps the other's memory, and in steady waiting both stay large enough.
    /// How many waits are listed (a dropped wait leaves the no-op waker, which does not count).
    pub(super) fn listed(&self) -> usize {
        self.wakers.iter().filter(|waker| !waker.will_wake(Waker::noop())).count()
    }

    pub(super) fn drain_into(&mut self, wakers: &mut Vec<Waker>) {
        if wakers.is_empty() {
            std::mem::swap(wakers, &mut self.wakers);
        } else {
            wakers.append(&mut self.wakers);
        }
        self.generation += 1;
    }

    /// How many waits are listed.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.wakers.iter().filter(|waker| !waker.data().is_null()).count()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake;

    use super::*;

    struct Counter(AtomicUsize);

    impl Wake for Counter {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn counter() -> (Arc<Counter>, Waker) {
        let counter = Arc::new(Counter(AtomicUsize::new(0)));
        (counter.clone(), Waker::from(counter))
    }

    fn wake(list: &mut NextTick) -> usize {
        let mut wakers = Vec::new();
        list.drain_into(&mut wakers);
        let woken = wakers.iter().filter(|waker| !waker.data().is_null()).count();
        wakers.into_iter().for_each(Waker::wake);
        woken
    }

    #[test]
    fn the_whole_list_is_handed_over_in_listing_order_and_the_memory_kept() {
        let mut list = NextTick::new();
        let (_, a) = counter();
        let (_, b) = counter();
        let (mut at_a, mut at_b) = (None, None);
        list.list(&a, &mut at_a);
        list.list(&b, &mut at_b);
        // Into an empty buffer, the vectors are swapped: no copy, and the list keeps the buffer's memory.
        let mut wakers = Vec::with_capacity(8);
        list.drain_into(&mut wakers);
        assert!(wakers[0].will_wake(&a) && wakers[1].will_wake(&b));
        assert_eq!(list.len(), 0);
        assert!(list.wakers.capacity() >= 8, "kept for the next frame");
        // Into a buffer that holds wakers already (waits of more frames), the list goes after them.
        let (_, c) = counter();
        let mut at_c = None;
        list.list(&c, &mut at_c);
        list.drain_into(&mut wakers);
        assert_eq!(wakers.len(), 3);
        assert!(wakers[2].will_wake(&c));
    }

    #[test]
    fn polling_again_with_the_same_waker_lists_it_once() {
        let mut list = NextTick::new();
        let (count, waker) = counter();
        let mut at = None;
        for _ in 0..3 {
            assert!(list.list(&waker, &mut at).is_none());
        }
        assert_eq!(list.len(), 1);
        assert_eq!(wake(&mut list), 1);
        assert_eq!(count.0.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn a_new_waker_replaces_the_old_one_in_place() {
        let mut list = NextTick::new();
        let (old_count, old) = counter();
        let (new_count, new) = counter();
        let mut at = None;
        list.list(&old, &mut at);
        let replaced = list.list(&new, &mut at).expect("the old waker comes back");
        assert!(replaced.will_wake(&old));
        assert_eq!(wake(&mut list), 1);
        assert_eq!((old_count.0.load(Ordering::Relaxed), new_count.0.load(Ordering::Relaxed)), (0, 1));
    }

    #[test]
    fn an_unlisted_wait_is_not_woken() {
        let mut list = NextTick::new();
        let (dropped_count, dropped) = counter();
        let (kept_count, kept) = counter();
        let (mut at_dropped, mut at_kept) = (None, None);
        list.list(&dropped, &mut at_dropped);
        list.list(&kept, &mut at_kept);
        assert!(list.unlist(at_dropped.expect("listed")).is_some_and(|waker| waker.will_wake(&dropped)));
        assert!(!list.unlist(at_dropped.expect("listed")).is_some_and(|waker| waker.will_wake(&dropped)), "taken once");
        assert_eq!(wake(&mut list), 1);
        assert_eq!((dropped_count.0.load(Ordering::Relaxed), kept_count.0.load(Ordering::Relaxed)), (0, 1));
    }

    #[test]
    fn a_listing_from_before_the_wake_is_stale() {
        let mut list = NextTick::new();
        let (count, waker) = counter();
        let (_, other) = counter();
        let mut at = None;
        list.list(&waker, &mut at);
        let before = at.expect("listed");
        assert_eq!(wake(&mut list), 1);
        // Another wait takes index 0 of the new generation; the old listing must not touch it.
        let mut other_at = None;
        list.list(&other, &mut other_at);
        assert!(list.unlist(before).is_none());
        assert_eq!(list.len(), 1);
        // Listing again with the stale position lists anew.
        list.list(&waker, &mut at);
        assert_ne!(at, Some(before));
        assert_eq!(wake(&mut list), 2);
        assert_eq!(count.0.load(Ordering::Relaxed), 2);
    }
}
