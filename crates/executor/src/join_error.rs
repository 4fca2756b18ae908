//! Why a task produced no value.

use std::fmt;
use std::panic::Location;

/// The reason a task finished without producing its value.
///
/// Returned by awaiting a [`JoinHandle`](crate::JoinHandle).
#[derive(Clone, PartialEq, Eq)]
pub struct JoinError {
    kind: Kind,
    spawned_at: &'static Location<'static>,
}

#[derive(Clone, PartialEq, Eq)]
enum Kind {
    Cancelled,
    Panicked(String),
}

impl JoinError {
    pub(crate) fn cancelled(spawned_at: &'static Location<'static>) -> Self {
        Self { kind: Kind::Cancelled, spawned_at }
    }

    pub(crate) fn panicked(message: String, spawned_at: &'static Location<'static>) -> Self {
        Self { kind: Kind::Panicked(message), spawned_at }
    }

    /// The task was cancelled (by [`JoinHandle::cancel`](crate::JoinHandle::cancel), or because the runtime
    /// shut down) before it finished.
    pub fn is_cancelled(&self) -> bool {
        matches!(self.kind, Kind::Cancelled)
    }

    /// The task panicked.
    pub fn is_panic(&self) -> bool {
        matches!(self.kind, Kind::Panicked(_))
    }

    /// The panic message, if the task panicked with a string message (`panic!("...")`, `unwrap`, `expect`).
    ///
    /// A panic with a payload that is not a string gives `Some("<non-string panic payload>")`.
    pub fn panic_message(&self) -> Option<&str> {
        match &self.kind {
            Kind::Panicked(message) => Some(message),
            Kind::Cancelled => None,
        }
    }

    /// Where the task was spawned (`file:line:column` of the `spawn` call).
    pub fn spawned_at(&self) -> &'static Location<'static> {
        self.spawned_at
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Cancelled => write!(f, "task spawned at {} was cancelled", self.spawned_at),
            Kind::Panicked(message) => write!(f, "task spawned at {} panicked: {message}", self.spawned_at),
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for JoinError {}
