//! The godot-tasks demo, two scenes in one Godot project (`demo/godot`).
//!
//! - `narrative`: `cargo xtask demo` runs it in headless Godot. A dozen tasks wait for signals, timers, frames
//!   and worker threads, hand values to each other and narrate as they go.
//! - `outpost`: the project's main scene, a small game to watch (`cargo xtask demo --window`, or Run in the
//!   editor; `cargo xtask screenshots` takes pictures of it). A loading screen fed by the async loader, units
//!   that patrol on tasks bound to their nodes, a skippable cut-scene and a live list of the tasks.

use godot::prelude::*;

mod narrative;
mod outpost;

struct DemoExtension;

#[gdextension]
unsafe impl ExtensionLibrary for DemoExtension {}
