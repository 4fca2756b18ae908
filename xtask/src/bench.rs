//! `cargo xtask bench`: runs the benchmarks in one headless Godot process and renders their results.
//!
//! The bench project (`bench/godot`, extension crate `godot-tasks-bench`) measures each scenario with
//! godot-tasks, with the godot crate's `godot::task`, in GDScript, and by hand (what users write without an
//! async runtime, e.g. a channel polled in `_process`), and writes a JSON array of rows to
//! the path given as `--out=PATH` (after `--`). Each row:
//!
//! | field | type | meaning |
//! | --- | --- | --- |
//! | `scenario` | string | e.g. "spawn", "signal fan-out", "memory" |
//! | `implementation` | string | exactly "godot-tasks", "godot::task", "gdscript" or "by hand" |
//! | `ns_per_op` | number or null | nanoseconds per op (may be 0 for "memory"; null: not timed) |
//! | `unit` | string | what one op is: "per task", "per await", "bytes per task", ... |
//! | `allocs_per_op`, `bytes_per_task`, `polls_per_frame`, `frames_until_resumed` | number, optional | |
//! | `ops` | integer, optional | accepted, not shown |
//! | `note` | string, optional | shown under the table |
//!
//! Optional fields may be absent or null; unknown fields are ignored. A scenario named "memory" (or whose
//! unit mentions bytes) compares `bytes_per_task` instead of `ns_per_op`.
//!
//! From the rows this module renders a text table (stdout), a Markdown table (`target/bench/results.md`)
//! and a bar chart of godot-tasks' speed-ups (`target/bench/results.svg`).

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use serde::Deserialize;

use crate::godot;
use crate::itest::headless_godot;
use crate::shell::{cargo, root, run, step};

/// The implementations compared, in column order; the first is ours.
const IMPLEMENTATIONS: [&str; 4] = ["godot-tasks", "godot::task", "gdscript", "by hand"];
/// Shown where there is no value.
const NONE: &str = "—";
/// The chart's title.
const CHART_TITLE: &str = "godot-tasks speed-up (higher is better)";

/// Builds the bench extension, runs the benchmarks `runs` times (each in its own Godot process), and writes
/// and prints their results: with several runs, each value is the run's median and a second table shows
/// every value's spread (lowest–highest).
pub fn bench(quick: bool, runs: usize) -> Result<(), String> {
    let bin = godot::binary()?;
    step("Building the bench extension (release)");
    run(cargo().args(["build", "--release", "-p", "godot-tasks-bench"]))?;

    let dir = root().join("target/bench");
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let json = dir.join("results.json");
    let mut all_runs = Vec::new();
    for run_index in 0..runs.max(1) {
        step(&if quick {
            "Running the benchmarks in headless Godot (--quick: small sizes, timings not meaningful)".to_owned()
        } else {
            format!("Running the benchmarks in headless Godot (run {} of {})", run_index + 1, runs.max(1))
        });
        run_godot(&bin, &json, quick)?;
        let text = fs::read_to_string(&json).map_err(|e| format!("cannot read {}: {e}", json.display()))?;
        all_runs.push(parse(&text).map_err(|e| format!("{}: {e}", json.display()))?);
    }
    let rows = medians(&all_runs)?;
    let scenarios = scenarios(&rows)?;
    let notes = notes(&rows);

    step("Results");
    print!("{}", text_table(&scenarios, &notes));
    let mut markdown = markdown_table(&scenarios, &notes);
    if all_runs.len() > 1 {
        let _ =
            write!(markdown, "\nSpread over {} runs (lowest–highest):\n\n{}", all_runs.len(), spread_table(&all_runs)?);
    }
    println!("\nMarkdown:\n\n{markdown}");
    let md = dir.join("results.md");
    fs::write(&md, &markdown).map_err(|e| format!("cannot write {}: {e}", md.display()))?;
    let svg = dir.join("results.svg");
    fs::write(&svg, svg_chart(&scenarios)).map_err(|e| format!("cannot write {}: {e}", svg.display()))?;

    println!("results: {}", json.display());
    println!("table:   {}", md.display());
    println!("chart:   {}", svg.display());
    Ok(())
}

