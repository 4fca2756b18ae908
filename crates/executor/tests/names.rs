//! Task names and cancel handles.

mod common;

use common::{executor, outcome};

#[test]
fn a_named_task_carries_its_name_into_its_handle_and_its_join_error() {
    let (executor, _trace) = executor();
    let handle = executor.spawn_named("loader", std::future::pending::<()>());
    assert_eq!(handle.name(), Some("loader"));
    handle.cancel();
    let _ = executor.flush();
    let error = outcome(handle).expect_err("cancelled");
    assert_eq!(error.task_name(), Some("loader"));
    assert!(error.to_string().starts_with("task 'loader' spawned at crates/executor/tests/names.rs:"), "{error}");
}

#[test]
fn a_named_task_that_panics_is_named_in_the_report_and_the_error() {
    let (executor, _trace) = executor();
    let handle = executor.spawn_named("brain", async { panic!("lost") });
    let _ = executor.flush();
    let error = outcome(handle).expect_err("panicked");
    assert_eq!(error.task_name(), Some("brain"));
    assert!(error.to_string().contains("task 'brain' spawned at"), "{error}");
    assert!(error.to_string().ends_with("panicked: lost"), "{error}");
}

#[test]
fn an_unnamed_task_has_no_name() {
    let (executor, _trace) = executor();
    let handle = executor.spawn(async {});
    assert_eq!(handle.name(), None);
    let _ = executor.flush();
    assert!(outcome(handle).is_ok());
}

#[test]
fn a_cancel_handle_cancels_like_the_join_handle_and_outlives_it() {
    let (executor, _trace) = executor();
    let handle = executor.spawn(std::future::pending::<()>());
    let canceller = handle.cancel_handle();
    let second = canceller.clone();
    canceller.cancel();
    second.cancel(); // a second cancel is a no-op
    let _ = executor.flush();
    assert!(outcome(handle).is_err_and(|e| e.is_cancelled()));
    second.cancel(); // after the task is gone: still a no-op
    drop(executor);
    canceller.cancel(); // after the executor is gone: still a no-op
}

#[test]
fn the_name_of_the_task_being_polled_is_known_only_while_it_is_polled() {
    let (executor, _trace) = executor();
    let executor = std::rc::Rc::new(executor);
    let inside = executor.clone();
    let named = executor.spawn_named("loader", {
        let inside = inside.clone();
        async move { inside.current_task_name() }
    });
    let unnamed = executor.spawn(async move { inside.current_task_name() });
    assert_eq!(executor.current_task_name(), None);
    let _ = executor.flush();
    assert_eq!(executor.current_task_name(), None);
    assert_eq!(outcome(named).unwrap().as_deref(), Some("loader"));
    assert_eq!(outcome(unnamed).unwrap(), None);
}
