//! Engine exit with 1,000 pending tasks, most of them awaiting signals or time: every future must be dropped
//! on the main thread, silently.

use std::cell::Cell;
use std::time::Duration;

use godot::classes::{SceneTree, Script, Timer};
use godot::prelude::*;
use godot_tasks::signal::TypedSignalExt;
use godot_tasks::{threads, time};

use crate::bridge::BridgeProbe;
use crate::emitter::Emitter;

const TASKS: usize = 1000;

thread_local! {
    static DROPPED_ON_MAIN: Cell<usize> = const { Cell::new(0) };
}

/// Counts its own drop, which must happen on the main thread while the engine is alive.
struct DropProbe;

impl Drop for DropProbe {
    fn drop(&mut self) {
        if !godot::init::is_main_thread() {
            eprintln!("exit-scenario: a future was dropped off the main thread");
            return;
        }
        let dropped = DROPPED_ON_MAIN.get() + 1;
        DROPPED_ON_MAIN.set(dropped);
        if dropped == TASKS {
            println!("exit-scenario: {TASKS} of {TASKS} futures dropped on the main thread");
        }
    }
}

pub fn start(mut tree: Gd<SceneTree>) {
    // A timer in the tree that never fires, and a RefCounted emitter kept alive only by the tasks that await
    // it (so it is freed while they are dropped).
    let timer = Timer::new_alloc();
    tree.get_root().expect("a root window").add_child(&timer);
    let emitter = Emitter::new_gd();
    for index in 0..TASKS {
        let probe = DropProbe;
        let (timer, emitter) = (timer.clone(), emitter.clone());
        godot_tasks::spawn(async move {
            let _probe = probe;
            match index % 7 {
                0 => std::future::pending::<()>().await,
                1 => timer.signals().timeout().next_emission().await,
                2 => drop(emitter.signals().count().try_next_emission().await),
                3 => {
                    let mut counts = emitter.signals().count().emissions();
                    while counts.next().await.is_some() {}
                }
                4 => time::sleep(Duration::from_secs(3600)).await,
                5 => time::physics_frames(1_000_000).await,
                // Still running (or queued) on a worker when the engine exits: its late result and wake must be
                // harmless.
                _ if index % 2 == 0 => {
                    drop(threads::spawn_compute(|| std::thread::sleep(Duration::from_millis(300))).await)
                }
                _ => drop(threads::spawn_blocking(|| std::thread::sleep(Duration::from_millis(300))).await),
            }
        })
        .detach();
    }
    // A GDScript coroutine awaiting a Rust awaitable that never ends.
    let mut script = Node::new_alloc();
    script.set_script(&load::<Script>("res://bridge.gd"));
    tree.get_root().expect("a root window").add_child(&script);
    // (Its stack holds only the signal: a coroutine still pending at exit leaks the RefCounted objects on
    // its stack, whatever it awaits.)
    let pending = BridgeProbe::new_gd().upcast::<Object>().call("slow", &[]);
    script.call("await_signal", &[pending]);
    println!(
        "exit-scenario: spawned {TASKS} tasks that never finish (most await signals, time or workers), and a GDScript coroutine awaits a Rust task"
    );
    // Quit once they all run and wait on their signals.
    let quit_timer = tree.create_timer(0.05);
    godot_tasks::spawn(async move {
        quit_timer.signals().timeout().next_emission().await;
        let waiting = crate::emitter::connection_count(&timer, "timeout");
        println!("exit-scenario: tasks are waiting ({waiting} shared connection on the timer); quitting");
        tree.quit();
    })
    .detach();
}
