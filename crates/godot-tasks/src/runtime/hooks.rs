//! The engine connections that drive the runtime: the frame and physics hooks (through the relay), the
//! exit hook and the unload hook. Attached lazily to the current `SceneTree`, never by the user.

use godot::classes::{Engine, GDExtensionManager, SceneTree, Window};
use godot::prelude::*;

use super::context::{current_executor, with_context, with_runtime};
use super::relay::{self, Relayed};
use super::service::FrameInfo;
use super::stop::{Stop, stop};
use super::{engine_exiting, executor, flush};

/// The engine connections that drive the executor.
pub(super) struct Hooks {
    tree: Gd<SceneTree>,
    root: Gd<Window>,
    frame: Callable,
    exit: Callable,
    /// Connected to `GDExtensionManager.extension_unloading`.
    unload: Callable,
    /// Attached once the time module is in use.
    physics: Option<Callable>,
}

/// Attaches the frame hook to the current runtime if it can, and says whether one runs. False without a
/// runtime, without a scene tree, during engine exit, and while the thread's locals are torn down.
pub(crate) fn ensure_frame_hook() -> bool {
    if engine_exiting() {
        return false;
    }
    attach_hooks();
    hooks_attached() == Some(true)
}

/// Makes sure the hooks that count time run, the frame hook and the physics hook, and says whether they do
/// (the time service remembers it until the runtime stops).
pub(crate) fn ensure_time_hooks() -> bool {
    let attached = || with_runtime(|r| r.hooks.as_ref().is_some_and(|h| h.physics.is_some())).unwrap_or(false);
    if attached() {
        return true;
    }
    let _ = executor();
    attach_hooks();
    attached()
}

/// Makes sure the runtime will hear of the engine's exit and of an unload, on the main thread (elsewhere it
/// does nothing): the worker pools call it when they start work, since code that offloads without ever
/// spawning a task must still have the pools stopped before the library goes away.
pub(crate) fn ensure_stop_hooks() {
    if !super::on_main_thread() || engine_exiting() {
        return;
    }
    if hooks_attached() != Some(true) {
        let _ = executor();
        attach_hooks();
    }
}

/// Whether the current runtime's hooks are attached: `None` without a runtime (or while the context is
/// borrowed, or the thread's locals are gone).
fn hooks_attached() -> Option<bool> {
    with_context(|cx| cx.runtime.try_borrow().ok().and_then(|r| r.as_ref().map(|r| r.hooks.is_some()))).flatten()
}

/// The frame (or physics tick, if `physics`) that starts, as the engine reports it; `None` without hooks.
pub(crate) fn frame_info(physics: bool) -> Option<FrameInfo> {
    let (tree, root) = with_runtime(|r| r.hooks.as_ref().map(|h| (h.tree.clone(), h.root.clone()))).flatten()?;
    let delta = if physics { root.get_physics_process_delta_time() } else { root.get_process_delta_time() };
    Some(FrameInfo { paused: tree.is_paused(), delta, time_scale: Engine::singleton().get_time_scale() })
}

fn on_physics_frame() {
    for service in crate::SERVICES {
        (service.physics)();
    }
    flush_if_ready();
}

fn on_frame() {
    // The round budget is per frame: the flushes of this frame hook, of deferred calls and of the physics
    // ticks before the next frame share it.
    if let Some(executor) = current_executor() {
        executor.start_frame();
        super::monitors::frame_started(executor.poll_count());
    }
    for service in crate::SERVICES {
        (service.frame)();
    }
    flush_if_ready();
}

/// Flushes if tasks are ready: woken by the hook's own work, from other threads, or left by the round budget.
fn flush_if_ready() {
    if with_runtime(|r| r.executor.has_ready_work()) == Some(true) {
        flush();
    }
}

fn on_engine_exit() {
    stop(Stop::EngineExit);
}

/// At `GDExtensionManager.extension_unloading(extension)`: stops the runtime if `extension` is this one.
fn on_extension_unloading(args: &[&Variant]) {
    let Some(extension) = args.first().and_then(|arg| arg.try_to::<Gd<Object>>().ok()) else { return };
    if is_this_extension(&extension) {
        stop(Stop::Unload);
    }
}

