//! Engine connections: one per signal however many wait, none left behind.

use std::cell::Cell;
use std::rc::Rc;

use godot::prelude::*;
use godot_tasks::signal::TypedSignalExt;

use crate::emitter::{Emitter, connection_count};
use crate::harness::{next_frame, wait_until};
use crate::{ensure, ensure_eq, tests};

tests![
    ten_thousand_waiters_share_one_connection,
    connections_return_to_start_after_churn,
    idle_connection_is_released_by_the_next_frame_hook,
    connection_is_one_valid_callable_of_this_library,
    a_future_made_after_our_connection_was_disconnected_by_hand_is_connected,
    a_future_made_after_a_joined_connection_was_disconnected_by_hand_is_connected,
    futures_made_alternately_on_two_signals_and_two_emitters_each_get_their_own,
];

async fn ten_thousand_waiters_share_one_connection() -> Result<(), String> {
    const WAITERS: usize = 10_000;
    let emitter = Emitter::new_gd();
    let before = connection_count(&emitter, "count");
    let resumed = Rc::new(Cell::new(0));
    for _ in 0..WAITERS {
        let next = emitter.signals().count().next_emission();
        let resumed = resumed.clone();
        godot_tasks::spawn(async move {
            let (n,) = next.await;
            resumed.set(resumed.get() + n as usize);
        })
        .detach();
    }
    ensure_eq!(connection_count(&emitter, "count"), before + 1);
    next_frame().await;
    emitter.signals().count().emit(1);
    next_frame().await;
    ensure_eq!(resumed.get(), WAITERS);
    Ok(())
}

async fn connections_return_to_start_after_churn() -> Result<(), String> {
    const ROUNDS: i64 = 10_000;
    let emitter = Emitter::new_gd();
    let before = connection_count(&emitter, "count");
    // 10,000 futures awaited one after another, by one task.
    let looping = emitter.clone();
    let sum = godot_tasks::spawn(async move {
        let mut sum = 0;
        for n in 0..ROUNDS {
            let next = looping.signals().count().next_emission();
            looping.signals().count().emit(n);
            sum += next.await.0;
        }
        sum
    });
    ensure_eq!(sum.await.map_err(|e| e.to_string())?, (0..ROUNDS).sum::<i64>());
    // 10,000 futures dropped without being awaited.
    for _ in 0..ROUNDS {
        drop(emitter.signals().count().next_emission());
    }
    wait_until(2, "all connections are gone", || connection_count(&emitter, "count") == before).await?;
    ensure_eq!(connection_count(&emitter, "count"), before);
    Ok(())
}

async fn idle_connection_is_released_by_the_next_frame_hook() -> Result<(), String> {
    let emitter = Emitter::new_gd();
    let before = connection_count(&emitter, "ping");
    let ping = emitter.signals().ping().next_emission();
    ensure_eq!(connection_count(&emitter, "ping"), before + 1);
    drop(ping);
    // Kept until the frame hook, so that awaiting the same signal again costs no reconnection.
    ensure_eq!(connection_count(&emitter, "ping"), before + 1);
    next_frame().await;
    next_frame().await;
    ensure!(connection_count(&emitter, "ping") == before, "the idle connection outlived the frame");
    Ok(())
}

async fn connection_is_one_valid_callable_of_this_library() -> Result<(), String> {
    // One connection, a valid callable that the engine attributes to this library. (Before an unload the
    // runtime disconnects it itself: see the editor hot-reload test in `cargo xtask test`.)
    let emitter = Emitter::new_gd();
    let _ping = emitter.signals().ping().next_emission();
    let connections = emitter.clone().upcast::<Object>().get_signal_connection_list("ping");
    ensure_eq!(connections.len(), 1);
    let callable = connections.at(0).get("callable").ok_or("no callable")?.to::<Callable>();
    ensure!(callable.is_rust_callable());
    ensure!(callable.is_valid());
    Ok(())
}

