//! The integration-test extension: tests of godot-tasks that run inside real headless Godot.
//!
//! `runner` drives every test in `tests/` once per frame from a `TestRunner` node and prints
//! `test NAME ... ok|FAILED` lines and an `N passed, N failed` summary; `cargo xtask test` reads them.

mod bridge;
mod emitter;
mod exit_scenario;
mod harness;
mod inspected_game;
mod reload_probe;
mod runner;
mod tests;

use godot::prelude::*;

struct ItestExtension;

#[gdextension]
unsafe impl ExtensionLibrary for ItestExtension {}
