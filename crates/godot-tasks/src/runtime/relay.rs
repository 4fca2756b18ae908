//! The relay every engine call into the runtime goes through, except the exit and unload hooks.
//!
//! Flush requests become one deferred engine call, and the frame and physics hooks are connections to the
//! scene tree's signals. Neither may point at a Rust callable directly: Godot keeps copies of what it will
//! call (a deferred call in its message queue; the connections of a signal being emitted, for as long as
//! the emission lasts) and calls or releases them after the extension was unloaded if the unload happened
//! meanwhile, for example when a GDScript coroutine resumed by `process_frame` hot-reloads the extension.
//! A released Rust callable whose code is gone crashes the engine.
//!
//! So they all go through a relay: a plain engine object with user signals (`flush`, `frame`, `physics`),
//! reached through engine-made callables (`relay.emit_signal(NAME)`), and only the relay's own signals are
//! connected to Rust callables. When the runtime stops, those connections are removed and the relay
//! released: whatever Godot still holds then points at a freed engine object, which it skips silently.
//!
//! The relay is reference-counted: every flush runs inside one of its emissions, and a task may stop the
//! runtime (`runtime::shutdown()`) from there. Godot holds a reference for the length of an emission, so the
//! relay goes away only once that emission is over.

use godot::prelude::*;

/// What Godot calls on the relay.
#[derive(Clone, Copy, Debug)]
pub(super) enum Relayed {
    Flush,
    Frame,
    Physics,
}

impl Relayed {
    fn signal(self) -> &'static str {
        match self {
            Relayed::Flush => "flush",
            Relayed::Frame => "frame",
            Relayed::Physics => "physics",
        }
    }
}

pub(super) struct Relay {
    /// A plain `RefCounted` with one user signal per [`Relayed`].
    object: Gd<RefCounted>,
    /// `object.emit_signal("flush")`: what a flush request defers.
    pub(super) request_flush: Callable,
    /// The Rust callables connected to the relay's signals.
    connected: Vec<(Relayed, Callable)>,
}

impl Relay {
    fn new() -> Self {
        let mut object = RefCounted::new_gd();
        for relayed in [Relayed::Flush, Relayed::Frame, Relayed::Physics] {
            object.add_user_signal(relayed.signal());
        }
        let request_flush = emitter(&object, Relayed::Flush);
        let mut relay = Self { object, request_flush, connected: Vec::new() };
        relay.connect(Relayed::Flush, Callable::from_fn("godot_tasks::flush", |_args| super::flush()));
        relay
    }

    /// Connects `ours` to the signal `relayed`, replacing what was connected to it before.
    fn connect(&mut self, relayed: Relayed, ours: Callable) {
        let signal = relayed.signal();
        for (_, old) in self.connected.extract_if(.., |(kind, _)| kind.signal() == signal) {
            self.object.disconnect(signal, &old);
        }
        super::connect_untracked(&mut self.object.clone().upcast(), &StringName::from(signal), &ours);
        self.connected.push((relayed, ours));
    }
}

/// The engine-made callable `object.emit_signal(NAME)`.
fn emitter(object: &Gd<RefCounted>, relayed: Relayed) -> Callable {
    Callable::from_object_method(object, "emit_signal").bindv(&varray![relayed.signal()])
}

/// Runs `f` on the relay, made on first use; `None` once the runtime stopped for good (nothing may point
/// into the library any more) or the thread's locals are gone.
pub(super) fn with_relay<R>(f: impl FnOnce(&mut Relay) -> R) -> Option<R> {
    if super::engine_exiting() {
        return None;
    }
    super::context::with_context(|cx| f(cx.relay.borrow_mut().get_or_insert_with(Relay::new)))
}

/// Connects `hook` to the relay's signal `relayed` and returns the engine-made callable that emits it: the
/// callable to connect to the engine's signal (it holds no Rust code). `None` once the runtime stopped for
/// good.
pub(super) fn relay(relayed: Relayed, hook: Callable) -> Option<Callable> {
    with_relay(|relay| {
        relay.connect(relayed, hook);
        emitter(&relay.object, relayed)
    })
}

/// Disconnects and releases the relay (when the runtime stops): what Godot still holds reaches nothing.
pub(super) fn release_engine_objects() {
    let relay = super::context::with_context(|cx| cx.relay.borrow_mut().take()).flatten();
    if let Some(Relay { mut object, request_flush, connected }) = relay {
        for (relayed, ours) in &connected {
            object.disconnect(relayed.signal(), ours);
        }
        drop((object, request_flush, connected));
    }
}