/// Whether `extension` (a `GDExtension`) is the extension this library was loaded as.
#[allow(unsafe_code)]
fn is_this_extension(extension: &Gd<Object>) -> bool {
    // SAFETY: `get_library` needs the binding initialized (it is: the engine calls into this library through
    // a callable, long after initialization) and the main thread (signal callables made with `from_fn` are
    // only called there). The library pointer Godot hands an extension at load is its `GDExtension` object,
    // which starts with its `Object` base (single inheritance), so the two pointers are equal.
    let library = unsafe { godot::sys::get_library() };
    std::ptr::eq(extension.obj_sys().cast::<std::ffi::c_void>(), library.cast::<std::ffi::c_void>())
}

pub(super) fn attach_hooks() {
    if engine_exiting() {
        return;
    }
    let (hooks_attached, physics_attached) =
        with_runtime(|r| (r.hooks.is_some(), r.hooks.as_ref().is_some_and(|h| h.physics.is_some())))
            .unwrap_or((true, true)); // no runtime: nothing to drive
    if !hooks_attached {
        let Some(hooks) = Hooks::attach() else {
            return; // No scene tree yet; the next flush tries again.
        };
        let unused = with_context(|cx| match cx.runtime.borrow_mut().as_mut() {
            Some(runtime) if runtime.hooks.is_none() => {
                runtime.hooks = Some(hooks);
                // The frame hook renews the round budget every frame from now on: budget per frame, not per
                // flush. (Without a frame hook, for example under a main loop that is not a SceneTree, the
                // budget stays per flush, since nothing would renew it.)
                runtime.executor.start_frame();
                None
            }
            _ => Some(hooks),
        });
        match unused {
            Some(Some(unused)) => unused.detach(), // outside the borrow: engine calls
            // This runtime's hooks are in place: its monitors go with them.
            Some(None) => {
                super::monitors::register(current_executor().map_or(0, |e| e.poll_count()));
                super::inspector::register();
            }
            None => {}
        }
    }
    // A service that counts physics ticks (time) wants them from its first use on, across runtime restarts.
    if !physics_attached && crate::SERVICES.iter().any(|service| (service.wants_physics)()) {
        let tree = with_runtime(|r| r.hooks.as_ref().filter(|h| h.physics.is_none()).map(|h| h.tree.clone())).flatten();
        if let Some(tree) = tree {
            let hook = Callable::from_fn("godot_tasks::physics_hook", |_args| on_physics_frame());
            let Some(physics) = relay::relay(Relayed::Physics, hook) else { return };
            super::connect_untracked(&mut tree.clone().upcast(), &"physics_frame".into(), &physics);
            let installed = with_context(|cx| match cx.runtime.borrow_mut().as_mut().and_then(|r| r.hooks.as_mut()) {
                Some(hooks) if hooks.physics.is_none() => {
                    hooks.physics = Some(physics.clone());
                    true
                }
                _ => false,
            });
            if installed != Some(true) {
                Signal::from_object_signal(&tree, "physics_frame").disconnect(&physics);
            }
        }
    }
}

impl Hooks {
    fn attach() -> Option<Self> {
        let tree = Engine::singleton().get_main_loop()?.try_cast::<SceneTree>().ok()?;
        let root = tree.get_root()?;
        let frame = relay::relay(Relayed::Frame, Callable::from_fn("godot_tasks::frame_hook", |_args| on_frame()))?;
        let exit = Callable::from_fn("godot_tasks::exit_hook", |_args| on_engine_exit());
        let unload = Callable::from_fn("godot_tasks::unload_hook", on_extension_unloading);
        super::connect_untracked(&mut tree.clone().upcast(), &"process_frame".into(), &frame);
        super::connect_untracked(&mut root.clone().upcast(), &"tree_exiting".into(), &exit);
        let mut manager = GDExtensionManager::singleton().upcast::<Object>();
        super::connect_untracked(&mut manager, &"extension_unloading".into(), &unload);
        Some(Self { tree, root, frame, exit, unload, physics: None })
    }

    pub(super) fn detach(&self) {
        let process_frame = Signal::from_object_signal(&self.tree, "process_frame");
        if process_frame.is_connected(&self.frame) {
            process_frame.disconnect(&self.frame);
        }
        let tree_exiting = Signal::from_object_signal(&self.root, "tree_exiting");
        if tree_exiting.is_connected(&self.exit) {
            tree_exiting.disconnect(&self.exit);
        }
        let unloading = Signal::from_object_signal(&GDExtensionManager::singleton(), "extension_unloading");
        if unloading.is_connected(&self.unload) {
            unloading.disconnect(&self.unload);
        }
        if let Some(physics) = &self.physics {
            let physics_frame = Signal::from_object_signal(&self.tree, "physics_frame");
            if physics_frame.is_connected(physics) {
                physics_frame.disconnect(physics);
            }
        }
    }
}
