//! The Rust side of the bridge scenarios: async funcs for GDScript to await, written with godot-tasks and
//! by hand.

use godot::prelude::*;

/// Async funcs that resolve at once (later in the frame).
#[derive(GodotClass)]
#[class(init, base = RefCounted)]
pub struct BridgeBench {
    /// The hand-written promises waiting for their deferred emission.
    promises: Vec<Gd<Promise>>,
    base: Base<RefCounted>,
}

#[godot_api]
impl BridgeBench {
    /// With godot-tasks.
    #[func]
    fn ours(&self) -> Signal {
        godot_tasks::gdscript::awaitable(async { 1 })
    }

    /// By hand: an object with a signal, emitted by a deferred call, kept alive until then.
    #[func]
    fn by_hand(&mut self) -> Signal {
        let mut promise = Promise::new_gd();
        promise.call_deferred("emit_signal", &["done".to_variant(), 1.to_variant()]);
        self.promises.push(promise.clone());
        Signal::from_object_signal(&promise, "done")
    }

    /// Releases the hand-written promises (after they emitted).
    #[func]
    fn release(&mut self) {
        self.promises.clear();
    }
}

/// A hand-written promise: one signal.
#[derive(GodotClass)]
#[class(init, base = RefCounted)]
pub struct Promise {
    base: Base<RefCounted>,
}

#[godot_api]
impl Promise {
    #[signal]
    fn done(value: i64);
}
