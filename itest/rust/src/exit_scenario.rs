//! Engine exit with work in flight, one scenario per Godot process (`--scenario=NAME`, `--quit=HOW`): every
//! future must be dropped on the main thread, silently, and the process must exit with status 0 (no worker
//! thread may run the extension's code after Godot unloaded it).
//!
//! `cargo xtask test` runs each scenario several times and checks each exit status and output.

use std::cell::Cell;
use std::future::Future;
use std::time::Duration;

use godot::classes::{SceneTree, Script, Timer};
use godot::prelude::*;
use godot_tasks::signal::TypedSignalExt;
use godot_tasks::{threads, time};

use crate::bridge::BridgeProbe;
use crate::emitter::Emitter;

const TASKS: usize = 10_000;

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

/// Starts `scenario`; false if there is no such scenario. It quits the way `quit` says: `task` (a task
/// calls `SceneTree.quit()`), `gdscript` (a GDScript node does), or `close` (the window is asked to close).
pub fn start(tree: Gd<SceneTree>, scenario: &str, quit: &str) -> bool {
    let quit = match quit {
        "task" => Quit::Task,
        "gdscript" => Quit::GdScript,
        "close" => Quit::CloseRequest,
        _ => return false,
    };
    match scenario {
        "exit-with-pending-tasks" => pending_tasks(tree, quit),
        "exit-blocking-job-running" => {
            job_running(threads::spawn_blocking(|| std::thread::sleep(Duration::from_millis(400))), tree, quit)
        }
        "exit-compute-job-running" => {
            job_running(threads::spawn_compute(|| std::thread::sleep(Duration::from_millis(400))), tree, quit)
        }
        "exit-tokio-job-running" => tokio_job_running(tree, quit),
        "exit-long-job-warns" => {
            job_running(threads::spawn_blocking(|| std::thread::sleep(Duration::from_millis(1200))), tree, quit)
        }
        "exit-idle-pools" => idle_pools(tree, quit),
        "exit-jobs-without-tasks" => jobs_without_tasks(tree),
        "exit-destructor-spawns" => destructor_spawns(tree, quit),
        "exit-while-loading" => loading(tree, quit),
        _ => return false,
    }
    true
}

#[derive(Clone, Copy)]
enum Quit {
    Task,
    GdScript,
    CloseRequest,
}

/// Quits after `seconds`, the way `quit` says, printing `what` first.
fn quit_after(mut tree: Gd<SceneTree>, seconds: f64, quit: Quit, what: &'static str) {
    let timer = tree.create_timer(seconds);
    godot_tasks::spawn(async move {
        timer.signals().timeout().next_emission().await;
        println!("exit-scenario: {what}; quitting");
        match quit {
            Quit::Task => tree.quit(),
            Quit::GdScript => {
                let mut quitter = Node::new_alloc();
                quitter.set_script(&load::<Script>("res://quitter.gd"));
                tree.get_root().expect("a root window").add_child(&quitter);
            }
            // What the window manager's close button does: the tree quits when its root window asks to close.
            Quit::CloseRequest => {
                tree.get_root().expect("a root window").emit_signal("close_requested", &[]);
            }
        }
    })
    .detach();
}

/// Loads on Godot's threaded loader, awaited by a task or dropped, when the engine exits in the next frame:
/// the runtime claims every load still running, and nothing is left in Godot's loader.
fn loading(tree: Gd<SceneTree>, quit: Quit) {
    godot_tasks::spawn(async {
        if let Ok(level) = godot_tasks::resources::instantiate::<Node>("res://assets/level.tscn").await {
            level.free(); // a node in no tree is ours to free
        }
    })
    .detach();
    godot_tasks::spawn(godot_tasks::resources::load::<godot::classes::Resource>("res://assets/curve.tres")).detach();
    drop(godot_tasks::resources::load::<godot::classes::Resource>("res://assets/dropped.tres"));
    quit_after(tree, 0.0, quit, "loads are in flight");
}

/// A job on a worker pool that is still running when the engine exits: the exit waits for it.
fn job_running(job: threads::Offloaded<()>, tree: Gd<SceneTree>, quit: Quit) {
    godot_tasks::spawn(async move {
        let _ = job.await;
    })
    .detach();
    quit_after(tree, 0.1, quit, "a job is running on a worker");
}