/// The "save the connections, disconnect, reconnect later" idiom: someone else disconnects our connection
/// (keeping a copy of its callable). A future made afterwards still gets the next emission, and reconnecting
/// the saved copy later breaks nothing.
async fn a_future_made_after_our_connection_was_disconnected_by_hand_is_connected() -> Result<(), String> {
    let mut emitter = Emitter::new_gd();
    let first = godot_tasks::spawn(emitter.signals().count().try_next_emission());
    let saved: Vec<Callable> = emitter
        .get_signal_connection_list("count")
        .iter_shared()
        .map(|connection| connection.get("callable").expect("a callable").to::<Callable>())
        .collect();
    ensure_eq!(saved.len(), 1);
    for callable in &saved {
        emitter.disconnect("count", callable);
    }
    let second = godot_tasks::spawn(emitter.signals().count().try_next_emission());
    next_frame().await;
    emitter.signals().count().emit(7);
    wait_until(3, "the future made after the disconnection resumed", || second.is_finished()).await?;
    ensure_eq!(second.await.map_err(|e| e.to_string())?.map_err(|e| e.to_string())?, (7,));
    ensure!(!first.is_finished(), "the disconnected connection still delivered");
    // Reconnecting the saved copy is harmless: the future that waited on it gets the next emission.
    for callable in &saved {
        emitter.connect("count", callable);
    }
    emitter.signals().count().emit(8);
    wait_until(3, "the first future resumed after the reconnection", || first.is_finished()).await?;
    ensure_eq!(first.await.map_err(|e| e.to_string())?.map_err(|e| e.to_string())?, (8,));
    Ok(())
}

/// As above, but the connection had already been found in place for a second future (new futures trust that
/// answer until something may have changed it): the disconnection by hand is still seen by the next future,
/// in the same frame.
async fn a_future_made_after_a_joined_connection_was_disconnected_by_hand_is_connected() -> Result<(), String> {
    let mut emitter = Emitter::new_gd();
    let first = godot_tasks::spawn(emitter.signals().count().try_next_emission());
    let second = godot_tasks::spawn(emitter.signals().count().try_next_emission());
    ensure_eq!(connection_count(&emitter, "count"), 1); // The second future joined the first one's connection.
    let saved: Vec<Callable> = emitter
        .get_signal_connection_list("count")
        .iter_shared()
        .map(|connection| connection.get("callable").expect("a callable").to::<Callable>())
        .collect();
    for callable in &saved {
        emitter.disconnect("count", callable);
    }
    let third = godot_tasks::spawn(emitter.signals().count().try_next_emission());
    next_frame().await;
    emitter.signals().count().emit(7);
    wait_until(3, "the future made after the disconnection resumed", || third.is_finished()).await?;
    ensure_eq!(third.await.map_err(|e| e.to_string())?.map_err(|e| e.to_string())?, (7,));
    ensure!(!first.is_finished() && !second.is_finished(), "the disconnected connection still delivered");
    for callable in &saved {
        emitter.connect("count", callable);
    }
    emitter.signals().count().emit(8);
    wait_until(3, "the futures on the reconnected connection resumed", || first.is_finished() && second.is_finished())
        .await?;
    ensure_eq!(first.await.map_err(|e| e.to_string())?.map_err(|e| e.to_string())?, (8,));
    ensure_eq!(second.await.map_err(|e| e.to_string())?.map_err(|e| e.to_string())?, (8,));
    Ok(())
}

/// A new future first tries the connection the previous one joined (compared without an engine call): made
/// alternately on two signals of one emitter and on the same signal of two emitters, each future still
/// resumes on its own signal only, and each signal keeps one connection.
async fn futures_made_alternately_on_two_signals_and_two_emitters_each_get_their_own() -> Result<(), String> {
    const ROUNDS: usize = 100;
    let (first, second) = (Emitter::new_gd(), Emitter::new_gd());
    let count_before = connection_count(&first, "count");
    let ping_before = connection_count(&first, "ping");
    let resumed = Rc::new(Cell::new([0usize; 3]));
    let mark = |index: usize, resumed: &Rc<Cell<[usize; 3]>>| {
        let mut counts = resumed.get();
        counts[index] += 1;
        resumed.set(counts);
    };
    for _ in 0..ROUNDS {
        // A fresh `Signal` value each time, as user code makes them.
        let counted = first.signals().count().next_emission();
        let pinged = first.signals().ping().next_emission();
        let other = second.signals().count().next_emission();
        let (a, b, c) = (resumed.clone(), resumed.clone(), resumed.clone());
        godot_tasks::spawn(async move {
            counted.await;
            mark(0, &a);
        })
        .detach();
        godot_tasks::spawn(async move {
            pinged.await;
            mark(1, &b);
        })
        .detach();
        godot_tasks::spawn(async move {
            other.await;
            mark(2, &c);
        })
        .detach();
    }
    ensure_eq!(connection_count(&first, "count"), count_before + 1);
    ensure_eq!(connection_count(&first, "ping"), ping_before + 1);
    next_frame().await;
    first.signals().ping().emit();
    next_frame().await;
    ensure_eq!(resumed.get(), [0, ROUNDS, 0]);
    second.signals().count().emit(1);
    next_frame().await;
    ensure_eq!(resumed.get(), [0, ROUNDS, ROUNDS]);
    first.signals().count().emit(1);
    next_frame().await;
    ensure_eq!(resumed.get(), [ROUNDS, ROUNDS, ROUNDS]);
    Ok(())
}
