//! Why a task produced no value.

use std::fmt;
use std::panic::Location;
use std::sync::Arc;

/// The reason a task finished without producing its value.
///
/// Returned by awaiting a [`JoinHandle`](crate::JoinHandle).
///
/// # Example
///
/// ```
/// # use godot_tasks_executor::{Executor, Host, PanicReport};
/// # struct NoHost;
/// # impl Host for NoHost { fn request_flush(&self) {} fn report_panic(&self, _: &PanicReport) {} }
/// # let executor = Executor::new(NoHost);
/// let handle = executor.spawn(std::future::pending::<()>());
/// handle.cancel();
/// let _ = executor.flush();
/// # let mut handle = handle;
/// # let waker = std::task::Waker::noop();
/// # let mut cx = std::task::Context::from_waker(&waker);
/// # let std::task::Poll::Ready(Err(error)) = std::pin::Pin::new(&mut handle).poll(&mut cx) else { unreachable!() };
/// // `error` is what awaiting the handle gives:
/// assert!(error.is_cancelled());
/// eprintln!("{error}"); // "task spawned at src/main.rs:5:24 was cancelled"
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct JoinError {
    kind: Kind,
    spawned_at: &'static Location<'static>,
    name: Option<Arc<str>>,
}

#[derive(Clone, PartialEq, Eq)]
enum Kind {
    Cancelled,
    Panicked(String),
}

impl JoinError {
    pub(crate) fn cancelled(spawned_at: &'static Location<'static>) -> Self {
        Self { kind: Kind::Cancelled, spawned_at, name: None }
    }

    pub(crate) fn panicked(message: String, spawned_at: &'static Location<'static>) -> Self {
        Self { kind: Kind::Panicked(message), spawned_at, name: None }
    }

    /// The task was cancelled (by [`JoinHandle::cancel`](crate::JoinHandle::cancel), or because the runtime
    /// shut down) before it finished.
    ///
    /// # Example
    ///
    /// ```
    /// # use godot_tasks_executor::{Executor, Host, PanicReport};
    /// # struct NoHost;
    /// # impl Host for NoHost { fn request_flush(&self) {} fn report_panic(&self, _: &PanicReport) {} }
    /// # let executor = Executor::new(NoHost);
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
    /// # use godot_tasks_executor::{Executor, Host, PanicReport};
    /// # struct NoHost;
    /// # impl Host for NoHost { fn request_flush(&self) {} fn report_panic(&self, _: &PanicReport) {} }
    /// # let executor = Executor::new(NoHost);
    /// # fn example(error: godot_tasks_executor::JoinError) {
    /// if error.is_panic() { eprintln!("{error}"); }
    /// # }
    /// ```
    pub fn is_panic(&self) -> bool {
        matches!(self.kind, Kind::Panicked(_))
    }

    /// The panic message, if the task panicked with a string message (`panic!("...")`, `unwrap`, `expect`).
    ///
    /// A panic with a payload that is not a string gives `Some("<non-string panic payload>")`.
    ///
    /// # Example
    ///
    /// ```
    /// # use godot_tasks_executor::{Executor, Host, PanicReport};
    /// # struct NoHost;
    /// # impl Host for NoHost { fn request_flush(&self) {} fn report_panic(&self, _: &PanicReport) {} }
    /// # let executor = Executor::new(NoHost);
    /// # fn example(error: godot_tasks_executor::JoinError) {
    /// let message = error.panic_message().unwrap_or("not a panic");
    /// # }
    /// ```
    pub fn panic_message(&self) -> Option<&str> {
        match &self.kind {
            Kind::Panicked(message) => Some(message),
            Kind::Cancelled => None,
        }
    }

    /// Where the task was spawned (`file:line:column` of the `spawn` call).
    ///
    /// # Example
    ///
    /// ```
    /// # use godot_tasks_executor::{Executor, Host, PanicReport};
    /// # struct NoHost;
    /// # impl Host for NoHost { fn request_flush(&self) {} fn report_panic(&self, _: &PanicReport) {} }
    /// # let executor = Executor::new(NoHost);
    /// # fn example(error: godot_tasks_executor::JoinError) {
    /// let at = error.spawned_at();
    /// eprintln!("{}:{}", at.file(), at.line());
    /// # }
    /// ```
    pub fn spawned_at(&self) -> &'static Location<'static> {
        self.spawned_at
    }

    /// The task's name, if it was spawned with one.
    ///
    /// # Example
    ///
    /// ```
    /// # fn example(error: godot_tasks_executor::JoinError) {
    /// eprintln!("{} failed", error.name().unwrap_or("an unnamed task"));
    /// # }
    /// ```
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    pub(crate) fn named(mut self, name: Option<Arc<str>>) -> Self {
        self.name = name;
        self
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let task = TaskLabel { name: self.name.as_deref(), spawned_at: self.spawned_at };
        match &self.kind {
            Kind::Cancelled => write!(f, "{task} was cancelled"),
            Kind::Panicked(message) => write!(f, "{task} panicked: {message}"),
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
