//! The subscribers of one hub: stable keys for their owners, dense storage for delivery.
//!
//! An emission visits every subscriber, so they are kept in a dense `Vec` whose length is the number of
//! subscribers now, not the most there ever were (a plain slab would make each emission after a large
//! fan-out walk every vacant slot). A slab maps each subscriber's stable key to its current position;
//! removal swaps the last subscriber into the gap and updates its position.

use slab::Slab;

/// Keyed storage with dense iteration.
pub(super) struct Waiters<W> {
    positions: Slab<usize>,
    dense: Vec<(usize, W)>,
}

impl<W> Waiters<W> {
    pub(super) fn new() -> Self {
        Self { positions: Slab::new(), dense: Vec::new() }
    }

    /// Adds a subscriber; the key stays valid until [`remove`](Self::remove).
    pub(super) fn insert(&mut self, waiter: W) -> usize {
        let key = self.positions.insert(self.dense.len());
        self.dense.push((key, waiter));
        key
    }

    pub(super) fn get_mut(&mut self, key: usize) -> Option<&mut W> {
        let position = *self.positions.get(key)?;
        Some(&mut self.dense[position].1)
    }

    pub(super) fn remove(&mut self, key: usize) -> Option<W> {
        let position = self.positions.try_remove(key)?;
        let (_, waiter) = self.dense.swap_remove(position);
        if let Some((moved, _)) = self.dense.get(position) {
            self.positions[*moved] = position;
        }
        Some(waiter)
    }

    pub(super) fn iter_mut(&mut self) -> impl Iterator<Item = &mut W> {
        self.dense.iter_mut().map(|(_, waiter)| waiter)
    }

    pub(super) fn is_empty(&self) -> bool {
        self.dense.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::Waiters;

    #[test]
    fn keys_stay_valid_across_removals_and_iteration_is_dense() {
        let mut waiters = Waiters::new();
        let keys: Vec<usize> = (0..5).map(|n| waiters.insert(n)).collect();
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
}
