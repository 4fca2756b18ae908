//! The user class whose signals the Rust scenarios await.

use godot::prelude::*;

#[derive(GodotClass)]
#[class(init, base = RefCounted)]
pub struct BenchEmitter {
    base: Base<RefCounted>,
}

#[godot_api]
impl BenchEmitter {
    #[signal]
    pub fn tick();

    #[signal]
    pub fn never();
}
