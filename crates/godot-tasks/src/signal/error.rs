//! Why awaiting a signal failed, with the emitter and the signal named.

use std::fmt;

use godot::builtin::VariantType;

/// Why a signal future or stream could not deliver an emission.
///
/// Its `Display` names the emitter, the signal, what went wrong and how to fix it; [`kind`](Self::kind)
/// tells the cases apart in code.
///
/// # Example
///
/// ```no_run
/// use godot::prelude::*;
/// use godot_tasks::signal::{SignalErrorKind, SignalExt};
///
/// # fn example(enemy: Gd<Node>) {
/// godot_tasks::spawn(async move {
///     match Signal::from_object_signal(&enemy, "tree_exited").try_next_emission::<()>().await {
///         Ok(()) => godot_print!("enemy left the tree"),
///         Err(error) if error.kind() == &SignalErrorKind::EmitterFreed => godot_print!("enemy is gone"),
///         Err(error) => godot_error!("{error}"),
///     }
/// })
/// .detach();
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignalError {
    kind: SignalErrorKind,
    emitter: String,
    signal: String,
}

/// The cases of [`SignalError`].
///
/// # Example
///
/// ```
/// use godot_tasks::signal::SignalErrorKind;
///
/// fn advice(kind: &SignalErrorKind) -> &'static str {
///     match kind {
///         SignalErrorKind::EmitterFreed => "the emitter is gone",
///         SignalErrorKind::ArityMismatch { .. } | SignalErrorKind::TypeMismatch { .. } => "fix the tuple",
///         SignalErrorKind::NotThreadSafe { .. } => "emit on the main thread",
///         _ => "see the message",
///     }
/// }
/// assert_eq!(advice(&SignalErrorKind::EmitterFreed), "the emitter is gone");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignalErrorKind {
    /// The emitting object was freed before the signal was emitted. (Streams end instead.) Also reported if
    /// something else removed the connection, which only code that edits other objects' connections does.
    EmitterFreed,
    /// The object has no signal of that name.
    NoSuchSignal,
    /// The signal was emitted with a different number of arguments than the awaited tuple has.
    ArityMismatch {
        /// How many arguments the awaiting future expects.
        expected: usize,
        /// The types of the arguments actually emitted.
        emitted: Vec<VariantType>,
    },
    /// One argument does not convert to the type the awaiting future expects.
    TypeMismatch {
        /// Index of the argument, from 0.
        index: usize,
        /// The Rust type the future expects.
        expected: &'static str,
        /// The type of the emitted argument.
        emitted: VariantType,
        /// The conversion's own explanation.
        reason: String,
    },
    /// The signal was emitted on another thread with an argument that may only be used on the thread that
    /// owns it (an object, string, array, dictionary, ...). The value was left untouched with its emitter.
    NotThreadSafe {
        /// Index of the argument, from 0.
        index: usize,
        /// The type of the emitted argument.
        emitted: VariantType,
    },
    /// The engine refused to connect to the signal (`Object.connect` returned an error). The signal exists,
    /// so this does not happen through the public API today; it is reported rather than panicking in the
    /// code that made the future.
    ConnectRefused {
        /// What `Object.connect` returned.
        error: godot::global::Error,
    },
}

impl SignalError {
    pub(crate) fn new(kind: SignalErrorKind, emitter: &str, signal: &str) -> Self {
        Self { kind, emitter: emitter.to_owned(), signal: signal.to_owned() }
    }

    /// Which case this is.
    ///
    /// # Example
    ///
    /// ```
    /// # fn example(error: godot_tasks::signal::SignalError) -> bool {
    /// matches!(error.kind(), godot_tasks::signal::SignalErrorKind::EmitterFreed)
    /// # }
    /// ```
    pub fn kind(&self) -> &SignalErrorKind {
        &self.kind
    }

    /// The emitting object as it was described when the future was made, for example `Timer 'Cooldown'
    /// (instance 123)`.
    ///
    /// # Example
    ///
    /// ```
    /// # fn example(error: godot_tasks::signal::SignalError) {
    /// eprintln!("{} stopped emitting", error.emitter());
    /// # }
    /// ```
    pub fn emitter(&self) -> &str {
        &self.emitter
    }

    /// The signal's name.
    ///
    /// # Example
    ///
    /// ```
    /// # fn example(error: godot_tasks::signal::SignalError) {
    /// eprintln!("signal {} failed", error.signal());
    /// # }
    /// ```
    pub fn signal(&self) -> &str {
        &self.signal
    }
}

impl fmt::Display for SignalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self { kind, emitter, signal } = self;
        match kind {
            SignalErrorKind::EmitterFreed => write!(
                f,
                "the emitter of signal '{signal}', {emitter}, was freed before the signal was emitted; \
                 await `try_next_emission()` to handle this as an error, or stop awaiting objects that may die"
            ),
            SignalErrorKind::NoSuchSignal => {
                write!(f, "{emitter} has no signal named '{signal}'; check the name and the object's class")
            }
            SignalErrorKind::ArityMismatch { expected, emitted } => write!(
                f,
                "signal '{signal}' of {emitter} was emitted with {} argument(s) ({}), but the future awaiting it \
                 expects {expected}; make the awaited tuple match the signal's parameters",
                emitted.len(),
                type_list(emitted)
            ),
            SignalErrorKind::TypeMismatch { index, expected, emitted, reason } => write!(
                f,
                "argument {index} of signal '{signal}' of {emitter} is {emitted:?}, which does not convert to \
                 `{expected}` ({reason}); make the awaited tuple match the signal's parameters"
            ),
            SignalErrorKind::NotThreadSafe { index, emitted } => write!(
                f,
                "signal '{signal}' of {emitter} was emitted on a thread other than Godot's main thread, and its \
                 argument {index} is {emitted:?}, which must not cross threads (only numbers, bools, vectors, \
                 colours, math types and RIDs do); the argument was left untouched. Emit the signal on the main \
                 thread (for example with `call_deferred`), or pass plain values across threads"
            ),
            SignalErrorKind::ConnectRefused { error } => write!(
                f,
                "the engine refused to connect to signal '{signal}' of {emitter} ({error:?}); Godot's output \
                 above says why"
            ),
        }
    }
}

impl std::error::Error for SignalError {}

fn type_list(types: &[VariantType]) -> String {
    if types.is_empty() {
        return "none".to_owned();
    }
    types.iter().map(|t| format!("{t:?}")).collect::<Vec<_>>().join(", ")
}
