//! The futures that wait for a timeline: [`Sleep`] (time) and [`FrameWait`] (frames).

use std::future::Future;
use std::marker::PhantomData;
use std::panic::Location;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use futures_core::FusedFuture;

use super::frame_clock;
use super::next_tick::Listed;
use super::service::WaiterKey;
use super::service::{self, Line, Until};
use super::{Clock, Instant};
use crate::runtime::{self, Awaiting};

/// A registration on a timeline; dropping it unregisters. Main thread only.
struct Registration {
    key: Option<WaiterKey>,
    _main_thread_only: PhantomData<Rc<()>>,
}

impl Registration {
    fn new(line: Line, until: Until, made_at: &'static Location<'static>) -> (Self, f64) {
        let (key, deadline) = service::register(line, until, made_at);
        (Self { key: Some(key), _main_thread_only: PhantomData }, deadline)
    }

    fn poll(&mut self, cx: &Context<'_>) -> Poll<()> {
        let Some(key) = self.key else {
            return Poll::Ready(());
        };
        let poll = service::poll_fired(key, cx);
        if poll.is_ready() {
            self.key = None; // removed by `poll_fired`
        }
        poll
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            service::release(key);
        }
    }
}

/// Waits until a clock's time reaches a deadline; made by [`sleep`](super::sleep),
/// [`sleep_until`](super::sleep_until) or a [`Clock`](super::Clock).
///
/// The deadline is fixed when the future is made. It resolves in the first frame (or physics tick, for
/// [`Clock::PHYSICS`](super::Clock::PHYSICS)) whose accumulated time reaches it: the task resumes in that
/// frame, never a frame later. Waiting costs no engine object and no allocation beyond amortised slots.
///
/// Cancellation-safe: dropping it unregisters, and nothing is lost.
///
/// # Example
///
/// ```no_run
/// # async fn example() {
/// use std::time::Duration;
/// godot_tasks::time::sleep(Duration::from_secs_f64(1.5)).await;
/// # }
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Sleep {
    registration: Registration,
    deadline: Instant,
    made_at: &'static Location<'static>,
}

impl std::fmt::Debug for Sleep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .field("done", &self.registration.key.is_none())
            .field("made_at", &self.made_at)
            .finish()
    }
}

impl Sleep {
    pub(super) fn new(clock: Clock, until: Until, made_at: &'static Location<'static>) -> Self {
        let (registration, deadline) = Registration::new(clock.time_line(), until, made_at);
        Self { registration, deadline: Instant::new(clock, deadline), made_at }
    }

    /// When the sleep ends, on its clock.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use godot_tasks::time::Clock;
    /// let nap = Clock::UNSCALED.sleep(Duration::from_secs(1));
    /// let ends = nap.deadline(); // one second of UNSCALED time from now
    /// assert_eq!(ends.clock(), Clock::UNSCALED);
    /// ```
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Where the sleep was made.
    pub(super) fn made_at(&self) -> &'static Location<'static> {
        self.made_at
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let poll = self.registration.poll(cx);
        if poll.is_pending() {
            runtime::note_awaiting(|| Awaiting::Sleep { deadline: self.deadline });
        }
        poll
    }
}

impl FusedFuture for Sleep {
    fn is_terminated(&self) -> bool {
        self.registration.key.is_none()
    }
}

/// Waits a number of frames (process frames, or physics ticks); made by [`next_frame`](super::next_frame),
/// [`frames`](super::frames), [`next_physics_frame`](super::next_physics_frame),
/// [`physics_frames`](super::physics_frames) or [`Clock::frames`](super::Clock::frames).
///
/// Made in frame `N`, a wait of `n` frames resolves in frame `N + n`, in the runtime's frame hook at the
/// start of that frame (so the task runs before nodes process). Frames while the tree is paused count
/// only for clocks that run during pause.
///
/// Cancellation-safe: dropping it unregisters.
///
/// # Example
///
/// ```no_run
/// # async fn example() {
/// godot_tasks::time::next_frame().await;
/// godot_tasks::time::frames(3).await;
/// # }
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct FrameWait {
    wait: Frames,
    line: Line,
    /// The count the line must reach.
    target: u64,
}

impl std::fmt::Debug for FrameWait {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut out = f.debug_struct("FrameWait");
        match &self.wait {
            Frames::NextTick { target, .. } => out.field("until_count", target),
            Frames::Registered(_) => out.field("waiting", &true),
            Frames::Done => out.field("done", &true),
        };
        out.finish_non_exhaustive()
    }
}

/// How a [`FrameWait`] waits: in its line's next-count list (one frame, the common case; see
/// `next_tick.rs`), or as a waiter of its line (more frames).
enum Frames {
    /// `line` is the frame line's index in the frame clock.
    NextTick {
        line: usize,
        target: u64,
        listed: Option<Listed>,
        _main_thread_only: PhantomData<Rc<()>>,
    },
    Registered(Registration),
    Done,
}

impl FrameWait {
    #[inline]
    pub(super) fn new(line: Line, count: u64, made_at: &'static Location<'static>) -> Self {
        if count == 1 {
            let target = service::frame_target(line, count, made_at);
            let wait = Frames::NextTick { line: line.index(), target, listed: None, _main_thread_only: PhantomData };
            Self { wait, line, target }
        } else {
            let (registration, target) = Registration::new(line, Until::Frames(count), made_at);
            Self { wait: Frames::Registered(registration), line, target: target as u64 }
        }
    }
}

impl Future for FrameWait {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let poll = match &mut self.wait {
            Frames::NextTick { line, target, listed, .. } => frame_clock::poll_next(*line, *target, listed, cx.waker()),
            Frames::Registered(registration) => registration.poll(cx),
            Frames::Done => Poll::Ready(()),
        };
        if poll.is_ready() {
            self.wait = Frames::Done;
        } else {
            let (line, target) = (self.line, self.target);
            runtime::note_awaiting_live(move || {
                let (physics, during_pause) = line.frame_kind();
                Awaiting::Frames { physics, during_pause, left: service::frames_left(line, target).unwrap_or(0) }
            });
        }
        poll
    }
}

impl Drop for FrameWait {
    fn drop(&mut self) {
        if let Frames::NextTick { line, listed: Some(listed), .. } = self.wait {
            frame_clock::unlist(line, listed);
        }
    }
}

impl FusedFuture for FrameWait {
    fn is_terminated(&self) -> bool {
        matches!(self.wait, Frames::Done)
    }
}
