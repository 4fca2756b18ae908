//! Jobs for Godot's `WorkerThreadPool`, submitted from Rust without the `godot` crate's
//! `experimental-threads` feature, so that the bench can compare that pool with the one godot-tasks uses.
//!
//! The pool calls its job (a `Callable`) on one of its threads. Without `experimental-threads`, a callable
//! made with the `godot` crate's `Callable::from_fn` panics when called off the main thread, so each job is
//! a custom callable made through the GDExtension interface: calling it runs a Rust closure and touches
//! nothing else. This is the cost any Rust code pays to use the engine's pool.

#![allow(unsafe_code)]

use std::ffi::c_void;
use std::sync::Mutex;

use godot::builtin::Callable;
use godot::sys::{self, GodotFfi};

/// What a job callable points to: its closure, taken by the first call.
struct Job {
    work: Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

/// A callable that runs `work` the first time it is called, on whichever thread calls it.
pub fn job(work: impl FnOnce() + Send + 'static) -> Callable {
    let job = Box::new(Job { work: Mutex::new(Some(Box::new(work))) });
    let mut info = sys::GDExtensionCallableCustomInfo {
        callable_userdata: Box::into_raw(job).cast::<c_void>(),
        // SAFETY: the library pointer is set when the extension is initialised, before any bench code runs.
        token: unsafe { sys::get_library() }.cast::<c_void>(),
        object_id: 0,
        call_func: Some(call),
        is_valid_func: Some(is_valid),
        free_func: Some(free),
        hash_func: None,
        equal_func: None,
        less_than_func: None,
        to_string_func: None,
    };
    // SAFETY: `info` is complete and outlives the call; the engine copies it and owns the userdata from
    // now on, handing it back to `free` exactly once. Called on the main thread.
    unsafe { Callable::new_with_uninit(|callable| (sys::interface_fn!(callable_custom_create))(callable, &mut info)) }
}

unsafe extern "C" fn call(
    userdata: *mut c_void,
    _args: *const sys::GDExtensionConstVariantPtr,
    _arg_count: sys::GDExtensionInt,
    _ret: sys::GDExtensionVariantPtr,
    error: *mut sys::GDExtensionCallError,
) {
    // SAFETY: the engine passes a valid error struct; the return value stays the nil it initialised.
    unsafe { (*error).error = sys::GDEXTENSION_CALL_OK };
    // SAFETY: the engine passes the userdata made by `job`, alive while the callable is.
    let job = unsafe { &*userdata.cast::<Job>() };
    let work = job.work.lock().map(|mut work| work.take()).unwrap_or(None);
    if let Some(work) = work {
        // A panic must not unwind into the engine.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
    }
}

unsafe extern "C" fn free(userdata: *mut c_void) {
    // SAFETY: the engine frees each callable once, with the userdata made by `job`; its contents are `Send`.
    drop(unsafe { Box::from_raw(userdata.cast::<Job>()) });
}

unsafe extern "C" fn is_valid(_userdata: *mut c_void) -> sys::GDExtensionBool {
    // Otherwise the engine would judge validity by `object_id`, which is 0: invalid.
    sys::conv::SYS_TRUE
}
