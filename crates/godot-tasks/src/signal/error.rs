//! Why awaiting a signal failed, with the emitter and the signal named.

use std::fmt;
use std::panic::Location;

use godot::builtin::VariantType;

use crate::origin::Origin;

/// Why a signal future or stream could not deliver an emission.
///
/// Its `Display` names the emitter, the signal, what went wrong, how to fix it and where the future was made;
/// [`kind`](Self::kind) tells the cases apart in code.
///
/// It answers the questions every error of the crate answers, under the same names:
/// [`is_cancelled`](Self::is_cancelled) (the emitter was freed: GDScript ends such an `await` quietly),
/// [`is_panic`](Self::is_panic) (never), [`started_at`](Self::started_at) (where the future or stream was
/// made) and [`task_name`](Self::task_name).
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
pub struct SignalError(Box<Details>);

/// Boxed: errors are rare, and a small error keeps the futures that may hold one small.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Details {
    kind: SignalErrorKind,
    emitter: String,
    signal: String,
    /// Set by the future or stream that hands the error out, before anyone sees it.
    origin: Option<Origin>,
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
        Self(Box::new(Details { kind, emitter: emitter.to_owned(), signal: signal.to_owned(), origin: None }))
    }

    /// The error as the awaiting task meets it, from the future or stream made at `made_at`.
    pub(crate) fn met(mut self, made_at: &'static Location<'static>) -> Self {
        self.0.origin = Some(Origin::now(made_at));
        self
    }

    /// The same error without where it was awaited, for messages that say that themselves.
    pub(crate) fn without_origin(&self) -> Self {
        let mut details = self.0.clone();
        details.origin = None;
        Self(details)
    }

    /// Whether the await was cancelled rather than failed: the emitter was freed before it emitted
    /// ([`EmitterFreed`](SignalErrorKind::EmitterFreed)), as when a GDScript `await` ends quietly because its
    /// emitter is gone. Every other case is a bug to fix (a name, a tuple, a thread).
    ///
    /// # Example
    ///
    /// ```
    /// # fn example(error: godot_tasks::signal::SignalError) {
    /// if !error.is_cancelled() {
    ///     godot::global::godot_error!("{error}");
    /// }
    /// # }
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.0.kind == SignalErrorKind::EmitterFreed
    }

    /// Always false: awaiting a signal runs no code that could panic. Here so that every error of the crate
    /// answers the same questions.
    ///
    /// # Example
    ///
    /// ```
    /// # fn example(error: godot_tasks::signal::SignalError) {
    /// assert!(!error.is_panic());
    /// # }
    /// ```
    pub fn is_panic(&self) -> bool {
        false
    }

    /// Where the future or stream that met the error was made (the `next_emission`, `try_next_emission`,
    /// `emissions` or `try_emissions` call).
    ///
    /// # Example
    ///
    /// ```
    /// # fn example(error: godot_tasks::signal::SignalError) {
    /// eprintln!("awaited since {}", error.started_at());
    /// # }
    /// ```
    pub fn started_at(&self) -> &'static Location<'static> {
        self.0.origin.as_ref().map_or_else(Location::caller, |origin| origin.started_at)
    }

    /// The name of the task that awaited the signal, if it has one.
    ///
    /// # Example
    ///
    /// ```
    /// # fn example(error: godot_tasks::signal::SignalError) {
    /// eprintln!("in {}", error.task_name().unwrap_or("an unnamed task"));
    /// # }
    /// ```
    pub fn task_name(&self) -> Option<&str> {
        self.0.origin.as_ref().and_then(Origin::task_name)
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
        &self.0.kind
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
        &self.0.emitter
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
        &self.0.signal
    }
}

impl fmt::Display for SignalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Details { kind, emitter, signal, origin } = &*self.0;
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
        }?;
        match origin {
            Some(origin) => write!(f, " (made at {}{})", origin.started_at, origin.awaited_by()),
            None => Ok(()),
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
