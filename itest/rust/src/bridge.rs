//! A Rust class with async funcs for GDScript to await, for the bridge tests.

use std::time::Duration;

use godot::prelude::*;
use godot_tasks::gdscript;
use godot_tasks::time;

/// Async funcs of every result kind, and the Rust levels of the nesting test.
#[derive(GodotClass)]
#[class(init, base = RefCounted)]
pub struct BridgeProbe {
    base: Base<RefCounted>,
}

#[godot_api]
impl BridgeProbe {
    /// Ready at its first poll, and asking for GDScript timing, which `awaitable` must not honour for that
    /// poll (the value would be emitted before GDScript holds the signal).
    #[func]
    fn ready_at_once(&self) -> Signal {
        godot_tasks::TaskBuilder::new().gdscript_timing().awaitable(async { 5 })
    }

    #[func]
    fn answer(&self) -> Signal {
        gdscript::awaitable(async {
            time::next_frame().await;
            42
        })
    }

    #[func]
    fn greeting(&self) -> Signal {
        gdscript::awaitable(async { GString::from("hello") })
    }

    #[func]
    fn stats(&self) -> Signal {
        gdscript::awaitable(async {
            time::next_frame().await;
            let mut stats = VarDictionary::new();
            stats.set("hp", 10);
            stats.set("name", "knight");
            stats
        })
    }

    #[func]
    fn make_object(&self) -> Signal {
        gdscript::awaitable(async {
            let mut made = RefCounted::new_gd();
            made.set_meta("made_by", &"rust".to_variant());
            made
        })
    }

    #[func]
    fn nothing(&self) -> Signal {
        gdscript::awaitable(async { time::next_frame().await })
    }

    #[func]
    fn explode(&self) -> Signal {
        godot_tasks::TaskBuilder::new().name("explode").awaitable(async {
            time::next_frame().await;
            explosion()
        })
    }

    #[func]
    fn slow(&self) -> Signal {
        godot_tasks::TaskBuilder::new().name("slow").awaitable(async {
            time::sleep(Duration::from_secs(3600)).await;
            1
        })
    }

    /// Ends three frames later.
    #[func]
    fn in_three_frames(&self) -> Signal {
        godot_tasks::TaskBuilder::new().name("in_three_frames").awaitable(async {
            time::frames(3).await;
            3
        })
    }

    /// Bound to `owner`: cancelled from Rust when it is freed.
    #[func]
    fn bound_to(&self, owner: Gd<Object>) -> Signal {
        godot_tasks::TaskBuilder::new().name("bound").bind(&owner).awaitable(async {
            time::sleep(Duration::from_secs(3600)).await;
            1
        })
    }

    /// Level one of the nesting test: awaits GDScript's `level2`, which awaits `level3`.
    #[func]
    fn level1(&self, script: Gd<Node>) -> Signal {
        let this = self.to_gd();
        gdscript::awaitable(async move {
            let inner = gdscript::call::<i64>(&script, "level2", vslice![this]).await;
            inner.expect("level2 returns an int") + 1
        })
    }

    #[func]
    fn level3(&self) -> Signal {
        gdscript::awaitable(async {
            time::next_frame().await;
            40
        })
    }
}

/// Panics; typed so that the task has a value type for GDScript.
fn explosion() -> i64 {
    panic!("itest-bridge-explosion")
}
