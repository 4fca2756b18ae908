//! What the executor tells its host when a task panics.

use std::any::Any;
use std::panic::Location;

/// A caught task panic, handed to [`Host::report_panic`](crate::Host::report_panic).
#[derive(Debug, Clone)]
pub struct PanicReport {
    /// The panic message (see [`JoinError::panic_message`](crate::JoinError::panic_message)).
    pub message: String,
    /// Where the panicking task was spawned.
    pub spawned_at: &'static Location<'static>,
}

/// Extracts a readable message from a panic payload.
pub(crate) fn payload_message(payload: &(dyn Any + Send)) -> String {
    if let Some(message) = payload.downcast_ref::<&'static str>() {
        (*message).to_owned()
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message.clone()
    } else {
        "<non-string panic payload>".to_owned()
    }
}
