//! One monotonic timeline (frames counted, or seconds accumulated) and the waiters due on it.
//!
//! Time lines keep a min-heap of deadlines: insertion costs O(log n), and each advance touches only the
//! waiters that are due (a peek when none is). Frame lines keep one bucket per target frame instead (many
//! tasks wait for the same frame): insertion and firing cost O(1) per waiter, plus O(log k) per bucket for
//! the k distinct frames waited for. Emptied buckets are reused, so steady waiting allocates nothing.
//!
//! A waiter that goes away is not searched for; its entry is skipped when it comes up ("lazy deletion"),
//! and entries are swept out when such stale ones are more than half of them.

use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BinaryHeap};

/// An entry of the heap: the waiter `K` (the key its registry gives it) is due at `at`.
#[derive(Clone, Copy, Debug)]
struct Due<K> {
    at: f64,
    /// Insertion order: waiters due at the same moment fire in the order they were made.
    seq: u64,
    waiter: K,
}

impl<K> PartialEq for Due<K> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl<K> Eq for Due<K> {}

impl<K> PartialOrd for Due<K> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<K> Ord for Due<K> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.at.total_cmp(&other.at).then(self.seq.cmp(&other.seq))
    }
}

/// A timeline whose waiters are named by keys of type `K` (a registry's keys; stale ones are filtered out by
/// the registry's `is_live`).
pub(super) struct Timeline<K> {
    now: f64,
    heap: BinaryHeap<Reverse<Due<K>>>,
    next_seq: u64,
    /// For frame lines: waiters by the frame they wait for (frames are whole numbers).
    buckets: BTreeMap<u64, Vec<K>>,
    /// Emptied buckets, kept for reuse.
    spare: Vec<Vec<K>>,
    /// Whether this line uses buckets instead of the heap.
    counts_frames: bool,
    /// Entries whose waiter went away, and all entries.
    stale: usize,
    entries: usize,
}

impl<K> Default for Timeline<K> {
    fn default() -> Self {
        Self {
            now: 0.0,
            heap: BinaryHeap::new(),
            next_seq: 0,
            buckets: BTreeMap::new(),
            spare: Vec::new(),
            counts_frames: false,
            stale: 0,
            entries: 0,
        }
    }
}

impl<K: Copy> Timeline<K> {
    /// A timeline that counts frames (deadlines are whole numbers).
    pub(super) fn counting_frames() -> Self {
        Self { counts_frames: true, ..Self::default() }
    }

    pub(super) fn now(&self) -> f64 {
        self.now
    }

    /// Moves the clock on by `amount`. A frame whose delta is not a finite, non-negative number (a NaN or
    /// infinite `Engine.time_scale`) moves it by nothing: one bad frame must not break every later deadline
    /// (`now` would stay NaN or infinite, and every wait would end at once or never).
    pub(super) fn advance_by(&mut self, amount: f64) {
        if amount.is_finite() && amount > 0.0 {
            self.now += amount;
        }
    }

    pub(super) fn advance_to(&mut self, now: f64) {
        self.now = self.now.max(now);
    }

    /// Whether `at` has been reached.
    pub(super) fn is_due(&self, at: f64) -> bool {
        self.now >= at
    }

    pub(super) fn schedule(&mut self, at: f64, waiter: K) {
        self.entries += 1;
        if self.counts_frames {
            let spare = &mut self.spare;
            self.buckets.entry(at.ceil() as u64).or_insert_with(|| spare.pop().unwrap_or_default()).push(waiter);
            return;
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Reverse(Due { at, seq, waiter }));
    }

    /// Notes that one scheduled waiter went away; sweeps when most entries are stale.
    pub(super) fn forget_one(&mut self, is_live: impl Fn(K) -> bool) {
        self.stale += 1;
        if self.stale > 64 && self.stale * 2 > self.entries {
            self.heap.retain(|Reverse(due)| is_live(due.waiter));
            for bucket in self.buckets.values_mut() {
                bucket.retain(|&waiter| is_live(waiter));
            }
            self.entries = self.heap.len() + self.buckets.values().map(Vec::len).sum::<usize>();
            self.stale = 0;
        }
    }

