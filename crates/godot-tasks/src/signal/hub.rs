//! Shared connections: one engine connection per (emitter, signal) serves every future and stream awaiting it.
//!
//! A *hub* is the main thread's record of one such connection: who waits on it (one-shot futures and
//! streams, in a slab) and what each has been given. Futures and streams hold a [`Subscription`], an index
//! into a hub, made when they are created: an emission between creation and the first poll is kept.
//!
//! Lifecycle of a hub:
//!
//! - **connected** by the first subscriber (one `Callable` and one engine connection);
//! - **idle** when its last subscriber leaves: the connection stays until the next frame hook, so that a
//!   task awaiting the same signal again and again (the common loop) does not reconnect each time;
//! - **released** by the frame hook if still idle (or at once when no frame hook runs: no scene tree, or the
//!   runtime shut down): removed here, then disconnected from the emitter;
//! - **closed** when the engine drops the connection because the emitter was freed: every subscriber is
//!   woken and sees the end; the hub goes away with its last subscriber.
//!
//! Destructors and wakers never run while the registry is borrowed: whatever may call back into it (dropping
//! an emission's arguments can free an object, which can close a hub) is moved out first.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::marker::PhantomData;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use godot::builtin::{Callable, Signal, StringName, Variant};
use godot::classes::{Node, Object};
use godot::obj::{Gd, InstanceId, Singleton};
use slab::Slab;

use super::connection;
use super::remote::{REMOTE, RemoteEvent};
use super::waiters::Waiters;
use super::{SignalError, SignalErrorKind};
use crate::runtime::{self, LeakAtThreadExit};
use crate::wake_buffer::WakeBuffer;

/// Names one hub for its whole life; never reused, even after a runtime shutdown.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(super) struct HubId {
    index: u32,
    serial: u64,
}

impl HubId {
    pub(super) fn serial(self) -> u64 {
        self.serial
    }
}

type SignalKey = (InstanceId, StringName);

/// One emission as delivered to a subscriber: its arguments, or why they could not be delivered.
type Emission = Result<Rc<[Variant]>, SignalErrorKind>;

/// Whether a subscriber wants one emission or all of them.
#[derive(Clone, Copy)]
pub(super) enum Wants {
    Next,
    Every,
}

enum Waiter {
    /// A one-shot future: the first emission after its creation.
    Next { emission: Option<Emission>, waker: Option<Waker> },
    /// A stream: every emission after its creation, in order, unbounded.
    Every { queue: VecDeque<Emission>, waker: Option<Waker> },
}

struct Hub {
    serial: u64,
    key: SignalKey,
    /// The emitter as described when the hub was made, for error messages after it is gone.
    emitter: String,
    /// False once the engine dropped the connection (the emitter was freed).
    open: bool,
    /// Equal to the connected callable but inert: asks the engine whether the connection is still there.
    lookup: Callable,
    waiters: Waiters<Waiter>,
    /// Whether the hub is in `Hubs::idle`.
    listed_idle: bool,
}

struct Hubs {
    hubs: Slab<Hub>,
    by_signal: HashMap<SignalKey, HubId>,
    idle: Vec<HubId>,
    next_serial: u64,
    /// Shared by every emission without arguments, so that those allocate nothing.
    no_args: Rc<[Variant]>,
    /// Reused between emissions: the wakers to call once the registry is released.
    wake_buffer: WakeBuffer,
    /// Whether this runs inside the editor, asked once.
    in_editor: Option<bool>,
}

thread_local! {
    static HUBS: RefCell<LeakAtThreadExit<Hubs>> = const { RefCell::new(LeakAtThreadExit(None)) };
}

/// Runs `f` on the main thread's registry; `None` once the thread-local is gone (process exit).
fn with_hubs<R>(f: impl FnOnce(&mut Hubs) -> R) -> Option<R> {
    runtime::with_registry(&HUBS, "signal registry", Hubs::new, f)
}

impl Hubs {
    fn new() -> Self {
        Self {
            hubs: Slab::new(),
            by_signal: HashMap::new(),
            idle: Vec::new(),
            next_serial: 0,
            no_args: Rc::from([]),
            wake_buffer: WakeBuffer::default(),
            in_editor: None,
        }
    }

