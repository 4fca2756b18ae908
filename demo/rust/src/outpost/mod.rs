//! The outpost: a small game scene driven by tasks, the demo project's main scene.
//!
//! One task, `outpost`, tells the story: it shows the loading screen while the level loads ([`loading`]), starts
//! one patrol task per unit, each bound to its unit's node ([`patrol`]), frees two units (their patrols end with
//! them), plays a cut-scene of tweens and timers that a key press cancels ([`cutscene`]), and brings in a
//! convoy instantiated from a scene. A HUD task lists the live tasks from `runtime::tasks()` ([`hud`]).
//!
//! Options after `--` on Godot's command line, for unattended runs (tests, screenshots):
//! `--skip-cutscene-at=SECONDS` presses Escape at that game time; `--quit-after=SECONDS` quits. Run with
//! `--fixed-fps 60` for the same frames every time.

mod cutscene;
mod hud;
mod loading;
mod patrol;

use std::collections::{BTreeMap, VecDeque};
use std::fmt::Display;
use std::time::Duration;

use godot::classes::{
    CanvasLayer, INode, InputEvent, InputEventAction, InputEventMouseButton, Label, Line2D, Node2D, Os,
};
use godot::prelude::*;
use godot_tasks::time::{self, Clock, Instant};
use godot_tasks::{CancelHandle, TaskBuilder, resources};

/// The level the loading screen loads.
const LEVEL: &str = "res://outpost/level.tscn";
/// One unit; the convoy is made of these.
const UNIT: &str = "res://outpost/unit.tscn";
/// The units that fall in the ambush: their nodes are freed, and their patrol tasks with them.
const AMBUSHED: [&str; 2] = ["Bravo", "Echo"];
/// The convoy that arrives after the cut-scene: name, colour, route.
const CONVOY: [(&str, Color, [Vector2; 2]); 2] = [
    ("Golf", Color::from_rgb(1.0, 0.65, 0.2), [Vector2::new(930.0, 270.0), Vector2::new(40.0, 270.0)]),
    ("Hotel", Color::from_rgb(0.4, 0.9, 0.9), [Vector2::new(410.0, 520.0), Vector2::new(410.0, 24.0)]),
];
/// Lines kept in the on-screen log.
const LOG_LINES: usize = 5;

#[derive(GodotClass)]
#[class(init, base = Node)]
pub struct Outpost {
    base: Base<Node>,
    /// Cancels the cut-scene's task while it plays: what a skip does.
    skip: Option<CancelHandle>,
    /// When the scene started, for the log's timestamps.
    started: Option<Instant>,
    /// The on-screen log's last lines.
    log: VecDeque<String>,
}

impl Outpost {
    /// Prints `line` with the scene's time and shows it in the on-screen log.
    fn say(&mut self, line: impl Display) {
        let seconds =
            self.started.map_or(0.0, |started| Clock::GAME.now().saturating_duration_since(started).as_secs_f64());
        godot_print!("[outpost {seconds:5.2} s] {line}");
        if self.log.len() == LOG_LINES {
            self.log.pop_front();
        }
        self.log.push_back(line.to_string());
        let text = self.log.iter().cloned().collect::<Vec<_>>().join("\n");
        self.base().get_node_as::<Label>("Hud/LogPanel/Log").set_text(&text);
    }
}

/// `outpost.bind_mut().say(...)`, from a task.
fn say(outpost: &mut Gd<Outpost>, line: impl Display) {
    outpost.bind_mut().say(line);
}

#[godot_api]
impl INode for Outpost {
    fn ready(&mut self) {
        // Counts polls and records what each task awaits, for the HUD's task list.
        godot_tasks::runtime::set_task_tracking(true);
        // Warn of polls longer than a frame at 60 fps (the default, 4 ms, is for release builds; the demo is a
        // debug build).
        godot_tasks::runtime::set_slow_poll_warning(Some(Duration::from_millis(16)));
        self.started = Some(Clock::GAME.now());
        let this = self.to_gd();
        // Every task of the scene is bound to a node of it: freeing the scene (or quitting) cancels them.
        TaskBuilder::new().name("outpost").bind(&this).spawn(story(this.clone())).detach();
        let task_list = self.base().get_node_as::<Label>("Hud/TaskPanel/TaskList");
        TaskBuilder::new().name("task list").bind(&task_list).spawn(hud::list_tasks(task_list)).detach();

        let options = Options::from_command_line();
        if let Some(at) = options.skip_cutscene_at {
            let this = this.clone();
            TaskBuilder::new()
                .name("auto-skip")
                .bind(&this)
                .spawn(async move {
                    time::sleep(at).await;
                    // The same path as a player's key press: through the viewport's input.
                    let mut escape = InputEventAction::new_gd();
                    escape.set_action("ui_cancel");
                    escape.set_pressed(true);
                    this.get_viewport().expect("the outpost is in the tree").push_input(&escape);
                })
                .detach();
        }
        if let Some(at) = options.quit_after {
            let mut this = this.clone();
            TaskBuilder::new()
                .name("auto-quit")
                .bind(&this)
                .spawn(async move {
                    time::sleep(at).await;
                    say(&mut this, format!("quitting with {} tasks live", godot_tasks::runtime::task_count()));
                    this.get_tree().quit();
                })
                .detach();
        }
    }

