//! Every emission of a signal, in order, as a stream.

use std::future::Future;
use std::marker::PhantomData;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::{FusedStream, Stream};
use godot::builtin::Signal;

use super::registry::Wants;
use super::subscription::Subscription;
use super::{SignalArgs, SignalError, SignalErrorKind};
use crate::runtime;

/// Every emission of a signal from the moment it is made, in order, each as a `Result`; ends when the emitter
/// is freed.
///
/// Made by [`SignalExt::try_emissions`](super::SignalExt::try_emissions) or
/// [`TypedSignalExt::try_emissions`](super::TypedSignalExt::try_emissions). It stays connected while it
/// lives (through a connection shared with every other future and stream on the same signal); dropping it
/// unsubscribes.
///
/// **Queue policy:** emissions that arrive between two polls are queued without bound and never dropped or
/// merged, so a stream that is not polled for a long time while its signal fires keeps them all in memory.
/// Emissions still queued when the emitter is freed are delivered before the stream ends.
///
/// An emission that cannot be delivered (its arguments do not convert to `A`, or they may not cross from
/// the thread that emitted) is an `Err` item; the stream goes on. A missing signal is one `Err`, then the end.
///
/// # Example
///
/// ```no_run
/// use godot::prelude::*;
/// use godot_tasks::signal::SignalExt;
///
/// # fn example(score: Gd<Node>) {
/// godot_tasks::spawn(async move {
///     let mut changes = Signal::from_object_signal(&score, "changed").try_emissions::<(i64,)>();
///     while let Some(change) = changes.next().await {
///         match change {
///             Ok((points,)) => godot_print!("score: {points}"),
///             Err(error) => godot_error!("{error}"),
///         }
///     }
/// })
/// .detach();
/// # }
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct TryEmissions<A> {
    state: State,
    made_at: &'static Location<'static>,
    _args: PhantomData<fn() -> A>,
}

impl<A> std::fmt::Debug for TryEmissions<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match &self.state {
            State::Subscribed(_) => "subscribed",
            State::Failed(_) => "failed",
            State::Ended => "ended",
        };
        f.debug_struct("TryEmissions").field("state", &state).field("made_at", &self.made_at).finish()
    }
}

enum State {
    Subscribed(Subscription),
    Failed(SignalError),
    Ended,
}

impl<A: SignalArgs> TryEmissions<A> {
    pub(super) fn new(signal: &Signal, made_at: &'static Location<'static>) -> Self {
        let state = match Subscription::new(signal, Wants::Every) {
            Ok(subscription) => State::Subscribed(subscription),
            // A stream of a dead emitter is simply over.
            Err(error) if error.kind() == &SignalErrorKind::EmitterFreed => State::Ended,
            Err(error) => State::Failed(error),
        };
        Self { state, made_at, _args: PhantomData }
    }

    /// The next item, or `None` at the end; the same as `StreamExt::next` without importing it.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use godot::prelude::*;
    /// use godot_tasks::signal::SignalExt;
    ///
    /// # async fn example(node: Gd<Node>) {
    /// let mut renamed = Signal::from_object_signal(&node, "renamed").try_emissions::<()>();
    /// while let Some(Ok(())) = renamed.next().await {
    ///     godot_print!("now called {}", node.get_name());
    /// }
    /// # }
    /// ```
    #[allow(clippy::should_implement_trait, reason = "the name and meaning of `StreamExt::next`, not `Iterator`'s")]
    pub fn next(&mut self) -> Next<'_, Self> {
        Next(self)
    }
}

impl<A: SignalArgs> Stream for TryEmissions<A> {
    type Item = Result<A, SignalError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let item = match &this.state {
            State::Subscribed(subscription) => match subscription.poll_next_queued(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(args))) => A::from_args(&args).map_err(|kind| subscription.error(kind)),
                Poll::Ready(Some(Err(error))) => Err(error),
                Poll::Ready(None) => {
                    this.state = State::Ended;
                    return Poll::Ready(None);
                }
            },
            State::Failed(_) => match std::mem::replace(&mut this.state, State::Ended) {
                State::Failed(error) => Err(error),
                _ => unreachable!(),
            },
            State::Ended => return Poll::Ready(None),
        };
        Poll::Ready(Some(item.map_err(|error| error.met(this.made_at))))
    }
}

