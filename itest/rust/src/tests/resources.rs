//! `resources`: loading a resource and a scene on Godot's threaded loader, the typed errors, one request
//! shared by several awaits, a dropped load, progress, instantiating a scene and changing the current scene.

use futures_util::StreamExt;
use godot::classes::{Control, Curve, Gradient, Node2D, PackedScene, Resource, ResourceLoader};
use godot::obj::Singleton;
use godot_tasks::resources::{self, LoadErrorKind};
use godot_tasks::runtime::{self, Awaiting};

use crate::harness::{run_task, tree, wait_until};
use crate::{ensure, ensure_eq, tests};

tests![
    loads_a_resource_of_the_type_asked_for,
    instantiates_a_scene,
    a_missing_path_is_not_found,
    a_broken_file_fails,
    a_resource_of_another_type_is_refused,
    a_scene_root_of_another_type_is_refused,
    two_awaits_of_one_path_share_one_request,
    a_dropped_load_leaks_nothing,
    progress_only_grows_and_ends_at_one,
    change_scene_makes_the_scene_current,
    a_task_waiting_for_a_load_says_so,
    a_load_in_flight_at_shutdown_loads_again_after_it,
    loads_in_flight_at_a_shutdown_are_still_claimed,
];

async fn loads_a_resource_of_the_type_asked_for() -> Result<(), String> {
    let gradient =
        run_task(resources::load::<Gradient>("res://assets/gradient.tres")).await?.map_err(|e| e.to_string())?;
    ensure_eq!(gradient.get_point_count(), 2);
    let any = run_task(resources::load::<Resource>("res://assets/gradient.tres")).await?.map_err(|e| e.to_string())?;
    ensure_eq!(any.get_class().to_string(), "Gradient");
    Ok(())
}

async fn instantiates_a_scene() -> Result<(), String> {
    let level =
        run_task(resources::instantiate::<Node2D>("res://assets/level.tscn")).await?.map_err(|e| e.to_string())?;
    ensure_eq!(level.get_name().to_string(), "Level");
    ensure_eq!(level.get_child_count(), 1);
    level.free();
    Ok(())
}

async fn a_missing_path_is_not_found() -> Result<(), String> {
    let line = line!() + 1;
    let error = run_task(resources::load::<Resource>("res://assets/no_such.tres")).await?.err().ok_or("it loaded")?;
    ensure_eq!(error.kind(), &LoadErrorKind::NotFound);
    ensure_eq!((error.path(), error.started_at().line()), ("res://assets/no_such.tres", line));
    ensure!(error.to_string().contains("there is no resource at that path"), "{error}");
    ensure!(!error.is_cancelled() && !error.is_panic(), "{error:?}");
    Ok(())
}

async fn a_broken_file_fails() -> Result<(), String> {
    let error = run_task(resources::load::<Resource>("res://assets/broken.tres")).await?.err().ok_or("it loaded")?;
    ensure_eq!(error.kind(), &LoadErrorKind::Failed);
    Ok(())
}

async fn a_resource_of_another_type_is_refused() -> Result<(), String> {
    let error =
        run_task(resources::load::<PackedScene>("res://assets/gradient.tres")).await?.err().ok_or("it loaded")?;
    let expected = LoadErrorKind::WrongType { expected: "PackedScene".into(), found: "Gradient".into() };
    ensure_eq!(error.kind(), &expected);
    ensure!(error.to_string().contains("load it as `Gradient`"), "{error}");
    Ok(())
}

async fn a_scene_root_of_another_type_is_refused() -> Result<(), String> {
    let error =
        run_task(resources::instantiate::<Control>("res://assets/level.tscn")).await?.err().ok_or("it loaded")?;
    let expected = LoadErrorKind::WrongRootType { expected: "Control".into(), found: "Node2D".into() };
    ensure_eq!(error.kind(), &expected);
    Ok(())
}

async fn two_awaits_of_one_path_share_one_request() -> Result<(), String> {
    ensure!(!ResourceLoader::singleton().has_cached("res://assets/shared.tres"), "the test needs an uncached path");
    let first = godot_tasks::spawn(resources::load::<Curve>("res://assets/shared.tres"));
    let second = godot_tasks::spawn(resources::load::<Resource>("res://assets/shared.tres"));
    ensure_eq!(resources::loads_in_flight(), 1);
    wait_until(300, "both loads ended", || first.is_finished() && second.is_finished()).await?;
    let first = first.await.map_err(|e| e.to_string())?.map_err(|e| e.to_string())?;
    let second = second.await.map_err(|e| e.to_string())?.map_err(|e| e.to_string())?;
    ensure_eq!(first.instance_id(), second.instance_id());
    ensure_eq!(resources::loads_in_flight(), 0);
    Ok(())
}

async fn a_dropped_load_leaks_nothing() -> Result<(), String> {
    let path = "res://assets/dropped.tres";
    ensure!(!ResourceLoader::singleton().has_cached(path), "the test needs an uncached path");
    drop(resources::load::<Curve>(path));
    ensure_eq!(resources::loads_in_flight(), 1); // Godot cannot cancel it: it runs on
    wait_until(300, "the runtime claimed the dropped load", || resources::loads_in_flight() == 0).await?;
    // Claimed and dropped: nothing holds it, so Godot's cache let it go; a new load works.
    ensure!(!ResourceLoader::singleton().has_cached(path), "the dropped load's resource is still alive");
    let again = run_task(resources::load::<Curve>(path)).await?;
    ensure!(again.is_ok(), "{again:?}");
    Ok(())
}

