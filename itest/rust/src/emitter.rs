//! Objects with signals for the signal tests.

use godot::prelude::*;

/// A user class (RefCounted: freed when the last reference goes) with signals of many argument types.
#[derive(GodotClass)]
#[class(init, base = RefCounted)]
pub struct Emitter {
    base: Base<RefCounted>,
}

#[godot_api]
impl Emitter {
    #[signal]
    pub fn pair(small: u8, object: Gd<RefCounted>);

    #[signal]
    pub fn numbers(values: Array<i64>);

    #[signal]
    pub fn count(n: i64);

    #[signal]
    pub fn ping();

    #[signal]
    pub fn mixed(mood: Mood, maybe: Option<Gd<Node>>, scores: Dictionary<GString, i64>);

    #[signal]
    pub fn position(at: Vector2);

    #[signal]
    pub fn plain(flag: bool, ratio: f64, tint: Color, transform: Transform3D, bounds: Aabb, nothing: Variant);
}

/// A user enum crossing signals as an integer.
#[derive(GodotConvert, Var, Export, Clone, Copy, PartialEq, Eq, Debug)]
#[godot(via = i64)]
pub enum Mood {
    Calm,
    Angry,
}

/// A node with a signal, for tests where the emitter is freed by `free()` or leaves the tree.
#[derive(GodotClass)]
#[class(init, base = Node)]
pub struct EmitterNode {
    base: Base<Node>,
}

#[godot_api]
impl EmitterNode {
    #[signal]
    pub fn hit(damage: i64);
}

/// How many connections `signal` of `object` has.
pub fn connection_count(object: &Gd<impl Inherits<Object>>, signal: &str) -> usize {
    object.clone().upcast::<Object>().get_signal_connection_list(signal).len()
}
