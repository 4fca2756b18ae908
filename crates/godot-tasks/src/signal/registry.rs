//! The hubs: who waits on which shared connection and what each has been given, with no engine in sight.
//!
//! A *hub* is the main thread's record of one engine connection per (emitter, signal), serving every future
//! and stream that awaits that signal. Futures and streams hold a waiter key into a hub, made when they are
//! created, so an emission between creation and the first poll is kept.
//!
//! Lifecycle of a hub:
//!
//! - **connected** by the first subscriber (the engine side makes the connection, then the hub);
//! - **idle** when its last subscriber leaves: listed in `idle`, and its connection stays until the next
//!   frame hook, so that a task awaiting the same signal again and again (the common loop) does not
//!   reconnect each time;
//! - **released** by the frame hook if still idle (or at once when no frame hook runs): removed here, then
//!   disconnected by the engine side;
//! - **closed** when the engine drops the connection because the emitter was freed: every subscriber is
//!   woken and sees the end (after what it was given before); new subscribers no longer find the hub, and it
//!   goes away with its last subscriber.
//!
//! Nothing here runs foreign code: wakers are collected into a vector and hubs or waiters that leave are
//! handed back, so the engine side wakes and drops them once it has released the registry (a waker may
//! poll a task that subscribes again; dropping an emission may free an object, which may close a hub).
//!
//! The registry is generic over what the engine side puts in it (the signal key, the emission, the
//! per-connection data), so its tests need no engine.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::task::Waker;

use super::waiters::Waiters;
use crate::arena::{Arena, Key};

/// Names one hub for its whole life; never reused, so it is also the engine connection's identity.
pub(super) type HubId = Key;

/// Names one subscriber within its hub.
pub(super) type WaiterKey = Key;

/// Whether a subscriber wants one emission or all of them.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Wants {
    Next,
    Every,
}

/// One subscriber's share of the emissions. Outside the registry it is only ever dropped.
pub(super) enum Waiter<E> {
    /// A one-shot future: the first emission after its creation.
    Next { emission: Option<E>, waker: Option<Waker> },
    /// A stream: every emission after its creation, in order, unbounded.
    Every { queue: VecDeque<E>, waker: Option<Waker> },
}

impl<E: Clone> Waiter<E> {
    fn new(wants: Wants) -> Self {
        match wants {
            Wants::Next => Self::Next { emission: None, waker: None },
            Wants::Every => Self::Every { queue: VecDeque::new(), waker: None },
        }
    }

    /// Takes one emission if it wants it, and returns its waker to wake.
    fn give(&mut self, emission: &E) -> Option<Waker> {
        match self {
            Self::Next { emission: slot @ None, waker } => {
                *slot = Some(emission.clone());
                waker.take()
            }
            // A one-shot future keeps the first emission, however many follow before it is polled.
            Self::Next { emission: Some(_), .. } => None,
            Self::Every { queue, waker } => {
                queue.push_back(emission.clone());
                waker.take()
            }
        }
    }

    /// The oldest emission it has not handed out yet.
    fn take_emission(&mut self) -> Option<E> {
        match self {
            Self::Next { emission, .. } => emission.take(),
            Self::Every { queue, .. } => queue.pop_front(),
        }
    }

    fn waker_slot(&mut self) -> &mut Option<Waker> {
        let (Self::Next { waker, .. } | Self::Every { waker, .. }) = self;
        waker
    }

    /// Stores the task's waker; returns the one it replaces, to be dropped once the registry is released (a
    /// foreign executor's waker may run code when dropped). Keeps the stored one if it wakes the same task,
    /// so a task polled again and again does not clone its waker each time.
    #[must_use]
    fn store_waker(&mut self, waker: &Waker) -> Option<Waker> {
        match self.waker_slot() {
            Some(stored) if stored.will_wake(waker) => None,
            slot => slot.replace(waker.clone()),
        }
    }
}

