//! Emissions from other threads: their arguments cross to the main thread only if they are plain values.
//!
//! A signal emitted on another thread calls our connection on that thread. The arguments are borrowed from
//! the emitter for the duration of the call. Values that are plain data (numbers, bools, vectors, colours,
//! math types, RIDs) are copied out and rebuilt as `Variant`s on the main thread. Anything else (objects,
//! strings, arrays, dictionaries, callables, ...) is reference-counted or owned by the engine in ways that
//! are not safe to share across threads: it is never cloned, so the emitter keeps it and nothing is dropped
//! on the wrong thread; the awaiting task gets [`SignalErrorKind::NotThreadSafe`] instead.
//!
//! The decision is made per emission from the types actually emitted, so any signal works across threads
//! as long as what it carries is plain data.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

use godot::builtin::*;
use godot::meta::ToGodot;

use super::SignalErrorKind;
use super::hub::HubId;

/// What happened to a connection on another thread, waiting for the main thread.
pub(super) enum RemoteEvent {
    /// The signal was emitted, with these arguments or with one that cannot cross threads.
    Emitted { hub: HubId, args: Result<Vec<PlainValue>, SignalErrorKind> },
    /// The engine dropped the connection (the emitter was freed) on another thread.
    Dropped { hub: HubId },
}

/// Events from other threads, drained by the main thread once per frame and before each main-thread
/// emission (so that an emission that happened before another, across threads, is delivered before it).
pub(super) struct Remote {
    pending: AtomicBool,
    events: Mutex<Vec<RemoteEvent>>,
}

pub(super) static REMOTE: Remote = Remote { pending: AtomicBool::new(false), events: Mutex::new(Vec::new()) };

impl Remote {
    pub(super) fn push(&self, event: RemoteEvent) {
        self.events.lock().unwrap_or_else(PoisonError::into_inner).push(event);
        self.pending.store(true, Ordering::Release);
    }

    /// Whether events wait; one atomic load.
    pub(super) fn has_pending(&self) -> bool {
        self.pending.load(Ordering::Acquire)
    }

    pub(super) fn take(&self) -> Vec<RemoteEvent> {
        self.pending.store(false, Ordering::Release);
        std::mem::take(&mut *self.events.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// Copies the arguments of an emission on another thread, if every one is plain data.
pub(super) fn copy_plain(args: &[&Variant]) -> Result<Vec<PlainValue>, SignalErrorKind> {
    args.iter()
        .enumerate()
        .map(|(index, arg)| {
            PlainValue::copy(arg).ok_or(SignalErrorKind::NotThreadSafe { index, emitted: arg.get_type() })
        })
        .collect()
}

macro_rules! plain_values {
    ($($variant:ident($ty:ty) = $variant_type:ident),* $(,)?) => {
        /// A copy of a `Variant` that holds plain data, safe to send to another thread.
        pub(super) enum PlainValue {
            Nil,
            $($variant($ty),)*
        }

        impl PlainValue {
            fn copy(value: &Variant) -> Option<Self> {
                let value_type = value.get_type();
                if value_type == VariantType::NIL {
                    return Some(Self::Nil);
                }
                $(
                    if value_type == VariantType::$variant_type {
                        return value.try_to::<$ty>().ok().map(Self::$variant);
                    }
                )*
                None
            }

            /// Rebuilds the `Variant` (on the main thread).
            pub(super) fn into_variant(self) -> Variant {
                match self {
                    Self::Nil => Variant::nil(),
                    $(Self::$variant(value) => value.to_variant(),)*
                }
            }
        }
    };
}

plain_values! {
    Bool(bool) = BOOL,
    Int(i64) = INT,
    Float(f64) = FLOAT,
    Vector2(Vector2) = VECTOR2,
    Vector2i(Vector2i) = VECTOR2I,
    Rect2(Rect2) = RECT2,
    Rect2i(Rect2i) = RECT2I,
    Vector3(Vector3) = VECTOR3,
    Vector3i(Vector3i) = VECTOR3I,
    Transform2D(Transform2D) = TRANSFORM2D,
    Vector4(Vector4) = VECTOR4,
    Vector4i(Vector4i) = VECTOR4I,
    Plane(Plane) = PLANE,
    Quaternion(Quaternion) = QUATERNION,
    Aabb(Aabb) = AABB,
    Basis(Basis) = BASIS,
    Transform3D(Transform3D) = TRANSFORM3D,
    Projection(Projection) = PROJECTION,
    Color(Color) = COLOR,
    Rid(Rid) = RID,
}
