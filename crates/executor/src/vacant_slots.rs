//! The vacant slots of the set of live tasks: a set of slot indices that hands out the lowest one first.
//!
//! Lowest first keeps the live tasks at the front of the set, so that its vacant tail can be given back after
//! a burst (see the `memory` module). A binary heap would hand out the lowest index in O(log n) time; measured,
//! that made a burst of 100,000 trivial spawns about half again as slow. This two-level bitmap answers in
//! constant time but for one scan, over the summary words, that is bounded by one word per 4,096 slots.
//!
//! - `words[w]`, bit `b`: slot `64·w + b` is vacant.
//! - `summary[s]`, bit `b`: `words[64·s + b]` is not zero.
//! - `first`: every summary word below it is zero. `lowest` moves it forward past zero words; `insert` moves it
//!   back to the word it sets. The scan in `lowest` only ever covers words that an earlier `insert` made it
//!   step back over.

use crate::memory::TrimRule;

#[derive(Default)]
pub(crate) struct VacantSlots {
    words: Vec<u64>,
    summary: Vec<u64>,
    first: usize,
}

/// The word of `index` and its bit in that word.
fn word_and_bit(index: u32) -> (usize, u64) {
    let index = index as usize;
    (index / 64, 1 << (index % 64))
}

impl VacantSlots {
    /// Adds `index`, which must not be in the set.
    pub(crate) fn insert(&mut self, index: u32) {
        let (word, bit) = word_and_bit(index);
        if word >= self.words.len() {
            self.words.resize(word + 1, 0);
            self.summary.resize(word / 64 + 1, 0);
        }
        debug_assert_eq!(self.words[word] & bit, 0, "slot {index} was already vacant");
        self.words[word] |= bit;
        self.summary[word / 64] |= 1 << (word % 64);
        self.first = self.first.min(word / 64);
    }

    /// Takes `index` out of the set, where it must be.
    pub(crate) fn remove(&mut self, index: u32) {
        let (word, bit) = word_and_bit(index);
        debug_assert_ne!(self.words[word] & bit, 0, "slot {index} was not vacant");
        self.words[word] &= !bit;
        if self.words[word] == 0 {
            self.summary[word / 64] &= !(1 << (word % 64));
        }
    }

    /// The lowest index in the set, left in it.
    pub(crate) fn lowest(&mut self) -> Option<u32> {
        while let Some(&summary) = self.summary.get(self.first) {
            if summary != 0 {
                let word = self.first * 64 + summary.trailing_zeros() as usize;
                let index = word * 64 + self.words[word].trailing_zeros() as usize;
                return Some(u32::try_from(index).expect("slot indices fit in u32"));
            }
            self.first += 1;
        }
        None
    }

    /// Drops every index from `end` on (the table gave those slots back).
    pub(crate) fn truncate(&mut self, end: usize) {
        let words = end.div_ceil(64);
        self.words.truncate(words);
        // The last word straddles `end` only if the set reaches that far.
        if self.words.len() == words
            && !end.is_multiple_of(64)
            && let Some(last) = self.words.last_mut()
        {
            *last &= (1 << (end % 64)) - 1;
        }
        // Rare (once after a burst): rebuild the summary rather than track what was dropped.
        self.summary.clear();
        self.summary.resize(words.div_ceil(64), 0);
        for (word, &bits) in self.words.iter().enumerate() {
            if bits != 0 {
                self.summary[word / 64] |= 1 << (word % 64);
            }
        }
        self.first = 0;
    }

    /// How many slots the set can describe without growing.
    pub(crate) fn capacity(&self) -> usize {
        self.words.capacity() * 64
    }

    /// Shrinks the bitmaps if `rule` finds them too large (measured, like the table, in slots).
    pub(crate) fn trim(&mut self, rule: TrimRule) {
        if rule.too_large(self.capacity()) {
            let words = rule.target().div_ceil(64);
            self.words.shrink_to(words);
            self.summary.shrink_to(words.div_ceil(64));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::VacantSlots;

    fn set_of(indices: &[u32]) -> VacantSlots {
        let mut set = VacantSlots::default();
        for &index in indices {
            set.insert(index);
        }
        set
    }

    /// Takes every index out, lowest first.
    fn drain(set: &mut VacantSlots) -> Vec<u32> {
        let mut taken = Vec::new();
        while let Some(index) = set.lowest() {
            set.remove(index);
            taken.push(index);
        }
        taken
    }

    #[test]
    fn lowest_is_the_lowest_index_whatever_the_insertion_order() {
        let mut set = set_of(&[70_000, 5, 4_100, 64, 3]);

        let taken = drain(&mut set);

        assert_eq!(taken, [3, 5, 64, 4_100, 70_000]);
        assert_eq!(set.lowest(), None);
    }

    #[test]
    fn an_index_inserted_below_the_scan_position_is_found_again() {
        let mut set = set_of(&[10_000]);
        assert_eq!(set.lowest(), Some(10_000));

        set.insert(1);

        assert_eq!(set.lowest(), Some(1));
    }

    #[test]
    fn truncate_drops_exactly_the_indices_from_the_end_on() {
        let mut set = set_of(&[1, 63, 64, 65, 200, 5_000]);

        set.truncate(65);

        assert_eq!(drain(&mut set), [1, 63, 64]);
    }

    #[test]
    fn truncate_beyond_the_highest_word_keeps_every_index() {
        let mut set = set_of(&[5, 50]);

        set.truncate(1_000);

        assert_eq!(drain(&mut set), [5, 50]);
    }

    #[test]
    fn truncate_to_zero_empties_the_set() {
        let mut set = set_of(&[0, 9_999]);

        set.truncate(0);

        assert_eq!(set.lowest(), None);
        set.insert(2);
        assert_eq!(set.lowest(), Some(2));
    }
}
