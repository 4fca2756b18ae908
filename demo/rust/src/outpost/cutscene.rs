//! The cut-scene: letterbox bars, a camera move, two lines of dialog typed out, a title card; tweens and
//! timers awaited one after another, as a GDScript cut-scene awaits `tween.finished` and `create_timer`.
//!
//! Skipping cancels the task that plays it: the future is dropped at its current `await`, wherever that is.
//! The [`Stage`] it owns puts everything back in its destructor (kills its tweens, lifts the letterbox, resets
//! the camera), so a skip at any moment leaves the same scene as the last frame of the cut-scene.

use std::time::Duration;

use godot::builtin::Side;
use godot::classes::{Camera2D, ColorRect, Control, Label, Tween};
use godot::prelude::*;
use godot_tasks::signal::TypedSignalExt;
use godot_tasks::time;

/// Letterbox bar height, in pixels.
const BAR: f32 = 64.0;
/// The screen's height, in pixels.
const HEIGHT: f32 = 540.0;
/// Where the camera rests, and where it looks during the cut-scene (the gate), with its zoom.
const CAMERA_HOME: Vector2 = Vector2::new(480.0, 270.0);
const CAMERA_GATE: Vector2 = Vector2::new(630.0, 270.0);
const ZOOM_GATE: Vector2 = Vector2::new(1.5, 1.5);
/// Time per typed character.
const TYPING: Duration = Duration::from_millis(28);
/// The dialog: speaker, line.
const LINES: [(&str, &str); 2] = [
    ("Gatekeeper", "Lights on the east road. Two vehicles, running dark."),
    ("Commander", "That's our convoy. Open the gate and put them on patrol."),
];

/// The cut-scene's nodes. Dropping it sets them back to how the scene looks outside the cut-scene.
pub struct Stage {
    top: Gd<ColorRect>,
    bottom: Gd<ColorRect>,
    dialog: Gd<ColorRect>,
    speaker: Gd<Label>,
    text: Gd<Label>,
    title: Gd<Label>,
    hint: Gd<Label>,
    /// The HUD's log, hidden while the dialog shows.
    log: Gd<Control>,
    camera: Gd<Camera2D>,
    /// Every tween started, to stop the running one when the cut-scene is cancelled.
    tweens: Vec<Gd<Tween>>,
}

impl Stage {
    /// Finds the cut-scene's nodes under the outpost.
    pub fn find(outpost: &Gd<Node>) -> Self {
        Self {
            top: outpost.get_node_as("Cutscene/LetterboxTop"),
            bottom: outpost.get_node_as("Cutscene/LetterboxBottom"),
            dialog: outpost.get_node_as("Cutscene/Dialog"),
            speaker: outpost.get_node_as("Cutscene/Dialog/Speaker"),
            text: outpost.get_node_as("Cutscene/Dialog/Text"),
            title: outpost.get_node_as("Cutscene/Title"),
            hint: outpost.get_node_as("Cutscene/SkipHint"),
            log: outpost.get_node_as("Hud/LogPanel"),
            camera: outpost.get_node_as("Camera"),
            tweens: Vec::new(),
        }
    }

    /// A new parallel tween on the camera (the tweens of one step run together), remembered for [`Drop`].
    fn tween(&mut self) -> Gd<Tween> {
        let mut tween = self.camera.create_tween();
        tween.set_parallel();
        tween.set_trans(godot::classes::tween::TransitionType::SINE);
        self.tweens.retain(|tween| tween.is_valid());
        self.tweens.push(tween.clone());
        tween
    }
}

impl Drop for Stage {
    fn drop(&mut self) {
        // Also runs when the game quits during the cut-scene: then some nodes may be gone already.
        for tween in &mut self.tweens {
            tween.kill();
        }
        if self.top.is_instance_valid() {
            self.top.set_offset(Side::BOTTOM, 0.0);
        }
        if self.bottom.is_instance_valid() {
            self.bottom.set_offset(Side::TOP, HEIGHT);
        }
        if self.dialog.is_instance_valid() {
            self.dialog.hide();
        }
        if self.hint.is_instance_valid() {
            self.hint.hide();
        }
        if self.log.is_instance_valid() {
            self.log.show();
        }
        if self.title.is_instance_valid() {
            self.title.set_modulate(Color::from_rgba(1.0, 1.0, 1.0, 0.0));
        }
        if self.camera.is_instance_valid() {
            self.camera.set_position(CAMERA_HOME);
            self.camera.set_zoom(Vector2::ONE);
        }
    }
}

/// Plays the cut-scene on `stage`, start to end.
pub async fn play(mut stage: Stage) {
    stage.hint.show();
    stage.log.hide();
    // Letterbox in.
    let mut tween = stage.tween();
    tween.tween_property(&stage.top, "offset_bottom", &BAR.to_variant(), 0.5);
    tween.tween_property(&stage.bottom, "offset_top", &(HEIGHT - BAR).to_variant(), 0.5);
    tween.signals().finished().next_emission().await;

    // The camera looks at the gate.
    let mut tween = stage.tween();
    tween.tween_property(&stage.camera, "position", &CAMERA_GATE.to_variant(), 1.2);
    tween.tween_property(&stage.camera, "zoom", &ZOOM_GATE.to_variant(), 1.2);
    tween.signals().finished().next_emission().await;

    // The dialog, typed out one character at a time.
    stage.dialog.show();
    for (speaker, line) in LINES {
        stage.speaker.set_text(speaker);
        stage.text.set_text(line);
        for shown in 0..=line.chars().count() {
            stage.text.set_visible_characters(shown as i32);
            time::sleep(TYPING).await;
        }
        time::sleep(Duration::from_millis(900)).await;
    }
    stage.dialog.hide();

    // The title card fades in and out.
    let mut tween = stage.tween();
    tween.tween_property(&stage.title, "modulate:a", &1.0.to_variant(), 0.4);
    tween.signals().finished().next_emission().await;
    time::sleep(Duration::from_millis(900)).await;
    let mut tween = stage.tween();
    tween.tween_property(&stage.title, "modulate:a", &0.0.to_variant(), 0.4);
    // Back to the outpost; the letterbox lifts.
    tween.tween_property(&stage.camera, "position", &CAMERA_HOME.to_variant(), 0.8);
    tween.tween_property(&stage.camera, "zoom", &Vector2::ONE.to_variant(), 0.8);
    tween.tween_property(&stage.top, "offset_bottom", &0.0.to_variant(), 0.8);
    tween.tween_property(&stage.bottom, "offset_top", &HEIGHT.to_variant(), 0.8);
    tween.signals().finished().next_emission().await;
    // `stage` drops here: setting back what is already back is harmless.
}
