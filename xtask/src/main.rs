//! Project commands: `cargo xtask test`, `cargo xtask demo`, `cargo xtask bench`, `cargo xtask miri`,
//! `cargo xtask package`, `cargo xtask godot`.

mod bench;
mod godot;
mod itest;
mod outpost;
mod package;
mod shell;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command>
       cargo xtask bench [--quick | --runs N]

commands:
  test    every check and test: fmt, clippy, doc, unit and doc tests, integration tests in headless Godot
  demo    build the demo extension and run the demo project in headless Godot
  bench   run the benchmarks side by side with godot::task and GDScript in one headless Godot process
          (release build); writes target/bench/results.{json,md,svg}
          --quick: small sizes, for a smoke test
          --runs N: N full runs, each in its own Godot process; the table shows each value's median, and a
                    second table its spread
  package cargo package --workspace: the library crates build from what would be published (also part of test)
  miri    run the executor core's tests under miri (needs: rustup component add miri rust-src --toolchain nightly)
  godot   print the Godot 4 binary the other commands use (provisioning it if needed)

Godot: uses GODOT4_BIN if set, else a `godot` 4.x on PATH, else fetches Godot 4.6 from Debian's packages
into a per-user cache (Debian/Ubuntu only, no root needed).";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => itest::test_all(),
        Some("demo") => itest::demo(),
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
