//! Signals emitted on other threads: plain values cross, objects do not, the task stays on the main thread.

use futures_util::StreamExt;
use godot::classes::Script;
use godot::prelude::*;
use godot_tasks::signal::{SignalErrorKind, SignalExt, TypedSignalExt};

use crate::emitter::Emitter;
use crate::harness::run_task;
use crate::{ensure, ensure_eq, tests};

tests![
    i64_emitted_on_another_thread_resumes_the_task_on_the_main_thread,
    vector_emitted_on_another_thread_arrives,
    every_kind_of_plain_value_crosses_threads,
    the_other_plain_types_cross_threads_bit_for_bit,
    object_emitted_on_another_thread_is_an_error_not_a_crash,
    emission_on_another_thread_reaches_a_stream_before_the_emitter_is_freed,
    emission_on_another_thread_reaches_a_future_before_the_emitter_is_freed,
    future_made_after_an_emission_on_another_thread_does_not_get_it,
];

/// The GDScript helper that emits signals on a new thread and waits for it.
fn thread_emitter() -> Gd<RefCounted> {
    let mut helper = RefCounted::new_gd();
    helper.set_script(&load::<Script>("res://thread_emitter.gd"));
    helper
}

/// Emits `signal` of `target` with `args` on another thread, and waits until that thread is done.
fn emit_on_thread(target: &Gd<Emitter>, signal: &str, args: VarArray) {
    thread_emitter().call("emit_on_thread", &[target.to_variant(), signal.to_variant(), args.to_variant()]);
}

async fn i64_emitted_on_another_thread_resumes_the_task_on_the_main_thread() -> Result<(), String> {
    let emitter = Emitter::new_gd();
    let next = emitter.signals().count().next_emission();
    emit_on_thread(&emitter, "count", varray![41]);
    let (n, on_main) = run_task(async move { (next.await.0, godot::init::is_main_thread()) }).await?;
    ensure_eq!(n, 41);
    ensure!(on_main);
    Ok(())
}

async fn vector_emitted_on_another_thread_arrives() -> Result<(), String> {
    let emitter = Emitter::new_gd();
    let next = emitter.signals().position().next_emission();
    emit_on_thread(&emitter, "position", varray![Vector2::new(1.5, -2.0)]);
    let (at,) = run_task(next).await?;
    ensure_eq!(at, Vector2::new(1.5, -2.0));
    Ok(())
}

async fn every_kind_of_plain_value_crosses_threads() -> Result<(), String> {
    let emitter = Emitter::new_gd();
    let next = emitter.signals().plain().next_emission();
    let transform = Transform3D::new(Basis::from_euler(EulerOrder::XYZ, Vector3::new(0.1, 0.2, 0.3)), Vector3::ONE);
    let bounds = Aabb::new(Vector3::new(1.0, 2.0, 3.0), Vector3::new(4.0, 5.0, 6.0));
    let tint = Color::from_rgba(0.1, 0.2, 0.3, 0.4);
    emit_on_thread(&emitter, "plain", varray![true, 0.25, tint, transform, bounds, &Variant::nil()]);
    let (flag, ratio, got_tint, got_transform, got_bounds, nothing) = run_task(next).await?;
    ensure!(flag);
    ensure_eq!(ratio, 0.25);
    ensure_eq!(got_tint, tint);
    ensure_eq!(got_transform, transform);
    ensure_eq!(got_bounds, bounds);
    ensure!(nothing.is_nil());
    Ok(())
}

