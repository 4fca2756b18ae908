//! `cargo xtask screenshots` and `cargo xtask demo --window`: the demo's windowed scene, rendered under Xvfb
//! (a virtual X server) and captured at fixed frames, or shown in a real window.
//!
//! The capture is done by the demo project's `screenshots.gd` autoload, which stays idle unless Godot is given
//! `-- --screenshots=DIR --shots=FRAME:NAME,...`. Here the PNGs it saves are checked: each must exist and show
//! more than one flat colour.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::godot;
use crate::itest::{ERROR_MARKERS, import_extensions};
use crate::shell::{cargo, describe, elapsed, root, run, step};

/// The demo's windowed scene.
pub const SCENE: &str = "res://outpost/outpost.tscn";

/// The screenshots to take: at which process frame (60 per second of game time, `--fixed-fps 60`), and the
/// file name, without `.png`.
const SHOTS: &[(u64, &str)] = &[(30, "loading"), (270, "patrol"), (510, "cutscene")];

/// Parts of output lines that ERROR_MARKERS match but that are harmless in a windowed run under Xvfb. (Audio
/// errors are avoided by running with the dummy audio driver.)
const HARMLESS: &[&str] = &[];

/// How long Godot may take for all the screenshots (llvmpipe draws slower than real time).
const GODOT_TIMEOUT: Duration = Duration::from_secs(120);

/// Why the screenshots were not taken, or not good.
pub enum Failure {
    /// This machine cannot run Godot under Xvfb (no Xvfb, Mesa or Godot to be had): nothing was tested.
    Unavailable(String),
    /// Godot ran and something went wrong: an error, a crash, a missing or blank image.
    Failed(String),
}

impl Failure {
    pub fn message(self) -> String {
        match self {
            Failure::Unavailable(why) => format!("cannot take screenshots on this machine: {why}"),
            Failure::Failed(why) => format!("the screenshots failed:\n{why}"),
        }
    }
}

/// Builds the demo extension, runs the demo's windowed scene under Xvfb and checks the screenshots it saves to
/// `target/screenshots`.
pub fn screenshots() -> Result<(), Failure> {
    let bin = godot::binary().map_err(Failure::Unavailable)?;
    step("Building the demo extension");
    run(cargo().args(["build", "-p", "godot-tasks-demo"])).map_err(Failure::Failed)?;
    let project = root().join("demo/godot");
    let scene_file = project.join(SCENE.trim_start_matches("res://"));
    if !scene_file.exists() {
        return Err(Failure::Failed(format!("the scene {SCENE} ({}) does not exist", scene_file.display())));
    }
    let gl = godot::gl_environment(&bin, true).map_err(Failure::Unavailable)?;
    let out = root().join("target/screenshots");
    fs::create_dir_all(&out).map_err(|e| Failure::Failed(format!("cannot create {}: {e}", out.display())))?;
    for (_, name) in SHOTS {
        let _ = fs::remove_file(out.join(format!("{name}.png")));
    }

    step("Starting Xvfb");
    let xvfb = start_xvfb(xvfb_command().map_err(Failure::Unavailable)?, &out.join("xvfb.log"))
        .map_err(Failure::Unavailable)?;

    step(&format!("Running {SCENE} under Xvfb (display {}), taking {} screenshots", xvfb.display, SHOTS.len()));
    import_extensions(&project).map_err(Failure::Failed)?;
    let shots: Vec<String> = SHOTS.iter().map(|(frame, name)| format!("{frame}:{name}")).collect();
    let mut command = Command::new(&bin);
    command
        .arg("--path")
        .arg(&project)
        .args(["--display-driver", "x11", "--rendering-driver", "opengl3", "--audio-driver", "Dummy"])
        .args(["--fixed-fps", "60", "--disable-vsync", "--resolution", "960x540", SCENE, "--"])
        .arg(format!("--screenshots={}", out.display()))
        .arg(format!("--shots={}", shots.join(",")))
        .env("DISPLAY", &xvfb.display)
        .env_remove("WAYLAND_DISPLAY")
        .envs(gl);
    let (finished, text) = run_with_timeout(&mut command, &out.join("godot.log")).map_err(Failure::Failed)?;
    drop(xvfb);

    let mut failures = Vec::new();
    match finished {
        None => failures.push(format!("Godot did not finish within {} s and was killed", GODOT_TIMEOUT.as_secs())),
        Some(status) if !status.success() => failures.push(format!("Godot exited with {status}")),
        Some(_) => {}
    }
    for line in text.lines() {
        if ERROR_MARKERS.iter().any(|m| line.contains(m)) && !HARMLESS.iter().any(|h| line.contains(h)) {
            failures.push(line.to_owned());
        }
    }
    for (frame, name) in SHOTS {
        let path = out.join(format!("{name}.png"));
        match inspect(&path) {
            Ok(summary) => println!("screenshot {}: {summary}", path.display()),
            Err(why) => failures.push(format!("screenshot {name} (frame {frame}): {why}")),
        }
    }
    if failures.is_empty() { Ok(()) } else { Err(Failure::Failed(failures.join("\n"))) }
}

