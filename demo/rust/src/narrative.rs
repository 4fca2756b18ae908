//! The narrated demo: a few tasks wait for engine signals, hand values to each other and finish,
//! narrating as they go.
//!
//! Run it with `cargo xtask demo`. The tasks wait for real Godot signals (a scene-tree timer, a `Timer` node
//! ticking, a signal of the `Demo` node itself, a node that is freed while a task waits for it) and for game
//! time and frames (a sleep, a ticker, a timeout); a sentry task is bound to a node and ends with it;
//! a cartographer reads a file and surveys it on worker threads; a quartermaster scene written in GDScript
//! awaits this node's async func, and is awaited from Rust in turn.

use std::time::Duration;

use godot::classes::{INode, Node, Performance, ProjectSettings, Timer};
use godot::prelude::*;
use godot_tasks::signal::{SignalErrorKind, TypedSignalExt};
use godot_tasks::time::{self, Clock};
use godot_tasks::{TaskBuilder, gdscript};

fn frame() -> u64 {
    godot::classes::Engine::singleton().get_process_frames()
}

#[derive(GodotClass)]
#[class(init, base = Node)]
struct Demo {
    base: Base<Node>,
}

#[godot_api]
impl Demo {
    /// Announced by the captain; awaited by the herald.
    #[signal]
    fn marching_orders(caves: i64, swords: i64);

    /// An async func for GDScript: `var rations = await demo.count_supplies("rations")`.
    #[func]
    fn count_supplies(&self, item: GString) -> Signal {
        TaskBuilder::new().name("count_supplies").awaitable(async move {
            time::sleep(Duration::from_millis(20)).await;
            match item.to_string().as_str() {
                "rations" => 120,
                "arrows" => 300,
                _ => 0,
            }
        })
    }
}

