//! GDScript and its Rust counterpart, started in the same call, log the same frames: timers against clocks,
//! `process_frame`/`physics_frame` against frame waits, started from `_process` and from `_physics_process`.
//!
//! The GDScript side is `timing.gd`; both sides write "WHO WHAT process=N physics=M game=T" lines into its
//! log (T: the game time as the node's `_process` counts it).

use std::future::Future;

use godot::classes::{Engine, Script};
use godot::obj::Singleton;
use godot::prelude::*;
use godot_tasks::TaskBuilder;
use godot_tasks::signal::{NextEmission, TypedSignalExt};
use godot_tasks::time;

use crate::harness::{tree, wait_until};
use crate::{ensure_eq, tests};

tests![
    create_timer_matches_for_every_flag_combination,
    create_timer_matches_while_paused,
    create_timer_matches_at_time_scales_half_and_two,
    process_frame_matches_time_process_frame,
    physics_frame_matches_time_physics_frame,
    frame_signals_match_while_paused_and_at_time_scales_half_and_two,
    tween_finished_matches,
];

/// A node running `timing.gd`, in the tree.
fn timing_node() -> Gd<Node> {
    let mut node = Node::new_alloc();
    node.set_script(&load::<Script>("res://timing.gd"));
    node.set_process_mode(godot::classes::node::ProcessMode::ALWAYS);
    tree().get_root().expect("a root").add_child(&node);
    node
}

fn stamp(node: &Gd<Node>, what: &str) {
    node.clone().call("stamp", vslice!["rs", what]);
}

/// Starts the GDScript coroutine `method(args)` and the Rust task made by `rust` in the same call, from the
/// node's `_process` or `_physics_process` (`where`); waits until each logged `lines` lines; returns both
/// logs without their first word, GDScript's first.
async fn compare<F>(
    where_: &'static str,
    method: &'static str,
    args: Vec<Variant>,
    rust: impl FnOnce(Gd<Node>) -> F + 'static,
    lines: usize,
) -> Result<(Vec<String>, Vec<String>), String>
where
    F: Future<Output = ()> + 'static,
{
    let node = timing_node();
    let starter = node.clone();
    let mut rust = Some(rust);
    let job = Callable::from_fn("timing_parity::start", move |_| {
        starter.clone().callv(method, &args.iter().cloned().collect::<VarArray>());
        if let Some(rust) = rust.take() {
            TaskBuilder::new().gdscript_timing().spawn(rust(starter.clone())).detach();
        }
    });
    node.clone().call("run_in", vslice![where_, job]);
    let log =
        || -> Vec<String> { node.get("entries").to::<Array<GString>>().iter_shared().map(|s| s.to_string()).collect() };
    let count = |who: &str| log().iter().filter(|line| line.starts_with(who)).count();
    wait_until(600, "both sides logged every line", || count("gd ") >= lines && count("rs ") >= lines).await?;
    let side = |who: &str| -> Vec<String> {
        log().iter().filter_map(|line| line.strip_prefix(who).map(str::to_owned)).collect()
    };
    let result = (side("gd "), side("rs "));
    node.free();
    Ok(result)
}

async fn timers_match(always: bool, physics: bool, ignore_scale: bool, where_: &'static str) -> Result<(), String> {
    let seconds = 0.05;
    let (gd, rs) = compare(
        where_,
        "timer_flow",
        vec![seconds.to_variant(), always.to_variant(), physics.to_variant(), ignore_scale.to_variant()],
        move |node| async move {
            stamp(&node, "start");
            time::create_timer(seconds, always, physics, ignore_scale).await;
            stamp(&node, "timeout");
            time::create_timer(seconds, always, physics, ignore_scale).await;
            stamp(&node, "timeout again");
        },
        3,
    )
    .await?;
    if gd != rs {
        return Err(format!(
            "create_timer({seconds}, {always}, {physics}, {ignore_scale}) from {where_}:\n  gd {gd:?}\n  rs {rs:?}"
        ));
    }
    Ok(())
}