/// Runs the demo's windowed scene in a window on this machine's display.
pub fn demo_window() -> Result<(), String> {
    let set = |name: &str| std::env::var_os(name).is_some_and(|value| !value.is_empty());
    if !set("DISPLAY") && !set("WAYLAND_DISPLAY") {
        return Err("`cargo xtask demo --window` needs a display, and neither DISPLAY nor WAYLAND_DISPLAY is set; \
                    `cargo xtask screenshots` renders the scene without one (under Xvfb) and saves screenshots \
                    to target/screenshots"
            .into());
    }
    let bin = godot::binary()?;
    let gl = godot::gl_environment(&bin, false)?;
    step("Building the demo extension");
    run(cargo().args(["build", "-p", "godot-tasks-demo"]))?;
    let project = root().join("demo/godot");
    import_extensions(&project)?;
    step(&format!("Running {SCENE} in a window"));
    run(Command::new(&bin).arg("--path").arg(&project).arg(SCENE).envs(gl))
}

/// An Xvfb process, killed when dropped, whatever happened meanwhile.
struct Xvfb {
    child: Child,
    display: String,
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Xvfb from PATH; else one fetched from Debian into the cache; else, as root, the system's package.
fn xvfb_command() -> Result<Command, String> {
    if on_path("Xvfb") {
        println!("xvfb: using Xvfb from PATH");
        return Ok(Command::new("Xvfb"));
    }
    match godot::private_xvfb() {
        Ok(command) => {
            println!("xvfb: using {}", describe(&command));
            return Ok(command);
        }
        Err(why) => println!("xvfb: none on PATH, and none can be fetched into the cache: {why}"),
    }
    let root_user =
        Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if root_user && on_path("apt-get") {
        step("Installing the xvfb package (running as root)");
        let install = || {
            let mut command = Command::new("apt-get");
            command.args(["install", "-y", "-q", "--no-install-recommends", "xvfb"]);
            command.env("DEBIAN_FRONTEND", "noninteractive");
            command
        };
        if run(&mut install()).is_err() {
            run(Command::new("apt-get").args(["update", "-q"]).env("DEBIAN_FRONTEND", "noninteractive"))?;
            run(&mut install())?;
        }
        if on_path("Xvfb") {
            return Ok(Command::new("Xvfb"));
        }
    }
    Err("no Xvfb: install it (on Debian or Ubuntu: `sudo apt-get install xvfb`)".into())
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// Starts Xvfb on a display number it chooses itself (`-displayfd`), its output going to `log`.
fn start_xvfb(mut command: Command, log: &Path) -> Result<Xvfb, String> {
    let log_file = File::create(log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
    command
        .args(["-displayfd", "1", "-screen", "0", "1280x720x24", "-nolisten", "tcp", "-terminate"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log_file);
    println!("$ {}", describe(&command));
    let mut child = command.spawn().map_err(|e| format!("could not start Xvfb: {e}"))?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut xvfb = Xvfb { child, display: String::new() };
    // Xvfb writes the display number to stdout once it accepts clients.
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = sender.send(line);
    });
    match receiver.recv_timeout(Duration::from_secs(30)) {
        Ok(line) if line.trim().parse::<u32>().is_ok() => {
            xvfb.display = format!(":{}", line.trim());
            Ok(xvfb)
        }
        _ => Err(format!(
            "Xvfb did not start; its output ({}):\n{}",
            log.display(),
            fs::read_to_string(log).unwrap_or_default()
        )),
    }
}

/// Runs `command` with its output to `log`, killing it after GODOT_TIMEOUT; returns its exit status (`None`
/// if it was killed) and its output (echoed).
fn run_with_timeout(command: &mut Command, log: &Path) -> Result<(Option<std::process::ExitStatus>, String), String> {
    let log_file = File::create(log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
    let stderr = log_file.try_clone().map_err(|e| e.to_string())?;
    command.stdin(Stdio::null()).stdout(log_file).stderr(stderr);
    println!("$ {}", describe(command));
    let start = Instant::now();
    let mut child = command.spawn().map_err(|e| format!("could not start {}: {e}", describe(command)))?;
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break Some(status);
        }
        if start.elapsed() > GODOT_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let text = String::from_utf8_lossy(&fs::read(log).unwrap_or_default()).into_owned();
    print!("{text}");
    println!("  (Godot {} after {})", if status.is_some() { "exited" } else { "killed" }, elapsed(start));
    Ok((status, text))
}

/// Decodes a PNG and describes it ("960x540, 1234 colours, 118 KB"), or says why it is no screenshot: missing,
/// undecodable, empty, or one flat colour.
fn inspect(path: &Path) -> Result<String, String> {
    let file = File::open(path).map_err(|e| format!("no file {}: {e}", path.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut decoder = png::Decoder::new(BufReader::new(file));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().map_err(|e| format!("{}: not a PNG: {e}", path.display()))?;
    let mut pixels = vec![0; reader.output_buffer_size().ok_or("the image is too large")?];
    let frame = reader.next_frame(&mut pixels).map_err(|e| format!("{}: cannot decode: {e}", path.display()))?;
    let channels = frame.color_type.samples();
    let pixels = &pixels[..frame.buffer_size()];
    if pixels.is_empty() {
        return Err(format!("{}: the image is empty ({}x{})", path.display(), frame.width, frame.height));
    }
    let colours: HashSet<&[u8]> = pixels.chunks_exact(channels).collect();
    // The spread of the samples' values, to tell a picture from a near-flat fill.
    let count = pixels.len() as f64;
    let mean = pixels.iter().map(|&v| f64::from(v)).sum::<f64>() / count;
    let deviation = (pixels.iter().map(|&v| (f64::from(v) - mean).powi(2)).sum::<f64>() / count).sqrt();
    if colours.len() == 1 {
        let colour: String = pixels[..channels].iter().map(|v| format!("{v:02x}")).collect();
        return Err(format!("{}: blank, one flat colour (#{colour}) all over", path.display()));
    }
    Ok(format!(
        "{}x{}, {} colours, standard deviation {deviation:.1}, {} KB",
        frame.width,
        frame.height,
        colours.len(),
        size.div_ceil(1024)
    ))
}

#[cfg(test)]
mod tests {
    use super::inspect;

    fn write_png(path: &std::path::Path, pixels: &[u8], width: u32, height: u32) {
        let file = std::fs::File::create(path).unwrap();
        let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.write_header().unwrap().write_image_data(pixels).unwrap();
    }

    #[test]
    fn a_flat_image_is_blank_and_a_picture_is_not() {
        let dir = std::env::temp_dir().join(format!("xtask-inspect-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let flat = dir.join("flat.png");
        write_png(&flat, &[0x4d; 4 * 3 * 3], 4, 3);
        let error = inspect(&flat).unwrap_err();
        assert!(error.contains("one flat colour (#4d4d4d)"), "{error}");
        let picture = dir.join("picture.png");
        let mut pixels = vec![0x4d; 4 * 3 * 3];
        pixels[..3].copy_from_slice(&[0xff, 0, 0]);
        write_png(&picture, &pixels, 4, 3);
        assert!(inspect(&picture).unwrap().starts_with("4x3, 2 colours"));
        assert!(inspect(&dir.join("missing.png")).unwrap_err().starts_with("no file"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
