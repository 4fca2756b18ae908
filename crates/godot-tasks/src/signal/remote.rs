//! Emissions from other threads: their arguments cross to the main thread only if they are plain values.
//!
//! A signal emitted on another thread calls our connection on that thread. The arguments are borrowed from
//! the emitter for the duration of the call. Values that are plain data (numbers, bools, vectors, colours,
//! math types, RIDs) are copied out and rebuilt as `Variant`s on the main thread. Anything else (objects,
//! strings, arrays, dictionaries, callables, ...) is reference-counted or owned by the engine in ways that
//! are not safe to share across threads: it is never cloned, so the emitter keeps it and nothing is dropped
//! on the wrong thread; the awaiting task gets [`SignalErrorKind::NotThreadSafe`] instead.
//!
//! This file reads arguments on the emitting thread through raw interface functions (see
//! [`connection`](super::connection) for why), hence its `unsafe`.
//!
//! The decision is made per emission from the types actually emitted, so any signal works across threads
//! as long as what it carries is plain data.

#![allow(unsafe_code)]

use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

use godot::builtin::*;
use godot::meta::ToGodot;
use godot::sys;

use super::SignalErrorKind;
use super::registry::HubId;

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
///
/// Runs on the emitting thread, so it touches the arguments only through interface functions that read the
/// caller's memory: the type of each argument, then the copy-out converter for plain types.
///
/// # Safety
/// Every pointer in `args` must point to a live Variant for the duration of the call.
pub(super) unsafe fn copy_plain(args: &[sys::GDExtensionConstVariantPtr]) -> Result<Vec<PlainValue>, SignalErrorKind> {
    args.iter()
        .enumerate()
        .map(|(index, &arg)| {
            // SAFETY: `arg` points to a live Variant (contract); the function only reads it.
            let emitted = VariantType::from_sys(unsafe { (sys::thread_safe().variant_get_type)(arg) });
            // SAFETY: `arg` is live and holds an `emitted`.
            unsafe { PlainValue::copy(arg, emitted) }.ok_or(SignalErrorKind::NotThreadSafe { index, emitted })
        })
        .collect()
}

macro_rules! plain_values {
    ($($variant:ident($target:ty) = $variant_type:ident as $ty:ty),* $(,)?) => {
        /// A copy of a `Variant` that holds plain data, safe to send to another thread.
        pub(super) enum PlainValue {
            Nil,
            $($variant($target),)*
        }

        impl PlainValue {
            /// Copies `value` (of type `value_type`) out, if it is plain data.
            ///
            /// # Safety
            /// `value` must point to a live Variant holding a `value_type`.
            unsafe fn copy(value: sys::GDExtensionConstVariantPtr, value_type: VariantType) -> Option<Self> {
                if value_type == VariantType::NIL {
                    return Some(Self::Nil);
                }
                $(
                    if value_type == VariantType::$variant_type {
                        // SAFETY: the variant holds a `$variant_type`, and `$ty` has Godot's layout for it (the
                        // `godot` crate converts the same types the same way).
                        return Some(Self::$variant(unsafe { read::<$ty>(value, value_type) }.into()));
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
    Bool(bool) = BOOL as Byte,
    Int(i64) = INT as i64,
    Float(f64) = FLOAT as f64,
    Vector2(Vector2) = VECTOR2 as Vector2,
    Vector2i(Vector2i) = VECTOR2I as Vector2i,
    Rect2(Rect2) = RECT2 as Rect2,
    Rect2i(Rect2i) = RECT2I as Rect2i,
    Vector3(Vector3) = VECTOR3 as Vector3,
    Vector3i(Vector3i) = VECTOR3I as Vector3i,
    Transform2D(Transform2D) = TRANSFORM2D as Transform2D,
    Vector4(Vector4) = VECTOR4 as Vector4,
    Vector4i(Vector4i) = VECTOR4I as Vector4i,
    Plane(Plane) = PLANE as Plane,
    Quaternion(Quaternion) = QUATERNION as Quaternion,
    Aabb(Aabb) = AABB as Aabb,
    Basis(Basis) = BASIS as Basis,
    Transform3D(Transform3D) = TRANSFORM3D as Transform3D,
    Projection(Projection) = PROJECTION as Projection,
    Color(Color) = COLOR as Color,
    Rid(Rid) = RID as RawRid,
}

/// The engine's converters write Godot's own layout of each plain type into a `$ty`: the sizes must match.
/// `real` is `f32`, or `f64` with the `godot` crate's `double-precision` feature (for a Godot built that way).
const _: () = {
    use std::mem::{align_of, size_of};
    const R: usize = size_of::<real>();
    assert!(size_of::<Byte>() == 1 && size_of::<i64>() == 8 && size_of::<f64>() == 8);
    assert!(size_of::<Vector2>() == 2 * R && size_of::<Vector3>() == 3 * R && size_of::<Vector4>() == 4 * R);
    assert!(size_of::<Vector2i>() == 8 && size_of::<Vector3i>() == 12 && size_of::<Vector4i>() == 16);
    assert!(size_of::<Rect2>() == 4 * R && size_of::<Rect2i>() == 16);
    assert!(size_of::<Transform2D>() == 6 * R && size_of::<Plane>() == 4 * R && size_of::<Quaternion>() == 4 * R);
    assert!(size_of::<Aabb>() == 6 * R && size_of::<Basis>() == 9 * R && size_of::<Transform3D>() == 12 * R);
    assert!(size_of::<Projection>() == 16 * R && size_of::<Color>() == 16 && size_of::<RawRid>() == 8);
    // Our buffer is aligned for `$ty`; the engine writes its components (floats, `real`s, 32-bit ints).
    assert!(align_of::<Vector2>() >= align_of::<real>() && align_of::<Vector2i>() >= 4 && align_of::<Color>() >= 4);
};

/// Copies the value out of `variant` through the engine's converter for `value_type`, fetched from the
/// interface (the `godot` crate's own table of converters may only be used on the main thread).
///
/// # Safety
/// `variant` must point to a live Variant holding a `value_type`, and `T` must have Godot's layout for it.
unsafe fn read<T: Copy>(variant: sys::GDExtensionConstVariantPtr, value_type: VariantType) -> T {
    // SAFETY: looking up a converter reads a static table of the engine.
    let convert = unsafe { (sys::thread_safe().get_variant_to_type_constructor)(value_type.sys()) }
        .expect("Godot has a converter for every plain variant type");
    let mut out = MaybeUninit::<T>::uninit();
    // SAFETY: per the contract, the converter writes a complete `T` and only reads the variant.
    unsafe {
        convert(out.as_mut_ptr().cast(), variant.cast_mut());
        out.assume_init()
    }
}

/// Godot's `bool` as written by its converter: one byte, 0 or 1.
#[derive(Clone, Copy)]
#[repr(transparent)]
struct Byte(u8);

impl From<Byte> for bool {
    fn from(byte: Byte) -> bool {
        byte.0 != 0
    }
}

/// Godot's RID as written by its converter: the 64-bit id.
#[derive(Clone, Copy)]
#[repr(transparent)]
struct RawRid(u64);

impl From<RawRid> for Rid {
    fn from(raw: RawRid) -> Rid {
        Rid::new(raw.0)
    }
}
