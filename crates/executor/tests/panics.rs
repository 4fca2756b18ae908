//! Panic isolation: a panicking task or destructor is caught, reported to the host and handed to the
//! `JoinHandle`; it never escapes `flush` and never stops other tasks.

mod common;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use common::{
    Event, Gate, NOTHING_RAN, PanicOnDrop, dropped, executor, join_in_task, outcome, panic_reported, panic_with, poll,
};
use godot_tasks_executor::FlushOutcome;

#[test]
fn panicking_task_does_not_stop_the_other_tasks_of_the_flush() {
    let (executor, trace) = executor();
    let (a, _) = trace.probe("a", panic_with("boom"));
    let spawn_line = line!() + 1;
    let a = executor.spawn(a);
    let (b, _) = trace.probe("b", async { 2 });
    let b = executor.spawn(b);
    trace.take();

    let outcome = executor.flush();

    assert_eq!(
        trace.take(),
        [poll("a"), panic_reported("boom", file!(), spawn_line), dropped("a"), poll("b"), dropped("b")]
    );
    assert_eq!(outcome, FlushOutcome { polls: 2, rounds: 1, more_work: false });
    assert!(a.is_finished());
    assert_eq!(common::outcome(b), Ok(2));
}

#[test]
fn panic_report_carries_the_message_and_the_spawn_location() {
    let (executor, trace) = executor();
    let spawn_line = line!() + 1;
    executor.spawn(async { panic!("task failed with code {}", 7) }).detach();
    trace.take();

    let _ = executor.flush();

    assert_eq!(trace.take(), [panic_reported("task failed with code 7", file!(), spawn_line)]);
}

#[test]
fn join_error_of_a_panicked_task_carries_a_str_message() {
    let (executor, _trace) = executor();
    let spawn_line = line!() + 1;
    let handle = executor.spawn(panic_with("static message"));
    let location = handle.spawned_at();
    let slot = join_in_task(&executor, handle);

    let _ = executor.flush();

    let error = slot.borrow_mut().take().unwrap().unwrap_err();
    assert!(error.is_panic());
    assert!(!error.is_cancelled());
    assert_eq!(error.panic_message(), Some("static message"));
    assert_eq!((error.started_at().file(), error.started_at().line()), (file!(), spawn_line));
    assert_eq!(error.to_string(), format!("task spawned at {location} panicked: static message"));
}

#[test]
fn join_error_of_a_panicked_task_carries_a_string_message() {
    let (executor, _trace) = executor();
    let handle = executor.spawn(panic_with(String::from("owned message")));
    let _ = executor.flush();

    let error = outcome(handle).unwrap_err();

    assert_eq!(error.panic_message(), Some("owned message"));
}

#[test]
fn join_error_of_a_task_that_panicked_with_a_non_string_payload_says_so() {
    let (executor, trace) = executor();
    let spawn_line = line!() + 1;
    let handle = executor.spawn(panic_with(17_u64));
    trace.take();
    let _ = executor.flush();

    let error = outcome(handle).unwrap_err();

    assert_eq!(error.panic_message(), Some("<non-string panic payload>"));
    assert_eq!(trace.take(), [panic_reported("<non-string panic payload>", file!(), spawn_line)]);
}

#[test]
fn awaiting_task_gets_the_panic_as_an_error_and_goes_on() {
    let (executor, trace) = executor();
    let handle = executor.spawn(panic_with("inner"));
    let awaiter = executor.spawn(async move {
        let error = handle.await.unwrap_err();
        error.panic_message().unwrap().to_uppercase()
    });
    trace.take();

    let _ = executor.flush();

    assert_eq!(outcome(awaiter), Ok(String::from("INNER")));
}

#[test]
fn wake_of_a_task_that_panicked_is_a_noop() {
    let (executor, trace) = executor();
    let gate = Gate::default();
    let task = {
        let gate = gate.clone();
        async move {
            gate.capture_waker().await;
            std::panic::panic_any("after capturing the waker")
        }
    };
    executor.spawn(task).detach();
    let _ = executor.flush();
    trace.take();

    gate.wake();

    assert_eq!(trace.take(), []);
    assert_eq!(executor.flush(), NOTHING_RAN);
}

#[test]
fn destructor_panic_during_cancel_is_reported_and_not_propagated() {
    let (executor, trace) = executor();
    let (b, _) = trace.probe("b", async {});
    let bomb = PanicOnDrop("boom");
    let (a, _) = trace.probe("a", async move {
        let _bomb = bomb;
        std::future::pending::<()>().await;
    });
    let spawn_line = line!() + 1;
    let a = executor.spawn(a);
    let _ = executor.flush();
    a.cancel();
    let b = executor.spawn(b);
    trace.take();

    let outcome = executor.flush();

    assert_eq!(
        trace.take(),
        [
            dropped("a"),
            panic_reported("a task's future panicked while being dropped: boom", file!(), spawn_line),
            poll("b"),
            dropped("b"),
        ]
    );
    assert_eq!(outcome, FlushOutcome { polls: 1, rounds: 1, more_work: false });
    assert!(common::outcome(a).unwrap_err().is_cancelled(), "the task still counts as cancelled");
    assert_eq!(common::outcome(b), Ok(()));
}

/// Returns `Ready(1)` on its first poll; its destructor panics.
struct ReadyThenPanicOnDrop {
    _bomb: PanicOnDrop,
}

impl Future for ReadyThenPanicOnDrop {
    type Output = u32;

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<u32> {
        Poll::Ready(1)
    }
}

