//! Engine exit with 1,000 pending tasks: every future must be dropped on the main thread, silently.

use std::cell::Cell;

use godot::classes::SceneTree;
use godot::prelude::*;

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
    for _ in 0..TASKS {
        let probe = DropProbe;
        godot_tasks::spawn(async move {
            let _probe = probe;
            std::future::pending::<()>().await;
        })
        .detach();
    }
    println!("exit-scenario: spawned {TASKS} tasks that never finish; quitting");
    tree.quit();
}
