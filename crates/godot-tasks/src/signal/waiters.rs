//! The subscribers of one hub: stable keys for their owners, dense storage for delivery.
//!
//! An emission visits every subscriber, so they are kept in a dense `Vec` whose length is the number of
//! subscribers now, not the most there ever were (a plain slab would make each emission after a large
//! fan-out walk every vacant slot). An [`Arena`] maps each subscriber's stable key to its current position;
//! removal swaps the last subscriber into the gap and updates its position.

use crate::arena::{Arena, Key};

/// Keyed storage with dense iteration.
pub(super) struct Waiters<W> {
    positions: Arena<usize>,
    dense: Vec<(Key, W)>,
}

impl<W> Waiters<W> {
    pub(super) const fn new() -> Self {
        Self { positions: Arena::new(), dense: Vec::new() }
    }

    /// Adds a subscriber; the key finds it until [`remove`](Self::remove), and nothing after.
    pub(super) fn insert(&mut self, waiter: W) -> Key {
        let key = self.positions.insert(self.dense.len());
        self.dense.push((key, waiter));
        key
    }

    pub(super) fn get_mut(&mut self, key: Key) -> Option<&mut W> {
        let position = *self.positions.get(key)?;
        Some(&mut self.dense[position].1)
    }

    pub(super) fn remove(&mut self, key: Key) -> Option<W> {
        let position = self.positions.remove(key)?;
        let (_, waiter) = self.dense.swap_remove(position);
        if let Some((moved, _)) = self.dense.get(position) {
            *self.positions.get_mut(*moved).expect("every dense entry has a position") = position;
        }
        Some(waiter)
    }

    pub(super) fn iter_mut(&mut self) -> impl Iterator<Item = &mut W> {
        self.dense.iter_mut().map(|(_, waiter)| waiter)
    }

    pub(super) fn len(&self) -> usize {
        self.dense.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.dense.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::Waiters;
    use crate::arena::Key;

    #[test]
    fn keys_stay_valid_across_removals_and_iteration_is_dense() {
        let mut waiters = Waiters::new();
        let keys: Vec<Key> = (0..5).map(|n| waiters.insert(n)).collect();
        assert_eq!(waiters.remove(keys[1]), Some(1));
        assert_eq!(waiters.remove(keys[1]), None, "a key is gone once removed");
        assert_eq!(waiters.remove(keys[4]), Some(4));
        for (key, value) in [(keys[0], 0), (keys[2], 2), (keys[3], 3)] {
            assert_eq!(waiters.get_mut(key).copied(), Some(value));
        }
        let mut seen: Vec<i32> = waiters.iter_mut().map(|w| *w).collect();
        seen.sort();
        assert_eq!(seen, [0, 2, 3]);
        let again = waiters.insert(9);
        assert_eq!(waiters.get_mut(again).copied(), Some(9));
        for key in [keys[0], keys[2], keys[3], again] {
            assert!(waiters.remove(key).is_some());
        }
        assert!(waiters.is_empty());
        assert_eq!(waiters.iter_mut().count(), 0);
    }

    #[test]
    fn a_removed_waiters_key_does_not_reach_the_one_that_took_its_slot() {
        let mut waiters = Waiters::new();
        let gone = waiters.insert("gone");
        waiters.remove(gone);
        let next = waiters.insert("next");
        assert_eq!(waiters.get_mut(gone), None);
        assert_eq!(waiters.remove(gone), None);
        assert_eq!(waiters.get_mut(next).copied(), Some("next"));
    }
}