    fn in_editor(&mut self) -> bool {
        *self.in_editor.get_or_insert_with(|| godot::classes::Engine::singleton().is_editor_hint())
    }

    fn get_mut(&mut self, id: HubId) -> Option<&mut Hub> {
        self.hubs.get_mut(id.index as usize).filter(|hub| hub.serial == id.serial)
    }

    fn get(&self, id: HubId) -> Option<&Hub> {
        self.hubs.get(id.index as usize).filter(|hub| hub.serial == id.serial)
    }

    fn insert_hub(&mut self, key: SignalKey, emitter: String) -> HubId {
        let serial = self.next_serial;
        self.next_serial += 1;
        let entry = self.hubs.vacant_entry();
        let id = HubId { index: u32::try_from(entry.key()).expect("more than 4 billion signal hubs"), serial };
        entry.insert(Hub {
            serial,
            key: key.clone(),
            emitter,
            open: true,
            lookup: connection::lookup(id),
            waiters: Waiters::new(),
            listed_idle: false,
        });
        self.by_signal.insert(key, id);
        id
    }

    /// The open hub serving `key`, and the callable to check its connection with.
    fn open_hub(&self, key: &SignalKey) -> Option<(HubId, Callable)> {
        let id = *self.by_signal.get(key)?;
        self.get(id).filter(|hub| hub.open).map(|hub| (id, hub.lookup.clone()))
    }

    /// Removes a hub if it still exists; the caller disconnects it (if open) outside the borrow.
    fn remove_hub(&mut self, id: HubId) -> Option<Hub> {
        self.get(id)?;
        let hub = self.hubs.remove(id.index as usize);
        if self.by_signal.get(&hub.key) == Some(&id) {
            self.by_signal.remove(&hub.key);
        }
        Some(hub)
    }

    fn take_wakers(&mut self) -> Vec<Waker> {
        self.wake_buffer.take()
    }
}

fn new_waiter(wants: Wants) -> Waiter {
    match wants {
        Wants::Next => Waiter::Next { emission: None, waker: None },
        Wants::Every => Waiter::Every { queue: VecDeque::new(), waker: None },
    }
}

/// Stores the task's waker; returns the one it replaces, to be dropped once the registry is released (a
/// foreign executor's waker may run code when dropped).
#[must_use]
fn store_waker(slot: &mut Option<Waker>, cx: &Context<'_>) -> Option<Waker> {
    match slot {
        Some(waker) if waker.will_wake(cx.waker()) => None,
        _ => slot.replace(cx.waker().clone()),
    }
}

/// Wakes the collected wakers outside the registry, then hands the buffer back for reuse.
fn wake_all(wakers: Vec<Waker>) {
    crate::wake_buffer::wake_all(wakers, |emptied| {
        let _ = with_hubs(|hubs| hubs.wake_buffer.keep(emptied));
    });
}

/// A future's or stream's place in a hub. Main thread only; dropping it unsubscribes.
pub(super) struct Subscription {
    hub: HubId,
    waiter: usize,
    _main_thread_only: PhantomData<Rc<()>>,
}

impl Subscription {
    /// Subscribes to `signal`, connecting to the engine if no hub serves it yet.
    pub(super) fn new(signal: &Signal, wants: Wants) -> Result<Self, SignalError> {
        // Emissions from other threads that happened before this subscription are not its business.
        if REMOTE.has_pending() {
            drain_remote();
        }
        let name = signal.name();
        let Some(object_id) = signal.object_id() else {
            return Err(SignalError::new(
                SignalErrorKind::EmitterFreed,
                "an object that no longer exists",
                &name.to_string(),
            ));
        };
        let key = (object_id, name);
        // An open hub serves it if its connection is still in place: code that saves an object's connections,
        // disconnects them and reconnects them later may have disconnected ours meanwhile. Then the old hub
        // keeps its subscribers (a reconnection reaches them), and new ones get a connection of their own.
        if let Some((hub, lookup)) = with_hubs(|hubs| hubs.open_hub(&key)).flatten() {
            // (A freed emitter is asked nothing: in the editor its hub stays open until the next frame.)
            let connected = key.0.lookup_validity() && signal.is_connected(&lookup);
            if connected {
                if let Some(subscription) = with_hubs(|hubs| Self::join(hubs, hub, wants)).flatten() {
                    return Ok(subscription);
                }
            } else {
                let _ = with_hubs(|hubs| hubs.by_signal.remove(&key));
            }
        }
        let hub = connect(signal, key)?;
        let waiter = with_hubs(|hubs| hubs.get_mut(hub).map(|hub| hub.waiters.insert(new_waiter(wants))))
            .flatten()
            .expect("godot-tasks: a signal hub vanished while it was being connected (a bug)");
        Ok(Self { hub, waiter, _main_thread_only: PhantomData })
    }

