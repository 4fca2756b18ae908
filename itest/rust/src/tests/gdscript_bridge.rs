//! GDScript and Rust awaiting each other: `gdscript::awaitable` funcs awaited from GDScript (`bridge.gd`),
//! and GDScript methods and signals awaited from Rust with `gdscript::call` and `SignalExt`.

use godot::classes::Script;
use godot::meta::FromGodot;
use godot::obj::Singleton;
use godot::prelude::*;
use godot_tasks::JoinHandle;
use godot_tasks::gdscript::{self, CallError, CallErrorKind};
use godot_tasks::signal::SignalExt;

use super::support::ErrorLog;
use crate::bridge::BridgeProbe;
use crate::emitter::EmitterNode;
use crate::harness::{frame, frames, next_frame, run_task, tree, wait_until};
use crate::{ensure, ensure_eq, tests};

tests![
    gdscript_awaits_rust_int_string_dictionary_object_and_nothing,
    gdscript_await_resumes_with_null_and_an_error_when_the_rust_task_panics,
    gdscript_cancels_a_running_rust_task,
    rust_cancellation_resumes_gdscript_with_null_and_an_error,
    gdscript_awaits_wait_after_the_task_is_done,
    rust_awaits_a_coroutine_that_awaits_two_frames,
    rust_awaits_a_method_that_returns_at_once,
    wrong_result_type_missing_method_and_refused_call_are_clear_errors,
    coroutine_whose_object_is_freed_gives_object_freed,
    rust_awaits_a_gdscript_signal_handed_to_it,
    three_levels_of_nesting,
    awaiting_gdscript_object_freed_while_the_rust_task_runs,
    call_awaits_a_returned_signal_like_gdscript_await,
    call_on_a_freed_object_gives_object_freed,
    runtime_shutdown_resumes_gdscript_with_null,
    coroutine_whose_awaited_object_is_freed_is_abandoned,
    two_extensions_with_godot_tasks_run_side_by_side,
];

/// A node running `bridge.gd`, in the tree.
fn script_node() -> Gd<Node> {
    let mut node = Node::new_alloc();
    node.set_script(&load::<Script>("res://bridge.gd"));
    tree().get_root().expect("a root").add_child(&node);
    node
}

/// A GDScript array holding `value`.
fn array_of(value: Variant) -> Variant {
    let mut array = VarArray::new();
    array.push(&value);
    array.to_variant()
}

/// The GDScript method `method` of `node` called with `args` and awaited from a task, as a `T`.
async fn call_script<T: FromGodot + 'static>(
    node: &Gd<Node>,
    method: &'static str,
    args: Vec<Variant>,
) -> Result<T, String> {
    let node = node.clone();
    run_task(async move { gdscript::call::<T>(&node, method, &args).await }).await?.map_err(|e| e.to_string())
}

/// A task calling the GDScript method `method` of `node` with `args` and awaiting it.
fn spawn_call<T: FromGodot + 'static>(
    node: &Gd<Node>,
    method: &'static str,
    args: Vec<Variant>,
) -> JoinHandle<Result<T, CallError>> {
    let node = node.clone();
    godot_tasks::spawn(async move { gdscript::call::<T>(&node, method, &args).await })
}

/// The outcome of a `spawn_call` task, once it ended (within 10 frames).
async fn call_ended<T: 'static>(call: JoinHandle<Result<T, CallError>>) -> Result<Result<T, CallError>, String> {
    wait_until(10, "the call ended", || call.is_finished()).await?;
    call.await.map_err(|e| e.to_string())
}

/// Starts the Rust awaitable `method` of a new `BridgeProbe`: its signal and its task object.
fn start_awaitable(method: &str) -> Result<(Signal, Gd<Object>), String> {
    let pending: Signal = BridgeProbe::new_gd().upcast::<Object>().call(method, &[]).to();
    let task = pending.object().ok_or("the signal has its task object")?;
    Ok((pending, task))
}

/// GDScript's `await_rust(probe, method)`, awaited from Rust.
async fn gdscript_awaits(node: &Gd<Node>, probe: &Gd<BridgeProbe>, method: &str) -> Result<Variant, String> {
    call_script(node, "await_rust", vec![probe.to_variant(), method.to_variant()]).await
}

