//! The signal service's part in the runtime's life: each frame, at shutdown, at engine exit.
//!
//! Idle connections are released once per frame rather than when their last subscriber leaves, so that a
//! task awaiting the same signal in a loop keeps one connection. Without a frame hook (no scene tree, or
//! after a shutdown) they are released at once instead, by [`release_idle`].

use godot::obj::InstanceId;

use super::events::{closed, drain_remote};
use super::hubs::{disconnect, wake_all, with_hubs};
use super::registry::HubId;
use super::remote::REMOTE;

/// Once per frame, from the runtime's frame hook: delivers emissions from other threads and releases
/// connections nobody awaits any more.
pub(crate) fn on_frame() {
    if REMOTE.has_pending() {
        drain_remote();
    }
    let (idle, in_editor) = with_hubs(|hubs| (hubs.registry.has_idle(), hubs.in_editor())).unwrap_or_default();
    if idle {
        release_idle();
    }
    if in_editor {
        close_dead_emitters();
    }
}

/// Disconnects every hub that is still idle.
pub(super) fn release_idle() {
    let released = with_hubs(|hubs| hubs.registry.release_idle()).unwrap_or_default();
    for hub in released {
        disconnect(hub);
    }
}

/// In the editor the `godot` crate keeps a copy of each connection (see [`connection`](super::connection)),
/// so a freed emitter does not drop it: find such hubs by checking each emitter, once per frame.
fn close_dead_emitters() {
    let open: Vec<(HubId, InstanceId)> =
        with_hubs(|hubs| hubs.registry.open_hubs().map(|(hub, key)| (hub, key.emitter)).collect()).unwrap_or_default();
    for (hub, emitter) in open {
        if !emitter.lookup_validity() {
            closed(hub);
        }
    }
}

/// At [`runtime::shutdown`](crate::runtime::shutdown): releases idle connections now, since no frame hook
/// will.
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
        let removed = hubs.registry.clear(&mut wakers);
        (removed, wakers)
    })
    .unwrap_or_default();
    for hub in hubs {
        if hub.is_open() {
            disconnect(hub);
        }
    }
    wake_all(wakers);
}
