//! What a service (signals, time, threads, the GDScript bridge) hands the runtime: its hooks.
//!
//! The runtime knows services only through this table, wired once at the crate root ([`crate::SERVICES`]):
//! dependencies run services → runtime → executor, and adding a service means adding one entry there.

use super::Stop;

/// The hooks of one service. The runtime calls them on the main thread, in the order of
/// [`crate::SERVICES`].
pub(crate) struct Service {
    /// At the start of every frame, before the runtime flushes the tasks that are ready (it may wake some).
    pub(crate) frame: fn(),
    /// At every physics tick, while [`wants_physics`](Self::wants_physics) says so; before the flush.
    pub(crate) physics: fn(),
    /// Whether the runtime must attach its physics hook (checked when hooks attach).
    pub(crate) wants_physics: fn() -> bool,
    /// When the runtime stops, after every task's future was dropped and before the runtime releases its
    /// own engine objects.
    pub(crate) stop: fn(Stop),
}

impl Service {
    /// A service with no hooks; fill in the ones it has.
    pub(crate) const NONE: Service = Service { frame: || {}, physics: || {}, wants_physics: || false, stop: |_| {} };
}

/// What a service needs to know about the frame or tick that starts, read from the engine on demand.
pub(crate) struct FrameInfo {
    pub(crate) paused: bool,
    /// The frame's (or tick's) delta as the engine computed it, scaled by `Engine.time_scale`.
    pub(crate) delta: f64,
    pub(crate) time_scale: f64,
}
