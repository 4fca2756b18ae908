//! The game the inspector test connects to (`tests/inspector.rs`): `itest/godot/inspected.gd` runs it in a
//! second Godot process started with `--remote-debug`, so that the runtime meets a real debugger connection.
//!
//! It spawns five tasks with known names and waits; when the one named `victim` is cancelled (the test does
//! it through the inspector's cancel message), its future's destructor quits the game with exit code 0.

use std::time::Duration;

use godot::classes::{Engine, SceneTree, Timer};
use godot::prelude::*;
use godot_tasks::TaskBuilder;
use godot_tasks::signal::TypedSignalExt;
use godot_tasks::time;

#[derive(GodotClass)]
#[class(init, base = Object)]
pub struct InspectedGame;

#[godot_api]
impl InspectedGame {
    /// Spawns the known tasks: `sleeper` (a minute of game time), `counter` (100 000 frames), `door` (the
    /// `timeout` of a stopped Timer), `cutscene` (awaits `door`), and `victim`.
    #[func]
    fn start() {
        TaskBuilder::new().name("sleeper").spawn(time::sleep(Duration::from_secs(60))).detach();
        TaskBuilder::new().name("counter").spawn(time::frames(100_000)).detach();
        let mut timer = Timer::new_alloc();
        timer.set_name("DoorTimer");
        if let Some(mut root) = Engine::singleton()
            .get_main_loop()
            .and_then(|main| main.try_cast::<SceneTree>().ok())
            .and_then(|tree| tree.get_root())
        {
            root.add_child(&timer);
        }
        let door = TaskBuilder::new().name("door").spawn(timer.signals().timeout().next_emission());
        TaskBuilder::new().name("cutscene").spawn(door).detach();
        TaskBuilder::new()
            .name("victim")
            .spawn(async {
                let _quit = QuitWhenDropped;
                std::future::pending::<()>().await;
            })
            .detach();
    }
}

/// Quits the game when dropped: the victim was cancelled.
struct QuitWhenDropped;

impl Drop for QuitWhenDropped {
    fn drop(&mut self) {
        if let Some(tree) = Engine::singleton().get_main_loop().and_then(|main| main.try_cast::<SceneTree>().ok()) {
            println!("inspected-game: the victim's future was dropped; quitting");
            tree.clone().quit();
        }
    }
}
