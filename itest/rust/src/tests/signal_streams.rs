//! Streams of emissions: order, end on free, error items, disconnection.

use std::cell::RefCell;
use std::rc::Rc;

use futures_util::StreamExt;
use godot::prelude::*;
use godot_tasks::signal::{SignalErrorKind, SignalExt, TypedSignalExt};

use crate::emitter::{Emitter, connection_count};
use crate::harness::{next_frame, run_task, wait_until};
use crate::{ensure, ensure_eq, tests};

tests![
    stream_keeps_the_order_of_1000_emissions_in_one_frame,
    stream_ends_when_the_emitter_is_freed_after_its_queue,
    try_stream_yields_error_items_and_goes_on,
    stream_of_a_freed_emitter_is_empty,
    stream_works_with_futures_stream_combinators,
];

async fn stream_keeps_the_order_of_1000_emissions_in_one_frame() -> Result<(), String> {
    let emitter = Emitter::new_gd();
    let mut counts = emitter.signals().count().emissions();
    let received = Rc::new(RefCell::new(Vec::new()));
    let out = received.clone();
    let reader = godot_tasks::spawn(async move {
        while let Some((n,)) = counts.next().await {
            out.borrow_mut().push(n);
            if n == 999 {
                break;
            }
        }
    });
    next_frame().await;
    for n in 0..1000 {
        emitter.signals().count().emit(n);
    }
    reader.await.map_err(|e| e.to_string())?;
    let received = received.borrow();
    ensure_eq!(received.len(), 1000);
    ensure!(received.iter().copied().eq(0..1000), "out of order: {:?}", &received[..20]);
    Ok(())
}

async fn stream_ends_when_the_emitter_is_freed_after_its_queue() -> Result<(), String> {
    let emitter = Emitter::new_gd();
    let counts = emitter.signals().count().emissions();
    let reader = godot_tasks::spawn(counts.map(|(n,)| n).collect::<Vec<_>>());
    next_frame().await;
    for n in 0..3 {
        emitter.signals().count().emit(n);
    }
    drop(emitter); // freed with three emissions still queued
    let received = reader.await.map_err(|e| e.to_string())?;
    ensure_eq!(received, vec![0, 1, 2]);
    Ok(())
}

async fn try_stream_yields_error_items_and_goes_on() -> Result<(), String> {
    let emitter = Emitter::new_gd();
    let mut items = Signal::from_object_signal(&emitter, "count").try_emissions::<(i64,)>();
    let mut object = emitter.clone().upcast::<Object>();
    object.emit_signal("count", &[1.to_variant()]);
    object.emit_signal("count", &["not a number".to_variant()]);
    object.emit_signal("count", &[3.to_variant()]);
    let received = run_task(async move {
        let mut received = Vec::new();
        for _ in 0..3 {
            received.push(items.next().await.expect("the emitter is alive"));
        }
        received
    })
    .await?;
    ensure_eq!(received[0].as_ref().ok(), Some(&(1,)));
    let error = received[1].as_ref().err().ok_or("a string converted to i64")?;
    ensure!(matches!(error.kind(), SignalErrorKind::TypeMismatch { index: 0, .. }), "{error}");
    ensure_eq!(received[2].as_ref().ok(), Some(&(3,)));
    drop(emitter);
    Ok(())
}

async fn stream_of_a_freed_emitter_is_empty() -> Result<(), String> {
    let emitter = Emitter::new_gd();
    let signal = emitter.signals().count().to_untyped();
    drop(emitter);
    let items = run_task(signal.emissions::<(i64,)>().collect::<Vec<_>>()).await?;
    ensure!(items.is_empty());
    Ok(())
}

async fn stream_works_with_futures_stream_combinators() -> Result<(), String> {
    let emitter = Emitter::new_gd();
    let before = connection_count(&emitter, "count");
    let evens = emitter.signals().count().emissions().map(|(n,)| n).filter(|n| std::future::ready(n % 2 == 0)).take(3);
    let reader = godot_tasks::spawn(evens.collect::<Vec<_>>());
    next_frame().await;
    for n in 0..10 {
        emitter.signals().count().emit(n);
    }
    ensure_eq!(reader.await.map_err(|e| e.to_string())?, vec![0, 2, 4]);
    // The stream was dropped with its task: its connection goes at the end of the frame.
    wait_until(2, "the stream's connection is gone", || connection_count(&emitter, "count") == before).await
}