async fn gdscript_awaits_rust_int_string_dictionary_object_and_nothing() -> Result<(), String> {
    let mut node = script_node();
    let probe = BridgeProbe::new_gd();
    ensure_eq!(gdscript_awaits(&node, &probe, "answer").await?, 42.to_variant());
    ensure_eq!(gdscript_awaits(&node, &probe, "ready_at_once").await?, 5.to_variant());
    ensure_eq!(gdscript_awaits(&node, &probe, "greeting").await?, "hello".to_variant());
    let stats: VarDictionary = gdscript_awaits(&node, &probe, "stats").await?.to();
    ensure_eq!(stats.get("hp"), Some(10.to_variant()));
    ensure_eq!(stats.get("name"), Some("knight".to_variant()));
    let made: Gd<RefCounted> = gdscript_awaits(&node, &probe, "make_object").await?.to();
    ensure_eq!(made.get_meta("made_by"), "rust".to_variant());
    ensure!(gdscript_awaits(&node, &probe, "nothing").await?.is_nil());

    // The same without `gdscript::call`: GDScript records what its await yielded.
    node.call("await_and_record", vslice![probe, "answer"]);
    wait_until(10, "GDScript's await resumed", || !node.get("received").to::<VarArray>().is_empty()).await?;
    ensure_eq!(node.get("received").to::<VarArray>().at(0), 42.to_variant());
    node.queue_free();
    Ok(())
}

async fn gdscript_await_resumes_with_null_and_an_error_when_the_rust_task_panics() -> Result<(), String> {
    let node = script_node();
    let log = ErrorLog::start();
    let probe = BridgeProbe::new_gd();
    ensure!(gdscript_awaits(&node, &probe, "explode").await?.is_nil());
    log.expect_error(&["task 'explode'", "itest-bridge-explosion"])?;
    node.free();
    Ok(())
}

async fn gdscript_cancels_a_running_rust_task() -> Result<(), String> {
    let node = script_node();
    let log = ErrorLog::start();
    let probe = BridgeProbe::new_gd();
    let outcome: VarArray =
        call_script(&node, "cancel_then_await", vec![probe.to_variant(), "slow".to_variant()]).await?;
    // [value, running before cancel(), is_done(), is_cancelled(), get_error()]
    ensure_eq!(outcome.at(0), Variant::nil());
    ensure_eq!(outcome.at(1), true.to_variant());
    ensure_eq!(outcome.at(2), true.to_variant());
    ensure_eq!(outcome.at(3), true.to_variant());
    ensure_eq!(outcome.at(4), "cancelled by cancel()".to_variant());
    ensure!(log.errors().is_empty(), "a cancellation GDScript asked for is not an error: {:?}", log.errors());
    node.free();
    Ok(())
}

async fn rust_cancellation_resumes_gdscript_with_null_and_an_error() -> Result<(), String> {
    let node = script_node();
    let log = ErrorLog::start();
    let probe = BridgeProbe::new_gd();
    let owner = Node::new_alloc();
    let args = vec![probe.to_variant(), "bound_to".to_variant(), array_of(owner.to_variant())];
    let awaited = spawn_call::<Variant>(&node, "await_rust", args);
    frames(2).await;
    ensure!(!awaited.is_finished());
    owner.free();
    let value = call_ended(awaited).await?.map_err(|e| e.to_string())?;
    ensure!(value.is_nil());
    log.expect_error(&["task 'bound'", "cancelled"])?;
    node.free();
    Ok(())
}

async fn gdscript_awaits_wait_after_the_task_is_done() -> Result<(), String> {
    let node = script_node();
    let probe = BridgeProbe::new_gd();
    let args = vec![probe.to_variant(), "in_three_frames".to_variant(), 6.to_variant()];
    let outcome: VarArray = call_script(&node, "wait_later", args).await?;
    // [value, done before wait(), get_result(), get_task_name()]
    ensure_eq!(outcome.at(0), 3.to_variant());
    ensure_eq!(outcome.at(1), true.to_variant());
    ensure_eq!(outcome.at(2), 3.to_variant());
    ensure_eq!(outcome.at(3), "in_three_frames".to_variant());
    node.free();
    Ok(())
}

async fn rust_awaits_a_coroutine_that_awaits_two_frames() -> Result<(), String> {
    let node = script_node();
    let started = frame();
    let call_node = node.clone();
    let (value, resumed) = run_task(async move {
        let value = gdscript::call::<i64>(&call_node, "two_frames_then", vslice![21]).await;
        (value, frame())
    })
    .await?;
    ensure_eq!(value, Ok(42));
    ensure!(resumed >= started + 2, "resumed after {} frames", resumed - started);
    node.free();
    Ok(())
}

