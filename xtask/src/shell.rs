//! Running commands, loudly.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

/// The workspace root (xtask lives one level below it).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask sits inside the workspace").to_path_buf()
}

pub fn cargo() -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command.current_dir(root());
    command
}

/// `cargo` through rustup's proxy, so that `+nightly` works (the `CARGO` xtask runs under is toolchain-bound).
pub fn rustup_cargo() -> Command {
    let mut command = Command::new("cargo");
    command.current_dir(root()).env_remove("RUSTUP_TOOLCHAIN").env_remove("CARGO");
    command
}

pub fn step(message: &str) {
    println!("\n==> {message}");
}

/// Runs a command, echoing it and then how long it took; fails if it fails.
pub fn run(command: &mut Command) -> Result<(), String> {
    println!("$ {}", describe(command));
    let start = Instant::now();
    let status = command.status().map_err(|e| format!("could not start {}: {e}", describe(command)))?;
    println!("  ({} after {})", if status.success() { "done" } else { "failed" }, elapsed(start));
    if status.success() { Ok(()) } else { Err(format!("`{}` failed ({status})", describe(command))) }
}

/// The time since `start`, for people: "8.2 s", "3 min 12 s".
pub fn elapsed(start: Instant) -> String {
    let seconds = start.elapsed().as_secs_f64();
    if seconds < 60.0 {
        format!("{seconds:.1} s")
    } else {
        format!("{} min {} s", seconds as u64 / 60, seconds as u64 % 60)
    }
}

pub fn describe(command: &Command) -> String {
    let mut text = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}
