//! The loading screen: a progress bar fed by [`resources::load`]'s progress stream while Godot's loader thread
//! reads the level.

use std::cell::Cell;
use std::fmt;

use godot::classes::{CanvasLayer, ColorRect, Label, PackedScene, ProgressBar};
use godot::prelude::*;
use godot_tasks::resources::{self, LoadError};
use godot_tasks::signal::TypedSignalExt;
use godot_tasks::time::{self, Clock};

/// How fast the bar may fill, in bar widths per second. A small level loads within a frame or two; the bar
/// eases toward the loader's progress instead of jumping, as loading bars in games do, so it takes at least
/// `1 / BAR_SPEED` seconds to fill.
const BAR_SPEED: f64 = 1.25;
/// How long the screen fades out.
const FADE_SECONDS: f64 = 0.4;

/// What [`show`] reports once the level is loaded.
pub struct Loaded {
    pub scene: Gd<PackedScene>,
    /// The progress values the loader reported, first to last.
    pub progress: Vec<f32>,
    /// Game time from the request to the resource, in seconds.
    pub seconds: f64,
}

impl fmt::Display for Loaded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let values: Vec<String> = self.progress.iter().map(|p| format!("{p:.2}")).collect();
        write!(f, "level loaded in {:.2} s, progress {}", self.seconds, values.join(" → "))
    }
}

/// Loads the scene at `path` while `screen` shows its progress, then fades the screen out.
pub async fn show(screen: Gd<CanvasLayer>, path: &str) -> Result<Loaded, LoadError> {
    let mut bar = screen.get_node_as::<ProgressBar>("Screen/Bar");
    let mut status = screen.get_node_as::<Label>("Screen/Status");
    let started = Clock::GAME.now();
    let load = resources::load::<PackedScene>(path);
    let mut progress = load.progress();
    let load_seconds = Cell::new(0.0);
    let load = async {
        let scene = load.await;
        load_seconds.set(started.elapsed().as_secs_f64());
        scene
    };

    // Three things at once, in one task: the load itself, reading its progress, and the bar easing toward it.
    let reported = Cell::new(0.0_f32);
    let finished = Cell::new(false);
    let mut values = Vec::new();
    let follow = async {
        while let Some(done) = progress.next().await {
            values.push(done);
            reported.set(done);
        }
        // The stream ends at 1.0 on success, earlier on failure: either way the bar stops there.
        finished.set(true);
    };
    let ease = async {
        let mut shown = 0.0_f64;
        let mut last = Clock::GAME.now();
        while !(finished.get() && shown >= f64::from(reported.get())) {
            time::next_frame().await;
            let now = Clock::GAME.now();
            let step = BAR_SPEED * now.saturating_duration_since(last).as_secs_f64();
            last = now;
            shown = (shown + step).min(f64::from(reported.get()));
            bar.set_value(shown);
            status.set_text(&format!("loading {path}   {:3.0} %", shown * 100.0));
        }
    };
    let (scene, (), ()) = futures_util::join!(load, follow, ease);
    let scene = scene?;
    status.set_text("ready");

    let mut backdrop = screen.get_node_as::<ColorRect>("Screen");
    let mut tween = backdrop.create_tween();
    tween.tween_property(&backdrop, "modulate:a", &0.0.to_variant(), FADE_SECONDS);
    tween.signals().finished().next_emission().await;
    backdrop.hide();
    Ok(Loaded { scene, progress: values, seconds: load_seconds.get() })
}
