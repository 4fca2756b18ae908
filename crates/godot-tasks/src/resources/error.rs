//! Why a load, or a scene made from it, failed.

use std::fmt;
use std::panic::Location;

use crate::origin::Origin;

/// Why [`load`](super::load), [`instantiate`](super::instantiate) or [`change_scene`](super::change_scene)
/// failed.
///
/// Like the crate's other errors it answers [`is_cancelled`](Self::is_cancelled), [`is_panic`](Self::is_panic)
/// (never: a load cannot panic), [`started_at`](Self::started_at) and [`task_name`](Self::task_name); the
/// message names the path and the fix.
///
/// # Example
///
/// ```no_run
/// use godot::classes::PackedScene;
/// use godot::prelude::*;
/// use godot_tasks::resources::{self, LoadErrorKind};
///
/// # async fn example() {
/// match resources::load::<PackedScene>("res://levels/2.tscn").await {
///     Ok(level) => godot_print!("loaded {}", level.get_path()),
///     Err(error) if matches!(error.kind(), LoadErrorKind::NotFound) => godot_print!("no level 2: the end"),
///     Err(error) => godot_error!("{error}"),
/// }
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    kind: LoadErrorKind,
    path: String,
    origin: Origin,
}

/// What went wrong, in a [`LoadError`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoadErrorKind {
    /// No resource at the path (`ResourceLoader.exists` says no).
    NotFound,
    /// The resource exists but Godot could not load it (a broken file, a missing dependency, an unknown
    /// format); Godot's output has the details.
    Failed,
    /// It loaded, but is not of the type asked for.
    WrongType {
        /// The class asked for.
        expected: String,
        /// The class it is.
        found: String,
    },
    /// The scene's root node is not of the node type asked for ([`instantiate`](super::instantiate)).
    WrongRootType {
        /// The class asked for.
        expected: String,
        /// The class of the scene's root.
        found: String,
    },
    /// The scene could not be instantiated, or made the current scene (the message says which).
    SceneFailed(String),
    /// The runtime stopped before the load ended (the engine exits, the extension is reloaded, or
    /// `runtime::shutdown()`).
    Cancelled,
}

impl LoadError {
    pub(crate) fn new(kind: LoadErrorKind, path: &str, started_at: &'static Location<'static>) -> Self {
        Self { kind, path: path.to_owned(), origin: Origin::now(started_at) }
    }

    /// What went wrong.
    pub fn kind(&self) -> &LoadErrorKind {
        &self.kind
    }

    /// The path that was loaded.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Whether the load was given up because the runtime stopped.
    pub fn is_cancelled(&self) -> bool {
        self.kind == LoadErrorKind::Cancelled
    }

    /// Always false: loading runs engine code, which does not panic into Rust. For the crate's one error
    /// vocabulary.
    pub fn is_panic(&self) -> bool {
        false
    }

    /// Where the load was started.
    pub fn started_at(&self) -> &'static Location<'static> {
        self.origin.started_at
    }

    /// The name of the task that awaited the load, if it has one.
    pub fn task_name(&self) -> Option<&str> {
        self.origin.task_name()
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (path, at, by) = (&self.path, self.origin.started_at, self.origin.awaited_by());
        match &self.kind {
            LoadErrorKind::NotFound => write!(
                f,
                "loading `{path}` (started at {at}{by}) failed: there is no resource at that path; check the \
                 spelling and that the file is in the project (and exported, for an exported game)"
            ),
            LoadErrorKind::Failed => write!(
                f,
                "loading `{path}` (started at {at}{by}) failed: Godot could not load it (see Godot's output for \
                 why: a broken file or a missing dependency)"
            ),
            LoadErrorKind::WrongType { expected, found } => write!(
                f,
                "loading `{path}` (started at {at}{by}) gave a {found}, not a {expected}: load it as `{found}` \
                 (or a class it inherits), or fix the path"
            ),
            LoadErrorKind::WrongRootType { expected, found } => write!(
                f,
                "the scene `{path}` (loaded at {at}{by}) has a root of class {found}, not {expected}: instantiate \
                 it as `{found}` (or a class it inherits)"
            ),
            LoadErrorKind::SceneFailed(why) => write!(f, "the scene `{path}` (loaded at {at}{by}): {why}"),
            LoadErrorKind::Cancelled => {
                write!(f, "loading `{path}` (started at {at}{by}) was cancelled: the runtime stopped before it ended")
            }
        }
    }
}

impl std::error::Error for LoadError {}
