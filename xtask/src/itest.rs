//! `cargo xtask test` and `cargo xtask demo` (the headless one; `--window` is in `screenshots.rs`).

use std::path::Path;
use std::process::{Command, ExitStatus};

use crate::screenshots::{self, Failure};
use crate::shell::{cargo, root, run, step};
use crate::{bench, godot, package};

/// Lines that must never appear in a clean run's output: errors, and objects leaked at exit.
pub(crate) const ERROR_MARKERS: &[&str] = &["ERROR:", "SCRIPT ERROR", "panicked", "USER ERROR", "leaked at exit"];

pub fn test_all() -> Result<(), String> {
    step("Formatting (cargo fmt --check)");
    run(cargo().args(["fmt", "--all", "--check"]))?;
    step("Lints (cargo clippy --all-targets -- -D warnings)");
    run(cargo().args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))?;
    step("Docs (cargo doc, warnings are errors)");
    run(cargo().args(["doc", "--workspace", "--no-deps"]).env("RUSTDOCFLAGS", "-D warnings"))?;
    step("Unit and doc tests (cargo test)");
    run(cargo().args(["test", "--workspace", "--quiet"]))?;
    step("The library crate alone with its tokio feature (cargo test -p godot-tasks --features tokio)");
    run(cargo().args(["test", "-p", "godot-tasks", "--features", "tokio", "--quiet"]))?;
    step("The executor with its tracing feature (clippy and tests, -p godot-tasks-executor --features tracing)");
    let executor_with_tracing = ["-p", "godot-tasks-executor", "--features", "tracing"];
    run(cargo().arg("clippy").args(executor_with_tracing).args(["--all-targets", "--", "-D", "warnings"]))?;
    run(cargo().arg("test").args(executor_with_tracing).arg("--quiet"))?;
    package::package_workspace()?;

    step("Integration tests in headless Godot");
    let bin = godot::binary()?;
    run(cargo().args(["build", "-p", "godot-tasks-itest", "-p", "godot-tasks-itest-second"]))?;
    let project = root().join("itest/godot");
    let mut results = Results::default();

    let output = run_godot(&bin, &project, &[])?;
    results.read_runner(&output);
    // The panic test's report must reach Godot's error output, naming where the task was spawned.
    results.check(
        "panic report names spawn location and message",
        output.lines().any(|l| l.contains("task spawned at itest/rust/src/") && l.contains("itest-panic-marker")),
        "no error line `godot-tasks: task spawned at itest/rust/src/...: panicked: itest-panic-marker`",
    );

    exit_matrix(&bin, &project, &mut results)?;
    editor_hot_reload(&bin, &mut results)?;
    crate::outpost::check(&bin, &mut results)?;

    // A smoke test only: small sizes, no timing thresholds; it fails if the bench project does not run through.
    let smoke = bench::bench(true, 1);
    results.check(
        "benchmarks run through (cargo xtask bench --quick)",
        smoke.is_ok(),
        smoke.err().as_deref().unwrap_or(""),
    );

    oldest_godot_crate(&bin, &project, &mut results)?;

    // The demo's windowed scene, drawn by Mesa's software renderer under Xvfb: not counted where neither can be
    // had.
    step("Screenshots of the demo's windowed scene under Xvfb (cargo xtask screenshots)");
    let name = "screenshots under Xvfb are not blank";
    match screenshots::screenshots() {
        Ok(()) => results.check(name, true, ""),
        Err(Failure::Failed(why)) => results.check(name, false, &why),
        Err(Failure::Unavailable(why)) => results.skip(name, &why),
    }

    println!("\n{} passed, {} failed, {} skipped", results.passed, results.failed, results.skipped);
    if results.failed == 0 { Ok(()) } else { Err(format!("{} integration test(s) failed", results.failed)) }
}