/// What a poll found for one subscriber.
#[must_use]
pub(super) enum Polled<E> {
    /// The oldest emission not handed out yet.
    Emission(E),
    /// Nothing yet: the task's waker is stored. The waker it replaced is to be dropped outside the registry.
    Pending(Option<Waker>),
    /// Nothing left and nothing more to come: the emitter is gone.
    Closed,
    /// The hub itself is gone, which only happens while the thread exits.
    Gone,
}

/// What a subscriber's departure leaves to the engine side, to be dropped or acted on outside the registry.
#[must_use]
pub(super) struct Departure<K, E, C> {
    /// The subscriber's waiter: it may hold the last reference to an emitted object.
    pub(super) waiter: Option<Waiter<E>>,
    /// A closed hub that lost its last subscriber (boxed: the departure is moved on every drop of a future,
    /// and a hub rarely goes with it).
    pub(super) removed: Option<Box<Hub<K, E, C>>>,
    /// Whether an open hub just became idle: its connection is to be released by the next frame hook.
    pub(super) became_idle: bool,
}

/// One shared connection as the registry sees it.
pub(super) struct Hub<K, E, C> {
    /// The (emitter, signal) it serves.
    pub(super) key: K,
    /// What the engine side keeps for the connection (the callable to disconnect it with, the emitter's
    /// description for errors); the registry never looks inside.
    pub(super) connection: C,
    /// False once the engine dropped the connection (the emitter was freed).
    open: bool,
    waiters: Waiters<Waiter<E>>,
    /// Whether the hub is in `Registry::idle`.
    listed_idle: bool,
}

impl<K, E, C> Hub<K, E, C> {
    pub(super) fn is_open(&self) -> bool {
        self.open
    }
}

/// Hashes signal keys: a multiply-and-rotate per word, as rustc's own hash tables do.
///
/// The keys are object ids handed out by the engine, not input chosen by an attacker, so the standard
/// hasher's resistance to collision attacks buys nothing here, while it costs about a hundred instructions
/// on every new future (its hub is looked up by key).
#[derive(Default)]
struct KeyHasher(u64);

impl KeyHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, word: u64) {
        self.add(word);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Every hub of the main thread, by id and by the signal it serves.
pub(super) struct Registry<K, E, C> {
    hubs: Arena<Hub<K, E, C>>,
    /// The hub new subscribers of a signal join; closed hubs and hubs whose connection was found removed
    /// by other code are not here any more (their subscribers keep them).
    by_signal: HashMap<K, HubId, BuildHasherDefault<KeyHasher>>,
    /// Hubs that became idle since the last release, each once.
    idle: Vec<HubId>,
}

impl<K: Clone + Eq + Hash, E: Clone, C> Registry<K, E, C> {
    pub(super) fn new() -> Self {
        Self { hubs: Arena::new(), by_signal: HashMap::default(), idle: Vec::new() }
    }

    /// How many subscribers all hubs have (what the `signal_waiters` monitor shows).
    pub(super) fn subscriber_count(&self) -> usize {
        self.hubs.iter().map(|(_, hub)| hub.waiters.len()).sum()
    }

    pub(super) fn hub(&self, id: HubId) -> Option<&Hub<K, E, C>> {
        self.hubs.get(id)
    }

    /// The open hub that new subscribers of `key` join, if there is one.
    pub(super) fn open_hub(&self, key: &K) -> Option<(HubId, &Hub<K, E, C>)> {
        let id = *self.by_signal.get(key)?;
        self.hubs.get(id).filter(|hub| hub.open).map(|hub| (id, hub))
    }

    /// The hub if it is the open hub that new subscribers of its signal join: [`open_hub`](Self::open_hub)
    /// for a caller that knows the hub but not the signal.
    pub(super) fn current_hub(&self, id: HubId) -> Option<&Hub<K, E, C>> {
        let hub = self.hubs.get(id).filter(|hub| hub.open)?;
        (self.by_signal.get(&hub.key) == Some(&id)).then_some(hub)
    }