#[test]
fn destructor_panic_right_after_completion_fails_the_task_as_panicked() {
    let (executor, trace) = executor();
    let spawn_line = line!() + 1;
    let handle = executor.spawn(ReadyThenPanicOnDrop { _bomb: PanicOnDrop("late boom") });
    trace.take();

    let _ = executor.flush();

    assert_eq!(trace.take(), [panic_reported("late boom", file!(), spawn_line)]);
    assert_eq!(outcome(handle).unwrap_err().panic_message(), Some("late boom"));
}

#[test]
fn output_destructor_panic_of_a_detached_task_is_reported_and_not_propagated() {
    let (executor, trace) = executor();
    let spawn_line = line!() + 1;
    executor.spawn(async { PanicOnDrop("output boom") }).detach();
    trace.take();

    let outcome = executor.flush();

    assert_eq!(
        trace.take(),
        [panic_reported("a task's output panicked while being dropped: output boom", file!(), spawn_line)]
    );
    assert_eq!(outcome.polls, 1);
    assert_eq!(executor.task_count(), 0);
}

#[test]
fn output_destructor_panic_when_dropping_a_finished_handle_is_reported_and_not_propagated() {
    let (executor, trace) = executor();
    let spawn_line = line!() + 1;
    let handle = executor.spawn(async { PanicOnDrop("output boom") });
    let _ = executor.flush();
    trace.take();

    drop(handle);

    assert_eq!(
        trace.take(),
        [panic_reported("a task's output panicked while being dropped: output boom", file!(), spawn_line)]
    );
    assert_eq!(executor.task_count(), 0);
}

#[test]
fn panicking_task_reports_exactly_once_and_requests_no_flush() {
    let (executor, trace) = executor();
    executor.spawn(panic_with("once")).detach();
    trace.take();

    let _ = executor.flush();

    let events = trace.take();
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(matches!(&events[0], Event::PanicReported { message, .. } if message == "once"));
}

/// A panic payload that is not a string, to check that it reaches `into_panic` unchanged.
#[derive(Debug, PartialEq)]
struct GameOver {
    score: u32,
}

#[test]
fn into_panic_hands_back_the_original_payload_for_resume_unwind() {
    let (executor, _trace) = executor();
    let handle = executor.spawn(async { std::panic::panic_any(GameOver { score: 42 }) });
    let _ = executor.flush();

    let error = outcome(handle).unwrap_err();
    assert_eq!(error.panic_message(), Some("<non-string panic payload>"));
    let payload = error.into_panic();
    assert_eq!(payload.downcast_ref::<GameOver>(), Some(&GameOver { score: 42 }));
    // Raised again, it is the same panic.
    let raised =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| std::panic::resume_unwind(payload))).unwrap_err();
    assert_eq!(raised.downcast_ref::<GameOver>(), Some(&GameOver { score: 42 }));
}

#[test]
fn clones_of_a_join_error_share_one_payload_and_the_rest_get_the_message() {
    let (executor, _trace) = executor();
    let handle = executor.spawn(panic_with("boom"));
    let _ = executor.flush();

    let error = outcome(handle).unwrap_err();
    let clone = error.clone();
    assert_eq!(clone, error);
    assert_eq!(error.into_panic().downcast_ref::<&str>(), Some(&"boom"));
    assert_eq!(clone.into_panic().downcast_ref::<String>().map(String::as_str), Some("boom"));
}

#[test]
fn a_cancellation_is_not_a_panic_and_gives_itself_back() {
    let (executor, _trace) = executor();
    let handle = executor.spawn(std::future::pending::<()>());
    handle.cancel();
    let _ = executor.flush();

    let error = outcome(handle).unwrap_err();
    let error = error.try_into_panic().unwrap_err();
    assert!(error.is_cancelled());
    let refusal = std::panic::catch_unwind(|| error.into_panic()).unwrap_err();
    let refusal = godot_tasks_executor::payload_message(&*refusal);
    assert!(refusal.contains("not a panic") && refusal.contains("try_into_panic"), "{refusal}");
}

#[test]
fn dropping_an_untaken_payload_whose_destructor_panics_is_quiet() {
    let (executor, _trace) = executor();
    let handle = executor.spawn(async { std::panic::panic_any(PanicOnDrop("payload")) });
    let _ = executor.flush();

    let error = outcome(handle).unwrap_err();
    assert!(error.is_panic());
    drop(error); // must not panic
}

#[test]
fn a_detached_task_whose_payload_panics_when_dropped_does_not_stop_the_flush() {
    let (executor, trace) = executor();
    executor.spawn(async { std::panic::panic_any(PanicOnDrop("payload")) }).detach();
    let (after, counts) = trace.probe("after", async {});
    executor.spawn(after).detach();
    let _ = executor.flush();
    assert_eq!(counts.polls(), 1);
}

#[test]
fn join_errors_cross_threads() {
    fn send_sync<T: Send + Sync + 'static>() {}
    send_sync::<godot_tasks_executor::JoinError>();
}

/// A value whose destructor panics with a `Bomb` one lower as the payload, whose destructor panics in turn,
/// down to `Bomb(0)`.
struct Bomb(u32);

impl Drop for Bomb {
    fn drop(&mut self) {
        if self.0 > 0 {
            std::panic::panic_any(Bomb(self.0 - 1));
        }
    }
}

#[test]
fn a_future_whose_destructor_panics_with_a_panicking_payload_does_not_escape_the_flush() {
    let (executor, trace) = executor();
    let bomb = Bomb(4);
    let cancelled = executor.spawn(async move {
        let _bomb = bomb;
        std::future::pending::<()>().await;
    });
    let _ = executor.flush();
    cancelled.cancel();
    let (after, counts) = trace.probe("after", async {});
    let after = executor.spawn(after);

    let _ = executor.flush(); // must return

    assert!(cancelled.is_finished());
    assert_eq!(counts.polls(), 1);
    assert!(after.is_finished());
}