#[godot_api]
impl INode for Demo {
    fn ready(&mut self) {
        let mut tree = self.base().get_tree();
        let this = self.to_gd();
        // Counts every task's polls and records what it awaits, for the clerk's roll call below.
        godot_tasks::runtime::set_task_tracking(true);
        godot_print!(
            "[frame {}] demo: spawning a scout, a smith, a lookout, a herald, a deserter, a sentry, a cartographer, a quartermaster, a clerk and a captain",
            frame()
        );

        // Waits for a one-shot scene-tree timer.
        let scout_timer = tree.create_timer(0.1);
        let scout = TaskBuilder::new().name("scout").spawn(async move {
            godot_print!("[frame {}] scout: setting out to explore", frame());
            scout_timer.signals().timeout().next_emission().await;
            godot_print!("[frame {}] scout: back after 0.1 s, found 3 caves", frame());
            3
        });

        // Counts the ticks of a repeating `Timer` node: a stream of emissions.
        let mut anvil = Timer::new_alloc();
        anvil.set_wait_time(0.02);
        self.base_mut().add_child(&anvil);
        anvil.start();
        let smith = TaskBuilder::new().name("smith").spawn(async move {
            godot_print!("[frame {}] smith: forging swords, one per anvil tick", frame());
            let mut ticks = anvil.signals().timeout().emissions();
            let mut swords = 0;
            while swords < 4 && ticks.next().await.is_some() {
                swords += 1;
            }
            anvil.queue_free();
            godot_print!("[frame {}] smith: {swords} swords ready", frame());
            swords
        });

        // Awaits a signal of a node that is freed before it fires: an error, not a hang or a crash.
        let mut watchtower = Node::new_alloc();
        watchtower.set_name("Watchtower");
        self.base_mut().add_child(&watchtower);
        let deserter = TaskBuilder::new().name("deserter").spawn({
            let watchtower = watchtower.clone();
            async move {
                match watchtower.signals().renamed().try_next_emission().await {
                    Ok(()) => godot_print!("[frame {}] deserter: the watchtower was renamed", frame()),
                    Err(error) if error.kind() == &SignalErrorKind::EmitterFreed => {
                        godot_print!("[frame {}] deserter: the watchtower is gone, nothing to wait for", frame());
                    }
                    Err(error) => godot_error!("deserter: {error}"),
                }
            }
        });
        // A sentry bound to the watchtower: cancelled when the tower is freed, never polled after that.
        let sentry = TaskBuilder::new().name("sentry").bind(&watchtower).spawn(async {
            loop {
                time::next_frame().await;
            }
        });
        watchtower.queue_free();

        // Game time and frames: a sleep, a steady ticker, and a timeout around something that never comes.
        let lookout = TaskBuilder::new().name("lookout").spawn(async move {
            time::sleep(Duration::from_millis(50)).await;
            godot_print!(
                "[frame {}] lookout: {:.2} s of game time in, climbing the tower",
                frame(),
                Clock::GAME.now().seconds()
            );
            let mut watch = time::ticker(Duration::from_millis(20));
            for _ in 0..3 {
                let tick = watch.tick().await;
                godot_print!("[frame {}] lookout: watch {tick}, all quiet", frame());
            }
            let enemy = std::future::pending::<()>();
            if time::timeout(Duration::from_millis(30), enemy).await.is_err() {
                godot_print!("[frame {}] lookout: no enemy within 30 ms, coming down", frame());
            }
            time::next_frame().await;
        });

        // A cartographer reads the map file on a blocking worker (file I/O) and counts its clearings on the
        // compute pool (CPU work); the task resumes on the main thread with the result. (This reads the file
        // from disk, as the demo runs from its project folder; in an exported game `res://` lives inside
        // the .pck: read it there with `FileAccess` on the main thread and decode it on a worker.)
        let map_path = ProjectSettings::singleton().globalize_path("res://map.txt").to_string();
        let cartographer = TaskBuilder::new().name("cartographer").spawn(async move {
            let map = godot_tasks::threads::spawn_blocking(move || std::fs::read_to_string(map_path))
                .await
                .expect("the worker did not panic")
                .expect("the demo project has a map.txt");
            let clearings = godot_tasks::threads::spawn_compute(move || map.chars().filter(|c| *c == '.').count())
                .await
                .expect("the worker did not panic");
            godot_print!(
                "[frame {}] cartographer: map read and surveyed on worker threads, {clearings} clearings",
                frame()
            );
        });

        // A GDScript scene (quartermaster.tscn) awaits this node's async func `count_supplies`; this task
        // awaits the scene's GDScript coroutine `report` in turn.
        let mut host = this.clone();
        let quartermaster = TaskBuilder::new().name("quartermaster").spawn(async move {
            let node = load::<PackedScene>("res://quartermaster.tscn")
                .instantiate()
                .expect("the quartermaster scene instantiates");
            host.add_child(&node); // its `_ready` starts awaiting Rust
            let report = gdscript::call::<GString>(&node, "report", &[]).await.expect("the quartermaster reports");
            godot_print!("[frame {}] quartermaster's report, awaited from Rust: {report}", frame());
        });

        // Awaits the captain's own signal, with its arguments.
        let herald_demo = this.clone();
        let herald = TaskBuilder::new().name("herald").spawn(async move {
            let (caves, swords) = herald_demo.signals().marching_orders().next_emission().await;
            godot_print!("[frame {}] herald: orders heard: {caves} caves, {swords} swords", frame());
        });

        // Reads the roll of live tasks while the others wait: what `runtime::tasks()` and the monitors show.
        TaskBuilder::new()
            .name("clerk")
            .spawn(async {
                time::frames(7).await;
                godot_print!("[frame {}] clerk: roll call of the live tasks (runtime::tasks()):", frame());
                for task in godot_tasks::runtime::tasks() {
                    let awaiting: Vec<String> = task.awaiting.iter().map(ToString::to_string).collect();
                    let awaiting = if awaiting.is_empty() { "-".to_owned() } else { awaiting.join(", ") };
                    let name = task.name.as_deref().unwrap_or("(unnamed)");
                    godot_print!("    {name:<13} {:<8} polled {}x, awaiting {awaiting}", task.state, task.polls);
                }
                let monitors: Vec<String> = godot_tasks::runtime::MONITOR_IDS
                    .iter()
                    .map(|id| {
                        format!(
                            "{}={}",
                            id.trim_start_matches("godot_tasks/"),
                            Performance::singleton().get_custom_monitor(*id)
                        )
                    })
                    .collect();
                godot_print!("[frame {}] clerk: monitors: {}", frame(), monitors.join(" "));
            })
            .detach();

        TaskBuilder::new()
            .name("captain")
            .spawn(async move {
                godot_print!("[frame {}] captain: waiting for the scout and the smith", frame());
                let caves = scout.await.expect("the scout neither panicked nor was cancelled");
                let swords = smith.await.expect("the smith neither panicked nor was cancelled");
                godot_print!("[frame {}] captain: {caves} caves, {swords} swords. March!", frame());
                this.signals().marching_orders().emit(caves, swords);
                herald.await.expect("the herald heard the orders");
                lookout.await.expect("the lookout came down");
                cartographer.await.expect("the cartographer finished");
                quartermaster.await.expect("the quartermaster reported");
                let relieved = sentry.await.expect_err("the sentry's tower is gone");
                godot_print!("[frame {}] captain: {relieved}, with its tower", frame());
                deserter.await.expect("the deserter finished");
                let straggler = godot_tasks::spawn(std::future::pending::<()>());
                straggler.cancel();
                let report = straggler.await.expect_err("a cancelled task gives an error");
                godot_print!("[frame {}] captain: the straggler was recalled ({report})", frame());
                godot_print!("[frame {}] demo: all tasks finished, quitting", frame());
                tree.quit();
            })
            .detach();
    }
}
