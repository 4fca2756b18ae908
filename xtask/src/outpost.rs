//! Checks of the demo's windowed scene, the outpost, run headless at a fixed 60 frames per second so that
//! its game time (and so its story) is the same on every machine.

use std::path::Path;

use crate::itest::{ERROR_MARKERS, Results, headless_godot_scene, run_echoed};
use crate::screenshots::SCENE;
use crate::shell::{cargo, root, run, step};

/// One unattended run: its options and the lines its output must contain, in this order.
struct Run {
    name: &'static str,
    options: &'static [&'static str],
    lines: &'static [&'static str],
}

const RUNS: &[Run] = &[
    Run {
        name: "outpost scene: load with progress, patrols end with their nodes, a skipped cut-scene, a convoy",
        options: &["--skip-cutscene-at=8", "--quit-after=11"],
        lines: &[
            "loading res://outpost/level.tscn on Godot's loader thread",
            "→ 1.00",
            "6 units on patrol, each on a task bound to its node",
            "ambush! Bravo and Echo are hit and freed",
            "Bravo's patrol task ended with its node",
            "Echo's patrol task ended with its node",
            "cut-scene: the convoy arrives",
            "skip pressed: cancelling the cut-scene task",
            "cut-scene: skipped, the stage is set back",
            "the convoy joined: 6 units on patrol",
            "quitting with",
        ],
    },
    Run {
        name: "outpost scene: the cut-scene played to the end",
        options: &["--quit-after=17"],
        lines: &["cut-scene: the convoy arrives", "cut-scene: played to the end", "the convoy joined", "quitting with"],
    },
    Run {
        name: "outpost scene: quit while the level loads",
        options: &["--quit-after=0.5"],
        lines: &["loading res://outpost/level.tscn", "quitting with"],
    },
    Run {
        name: "outpost scene: quit during the cut-scene (its guard runs at exit)",
        options: &["--quit-after=7"],
        lines: &["cut-scene: the convoy arrives", "quitting with"],
    },
];

/// Runs the outpost headless: with a skip, without, and quitting in the middle; checks its story, its error
/// output and its exit status.
pub fn check(bin: &Path, results: &mut Results) -> Result<(), String> {
    step("The demo's outpost scene, headless at a fixed 60 fps");
    run(cargo().args(["build", "-p", "godot-tasks-demo"]))?;
    let project = root().join("demo/godot");
    for check in RUNS {
        let mut command = headless_godot_scene(bin, &project, SCENE)?;
        command.args(["--fixed-fps", "60", "--"]).args(check.options);
        let (status, text) = run_echoed(&mut command)?;
        let mut failures = Vec::new();
        if !status.success() {
            failures.push(format!("Godot exited with {status}"));
        }
        let lines: Vec<&str> = text.lines().collect();
        let mut after = 0;
        for wanted in check.lines {
            match lines[after..].iter().position(|line| line.contains(wanted)) {
                Some(at) => after += at + 1,
                None => failures.push(format!("missing, or out of order: `{wanted}`")),
            }
        }
        failures.extend(lines.iter().filter(|l| ERROR_MARKERS.iter().any(|m| l.contains(m))).map(|l| l.to_string()));
        results.check(check.name, failures.is_empty(), &failures.join("\n"));
    }
    Ok(())
}
