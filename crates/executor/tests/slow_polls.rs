//! Slow-poll reports: a poll longer than the threshold is reported once, with the task's name and spawn
//! location; fast polls, and every poll while no threshold is set, are not.

mod common;

use std::time::Duration;

use common::{Event, executor};

async fn slow_step() {
    std::thread::sleep(Duration::from_millis(30));
}

#[test]
fn a_poll_longer_than_the_threshold_is_reported_once_with_name_and_location() {
    let (executor, trace) = executor();
    executor.set_slow_poll_threshold(Some(Duration::from_millis(5)));
    let line = line!() + 1;
    executor.spawn_named("level loader", slow_step()).detach();
    executor.spawn(async {}).detach();
    trace.take();
    let _ = executor.flush();
    let reports: Vec<_> = trace.take().into_iter().filter(|event| matches!(event, Event::SlowPoll { .. })).collect();
    assert_eq!(reports, [Event::SlowPoll { name: Some("level loader".to_owned()), line }]);
}

#[test]
fn without_a_threshold_nothing_is_timed_or_reported() {
    let (executor, trace) = executor();
    executor.spawn(slow_step()).detach();
    executor.set_slow_poll_threshold(Some(Duration::from_millis(5)));
    executor.set_slow_poll_threshold(None);
    trace.take();
    let _ = executor.flush();
    assert!(trace.take().iter().all(|event| !matches!(event, Event::SlowPoll { .. })));
}