/// Runs `bench/godot`'s `run.gd`, which must write its results to `json`; fails if it does not.
fn run_godot(bin: &Path, json: &Path, quick: bool) -> Result<(), String> {
    match fs::remove_file(json) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("cannot delete the previous {}: {e}", json.display())),
    }
    let mut command = headless_godot(bin, &root().join("bench/godot"), "res://run.gd")?;
    command.arg("--").arg(format!("--out={}", json.display()));
    if quick {
        command.arg("--quick");
    }
    run(&mut command).map_err(|e| format!("the benchmarks failed: {e}"))?;
    if !json.is_file() {
        return Err(format!(
            "Godot exited successfully but wrote no results to {} (bench/godot/run.gd must write them to the \
             path given as --out=PATH)",
            json.display()
        ));
    }
    Ok(())
}

/// One measurement: one scenario with one implementation.
#[derive(Clone, Debug, Deserialize)]
struct Row {
    scenario: String,
    implementation: String,
    /// Required, but null when the row counts something other than time.
    #[serde(deserialize_with = "Option::deserialize")]
    ns_per_op: Option<f64>,
    unit: String,
    allocs_per_op: Option<f64>,
    bytes_per_task: Option<f64>,
    polls_per_frame: Option<f64>,
    frames_until_resumed: Option<f64>,
    note: Option<String>,
}

/// Reads the results file's rows; every implementation must be one of [`IMPLEMENTATIONS`].
fn parse(json: &str) -> Result<Vec<Row>, String> {
    let rows: Vec<Row> = serde_json::from_str(json).map_err(|e| format!("not the expected results JSON: {e}"))?;
    if let Some(row) = rows.iter().find(|row| !IMPLEMENTATIONS.contains(&row.implementation.as_str())) {
        return Err(format!(
            "scenario {:?} has an unknown implementation {:?} (expected one of {IMPLEMENTATIONS:?})",
            row.scenario, row.implementation
        ));
    }
    Ok(rows)
}

/// The value a row is compared by: bytes per task for memory rows, else nanoseconds per op.
fn compared_value(row: &Row) -> Option<f64> {
    if row.scenario == "memory" || row.unit.contains("byte") { row.bytes_per_task } else { row.ns_per_op }
}

/// One row per scenario and implementation (in the first run's order): the row of the run whose compared
/// value is the median of all runs' (the lower middle one for an even count).
fn medians(runs: &[Vec<Row>]) -> Result<Vec<Row>, String> {
    let first = runs.first().ok_or("no run")?;
    let mut merged = Vec::new();
    for row in first {
        let mut same: Vec<&Row> = runs
            .iter()
            .filter_map(|run| {
                run.iter().find(|other| other.scenario == row.scenario && other.implementation == row.implementation)
            })
            .collect();
        same.sort_by(|a, b| compared_value(a).partial_cmp(&compared_value(b)).unwrap_or(std::cmp::Ordering::Equal));
        merged.push(same[(same.len() - 1) / 2].clone());
    }
    Ok(merged)
}

/// A Markdown table of each value's lowest and highest over the runs.
fn spread_table(runs: &[Vec<Row>]) -> Result<String, String> {
    let first = runs.first().ok_or("no run")?;
    let firsts = scenarios(first)?;
    let mut text = String::new();
    let _ = writeln!(text, "| scenario | unit | {} |", IMPLEMENTATIONS.join(" | "));
    let _ = writeln!(text, "| --- | --- |{}", " ---: |".repeat(IMPLEMENTATIONS.len()));
    for scenario in &firsts {
        let mut cells = Vec::new();
        for implementation in IMPLEMENTATIONS {
            let mut values: Vec<f64> = runs
                .iter()
                .filter_map(|run| {
                    run.iter().find(|row| row.scenario == scenario.name && row.implementation == implementation)
                })
                .filter_map(compared_value)
                .collect();
            values.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
            let format = |value: f64| if scenario.is_memory() { format_bytes(value) } else { format_duration(value) };
            cells.push(match (values.first(), values.last()) {
                (Some(low), Some(high)) => format!("{}–{}", format(*low), format(*high)),
                _ => NONE.to_owned(),
            });
        }
        let _ = writeln!(text, "| {} | {} | {} |", scenario.name, scenario.unit, cells.join(" | "));
    }
    Ok(text)
}

