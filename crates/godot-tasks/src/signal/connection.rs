//! The callable the engine holds for each shared connection, callable from any thread.

use std::fmt;
use std::hash::{Hash, Hasher};

use godot::builtin::{CowStr, RustCallable, Variant};

use super::hub::{self, HubId};
use super::remote::{self, REMOTE, RemoteEvent};

/// Connected to one signal of one emitter on behalf of a hub.
///
/// The engine calls it on whatever thread emits, and drops it when the connection goes away: when we
/// disconnect an idle hub, or when the emitter is freed. On the main thread both go straight to the hub;
/// on other threads they are queued for the main thread (see [`remote`]).
pub(super) struct Connection {
    hub: HubId,
    /// False for the inert copy made only to look the connection up when disconnecting.
    live: bool,
}

impl Connection {
    pub(super) fn new(hub: HubId) -> Self {
        Self { hub, live: true }
    }

    /// Equal to the connection of `hub`, but does nothing when called or dropped.
    pub(super) fn lookup(hub: HubId) -> Self {
        Self { hub, live: false }
    }
}

impl RustCallable for Connection {
    fn invoke(&mut self, args: &[&Variant]) -> Variant {
        if self.live {
            if godot::init::is_main_thread() {
                hub::emitted(self.hub, args);
            } else {
                REMOTE.push(RemoteEvent::Emitted { hub: self.hub, args: remote::copy_plain(args) });
            }
        }
        Variant::nil()
    }

    // The default formats `Display` on every call; the engine asks for the name on each emission.
    fn callable_name(&self) -> CowStr {
        CowStr::Borrowed("godot_tasks::signal::Connection")
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        if self.live {
            if godot::init::is_main_thread() {
                hub::closed(self.hub);
            } else {
                REMOTE.push(RemoteEvent::Dropped { hub: self.hub });
            }
        }
    }
}

// Identity is the hub's serial, so that the lookup copy finds the live connection.
impl PartialEq for Connection {
    fn eq(&self, other: &Self) -> bool {
        self.hub.serial() == other.hub.serial()
    }
}

impl Hash for Connection {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.hub.serial().hash(state);
    }
}

impl fmt::Display for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "godot_tasks::signal::Connection#{}", self.hub.serial())
    }
}