impl<A: SignalArgs> FusedStream for TryEmissions<A> {
    fn is_terminated(&self) -> bool {
        matches!(self.state, State::Ended)
    }
}

/// Every emission of a signal from the moment it is made, in order; ends when the emitter is freed; panics
/// on an emission it cannot deliver.
///
/// Made by [`SignalExt::emissions`](super::SignalExt::emissions) or
/// [`TypedSignalExt::emissions`](super::TypedSignalExt::emissions). Behaves like [`TryEmissions`] (same
/// connection sharing and queue policy), but panics where that yields an `Err`, with the error's message and
/// the place the stream was made.
///
/// # Example
///
/// ```no_run
/// use godot::classes::Timer;
/// use godot::prelude::*;
/// use godot_tasks::signal::TypedSignalExt;
///
/// # fn example(timer: Gd<Timer>) {
/// godot_tasks::spawn(async move {
///     let mut ticks = timer.signals().timeout().emissions();
///     let mut count = 0;
///     while ticks.next().await.is_some() {
///         count += 1;
///         godot_print!("tick {count}");
///     }
///     godot_print!("the timer was freed");
/// })
/// .detach();
/// # }
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct Emissions<A> {
    inner: TryEmissions<A>,
}

impl<A> std::fmt::Debug for Emissions<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emissions").field("inner", &self.inner).finish()
    }
}

impl<A: SignalArgs> Emissions<A> {
    pub(super) fn new(signal: &Signal, made_at: &'static Location<'static>) -> Self {
        Self { inner: TryEmissions::new(signal, made_at) }
    }

    /// The next emission, or `None` once the emitter is freed; the same as `StreamExt::next` without
    /// importing it.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use godot::prelude::*;
    /// use godot_tasks::signal::SignalExt;
    ///
    /// # async fn example(node: Gd<Node>) {
    /// let mut hits = Signal::from_object_signal(&node, "hit").emissions::<(i64,)>();
    /// while let Some((damage,)) = hits.next().await {
    ///     godot_print!("took {damage} damage");
    /// }
    /// # }
    /// ```
    #[allow(clippy::should_implement_trait, reason = "the name and meaning of `StreamExt::next`, not `Iterator`'s")]
    pub fn next(&mut self) -> Next<'_, Self> {
        Next(self)
    }
}

impl<A: SignalArgs> Stream for Emissions<A> {
    type Item = A;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<A>> {
        match Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Ready(Some(Ok(args))) => Poll::Ready(Some(args)),
            Poll::Ready(Some(Err(_))) if runtime::engine_exiting() => Poll::Pending,
            Poll::Ready(Some(Err(error))) => panic!("{error}"),
        }
    }
}

impl<A: SignalArgs> FusedStream for Emissions<A> {
    fn is_terminated(&self) -> bool {
        self.inner.is_terminated()
    }
}

/// The future returned by `next()` on a signal stream or on [`LoadProgress`](crate::resources::LoadProgress).
///
/// Cancellation-safe: dropping it before it resolves loses no item (signal emissions stay queued in the
/// stream; a load's progress is read again).
///
/// # Example
///
/// ```no_run
/// use godot::prelude::*;
/// use godot_tasks::signal::SignalExt;
///
/// # async fn example(node: Gd<Node>) {
/// let mut hits = Signal::from_object_signal(&node, "hit").emissions::<()>();
/// let first: Option<()> = hits.next().await;
/// # }
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Next<'a, S>(pub(crate) &'a mut S);

impl<S> std::fmt::Debug for Next<'_, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Next").finish_non_exhaustive()
    }
}

impl<S: Stream + Unpin> Future for Next<'_, S> {
    type Output = Option<S::Item>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut *self.0).poll_next(cx)
    }
}