    /// New subscribers of the hub's signal no longer join it (its connection is gone); its subscribers keep it.
    pub(super) fn forget(&mut self, id: HubId) {
        let Some(hub) = self.hubs.get(id) else { return };
        if self.by_signal.get(&hub.key) == Some(&id) {
            self.by_signal.remove(&hub.key);
        }
    }

    /// Adds an open hub for `key`, whose connection data may name the hub; new subscribers of `key` join it.
    pub(super) fn insert_hub(&mut self, key: K, connection: impl FnOnce(HubId) -> C) -> HubId {
        let id = self.hubs.insert_with(|id| Hub {
            key: key.clone(),
            connection: connection(id),
            open: true,
            waiters: Waiters::new(),
            listed_idle: false,
        });
        self.by_signal.insert(key, id);
        id
    }

    /// Removes a hub if it still exists; the engine side disconnects it (if open) once the registry is
    /// released.
    pub(super) fn remove_hub(&mut self, id: HubId) -> Option<Hub<K, E, C>> {
        let hub = self.hubs.remove(id)?;
        if self.by_signal.get(&hub.key) == Some(&id) {
            self.by_signal.remove(&hub.key);
        }
        Some(hub)
    }

    /// Adds a subscriber to an open hub; `None` if the hub is gone or closed.
    pub(super) fn subscribe(&mut self, id: HubId, wants: Wants) -> Option<WaiterKey> {
        let hub = self.hubs.get_mut(id).filter(|hub| hub.open)?;
        Some(hub.waiters.insert(Waiter::new(wants)))
    }

    /// The subscriber's next emission, else the end if the emitter is gone, else its waker is stored.
    ///
    /// # Panics
    ///
    /// If the hub exists but the subscriber does not: subscribers leave only through
    /// [`unsubscribe`](Self::unsubscribe).
    pub(super) fn poll(&mut self, id: HubId, waiter: WaiterKey, waker: &Waker) -> Polled<E> {
        let Some(hub) = self.hubs.get_mut(id) else {
            return Polled::Gone;
        };
        let Some(waiter) = hub.waiters.get_mut(waiter) else {
            unreachable!("godot-tasks: a signal subscription lost its slot");
        };
        if let Some(emission) = waiter.take_emission() {
            Polled::Emission(emission)
        } else if !hub.open {
            Polled::Closed
        } else {
            Polled::Pending(waiter.store_waker(waker))
        }
    }

    /// Removes a subscriber. A closed hub goes with its last subscriber; an open one is listed idle.
    pub(super) fn unsubscribe(&mut self, id: HubId, waiter: WaiterKey) -> Departure<K, E, C> {
        let mut departure = Departure { waiter: None, removed: None, became_idle: false };
        let Some(hub) = self.hubs.get_mut(id) else {
            return departure;
        };
        departure.waiter = hub.waiters.remove(waiter);
        if hub.waiters.is_empty() {
            if !hub.open {
                departure.removed = self.remove_hub(id).map(Box::new);
            } else if !hub.listed_idle {
                hub.listed_idle = true;
                self.idle.push(id);
                departure.became_idle = true;
            }
        }
        departure
    }

    /// Hands one emission to every current subscriber of an open hub and collects the wakers to wake.
    /// `emission` is made only if someone receives it.
    pub(super) fn deliver(&mut self, id: HubId, emission: impl FnOnce() -> E, wakers: &mut Vec<Waker>) {
        let Some(hub) = self.hubs.get_mut(id) else { return };
        if !hub.open || hub.waiters.is_empty() {
            return;
        }
        let emission = emission();
        for waiter in hub.waiters.iter_mut() {
            wakers.extend(waiter.give(&emission));
        }
    }

    /// Marks a hub closed (its emitter is gone) and collects its subscribers' wakers: they see the end after
    /// what they were given before. Returns the hub if nobody was subscribed, for dropping outside.
    pub(super) fn close(&mut self, id: HubId, wakers: &mut Vec<Waker>) -> Option<Hub<K, E, C>> {
        let hub = self.hubs.get_mut(id)?;
        hub.open = false;
        for waiter in hub.waiters.iter_mut() {
            wakers.extend(waiter.waker_slot().take());
        }
        if hub.waiters.is_empty() {
            return self.remove_hub(id);
        }
        // New subscribers get a fresh hub (and an error if the emitter is really gone).
        let key = hub.key.clone();
        if self.by_signal.get(&key) == Some(&id) {
            self.by_signal.remove(&key);
        }
        None
    }