async fn create_timer_matches_for_every_flag_combination() -> Result<(), String> {
    for where_ in ["process", "physics"] {
        for always in [false, true] {
            for physics in [false, true] {
                for ignore_scale in [false, true] {
                    timers_match(always, physics, ignore_scale, where_).await?;
                }
            }
        }
    }
    Ok(())
}

async fn create_timer_matches_while_paused() -> Result<(), String> {
    let mut tree = tree();
    tree.set_pause(true);
    let mut outcome = Ok(());
    for physics in [false, true] {
        for ignore_scale in [false, true] {
            outcome = outcome.and(timers_match(true, physics, ignore_scale, "process").await);
        }
    }
    tree.set_pause(false);
    outcome
}

async fn create_timer_matches_at_time_scales_half_and_two() -> Result<(), String> {
    let mut outcome = Ok(());
    for scale in [0.5, 2.0] {
        Engine::singleton().set_time_scale(scale);
        for physics in [false, true] {
            for ignore_scale in [false, true] {
                outcome = outcome.and(timers_match(false, physics, ignore_scale, "process").await);
            }
        }
    }
    Engine::singleton().set_time_scale(1.0);
    outcome
}

/// Which of the tree's frame signals a flow awaits.
#[derive(Clone, Copy)]
enum FrameSignal {
    Process,
    Physics,
}

/// `timing.gd`'s `process_frame_flow` or `physics_frame_flow` against its Rust port (two awaits of the same
/// signal), both started from `where_`.
async fn frame_flow(where_: &'static str, signal: FrameSignal) -> Result<(Vec<String>, Vec<String>), String> {
    let (method, name, wait): (_, _, fn() -> NextEmission<()>) = match signal {
        FrameSignal::Process => ("process_frame_flow", "process_frame", time::process_frame),
        FrameSignal::Physics => ("physics_frame_flow", "physics_frame", time::physics_frame),
    };
    let rust = move |node: Gd<Node>| async move {
        stamp(&node, "start");
        wait().await;
        stamp(&node, &format!("{name} 1"));
        wait().await;
        stamp(&node, &format!("{name} 2"));
    };
    compare(where_, method, vec![], rust, 3).await
}

async fn process_frame_matches_time_process_frame() -> Result<(), String> {
    for where_ in ["process", "physics"] {
        let (gd, rs) = frame_flow(where_, FrameSignal::Process).await?;
        ensure_eq!((where_, gd), (where_, rs));
    }
    Ok(())
}

async fn physics_frame_matches_time_physics_frame() -> Result<(), String> {
    for where_ in ["process", "physics"] {
        let (gd, rs) = frame_flow(where_, FrameSignal::Physics).await?;
        ensure_eq!((where_, gd), (where_, rs));
    }
    Ok(())
}

async fn frame_signals_match_while_paused_and_at_time_scales_half_and_two() -> Result<(), String> {
    let mut tree = tree();
    let mut outcome = Ok(());
    for (paused, scale) in [(true, 1.0), (false, 0.5), (false, 2.0)] {
        tree.set_pause(paused);
        Engine::singleton().set_time_scale(scale);
        let process = frame_flow("process", FrameSignal::Process).await;
        let physics = frame_flow("physics", FrameSignal::Physics).await;
        outcome = outcome.and_then(|()| {
            for (gd, rs) in [process?, physics?] {
                if gd != rs {
                    return Err(format!("paused {paused}, time scale {scale}:\n  gd {gd:?}\n  rs {rs:?}"));
                }
            }
            Ok(())
        });
    }
    tree.set_pause(false);
    Engine::singleton().set_time_scale(1.0);
    outcome
}

async fn tween_finished_matches() -> Result<(), String> {
    for where_ in ["process", "physics"] {
        let (gd, rs) = compare(
            where_,
            "tween_flow",
            vec![],
            |node| async move {
                stamp(&node, "start");
                let mut tween = node.clone().create_tween();
                tween.tween_interval(0.05);
                tween.signals().finished().next_emission().await;
                stamp(&node, "finished");
            },
            2,
        )
        .await?;
        ensure_eq!((where_, gd), (where_, rs));
    }
    Ok(())
}
