//! A tool class for the editor hot-reload test (`itest/editor`): starts every kind of pending work, and
//! checks that everything works (again) after a reload.
//!
//! Each pending future holds a [`Pending`] that prints a line when it is dropped; the last one dropped says
//! whether all of them were, on the main thread. `cargo xtask test` checks that this line comes before the
//! reload returns: the futures were dropped while their library was still loaded.

use std::cell::Cell;
use std::time::Duration;

use godot::classes::{Gradient, Timer};
use godot::prelude::*;
use godot_tasks::signal::TypedSignalExt;
use godot_tasks::{gdscript, resources, threads, time};

thread_local! {
    static STARTED: Cell<u32> = const { Cell::new(0) };
    static DROPPED: Cell<u32> = const { Cell::new(0) };
}

/// Counts the drop of one pending future.
struct Pending(&'static str);

impl Pending {
    fn new(kind: &'static str) -> Self {
        STARTED.set(STARTED.get() + 1);
        Self(kind)
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if !godot::init::is_main_thread() {
            println!("reload-probe: the {} future was dropped off the main thread", self.0);
            return;
        }
        let dropped = DROPPED.get() + 1;
        DROPPED.set(dropped);
        let started = STARTED.get();
        if dropped == started {
            println!("reload-probe: all {started} pending futures dropped once, on the main thread");
        } else if dropped > started {
            println!("reload-probe: a future was dropped twice ({dropped} drops, {started} futures)");
        }
    }
}

/// Starts pending work of every kind on demand; lives in the editor's tree.
#[derive(GodotClass)]
#[class(tool, init, base = Node)]
pub struct ReloadProbe {
    base: Base<Node>,
}

#[godot_api]
impl ReloadProbe {
    /// Starts a frame loop, a long sleep, a ticker, a signal wait, a compute job, a blocking job and a
    /// tokio job, all pending; returns the signal of a pending task GDScript awaits.
    #[func]
    fn start_work(&mut self) -> Signal {
        let mut timer = Timer::new_alloc();
        timer.set_wait_time(3600.0);
        self.base_mut().add_child(&timer);
        let pending = Pending::new("frame loop");
        godot_tasks::spawn(async move {
            let _pending = pending;
            loop {
                time::next_frame().await;
            }
        })
        .detach();
        let pending = Pending::new("sleep");
        godot_tasks::spawn(async move {
            let _pending = pending;
            time::sleep(Duration::from_secs(3600)).await;
        })
        .detach();
        let pending = Pending::new("ticker");
        godot_tasks::spawn(async move {
            let _pending = pending;
            let mut ticks = time::ticker(Duration::from_millis(100));
            loop {
                ticks.tick().await;
            }
        })
        .detach();
        let pending = Pending::new("signal");
        godot_tasks::spawn(async move {
            let _pending = pending;
            timer.signals().timeout().next_emission().await;
        })
        .detach();
        let pending = Pending::new("compute job");
        godot_tasks::spawn(async move {
            let _pending = pending;
            let _ = threads::spawn_compute(|| std::thread::sleep(Duration::from_millis(300))).await;
        })
        .detach();
        let pending = Pending::new("blocking job");
        godot_tasks::spawn(async move {
            let _pending = pending;
            let _ = threads::spawn_blocking(|| std::thread::sleep(Duration::from_millis(300))).await;
        })
        .detach();
        let pending = Pending::new("tokio job");
        godot_tasks::spawn(async move {
            let _pending = pending;
            let _ = threads::spawn_tokio(async { tokio::time::sleep(Duration::from_secs(3600)).await }).await;
        })
        .detach();
        let pending = Pending::new("awaitable");
        gdscript::awaitable(async move {
            let _pending = pending;
            time::sleep(Duration::from_secs(3600)).await;
            1
        })
    }

    /// Starts a threaded resource load that is still in flight when GDScript reloads the extension in the same
    /// frame; returns how many loads are in flight.
    #[func]
    fn start_load(&mut self) -> i64 {
        let pending = Pending::new("resource load");
        // Requested here, not at the task's first poll: in flight before GDScript reloads.
        let load = resources::load::<Gradient>("res://loads/reload.tres");
        godot_tasks::spawn(async move {
            let _pending = pending;
            let _ = load.await;
            time::sleep(Duration::from_secs(3600)).await;
        })
        .detach();
        resources::loads_in_flight() as i64
    }

    /// Checks tasks, signals, time, threads and the bridge: resolves with "ok", or with what failed.
    #[func]
    fn check_works(&mut self) -> Signal {
        let mut timer = Timer::new_alloc();
        timer.set_wait_time(0.05);
        timer.set_one_shot(true);
        self.base_mut().add_child(&timer);
        gdscript::awaitable(async move {
            time::next_frame().await;
            time::sleep(Duration::from_millis(50)).await;
            timer.start();
            timer.signals().timeout().next_emission().await;
            timer.queue_free();
            let computed = threads::spawn_compute(|| 6 * 7).await;
            let read = threads::spawn_blocking(|| 40 + 2).await;
            let tokio = threads::spawn_tokio(async { 21 * 2 }).await.ok();
            let inner = godot_tasks::spawn(async { 42 }).await.ok();
            match (computed, read, tokio, inner) {
                (Ok(42), Ok(42), Some(42), Some(42)) => GString::from("ok"),
                other => GString::from(&format!("unexpected results: {other:?}")),
            }
        })
    }
}
