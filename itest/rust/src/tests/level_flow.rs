//! `level_flow.gd` ported to Rust, both run side by side in one process: with GDScript timing the two logs are
//! identical line by line; with the default timing they differ exactly as "Coming from GDScript" says.

use godot::classes::Script;
use godot::prelude::*;
use godot_tasks::signal::SignalExt;
use godot_tasks::{CancelOnDrop, TaskBuilder, time};

use crate::harness::{frames, tree, wait_until};
use crate::{ensure, ensure_eq, tests};

tests![
    level_flow_port_matches_gdscript_line_by_line_with_gdscript_timing,
    level_flow_port_with_the_default_timing_differs_as_documented,
];

/// A node running `level_flow.gd`, in the tree: the GDScript flow runs on one, the Rust port on another.
fn level_node() -> Gd<Node> {
    let mut node = Node::new_alloc();
    node.set_script(&load::<Script>("res://level_flow.gd"));
    tree().get_root().expect("a root").add_child(&node);
    node
}

fn note(node: &Gd<Node>, what: String) {
    node.clone().call("note", vslice![what]);
}

/// The port of `run_level`.
async fn run_level(mut node: Gd<Node>, flow: i64) {
    note(&node, format!("flow {flow}: start"));
    time::create_timer(0.05, true, false, false).await;
    note(&node, format!("flow {flow}: intro done"));
    for number in 1..=2_i64 {
        node.set("wave", &number.to_variant());
        let (cleared,): (i64,) = Signal::from_object_signal(&node, "wave_cleared").next_emission().await;
        let emitting: bool = node.get("emitting").to();
        note(&node, format!("flow {flow}: wave {cleared} cleared, emitting={emitting}"));
        node.set("wave", &0.to_variant());
        between_waves(&node, flow).await;
    }
    note(&node, format!("flow {flow}: boss"));
    time::process_frame().await;
    note(&node, format!("flow {flow}: level end"));
}

/// The port of `_between_waves`.
async fn between_waves(node: &Gd<Node>, flow: i64) {
    time::physics_frame().await;
    note(node, format!("flow {flow}: between waves"));
    time::create_timer(0.03, true, true, false).await;
}

/// The port of the click: the running flow is cancelled by replacing its handle.
struct Flows {
    node: Gd<Node>,
    gdscript_timing: bool,
    generation: i64,
    running: Option<CancelOnDrop<()>>,
}

impl Flows {
    fn click(&mut self) {
        self.generation += 1;
        let builder = if self.gdscript_timing { TaskBuilder::new().gdscript_timing() } else { TaskBuilder::new() };
        self.running = Some(builder.spawn(run_level(self.node.clone(), self.generation)).cancel_on_drop());
    }
}

fn entries(node: &Gd<Node>) -> Vec<String> {
    node.get("entries").to::<Array<GString>>().iter_shared().map(|line| line.to_string()).collect()
}

/// Runs both flows: a click, a second click 0.1 s of frames later (abandoning the first flow mid-way), then
/// until both second flows end. Returns the GDScript log and the Rust log.
async fn run_both(gdscript_timing: bool) -> Result<(Vec<String>, Vec<String>), String> {
    let (gd, rs) = (level_node(), level_node());
    let mut flows = Flows { node: rs.clone(), gdscript_timing, generation: 0, running: None };
    gd.clone().call("click", &[]);
    flows.click();
    frames(6).await;
    gd.clone().call("click", &[]);
    flows.click();
    let ended = |node: &Gd<Node>| entries(node).iter().any(|line| line.starts_with("flow 2: level end"));
    let outcome = wait_until(600, "both flows ended", || ended(&gd) && ended(&rs)).await;
    let logs = (entries(&gd), entries(&rs));
    drop(flows);
    gd.free();
    rs.free();
    outcome?;
    Ok(logs)
}

async fn level_flow_port_matches_gdscript_line_by_line_with_gdscript_timing() -> Result<(), String> {
    let (gd, rs) = run_both(true).await?;
    ensure!(gd.len() > 10, "the flow ran: {gd:?}");
    for (index, (gd_line, rs_line)) in gd.iter().zip(&rs).enumerate() {
        ensure!(gd_line == rs_line, "line {index} differs:\n  gd {gd_line}\n  rs {rs_line}\ngd {gd:#?}\nrs {rs:#?}");
    }
    ensure_eq!(gd.len(), rs.len());
    Ok(())
}

/// The differences "Coming from GDScript" lists for the default timing, and only those: the task resumes after
/// the emitter returns, so it reads `emitting` as false, and the emitter's line after its emit comes first and
/// still sees the wave the task has not cleared yet. Every line lands on the same frames.
async fn level_flow_port_with_the_default_timing_differs_as_documented() -> Result<(), String> {
    let (gd, rs) = run_both(false).await?;
    let mut expected = Vec::new();
    let mut lines = gd.iter().peekable();
    while let Some(line) = lines.next() {
        match lines.peek() {
            // GDScript: "wave N cleared, emitting=true", then the emitter's "emitted wave 0" (cleared inside).
            Some(next) if line.contains(" cleared, emitting=true") && next.starts_with("emitted wave 0") => {
                let wave = line.split(": wave ").nth(1).and_then(|rest| rest.split(' ').next()).unwrap_or("?");
                let frames = next.split_once(" process=").map(|(_, frames)| frames).unwrap_or("?");
                expected.push(format!("emitted wave {wave} process={frames}"));
                expected.push(line.replace("emitting=true", "emitting=false"));
                lines.next();
            }
            _ => expected.push(line.clone()),
        }
    }
    ensure!(expected.len() == gd.len() && gd.iter().any(|line| line.contains("emitting=true")), "{gd:#?}");
    for (index, (want, got)) in expected.iter().zip(&rs).enumerate() {
        ensure!(want == got, "line {index}:\n  expected {want}\n  rs       {got}\ngd {gd:#?}\nrs {rs:#?}");
    }
    ensure_eq!(expected.len(), rs.len());
    Ok(())
}