    /// Pops every entry due by now, in deadline order, into `out`; `is_live` filters out stale ones.
    pub(super) fn pop_due(&mut self, out: &mut Vec<K>, is_live: impl Fn(K) -> bool) {
        let before = out.len();
        let mut popped = 0;
        if self.counts_frames {
            while let Some(entry) = self.buckets.first_entry() {
                if *entry.key() as f64 > self.now {
                    break;
                }
                let mut bucket = entry.remove();
                popped += bucket.len();
                out.extend(bucket.drain(..).filter(|&waiter| is_live(waiter)));
                self.spare.push(bucket);
            }
        } else {
            while let Some(Reverse(due)) = self.heap.peek() {
                if due.at > self.now {
                    break;
                }
                let due = self.heap.pop().expect("peeked").0;
                popped += 1;
                if is_live(due.waiter) {
                    out.push(due.waiter);
                }
            }
        }
        let live = out.len() - before;
        self.entries -= popped;
        self.stale = self.stale.saturating_sub(popped - live);
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.entries
    }
}

#[cfg(test)]
mod tests {
    use super::Timeline;

    fn key(index: usize) -> usize {
        index
    }

    #[test]
    fn pops_due_entries_in_deadline_then_insertion_order() {
        let mut timeline = Timeline::default();
        timeline.schedule(2.0, key(0));
        timeline.schedule(1.0, key(1));
        timeline.schedule(1.0, key(2));
        timeline.schedule(3.0, key(3));
        let mut out = Vec::new();
        timeline.advance_by(0.5);
        timeline.pop_due(&mut out, |_| true);
        assert!(out.is_empty());
        timeline.advance_by(1.5);
        timeline.pop_due(&mut out, |_| true);
        assert_eq!(out, [key(1), key(2), key(0)]);
        assert_eq!(timeline.len(), 1);
    }

    #[test]
    fn a_deadline_equal_to_now_is_due() {
        let mut timeline = Timeline::default();
        timeline.schedule(0.25 + 0.5, key(7));
        timeline.advance_by(0.25);
        timeline.advance_by(0.5);
        let mut out = Vec::new();
        timeline.pop_due(&mut out, |_| true);
        assert_eq!(out, [key(7)]);
    }

    #[test]
    fn frame_buckets_fire_whole_frames_in_order() {
        let mut timeline = Timeline::counting_frames();
        timeline.schedule(2.0, key(0));
        timeline.schedule(1.0, key(1));
        timeline.schedule(1.0, key(2));
        timeline.schedule(5.0, key(3));
        let mut out = Vec::new();
        timeline.advance_by(1.0);
        timeline.pop_due(&mut out, |_| true);
        assert_eq!(out, [key(1), key(2)]);
        timeline.advance_by(1.0);
        timeline.pop_due(&mut out, |k| k != key(0));
        assert_eq!(out, [key(1), key(2)], "a stale entry is skipped");
        assert_eq!(timeline.len(), 1);
        timeline.advance_by(3.0);
        timeline.pop_due(&mut out, |_| true);
        assert_eq!(out.last(), Some(&key(3)));
        assert_eq!(timeline.len(), 0);
    }

    #[test]
    fn stale_entries_are_skipped_and_compacted() {
        let mut timeline = Timeline::default();
        for index in 0..1000 {
            timeline.schedule(10.0, key(index));
        }
        let live = |k: usize| k >= 900;
        for _ in 0..900 {
            timeline.forget_one(live);
        }
        assert!(timeline.len() <= 1000 - 450, "compacted: {}", timeline.len());
        timeline.advance_to(10.0);
        let mut out = Vec::new();
        timeline.pop_due(&mut out, live);
        assert_eq!(out.len(), 100);
        assert!(out.iter().all(|&k| k >= 900));
    }
}
