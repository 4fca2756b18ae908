//! What every error of the crate says about where it comes from: where the awaited work started, and which
//! task met the error.

use std::fmt;
use std::panic::Location;
use std::sync::Arc;

use crate::runtime;

/// Where the failed work started (the call that made the future) and the name of the task that awaited it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Origin {
    pub(crate) started_at: &'static Location<'static>,
    pub(crate) task_name: Option<Arc<str>>,
}

impl Origin {
    /// The origin of an error met now: errors are made while the task awaiting the failed future is polled,
    /// so the task being polled is the one that met it.
    pub(crate) fn now(started_at: &'static Location<'static>) -> Self {
        Self { started_at, task_name: runtime::current_task_name() }
    }

    pub(crate) fn task_name(&self) -> Option<&str> {
        self.task_name.as_deref()
    }

    /// " (awaited by task 'NAME')" for a named task, else nothing: appended to messages.
    pub(crate) fn awaited_by(&self) -> impl fmt::Display + '_ {
        AwaitedBy(self.task_name.as_deref())
    }
}

struct AwaitedBy<'a>(Option<&'a str>);

impl fmt::Display for AwaitedBy<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(name) => write!(f, " (awaited by task '{name}')"),
            None => Ok(()),
        }
    }
}

/// Every error of the crate can be cloned, printed, sent and shared across threads, and boxed as a
/// `dyn Error + Send + Sync` (what `anyhow` and `?` into `Box<dyn Error>` need).
const _: () = {
    const fn error_like<T: std::error::Error + Clone + Send + Sync + 'static>() {}
    error_like::<crate::JoinError>();
    error_like::<crate::threads::OffloadError>();
    #[cfg(feature = "tokio")]
    error_like::<crate::threads::TokioError>();
    error_like::<crate::signal::SignalError>();
    error_like::<crate::gdscript::CallError>();
    error_like::<crate::time::Elapsed>();
};
