//! What the documentation's examples run on: an executor per thread with a host that does nothing, and
//! `spawn` and `run` in the shape godot-tasks users know, so that the examples of handles and errors read
//! like game code and still run as tests. Not part of the API.

use std::cell::RefCell;
use std::future::Future;
use std::panic::Location;

use crate::{Executor, Host, JoinHandle};

/// A host that ignores flush requests: the examples flush by hand.
#[derive(Debug)]
pub struct NoHost;

impl Host for NoHost {
    fn request_flush(&self) {}
}

/// A new executor with [`NoHost`].
pub fn executor() -> Executor {
    Executor::new(NoHost)
}

thread_local! {
    static EXECUTOR: RefCell<Option<Executor>> = const { RefCell::new(None) };
}

fn this_threads() -> Executor {
    EXECUTOR.with(|cell| cell.borrow_mut().get_or_insert_with(executor).clone())
}

/// Spawns `future` on this thread's example executor, as `godot_tasks::spawn` does on Godot's main thread.
#[track_caller]
pub fn spawn<F: Future + 'static>(future: F) -> JoinHandle<F::Output> {
    this_threads().spawn_at(future, Location::caller())
}

/// Spawns a named task on this thread's example executor.
#[track_caller]
pub fn spawn_named<F: Future + 'static>(name: &str, future: F) -> JoinHandle<F::Output> {
    this_threads().spawn_named_at(Some(name.into()), future, Location::caller())
}

/// Flushes this thread's example executor once, as the engine does every frame.
pub fn next_frame() {
    let _ = this_threads().flush();
}

/// Spawns `body` and flushes until it is done, as frames would.
///
/// # Panics
///
/// If `body` panics, or is not done after 100 flushes.
#[track_caller]
pub fn run(body: impl Future<Output = ()> + 'static) {
    let handle = spawn(body);
    for _ in 0..100 {
        next_frame();
        if handle.is_finished() {
            break;
        }
    }
    assert!(handle.is_finished(), "the example did not finish");
    let outcome = std::pin::pin!(handle).poll(&mut std::task::Context::from_waker(std::task::Waker::noop()));
    if let std::task::Poll::Ready(Err(error)) = outcome {
        if error.is_panic() {
            std::panic::resume_unwind(error.into_panic());
        }
        panic!("{error}");
    }
}
