//! What the engine reports about a connection (an emission, its drop), on the main thread or relayed from
//! another one, turned into deliveries and wakes.
//!
//! Emissions and drops relayed from other threads (see [`remote`](super::remote)) are handed over before
//! anything that happens on the main thread, so the order in which they happened is kept.

use godot::builtin::Variant;
use godot_tasks_executor::Executor;

use super::hubs::{Emission, wake_all, with_hubs};
use super::registry::HubId;
use super::remote::{REMOTE, RemoteEvent};

/// The engine called the connection on the main thread.
pub(super) fn emitted(hub: HubId, args: &[&Variant]) {
    if REMOTE.has_pending() {
        drain_remote();
    }
    let emission = |no_args: &std::rc::Rc<[Variant]>| {
        Ok(if args.is_empty() { no_args.clone() } else { args.iter().map(|&arg| arg.clone()).collect() })
    };
    match crate::runtime::executor_with_inline_tasks() {
        // Some task has GDScript timing: it resumes inside this emission, as a GDScript coroutine would.
        Some(executor) => deliver_inside(hub, emission, &executor),
        None => deliver(hub, emission),
    }
}

/// As [`deliver`], but tasks with GDScript timing are polled now, inside the emission, in the order they
/// subscribed; the others are queued in one batch as usual.
fn deliver_inside(hub: HubId, emission: impl FnOnce(&std::rc::Rc<[Variant]>) -> Emission, executor: &Executor) {
    let delivered = with_hubs(|hubs| {
        let mut wakers = hubs.take_wakers();
        let no_args = &hubs.no_args;
        hubs.registry.deliver(hub, || emission(no_args), &mut wakers);
        let inline: Vec<_> = wakers.extract_if(.., |waker| executor.wakes_inline(waker)).collect();
        // Described only when some task will run inside the emission (for the message of a failed bind).
        let signal = (!inline.is_empty()).then(|| hubs.describe(hub));
        (wakers, inline, signal)
    });
    let Some((others, mut inline, signal)) = delivered else { return };
    wake_all(others);
    if let Some(signal) = signal {
        crate::gdscript_timing::wake_inside_emission(executor, &mut inline, signal.into());
    }
}

/// Hands one emission to every current subscriber of `hub`, then wakes them. `emission` gets the shared
/// empty argument list, and is called only if someone receives it.
fn deliver(hub: HubId, emission: impl FnOnce(&std::rc::Rc<[Variant]>) -> Emission) {
    let wakers = with_hubs(|hubs| {
        let mut wakers = hubs.take_wakers();
        let no_args = &hubs.no_args;
        hubs.registry.deliver(hub, || emission(no_args), &mut wakers);
        wakers
    });
    if let Some(wakers) = wakers {
        wake_all(wakers);
    }
}

/// The engine dropped the connection on the main thread: the emitter is being freed. Emissions queued by
/// other threads before that are delivered first.
pub(super) fn dropped(hub: HubId) {
    if REMOTE.has_pending() {
        drain_remote();
    }
    closed(hub);
}

/// Marks a hub closed and wakes its subscribers, who see the end after what was delivered before.
pub(super) fn closed(hub: HubId) {
    let closed = with_hubs(|hubs| {
        let mut wakers = hubs.take_wakers();
        let unused = hubs.registry.close(hub, &mut wakers);
        (unused, wakers)
    });
    if let Some((unused, wakers)) = closed {
        drop(unused);
        wake_all(wakers);
    }
}

/// Delivers what other threads did to connections, in the order they did it.
pub(super) fn drain_remote() {
    for event in REMOTE.take() {
        match event {
            RemoteEvent::Emitted { hub, args } => deliver(hub, |_| {
                args.map(|values| values.into_iter().map(|value| value.into_variant()).collect()).map_err(Box::new)
            }),
            RemoteEvent::Dropped { hub } => closed(hub),
        }
    }
}