/// Every plain type that `every_kind_of_plain_value_crosses_threads` does not send, through two user signals
/// (the copies are made with the engine's converters into our types: a layout mismatch would garble them).
async fn the_other_plain_types_cross_threads_bit_for_bit() -> Result<(), String> {
    let mut emitter = Emitter::new_gd();
    emitter.add_user_signal("plain_a");
    emitter.add_user_signal("plain_b");
    let first = Signal::from_object_signal(&emitter, "plain_a")
        .next_emission::<(Rid, Projection, Basis, Plane, Quaternion, Transform2D)>();
    let second = Signal::from_object_signal(&emitter, "plain_b")
        .next_emission::<(Rect2, Rect2i, Vector2i, Vector3i, Vector4, Vector4i)>();
    let rid = Rid::new(0x1234_5678_9abc);
    let projection = Projection::create_perspective(70.0, 1.5, 0.1, 100.0, false);
    let basis = Basis::from_euler(EulerOrder::XYZ, Vector3::new(0.3, 0.2, 0.1));
    let plane = Plane::new(Vector3::UP, 2.5);
    let rotation = Quaternion::from_euler(Vector3::new(0.1, 0.2, 0.3));
    let transform = Transform2D::from_angle_origin(0.5, Vector2::new(3.0, 4.0));
    emit_on_thread(&emitter, "plain_a", varray![rid, projection, basis, plane, rotation, transform]);
    let rect = Rect2::new(Vector2::new(1.0, 2.0), Vector2::new(3.0, 4.0));
    let rect_i = Rect2i::new(Vector2i::new(-1, 2), Vector2i::new(30, 40));
    let (v2i, v3i) = (Vector2i::new(-7, 8), Vector3i::new(9, -10, 11));
    let (v4, v4i) = (Vector4::new(0.5, -1.5, 2.5, -3.5), Vector4i::new(12, -13, 14, -15));
    emit_on_thread(&emitter, "plain_b", varray![rect, rect_i, v2i, v3i, v4, v4i]);
    let got_first = run_task(first).await?;
    ensure_eq!(got_first, (rid, projection, basis, plane, rotation, transform));
    let got_second = run_task(second).await?;
    ensure_eq!(got_second, (rect, rect_i, v2i, v3i, v4, v4i));
    Ok(())
}

async fn object_emitted_on_another_thread_is_an_error_not_a_crash() -> Result<(), String> {
    let emitter = Emitter::new_gd();
    let next = emitter.signals().pair().try_next_emission();
    thread_emitter().call("emit_object_on_thread", &[emitter.to_variant(), "pair".to_variant()]);
    let error = run_task(next).await?.err().ok_or("an object crossed threads")?;
    ensure!(
        matches!(error.kind(), SignalErrorKind::NotThreadSafe { index: 1, emitted } if *emitted == VariantType::OBJECT),
        "kind: {:?}",
        error.kind()
    );
    ensure!(error.to_string().contains("other than Godot's main thread"), "message: {error}");
    // The signal still works from the main thread afterwards.
    let next = emitter.signals().pair().next_emission();
    emitter.signals().pair().emit(2, &RefCounted::new_gd());
    ensure_eq!(run_task(next).await?.0, 2);
    Ok(())
}

async fn emission_on_another_thread_reaches_a_stream_before_the_emitter_is_freed() -> Result<(), String> {
    let emitter = Emitter::new_gd();
    let reader = godot_tasks::spawn(emitter.signals().count().emissions().map(|(n,)| n).collect::<Vec<_>>());
    emit_on_thread(&emitter, "count", varray![7]);
    drop(emitter); // freed on the main thread while the emission from the other thread is still queued
    ensure_eq!(reader.await.map_err(|e| e.to_string())?, vec![7]);
    Ok(())
}

async fn emission_on_another_thread_reaches_a_future_before_the_emitter_is_freed() -> Result<(), String> {
    let emitter = Emitter::new_gd();
    let next = emitter.signals().count().try_next_emission();
    emit_on_thread(&emitter, "count", varray![7]);
    drop(emitter);
    let result = run_task(next).await?.map_err(|e| e.to_string());
    ensure_eq!(result, Ok((7,)));
    Ok(())
}

async fn future_made_after_an_emission_on_another_thread_does_not_get_it() -> Result<(), String> {
    let emitter = Emitter::new_gd();
    let _keeps_the_connection = emitter.signals().count().emissions();
    emit_on_thread(&emitter, "count", varray![1]);
    let next = emitter.signals().count().next_emission();
    emitter.signals().count().emit(2);
    ensure_eq!(run_task(next).await?.0, 2);
    Ok(())
}
