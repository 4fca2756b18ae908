//! Awaiting one emission: argument types, timing, freed emitters, mismatches, engine signals.

use std::cell::Cell;
use std::rc::Rc;

use godot::classes::{Node, Timer};
use godot::prelude::*;
use godot_tasks::signal::{SignalErrorKind, SignalExt, TypedSignalExt};

use crate::emitter::{Emitter, EmitterNode, Mood};
use crate::harness::{frame, next_frame, run_task, tree, wait_until};
use crate::{ensure, ensure_eq, tests};

tests![
    untyped_signal_delivers_u8_and_refcounted,
    untyped_signal_delivers_typed_array,
    typed_signal_delivers_array_argument,
    typed_user_signal_delivers_enum_option_and_typed_dictionary,
    task_resumes_after_emit_returns_in_the_same_frame,
    emission_before_first_poll_is_kept,
    first_emission_after_creation_wins,
    freed_emitter_gives_an_error_naming_object_and_signal,
    freed_emitter_panics_the_plain_future_with_a_clear_message,
    freed_node_is_named_in_the_error,
    wrong_arity_is_reported_as_such,
    wrong_argument_type_is_reported_as_such,
    missing_signal_is_reported,
    timer_timeout_resumes_the_task,
    scene_tree_timer_timeout_resumes_the_task,
    tween_finished_resumes_the_task,
];

fn emit(object: &Gd<impl Inherits<Object>>, signal: &str, args: &[Variant]) {
    object.clone().upcast::<Object>().emit_signal(signal, args);
}

async fn untyped_signal_delivers_u8_and_refcounted() -> Result<(), String> {
    let emitter = Emitter::new_gd();
    let payload = RefCounted::new_gd();
    let task = godot_tasks::spawn(Signal::from_object_signal(&emitter, "pair").next_emission::<(u8, Gd<RefCounted>)>());
    next_frame().await;
    emit(&emitter, "pair", &[7.to_variant(), payload.to_variant()]);
    let (small, object) = task.await.map_err(|e| e.to_string())?;
    ensure_eq!(small, 7);
    ensure_eq!(object, payload);
    Ok(())
}

async fn untyped_signal_delivers_typed_array() -> Result<(), String> {
    let emitter = Emitter::new_gd();
    let task = godot_tasks::spawn(Signal::from_object_signal(&emitter, "numbers").next_emission::<(Array<i64>,)>());
    next_frame().await;
    let values: Array<i64> = array![1, 2, 3];
    emit(&emitter, "numbers", &[values.to_variant()]);
    let (values,) = task.await.map_err(|e| e.to_string())?;
    ensure_eq!(values, array![1, 2, 3]);
    Ok(())
}

async fn typed_signal_delivers_array_argument() -> Result<(), String> {
    let emitter = Emitter::new_gd();
    let task = godot_tasks::spawn(emitter.signals().numbers().next_emission());
    next_frame().await;
    emitter.signals().numbers().emit(&array![4, 5]);
    let (values,) = task.await.map_err(|e| e.to_string())?;
    ensure_eq!(values, array![4, 5]);
    Ok(())
}

async fn typed_user_signal_delivers_enum_option_and_typed_dictionary() -> Result<(), String> {
    let emitter = Emitter::new_gd();
    let task = godot_tasks::spawn(emitter.signals().mixed().next_emission());
    next_frame().await;
    let mut scores: Dictionary<GString, i64> = Dictionary::new();
    scores.set("ada", 3);
    emitter.signals().mixed().emit(Mood::Angry, None::<&Gd<Node>>, &scores);
    let (mood, maybe, received) = task.await.map_err(|e| e.to_string())?;
    ensure_eq!(mood, Mood::Angry);
    ensure!(maybe.is_none());
    ensure_eq!(received.get("ada"), Some(3));
    Ok(())
}

async fn task_resumes_after_emit_returns_in_the_same_frame() -> Result<(), String> {
    let emitter = Emitter::new_gd();
    let resumed_in = Rc::new(Cell::new(None));
    let seen = resumed_in.clone();
    let ping = emitter.signals().ping().next_emission();
    godot_tasks::spawn(async move {
        ping.await;
        seen.set(Some(frame()));
    })
    .detach();
    next_frame().await;
    let emitted_in = frame();
    emitter.signals().ping().emit();
    ensure!(resumed_in.get().is_none(), "the task resumed inside emit()");
    next_frame().await;
    ensure_eq!(resumed_in.get(), Some(emitted_in));
    Ok(())
}

async fn emission_before_first_poll_is_kept() -> Result<(), String> {
    let emitter = Emitter::new_gd();
    let next = emitter.signals().count().next_emission();
    emitter.signals().count().emit(11);
    let (n,) = run_task(next).await?;
    ensure_eq!(n, 11);
    Ok(())
}

async fn first_emission_after_creation_wins() -> Result<(), String> {
    let emitter = Emitter::new_gd();
    emitter.signals().count().emit(1); // before: not seen
    let next = emitter.signals().count().next_emission();
    emitter.signals().count().emit(2);
    emitter.signals().count().emit(3);
    let (n,) = run_task(next).await?;
    ensure_eq!(n, 2);
    Ok(())
}

