//! The future of one load, and the stream of its progress.

use std::future::Future;
use std::marker::PhantomData;
use std::panic::Location;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use futures_core::{FusedFuture, Stream};
use godot::classes::Resource;
use godot::obj::{Gd, GodotClass, Inherits};

use super::requests::{self, ProgressNow};
use super::{LoadError, LoadErrorKind};
use crate::runtime::{self, Awaiting};

/// Resolves with the resource at a path, loaded on Godot's threaded loader; made by [`load`](super::load).
///
/// The load starts when this is made, whether or not it is awaited. [`progress`](Self::progress) follows it.
/// Dropping it before the load ends costs nothing more: Godot cannot cancel a threaded load, so the load goes
/// on, and the runtime claims the resource when it ends and drops it (unless something else uses it, it is
/// freed then; Godot's resource cache keeps nothing that nobody holds).
#[must_use = "futures do nothing unless awaited (the load runs, but its result is dropped)"]
pub struct Load<T: GodotClass> {
    path: Rc<str>,
    /// `Err` if the load could not start; taken when the future resolves.
    joined: Option<Result<(), LoadErrorKind>>,
    made_at: &'static Location<'static>,
    _type: PhantomData<fn() -> T>,
}

impl<T: GodotClass> std::fmt::Debug for Load<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Load")
            .field("path", &self.path)
            .field("type", &T::class_id().to_string())
            .field("made_at", &self.made_at)
            .finish_non_exhaustive()
    }
}

impl<T: GodotClass + Inherits<Resource>> Load<T> {
    pub(super) fn new(path: &str, made_at: &'static Location<'static>) -> Self {
        Self { path: path.into(), joined: Some(requests::join(path)), made_at, _type: PhantomData }
    }

    /// The path being loaded.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// A stream of the load's progress, from 0.0 to 1.0, for a loading bar: each value it yields is larger
    /// than the one before, the last is 1.0, and then it ends. It ends without 1.0 if the load fails. Several
    /// streams (and futures) of one path follow the same load.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use godot::classes::{PackedScene, ProgressBar};
    /// use godot::prelude::*;
    /// use godot_tasks::resources;
    ///
    /// # async fn example(mut bar: Gd<ProgressBar>) {
    /// let level = resources::load::<PackedScene>("res://levels/forest.tscn");
    /// let mut progress = level.progress();
    /// godot_tasks::spawn(async move {
    ///     while let Some(done) = progress.next().await {
    ///         bar.set_value(f64::from(done) * 100.0);
    ///     }
    /// })
    /// .detach();
    /// let level = level.await;
    /// # }
    /// ```
    pub fn progress(&self) -> LoadProgress {
        LoadProgress::new(&self.path)
    }
}

impl<T: GodotClass + Inherits<Resource>> Future for Load<T> {
    type Output = Result<Gd<T>, LoadError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let error = |kind| LoadError::new(kind, &this.path, this.made_at);
        match this.joined.as_ref() {
            None => panic!("godot-tasks: a resource Load was polled after it completed (made at {})", this.made_at),
            Some(Err(kind)) => {
                let kind = kind.clone();
                this.joined = None;
                return Poll::Ready(Err(error(kind)));
            }
            Some(Ok(())) => {}
        }
        let outcome = match requests::poll(&this.path, cx.waker()) {
            Some(ProgressNow::Loading(_)) => {
                let path = this.path.clone();
                runtime::note_awaiting(|| Awaiting::Load { path: path.to_string() });
                return Poll::Pending;
            }
            Some(ProgressNow::Done(Ok(resource))) => resource.try_cast::<T>().map_err(|resource| {
                error(LoadErrorKind::WrongType {
                    expected: T::class_id().to_string(),
                    found: resource.get_class().to_string(),
                })
            }),
            Some(ProgressNow::Done(Err(kind))) => Err(error(kind)),
            // The record went with the runtime (exit or unload).
            None => Err(error(LoadErrorKind::Cancelled)),
        };
        this.joined = None;
        requests::leave(&this.path);
        Poll::Ready(outcome)
    }
}

impl<T: GodotClass + Inherits<Resource>> FusedFuture for Load<T> {
    fn is_terminated(&self) -> bool {
        self.joined.is_none()
    }
}

impl<T: GodotClass> Drop for Load<T> {
    fn drop(&mut self) {
        if let Some(Ok(())) = self.joined {
            requests::leave(&self.path);
        }
    }
}

/// The progress of a load, from 0.0 to 1.0: made by [`Load::progress`]. See there.
#[must_use = "streams do nothing unless polled"]
#[derive(Debug)]
pub struct LoadProgress {
    path: Rc<str>,
    /// The last value yielded (below 0.0 before the first).
    last: f32,
    /// Whether it still counts as a user of the load.
    joined: bool,
}

impl LoadProgress {
    fn new(path: &Rc<str>) -> Self {
        // A path whose load could not start has no record: the stream ends at once.
        let joined = requests::join_existing(path);
        Self { path: path.clone(), last: -1.0, joined }
    }

    /// The next value, or `None` once the load has ended: the same as `StreamExt::next`, without the import.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use godot::classes::{PackedScene, ProgressBar};
    /// use godot::prelude::*;
    /// use godot_tasks::resources;
    ///
    /// # async fn example(mut bar: Gd<ProgressBar>) {
    /// let mut progress = resources::load::<PackedScene>("res://levels/forest.tscn").progress();
    /// while let Some(done) = progress.next().await {
    ///     bar.set_value(f64::from(done) * 100.0);
    /// }
    /// # }
    /// ```
    #[allow(clippy::should_implement_trait, reason = "the name and meaning of `StreamExt::next`, not `Iterator`'s")]
    pub fn next(&mut self) -> crate::signal::Next<'_, Self> {
        crate::signal::Next(self)
    }

    fn end(&mut self) -> Poll<Option<f32>> {
        if std::mem::take(&mut self.joined) {
            requests::leave(&self.path);
        }
        Poll::Ready(None)
    }
}

impl Stream for LoadProgress {
    type Item = f32;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<f32>> {
        let this = &mut *self;
        if !this.joined {
            return Poll::Ready(None);
        }
        match requests::poll(&this.path, cx.waker()) {
            Some(ProgressNow::Loading(progress)) if progress > this.last => {
                this.last = progress;
                Poll::Ready(Some(progress))
            }
            Some(ProgressNow::Loading(_)) => Poll::Pending,
            Some(ProgressNow::Done(Ok(_))) if this.last < 1.0 => {
                this.last = 1.0;
                Poll::Ready(Some(1.0))
            }
            _ => this.end(),
        }
    }
}

impl Drop for LoadProgress {
    fn drop(&mut self) {
        if self.joined {
            requests::leave(&self.path);
        }
    }
}