/// A tokio future still running (and one blocking its worker thread for a while) when the engine exits.
fn tokio_job_running(tree: Gd<SceneTree>, quit: Quit) {
    godot_tasks::spawn(async move {
        let _ = threads::spawn_tokio(async { tokio::time::sleep(Duration::from_secs(3600)).await }).await;
    })
    .detach();
    godot_tasks::spawn(async move {
        let _ = threads::spawn_tokio(async { std::thread::sleep(Duration::from_millis(400)) }).await;
    })
    .detach();
    quit_after(tree, 0.1, quit, "tokio futures are running");
}

/// Jobs offloaded by code that never spawns a task (their futures kept outside any task, here leaked), and a
/// quit in the same frame: the pools must still be stopped and joined at exit.
fn jobs_without_tasks(mut tree: Gd<SceneTree>) {
    std::mem::forget(threads::spawn_blocking(|| std::thread::sleep(Duration::from_millis(400))));
    std::mem::forget(threads::spawn_compute(|| std::thread::sleep(Duration::from_millis(400))));
    println!("exit-scenario: jobs run, no task was ever spawned; quitting");
    tree.quit();
}

/// Every pool ran jobs earlier and is idle (its threads wait for work) when the engine exits.
fn idle_pools(tree: Gd<SceneTree>, quit: Quit) {
    godot_tasks::spawn(async move {
        for _ in 0..8 {
            let _ = threads::spawn_blocking(|| std::thread::sleep(Duration::from_millis(5))).await;
            let _ = threads::spawn_compute(|| 1 + 1).await;
            let _ = threads::spawn_tokio(async { 2 }).await;
        }
        println!("exit-scenario: the pools are idle");
        quit_after(tree, 0.1, quit, "the pools have been idle for a while");
    })
    .detach();
}

/// Futures whose destructors spawn replacements (refused during the exit), three generations deep: each is
/// dropped once, on the main thread, after the refusing `spawn` returned.
fn destructor_spawns(tree: Gd<SceneTree>, quit: Quit) {
    thread_local! {
        static DROPS: Cell<u32> = const { Cell::new(0) };
    }
    struct Respawn(u32);
    impl Drop for Respawn {
        fn drop(&mut self) {
            let drops = DROPS.get() + 1;
            DROPS.set(drops);
            if self.0 > 0 {
                let respawn = Respawn(self.0 - 1);
                godot_tasks::spawn(async move {
                    let _respawn = respawn;
                    std::future::pending::<()>().await
                })
                .detach();
            } else if godot::init::is_main_thread() {
                println!("exit-scenario: {drops} of 4 destructors ran");
            }
        }
    }
    let respawn = Respawn(3);
    godot_tasks::spawn(async move {
        let _respawn = respawn;
        std::future::pending::<()>().await
    })
    .detach();
    quit_after(tree, 0.05, quit, "a task whose destructor spawns is pending");
}

/// Holds a signal future outside any task and polls it twice when freed, after the runtime stopped at exit:
/// the future, whose hub was closed, must stay pending both times (it once panicked the second time).
#[derive(GodotClass)]
#[class(init, base = Node)]
pub struct ExitPoller {
    future: Option<godot_tasks::signal::NextEmission<(i64,)>>,
    base: Base<Node>,
}

impl Drop for ExitPoller {
    fn drop(&mut self) {
        let Some(mut future) = self.future.take() else { return };
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        for _ in 0..2 {
            if std::pin::Pin::new(&mut future).poll(&mut cx).is_ready() {
                eprintln!("exit-scenario: a signal future resolved after engine exit");
            }
        }
    }
}

/// 10,000 pending tasks of every wait kind, and a GDScript coroutine awaiting Rust.
fn pending_tasks(tree: Gd<SceneTree>, quit: Quit) {
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
            match index % 10 {
                0 => std::future::pending::<()>().await,
                7 => time::frames(1_000_000).await,
                8 => {
                    let mut ticks = time::ticker(Duration::from_secs(3600));
                    loop {
                        ticks.tick().await;
                    }
                }
                9 => drop(godot_tasks::spawn(std::future::pending::<()>()).await),
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
    let mut poller = ExitPoller::new_alloc();
    poller.bind_mut().future = Some(emitter.signals().count().next_emission());
    tree.get_root().expect("a root window").add_child(&poller);
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
    let waiting = timer.clone();
    godot_tasks::spawn(async move {
        time::next_frame().await;
        let waiting = crate::emitter::connection_count(&waiting, "timeout");
        println!("exit-scenario: tasks are waiting ({waiting} shared connection on the timer)");
    })
    .detach();
    quit_after(tree, 0.05, quit, "10,000 tasks are waiting");
}
