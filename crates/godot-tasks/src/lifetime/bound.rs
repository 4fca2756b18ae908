//! A task bound to an object: cancelled when the object is freed (or, optionally, leaves the tree).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use godot::builtin::{Signal, Variant};
use godot::classes::Object;
use godot::obj::{Gd, InstanceId};
use pin_project_lite::pin_project;

use crate::signal::{SignalExt, TryEmissions};

/// Notices that an object was freed, without polling anything per frame: a stream over a signal every
/// object has (`script_changed`) ends when the engine drops the connection as the object dies.
struct FreedWatch {
    /// Checked first: a free on another thread (or, in the editor, any free) reaches the connection only
    /// later.
    object: InstanceId,
    freed: TryEmissions<Vec<Variant>>,
}

impl FreedWatch {
    /// Starts watching now.
    fn new(object: &Gd<Object>) -> Self {
        Self {
            object: object.instance_id(),
            freed: Signal::from_object_signal(object, "script_changed").try_emissions(),
        }
    }

    /// Whether the object is gone; otherwise `cx` is woken when it goes.
    fn poll_freed(&mut self, cx: &mut Context<'_>) -> bool {
        if !self.object.lookup_validity() {
            return true;
        }
        loop {
            match Pin::new(&mut self.freed).poll_next(cx) {
                Poll::Ready(Some(_)) => continue, // the object's script changed: not our business
                Poll::Ready(None) => return true,
                Poll::Pending => return false,
            }
        }
    }
}

/// What ends a bound task besides its own completion.
pub(crate) struct Watch {
    /// Checked before every poll, so that the task never runs once its object is gone.
    freed: FreedWatch,
    /// Yields when the node starts leaving the tree (or ends when it is freed).
    exits_tree: Option<TryEmissions<Vec<Variant>>>,
}

impl Watch {
    /// Starts watching now, so that an object freed before the task's first poll still cancels it.
    pub(crate) fn new(object: &Gd<Object>, exits_tree: bool) -> Self {
        Self {
            freed: FreedWatch::new(object),
            exits_tree: exits_tree.then(|| Signal::from_object_signal(object, "tree_exiting").try_emissions()),
        }
    }

    /// Whether the task must end now.
    fn must_end(&mut self, cx: &mut Context<'_>) -> bool {
        if self.freed.poll_freed(cx) {
            return true;
        }
        match &mut self.exits_tree {
            // An emission of `tree_exiting`, or the end of the stream (the node was freed).
            Some(exits) => matches!(Pin::new(exits).poll_next(cx), Poll::Ready(Some(Ok(_)) | None)),
            None => false,
        }
    }
}

pin_project! {
    /// The future of a bound task: checks the watch before every poll of the inner future.
    pub(crate) struct Bound<F> {
        #[pin]
        inner: F,
        watch: Watch,
        ended: bool,
    }
}

impl<F: Future> Bound<F> {
    pub(crate) fn new(inner: F, watch: Watch) -> Self {
        Self { inner, watch, ended: false }
    }
}

impl<F: Future> Future for Bound<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        // The watch's signal waits are the binding, not something the task awaits: kept out of its snapshot.
        if !*this.ended && crate::runtime::quietly(|| this.watch.must_end(cx)) {
            *this.ended = true;
            // The task cancels itself: its future is dropped as soon as this poll returns, never polled again.
            crate::runtime::cancel_current_task();
        }
        if *this.ended {
            return Poll::Pending;
        }
        this.inner.poll(cx)
    }
}