    fn unhandled_input(&mut self, event: Gd<InputEvent>) {
        let click = event.clone().try_cast::<InputEventMouseButton>().is_ok_and(|click| click.is_pressed());
        if !(click || event.is_action_pressed("ui_cancel") || event.is_action_pressed("ui_accept")) {
            return;
        }
        if let Some(skip) = self.skip.take() {
            // Cancelling drops the cut-scene's future: its `Stage` guard puts the scene back as it was.
            skip.cancel();
            self.say("skip pressed: cancelling the cut-scene task");
            if let Some(mut viewport) = self.base().get_viewport() {
                viewport.set_input_as_handled();
            }
        }
    }
}

/// The scene's story, from the loading screen to the convoy.
async fn story(mut this: Gd<Outpost>) {
    let screen = this.get_node_as::<CanvasLayer>("Loading");
    say(&mut this, format!("loading {LEVEL} on Godot's loader thread"));
    let level = match loading::show(screen, LEVEL).await {
        Ok(report) => {
            say(&mut this, &report);
            report.scene
        }
        Err(error) => {
            say(&mut this, format!("the level did not load: {error}"));
            return;
        }
    };
    let Some(level) = level.try_instantiate_as::<Node2D>() else {
        say(&mut this, format!("{LEVEL} does not have a Node2D at its root"));
        return;
    };
    this.get_node_as::<Node2D>("World").add_child(&level);

    let mut patrols = BTreeMap::new();
    for unit in level.get_node_as::<Node>("Units").get_children().iter_shared() {
        let unit = unit.cast::<Node2D>();
        let name = unit.get_name().to_string();
        let route = level.get_node_as::<Line2D>(&format!("Routes/{name}")).get_points().to_vec();
        patrols.insert(name, patrol::start(unit, route));
    }
    say(&mut this, format!("{} units on patrol, each on a task bound to its node", patrols.len()));

    time::sleep(Duration::from_secs(2)).await;
    say(&mut this, format!("ambush! {} are hit and freed", AMBUSHED.join(" and ")));
    for name in AMBUSHED {
        level.get_node_as::<Node2D>(&format!("Units/{name}")).queue_free();
    }
    for name in AMBUSHED {
        let Some(patrol) = patrols.remove(name) else { continue };
        match patrol.await {
            Err(error) if error.is_cancelled() => say(&mut this, format!("{name}'s patrol task ended with its node")),
            other => say(&mut this, format!("{name}'s patrol task ended unexpectedly: {other:?}")),
        }
    }

    time::sleep(Duration::from_secs(2)).await;
    say(&mut this, "cut-scene: the convoy arrives (Esc, Enter or a click skips it)");
    let stage = cutscene::Stage::find(&this.clone().upcast());
    let cutscene = TaskBuilder::new().name("cut-scene").bind(&this).spawn(cutscene::play(stage));
    this.bind_mut().skip = Some(cutscene.cancel_handle());
    let outcome = cutscene.await;
    this.bind_mut().skip = None;
    match outcome {
        Ok(()) => say(&mut this, "cut-scene: played to the end"),
        Err(error) if error.is_cancelled() => say(&mut this, "cut-scene: skipped, the stage is set back"),
        Err(error) => say(&mut this, format!("cut-scene: {error}")),
    }

    let mut units = level.get_node_as::<Node>("Units");
    for (name, color, route) in CONVOY {
        match resources::instantiate::<Node2D>(UNIT).await {
            Ok(mut unit) => {
                unit.set_name(name);
                unit.set_position(route[0]);
                unit.get_node_as::<godot::classes::Polygon2D>("Body").set_color(color);
                unit.get_node_as::<Label>("Name").set_text(name);
                units.add_child(&unit);
                patrols.insert(name.to_owned(), patrol::start(unit, route.to_vec()));
            }
            Err(error) => say(&mut this, format!("{name} could not join: {error}")),
        }
    }
    say(&mut this, format!("the convoy joined: {} units on patrol", patrols.len()));
}

/// What the command line asks of an unattended run.
#[derive(Default)]
struct Options {
    skip_cutscene_at: Option<Duration>,
    quit_after: Option<Duration>,
}

impl Options {
    fn from_command_line() -> Self {
        let mut options = Options::default();
        for arg in Os::singleton().get_cmdline_user_args().as_slice() {
            let arg = arg.to_string();
            let seconds = |prefix: &str| {
                let value = arg.strip_prefix(prefix)?;
                match value.parse::<f64>() {
                    Ok(seconds) if seconds.is_finite() && seconds >= 0.0 => Some(Duration::from_secs_f64(seconds)),
                    _ => {
                        godot_error!("outpost: {prefix}{value}: expected a number of seconds");
                        None
                    }
                }
            };
            if let Some(at) = seconds("--skip-cutscene-at=") {
                options.skip_cutscene_at = Some(at);
            }
            if let Some(at) = seconds("--quit-after=") {
                options.quit_after = Some(at);
            }
        }
        options
    }
}
