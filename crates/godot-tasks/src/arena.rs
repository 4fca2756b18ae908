//! A generational arena: values behind keys that go stale, instead of aliasing, once their value is removed.
//!
//! Handles to registry entries outlive the entries they name: an engine connection may report an emission
//! for a hub released a moment ago, a subscription may be dropped after its hub was cleared at exit. With
//! plain slab indices such a handle would reach whatever took the slot next. Here every key carries the
//! generation it was made with, and a lookup only answers while the slot still holds that generation.
//!
//! Generations are counted per arena, not per slot: each insertion takes the next one. A key's generation
//! alone therefore names its value for the arena's whole life, which lets it serve as an identity outside
//! the arena (the engine compares signal connections by it), and a 64-bit count never wraps in practice.
//!
//! Storage is a [`Slab`], so vacant slots are reused and the arena does not grow with churn.

use slab::Slab;

/// Names one value of an [`Arena`]; finds nothing once that value is removed, even if its slot is reused.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) struct Key {
    index: u32,
    generation: u64,
}

impl Key {
    /// Unique among every key its arena has made or will make.
    pub(crate) fn generation(self) -> u64 {
        self.generation
    }
}

struct Slot<T> {
    generation: u64,
    value: T,
}

/// Values addressed by [`Key`]s that cannot outlive them.
pub(crate) struct Arena<T> {
    slots: Slab<Slot<T>>,
    next_generation: u64,
}

impl<T> Arena<T> {
    pub(crate) const fn new() -> Self {
        Self { slots: Slab::new(), next_generation: 0 }
    }

    pub(crate) fn insert(&mut self, value: T) -> Key {
        self.insert_with(|_| value)
    }

    /// Inserts the value `make` builds from its own key, for values that must know their name.
    ///
    /// # Panics
    ///
    /// If the arena would hold more than `u32::MAX` values at once.
    pub(crate) fn insert_with(&mut self, make: impl FnOnce(Key) -> T) -> Key {
        let generation = self.next_generation;
        self.next_generation += 1;
        let entry = self.slots.vacant_entry();
        let index = u32::try_from(entry.key()).expect("godot-tasks: more than 4 billion values in one arena");
        let key = Key { index, generation };
        entry.insert(Slot { generation, value: make(key) });
        key
    }

    pub(crate) fn get(&self, key: Key) -> Option<&T> {
        self.slots.get(key.index as usize).filter(|slot| slot.generation == key.generation).map(|slot| &slot.value)
    }

    pub(crate) fn get_mut(&mut self, key: Key) -> Option<&mut T> {
        self.slots
            .get_mut(key.index as usize)
            .filter(|slot| slot.generation == key.generation)
            .map(|slot| &mut slot.value)
    }

    /// Takes the value out; `None` if `key` is stale (removed before, or from another generation).
    pub(crate) fn remove(&mut self, key: Key) -> Option<T> {
        self.get(key)?;
        Some(self.slots.remove(key.index as usize).value)
    }

    /// Every value with its key, in slot order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (Key, &T)> {
        self.slots.iter().map(|(index, slot)| (Key { index: index as u32, generation: slot.generation }, &slot.value))
    }

    /// Every value, mutably, with its key, in slot order.
    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = (Key, &mut T)> {
        self.slots
            .iter_mut()
            .map(|(index, slot)| (Key { index: index as u32, generation: slot.generation }, &mut slot.value))
    }

    /// Removes every value, in slot order. Keys made before stay stale; new keys never repeat them.
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = T> {
        self.slots.drain().map(|slot| slot.value)
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }
}

#[cfg(test)]
mod tests {
    use super::{Arena, Key};

    #[test]
    fn a_key_finds_its_value_until_it_is_removed() {
        let mut arena = Arena::new();
        let key = arena.insert("a");
        assert_eq!(arena.get(key), Some(&"a"));
        *arena.get_mut(key).expect("present") = "b";
        assert_eq!(arena.remove(key), Some("b"));
        assert_eq!(arena.get(key), None);
        assert_eq!(arena.get_mut(key), None);
        assert_eq!(arena.remove(key), None, "a second removal finds nothing");
        assert!(arena.is_empty());
    }

    #[test]
    fn a_stale_key_finds_nothing_after_its_slot_is_reused() {
        let mut arena = Arena::new();
        let old = arena.insert(1);
        arena.remove(old);
        let new = arena.insert(2);
        assert_eq!(arena.len(), 1, "the vacant slot was reused");
        assert_ne!(old, new);
        assert_eq!(arena.get(old), None);
        assert_eq!(arena.remove(old), None, "a stale key removes nothing");
        assert_eq!(arena.get(new), Some(&2));
    }

    #[test]
    fn generations_never_repeat_across_removals_and_drains() {
        let mut arena = Arena::new();
        let mut seen = Vec::new();
        for round in 0..3 {
            let keys: Vec<Key> = (0..4).map(|n| arena.insert(round * 10 + n)).collect();
            arena.remove(keys[1]);
            seen.extend(keys.iter().map(|key| key.generation()));
            seen.push(arena.insert(99).generation());
            assert_eq!(arena.drain().count(), 4);
            assert!(arena.is_empty());
            for key in keys {
                assert_eq!(arena.get(key), None, "drained keys are stale");
            }
        }
        let count = seen.len();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), count);
    }

    #[test]
    fn insert_with_hands_the_value_its_own_key() {
        let mut arena = Arena::new();
        let other = arena.insert_with(|key| key);
        arena.remove(other);
        let key = arena.insert_with(|key| key);
        assert_eq!(arena.get(key), Some(&key));
    }

    #[test]
    fn iter_gives_each_live_value_with_a_key_that_finds_it() {
        let mut arena = Arena::new();
        let keys: Vec<Key> = (0..4).map(|n| arena.insert(n)).collect();
        arena.remove(keys[2]);
        let listed: Vec<(Key, i32)> = arena.iter().map(|(key, &value)| (key, value)).collect();
        assert_eq!(listed, [(keys[0], 0), (keys[1], 1), (keys[3], 3)]);
    }
}