/// Runs the integration tests again, built against the oldest `godot` crate the workspace accepts (the lower
/// bound of its version requirement), so that both ends of the supported range are tested; the lockfile
/// holds the newest. The lockfile is put back afterwards, whatever happens.
fn oldest_godot_crate(bin: &Path, project: &Path, results: &mut Results) -> Result<(), String> {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).map_err(|e| e.to_string())?;
    let oldest = oldest_godot(&manifest).ok_or("Cargo.toml: no `godot = { version = \">=X, ...\" }` requirement")?;
    step(&format!("Integration tests again, with the oldest supported godot crate ({oldest})"));
    let lockfile = root().join("Cargo.lock");
    let locked = std::fs::read(&lockfile).map_err(|e| e.to_string())?;
    let outcome = (|| {
        run(cargo().args(["update", "-p", "godot", "-p", "godot-core", "--precise", oldest]))?;
        run(cargo().args(["build", "-p", "godot-tasks-itest", "-p", "godot-tasks-itest-second"]))?;
        run_godot(bin, project, &[])
    })();
    std::fs::write(&lockfile, locked).map_err(|e| format!("could not restore Cargo.lock: {e}"))?;
    results.read_runner(&outcome?);
    Ok(())
}

/// The lower bound of the workspace's `godot` requirement: `godot = { version = ">=0.5.4, <0.5.6" }` gives
/// `0.5.4`.
fn oldest_godot(manifest: &str) -> Option<&str> {
    let line = manifest.lines().find(|line| line.starts_with("godot = "))?;
    let after = &line[line.find(">=")? + 2..];
    Some(after[..after.find([',', '"'])?].trim())
}

/// The exit scenarios of the itest project: each quits Godot with other work in flight.
const EXIT_SCENARIOS: &[&str] = &[
    "exit-with-pending-tasks",
    "exit-blocking-job-running",
    "exit-compute-job-running",
    "exit-tokio-job-running",
    "exit-long-job-warns",
    "exit-idle-pools",
    "exit-jobs-without-tasks",
    "exit-destructor-spawns",
    "exit-while-loading",
];
/// Whether every object Godot reports as leaked at exit (with `--verbose`) is a bare `RefCounted` with a reference
/// count of 0: the request token of Godot's threaded loader, which Godot 4.6 itself sometimes leaks when threaded
/// loads end in the frames before exit, whoever claims them. A GDScript project with no extension (three
/// `load_threaded_request` calls, `quit()`, a `load_threaded_get` of each from the root's `tree_exiting`)
/// showed it in 2 exits of 300. godot-tasks makes no bare `RefCounted`; any other leaked object still fails.
fn only_loader_tokens_leaked(output: &str) -> bool {
    let leaked: Vec<&str> = output.lines().filter_map(|l| l.trim().strip_prefix("Leaked instance: ")).collect();
    !leaked.is_empty()
        && leaked.iter().all(|l| {
            l.strip_prefix("RefCounted:")
                .and_then(|rest| rest.split_once(" - Reference count: "))
                .is_some_and(|(id, count)| id.chars().all(|c| c.is_ascii_digit()) && count.trim() == "0")
        })
}

/// How each run of a scenario quits: a task calls `quit()`, GDScript does, or the window is asked to close.
const QUIT_WAYS: &[&str] = &["task", "gdscript", "close", "task", "gdscript"];

