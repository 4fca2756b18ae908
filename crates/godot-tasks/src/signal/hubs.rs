//! The main thread's hubs as the engine sees them: the thread-local registry, and the engine connections
//! the hubs stand for, made and removed here.
//!
//! Each hub is one engine connection per (emitter, signal): one `Callable` (see [`connection`]) connected
//! once, whatever the number of futures and streams awaiting that signal. The registry itself (who waits,
//! what they were given) is engine-free, in [`registry`]; this file adds what only the engine knows: the
//! emitter's description, the signal as connected, and the inert callable that finds the connection again.
//!
//! Engine calls happen outside the registry's borrow wherever they could call back into it (freeing an
//! object or dropping a connection reaches [`events`](super::events), and a re-entered registry panics).
//! The few made inside cannot: making a callable, copying an emission's arguments, comparing two signals,
//! asking for the editor.

use std::cell::RefCell;
use std::hash::{Hash, Hasher};
use std::rc::Rc;
use std::task::Waker;

use godot::builtin::{Callable, Signal, StringName, Variant};
use godot::classes::Object;
use godot::obj::{Gd, InstanceId, Singleton};

use super::connection;
use super::describe::{self, describe};
use super::registry::{self, HubId, Registry, WaiterKey, Wants};
use super::{SignalError, SignalErrorKind};
use crate::runtime::{self, LeakAtThreadExit};
use crate::wake_buffer::WakeBuffer;

/// The emitter and the signal's name: what one engine connection serves.
#[derive(Clone, PartialEq, Eq)]
pub(super) struct SignalKey {
    pub(super) emitter: InstanceId,
    pub(super) name: StringName,
}

/// Hashes the emitter only: hashing a `StringName` is an engine call, which every new future would pay, while
/// comparing two is cheap (they are interned). An object's few awaited signals share a bucket.
impl Hash for SignalKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.emitter.hash(state);
    }
}

/// One emission as delivered to a subscriber: its arguments, or why they could not be delivered.
///
/// The reason is boxed: every subscriber has room for an emission, and a `SignalErrorKind` inline would make
/// that room (and every move of it) several times larger for a case that is rare.
pub(super) type Emission = Result<Rc<[Variant]>, Box<SignalErrorKind>>;

/// What the engine side keeps for each hub.
pub(super) struct Link {
    /// The emitter as described when the hub was made, for error messages after it is gone.
    pub(super) emitter: String,
    /// Equal to the connected callable but inert: asks the engine whether the connection is still there,
    /// and removes it. Shared, so that asking (outside the registry) costs no engine copy of the callable.
    pub(super) lookup: Rc<Callable>,
    /// The signal as connected, to recognise it in the next future made on it (see [`Hubs::recent`]).
    signal: Signal,
}

pub(super) type Hub = registry::Hub<SignalKey, Emission, Link>;

/// The main thread's signal registry and what goes with it.
pub(super) struct Hubs {
    pub(super) registry: Registry<SignalKey, Emission, Link>,
    /// Shared by every emission without arguments, so that those allocate nothing.
    pub(super) no_args: Rc<[Variant]>,
    /// Reused between emissions: the wakers to call once the registry is released.
    wake_buffer: WakeBuffer,
    /// The hub the last subscriber joined: where the next one most likely goes (see [`Hubs::recent`]).
    recent: Option<HubId>,
    /// Whether this runs inside the editor, asked once.
    in_editor: Option<bool>,
}

thread_local! {
    static HUBS: RefCell<LeakAtThreadExit<Hubs>> = const { RefCell::new(LeakAtThreadExit(None)) };
}

/// Runs `f` on the main thread's registry; `None` once the thread-local is gone (process exit).
pub(super) fn with_hubs<R>(f: impl FnOnce(&mut Hubs) -> R) -> Option<R> {
    runtime::with_registry(&HUBS, "signal registry", Hubs::new, f)
}

impl Hubs {
    fn new() -> Self {
        Self {
            registry: Registry::new(),
            no_args: Rc::from([]),
            wake_buffer: WakeBuffer::default(),
            recent: None,
            in_editor: None,
        }
    }

    /// The hub the last subscriber joined, with its emitter and lookup callable, if it is the open hub for
    /// `signal`.
    ///
    /// A fan-out makes its futures on one signal, one after another. Reading a signal's emitter and name to
    /// look its hub up costs two engine calls; comparing it with the signal the last hub was connected for
    /// costs none (see [`same_signal`]).
    pub(super) fn recent(&self, signal: &Signal) -> Option<(HubId, InstanceId, Rc<Callable>)> {
        let id = self.recent?;
        let hub = self.registry.current_hub(id)?;
        same_signal(&hub.connection.signal, signal).then(|| (id, hub.key.emitter, hub.connection.lookup.clone()))
    }

