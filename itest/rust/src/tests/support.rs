//! Small futures the tests steer by hand.

use std::cell::{Cell, RefCell};

use godot::classes::{Logger, Os, Script};
use godot::obj::Singleton;
use godot::prelude::*;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

/// A future that completes when `fire` is called, remembering the latest waker (main thread).
#[derive(Clone, Default)]
pub struct Trigger(Rc<RefCell<(bool, Option<Waker>)>>);

impl Trigger {
    pub fn fire(&self) {
        let waker = {
            let mut state = self.0.borrow_mut();
            state.0 = true;
            state.1.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    pub fn wait(&self) -> impl Future<Output = ()> + 'static {
        let state = self.0.clone();
        std::future::poll_fn(move |cx: &mut Context<'_>| {
            let mut state = state.borrow_mut();
            if state.0 {
                Poll::Ready(())
            } else {
                state.1 = Some(cx.waker().clone());
                Poll::Pending
            }
        })
    }
}

/// The latest waker of a task, reachable from any thread.
#[derive(Clone, Default)]
pub struct SharedWaker(pub Arc<Mutex<Option<Waker>>>);

impl SharedWaker {
    pub fn store(&self, waker: &Waker) {
        *self.0.lock().unwrap() = Some(waker.clone());
    }

    pub fn wake(&self) {
        if let Some(waker) = self.0.lock().unwrap().as_ref() {
            waker.wake_by_ref();
        }
    }
}

/// Counts polls and records whether its drop ran on the main thread.
pub struct Probe {
    pub polls: Rc<Cell<u32>>,
    pub dropped_on_main: DroppedOnMain,
}

/// Where a [`Probe`] reports: `Some(true)` once dropped on the main thread.
pub type DroppedOnMain = Rc<Cell<Option<bool>>>;

impl Probe {
    pub fn new() -> (Self, Rc<Cell<u32>>, DroppedOnMain) {
        let polls = Rc::new(Cell::new(0));
        let dropped = Rc::new(Cell::new(None));
        (Self { polls: polls.clone(), dropped_on_main: dropped.clone() }, polls, dropped)
    }
}

impl Future for Probe {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        self.polls.set(self.polls.get() + 1);
        Poll::Pending
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        self.dropped_on_main.set(Some(godot::init::is_main_thread()));
    }
}

/// Runs `f` when dropped.
pub struct OnDrop<F: FnMut()>(pub F);

impl<F: FnMut()> Drop for OnDrop<F> {
    fn drop(&mut self) {
        (self.0)();
    }
}

/// A task that wakes itself at every poll (never finishing), counting its polls in the returned cell.
pub fn spinner() -> (godot_tasks::JoinHandle<()>, Rc<Cell<u32>>) {
    let polls = Rc::new(Cell::new(0u32));
    let counter = polls.clone();
    let handle = godot_tasks::spawn(std::future::poll_fn(move |cx| {
        counter.set(counter.get() + 1);
        cx.waker().wake_by_ref();
        Poll::<()>::Pending
    }));
    (handle, polls)
}

/// Collects the errors Godot reports while it lives (a GDScript `Logger`).
pub struct ErrorLog(Gd<Logger>);

impl ErrorLog {
    pub fn start() -> Self {
        let mut logger = Logger::new_gd();
        logger.set_script(&load::<Script>("res://error_log.gd"));
        Os::singleton().add_logger(&logger);
        Self(logger)
    }

    /// Fails unless one error contains every one of `parts`.
    pub fn expect_error(&self, parts: &[&str]) -> Result<(), String> {
        let errors = self.errors();
        let found = errors.iter().any(|error| parts.iter().all(|part| error.contains(part)));
        if found { Ok(()) } else { Err(format!("no error contains all of {parts:?}: {errors:?}")) }
    }

    pub fn errors(&self) -> Vec<String> {
        let errors: PackedStringArray = self.0.clone().upcast::<Object>().call("errors", &[]).to();
        errors.as_slice().iter().map(GString::to_string).collect()
    }
}

impl Drop for ErrorLog {
    fn drop(&mut self) {
        Os::singleton().remove_logger(&self.0);
    }
}
