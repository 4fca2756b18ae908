//! A caught panic kept for whoever asks for it: its message, and its payload to re-raise.

use std::any::Any;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use crate::panic_report::{drop_quietly, payload_message};

/// A panic caught by the runtime: its message, readable at once, and its payload, which
/// [`into_payload`](Self::into_payload) hands back so that the panic can be raised again with
/// [`std::panic::resume_unwind`].
///
/// Clones share the payload: the first `into_payload` takes it, later ones get the message as a `String`
/// payload. A payload nobody took is dropped with the last clone, and a panic in its destructor is swallowed,
/// so dropping an error that holds one never panics.
///
/// The errors of `godot-tasks` hold one when the work they report panicked; most code reads it through them
/// (`JoinError::into_panic`, `panic_message`).
///
/// # Example
///
/// ```
/// use godot_tasks_executor::CaughtPanic;
///
/// let payload = std::panic::catch_unwind(|| panic!("out of ammo")).unwrap_err();
/// let caught = CaughtPanic::new(payload);
/// assert_eq!(caught.message(), "out of ammo");
/// let again = caught.clone();
/// assert_eq!(caught.into_payload().downcast_ref::<&str>(), Some(&"out of ammo"));
/// // The payload was taken: a clone gives the message.
/// assert_eq!(again.into_payload().downcast_ref::<String>().map(String::as_str), Some("out of ammo"));
/// ```
#[derive(Clone)]
pub struct CaughtPanic(Arc<Caught>);

struct Caught {
    message: String,
    payload: Mutex<Option<Box<dyn Any + Send>>>,
}

impl CaughtPanic {
    /// Keeps `payload` (what `catch_unwind` returned), reading its message now (see
    /// [`payload_message`](crate::payload_message)).
    pub fn new(payload: Box<dyn Any + Send>) -> Self {
        let message = payload_message(&*payload);
        Self(Arc::new(Caught { message, payload: Mutex::new(Some(payload)) }))
    }

    /// The panic message: the `&str` or `String` the panic was given, or `<non-string panic payload>`.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The payload, to re-raise with [`std::panic::resume_unwind`]; if a clone took it already, the message as
    /// a `String` payload.
    pub fn into_payload(self) -> Box<dyn Any + Send> {
        let taken = self.0.payload.lock().unwrap_or_else(PoisonError::into_inner).take();
        taken.unwrap_or_else(|| Box::new(self.0.message.clone()))
    }
}

impl Drop for Caught {
    fn drop(&mut self) {
        // A payload's destructor is user code that may panic; the error that held it must still drop quietly.
        drop_quietly(self.payload.get_mut().unwrap_or_else(PoisonError::into_inner).take());
    }
}

/// Equal when the messages are equal (payloads cannot be compared).
impl PartialEq for CaughtPanic {
    fn eq(&self, other: &Self) -> bool {
        self.0.message == other.0.message
    }
}

impl Eq for CaughtPanic {}

impl fmt::Debug for CaughtPanic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("CaughtPanic").field(&self.0.message).finish()
    }
}

impl fmt::Display for CaughtPanic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.message)
    }
}
