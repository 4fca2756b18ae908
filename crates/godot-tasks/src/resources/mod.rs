//! Loading resources and scenes without freezing the game: Godot's threaded loader, awaited.
//!
//! ```no_run
//! use godot::classes::{Node2D, PackedScene, Texture2D};
//! use godot::prelude::*;
//! use godot_tasks::resources;
//!
//! # async fn example(mut world: Gd<Node>) -> Result<(), resources::LoadError> {
//! let icon = resources::load::<Texture2D>("res://icon.svg").await?;
//! let boss = resources::instantiate::<Node2D>("res://enemies/boss.tscn").await?;
//! world.add_child(&boss);
//! resources::change_scene("res://levels/2.tscn").await?;
//! # Ok(())
//! # }
//! ```
//!
//! What to rely on:
//!
//! - **One request per path.** Loads run on Godot's threaded loader (`ResourceLoader.load_threaded_request`);
//!   every future and progress stream of one path shares one request. A resource already in Godot's cache
//!   resolves without waiting for a frame.
//! - **Progress.** [`Load::progress`] is a stream of values from 0.0 to 1.0 that only grow, for a loading bar.
//!   The runtime asks Godot once per frame, in its frame hook.
//! - **Dropping a load** leaks nothing. Godot cannot cancel a threaded load, so it runs to its end; the
//!   runtime then claims the resource and drops it. After [`runtime::shutdown`] the
//!   loads go on and a fresh runtime claims them (the shutdown starts one if loads are running); at engine exit or a hot reload, each load still running is
//!   claimed at once (waiting for it to end), so nothing stays in Godot's loader.
//! - **Errors** ([`LoadError`]) name the path and the fix: no resource at the path, a load Godot could not
//!   do, a resource (or a scene root) of another type.
//! - **Classes defined in Rust.** Godot constructs a loaded resource's objects on its loader thread. If the
//!   resource holds objects of classes defined with godot-rust, build the `godot` crate with its
//!   `experimental-threads` feature, or load that resource with `ResourceLoader.load` on the main thread.
//! - **Main thread only**, like every task.

mod error;
mod load;
mod requests;

use std::future::Future;
use std::panic::Location;

use godot::classes::{Engine, Node, PackedScene, Resource, SceneTree};
use godot::obj::{Gd, GodotClass, Inherits, Singleton};

pub use error::{LoadError, LoadErrorKind};
pub use load::{Load, LoadProgress};

use crate::runtime;

/// Loads the resource at `path` on Godot's threaded loader, as a `T` (`Resource` for any type).
///
/// See the [module docs](self) for sharing, progress and dropping.
///
/// # Panics
///
/// Off Godot's main thread.
///
/// # Example
///
/// ```no_run
/// use godot::classes::AudioStream;
/// use godot_tasks::resources;
///
/// # async fn example() {
/// match resources::load::<AudioStream>("res://music/theme.ogg").await {
///     Ok(music) => { /* play it */ }
///     Err(error) => godot::global::godot_error!("{error}"),
/// }
/// # }
/// ```
#[track_caller]
pub fn load<T: GodotClass + Inherits<Resource>>(path: &str) -> Load<T> {
    let at = Location::caller();
    runtime::assert_main_thread("godot_tasks::resources::load()", at);
    Load::new(path, at)
}

/// Loads the scene at `path` and instantiates it, as a `T` (its root's class or one it inherits). The new node
/// is not in the tree yet: add it where it belongs.
///
/// # Panics
///
/// Off Godot's main thread.
///
/// # Example
///
/// ```no_run
/// use godot::classes::CharacterBody2D;
/// use godot::prelude::*;
/// use godot_tasks::resources;
///
/// # async fn example(mut level: Gd<Node>) -> Result<(), resources::LoadError> {
/// let enemy = resources::instantiate::<CharacterBody2D>("res://enemies/bat.tscn").await?;
/// level.add_child(&enemy);
/// # Ok(())
/// # }
/// ```
#[track_caller]
pub fn instantiate<T: GodotClass + Inherits<Node>>(path: &str) -> impl Future<Output = Result<Gd<T>, LoadError>> {
    let scene = load::<PackedScene>(path);
    let at = Location::caller();
    async move {
        let path = scene.path().to_owned();
        let scene = scene.await?;
        let error = |kind| LoadError::new(kind, &path, at);
        let root = scene
            .instantiate()
            .ok_or_else(|| error(LoadErrorKind::SceneFailed("PackedScene.instantiate() gave nothing".into())))?;
        root.try_cast::<T>().map_err(|root| {
            let found = root.get_class().to_string();
            root.free();
            error(LoadErrorKind::WrongRootType { expected: T::class_id().to_string(), found })
        })
    }
}

/// Loads the scene at `path` and makes it the current scene (`SceneTree.change_scene_to_packed`): the old
/// current scene is freed at the end of the frame, the new one enters the tree then. As with Godot's own call,
/// the last change of a frame wins: two changes that resolve in one frame both return `Ok`, and the second
/// scene becomes current.
///
/// # Panics
///
/// Off Godot's main thread.
///
/// # Example
///
/// ```no_run
/// # async fn example() -> Result<(), godot_tasks::resources::LoadError> {
/// godot_tasks::resources::change_scene("res://levels/2.tscn").await?;
/// # Ok(())
/// # }
/// ```
#[track_caller]
pub fn change_scene(path: &str) -> impl Future<Output = Result<(), LoadError>> {
    let scene = load::<PackedScene>(path);
    let at = Location::caller();
    async move {
        let path = scene.path().to_owned();
        let scene = scene.await?;
        let error = |why: String| LoadError::new(LoadErrorKind::SceneFailed(why), &path, at);
        let mut tree = Engine::singleton()
            .get_main_loop()
            .and_then(|main| main.try_cast::<SceneTree>().ok())
            .ok_or_else(|| error("there is no SceneTree to change the scene of".into()))?;
        match tree.change_scene_to_packed(&scene) {
            godot::global::Error::OK => Ok(()),
            other => Err(error(format!("SceneTree.change_scene_to_packed() failed with {other:?}"))),
        }
    }
}

/// How many loads are running now (started, not ended), whether or not anything still awaits them.
///
/// # Example
///
/// ```no_run
/// let busy = godot_tasks::resources::loads_in_flight() > 0;
/// ```
pub fn loads_in_flight() -> usize {
    requests::in_flight()
}

pub(crate) const SERVICE: runtime::Service =
    runtime::Service { frame: requests::on_frame, stop: requests::stop, ..runtime::Service::NONE };