    /// Whether a hub became idle since the last release.
    pub(super) fn has_idle(&self) -> bool {
        !self.idle.is_empty()
    }

    /// Removes the hubs that became idle and are still unused, for the engine side to disconnect.
    pub(super) fn release_idle(&mut self) -> Vec<Hub<K, E, C>> {
        let mut released = Vec::new();
        for id in std::mem::take(&mut self.idle) {
            let Some(hub) = self.hubs.get_mut(id) else { continue };
            hub.listed_idle = false;
            if hub.waiters.is_empty() {
                released.extend(self.remove_hub(id));
            }
        }
        released
    }

    /// Every open hub and the signal it serves.
    pub(super) fn open_hubs(&self) -> impl Iterator<Item = (HubId, &K)> {
        self.hubs.iter().filter(|(_, hub)| hub.open).map(|(id, hub)| (id, &hub.key))
    }

    /// Removes every hub and collects every subscriber's waker; their subscribers see their hub gone.
    pub(super) fn clear(&mut self, wakers: &mut Vec<Waker>) -> Vec<Hub<K, E, C>> {
        let removed: Vec<Hub<K, E, C>> = self
            .hubs
            .drain()
            .map(|mut hub| {
                for waiter in hub.waiters.iter_mut() {
                    wakers.extend(waiter.waker_slot().take());
                }
                hub
            })
            .collect();
        self.by_signal.clear();
        self.idle.clear();
        removed
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Wake, Waker};

    use super::{HubId, Polled, Registry, Wants};

    /// Signals named by a string, emissions that are numbers, connections described by a string.
    type TestRegistry = Registry<&'static str, u32, &'static str>;

    #[derive(Default)]
    struct CountingWaker(AtomicUsize);

    impl Wake for CountingWaker {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn counting_waker() -> (Arc<CountingWaker>, Waker) {
        let counter = Arc::new(CountingWaker::default());
        (counter.clone(), Waker::from(counter))
    }

    fn woken(counter: &CountingWaker) -> usize {
        counter.0.load(Ordering::SeqCst)
    }

    fn with_hub(registry: &mut TestRegistry, key: &'static str) -> HubId {
        registry.insert_hub(key, |_| "connection")
    }

    fn deliver(registry: &mut TestRegistry, hub: HubId, emission: u32) -> Vec<Waker> {
        let mut wakers = Vec::new();
        registry.deliver(hub, || emission, &mut wakers);
        wakers
    }

    fn emission(polled: Polled<u32>) -> Option<u32> {
        match polled {
            Polled::Emission(emission) => Some(emission),
            _ => None,
        }
    }

    #[test]
    fn an_emission_before_the_first_poll_is_kept() {
        let mut registry = TestRegistry::new();
        let hub = with_hub(&mut registry, "hit");
        let waiter = registry.subscribe(hub, Wants::Next).expect("open hub");
        assert!(deliver(&mut registry, hub, 7).is_empty(), "nobody was waiting to be woken");
        let (_, waker) = counting_waker();
        assert_eq!(emission(registry.poll(hub, waiter, &waker)), Some(7));
    }

    #[test]
    fn a_one_shot_subscriber_gets_the_first_emission_after_it_was_made_and_no_other() {
        let mut registry = TestRegistry::new();
        let hub = with_hub(&mut registry, "hit");
        let early = registry.subscribe(hub, Wants::Next).expect("open hub");
        deliver(&mut registry, hub, 1);
        let late = registry.subscribe(hub, Wants::Next).expect("open hub");
        deliver(&mut registry, hub, 2);
        let (_, waker) = counting_waker();
        assert_eq!(emission(registry.poll(hub, early, &waker)), Some(1));
        assert_eq!(emission(registry.poll(hub, late, &waker)), Some(2));
        assert!(matches!(registry.poll(hub, early, &waker), Polled::Pending(None)), "one emission only");
    }