async fn rust_awaits_a_method_that_returns_at_once() -> Result<(), String> {
    let node = script_node();
    let call_node = node.clone();
    let (value, polls) = run_task(async move {
        let mut call = std::pin::pin!(gdscript::call::<i64>(&call_node, "immediate", vslice![1]));
        let mut polls = 0;
        let value = std::future::poll_fn(|cx| {
            polls += 1;
            call.as_mut().poll(cx)
        })
        .await;
        (value, polls)
    })
    .await?;
    ensure_eq!(value, Ok(2));
    ensure_eq!(polls, 1); // ready at the first poll
    node.free();
    Ok(())
}

async fn wrong_result_type_missing_method_and_refused_call_are_clear_errors() -> Result<(), String> {
    let node = script_node();
    let call_node = node.clone();
    let (wrong, missing, refused) = run_task(async move {
        (
            gdscript::call::<i64>(&call_node, "returns_text", &[]).await,
            gdscript::call::<i64>(&call_node, "no_such_method", &[]).await,
            gdscript::call::<i64>(&call_node, "immediate", vslice!["one", "too many"]).await,
        )
    })
    .await?;

    let wrong = wrong.err().ok_or("a String converted to i64")?;
    ensure!(matches!(wrong.kind(), CallErrorKind::WrongType { returned: VariantType::STRING, .. }));
    let text = wrong.to_string();
    ensure!(text.contains("'returns_text'") && text.contains("not a number") && text.contains("i64"), "{text}");
    ensure!(text.contains("gdscript_bridge.rs"), "the message names the call site: {text}");

    let missing = missing.err().ok_or("a missing method returned")?;
    ensure_eq!(missing.kind(), &CallErrorKind::MissingMethod);
    ensure!(missing.to_string().contains("no method 'no_such_method'"), "{missing}");

    let refused = refused.err().ok_or("a call with wrong arguments returned")?;
    ensure!(matches!(refused.kind(), CallErrorKind::CallFailed(_)), "{refused}");
    node.free();
    Ok(())
}

async fn coroutine_whose_object_is_freed_gives_object_freed() -> Result<(), String> {
    let node = script_node();
    let call = spawn_call::<i64>(&node, "two_frames_then", vec![1.to_variant()]);
    next_frame().await;
    node.free();
    let error = call_ended(call).await?.err().ok_or("a freed coroutine returned a value")?;
    ensure_eq!(error.kind(), &CallErrorKind::ObjectFreed);
    ensure!(error.is_cancelled(), "freed while its coroutine waited: {error}");
    ensure!(error.to_string().contains("'two_frames_then'"), "{error}");
    Ok(())
}

async fn rust_awaits_a_gdscript_signal_handed_to_it() -> Result<(), String> {
    let mut node = script_node();
    let signal: Signal = node.call("hand_signal", &[]).to();
    let heard = godot_tasks::spawn(async move { signal.next_emission::<(i64,)>().await.0 });
    next_frame().await;
    node.call("fire", vslice![7]);
    ensure_eq!(run_task(heard).await?.map_err(|e| e.to_string())?, 7);
    node.free();
    Ok(())
}

async fn three_levels_of_nesting() -> Result<(), String> {
    // GDScript awaits Rust `level1`, which awaits GDScript `level2`, which awaits Rust `level3` (40).
    let node = script_node();
    let probe = BridgeProbe::new_gd();
    let args = vec![probe.to_variant(), "level1".to_variant(), array_of(node.to_variant())];
    ensure_eq!(call_script::<i64>(&node, "await_rust", args).await?, 42);
    node.free();
    Ok(())
}

async fn awaiting_gdscript_object_freed_while_the_rust_task_runs() -> Result<(), String> {
    let log = ErrorLog::start();
    let mut node = script_node();
    let (pending, mut task) = start_awaitable("in_three_frames")?;
    node.call("await_signal", &[pending.to_variant()]);
    next_frame().await;
    node.free(); // GDScript's coroutine goes with it
    wait_until(10, "the Rust task ended", || task.call("is_done", &[]).to::<bool>()).await?;
    next_frame().await;
    ensure_eq!(task.call("get_result", &[]), 3.to_variant());
    ensure!(log.errors().is_empty(), "errors: {:?}", log.errors());
    Ok(())
}

async fn call_awaits_a_returned_signal_like_gdscript_await() -> Result<(), String> {
    // A Rust awaitable called from Rust, and a GDScript method returning a signal.
    let probe = BridgeProbe::new_gd();
    let mut node = script_node();
    let call_node = node.clone();
    let (answer, fired) = run_task(async move {
        let answer = gdscript::call::<i64>(&probe, "answer", &[]).await;
        let fired = gdscript::call::<i64>(&call_node, "hand_signal", &[]);
        (answer, fired)
    })
    .await?;
    ensure_eq!(answer, Ok(42));
    let fired = godot_tasks::spawn(fired);
    next_frame().await;
    node.call("fire", vslice![9]);
    ensure_eq!(run_task(fired).await?.map_err(|e| e.to_string())?, Ok(9));
    node.free();
    Ok(())
}

