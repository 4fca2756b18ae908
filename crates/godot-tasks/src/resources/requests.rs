//! The loads in flight: one request to Godot's threaded loader per path, shared by every future and progress
//! stream of that path, and checked once per frame by the runtime's frame hook.
//!
//! The `godot` crate leaves `ResourceLoader.load_threaded_*` out of its API unless its `experimental-threads`
//! feature is on, so they are called by name here (on the main thread, as every other call of this crate).

use std::cell::RefCell;
use std::collections::HashMap;
use std::task::Waker;

use godot::classes::{Object, Resource, ResourceLoader};
use godot::obj::Singleton;
use godot::prelude::*;

use super::LoadErrorKind;
use crate::runtime::{self, LeakAtThreadExit, Stop};

/// `ResourceLoader.ThreadLoadStatus`.
const IN_PROGRESS: i64 = 1;
const LOADED: i64 = 3;

/// Where one path's load is.
pub(super) enum Progress {
    /// Loading; how far (0.0 to 1.0) as Godot last said.
    Loading(f32),
    /// Ended.
    Done(Result<Gd<Resource>, LoadErrorKind>),
}

struct Request {
    progress: Progress,
    /// Futures and progress streams of this path that are alive.
    users: usize,
    /// Whoever waits for the next change (deduplicated, woken and cleared at each change).
    wakers: Vec<Waker>,
}

#[derive(Default)]
struct Requests {
    by_path: HashMap<String, Request>,
}

thread_local! {
    static REQUESTS: RefCell<LeakAtThreadExit<Requests>> = const { RefCell::new(LeakAtThreadExit(None)) };
}

fn with_requests<R>(f: impl FnOnce(&mut Requests) -> R) -> Option<R> {
    runtime::with_registry(&REQUESTS, "resource loader registry", Requests::default, f)
}

fn loader() -> Gd<Object> {
    ResourceLoader::singleton().upcast()
}

/// Joins the load of `path`, starting it if nobody loads it yet. `Err` if it cannot start: no such resource,
/// or Godot refused the request.
pub(super) fn join(path: &str) -> Result<(), LoadErrorKind> {
    if with_requests(|requests| requests.by_path.get_mut(path).map(|request| request.users += 1)).flatten().is_some() {
        return Ok(());
    }
    let mut loader = ResourceLoader::singleton();
    // Already in Godot's cache: no thread, no frame to wait.
    if loader.has_cached(path) {
        let cached = loader.load(path).ok_or(LoadErrorKind::Failed)?;
        insert(path, Progress::Done(Ok(cached)));
        return Ok(());
    }
    if !loader.exists(path) {
        return Err(LoadErrorKind::NotFound);
    }
    let error = loader.upcast::<Object>().call("load_threaded_request", &[path.to_variant()]);
    if error.try_to::<i64>().ok() != Some(0) {
        return Err(LoadErrorKind::Failed);
    }
    insert(path, Progress::Loading(0.0));
    // The frame hook checks the request from now on. Start the runtime if there is none (no task spawned yet,
    // or none since a `shutdown()`): a load that is dropped unawaited must still be claimed, and one still
    // running at exit must be claimed then.
    runtime::ensure_stop_hooks();
    Ok(())
}

/// Joins the load of `path` if there is one (for a progress stream); says whether it did.
pub(super) fn join_existing(path: &str) -> bool {
    with_requests(|requests| requests.by_path.get_mut(path).map(|request| request.users += 1)).flatten().is_some()
}

fn insert(path: &str, progress: Progress) {
    let _ = with_requests(|requests| {
        requests.by_path.insert(path.to_owned(), Request { progress, users: 1, wakers: Vec::new() })
    });
}

/// Leaves the load of `path`: the last user of an ended load removes it; a load still running goes on, and the
/// frame hook takes its resource when it ends (Godot cannot cancel a threaded load, and an unclaimed one would
/// stay in its loader).
pub(super) fn leave(path: &str) {
    let removed = with_requests(|requests| {
        let request = requests.by_path.get_mut(path)?;
        request.users = request.users.saturating_sub(1);
        let ended = matches!(request.progress, Progress::Done(_));
        (request.users == 0 && ended).then(|| requests.by_path.remove(path))
    });
    // Outside the borrow: the resource's last reference may run engine code.
    drop(removed);
}