    fn join(hubs: &mut Hubs, hub: HubId, wants: Wants) -> Option<Self> {
        let entry = hubs.get_mut(hub).filter(|hub| hub.open)?;
        let waiter = entry.waiters.insert(new_waiter(wants));
        Some(Self { hub, waiter, _main_thread_only: PhantomData })
    }

    /// The first emission since this subscription was made, or an error once the emitter is gone.
    pub(super) fn poll_next_once(&self, cx: &Context<'_>) -> Poll<Result<Rc<[Variant]>, SignalError>> {
        let (poll, replaced) = with_hubs(|hubs| {
            let Some(hub) = hubs.get_mut(self.hub) else {
                return (Poll::Ready(Err(unknown_hub())), None);
            };
            let Some(Waiter::Next { emission, waker }) = hub.waiters.get_mut(self.waiter) else {
                unreachable!("godot-tasks: a one-shot signal subscription lost its slot");
            };
            if let Some(emission) = emission.take() {
                return (Poll::Ready(emission.map_err(|kind| hub.error(kind))), None);
            }
            if !hub.open {
                return (Poll::Ready(Err(hub.error(SignalErrorKind::EmitterFreed))), None);
            }
            (Poll::Pending, store_waker(waker, cx))
        })
        .unwrap_or_else(|| (Poll::Ready(Err(unknown_hub())), None));
        drop(replaced);
        poll
    }

    /// The next queued emission; `None` once the emitter is gone and the queue is empty.
    pub(super) fn poll_next_queued(&self, cx: &Context<'_>) -> Poll<Option<Result<Rc<[Variant]>, SignalError>>> {
        let (poll, replaced) = with_hubs(|hubs| {
            let Some(hub) = hubs.get_mut(self.hub) else {
                return (Poll::Ready(None), None);
            };
            let Some(Waiter::Every { queue, waker }) = hub.waiters.get_mut(self.waiter) else {
                unreachable!("godot-tasks: a signal stream subscription lost its slot");
            };
            if let Some(emission) = queue.pop_front() {
                return (Poll::Ready(Some(emission.map_err(|kind| hub.error(kind)))), None);
            }
            if !hub.open {
                return (Poll::Ready(None), None);
            }
            (Poll::Pending, store_waker(waker, cx))
        })
        .unwrap_or((Poll::Ready(None), None));
        drop(replaced);
        poll
    }

    /// An error about this subscription's signal.
    pub(super) fn error(&self, kind: SignalErrorKind) -> SignalError {
        with_hubs(|hubs| hubs.get(self.hub).map(|hub| hub.error(kind.clone())))
            .flatten()
            .unwrap_or_else(|| SignalError::new(kind, "?", "?"))
    }
}

/// The error for a subscription whose hub is gone, which only happens while the thread exits.
fn unknown_hub() -> SignalError {
    SignalError::new(SignalErrorKind::EmitterFreed, "an object of a runtime that is gone", "?")
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut release_now = false;
        let left = with_hubs(|hubs| {
            let hub = hubs.get_mut(self.hub)?;
            let waiter = hub.waiters.remove(self.waiter);
            if hub.waiters.is_empty() {
                if !hub.open {
                    hubs.remove_hub(self.hub);
                } else if !hub.listed_idle {
                    hub.listed_idle = true;
                    hubs.idle.push(self.hub);
                    release_now = true;
                }
            }
            waiter
        })
        .flatten();
        // Outside the borrow: the waiter may hold the last reference to an emitted object.
        drop(left);
        if release_now && !runtime::ensure_frame_hook() {
            release_idle();
        }
    }
}

