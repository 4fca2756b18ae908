//! The benchmark extension: the same work done by godot-tasks, by the `godot` crate's `godot::task` and by
//! GDScript's `await`, in one headless Godot process, so that machine noise hits all of them alike.
//!
//! `cargo xtask bench` builds it in release mode and runs `bench/godot`; the `BenchRunner` node runs every
//! scenario in `scenarios/` and writes `target/bench/results.json`, which xtask renders as a table and a
//! chart. Times are work per operation measured inside frames, never frames per second.

mod alloc_counter;
mod bridge;
mod emitter;
mod harness;
mod report;
mod runner;
mod scenarios;
mod worker_pool;

use godot::prelude::*;

#[global_allocator]
static ALLOCATOR: alloc_counter::Counting = alloc_counter::Counting;

struct BenchExtension;

#[gdextension]
unsafe impl ExtensionLibrary for BenchExtension {}
