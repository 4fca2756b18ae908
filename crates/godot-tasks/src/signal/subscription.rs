//! A future's or stream's place in a hub, from its creation (connected at once) to its drop (unsubscribed).

use std::marker::PhantomData;
use std::rc::Rc;
use std::task::{Context, Poll};

use godot::builtin::{Signal, Variant};

use super::describe;
use super::events::drain_remote;
use super::hubs::{self, SignalKey, with_hubs};
use super::lifecycle::release_idle;
use super::registry::{HubId, Polled, WaiterKey, Wants};
use super::remote::REMOTE;
use super::{SignalError, SignalErrorKind};
use crate::runtime::{self, Awaiting};

/// A subscriber of one hub. Main thread only; dropping it unsubscribes.
pub(super) struct Subscription {
    hub: HubId,
    waiter: WaiterKey,
    _main_thread_only: PhantomData<Rc<()>>,
}

impl Subscription {
    /// Subscribes to `signal`, connecting to the engine if no hub serves it yet.
    pub(super) fn new(signal: &Signal, wants: Wants) -> Result<Self, SignalError> {
        // Emissions from other threads that happened before this subscription are not its business.
        if REMOTE.has_pending() {
            drain_remote();
        }
        // The open hub for `signal`: most often the one the last subscriber joined, else looked up by key (read
        // from the signal only then, and kept for connecting if no hub serves it).
        let (open, key) = match with_hubs(|hubs| hubs.recent(signal)).flatten() {
            Some(recent) => (Some(recent), None),
            None => {
                let key = key_of(signal)?;
                let open = with_hubs(|hubs| {
                    hubs.registry.open_hub(&key).map(|(id, hub)| (id, key.emitter, hub.connection.lookup.clone()))
                });
                (open.flatten(), Some(key))
            }
        };
        // An open hub serves it if its connection is still in place: code that saves an object's connections,
        // disconnects them and reconnects them later may have disconnected ours meanwhile. Then the old hub
        // keeps its subscribers (a reconnection reaches them), and new ones get a connection of their own.
        if let Some((hub, emitter, lookup)) = open {
            // (A freed emitter is asked nothing: in the editor its hub stays open until the next frame.)
            let connected = emitter.lookup_validity() && signal.is_connected(&lookup);
            if connected {
                if let Some(waiter) = with_hubs(|hubs| hubs.join(hub, wants)).flatten() {
                    return Ok(Self::at(hub, waiter));
                }
            } else {
                let _ = with_hubs(|hubs| hubs.registry.forget(hub));
            }
        }
        let key = match key {
            Some(key) => key,
            None => key_of(signal)?,
        };
        let hub = hubs::connect(signal, key)?;
        let waiter = with_hubs(|hubs| hubs.join(hub, wants))
            .flatten()
            .expect("godot-tasks: a signal hub vanished while it was being connected (a bug)");
        Ok(Self::at(hub, waiter))
    }

    fn at(hub: HubId, waiter: WaiterKey) -> Self {
        Self { hub, waiter, _main_thread_only: PhantomData }
    }

    /// The first emission since this subscription was made, or an error once the emitter is gone.
    pub(super) fn poll_next_once(&self, cx: &Context<'_>) -> Poll<Result<Rc<[Variant]>, SignalError>> {
        let (poll, replaced) = with_hubs(|hubs| match hubs.registry.poll(self.hub, self.waiter, cx.waker()) {
            Polled::Emission(emission) => (Poll::Ready(emission.map_err(|kind| hubs.error(self.hub, *kind))), None),
            Polled::Closed => (Poll::Ready(Err(hubs.error(self.hub, SignalErrorKind::EmitterFreed))), None),
            Polled::Gone => (Poll::Ready(Err(unknown_hub())), None),
            Polled::Pending(replaced) => (Poll::Pending, replaced),
        })
        .unwrap_or_else(|| (Poll::Ready(Err(unknown_hub())), None));
        // Outside the borrow: a foreign executor's waker may run code when dropped.
        drop(replaced);
        if poll.is_pending() {
            self.note_awaiting();
        }
        poll
    }

    /// The next queued emission; `None` once the emitter is gone and the queue is empty.
    pub(super) fn poll_next_queued(&self, cx: &Context<'_>) -> Poll<Option<Result<Rc<[Variant]>, SignalError>>> {
        let (poll, replaced) = with_hubs(|hubs| match hubs.registry.poll(self.hub, self.waiter, cx.waker()) {
            Polled::Emission(emission) => {
                (Poll::Ready(Some(emission.map_err(|kind| hubs.error(self.hub, *kind)))), None)
            }
            Polled::Closed | Polled::Gone => (Poll::Ready(None), None),
            Polled::Pending(replaced) => (Poll::Pending, replaced),
        })
        .unwrap_or((Poll::Ready(None), None));
        drop(replaced);
        if poll.is_pending() {
            self.note_awaiting();
        }
        poll
    }

    /// Records the signal as what the task being polled awaits (for `runtime::tasks`), if tracking is on.
    fn note_awaiting(&self) {
        runtime::note_awaiting(|| {
            with_hubs(|hubs| {
                hubs.registry.hub(self.hub).map(|hub| Awaiting::Signal {
                    emitter: hub.connection.emitter.clone(),
                    emitter_id: Some(hub.key.emitter),
                    signal: hub.key.name.to_string(),
                })
            })
            .flatten()
            .unwrap_or_else(|| Awaiting::Signal {
                emitter: describe::UNKNOWN.to_owned(),
                emitter_id: None,
                signal: describe::UNKNOWN.to_owned(),
            })
        });
    }

    /// An error about this subscription's signal.
    pub(super) fn error(&self, kind: SignalErrorKind) -> SignalError {
        with_hubs(|hubs| hubs.error(self.hub, kind.clone()))
            .unwrap_or_else(|| SignalError::new(kind, describe::UNKNOWN, describe::UNKNOWN))
    }
}

/// The emitter and the name of `signal`, or the error for a signal whose object is already gone.
fn key_of(signal: &Signal) -> Result<SignalKey, SignalError> {
    let name = signal.name();
    match signal.object_id() {
        Some(emitter) => Ok(SignalKey { emitter, name }),
        None => Err(SignalError::new(SignalErrorKind::EmitterFreed, describe::NO_LONGER_EXISTS, &name.to_string())),
    }
}

/// The error for a subscription whose hub is gone, which only happens while the thread exits.
fn unknown_hub() -> SignalError {
    SignalError::new(SignalErrorKind::EmitterFreed, describe::OF_A_GONE_RUNTIME, describe::UNKNOWN)
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let Some(departure) = with_hubs(|hubs| hubs.registry.unsubscribe(self.hub, self.waiter)) else {
            return;
        };
        let release_now = departure.became_idle;
        // Outside the borrow: the waiter may hold the last reference to an emitted object.
        drop(departure);
        if release_now && !runtime::ensure_frame_hook() {
            release_idle();
        }
    }
}
