//! How errors name an emitter: every label a [`SignalError`](super::SignalError) (or a GDScript call error)
//! shows for one, in one place.
//!
//! An emitter is described while it is alive, and the text is kept: errors are mostly about emitters that
//! are gone by the time the error is made.

use godot::classes::{Node, Object};
use godot::obj::{Gd, InstanceId};

/// `Timer 'Cooldown' (instance 123)` for nodes, `RefCounted (instance 456)` for other objects.
pub(crate) fn describe(object: &Gd<Object>) -> String {
    let class = object.get_class();
    let id = object.instance_id();
    match object.clone().try_cast::<Node>() {
        Ok(node) => format!("{class} '{}' (instance {id})", node.get_name()),
        Err(_) => format!("{class} (instance {id})"),
    }
}

/// An emitter freed after its signal was read but before it could be described.
pub(super) fn describe_freed(id: InstanceId) -> String {
    format!("instance {id}")
}

/// A signal value whose object was already freed when it was awaited.
pub(super) const NO_LONGER_EXISTS: &str = "an object that no longer exists";

/// The emitter of a subscription whose hub was cleared while the thread exits.
pub(super) const OF_A_GONE_RUNTIME: &str = "an object of a runtime that is gone";

/// Emitter or signal of a subscription that outlived the thread's registry.
pub(super) const UNKNOWN: &str = "?";