/// Runs every exit scenario once per way to quit, each in its own Godot process: every run must exit with
/// status 0 (a crash can follow the last printed line) and print no error and no leak.
fn exit_matrix(bin: &Path, project: &Path, results: &mut Results) -> Result<(), String> {
    for scenario in EXIT_SCENARIOS {
        let mut failures = Vec::new();
        for (run, quit) in QUIT_WAYS.iter().enumerate() {
            // Verbose: Godot then names each object leaked at exit, which tells its loader's known leak from ours.
            let engine_args: &[&str] = if *scenario == "exit-while-loading" { &["--verbose"] } else { &[] };
            let (status, output) = run_godot_status_with(
                bin,
                project,
                engine_args,
                &[&format!("--scenario={scenario}"), &format!("--quit={quit}")],
            )?;
            let engine_leak = *scenario == "exit-while-loading" && only_loader_tokens_leaked(&output);
            if engine_leak {
                println!(
                    "exit matrix: run {} leaked only Godot's own loader token(s), a known Godot 4.6 leak",
                    run + 1
                );
            }
            let errors: Vec<&str> = output
                .lines()
                .filter(|l| ERROR_MARKERS.iter().any(|m| l.contains(m)))
                .filter(|l| !(engine_leak && l.contains("leaked at exit")))
                .collect();
            let run = run + 1;
            if !status.success() {
                failures.push(format!("run {run} (quit by {quit}): Godot exited with {status}"));
            }
            if !errors.is_empty() {
                failures.push(format!("run {run} (quit by {quit}): {}", errors.join("\n")));
            }
            if !output.contains("; quitting") {
                failures.push(format!("run {run} (quit by {quit}): the scenario never got to quit"));
            }
            if *scenario == "exit-with-pending-tasks"
                && !output.contains("exit-scenario: 10000 of 10000 futures dropped on the main thread")
            {
                failures.push(format!("run {run} (quit by {quit}): not every future was dropped on the main thread"));
            }
            if *scenario == "exit-long-job-warns"
                && !output.contains(
                    "godot-tasks: waiting for 1 job(s) still running on the blocking pool (offloaded at itest/rust/src/exit_scenario.rs",
                )
            {
                failures.push(format!("run {run} (quit by {quit}): no warning named the job that delayed the exit"));
            }
            if *scenario == "exit-destructor-spawns" && !output.contains("exit-scenario: 4 of 4 destructors ran") {
                failures
                    .push(format!("run {run} (quit by {quit}): not every destructor ran, once, on the main thread"));
            }
        }
        let runs = QUIT_WAYS.len();
        results.check(
            &format!("{scenario}: {runs} runs exit with status 0, no error, nothing leaked"),
            failures.is_empty(),
            &failures.join("\n"),
        );
    }
    Ok(())
}

