//! The callable the engine holds for each shared connection; the engine may call and drop it on any thread.
//!
//! It is a custom callable made directly through the GDExtension interface rather than with
//! `Callable::from_custom`: without the `godot` crate's `experimental-threads` feature, that crate's callable
//! glue panics whenever the engine calls a Rust callable off the main thread (even returning the result
//! touches its binding). Signals emitted on other threads must still reach their tasks, so the call here
//! uses only interface functions that touch nothing but the caller's own memory: reading the arguments'
//! types, and copying out plain values (see [`remote`]).
//!
//! It carries the `godot` crate's library token, so that crate recognises it as one of this extension's
//! callables: in the editor it keeps a copy of each such connection and disconnects them all before a hot
//! reload (after which our code would be gone). That copy also delays the engine's drop of the callable
//! when an emitter is freed, so in the editor the hubs also check their emitters once per frame
//! (see `lifecycle::on_frame`).
//!
//! It is made with the first version of `callable_custom_create`, which every Godot 4.2+ API level has.
//!
//! The unsafe code of the signal layer lives in this file and in the value copies of `remote`.

#![allow(unsafe_code)]

use std::ffi::c_void;
use std::panic::AssertUnwindSafe;

use godot::builtin::{Callable, Variant};
use godot::sys::{self, GodotFfi};

use super::events;
use super::registry::HubId;
use super::remote::{self, REMOTE, RemoteEvent};

/// What the engine's custom callable points to.
struct Connection {
    hub: HubId,
    /// False for the inert copy made only to look the connection up when disconnecting.
    live: bool,
}

/// The callable to connect on behalf of `hub`.
pub(super) fn callable(hub: HubId) -> Callable {
    make(Connection { hub, live: true })
}

/// The engine's argument pointers are read as `&Variant`s: the `godot` crate's `Variant` has Godot's layout,
/// 24 bytes (40 with `real` as `f64`), and a pointer to it is a plain pointer.
const _: () = {
    use std::mem::size_of;
    let variant = if size_of::<godot::builtin::real>() == 4 { 24 } else { 40 };
    assert!(size_of::<Variant>() == variant);
    assert!(size_of::<&Variant>() == size_of::<sys::GDExtensionConstVariantPtr>());
};

/// A callable equal to the connection of `hub` that does nothing when called or dropped: the key for
/// `is_connected` and `disconnect`.
pub(super) fn lookup(hub: HubId) -> Callable {
    make(Connection { hub, live: false })
}

fn make(connection: Connection) -> Callable {
    let userdata = Box::into_raw(Box::new(connection)).cast::<c_void>();
    let mut info = sys::GDExtensionCallableCustomInfo {
        callable_userdata: userdata,
        // SAFETY: the library pointer is set when the extension is initialised, before any of our code runs.
        token: unsafe { sys::get_library() }.cast::<c_void>(),
        object_id: 0,
        call_func: Some(call),
        is_valid_func: Some(is_valid),
        free_func: Some(free),
        hash_func: Some(hash),
        equal_func: Some(equal),
        less_than_func: Some(less_than),
        to_string_func: None,
    };
    // SAFETY: `info` is complete and outlives the call; the engine copies it and from now on owns `userdata`,
    // which it hands back to `free` exactly once. Called on the main thread (creation is main-thread only).
    unsafe { Callable::new_with_uninit(|callable| (sys::interface_fn!(callable_custom_create))(callable, &mut info)) }
}

/// # Safety
/// `userdata` must come from [`make`] and not have been freed.
unsafe fn connection<'a>(userdata: *mut c_void) -> &'a Connection {
    // SAFETY: per the contract, a live `Box<Connection>` made by `make`.
    unsafe { &*userdata.cast::<Connection>() }
}

unsafe extern "C" fn call(
    userdata: *mut c_void,
    args: *const sys::GDExtensionConstVariantPtr,
    arg_count: sys::GDExtensionInt,
    _ret: sys::GDExtensionVariantPtr,
    error: *mut sys::GDExtensionCallError,
) {
    // SAFETY: the engine passes a valid error struct; the return value stays the nil it initialised.
    unsafe { (*error).error = sys::GDEXTENSION_CALL_OK };
    // SAFETY: the engine passes the userdata it got from `make`, alive while the callable is.
    let connection = unsafe { connection(userdata) };
    if !connection.live {
        return;
    }
    let count = usize::try_from(arg_count).unwrap_or(0);
    let args: &[sys::GDExtensionConstVariantPtr] = if count == 0 || args.is_null() {
        &[]
    } else {
        // SAFETY: the engine passes `arg_count` argument pointers, valid for the duration of the call.
        unsafe { std::slice::from_raw_parts(args, count) }
    };
    let hub = connection.hub;
    // A panic must not unwind into the engine (nor one from dropping its payload); the panic hook has
    // already reported it.
    godot_tasks_executor::drop_quietly(std::panic::catch_unwind(AssertUnwindSafe(|| {
        if godot::init::is_main_thread() {
            // SAFETY: each pointer is a live, non-null Godot Variant for the duration of the call, and
            // `Variant` has exactly the layout of Godot's Variant, so a pointer to one is a valid `&Variant`.
            let variants: &[&Variant] =
                unsafe { std::slice::from_raw_parts(args.as_ptr().cast::<&Variant>(), args.len()) };
            events::emitted(hub, variants);
        } else {
            // SAFETY: as above, each pointer is a live Variant for the duration of the call.
            let copies = unsafe { remote::copy_plain(args) };
            REMOTE.push(RemoteEvent::Emitted { hub, args: copies });
        }
    })));
}

unsafe extern "C" fn free(userdata: *mut c_void) {
    // SAFETY: the engine frees each callable once, with the userdata from `make`.
    let connection = unsafe { Box::from_raw(userdata.cast::<Connection>()) };
    if !connection.live {
        return;
    }
    let hub = connection.hub;
    godot_tasks_executor::drop_quietly(std::panic::catch_unwind(AssertUnwindSafe(|| {
        if godot::init::is_main_thread() {
            events::dropped(hub);
        } else {
            REMOTE.push(RemoteEvent::Dropped { hub });
        }
    })));
}

unsafe extern "C" fn is_valid(_userdata: *mut c_void) -> sys::GDExtensionBool {
    // Without this, the engine would judge validity by `object_id`, which is 0: invalid.
    sys::conv::SYS_TRUE
}

// Identity is the hub id's generation (never reused), so the lookup copy finds the live connection.

unsafe extern "C" fn hash(userdata: *mut c_void) -> u32 {
    // SAFETY: userdata from `make`, alive while the engine hashes the callable.
    let generation = unsafe { connection(userdata) }.hub.generation();
    (generation ^ (generation >> 32)) as u32
}

unsafe extern "C" fn equal(a: *mut c_void, b: *mut c_void) -> sys::GDExtensionBool {
    // SAFETY: both userdata from `make` (the engine compares callables with the same equal function only).
    let same = unsafe { connection(a).hub.generation() == connection(b).hub.generation() };
    if same { sys::conv::SYS_TRUE } else { sys::conv::SYS_FALSE }
}

unsafe extern "C" fn less_than(a: *mut c_void, b: *mut c_void) -> sys::GDExtensionBool {
    // SAFETY: as in `equal`.
    let less = unsafe { connection(a).hub.generation() < connection(b).hub.generation() };
    if less { sys::conv::SYS_TRUE } else { sys::conv::SYS_FALSE }
}
