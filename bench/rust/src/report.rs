//! One measured result, and the JSON file `cargo xtask bench` renders.

use serde_json::{Value, json};

pub const OURS: &str = "godot-tasks";
pub const UPSTREAM: &str = "godot::task";
pub const GDSCRIPT: &str = "gdscript";
/// What users write without an async runtime, e.g. a channel polled in `_process`.
pub const BY_HAND: &str = "by hand";

/// One scenario run by one implementation.
pub struct Measurement {
    pub scenario: &'static str,
    pub implementation: &'static str,
    /// `None` for rows that count something other than time.
    pub ns_per_op: Option<f64>,
    /// What one operation is, e.g. "per await".
    pub unit: &'static str,
    pub ops: u64,
    pub allocs_per_op: Option<f64>,
    pub bytes_per_task: Option<f64>,
    pub polls_per_frame: Option<f64>,
    pub frames_until_resumed: Option<f64>,
    pub note: Option<String>,
}

impl Measurement {
    pub fn new(
        scenario: &'static str,
        implementation: &'static str,
        unit: &'static str,
        ns_per_op: f64,
        ops: u64,
    ) -> Self {
        Self {
            scenario,
            implementation,
            ns_per_op: Some(ns_per_op),
            unit,
            ops,
            allocs_per_op: None,
            bytes_per_task: None,
            polls_per_frame: None,
            frames_until_resumed: None,
            note: None,
        }
    }

    /// A row that counts something other than time (e.g. allocations).
    pub fn untimed(mut self) -> Self {
        self.ns_per_op = None;
        self
    }

    pub fn allocs(mut self, per_op: f64) -> Self {
        self.allocs_per_op = Some(per_op);
        self
    }

    pub fn bytes(mut self, per_task: f64) -> Self {
        self.bytes_per_task = Some(per_task);
        self
    }

    pub fn polls_per_frame(mut self, polls: f64) -> Self {
        self.polls_per_frame = Some(polls);
        self
    }

    pub fn frames_until_resumed(mut self, frames: f64) -> Self {
        self.frames_until_resumed = Some(frames);
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }

    pub fn to_json(&self) -> Value {
        json!({
            "scenario": self.scenario,
            "implementation": self.implementation,
            "ns_per_op": self.ns_per_op,
            "unit": self.unit,
            "ops": self.ops,
            "allocs_per_op": self.allocs_per_op,
            "bytes_per_task": self.bytes_per_task,
            "polls_per_frame": self.polls_per_frame,
            "frames_until_resumed": self.frames_until_resumed,
            "note": self.note,
        })
    }

    /// One line for Godot's output while the benchmark runs.
    pub fn print(&self) {
        let time = self.ns_per_op.map_or_else(|| "—".to_owned(), |ns| format!("{ns:.1} ns"));
        let mut line = format!("bench {:<18} {:<12} {time:>15} {}", self.scenario, self.implementation, self.unit);
        if let Some(allocs) = self.allocs_per_op {
            line += &format!(", {allocs:.2} allocs/op");
        }
        if let Some(bytes) = self.bytes_per_task {
            line += &format!(", {bytes:.0} B/task");
        }
        if let Some(polls) = self.polls_per_frame {
            line += &format!(", {polls:.1} polls/frame");
        }
        if let Some(frames) = self.frames_until_resumed {
            line += &format!(", resumed after {frames:.1} frames");
        }
        if let Some(note) = &self.note {
            line += &format!(" ({note})");
        }
        println!("{line}");
    }
}

pub fn write(path: &str, results: &[Measurement]) -> Result<(), String> {
    let json = Value::Array(results.iter().map(Measurement::to_json).collect());
    let text = serde_json::to_string_pretty(&json).map_err(|e| e.to_string())?;
    std::fs::write(path, text).map_err(|e| format!("could not write {path}: {e}"))
}
