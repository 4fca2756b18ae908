//! Wakers collected while a registry is borrowed and woken once it is released, in a vector whose memory
//! is kept for the next time: the services' one wake routine.
//!
//! A waker may run arbitrary code (a foreign executor's, or a task's that polls at once), which may use the
//! registry again, so waking inside the borrow is never safe; allocating a vector per frame or per
//! emission is what the buffer avoids.

use std::task::Waker;

use godot_tasks_executor::Executor;

/// The reused vector; lives in a service's registry.
#[derive(Default)]
pub(crate) struct WakeBuffer(Vec<Waker>);

impl WakeBuffer {
    /// The vector to collect wakers into (empty, with the capacity kept from before).
    pub(crate) fn take(&mut self) -> Vec<Waker> {
        std::mem::take(&mut self.0)
    }

    /// Keeps `emptied` for the next time if it is the larger allocation.
    pub(crate) fn keep(&mut self, emptied: Vec<Waker>) {
        if self.0.capacity() < emptied.capacity() {
            self.0 = emptied;
        }
    }
}

/// Wakes `wakers` (outside any borrow), then hands the emptied vector to `keep`, which gives it back to its
/// registry's buffer.
///
/// The runtime's own tasks are queued as one batch (see [`Executor::wake_all`]): the frame waiters of a whole
/// frame, or every task awaiting one emission, cost one flush request, not one waker call each.
pub(crate) fn wake_all(mut wakers: Vec<Waker>, keep: impl FnOnce(Vec<Waker>)) {
    Executor::wake_all(&mut wakers);
    keep(wakers);
}