async fn freed_emitter_gives_an_error_naming_object_and_signal() -> Result<(), String> {
    let emitter = Emitter::new_gd();
    let id = emitter.instance_id();
    let task = godot_tasks::spawn(emitter.signals().count().try_next_emission());
    next_frame().await;
    drop(emitter); // the last reference: the object is freed
    ensure!(!id.lookup_validity());
    let error = task.await.map_err(|e| e.to_string())?.err().ok_or("resolved although the emitter is gone")?;
    ensure_eq!(error.kind(), &SignalErrorKind::EmitterFreed);
    ensure_eq!(error.signal(), "count");
    ensure_eq!(error.emitter(), format!("Emitter (instance {id})"));
    ensure!(error.to_string().contains("was freed"), "message: {error}");
    Ok(())
}

async fn freed_emitter_panics_the_plain_future_with_a_clear_message() -> Result<(), String> {
    let emitter = Emitter::new_gd();
    let task = godot_tasks::spawn(emitter.signals().count().next_emission());
    next_frame().await;
    drop(emitter);
    let error = task.await.err().ok_or("resolved although the emitter is gone")?;
    ensure!(error.is_panic(), "{error}");
    let message = error.to_string();
    ensure!(message.contains("the emitter of signal 'count', Emitter (instance"), "message: {message}");
    ensure!(message.contains("try_next_emission"), "message does not name the alternative: {message}");
    ensure!(message.contains("signals.rs:"), "message does not name where the future was made: {message}");
    Ok(())
}

async fn freed_node_is_named_in_the_error() -> Result<(), String> {
    let mut node = EmitterNode::new_alloc();
    node.set_name("Target");
    let task = godot_tasks::spawn(node.signals().hit().try_next_emission());
    next_frame().await;
    node.free();
    let error = task.await.map_err(|e| e.to_string())?.err().ok_or("resolved although the node is gone")?;
    ensure!(error.emitter().starts_with("EmitterNode 'Target' (instance "), "emitter: {}", error.emitter());
    ensure_eq!(error.signal(), "hit");
    Ok(())
}

async fn wrong_arity_is_reported_as_such() -> Result<(), String> {
    let emitter = Emitter::new_gd();
    let next = Signal::from_object_signal(&emitter, "pair").try_next_emission::<(i64,)>();
    emit(&emitter, "pair", &[1.to_variant(), RefCounted::new_gd().to_variant()]);
    let error = run_task(next).await?.err().ok_or("a one-element tuple accepted two arguments")?;
    ensure!(
        matches!(error.kind(), SignalErrorKind::ArityMismatch { expected: 1, emitted } if emitted.len() == 2),
        "kind: {:?}",
        error.kind()
    );
    ensure!(error.to_string().contains("emitted with 2 argument(s)"), "message: {error}");
    ensure!(!error.to_string().contains("freed"), "message: {error}");
    Ok(())
}

async fn wrong_argument_type_is_reported_as_such() -> Result<(), String> {
    let emitter = Emitter::new_gd();
    let next = Signal::from_object_signal(&emitter, "count").try_next_emission::<(Gd<Node>,)>();
    emit(&emitter, "count", &[5.to_variant()]);
    let error = run_task(next).await?.err().ok_or("an int converted to a node")?;
    ensure!(
        matches!(error.kind(), SignalErrorKind::TypeMismatch { index: 0, emitted, .. } if *emitted == VariantType::INT),
        "kind: {:?}",
        error.kind()
    );
    ensure!(error.to_string().contains("argument 0 of signal 'count'"), "message: {error}");
    Ok(())
}

async fn missing_signal_is_reported() -> Result<(), String> {
    let emitter = Emitter::new_gd();
    let next = Signal::from_object_signal(&emitter, "no_such_signal").try_next_emission::<()>();
    let error = run_task(next).await?.err().ok_or("awaited a signal that does not exist")?;
    ensure_eq!(error.kind(), &SignalErrorKind::NoSuchSignal);
    ensure!(error.to_string().contains("has no signal named 'no_such_signal'"), "message: {error}");
    Ok(())
}

async fn timer_timeout_resumes_the_task() -> Result<(), String> {
    let mut timer = Timer::new_alloc();
    timer.set_wait_time(0.01);
    timer.set_one_shot(true);
    tree().get_root().ok_or("no root")?.add_child(&timer);
    let timeout = timer.signals().timeout().next_emission();
    timer.start();
    let result = run_task(timeout).await;
    timer.queue_free();
    result
}

async fn scene_tree_timer_timeout_resumes_the_task() -> Result<(), String> {
    let timer = tree().create_timer(0.01);
    run_task(timer.signals().timeout().next_emission()).await
}

async fn tween_finished_resumes_the_task() -> Result<(), String> {
    let mut tween = tree().create_tween();
    tween.tween_interval(0.01);
    let finished = tween.signals().finished().next_emission();
    let started = frame();
    run_task(finished).await?;
    wait_until(1, "the tween ran for at least one frame", || frame() > started).await
}