/// Where the load of `path` is; if it has not ended, `waker` is woken at its next change.
pub(super) fn poll(path: &str, waker: &Waker) -> Option<ProgressNow> {
    with_requests(|requests| {
        let request = requests.by_path.get_mut(path)?;
        Some(match &request.progress {
            Progress::Loading(progress) => {
                if !request.wakers.iter().any(|w| w.will_wake(waker)) {
                    request.wakers.push(waker.clone());
                }
                ProgressNow::Loading(*progress)
            }
            Progress::Done(outcome) => ProgressNow::Done(outcome.clone()),
        })
    })
    .flatten()
}

/// A copy of a request's state, taken out of the registry.
pub(super) enum ProgressNow {
    Loading(f32),
    Done(Result<Gd<Resource>, LoadErrorKind>),
}

/// How many loads are in flight (started and not ended), for tests and overlays.
pub(super) fn in_flight() -> usize {
    with_requests(|requests| {
        requests.by_path.values().filter(|request| matches!(request.progress, Progress::Loading(_))).count()
    })
    .unwrap_or(0)
}

/// The frame hook: asks Godot how each load is going, records progress and ends, wakes those who wait.
pub(super) fn on_frame() {
    let loading: Vec<String> = with_requests(|requests| {
        requests
            .by_path
            .iter()
            .filter(|(_, request)| matches!(request.progress, Progress::Loading(_)))
            .map(|(path, _)| path.clone())
            .collect()
    })
    .unwrap_or_default();
    for path in loading {
        let (wake, removed) = check(&path);
        for waker in wake {
            waker.wake();
        }
        drop(removed);
    }
}

/// Checks one load (outside the registry: engine calls). Returns the wakers to wake and a request that nobody
/// wants any more, to drop.
fn check(path: &str) -> (Vec<Waker>, Option<Request>) {
    let mut loader = loader();
    let progress_out = VarArray::new();
    let status = loader
        .call("load_threaded_get_status", &[path.to_variant(), progress_out.to_variant()])
        .try_to::<i64>()
        .unwrap_or(-1);
    let next = match status {
        IN_PROGRESS => {
            let progress = progress_out.get(0).and_then(|p| p.try_to::<f64>().ok()).unwrap_or(0.0) as f32;
            Progress::Loading(progress.clamp(0.0, 0.999))
        }
        LOADED => match loader.call("load_threaded_get", &[path.to_variant()]).try_to::<Option<Gd<Resource>>>() {
            Ok(Some(resource)) => Progress::Done(Ok(resource)),
            _ => Progress::Done(Err(LoadErrorKind::Failed)),
        },
        _ => {
            // Failed (or unknown to the loader): claiming it ends Godot's record of the request.
            let _ = loader.call("load_threaded_get", &[path.to_variant()]);
            Progress::Done(Err(LoadErrorKind::Failed))
        }
    };
    with_requests(|requests| {
        let Some(request) = requests.by_path.get_mut(path) else { return (Vec::new(), None) };
        let changed = match (&request.progress, &next) {
            (Progress::Loading(old), Progress::Loading(new)) => new > old,
            _ => true,
        };
        if !changed {
            return (Vec::new(), None);
        }
        request.progress = next;
        let wakers = std::mem::take(&mut request.wakers);
        let unwanted = request.users == 0 && matches!(request.progress, Progress::Done(_));
        let removed = if unwanted { requests.by_path.remove(path) } else { None };
        (wakers, removed)
    })
    .unwrap_or((Vec::new(), None))
}

/// When the runtime stops: after a `shutdown()` the loads go on (the next runtime's frame hook checks them);
/// at exit or unload each load still running is claimed now, waiting for it if need be, so that nothing stays
/// in Godot's loader, and every record goes.
pub(super) fn stop(stop: Stop) {
    if stop == Stop::Shutdown {
        // The old runtime's hooks are gone: the next one must check the loads still running, even if nothing
        // spawns a task again.
        if in_flight() > 0 {
            runtime::ensure_stop_hooks();
        }
        return;
    }
    let requests = with_requests(std::mem::take).unwrap_or_default();
    let mut loader = loader();
    for (path, request) in requests.by_path {
        if matches!(request.progress, Progress::Loading(_)) {
            let _ = loader.call("load_threaded_get", &[path.to_variant()]);
        }
        drop(request);
    }
}
