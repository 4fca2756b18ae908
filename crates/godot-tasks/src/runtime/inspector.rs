//! The game side of the editor's task inspector: answers the inspector's requests through Godot's debugger
//! connection (`EngineDebugger`), and only while one is attached (a game run from the editor, or started with
//! `--remote-debug`).
//!
//! The message format and how users enable the addon are in the `runtime` module's docs (The editor
//! inspector). While a debugger is attached, task tracking is on from the runtime's start: the inspector
//! must see what each task awaits, also a task that waits long without being polled again.

use godot::classes::{Engine, EngineDebugger};
use godot::obj::Singleton;
use godot::prelude::*;

use super::tasks::{TaskId, TaskInfo};

/// The prefix of every inspector message.
const CAPTURE: &str = "godot_tasks";

/// The version of the message format above; the addon shows a warning if it does not know it.
pub(crate) const PROTOCOL: i64 = 1;

thread_local! {
    /// Whether this runtime registered the capture (with two extensions using godot-tasks, the first does).
    static REGISTERED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Registers the message capture if a debugger is attached and no other runtime has registered one; says
/// hello to the inspector.
pub(super) fn register() {
    let mut debugger = EngineDebugger::singleton();
    if !debugger.is_active() || debugger.has_capture(CAPTURE) {
        return;
    }
    let capture = Callable::from_fn("godot_tasks::inspector", |args| {
        let message = args.first().and_then(|message| message.try_to::<GString>().ok()).unwrap_or_default();
        let data = args.get(1).and_then(|data| data.try_to::<VarArray>().ok()).unwrap_or_default();
        answer(&message.to_string(), &data)
    });
    debugger.register_message_capture(CAPTURE, &capture);
    let _ = REGISTERED.try_with(|registered| registered.set(true));
    // From the start, so that the inspector sees what each task awaits even if it has not been polled since.
    super::set_task_tracking(true);
    debugger.send_message(&format!("{CAPTURE}:hello"), &varray![PROTOCOL]);
}

/// Removes the capture this runtime registered.
pub(super) fn unregister() {
    if !REGISTERED.try_with(|registered| registered.replace(false)).unwrap_or(false) {
        return;
    }
    let mut debugger = EngineDebugger::singleton();
    if debugger.has_capture(CAPTURE) {
        debugger.unregister_message_capture(CAPTURE);
    }
}

/// Handles one inspector message (`message` without the prefix); says whether it was one of ours.
fn answer(message: &str, data: &VarArray) -> bool {
    let mut debugger = EngineDebugger::singleton();
    match message {
        "snapshot" => {}
        "cancel" => {
            let Some(id) = data.get(0).and_then(|id| id.try_to::<i64>().ok()) else { return false };
            let found = u64::try_from(id).is_ok_and(|id| super::cancel_task(TaskId::from_raw(id)));
            debugger.send_message(&format!("{CAPTURE}:cancelled"), &varray![id, found]);
        }
        "poll_timing" => {
            let Some(on) = data.get(0).and_then(|on| on.try_to::<bool>().ok()) else { return false };
            super::set_poll_timing(on);
        }
        _ => return false,
    }
    debugger.send_message(&format!("{CAPTURE}:tasks"), &snapshot_message());
    true
}

/// The data of a `godot_tasks:tasks` message: `[frame, poll_timing, tasks]`.
pub(crate) fn snapshot_message() -> VarArray {
    let tasks: VarArray = super::tasks().iter().map(|task| task_dictionary(task).to_variant()).collect();
    let frame = Engine::singleton().get_process_frames() as i64;
    varray![frame, super::tasks::poll_timing(), &tasks]
}

fn task_dictionary(task: &TaskInfo) -> VarDictionary {
    let awaiting: PackedStringArray =
        task.awaiting.iter().map(|awaiting| GString::from(&awaiting.to_string())).collect();
    let poll_usec = task.poll_time.map_or(-1, |time| i64::try_from(time.as_micros()).unwrap_or(i64::MAX));
    vdict! {
        "id" => task.id.get() as i64,
        "name" => task.name.as_deref().unwrap_or(""),
        "state" => task.state.as_str(),
        "spawned_at" => task.spawned_at.to_string(),
        "age_frames" => task.age_frames as i64,
        "polls" => task.polls as i64,
        "poll_usec" => poll_usec,
        "awaiting" => &awaiting,
    }
}
