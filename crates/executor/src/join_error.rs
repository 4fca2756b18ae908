//! Why a task produced no value.

use std::any::Any;
use std::fmt;
use std::panic::Location;
use std::sync::Arc;

use crate::CaughtPanic;

/// The reason a task finished without producing its value: it was cancelled, or it panicked.
///
/// Awaiting a [`JoinHandle`](crate::JoinHandle) gives it. It answers the questions every error of godot-tasks
/// answers, under the same names: [`is_cancelled`](Self::is_cancelled), [`is_panic`](Self::is_panic),
/// [`started_at`](Self::started_at) (where the task was spawned), [`task_name`](Self::task_name), and for a
/// panic [`panic_message`](Self::panic_message) and [`into_panic`](Self::into_panic).
///
/// Clones share a panic's payload (see [`into_panic`](Self::into_panic)).
///
/// # Example
///
/// ```
/// # use godot_tasks_executor::JoinHandle;
/// # struct Level;
/// async fn wait_for_level(loading: JoinHandle<Level>) -> Option<Level> {
///     match loading.await {
///         Ok(level) => Some(level),
///         Err(error) if error.is_cancelled() => None, // stopped on purpose: nothing to report
///         Err(error) => {
///             // "task 'loader' spawned at src/level.rs:12:5 panicked: missing tile set"
///             eprintln!("{error}");
///             None
///         }
///     }
/// }
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct JoinError {
    kind: Kind,
    started_at: &'static Location<'static>,
    name: Option<Arc<str>>,
}

#[derive(Clone, PartialEq, Eq)]
enum Kind {
    Cancelled,
    Panicked(CaughtPanic),
}

impl JoinError {
    pub(crate) fn cancelled(started_at: &'static Location<'static>) -> Self {
        Self { kind: Kind::Cancelled, started_at, name: None }
    }

    pub(crate) fn panicked(panic: CaughtPanic, started_at: &'static Location<'static>) -> Self {
        Self { kind: Kind::Panicked(panic), started_at, name: None }
    }

    /// The task was cancelled before it finished: by its handle, its group, its token, the node it was bound
    /// to, or because the runtime stopped (including a task refused because it was spawned after the stop).
    ///
    /// # Example
    ///
    /// ```
    /// # fn example(error: godot_tasks_executor::JoinError) {
    /// if error.is_cancelled() { /* stopped on purpose */ }
    /// # }
    /// ```
    pub fn is_cancelled(&self) -> bool {
        matches!(self.kind, Kind::Cancelled)
    }

    /// The task panicked.
    ///
    /// # Example
    ///
    /// ```
    /// # fn example(error: godot_tasks_executor::JoinError) {
    /// if error.is_panic() { eprintln!("{error}"); }
    /// # }
    /// ```
    pub fn is_panic(&self) -> bool {
        matches!(self.kind, Kind::Panicked(_))
    }

    /// The panic message, if the task panicked: the string given to `panic!`, `unwrap` or `expect`, or
    /// `<non-string panic payload>`.
    ///
    /// # Example
    ///
    /// ```
    /// # fn example(error: godot_tasks_executor::JoinError) {
    /// let message = error.panic_message().unwrap_or("not a panic");
    /// # }
    /// ```
    pub fn panic_message(&self) -> Option<&str> {
        match &self.kind {
            Kind::Panicked(panic) => Some(panic.message()),
            Kind::Cancelled => None,
        }
    }

    /// The panic's payload, to raise the panic again with [`std::panic::resume_unwind`], or the error back if
    /// the task was cancelled.
    ///
    /// If a clone of this error gave the payload away already, the payload is the message as a `String`.
    ///
    /// # Example
    ///
    /// ```
    /// # fn example(error: godot_tasks_executor::JoinError) {
    /// match error.try_into_panic() {
    ///     Ok(payload) => std::panic::resume_unwind(payload), // the panic goes on in the awaiting task
    ///     Err(cancelled) => eprintln!("{cancelled}"),
    /// }
    /// # }
    /// ```
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, Self> {
        match self.kind {
            Kind::Panicked(panic) => Ok(panic.into_payload()),
            Kind::Cancelled => Err(self),
        }
    }

    /// The panic's payload, to raise the panic again with [`std::panic::resume_unwind`].
    ///
    /// # Panics
    ///
    /// If the task did not panic (check [`is_panic`](Self::is_panic) first, or use
    /// [`try_into_panic`](Self::try_into_panic)).
    ///
    /// # Example
    ///
    /// ```
    /// # fn example(error: godot_tasks_executor::JoinError) {
    /// if error.is_panic() {
    ///     std::panic::resume_unwind(error.into_panic());
    /// }
    /// # }
    /// ```
    #[track_caller]
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        self.try_into_panic().unwrap_or_else(|error| {
            panic!("`JoinError::into_panic` called on an error that is not a panic ({error}); check `is_panic()` first, or call `try_into_panic()`")
        })
    }

    /// Where the task was spawned (`file:line:column` of the `spawn` call).
    ///
    /// # Example
    ///
    /// ```
    /// # fn example(error: godot_tasks_executor::JoinError) {
    /// let at = error.started_at();
    /// eprintln!("{}:{}", at.file(), at.line());
    /// # }
    /// ```
    pub fn started_at(&self) -> &'static Location<'static> {
        self.started_at
    }

    /// The name of the task that failed, if it was spawned with one. (The other errors of godot-tasks name the
    /// task that awaited the failed work: for a `JoinError` that is whoever awaited the handle, and the failed
    /// task is the one worth naming.)
    ///
    /// # Example
    ///
    /// ```
    /// # fn example(error: godot_tasks_executor::JoinError) {
    /// eprintln!("{} failed", error.task_name().unwrap_or("an unnamed task"));
    /// # }
    /// ```
    pub fn task_name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    pub(crate) fn named(mut self, name: Option<Arc<str>>) -> Self {
        self.name = name;
        self
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let task = TaskLabel { name: self.name.as_deref(), spawned_at: self.started_at };
        match &self.kind {
            Kind::Cancelled => write!(f, "{task} was cancelled"),
            Kind::Panicked(panic) => write!(f, "{task} panicked: {}", panic.message()),
        }
    }
}

/// How messages name a task: "task spawned at LOCATION", or "task 'NAME' spawned at LOCATION".
///
/// # Example
///
/// ```
/// use godot_tasks_executor::TaskLabel;
///
/// let at = std::panic::Location::caller();
/// let label = TaskLabel { name: Some("loader"), spawned_at: at };
/// assert_eq!(label.to_string(), format!("task 'loader' spawned at {at}"));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct TaskLabel<'a> {
    /// The task's name, if it has one.
    pub name: Option<&'a str>,
    /// Where the task was spawned.
    pub spawned_at: &'static Location<'static>,
}

impl fmt::Display for TaskLabel<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name {
            Some(name) => write!(f, "task '{name}' spawned at {}", self.spawned_at),
            None => write!(f, "task spawned at {}", self.spawned_at),
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for JoinError {}