/// Hot reload in a headless editor (`itest/editor`): a `@tool` autoload starts pending work of every kind
/// on a tool node, reloads the extension three times, and checks that everything works after each reload.
fn editor_hot_reload(bin: &Path, results: &mut Results) -> Result<(), String> {
    const ROUNDS: usize = 3;
    let project = root().join("itest/editor");
    import_extensions(&project)?;
    let mut command = Command::new(bin);
    command.args(["--headless", "--editor", "--path"]).arg(&project);
    let (status, text) = run_echoed(&mut command)?;
    let mut failures = Vec::new();
    if !status.success() {
        failures.push(format!("the editor exited with {status}"));
    }
    let lines: Vec<&str> = text.lines().collect();
    let position = |wanted: &str| lines.iter().position(|line| line.contains(wanted));
    let mut after = 0;
    for round in 0..ROUNDS {
        // In this order, each once: works, a resource load in flight, all pending futures dropped (before the
        // library goes), GDScript resumed with null, the reload returned OK.
        let steps = [
            format!("reload-harness: round {round}: works: ok"),
            format!("reload-harness: round {round}: reloading with 1 load(s) in flight"),
            "reload-probe: all 9 pending futures dropped once, on the main thread".to_owned(),
            format!("reload-harness: round {round}: GDScript's await resumed with <null>"),
            format!("reload-harness: round {round}: reload returned 0"),
        ];
        for step in steps {
            match lines[after..].iter().position(|line| line.contains(&step)) {
                Some(at) => after += at + 1,
                None => {
                    failures.push(format!("round {round}: missing, or out of order: `{step}`"));
                    break;
                }
            }
        }
    }
    if position(&format!("reload-harness: after {ROUNDS} reloads: works: ok")).is_none() {
        failures.push("after the last reload, tasks, signals, time, threads or the bridge did not work".into());
    }
    if position("reload-harness: the other extension's task is still running: true").is_none()
        || position("reload-harness: the other extension works: 42").is_none()
    {
        failures.push("reloading one extension disturbed the other extension's runtime".into());
    }
    if position("reload-harness: inspector plugin enabled: true").is_none()
        || position(r#"reload-harness: inspector panel: handled true, rows ["(unnamed)", "loader"]"#).is_none()
    {
        failures
            .push("the inspector addon did not load in the editor, or its panel did not show a tasks message".into());
    }
    for line in &lines {
        if ERROR_MARKERS.iter().any(|m| line.contains(m))
            || line.contains("off the main thread")
            || line.contains("twice")
        {
            failures.push((*line).to_owned());
        }
    }
    results.check(
        &format!(
            "editor hot reload, {ROUNDS} times, with work of every kind pending: no crash, everything works after"
        ),
        failures.is_empty(),
        &failures.join("\n"),
    );
    Ok(())
}

pub fn demo() -> Result<(), String> {
    let bin = godot::binary()?;
    step("Building the demo extension");
    run(cargo().args(["build", "-p", "godot-tasks-demo"]))?;
    step("Running the demo project in headless Godot");
    run(&mut headless_godot(&bin, &root().join("demo/godot"), "res://main.gd")?)
}

/// A headless Godot command running `script` in `project`, with the project's extensions registered.
pub(crate) fn headless_godot(bin: &Path, project: &Path, script: &str) -> Result<Command, String> {
    let mut command = headless_godot_scene(bin, project, "")?;
    command.args(["-s", script]);
    Ok(command)
}

/// A headless Godot command running `scene` in `project` (its main scene if empty), with the project's
/// extensions registered.
pub(crate) fn headless_godot_scene(bin: &Path, project: &Path, scene: &str) -> Result<Command, String> {
    import_extensions(project)?;
    let mut command = Command::new(bin);
    command.args(["--headless", "--path"]).arg(project);
    if !scene.is_empty() {
        command.arg(scene);
    }
    // How to start Godot again, for tests that start a second Godot process: the executable Godot reports for
    // itself may be the dynamic loader that a provisioned Godot runs under.
    command.env("GODOT_TASKS_GODOT", bin);
    Ok(command)
}

/// Runs the itest project; returns its combined output (already echoed).
fn run_godot(bin: &Path, project: &Path, user_args: &[&str]) -> Result<String, String> {
    let (status, text) = run_godot_status(bin, project, user_args)?;
    if !status.success() && !text.contains(" passed, ") {
        return Err(format!("Godot exited with {status} before reporting results"));
    }
    Ok(text)
}

/// Runs the itest project; returns its exit status and combined output (already echoed).
fn run_godot_status(bin: &Path, project: &Path, user_args: &[&str]) -> Result<(ExitStatus, String), String> {
    run_godot_status_with(bin, project, &[], user_args)
}

/// [`run_godot_status`] with options for Godot itself (`engine_args`, such as `--verbose`).
fn run_godot_status_with(
    bin: &Path,
    project: &Path,
    engine_args: &[&str],
    user_args: &[&str],
) -> Result<(ExitStatus, String), String> {
    let mut command = headless_godot(bin, project, "res://run.gd")?;
    command.args(engine_args);
    if !user_args.is_empty() {
        command.arg("--").args(user_args);
    }
    run_echoed(&mut command)
}

/// Runs a Godot `command`, printing it and then its output; returns its exit status and its stdout and stderr.
pub(crate) fn run_echoed(command: &mut Command) -> Result<(ExitStatus, String), String> {
    println!("$ {}", crate::shell::describe(command));
    let output = command.output().map_err(|e| format!("could not start Godot: {e}"))?;
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    print!("{text}");
    Ok((output.status, text))
}

/// Godot loads extensions listed in `.godot/extension_list.cfg`; writing it spares an editor import.
pub(crate) fn import_extensions(project: &Path) -> Result<(), String> {
    let dir = project.join(".godot");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let mut list: Vec<String> = std::fs::read_dir(project)
        .map_err(|e| e.to_string())?
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".gdextension"))
        .map(|name| format!("res://{name}"))
        .collect();
    list.sort(); // the same file whatever order the directory lists them in
    std::fs::write(dir.join("extension_list.cfg"), list.join("\n") + "\n").map_err(|e| e.to_string())
}

