//! Project commands: `cargo xtask test`, `cargo xtask demo [--window]`, `cargo xtask screenshots`,
//! `cargo xtask bench`, `cargo xtask miri`, `cargo xtask package`, `cargo xtask godot`.

mod bench;
mod godot;
mod itest;
mod outpost;
mod package;
mod screenshots;
mod shell;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command>
       cargo xtask demo [--window]
       cargo xtask bench [--quick | --runs N]

commands:
  test    every check and test: fmt, clippy, doc, unit and doc tests, integration tests in headless Godot,
          and the screenshots below (reported as skipped where Xvfb or Mesa cannot be had)
  demo    build the demo extension and run the demo project in headless Godot
          --window: run the demo's windowed scene (res://outpost/outpost.tscn) in a window instead
                    (needs DISPLAY or WAYLAND_DISPLAY)
  screenshots
          run the windowed scene under Xvfb with Mesa's software renderer at a fixed frame rate, save
          screenshots at set frames to target/screenshots/*.png and check that none is blank
  bench   run the benchmarks side by side with godot::task and GDScript in one headless Godot process
          (release build); writes target/bench/results.{json,md,svg}
          --quick: small sizes, for a smoke test
          --runs N: N full runs, each in its own Godot process; the table shows each value's median, and a
                    second table its spread
  package cargo package --workspace: the library crates build from what would be published (also part of test)
  miri    run the executor core's tests under miri (needs: rustup component add miri rust-src --toolchain nightly)
  godot   print the Godot 4 binary the other commands use (provisioning it if needed)

Godot: uses GODOT4_BIN if set, else a `godot` 4.x on PATH, else fetches Godot 4.6 from Debian's packages
into a per-user cache (Debian/Ubuntu only, no root needed); for windowed runs that Godot gets Mesa and the
X11 libraries the same way. Xvfb: from PATH, else fetched from Debian into the same cache, else (as root
only) installed with apt-get.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => itest::test_all(),
        Some("demo") => match &args[1..] {
            [] => itest::demo(),
            [flag] if flag == "--window" => screenshots::demo_window(),
            _ => {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        },
        Some("screenshots") => screenshots::screenshots().map_err(screenshots::Failure::message),
        Some("bench") => match &args[1..] {
            [] => bench::bench(false, 1),
            [flag] if flag == "--quick" => bench::bench(true, 1),
            [flag, runs] if flag == "--runs" && runs.parse::<usize>().is_ok_and(|n| n > 0) => {
                bench::bench(false, runs.parse().expect("checked"))
            }
            _ => {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        },
        Some("package") => package::package_workspace(),
        Some("miri") => {
            shell::run(shell::rustup_cargo().args(["+nightly", "miri", "test", "-p", "godot-tasks-executor"]))
        }
        Some("godot") => godot::binary().map(|bin| println!("{}", bin.display())),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}
