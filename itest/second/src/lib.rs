//! A second extension in the itest project that links its own copy of godot-tasks, as an addon would next to
//! a game: both must load, run tasks and be awaited from GDScript side by side.

use godot::prelude::*;
use godot_tasks::{gdscript, time};

struct SecondExtension;

#[gdextension(entry_symbol = gdext_second_init)]
unsafe impl ExtensionLibrary for SecondExtension {}

/// Async funcs of the second extension, awaited from GDScript by the itest runner and, in the editor
/// hot-reload test, while the first extension is reloaded.
#[derive(GodotClass)]
#[class(tool, init, base = RefCounted)]
pub struct SecondProbe {
    base: Base<RefCounted>,
}

#[godot_api]
impl SecondProbe {
    /// `n * 2`, two frames later, from a task of this extension's runtime.
    #[func]
    fn doubled_later(&self, n: i64) -> Signal {
        godot_tasks::TaskBuilder::new().name("second::doubled_later").awaitable(async move {
            time::frames(2).await;
            godot_tasks::spawn(async move { n * 2 }).await.expect("the inner task completes")
        })
    }

    /// How many tasks this extension's runtime holds.
    #[func]
    fn task_count(&self) -> i64 {
        godot_tasks::runtime::task_count() as i64
    }

    /// A task GDScript can cancel: ends after an hour.
    #[func]
    fn slow(&self) -> Signal {
        gdscript::awaitable(async {
            time::sleep(std::time::Duration::from_secs(3600)).await;
            1
        })
    }
}
