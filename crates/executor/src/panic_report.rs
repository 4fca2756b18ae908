//! What the executor tells its host when a task panics.

use std::any::Any;
use std::fmt;
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::sync::Arc;

use crate::join_error::TaskLabel;

/// A caught task panic, handed to [`Host::report_panic`](crate::Host::report_panic).
///
/// # Example
///
/// ```
/// # fn example(report: &godot_tasks_executor::PanicReport) {
/// eprintln!("{} panicked: {}", report.task(), report.message);
/// # }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PanicReport {
    /// The panic message (see [`JoinError::panic_message`](crate::JoinError::panic_message)).
    pub message: String,
    /// Where the panicking task was spawned.
    pub spawned_at: &'static Location<'static>,
    /// The task's name, if it was spawned with one.
    pub name: Option<Arc<str>>,
}

impl PanicReport {
    /// "task spawned at LOCATION" or "task 'NAME' spawned at LOCATION", for messages.
    ///
    /// # Example
    ///
    /// ```
    /// # fn example(report: &godot_tasks_executor::PanicReport) {
    /// eprintln!("{} panicked: {}", report.task(), report.message);
    /// # }
    /// ```
    pub fn task(&self) -> impl fmt::Display + '_ {
        TaskLabel { name: self.name.as_deref(), spawned_at: self.spawned_at }
    }
}

/// A poll that took longer than the executor's slow-poll threshold, handed to
/// [`Host::report_slow_poll`](crate::Host::report_slow_poll). See
/// [`Executor::set_slow_poll_threshold`](crate::Executor::set_slow_poll_threshold).
///
/// # Example
///
/// ```
/// # fn example(report: &godot_tasks_executor::SlowPoll) {
/// eprintln!("{} took {:?} in one poll", report.task(), report.took);
/// # }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SlowPoll {
    /// Where the task was spawned.
    pub spawned_at: &'static Location<'static>,
    /// The task's name, if it was spawned with one.
    pub name: Option<Arc<str>>,
    /// How long the poll took.
    pub took: std::time::Duration,
    /// The threshold it passed.
    pub limit: std::time::Duration,
}

impl SlowPoll {
    /// "task spawned at LOCATION" or "task 'NAME' spawned at LOCATION", for messages.
    ///
    /// # Example
    ///
    /// ```
    /// # fn example(report: &godot_tasks_executor::SlowPoll) {
    /// eprintln!("{} was slow", report.task());
    /// # }
    /// ```
    pub fn task(&self) -> impl fmt::Display + '_ {
        TaskLabel { name: self.name.as_deref(), spawned_at: self.spawned_at }
    }
}

/// Extracts a readable message from a panic payload (what `catch_unwind` returns), the way task panics are
/// reported: the `&str` or `String` the panic was given, or a placeholder for other payloads.
///
/// # Example
///
/// ```
/// let payload = std::panic::catch_unwind(|| panic!("out of {}", "ammo")).unwrap_err();
/// assert_eq!(godot_tasks_executor::payload_message(&*payload), "out of ammo");
/// ```
pub fn payload_message(payload: &(dyn Any + Send)) -> String {
    if let Some(message) = payload.downcast_ref::<&'static str>() {
        (*message).to_owned()
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message.clone()
    } else {
        "<non-string panic payload>".to_owned()
    }
}

/// Drops `value`, swallowing a panic from its destructor, and a panic from dropping that panic's payload, and
/// so on: nothing escapes. A chain of more than eight panicking payloads is leaked rather than followed.
///
/// The runtime drops futures, outputs and panic payloads it catches this way, so that user destructors that
/// panic cannot cut a flush short.
///
/// # Example
///
/// ```
/// struct Bomb;
/// impl Drop for Bomb {
///     fn drop(&mut self) {
///         panic!("boom");
///     }
/// }
/// godot_tasks_executor::drop_quietly(Bomb); // returns normally
/// ```
pub fn drop_quietly<T>(value: T) {
    let mut payload = match catch_unwind(AssertUnwindSafe(|| drop(value))) {
        Ok(()) => return,
        Err(payload) => payload,
    };
    for _ in 0..8 {
        match catch_unwind(AssertUnwindSafe(|| drop(payload))) {
            Ok(()) => return,
            Err(nested) => payload = nested,
        }
    }
    std::mem::forget(payload);
}
