//! The `BenchRunner` node: runs every scenario, one poll per frame, writes the results and quits.

use std::cell::{Cell, RefCell};
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use godot::classes::{INode, Node, Os, Script};
use godot::prelude::*;

use crate::harness::{ScenarioBody, Sizes, tree};
use crate::report::{self, Measurement};
use crate::scenarios;

thread_local! {
    /// When `SceneTree.process_frame` began this frame (first connection), for the idle-cost scenario.
    static FRAME_MARK: Cell<Option<Instant>> = const { Cell::new(None) };
    /// Time between the first and the last `process_frame` connection, per frame, while recording.
    static HOOK_WINDOWS: RefCell<Option<Vec<f64>>> = const { RefCell::new(None) };
    /// Whether the closing mark is connected (once, by the first scenario that measures the window).
    static CLOSING_MARK_CONNECTED: Cell<bool> = const { Cell::new(false) };
}

/// When the current frame began: the first `process_frame` connection.
pub fn frame_start() -> Option<Instant> {
    FRAME_MARK.get()
}

/// Starts or stops recording how long the `process_frame` connections between the two marks take.
fn record_hook_windows(on: bool) -> Vec<f64> {
    HOOK_WINDOWS
        .with_borrow_mut(|windows| if on { windows.replace(Vec::new()) } else { windows.take() })
        .unwrap_or_default()
}

/// The shortest time, over `frame_count` frames, between the opening mark and a closing mark connected
/// after every hook under measurement (connected on first use, after the runtime attached its hooks).
pub async fn shortest_hook_window(frame_count: usize) -> f64 {
    CLOSING_MARK_CONNECTED.with(|connected| {
        if !connected.replace(true) {
            connect_closing_mark();
        }
    });
    record_hook_windows(true);
    crate::harness::frames(frame_count as u32).await;
    record_hook_windows(false).into_iter().reduce(f64::min).unwrap_or(0.0)
}

fn connect_closing_mark() {
    let closing = Callable::from_fn("bench::frame_mark_end", |_args| {
        if let Some(start) = FRAME_MARK.get() {
            let window = start.elapsed().as_nanos() as f64;
            HOOK_WINDOWS.with_borrow_mut(|windows| windows.as_mut().map(|w| w.push(window)));
        }
    });
    Signal::from_object_signal(&tree(), "process_frame").connect(&closing);
}

#[derive(GodotClass)]
#[class(init, base = Node)]
pub struct BenchRunner {
    queue: Vec<(&'static str, ScenarioBody)>,
    current: Option<(&'static str, ScenarioBody)>,
    results: Vec<Measurement>,
    out: Option<String>,
    started: bool,
    base: Base<Node>,
}

#[godot_api]
impl INode for BenchRunner {
    fn ready(&mut self) {
        let args: Vec<String> =
            Os::singleton().get_cmdline_user_args().to_vec().iter().map(|a| a.to_string()).collect();
        let quick = args.iter().any(|arg| arg == "--quick");
        self.out = args.iter().find_map(|arg| arg.strip_prefix("--out=").map(str::to_owned));
        let sizes = if quick { Sizes::QUICK } else { Sizes::FULL };

        // The opening mark is connected before any runtime attaches its own frame hook.
        let opening = Callable::from_fn("bench::frame_mark_start", |_args| FRAME_MARK.set(Some(Instant::now())));
        Signal::from_object_signal(&tree(), "process_frame").connect(&opening);

        let mut gdscript = Node::new_alloc();
        gdscript.set_script(&load::<Script>("res://gdscript_bench.gd"));
        gdscript.set_name("GDScriptBench");
        self.base_mut().add_child(&gdscript);

        println!("bench: {} mode, Godot {}", if quick { "quick" } else { "full" }, godot_version());
        self.queue = scenarios::all(sizes, gdscript);
        // `--only=NAME` runs one scenario (to profile it).
        if let Some(only) = args.iter().find_map(|arg| arg.strip_prefix("--only=")) {
            self.queue.retain(|(name, _)| *name == only);
        }
        self.queue.reverse();
        self.started = true;
    }

    fn process(&mut self, _delta: f64) {
        if !self.started {
            return;
        }
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            if self.current.is_none() {
                let Some(next) = self.queue.pop() else {
                    return self.finish();
                };
                println!("bench: scenario {}", next.0);
                self.current = Some(next);
            }
            let (name, body) = self.current.as_mut().expect("just set");
            let name = *name;
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| body.as_mut().poll(&mut cx))) {
                Ok(Poll::Pending) => return,
                Ok(Poll::Ready(measurements)) => {
                    for measurement in &measurements {
                        measurement.print();
                    }
                    self.results.extend(measurements);
                    self.current = None;
                }
                Err(_) => {
                    eprintln!("bench: scenario {name} panicked");
                    self.started = false;
                    tree().quit_ex().exit_code(1).done();
                    return;
                }
            }
        }
    }
}

impl BenchRunner {
    fn finish(&mut self) {
        self.started = false;
        let code = match &self.out {
            Some(path) => match report::write(path, &self.results) {
                Ok(()) => {
                    println!("bench: wrote {} results to {path}", self.results.len());
                    0
                }
                Err(message) => {
                    eprintln!("bench: {message}");
                    1
                }
            },
            None => 0,
        };
        tree().quit_ex().exit_code(code).done();
    }
}

fn godot_version() -> String {
    godot::classes::Engine::singleton().get_version_info().get("string").map(|v| v.to_string()).unwrap_or_default()
}