    /// Adds a subscriber to an open hub, which becomes the [`recent`](Self::recent) one.
    pub(super) fn join(&mut self, hub: HubId, wants: Wants) -> Option<WaiterKey> {
        let waiter = self.registry.subscribe(hub, wants)?;
        self.recent = Some(hub);
        Some(waiter)
    }

    pub(super) fn in_editor(&mut self) -> bool {
        *self.in_editor.get_or_insert_with(|| godot::classes::Engine::singleton().is_editor_hint())
    }

    /// The vector to collect wakers into, to be woken by [`wake_all`] once the registry is released.
    pub(super) fn take_wakers(&mut self) -> Vec<Waker> {
        self.wake_buffer.take()
    }

    /// "signal 'NAME' of EMITTER", for messages.
    pub(super) fn describe(&self, hub: HubId) -> String {
        match self.registry.hub(hub) {
            Some(hub) => format!("signal '{}' of {}", hub.key.name, hub.connection.emitter),
            None => String::from("a signal"),
        }
    }

    /// An error about the signal `hub` serves, naming the emitter as it was when the hub was made.
    pub(super) fn error(&self, hub: HubId, kind: SignalErrorKind) -> SignalError {
        match self.registry.hub(hub) {
            Some(hub) => SignalError::new(kind, &hub.connection.emitter, &hub.key.name.to_string()),
            None => SignalError::new(kind, describe::UNKNOWN, describe::UNKNOWN),
        }
    }
}

/// A Godot `Signal` is an object id and an interned name: 16 bytes, every bit meaningful.
const _: () = assert!(std::mem::size_of::<Signal>() == 16 && std::mem::align_of::<Signal>() >= 8);

/// Whether `a` and `b` are the same signal, told without an engine call: when their bytes are equal. Equal
/// bytes are the same emitter id and the same interned name, so the signals are equal; equal signals have
/// equal bytes, since a name is interned once, but this is only relied on for speed (a miss looks the hub up
/// by key).
#[allow(unsafe_code)]
fn same_signal(a: &Signal, b: &Signal) -> bool {
    // SAFETY: `Signal` is 16 bytes with an alignment of at least 8 (checked above), so it can be read as two
    // `u64`s, any value of which is valid. The reads are copies of plain bytes: the signals are not moved or
    // dropped, and nothing is done with the copies but comparing them.
    let bytes = |signal: &Signal| unsafe { std::mem::transmute_copy::<Signal, [u64; 2]>(signal) };
    bytes(a) == bytes(b)
}

/// Wakes the collected wakers outside the registry, then hands the buffer back for reuse.
/// How many futures and streams await a signal now (the `signal_waiters` monitor).
pub(crate) fn waiter_count() -> usize {
    with_hubs(|hubs| hubs.registry.subscriber_count()).unwrap_or(0)
}

pub(super) fn wake_all(wakers: Vec<Waker>) {
    crate::wake_buffer::wake_all(wakers, |emptied| {
        let _ = with_hubs(|hubs| hubs.wake_buffer.keep(emptied));
    });
}

/// Makes a hub for `key` and connects it to the emitter (outside the registry: connecting may call back).
pub(super) fn connect(signal: &Signal, key: SignalKey) -> Result<HubId, SignalError> {
    let name = key.name.to_string();
    let Some(mut object) = signal.object() else {
        return Err(SignalError::new(SignalErrorKind::EmitterFreed, &describe::describe_freed(key.emitter), &name));
    };
    let emitter = describe(&object);
    if !object.has_signal(&key.name) {
        return Err(SignalError::new(SignalErrorKind::NoSuchSignal, &emitter, &name));
    }
    let as_connected = signal.clone();
    let hub = with_hubs(|hubs| {
        hubs.registry.insert_hub(key.clone(), |id| Link {
            emitter: emitter.clone(),
            lookup: Rc::new(connection::lookup(id)),
            signal: as_connected,
        })
    })
    .expect("godot-tasks: signals awaited while the thread exits");
    let error = runtime::connect_untracked(&mut object, &key.name, &connection::callable(hub));
    if error != godot::global::Error::OK {
        let _ = with_hubs(|hubs| hubs.registry.remove_hub(hub)); // (dropping the callable may have removed it already)
        return Err(SignalError::new(SignalErrorKind::ConnectRefused { error }, &emitter, &name));
    }
    Ok(hub)
}

/// Removes a hub's connection from its emitter, if both are still there.
pub(super) fn disconnect(hub: Hub) {
    let SignalKey { emitter, name } = hub.key;
    let Ok(mut object) = Gd::<Object>::try_from_instance_id(emitter) else {
        return; // The emitter is gone, and its connections with it.
    };
    let lookup = &*hub.connection.lookup;
    if object.is_connected(&name, lookup) {
        object.disconnect(&name, lookup);
    }
}
