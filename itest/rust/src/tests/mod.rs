//! Every integration test, grouped by behaviour.

mod cancel;
mod lifecycle;
mod panics;
mod spawn;
mod support;
mod wakes;

pub fn all() -> Vec<crate::harness::Test> {
    [spawn::all(), cancel::all(), wakes::all(), panics::all(), lifecycle::all()].into_iter().flatten().collect()
}