    #[test]
    fn a_stream_subscriber_gets_every_emission_in_order() {
        let mut registry = TestRegistry::new();
        let hub = with_hub(&mut registry, "hit");
        let stream = registry.subscribe(hub, Wants::Every).expect("open hub");
        for n in 1..=3 {
            deliver(&mut registry, hub, n);
        }
        let (_, waker) = counting_waker();
        let got: Vec<Option<u32>> = (0..3).map(|_| emission(registry.poll(hub, stream, &waker))).collect();
        assert_eq!(got, [Some(1), Some(2), Some(3)]);
        assert!(matches!(registry.poll(hub, stream, &waker), Polled::Pending(None)));
    }

    #[test]
    fn a_delivery_wakes_each_waiting_subscriber_once() {
        let mut registry = TestRegistry::new();
        let hub = with_hub(&mut registry, "hit");
        let (counter, waker) = counting_waker();
        let waiters = [Wants::Next, Wants::Every, Wants::Next].map(|wants| {
            let waiter = registry.subscribe(hub, wants).expect("open hub");
            assert!(matches!(registry.poll(hub, waiter, &waker), Polled::Pending(None)));
            waiter
        });
        let wakers = deliver(&mut registry, hub, 5);
        assert_eq!(wakers.len(), 3);
        wakers.into_iter().for_each(Waker::wake);
        assert_eq!(woken(&counter), 3);
        assert!(deliver(&mut registry, hub, 6).is_empty(), "wakers are taken by the wake");
        for waiter in waiters {
            assert_eq!(emission(registry.poll(hub, waiter, &waker)), Some(5));
        }
    }

    #[test]
    fn storing_the_same_waker_again_replaces_nothing() {
        let mut registry = TestRegistry::new();
        let hub = with_hub(&mut registry, "hit");
        let waiter = registry.subscribe(hub, Wants::Next).expect("open hub");
        let (_, first) = counting_waker();
        let (_, second) = counting_waker();
        assert!(matches!(registry.poll(hub, waiter, &first), Polled::Pending(None)));
        assert!(matches!(registry.poll(hub, waiter, &first), Polled::Pending(None)));
        let Polled::Pending(Some(replaced)) = registry.poll(hub, waiter, &second) else {
            panic!("a different waker replaces the stored one and hands it back");
        };
        assert!(replaced.will_wake(&first));
    }

    #[test]
    fn an_emission_nobody_receives_is_never_made() {
        let mut registry = TestRegistry::new();
        let hub = with_hub(&mut registry, "hit");
        let mut wakers = Vec::new();
        registry.deliver(hub, || unreachable!("no subscriber"), &mut wakers);
        let waiter = registry.subscribe(hub, Wants::Next).expect("open hub");
        registry.close(hub, &mut wakers);
        registry.deliver(hub, || unreachable!("closed"), &mut wakers);
        let departure = registry.unsubscribe(hub, waiter);
        assert!(departure.removed.is_some());
        registry.deliver(hub, || unreachable!("gone"), &mut wakers);
    }