impl Hub {
    fn error(&self, kind: SignalErrorKind) -> SignalError {
        SignalError::new(kind, &self.emitter, &self.key.1.to_string())
    }
}

/// Makes a hub for `key` and connects it to the emitter. All engine calls happen outside the registry.
fn connect(signal: &Signal, key: SignalKey) -> Result<HubId, SignalError> {
    let name = key.1.to_string();
    let Some(mut object) = signal.object() else {
        return Err(SignalError::new(SignalErrorKind::EmitterFreed, &format!("instance {}", key.0), &name));
    };
    let emitter = describe(&object);
    if !object.has_signal(&key.1) {
        return Err(SignalError::new(SignalErrorKind::NoSuchSignal, &emitter, &name));
    }
    let hub = with_hubs(|hubs| hubs.insert_hub(key.clone(), emitter.clone()))
        .expect("godot-tasks: signals awaited while the thread exits");
    let error = runtime::connect_untracked(&mut object, &key.1, &connection::callable(hub));
    if error != godot::global::Error::OK {
        let _ = with_hubs(|hubs| hubs.remove_hub(hub)); // (dropping the callable may have removed it already)
        return Err(SignalError::new(SignalErrorKind::ConnectRefused { error }, &emitter, &name));
    }
    Ok(hub)
}

/// `Timer 'Cooldown' (instance 123)` for nodes, `RefCounted (instance 456)` for other objects.
pub(crate) fn describe(object: &Gd<Object>) -> String {
    let class = object.get_class();
    let id = object.instance_id();
    match object.clone().try_cast::<Node>() {
        Ok(node) => format!("{class} '{}' (instance {id})", node.get_name()),
        Err(_) => format!("{class} (instance {id})"),
    }
}

/// The engine called the connection on the main thread.
pub(super) fn emitted(hub: HubId, args: &[&Variant]) {
    if REMOTE.has_pending() {
        drain_remote();
    }
    deliver(hub, |hubs| {
        Ok(if args.is_empty() { hubs.no_args.clone() } else { args.iter().map(|&arg| arg.clone()).collect() })
    });
}

/// Hands one emission to every current subscriber of `hub`, then wakes them.
fn deliver(hub: HubId, emission: impl FnOnce(&Hubs) -> Emission) {
    let wakers = with_hubs(|hubs| {
        let mut wakers = hubs.take_wakers();
        let Some(entry) = hubs.get(hub) else { return wakers };
        if !entry.open || entry.waiters.is_empty() {
            return wakers;
        }
        let emission = emission(hubs);
        let entry = hubs.get_mut(hub).expect("checked above");
        for waiter in entry.waiters.iter_mut() {
            match waiter {
                Waiter::Next { emission: slot @ None, waker } => {
                    *slot = Some(emission.clone());
                    wakers.extend(waker.take());
                }
                Waiter::Next { emission: Some(_), .. } => {}
                Waiter::Every { queue, waker } => {
                    queue.push_back(emission.clone());
                    wakers.extend(waker.take());
                }
            }
        }
        wakers
    });
    if let Some(wakers) = wakers {
        wake_all(wakers);
    }
}

/// The engine dropped the connection on the main thread: the emitter is being freed. Emissions queued by
/// other threads before that are delivered first.
pub(super) fn dropped(hub: HubId) {
    if REMOTE.has_pending() {
        drain_remote();
    }
    closed(hub);
}

