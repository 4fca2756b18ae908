//! Awaiting the next emission of a signal.

use std::future::Future;
use std::marker::PhantomData;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::FusedFuture;
use godot::builtin::Signal;

use super::registry::Wants;
use super::subscription::Subscription;
use super::{SignalArgs, SignalError};
use crate::runtime;

/// Resolves with the arguments of the next emission of a signal, or a [`SignalError`].
///
/// Made by [`SignalExt::try_next_emission`](super::SignalExt::try_next_emission) or
/// [`TypedSignalExt::try_next_emission`](super::TypedSignalExt::try_next_emission). It is connected from
/// the moment it is created: an emission before its first poll is not lost. Dropping it unsubscribes.
///
/// Resolves to an error if the emitter is freed first ([`EmitterFreed`](super::SignalErrorKind::EmitterFreed)),
/// if the object has no such signal, if the arguments do not convert to `A`, or if the signal was emitted
/// on another thread with arguments that must stay there.
///
/// Dropping it unsubscribes at once. It is not cancellation-safe in the `select!` sense: an emission it has
/// already received is dropped with it. To wait for a signal again and again inside a `select!` loop, keep
/// a stream ([`emissions`](super::SignalExt::emissions)) outside the loop instead: its queue keeps every
/// emission across polls.
///
/// # Example
///
/// ```no_run
/// use godot::prelude::*;
/// use godot_tasks::signal::SignalExt;
///
/// # fn example(door: Gd<Node>) {
/// let opened = Signal::from_object_signal(&door, "opened").try_next_emission::<(i64,)>();
/// godot_tasks::spawn(async move {
///     match opened.await {
///         Ok((by_player,)) => godot_print!("opened by player {by_player}"),
///         Err(error) => godot_print!("never opened: {error}"),
///     }
/// })
/// .detach();
/// # }
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct TryNextEmission<A> {
    state: State,
    made_at: &'static Location<'static>,
    _args: PhantomData<fn() -> A>,
}

impl<A> std::fmt::Debug for TryNextEmission<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match &self.state {
            State::Waiting(_) => "waiting",
            State::Failed(_) => "failed",
            State::Done => "done",
        };
        f.debug_struct("TryNextEmission").field("state", &state).field("made_at", &self.made_at).finish()
    }
}

enum State {
    Waiting(Subscription),
    Failed(SignalError),
    Done,
}

impl<A: SignalArgs> TryNextEmission<A> {
    pub(crate) fn new(signal: &Signal, made_at: &'static Location<'static>) -> Self {
        let state = match Subscription::new(signal, Wants::Next) {
            Ok(subscription) => State::Waiting(subscription),
            Err(error) => State::Failed(error),
        };
        Self { state, made_at, _args: PhantomData }
    }
}

impl<A: SignalArgs> Future for TryNextEmission<A> {
    type Output = Result<A, SignalError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let outcome = match std::mem::replace(&mut this.state, State::Done) {
            State::Waiting(subscription) => match subscription.poll_next_once(cx) {
                Poll::Pending => {
                    this.state = State::Waiting(subscription);
                    return Poll::Pending;
                }
                // The subscription is dropped at the end of this arm: done with the connection.
                Poll::Ready(Ok(args)) => A::from_args(&args).map_err(|kind| subscription.error(kind)),
                Poll::Ready(Err(error)) => Err(error),
            },
            State::Failed(error) => Err(error),
            State::Done => panic!("godot-tasks: a signal future was polled after it completed"),
        };
        Poll::Ready(outcome.map_err(|error| error.met(this.made_at)))
    }
}

impl<A: SignalArgs> FusedFuture for TryNextEmission<A> {
    fn is_terminated(&self) -> bool {
        matches!(self.state, State::Done)
    }
}

/// Resolves with the arguments of the next emission of a signal; panics if that cannot happen.
///
/// Made by [`SignalExt::next_emission`](super::SignalExt::next_emission) or
/// [`TypedSignalExt::next_emission`](super::TypedSignalExt::next_emission). Behaves like
/// [`TryNextEmission`], but where that gives an error this panics with the error's message and the place the
/// future was made. A panic inside a task ends only that task: its handle reports it and Godot's output shows
/// it. While the engine shuts down it never panics: it stays pending (also when polled again) and is dropped
/// with its task. In a task with [GDScript timing](crate::TaskBuilder::gdscript_timing), a freed emitter ends
/// the task quietly instead (a cancellation), as GDScript ends the coroutine.
///
/// Like [`TryNextEmission`], not cancellation-safe: an emission already received is dropped with it.
///
/// # Example
///
/// ```no_run
/// use godot::classes::Timer;
/// use godot::prelude::*;
/// use godot_tasks::signal::TypedSignalExt;
///
/// # fn example(mut timer: Gd<Timer>) {
/// godot_tasks::spawn(async move {
///     timer.start();
///     timer.signals().timeout().next_emission().await;
///     godot_print!("time is up");
/// })
/// .detach();
/// # }
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct NextEmission<A> {
    inner: TryNextEmission<A>,
    /// Set when it failed during engine exit: from then on it stays pending (and terminated) without
    /// touching the finished inner future again.
    dead: bool,
}

impl<A> std::fmt::Debug for NextEmission<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NextEmission").field("inner", &self.inner).finish_non_exhaustive()
    }
}

impl<A: SignalArgs> NextEmission<A> {
    pub(super) fn new(signal: &Signal, made_at: &'static Location<'static>) -> Self {
        Self { inner: TryNextEmission::new(signal, made_at), dead: false }
    }
}

impl<A: SignalArgs> Future for NextEmission<A> {
    type Output = A;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<A> {
        if self.dead {
            return Poll::Pending;
        }
        match Pin::new(&mut self.inner).poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(args)) => Poll::Ready(args),
            // Emitters die in any order during teardown; the task is about to be dropped anyway.
            Poll::Ready(Err(_)) if runtime::engine_exiting() => {
                self.dead = true;
                Poll::Pending
            }
            // GDScript timing: a freed emitter ends the task quietly, as it ends a GDScript coroutine.
            Poll::Ready(Err(error)) if error.is_cancelled() && runtime::cancel_current_inline_task() => {
                self.dead = true;
                Poll::Pending
            }
            Poll::Ready(Err(error)) => panic!("{error}"),
        }
    }
}

impl<A: SignalArgs> FusedFuture for NextEmission<A> {
    fn is_terminated(&self) -> bool {
        self.inner.is_terminated()
    }
}