    #[test]
    fn closing_wakes_every_waiting_subscriber_and_they_see_the_end_after_what_they_were_given() {
        let mut registry = TestRegistry::new();
        let hub = with_hub(&mut registry, "hit");
        let (counter, waker) = counting_waker();
        let once = registry.subscribe(hub, Wants::Next).expect("open hub");
        let stream = registry.subscribe(hub, Wants::Every).expect("open hub");
        assert!(matches!(registry.poll(hub, once, &waker), Polled::Pending(None)));
        assert_eq!(deliver(&mut registry, hub, 1).len(), 1, "only the one-shot future was waiting");
        deliver(&mut registry, hub, 2);
        assert!(matches!(registry.poll(hub, stream, &waker), Polled::Emission(1)));
        let waiting = registry.subscribe(hub, Wants::Next).expect("open hub");
        assert!(matches!(registry.poll(hub, waiting, &waker), Polled::Pending(None)));
        let mut wakers = Vec::new();
        assert!(registry.close(hub, &mut wakers).is_none(), "subscribers keep a closed hub");
        assert_eq!(wakers.len(), 1, "only the last subscriber was waiting");
        wakers.into_iter().for_each(Waker::wake);
        assert_eq!(woken(&counter), 1);
        assert!(matches!(registry.poll(hub, once, &waker), Polled::Emission(1)));
        assert!(matches!(registry.poll(hub, once, &waker), Polled::Closed));
        assert!(matches!(registry.poll(hub, stream, &waker), Polled::Emission(2)));
        assert!(matches!(registry.poll(hub, stream, &waker), Polled::Closed));
        assert!(matches!(registry.poll(hub, waiting, &waker), Polled::Closed));
    }

    #[test]
    fn a_closed_hub_takes_no_new_subscribers_and_goes_with_its_last_one() {
        let mut registry = TestRegistry::new();
        let hub = with_hub(&mut registry, "hit");
        let first = registry.subscribe(hub, Wants::Next).expect("open hub");
        let second = registry.subscribe(hub, Wants::Every).expect("open hub");
        registry.close(hub, &mut Vec::new());
        assert!(registry.subscribe(hub, Wants::Next).is_none());
        assert!(registry.open_hub(&"hit").is_none());
        assert!(registry.current_hub(hub).is_none());
        let departure = registry.unsubscribe(hub, first);
        assert!(departure.waiter.is_some() && departure.removed.is_none() && !departure.became_idle);
        let departure = registry.unsubscribe(hub, second);
        assert!(departure.removed.is_some() && !departure.became_idle, "closed hubs are not idle");
        assert!(registry.hub(hub).is_none());
        assert!(!registry.has_idle());
    }

    #[test]
    fn closing_an_unused_hub_removes_it() {
        let mut registry = TestRegistry::new();
        let hub = with_hub(&mut registry, "hit");
        assert!(registry.close(hub, &mut Vec::new()).is_some());
        assert!(registry.hub(hub).is_none());
        assert!(registry.open_hub(&"hit").is_none());
    }

    #[test]
    fn new_subscribers_join_the_signals_open_hub() {
        let mut registry = TestRegistry::new();
        let hit = with_hub(&mut registry, "hit");
        let miss = with_hub(&mut registry, "miss");
        assert_eq!(registry.open_hub(&"hit").map(|(id, _)| id), Some(hit));
        assert_eq!(registry.open_hub(&"miss").map(|(id, hub)| (id, hub.connection)), Some((miss, "connection")));
        assert!(registry.open_hub(&"other").is_none());
        assert_eq!(registry.current_hub(hit).map(|hub| hub.key), Some("hit"));
    }

    #[test]
    fn a_forgotten_signals_hub_keeps_its_subscribers_and_a_new_hub_takes_over() {
        let mut registry = TestRegistry::new();
        let old = with_hub(&mut registry, "hit");
        let waiter = registry.subscribe(old, Wants::Next).expect("open hub");
        assert!(registry.current_hub(old).is_some());
        registry.forget(old);
        assert!(registry.open_hub(&"hit").is_none());
        assert!(registry.current_hub(old).is_none());
        let new = with_hub(&mut registry, "hit");
        registry.forget(old);
        assert_eq!(registry.open_hub(&"hit").map(|(id, _)| id), Some(new), "forgetting the old hub keeps the new");
        assert!(registry.current_hub(new).is_some());
        deliver(&mut registry, old, 3);
        let (_, waker) = counting_waker();
        assert_eq!(emission(registry.poll(old, waiter, &waker)), Some(3));
        assert!(registry.remove_hub(old).is_some());
        assert_eq!(registry.open_hub(&"hit").map(|(id, _)| id), Some(new), "removing the old hub keeps the new");
    }

