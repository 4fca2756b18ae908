//! The godot-tasks demo: a few tasks wait, hand values to each other and finish, narrating as they go.
//!
//! Run it with `cargo xtask demo`. Frame waits here use a tiny clock that the `Demo` node ticks every frame;
//! the library's own timers and signal futures come in later versions.

use std::cell::RefCell;
use std::future::Future;
use std::task::{Poll, Waker};

use godot::classes::{INode, Node};
use godot::prelude::*;

struct DemoExtension;

#[gdextension]
unsafe impl ExtensionLibrary for DemoExtension {}

thread_local! {
    /// Tasks waiting for the next frame; the `Demo` node wakes them all once per frame.
    static NEXT_FRAME: RefCell<Vec<Waker>> = const { RefCell::new(Vec::new()) };
}

/// Resumes the calling task `n` frames later.
fn frames(n: u32) -> impl Future<Output = ()> {
    let mut until = None;
    std::future::poll_fn(move |cx| {
        let until = *until.get_or_insert_with(|| frame() + u64::from(n));
        if frame() >= until {
            return Poll::Ready(());
        }
        NEXT_FRAME.with_borrow_mut(|waiting| waiting.push(cx.waker().clone()));
        Poll::Pending
    })
}

fn frame() -> u64 {
    godot::classes::Engine::singleton().get_process_frames()
}

#[derive(GodotClass)]
#[class(init, base = Node)]
struct Demo {
    base: Base<Node>,
}

#[godot_api]
impl INode for Demo {
    fn ready(&mut self) {
        let mut tree = self.base().get_tree();
        godot_print!("[frame {}] demo: spawning a scout, a smith and a captain", frame());

        let scout = godot_tasks::spawn(async {
            godot_print!("[frame {}] scout: setting out to explore", frame());
            frames(3).await;
            godot_print!("[frame {}] scout: found 3 caves", frame());
            3
        });
        let smith = godot_tasks::spawn(async {
            godot_print!("[frame {}] smith: forging swords", frame());
            frames(5).await;
            godot_print!("[frame {}] smith: 12 swords ready", frame());
            12
        });
        godot_tasks::spawn(async move {
            godot_print!("[frame {}] captain: waiting for the scout and the smith", frame());
            let caves = scout.await.expect("the scout neither panicked nor was cancelled");
            let swords = smith.await.expect("the smith neither panicked nor was cancelled");
            godot_print!("[frame {}] captain: {caves} caves, {swords} swords: 4 swords per cave. March!", frame());
            let lookout = godot_tasks::spawn(async { std::future::pending::<()>().await });
            lookout.cancel();
            let report = lookout.await.expect_err("a cancelled task gives an error");
            godot_print!("[frame {}] captain: the lookout was recalled ({report})", frame());
            godot_print!("[frame {}] demo: all tasks finished, quitting", frame());
            tree.quit();
        })
        .detach();
    }

    fn process(&mut self, _delta: f64) {
        for waker in NEXT_FRAME.with_borrow_mut(std::mem::take) {
            waker.wake();
        }
    }
}
