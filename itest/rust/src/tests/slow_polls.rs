//! Slow-poll warnings in Godot's output: one per slow poll, naming the task and where it was spawned; none
//! for fast polls, and none once turned off.

use std::time::Duration;

use godot_tasks::TaskBuilder;

use crate::harness::wait_until;
use crate::tests::support::ErrorLog;
use crate::{ensure, ensure_eq, tests};

tests![a_slow_poll_gives_one_warning_naming_the_task_and_a_fast_one_none, the_warning_can_be_turned_off];

/// A task whose one poll blocks for `millis`, spawned at the caller's line.
#[track_caller]
fn blocking_poll(name: &str, millis: u64) -> godot_tasks::JoinHandle<()> {
    TaskBuilder::new().name(name).spawn(async move { std::thread::sleep(Duration::from_millis(millis)) })
}

fn warnings_about(log: &ErrorLog, name: &str) -> Vec<String> {
    log.errors().into_iter().filter(|line| line.contains(&format!("task '{name}'"))).collect()
}

async fn a_slow_poll_gives_one_warning_naming_the_task_and_a_fast_one_none() -> Result<(), String> {
    godot_tasks::runtime::set_slow_poll_warning(Some(Duration::from_millis(5)));
    let log = ErrorLog::start();
    let line = line!() + 1;
    let slow = blocking_poll("slow loader", 30);
    let fast = blocking_poll("quick step", 0);
    wait_until(5, "both tasks ran", || slow.is_finished() && fast.is_finished()).await?;
    godot_tasks::runtime::set_slow_poll_warning(godot_tasks::runtime::DEFAULT_SLOW_POLL_WARNING);
    let slow_warnings = warnings_about(&log, "slow loader");
    ensure_eq!(slow_warnings.len(), 1);
    let warning = &slow_warnings[0];
    ensure!(warning.contains(&format!("itest/rust/src/tests/slow_polls.rs:{line}:")), "{warning}");
    ensure!(warning.contains("in one poll") && warning.contains("spawn_compute"), "{warning}");
    ensure!(warnings_about(&log, "quick step").is_empty(), "{:?}", warnings_about(&log, "quick step"));
    Ok(())
}

async fn the_warning_can_be_turned_off() -> Result<(), String> {
    godot_tasks::runtime::set_slow_poll_warning(None);
    let log = ErrorLog::start();
    let slow = blocking_poll("unwatched", 30);
    wait_until(5, "the task ran", || slow.is_finished()).await?;
    godot_tasks::runtime::set_slow_poll_warning(godot_tasks::runtime::DEFAULT_SLOW_POLL_WARNING);
    ensure!(warnings_about(&log, "unwatched").is_empty(), "{:?}", log.errors());
    Ok(())
}