async fn progress_only_grows_and_ends_at_one() -> Result<(), String> {
    let load = resources::load::<Curve>("res://assets/curve.tres");
    let progress = load.progress();
    let values = run_task(progress.collect::<Vec<f32>>()).await?;
    ensure!(values.windows(2).all(|pair| pair[0] < pair[1]), "{values:?}");
    ensure_eq!(values.last().copied(), Some(1.0));
    ensure!(run_task(load).await?.is_ok(), "the load failed");
    // A failed load's progress ends without 1.0.
    let broken = resources::load::<Resource>("res://assets/broken.tres");
    let values = run_task(broken.progress().collect::<Vec<f32>>()).await?;
    ensure!(values.last().is_none_or(|last| *last < 1.0), "{values:?}");
    drop(broken);
    Ok(())
}

async fn change_scene_makes_the_scene_current() -> Result<(), String> {
    run_task(resources::change_scene("res://assets/level.tscn")).await?.map_err(|e| e.to_string())?;
    wait_until(5, "the scene became current", || tree().get_current_scene().is_some()).await?;
    let mut current = tree().get_current_scene().ok_or("no current scene")?;
    ensure_eq!(current.get_name().to_string(), "Level");
    tree().unload_current_scene();
    wait_until(5, "the scene was unloaded", || tree().get_current_scene().is_none()).await?;
    let _ = &mut current;
    Ok(())
}

async fn a_task_waiting_for_a_load_says_so() -> Result<(), String> {
    let path = "res://assets/awaited.tres";
    ensure!(!ResourceLoader::singleton().has_cached(path), "the test needs an uncached path");
    runtime::set_task_tracking(true);
    let loading = godot_tasks::TaskBuilder::new().name("loader").spawn(resources::load::<Curve>(path));
    // Polled after the loader in the same flush (see `Executor::flush`), before the frame hook sees the load end.
    let seen = godot_tasks::spawn(async {
        godot_tasks::yield_now().await;
        runtime::tasks().into_iter().find(|task| task.name.as_deref() == Some("loader")).map(|task| task.awaiting)
    });
    wait_until(300, "both ended", || loading.is_finished() && seen.is_finished()).await?;
    runtime::set_task_tracking(false);
    ensure!(loading.await.is_ok_and(|loaded| loaded.is_ok()), "the load failed");
    let awaiting = seen.await.map_err(|e| e.to_string())?;
    ensure_eq!(awaiting, Some(vec![Awaiting::Load { path: path.into() }]));
    Ok(())
}

/// `runtime::shutdown()` with a load in flight: the waiting task is cancelled, and the next runtime loads the
/// same path (the request Godot still runs is taken over, not lost or doubled).
async fn a_load_in_flight_at_shutdown_loads_again_after_it() -> Result<(), String> {
    let path = "res://assets/restart.tres";
    ensure!(!ResourceLoader::singleton().has_cached(path), "the test needs an uncached path");
    let waiting = godot_tasks::spawn(resources::load::<Gradient>(path));
    ensure_eq!(resources::loads_in_flight(), 1);
    godot_tasks::runtime::shutdown();
    ensure!(waiting.is_finished(), "the task waiting for the load outlived the shutdown");
    ensure!(waiting.await.is_err_and(|error| error.is_cancelled()), "the waiting task was not cancelled");
    let again = run_task(resources::load::<Gradient>(path)).await?;
    ensure!(again.is_ok(), "{again:?}");
    wait_until(300, "no load left in flight", || resources::loads_in_flight() == 0).await?;
    Ok(())
}

/// A shutdown takes the runtime's frame hook with it; loads still running then (one whose task the shutdown
/// dropped, one started and dropped after it) must be claimed all the same, though no task is spawned again.
/// The shutdown comes from a task, as a game's "back to the title" would do it.
async fn loads_in_flight_at_a_shutdown_are_still_claimed() -> Result<(), String> {
    let (interrupted, orphaned) = ("res://assets/interrupted.tres", "res://assets/orphaned.tres");
    let cached = |path| ResourceLoader::singleton().has_cached(path);
    ensure!(!cached(interrupted) && !cached(orphaned), "the test needs uncached paths");
    let loading = godot_tasks::spawn(resources::load::<Curve>(interrupted));
    let stopper = godot_tasks::spawn(async { runtime::shutdown() });
    wait_until(5, "the shutdown ran", || stopper.is_finished()).await?;
    ensure!(loading.is_finished(), "the shutdown did not drop the task");
    drop(resources::load::<Curve>(orphaned));
    ensure!(resources::loads_in_flight() >= 1, "the orphaned load is not in flight");
    wait_until(300, "both loads were claimed", || resources::loads_in_flight() == 0).await?;
    ensure!(!cached(interrupted) && !cached(orphaned), "a claimed load's resource is still alive");
    Ok(())
}
