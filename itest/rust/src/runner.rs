//! The `TestRunner` node: runs every test, one poll per frame, and quits with the verdict.

use std::task::{Context, Waker};

use godot::classes::{INode, Node, Os};
use godot::prelude::*;

use crate::harness::{Test, TestBody};

/// How many frames one test may take before it counts as hung.
const FRAME_LIMIT: u32 = 600;

#[derive(GodotClass)]
#[class(init, base = Node)]
pub struct TestRunner {
    tests: Vec<Test>,
    next: usize,
    current: Option<(&'static str, TestBody, u32)>,
    passed: usize,
    failed: usize,
    started: bool,
    base: Base<Node>,
}

#[godot_api]
impl INode for TestRunner {
    fn ready(&mut self) {
        // Keeps running while a test pauses the tree.
        self.base_mut().set_process_mode(godot::classes::node::ProcessMode::ALWAYS);
        let args: Vec<String> =
            Os::singleton().get_cmdline_user_args().to_vec().iter().map(|a| a.to_string()).collect();
        let value = |key: &str| args.iter().find_map(|arg| arg.strip_prefix(key).map(str::to_owned));
        if let Some(scenario) = value("--scenario=") {
            let quit = value("--quit=").unwrap_or_else(|| "task".to_owned());
            if !crate::exit_scenario::start(self.base().get_tree(), &scenario, &quit) {
                godot_error!("no scenario `{scenario}` that quits by `{quit}`");
                self.base().get_tree().quit_ex().exit_code(1).done();
            }
            self.started = true;
            return;
        }
        self.tests = crate::tests::all();
        // `-- --only=TEXT` runs the tests whose name contains TEXT (for work on one test).
        if let Some(only) = value("--only=") {
            self.tests.retain(|test| test.name.contains(&only));
        }
        println!("running {} tests", self.tests.len());
    }

    fn process(&mut self, _delta: f64) {
        if self.started {
            return;
        }
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            if self.current.is_none() {
                let Some(test) = self.tests.get(self.next) else {
                    return self.finish();
                };
                self.next += 1;
                self.current = Some((test.name, (test.body)(), 0));
            }
            let (name, body, frames) = self.current.as_mut().expect("just set");
            *frames += 1;
            let name = *name;
            let verdict = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| body.as_mut().poll(&mut cx))) {
                Ok(std::task::Poll::Pending) if *frames > FRAME_LIMIT => {
                    Some(Err(format!("hung for {FRAME_LIMIT} frames")))
                }
                Ok(std::task::Poll::Pending) => None,
                Ok(std::task::Poll::Ready(result)) => Some(result),
                Err(_) => Some(Err("the test body panicked".to_owned())),
            };
            match verdict {
                None => return, // Continue next frame.
                Some(Ok(())) => {
                    println!("test {name} ... ok");
                    self.passed += 1;
                }
                Some(Err(message)) => {
                    println!("test {name} ... FAILED: {message}");
                    self.failed += 1;
                }
            }
            self.current = None;
        }
    }
}

impl TestRunner {
    fn finish(&mut self) {
        if self.started {
            return;
        }
        self.started = true;
        println!("{} passed, {} failed", self.passed, self.failed);
        let code = if self.failed == 0 { 0 } else { 1 };
        self.base().get_tree().quit_ex().exit_code(code).done();
    }
}