/// Marks a hub closed and wakes its subscribers, who see the end after what was delivered before.
fn closed(hub: HubId) {
    let wakers = with_hubs(|hubs| {
        let mut wakers = hubs.take_wakers();
        let Some(entry) = hubs.get_mut(hub) else { return wakers };
        entry.open = false;
        for waiter in entry.waiters.iter_mut() {
            let (Waiter::Next { waker, .. } | Waiter::Every { waker, .. }) = waiter;
            wakers.extend(waker.take());
        }
        let (unused, key) = (entry.waiters.is_empty(), entry.key.clone());
        if unused {
            hubs.remove_hub(hub);
        } else if hubs.by_signal.get(&key) == Some(&hub) {
            // New subscribers get a fresh hub (and an error if the emitter is really gone).
            hubs.by_signal.remove(&key);
        }
        wakers
    });
    if let Some(wakers) = wakers {
        wake_all(wakers);
    }
}

/// Delivers what other threads did to connections, in the order they did it.
fn drain_remote() {
    for event in REMOTE.take() {
        match event {
            RemoteEvent::Emitted { hub, args } => {
                deliver(hub, |_| args.map(|values| values.into_iter().map(|value| value.into_variant()).collect()))
            }
            RemoteEvent::Dropped { hub } => closed(hub),
        }
    }
}

/// Disconnects every hub that is still idle.
fn release_idle() {
    let released: Vec<Hub> = with_hubs(|hubs| {
        let idle = std::mem::take(&mut hubs.idle);
        let mut released = Vec::new();
        for id in idle {
            let Some(hub) = hubs.get_mut(id) else { continue };
            hub.listed_idle = false;
            if hub.waiters.is_empty() {
                released.extend(hubs.remove_hub(id));
            }
        }
        released
    })
    .unwrap_or_default();
    for hub in released {
        disconnect(hub);
    }
}

fn disconnect(hub: Hub) {
    let (object_id, name) = hub.key;
    let Ok(mut object) = Gd::<Object>::try_from_instance_id(object_id) else {
        return; // The emitter is gone, and its connections with it.
    };
    if object.is_connected(&name, &hub.lookup) {
        object.disconnect(&name, &hub.lookup);
    }
}

/// Once per frame, from the runtime's frame hook: delivers emissions from other threads and releases
/// connections nobody awaits any more.
pub(crate) fn on_frame() {
    if REMOTE.has_pending() {
        drain_remote();
    }
    let (idle, in_editor) = with_hubs(|hubs| (!hubs.idle.is_empty(), hubs.in_editor())).unwrap_or_default();
    if idle {
        release_idle();
    }
    if in_editor {
        close_dead_emitters();
    }
}

/// In the editor the `godot` crate keeps a copy of each connection (see [`connection`]), so a freed emitter
/// does not drop it: find such hubs by checking each emitter, once per frame.
fn close_dead_emitters() {
    let open: Vec<(HubId, InstanceId)> = with_hubs(|hubs| {
        hubs.hubs
            .iter()
            .filter(|(_, hub)| hub.open)
            .map(|(index, hub)| (HubId { index: index as u32, serial: hub.serial }, hub.key.0))
            .collect()
    })
    .unwrap_or_default();
    for (hub, emitter) in open {
        if !emitter.lookup_validity() {
            closed(hub);
        }
    }
}

/// At [`runtime::shutdown`]: releases idle connections now, since no frame hook will.
pub(crate) fn on_shutdown() {
    release_idle();
}

/// At engine exit, after every task was dropped: closes every hub, so that futures kept outside tasks end,
/// and disconnects every connection while the emitters are alive.
pub(crate) fn on_engine_exit() {
    if REMOTE.has_pending() {
        let _ = REMOTE.take(); // Nobody will run to receive them.
    }
    let (hubs, wakers) = with_hubs(|hubs| {
        let mut wakers = hubs.take_wakers();
        let ids: Vec<usize> = hubs.hubs.iter().map(|(index, _)| index).collect();
        let mut removed = Vec::new();
        for index in ids {
            let mut hub = hubs.hubs.remove(index);
            for waiter in hub.waiters.iter_mut() {
                let (Waiter::Next { waker, .. } | Waiter::Every { waker, .. }) = waiter;
                wakers.extend(waker.take());
            }
            removed.push(hub);
        }
        hubs.by_signal.clear();
        hubs.idle.clear();
        (removed, wakers)
    })
    .unwrap_or_default();
    for hub in hubs {
        if hub.open {
            disconnect(hub);
        }
    }
    wake_all(wakers);
}
