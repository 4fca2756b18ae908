//! GDScript timing: tasks that run inside the call that starts them and resume inside the emission that wakes
//! them, as GDScript coroutines do; and the message that explains the re-entrancy it costs.
//!
//! The executor does the polling (its *inline* tasks, see `Executor::spawn_inline_at` and
//! `Executor::wake_inline`). This module adds what only the engine side knows: where an inline poll runs (a
//! spawn, or the emission of which signal), and, when a task panics there because its caller still holds a
//! `bind()`/`bind_mut()` guard on an object the task binds too, a message that says so and how to fix it.

use std::cell::Cell;
use std::future::Future;
use std::panic::{AssertUnwindSafe, Location, catch_unwind, resume_unwind};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use godot_tasks_executor::{Executor, JoinHandle};
use pin_project_lite::pin_project;

/// Where an inline poll runs.
#[derive(Clone)]
enum Inside {
    Spawn(&'static Location<'static>),
    /// The emission of a signal: "signal 'NAME' of EMITTER".
    Emission(Rc<str>),
}

thread_local! {
    /// Where the inline poll that runs now runs, if one does.
    static INSIDE: Cell<Option<Inside>> = const { Cell::new(None) };
}

/// Runs `f` with `inside` noted as the place of the inline polls it makes, and puts back what was noted before
/// (also if `f` unwinds, which the executor's own catching makes rare).
fn noting<R>(inside: Inside, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<Inside>);
    impl Drop for Restore {
        fn drop(&mut self) {
            INSIDE.set(self.0.take());
        }
    }
    let _restore = Restore(INSIDE.replace(Some(inside)));
    f()
}

/// Where the inline poll that runs now runs, if one does.
fn inside() -> Option<Inside> {
    let inside = INSIDE.take();
    INSIDE.set(inside.clone());
    inside
}

/// Spawns `future` with GDScript timing: its first poll runs now, inside this call.
pub(crate) fn spawn<F>(
    executor: &Executor,
    name: Option<Arc<str>>,
    future: F,
    at: &'static Location<'static>,
) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    noting(Inside::Spawn(at), || executor.spawn_inline_at(name, Reentrant { inner: future }, at))
}

/// Wakes the tasks awaiting one emission of `signal` (described as "signal 'NAME' of EMITTER"), in the order
/// they subscribed: tasks with GDScript timing run now, inside the emission; the others are queued as usual.
pub(crate) fn wake_inside_emission(executor: &Executor, wakers: &mut Vec<Waker>, signal: Rc<str>) {
    noting(Inside::Emission(signal), || {
        for waker in wakers.drain(..) {
            executor.wake_inline(waker);
        }
    });
}

pin_project! {
    /// The future of a task with GDScript timing: a panic from a `bind()`/`bind_mut()` that failed because
    /// the code that runs the task inline still holds the object bound gets a message that says so.
    struct Reentrant<F> {
        #[pin]
        inner: F,
    }
}

impl<F: Future> Future for Reentrant<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let inner = self.project().inner;
        match catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(poll) => poll,
            Err(payload) => {
                let message = godot_tasks_executor::payload_message(&*payload);
                // godot-rust's words for a bind that meets another guard. If they change, the panic goes on
                // unexplained, which loses the advice and nothing else. A task that binds twice itself gets the
                // advice too; its message still names the failed bind first.
                match inside() {
                    Some(inside) if message.contains("failed, already bound") => {
                        godot_tasks_executor::drop_quietly(payload);
                        resume_unwind(Box::new(explain(&message, inside)))
                    }
                    _ => resume_unwind(payload),
                }
            }
        }
    }
}

/// The message of a bind that failed inside an inline poll.
fn explain(message: &str, inside: Inside) -> String {
    let (place, fix) = match inside {
        Inside::Spawn(at) => (
            format!("inside the spawn at {at}"),
            "spawn it after the guard is dropped (for example at the end of the method), or spawn it with the \
             default timing (without `gdscript_timing()`), whose first poll comes later in the frame",
        ),
        Inside::Emission(signal) => (
            format!("inside the emission of {signal}"),
            "emit after the guard is dropped (for example at the end of the method, or with `call_deferred`), \
             or await with the default timing (without `gdscript_timing()`), which resumes after the emission",
        ),
    };
    format!(
        "{message}\nThis task has GDScript timing and ran {place}, while the code running there still held the \
         object bound (`bind()`/`bind_mut()`); {fix}."
    )
}