#[derive(Default)]
pub(crate) struct Results {
    passed: usize,
    failed: usize,
    skipped: usize,
}

impl Results {
    /// Counts the runner's `test NAME ... ok|FAILED` lines; a missing result or summary is a failure.
    fn read_runner(&mut self, output: &str) {
        let expected: Option<usize> =
            output.lines().find_map(|l| l.strip_prefix("running ")?.strip_suffix(" tests")?.trim().parse().ok());
        let mut seen = 0;
        for line in output.lines().filter(|l| l.starts_with("test ")) {
            seen += 1;
            if line.ends_with("... ok") { self.passed += 1 } else { self.failed += 1 }
        }
        match expected {
            Some(n) if n == seen => {}
            Some(n) => {
                println!("MISSING: the runner announced {n} tests but reported {seen}");
                self.failed += n.saturating_sub(seen).max(1);
            }
            None => {
                println!("MISSING: the test runner never started");
                self.failed += 1;
            }
        }
    }

    pub(crate) fn check(&mut self, name: &str, ok: bool, detail: &str) {
        if ok {
            println!("check {name} ... ok");
            self.passed += 1;
        } else {
            println!("check {name} ... FAILED\n{detail}");
            self.failed += 1;
        }
    }

    /// A check that could not run on this machine: neither passed nor failed.
    fn skip(&mut self, name: &str, why: &str) {
        println!("check {name} ... SKIPPED: {why}");
        self.skipped += 1;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_oldest_godot_is_the_lower_bound_of_the_requirement() {
        let manifest = "[workspace.dependencies]\ngodot = { version = \">=0.5.4, <0.5.6\" }\ngodot-core = \"1\"\n";
        assert_eq!(super::oldest_godot(manifest), Some("0.5.4"));
        assert_eq!(super::oldest_godot("godot = { version = \"0.5.5\" }"), None);
    }
}

#[cfg(test)]
mod loader_leak {
    use super::only_loader_tokens_leaked;

    #[test]
    fn only_bare_refcounted_with_no_references_is_the_loader_token() {
        let token = "WARNING: ObjectDB instances leaked at exit (run with --verbose for details).\n\
                     Leaked instance: RefCounted:9223372063547327938 - Reference count: 0\n";
        assert!(only_loader_tokens_leaked(token));
        assert!(!only_loader_tokens_leaked("no leak at all"));
        let node = format!("{token}Leaked instance: Node2D:26189235634 - Node name: Level\n");
        assert!(!only_loader_tokens_leaked(&node));
        assert!(!only_loader_tokens_leaked("Leaked instance: RefCounted:12 - Reference count: 1"));
        assert!(!only_loader_tokens_leaked("Leaked instance: Gradient:12 - Reference count: 0"));
    }
}

#[cfg(test)]
mod guide {
    /// README's "Coming from GDScript" section is the crate docs' text, word for word.
    #[test]
    fn readme_carries_the_coming_from_gdscript_guide_of_the_crate_docs() {
        let readme = include_str!("../../README.md");
        let guide = include_str!("../../crates/godot-tasks/src/coming_from_gdscript.md");
        assert!(
            readme.contains(guide.trim_end()),
            "copy crates/godot-tasks/src/coming_from_gdscript.md into README.md"
        );
    }
}