/// One scenario's rows, one slot per implementation (in [`IMPLEMENTATIONS`] order).
#[derive(Debug)]
struct Scenario<'a> {
    name: &'a str,
    /// Ours if we have a row, else the first row's.
    unit: &'a str,
    rows: [Option<&'a Row>; IMPLEMENTATIONS.len()],
}

impl Scenario<'_> {
    /// Whether this scenario compares bytes per task rather than time per op.
    fn is_memory(&self) -> bool {
        self.name == "memory" || self.unit.contains("byte")
    }

    /// The compared value of implementation `index`: nanoseconds per op, or bytes per task.
    fn value(&self, index: usize) -> Option<f64> {
        let row = self.rows[index]?;
        if self.is_memory() { row.bytes_per_task } else { row.ns_per_op }
    }

    /// The value of implementation `index`, formatted with its unit.
    fn formatted(&self, index: usize) -> String {
        match self.value(index) {
            Some(bytes) if self.is_memory() => format_bytes(bytes),
            Some(ns) => format_duration(ns),
            None => NONE.to_owned(),
        }
    }

    /// How many times more the implementation `index` takes than ours (`> 1`: ours is faster or smaller).
    fn ratio(&self, index: usize) -> Option<f64> {
        let ours = self.value(0)?;
        let other = self.value(index)?;
        (ours > 0.0 && ours.is_finite() && other.is_finite()).then(|| other / ours)
    }

    fn ours(&self) -> Option<&Row> {
        self.rows[0]
    }
}

/// Groups rows by scenario, in the order scenarios first appear; two rows for one pair are an error.
fn scenarios(rows: &[Row]) -> Result<Vec<Scenario<'_>>, String> {
    let mut scenarios: Vec<Scenario> = Vec::new();
    for row in rows {
        let index = IMPLEMENTATIONS.iter().position(|i| *i == row.implementation).expect("checked by parse");
        let scenario = match scenarios.iter_mut().position(|s| s.name == row.scenario) {
            Some(position) => &mut scenarios[position],
            None => {
                scenarios.push(Scenario { name: &row.scenario, unit: &row.unit, rows: [None; IMPLEMENTATIONS.len()] });
                scenarios.last_mut().expect("just pushed")
            }
        };
        if scenario.rows[index].is_some() {
            return Err(format!(
                "two rows for scenario {:?} with implementation {:?}",
                row.scenario, row.implementation
            ));
        }
        scenario.rows[index] = Some(row);
        if index == 0 {
            scenario.unit = &row.unit;
        }
    }
    Ok(scenarios)
}

/// The rows' notes, as "scenario (implementation): note".
fn notes(rows: &[Row]) -> Vec<String> {
    rows.iter()
        .filter_map(|row| {
            let note = row.note.as_deref().map(str::trim).filter(|n| !n.is_empty())?;
            Some(format!("{} ({}): {note}", row.scenario, row.implementation))
        })
        .collect()
}

/// The table's column titles.
const HEADER: [&str; 11] = [
    "scenario",
    "unit",
    "godot-tasks",
    "godot::task",
    "gdscript",
    "by hand",
    "vs godot::task",
    "vs gdscript",
    "vs by hand",
    "allocs/op (ours)",
    "frames (ours)",
];

/// Whether column `index` is right-aligned (the numeric ones).
fn right_aligned(index: usize) -> bool {
    (2..=9).contains(&index)
}

/// One table row per scenario, the cells in [`HEADER`] order.
fn table_cells(scenarios: &[Scenario]) -> Vec<[String; HEADER.len()]> {
    scenarios
        .iter()
        .map(|s| {
            let allocs = s.ours().and_then(|r| r.allocs_per_op);
            let ratio = |index| s.ratio(index).map_or_else(|| NONE.to_owned(), format_ratio);
            [
                s.name.to_owned(),
                s.unit.to_owned(),
                s.formatted(0),
                s.formatted(1),
                s.formatted(2),
                s.formatted(3),
                ratio(1),
                ratio(2),
                ratio(3),
                allocs.map_or_else(|| NONE.to_owned(), format_number),
                frames_cell(s.ours()),
            ]
        })
        .collect()
}