    #[test]
    fn the_last_subscriber_leaving_lists_an_open_hub_idle_once() {
        let mut registry = TestRegistry::new();
        let hub = with_hub(&mut registry, "hit");
        let waiter = registry.subscribe(hub, Wants::Next).expect("open hub");
        assert!(registry.unsubscribe(hub, waiter).became_idle);
        let waiter = registry.subscribe(hub, Wants::Next).expect("an idle hub is still open");
        assert!(!registry.unsubscribe(hub, waiter).became_idle, "already listed");
        assert!(registry.has_idle());
    }

    #[test]
    fn releasing_removes_only_hubs_that_are_still_unused() {
        let mut registry = TestRegistry::new();
        let unused = with_hub(&mut registry, "hit");
        let reused = with_hub(&mut registry, "miss");
        let waiter = registry.subscribe(unused, Wants::Next).expect("open hub");
        assert!(registry.unsubscribe(unused, waiter).became_idle);
        let waiter = registry.subscribe(reused, Wants::Next).expect("open hub");
        assert!(registry.unsubscribe(reused, waiter).became_idle);
        let again = registry.subscribe(reused, Wants::Next).expect("open hub");
        let released = registry.release_idle();
        assert_eq!(released.iter().map(|hub| hub.key).collect::<Vec<_>>(), ["hit"]);
        assert!(!registry.has_idle());
        assert!(registry.hub(unused).is_none() && registry.open_hub(&"hit").is_none());
        assert!(registry.unsubscribe(reused, again).became_idle, "listed again after the release");
    }

    #[test]
    fn a_removed_hubs_id_finds_nothing_even_after_its_slot_is_reused() {
        let mut registry = TestRegistry::new();
        let old = with_hub(&mut registry, "hit");
        let waiter = registry.subscribe(old, Wants::Next).expect("open hub");
        registry.remove_hub(old);
        let new = with_hub(&mut registry, "hit");
        registry.subscribe(new, Wants::Next).expect("open hub");
        let (_, waker) = counting_waker();
        assert!(matches!(registry.poll(old, waiter, &waker), Polled::Gone));
        assert!(registry.subscribe(old, Wants::Next).is_none());
        let departure = registry.unsubscribe(old, waiter);
        assert!(departure.waiter.is_none() && departure.removed.is_none() && !departure.became_idle);
        assert!(deliver(&mut registry, old, 1).is_empty());
        assert!(registry.hub(new).is_some());
    }

    #[test]
    fn open_hubs_lists_only_open_ones() {
        let mut registry = TestRegistry::new();
        let hit = with_hub(&mut registry, "hit");
        let miss = with_hub(&mut registry, "miss");
        registry.subscribe(miss, Wants::Next).expect("open hub");
        registry.close(miss, &mut Vec::new());
        assert_eq!(registry.open_hubs().collect::<Vec<_>>(), [(hit, &"hit")]);
    }

    #[test]
    fn clearing_removes_every_hub_and_wakes_every_waiting_subscriber() {
        let mut registry = TestRegistry::new();
        let hit = with_hub(&mut registry, "hit");
        let miss = with_hub(&mut registry, "miss");
        let (counter, waker) = counting_waker();
        let waiting = registry.subscribe(hit, Wants::Next).expect("open hub");
        let _ = registry.poll(hit, waiting, &waker);
        let stream = registry.subscribe(miss, Wants::Every).expect("open hub");
        let _ = registry.poll(miss, stream, &waker);
        let idle = registry.subscribe(miss, Wants::Next).expect("open hub");
        let _ = registry.unsubscribe(miss, idle);
        let mut wakers = Vec::new();
        let removed = registry.clear(&mut wakers);
        assert_eq!(removed.iter().map(|hub| hub.key).collect::<Vec<_>>(), ["hit", "miss"]);
        wakers.into_iter().for_each(Waker::wake);
        assert_eq!(woken(&counter), 2);
        assert!(matches!(registry.poll(hit, waiting, &waker), Polled::Gone));
        assert!(registry.open_hub(&"hit").is_none() && registry.open_hubs().next().is_none());
        assert!(!registry.has_idle());
    }
}
