//! Lifetimes and structured concurrency: tasks bound to objects, task groups, cancellation tokens.
//!
//! - [`TaskBuilder::new()`](crate::TaskBuilder::new) returns a [`TaskBuilder`]: `.bind(&object)` cancels the task when the object is
//!   freed, `.bind_to_tree(&node)` also when the node leaves the tree; `.spawn_in(&mut group, ...)` puts the
//!   task in a [`TaskGroup`].
//! - A [`TaskGroup`] owns tasks: await the next or all, cancel all; dropping it cancels them, so groups
//!   owned by tasks form a tree that cancellation flows down.
//! - A [`CancelToken`] is a shared flag tasks can await (in `select!`) or check.

mod bound;
mod builder;
mod cancel_token;
mod group;

pub use builder::TaskBuilder;
pub use cancel_token::{CancelToken, WaitForCancel};
pub use group::TaskGroup;