/// Polls per frame and frames until resumed of our row, where measured.
fn frames_cell(ours: Option<&Row>) -> String {
    let Some(row) = ours else { return NONE.to_owned() };
    let mut parts = Vec::new();
    if let Some(polls) = row.polls_per_frame {
        let plural = if polls == 1.0 { "" } else { "s" };
        parts.push(format!("{} poll{plural}/frame", format_number(polls)));
    }
    if let Some(frames) = row.frames_until_resumed {
        let plural = if frames == 1.0 { "" } else { "s" };
        parts.push(format!("resumed after {} frame{plural}", format_number(frames)));
    }
    if parts.is_empty() { NONE.to_owned() } else { parts.join(", ") }
}

/// The results as an aligned plain-text table, followed by the notes.
fn text_table(scenarios: &[Scenario], notes: &[String]) -> String {
    let rows = table_cells(scenarios);
    let header = HEADER.map(str::to_owned);
    let width =
        |column: usize| std::iter::once(&header).chain(&rows).map(|row| row[column].chars().count()).max().unwrap_or(0);
    let widths: Vec<usize> = (0..HEADER.len()).map(width).collect();
    let mut text = String::new();
    let mut line = |cells: &[String; HEADER.len()]| {
        let padded: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, cell)| {
                let pad = " ".repeat(widths[i] - cell.chars().count());
                if right_aligned(i) { format!("{pad}{cell}") } else { format!("{cell}{pad}") }
            })
            .collect();
        text.push_str(padded.join("  ").trim_end());
        text.push('\n');
    };
    line(&header);
    line(&widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().try_into().expect("one rule per column"));
    for row in &rows {
        line(row);
    }
    if !notes.is_empty() {
        text.push_str("\nnotes:\n");
        for note in notes {
            let _ = writeln!(text, "  - {note}");
        }
    }
    text
}

/// The results as a Markdown table (for the README), followed by the notes as a list.
fn markdown_table(scenarios: &[Scenario], notes: &[String]) -> String {
    let cell = |text: &str| text.replace('|', "\\|");
    let mut text = String::new();
    let _ = writeln!(text, "| {} |", HEADER.join(" | "));
    let rules: Vec<&str> = (0..HEADER.len()).map(|i| if right_aligned(i) { "---:" } else { "---" }).collect();
    let _ = writeln!(text, "| {} |", rules.join(" | "));
    for row in table_cells(scenarios) {
        let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
        let _ = writeln!(text, "| {} |", cells.join(" | "));
    }
    if !notes.is_empty() {
        text.push('\n');
        for note in notes {
            let _ = writeln!(text, "- {note}");
        }
    }
    text
}

/// Nanoseconds with a unit that keeps two or three digits: "85 ns", "1.2 µs", "3.4 ms".
fn format_duration(ns: f64) -> String {
    format_scaled(ns, &[(1e9, "s"), (1e6, "ms"), (1e3, "µs"), (1.0, "ns")])
}

/// Bytes with a binary unit: "120 B", "1.5 KiB".
fn format_bytes(bytes: f64) -> String {
    format_scaled(bytes, &[(1024.0 * 1024.0, "MiB"), (1024.0, "KiB"), (1.0, "B")])
}

/// `value` in the largest of `units` (largest first, the last one of scale 1) that keeps it at least 1;
/// one decimal below 10, none above.
fn format_scaled(value: f64, units: &[(f64, &str)]) -> String {
    if value == 0.0 {
        return format!("0 {}", units[units.len() - 1].1);
    }
    // The threshold is a hair under the scale, so that 999.7 ns reads "1.0 µs" rather than "1000 ns".
    let (scale, unit) =
        units.iter().find(|(scale, _)| value.abs() >= scale * 0.9995).unwrap_or(&units[units.len() - 1]);
    let scaled = value / scale;
    if scaled.abs() < 9.95 { format!("{scaled:.1} {unit}") } else { format!("{scaled:.0} {unit}") }
}

/// A speed-up, other / ours: "4.1× faster", "12× faster", "0.8× (slower)", "1.0× (even)" when it rounds
/// to 1.
fn format_ratio(ratio: f64) -> String {
    let number = ratio_number(ratio);
    if number == "1" || number == "1.0" {
        "1.0× (even)".to_owned()
    } else if ratio >= 1.0 {
        format!("{number}× faster")
    } else {
        format!("{number}× (slower)")
    }
}

