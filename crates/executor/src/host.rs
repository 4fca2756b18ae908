//! The one door between the executor and whatever drives it.

/// What the executor asks of the program that drives it (a game engine, a test).
///
/// The executor never decides *when* it runs: it only tells its host that work is ready, and the host calls
/// [`Executor::flush`](crate::Executor::flush) later, from a fresh call stack on the executor's thread. This is
/// the same split as embassy's `Pender`: the executor stays ignorant of frames, deferred calls and event loops.
///
/// Both methods are called at most once between two flushes (the executor de-duplicates requests), and never
/// while the executor is inside `flush` on its own thread: work that becomes ready during a flush is picked up
/// by that flush, within its budget.
///
/// # Example
///
/// ```
/// use godot_tasks_executor::{Host, PanicReport};
///
/// struct Logger;
/// impl Host for Logger {
///     fn request_flush(&self) {}
///     fn report_panic(&self, report: &PanicReport) {
///         eprintln!("{} panicked: {}", report.task(), report.message);
///     }
/// }
/// ```
pub trait Host: Send + Sync + 'static {
    /// Work became ready on the executor's own thread, outside a flush.
    ///
    /// Arrange for `flush` to be called soon, but not from inside this call: the caller may be holding borrows
    /// (for example inside `spawn` called from a method that mutably borrows a game object).
    fn request_flush(&self);

    /// Work became ready on another thread; this is called on that thread.
    ///
    /// Arrange for `flush` to be called on the executor's thread eventually. A host that checks
    /// [`Executor::has_ready_work`](crate::Executor::has_ready_work) once per frame can leave this empty.
    fn request_flush_from_other_thread(&self) {}

    /// A task panicked. Called on the executor's thread, after the panic was caught.
    ///
    /// Also called for the other failures the executor catches on a task's behalf, each with a message that
    /// says what happened: a future or output whose destructor panicked, and futures refused after shutdown
    /// that had to be leaked (see "After shutdown" in [`Executor::spawn`](crate::Executor::spawn)).
    ///
    /// The default does nothing; a panic is still handed to the task's `JoinHandle`.
    fn report_panic(&self, report: &crate::PanicReport) {
        let _ = report;
    }

    /// A poll took longer than the threshold set with
    /// [`Executor::set_slow_poll_threshold`](crate::Executor::set_slow_poll_threshold). Called on the
    /// executor's thread, right after that poll. The default does nothing.
    fn report_slow_poll(&self, report: &crate::SlowPoll) {
        let _ = report;
    }
}