async fn call_on_a_freed_object_gives_object_freed() -> Result<(), String> {
    let node = script_node();
    let call_node = node.clone();
    node.free();
    let error = run_task(async move { gdscript::call::<i64>(&call_node, "immediate", vslice![1]).await })
        .await?
        .err()
        .ok_or("a freed object answered")?;
    ensure_eq!(error.kind(), &CallErrorKind::ObjectFreed);
    ensure!(error.to_string().contains("a freed object"), "{error}");
    Ok(())
}

async fn runtime_shutdown_resumes_gdscript_with_null() -> Result<(), String> {
    let log = ErrorLog::start();
    let mut node = script_node();
    let mut tasks = Vec::new();
    for _ in 0..3 {
        let (pending, task) = start_awaitable("slow")?;
        tasks.push(task);
        node.call("await_signal", &[pending.to_variant()]);
    }
    next_frame().await;
    godot_tasks::runtime::shutdown();
    wait_until(10, "GDScript's awaits resumed", || node.get("received").to::<VarArray>().len() == 3).await?;
    ensure!(node.get("received").to::<VarArray>().iter_shared().all(|value| value.is_nil()));
    for task in &mut tasks {
        ensure_eq!(task.call("get_error", &[]), "cancelled: the runtime shut down".to_variant());
    }
    ensure!(log.errors().is_empty(), "a shutdown is not an error: {:?}", log.errors());
    node.free();
    Ok(())
}

async fn coroutine_whose_awaited_object_is_freed_is_abandoned() -> Result<(), String> {
    let node = script_node();
    let emitter = EmitterNode::new_alloc();
    let call = spawn_call::<i64>(&node, "await_hit", vec![emitter.to_variant()]);
    next_frame().await;
    emitter.free(); // GDScript drops the coroutine, which can never return now
    let error = call_ended(call).await?.err().ok_or("an abandoned coroutine returned")?;
    ensure_eq!(error.kind(), &CallErrorKind::Abandoned);
    ensure!(error.is_cancelled(), "{error}");
    ensure!(error.to_string().contains("can no longer return"), "{error}");
    node.free();
    Ok(())
}

/// The second extension of the test project links its own godot-tasks: it loads (no class name collides),
/// and GDScript awaits and cancels tasks of both extensions in the same frames.
async fn two_extensions_with_godot_tasks_run_side_by_side() -> Result<(), String> {
    let log = ErrorLog::start();
    ensure!(godot::classes::ClassDb::singleton().class_exists("SecondProbe"), "the second extension did not load");
    let node = script_node();
    let second = godot::classes::ClassDb::singleton().instantiate("SecondProbe");
    let ours = BridgeProbe::new_gd();
    let theirs = spawn_call::<i64>(
        &node,
        "await_rust",
        vec![second.clone(), "doubled_later".to_variant(), {
            let mut args = VarArray::new();
            args.push(&21.to_variant());
            args.to_variant()
        }],
    );
    let mine = spawn_call::<i64>(&node, "await_rust", vec![ours.to_variant(), "answer".to_variant()]);
    let mut second: Gd<Object> = second.to();
    ensure_eq!(call_ended(theirs).await?.map_err(|e| e.to_string())?, 42);
    ensure_eq!(call_ended(mine).await?.map_err(|e| e.to_string())?, 42);
    // Each library has its own runtime: a task pending in ours is not in theirs.
    let pending = godot_tasks::spawn(std::future::pending::<()>());
    ensure!(godot_tasks::runtime::task_count() >= 1);
    ensure_eq!(second.call("task_count", &[]), 0.to_variant());
    pending.cancel();
    // GDScript cancels a task of the second extension through the same task-object interface.
    let outcome: VarArray =
        call_script(&node, "cancel_then_await", vec![second.to_variant(), "slow".to_variant()]).await?;
    // [value, running before cancel(), is_done(), is_cancelled(), get_error()]
    ensure!(outcome.at(0).is_nil());
    ensure_eq!(outcome.at(2), true.to_variant());
    ensure_eq!(outcome.at(3), true.to_variant());
    ensure!(log.errors().is_empty(), "errors: {:?}", log.errors());
    node.free();
    Ok(())
}