/// A ratio's number: no decimals from 10 on, one from 1, two significant digits below 1.
fn ratio_number(ratio: f64) -> String {
    if ratio >= 9.95 {
        format!("{ratio:.0}")
    } else if ratio >= 1.0 {
        format!("{ratio:.1}")
    } else {
        significant(ratio, 2)
    }
}

/// A plain number with up to three significant digits, without trailing zeros: "0", "2.5", "0.013", "140".
fn format_number(value: f64) -> String {
    significant(value, 3)
}

/// `value` rounded to `digits` significant digits (integers stay whole), trailing zeros trimmed.
fn significant(value: f64, digits: i32) -> String {
    if value == 0.0 || !value.is_finite() {
        return format!("{value}");
    }
    let magnitude = value.abs().log10().floor() as i32;
    let decimals = (digits - 1 - magnitude).clamp(0, 9) as usize;
    let text = format!("{value:.decimals$}");
    if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.').to_owned() } else { text }
}

/// Escapes text for SVG.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The chart's log scale.
const CHART_MIN: f64 = 0.1;
const CHART_MAX: f64 = 1000.0;
const CHART_TICKS: [f64; 5] = [0.1, 1.0, 10.0, 100.0, 1000.0];
/// Bar colours per implementation (ours has no bar).
const BAR_COLORS: [&str; IMPLEMENTATIONS.len()] = ["#000000", "#478cbf", "#e69f00", "#009e73"];

