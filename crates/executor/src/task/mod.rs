//! A task: one allocation holding its header, its future and, once the future is gone, its output
//! (`raw`), and the state machine that says what may happen to it next (`state`).

mod raw;
mod state;

pub(crate) use raw::{HandleRef, TaskPtr, TaskRef};
pub(crate) use state::{AfterFinish, AfterPending, MAX_TASKS, Outcome, Phase, Run};