/// A horizontal bar chart, on a log scale, of how many times faster (for memory: smaller) godot-tasks is
/// than each other implementation, one group per scenario; bars grow right of 1× when ours is faster.
fn svg_chart(scenarios: &[Scenario]) -> String {
    const WIDTH: f64 = 900.0;
    const PLOT_LEFT: f64 = 200.0;
    const PLOT_RIGHT: f64 = 820.0;
    const TOP: f64 = 84.0;
    const BAR: f64 = 16.0;
    const BAR_GAP: f64 = 4.0;
    const GROUP_GAP: f64 = 14.0;
    /// A group is at least as tall as its two-line label (name and unit); its bars are centred in it.
    const LABEL_HEIGHT: f64 = 30.0;
    let x = |ratio: f64| {
        let span = CHART_MAX.log10() - CHART_MIN.log10();
        PLOT_LEFT + (ratio.clamp(CHART_MIN, CHART_MAX).log10() - CHART_MIN.log10()) / span * (PLOT_RIGHT - PLOT_LEFT)
    };
    let one = x(1.0);

    let mut bars = String::new();
    let mut y = TOP;
    for scenario in scenarios {
        let pairs: Vec<(usize, f64)> =
            (1..IMPLEMENTATIONS.len()).filter_map(|i| Some((i, scenario.ratio(i)?))).collect();
        if pairs.is_empty() {
            continue;
        }
        let bars_height = pairs.len() as f64 * (BAR + BAR_GAP) - BAR_GAP;
        let height = bars_height.max(LABEL_HEIGHT);
        let middle = y + height / 2.0;
        let first_top = middle - bars_height / 2.0;
        let _ = writeln!(
            bars,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="end" font-size="13">{}</text>"##,
            PLOT_LEFT - 10.0,
            middle - 1.0,
            escape(scenario.name)
        );
        let _ = writeln!(
            bars,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="end" font-size="11" fill="#777">{}</text>"##,
            PLOT_LEFT - 10.0,
            middle + 12.0,
            escape(scenario.unit)
        );
        for (k, (index, ratio)) in pairs.iter().enumerate() {
            let top = first_top + k as f64 * (BAR + BAR_GAP);
            let end = x(*ratio);
            let tooltip = format!(
                "{}: {} {}, godot-tasks {}: {}",
                scenario.name,
                IMPLEMENTATIONS[*index],
                scenario.formatted(*index),
                scenario.formatted(0),
                format_ratio(*ratio)
            );
            let _ = writeln!(
                bars,
                r##"<rect class="bar" x="{:.1}" y="{top:.1}" width="{:.1}" height="{BAR}" fill="{}"><title>{}</title></rect>"##,
                one.min(end),
                (end - one).abs().max(1.0),
                BAR_COLORS[*index],
                escape(&tooltip)
            );
            // Right of a faster bar's end; left of a slower one's, unless that would run into the names.
            let (label_x, anchor) = if *ratio >= 1.0 {
                (end + 4.0, "start")
            } else if end - PLOT_LEFT > 44.0 {
                (end - 4.0, "end")
            } else {
                (one + 4.0, "start")
            };
            let _ = writeln!(
                bars,
                r##"<text x="{label_x:.1}" y="{:.1}" text-anchor="{anchor}" font-size="12">{}×</text>"##,
                top + BAR / 2.0 + 4.0,
                ratio_number(*ratio)
            );
        }
        y += height + GROUP_GAP;
    }
    if bars.is_empty() {
        let _ = writeln!(
            bars,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="13" fill="#777">no scenario has results for godot-tasks and another implementation</text>"##,
            (PLOT_LEFT + PLOT_RIGHT) / 2.0,
            TOP + 16.0
        );
        y += 30.0;
    }
    let bottom = y - GROUP_GAP + 8.0;

    let mut grid = String::new();
    for tick in CHART_TICKS {
        let _ = writeln!(
            grid,
            r##"<line x1="{0:.1}" y1="{1:.1}" x2="{0:.1}" y2="{bottom:.1}" stroke="#e0e0e0"/>"##,
            x(tick),
            TOP - 8.0
        );
        let _ = writeln!(
            grid,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="12">{}×</text>"##,
            x(tick),
            bottom + 16.0,
            significant(tick, 1)
        );
    }

    let height = bottom + 48.0;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0}" viewBox="0 0 {WIDTH} {height:.0}" font-family="sans-serif">"##
    );
    let _ = writeln!(svg, r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);
    let _ = writeln!(
        svg,
        r##"<text x="{:.1}" y="28" text-anchor="middle" font-size="16" font-weight="bold">{}</text>"##,
        WIDTH / 2.0,
        escape(CHART_TITLE)
    );
    for (k, index) in (1..IMPLEMENTATIONS.len()).enumerate() {
        let left = PLOT_LEFT + k as f64 * 200.0;
        let _ = writeln!(
            svg,
            r##"<rect x="{left:.1}" y="46" width="12" height="12" fill="{}"/><text x="{:.1}" y="56" font-size="13">vs {}</text>"##,
            BAR_COLORS[index],
            left + 18.0,
            escape(IMPLEMENTATIONS[index])
        );
    }
    svg.push_str(&grid);
    svg.push_str(&bars);
    let _ = writeln!(
        svg,
        r##"<line x1="{one:.1}" y1="{:.1}" x2="{one:.1}" y2="{bottom:.1}" stroke="#333333" stroke-width="1.5"/>"##,
        TOP - 8.0
    );
    let _ = writeln!(
        svg,
        r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="12" fill="#555">times faster than the other implementation (memory: times smaller), log scale</text>"##,
        (PLOT_LEFT + PLOT_RIGHT) / 2.0,
        bottom + 36.0
    );
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"[
        {"scenario": "spawn", "implementation": "godot-tasks", "ns_per_op": 85.2, "unit": "per task",
         "allocs_per_op": 1, "ops": 10000, "extra_field": [1, 2]},
        {"scenario": "spawn", "implementation": "godot::task", "ns_per_op": 350, "unit": "per task",
         "allocs_per_op": null},
        {"scenario": "spawn", "implementation": "gdscript", "ns_per_op": 1234.5, "unit": "per task"},
        {"scenario": "spawn", "implementation": "by hand", "ns_per_op": 42.6, "unit": "per task"},
        {"scenario": "wake coalescing", "implementation": "godot-tasks", "ns_per_op": 3400000, "unit": "per frame",
         "polls_per_frame": 1, "frames_until_resumed": 2, "note": "one poll for 1,000 wakes"},
        {"scenario": "wake coalescing", "implementation": "gdscript", "ns_per_op": 2720000, "unit": "per frame"},
        {"scenario": "memory", "implementation": "godot-tasks", "ns_per_op": 0, "unit": "bytes per task",
         "bytes_per_task": 120},
        {"scenario": "memory", "implementation": "godot::task", "ns_per_op": 0, "unit": "bytes per task",
         "bytes_per_task": 480.4},
        {"scenario": "a & <b>", "implementation": "godot::task", "ns_per_op": 10, "unit": "per op"},
        {"scenario": "allocations", "implementation": "godot-tasks", "ns_per_op": null, "unit": "per op",
         "allocs_per_op": 0}
    ]"#;

    fn sample() -> Vec<Row> {
        parse(SAMPLE).expect("sample parses")
    }

    #[test]
    fn parse_ignores_unknown_fields_and_accepts_null_or_absent_optionals() {
        let rows = sample();
        assert_eq!(rows.len(), 10);
        assert_eq!(rows[0].allocs_per_op, Some(1.0));
        assert_eq!(rows[1].allocs_per_op, None);
        assert_eq!(rows[2].note, None);
        assert_eq!(rows[4].note.as_deref(), Some("one poll for 1,000 wakes"));
    }

    #[test]
    fn parse_rejects_unknown_implementations_and_missing_fields() {
        let unknown = r#"[{"scenario": "spawn", "implementation": "tokio", "ns_per_op": 1, "unit": "per task"}]"#;
        assert!(parse(unknown).unwrap_err().contains("unknown implementation \"tokio\""));
        let missing = r#"[{"scenario": "spawn", "implementation": "gdscript", "unit": "per task"}]"#;
        assert!(parse(missing).unwrap_err().contains("ns_per_op"));
        assert!(parse("{}").is_err());
    }

    #[test]
    fn scenarios_keep_first_appearance_order_and_reject_duplicates() {
        let rows = sample();
        let scenarios = scenarios(&rows).unwrap();
        let names: Vec<&str> = scenarios.iter().map(|s| s.name).collect();
        assert_eq!(names, ["spawn", "wake coalescing", "memory", "a & <b>", "allocations"]);
        assert!(scenarios[1].rows[1].is_none());

        let twice = parse(
            r#"[{"scenario": "spawn", "implementation": "gdscript", "ns_per_op": 1, "unit": "per task"},
                {"scenario": "spawn", "implementation": "gdscript", "ns_per_op": 2, "unit": "per task"}]"#,
        )
        .unwrap();
        assert!(super::scenarios(&twice).unwrap_err().contains("two rows"));
    }

    #[test]
    fn durations_bytes_and_numbers() {
        assert_eq!(format_duration(85.2), "85 ns");
        assert_eq!(format_duration(8.53), "8.5 ns");
        assert_eq!(format_duration(0.0), "0 ns");
        assert_eq!(format_duration(999.7), "1.0 µs");
        assert_eq!(format_duration(1234.5), "1.2 µs");
        assert_eq!(format_duration(56_000.0), "56 µs");
        assert_eq!(format_duration(3_400_000.0), "3.4 ms");
        assert_eq!(format_duration(2.5e9), "2.5 s");
        assert_eq!(format_bytes(120.0), "120 B");
        assert_eq!(format_bytes(1536.0), "1.5 KiB");
        assert_eq!(format_number(1.0), "1");
        assert_eq!(format_number(2.5), "2.5");
        assert_eq!(format_number(0.0125), "0.0125");
        assert_eq!(format_number(0.0), "0");
        assert_eq!(format_number(1234.0), "1234");
    }

    #[test]
    fn ratios() {
        assert_eq!(format_ratio(4.108), "4.1× faster");
        assert_eq!(format_ratio(1.0), "1.0× (even)");
        assert_eq!(format_ratio(0.996), "1.0× (even)");
        assert_eq!(format_ratio(1.04), "1.0× (even)");
        assert_eq!(format_ratio(14.5), "14× faster");
        assert_eq!(format_ratio(0.8), "0.8× (slower)");
        assert_eq!(format_ratio(0.956), "0.96× (slower)");
        let rows = sample();
        let scenarios = scenarios(&rows).unwrap();
        assert!((scenarios[0].ratio(1).unwrap() - 350.0 / 85.2).abs() < 1e-9);
        assert_eq!(scenarios[1].ratio(1), None, "no godot::task row");
        assert_eq!(scenarios[2].ratio(1), Some(480.4 / 120.0), "memory compares bytes");
        assert_eq!(scenarios[3].ratio(1), None, "no row of ours");
        let zero = parse(
            r#"[{"scenario": "idle cost", "implementation": "godot-tasks", "ns_per_op": 0, "unit": "per frame"},
                {"scenario": "idle cost", "implementation": "gdscript", "ns_per_op": 5, "unit": "per frame"}]"#,
        )
        .unwrap();
        assert_eq!(super::scenarios(&zero).unwrap()[0].ratio(2), None, "ours is 0");
    }

    #[test]
    fn table_cells_per_scenario() {
        let rows = sample();
        let cells = table_cells(&scenarios(&rows).unwrap());
        assert_eq!(
            cells[0],
            [
                "spawn",
                "per task",
                "85 ns",
                "350 ns",
                "1.2 µs",
                "43 ns",
                "4.1× faster",
                "14× faster",
                "0.5× (slower)",
                "1",
                NONE
            ]
            .map(str::to_owned)
        );
        assert_eq!(cells[1][3], NONE);
        assert_eq!(cells[1][5], NONE);
        assert_eq!(cells[1][6], NONE);
        assert_eq!(cells[1][7], "0.8× (slower)");
        assert_eq!(cells[1][10], "1 poll/frame, resumed after 2 frames");
        assert_eq!(&cells[2][2..8], ["120 B", "480 B", NONE, NONE, "4.0× faster", NONE].map(str::to_owned));
        assert_eq!(cells[3][2], NONE);
        assert_eq!(cells[4][2], NONE, "an untimed row shows no time");
        assert_eq!(cells[4][9], "0");
    }

    #[test]
    fn text_table_is_aligned() {
        let rows = sample();
        let text = text_table(&scenarios(&rows).unwrap(), &notes(&rows));
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("scenario  "), "{text}");
        assert!(lines[1].starts_with("--------"));
        assert!(lines[2].starts_with("spawn "));
        // Right-aligned cells end in the same column: "godot::task" (header) and "350 ns".
        let column_end = |line: &str, cell: &str| line.find(cell).map(|at| line[..at + cell.len()].chars().count());
        assert_eq!(column_end(lines[0], "godot::task"), column_end(lines[2], "350 ns"));
        assert!(text.contains("notes:\n  - wake coalescing (godot-tasks): one poll for 1,000 wakes\n"));
    }

    #[test]
    fn markdown_table() {
        let rows = sample();
        let text = super::markdown_table(&scenarios(&rows).unwrap(), &notes(&rows));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], format!("| {} |", HEADER.join(" | ")));
        assert_eq!(lines[1], format!("| --- | --- |{} --- |", " ---: |".repeat(8)));
        assert_eq!(
            lines[2],
            "| spawn | per task | 85 ns | 350 ns | 1.2 µs | 43 ns | 4.1× faster | 14× faster | 0.5× (slower) | 1 | — |"
        );
        assert_eq!(lines.iter().filter(|l| l.starts_with('|')).count(), 2 + 5);
        assert!(text.ends_with("\n- wake coalescing (godot-tasks): one poll for 1,000 wakes\n"));
    }

    #[test]
    fn svg_chart_has_one_bar_per_pair() {
        let rows = sample();
        let svg = svg_chart(&scenarios(&rows).unwrap());
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains(CHART_TITLE));
        // spawn: 3 pairs; wake coalescing: 1; memory: 1; "a & <b>": none (no row of ours).
        assert_eq!(svg.matches("class=\"bar\"").count(), 5);
        assert!(svg.contains(">4.1×</text>") && svg.contains(">14×</text>") && svg.contains(">0.8×</text>"));
        assert!(svg.contains(">0.5×</text>"));
        for tick in ["0.1×", "1×", "10×", "100×", "1000×"] {
            assert!(svg.contains(&format!(">{tick}</text>")), "tick {tick}");
        }
        assert!(svg.contains(">vs godot::task</text>") && svg.contains(">vs gdscript</text>"));
        assert!(svg.contains(">vs by hand</text>"));
        assert!(!svg.contains("a & <b>"), "a scenario without pairs is skipped");
        assert_eq!(svg.matches('<').count(), svg.matches('>').count());
    }

    #[test]
    fn svg_escapes_and_handles_no_pairs() {
        let rows = parse(
            r#"[{"scenario": "a & <b>", "implementation": "godot-tasks", "ns_per_op": 1, "unit": "per op"},
                {"scenario": "a & <b>", "implementation": "gdscript", "ns_per_op": 2, "unit": "per op"}]"#,
        )
        .unwrap();
        assert!(svg_chart(&scenarios(&rows).unwrap()).contains(">a &amp; &lt;b&gt;</text>"));
        assert!(svg_chart(&[]).contains("no scenario has results"));
    }
}
