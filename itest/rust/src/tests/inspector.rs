//! The editor inspector's round trip through a real debugger connection, headless: this process plays the
//! editor (a TCP server speaking Godot's remote-debug framing: 4-byte length, then an encoded `Array`), a
//! second Godot process runs `inspected.gd` with `--remote-debug`, and the inspector addon's own model parses
//! what the game answers.

use std::time::{Duration, Instant};

use godot::classes::{EngineDebugger, GDScript, Os, ProjectSettings, StreamPeerTcp, TcpServer};
use godot::obj::Singleton;
use godot::prelude::*;

use crate::harness::next_frame;
use crate::{ensure, ensure_eq, tests};

tests![
    the_game_side_answers_only_when_a_debugger_is_attached,
    the_inspector_round_trip_through_a_real_debugger_connection,
];

const MODEL: &str = "res://addons/godot_tasks_inspector/inspector_model.gd";

async fn the_game_side_answers_only_when_a_debugger_is_attached() -> Result<(), String> {
    godot_tasks::spawn(async {}).detach();
    next_frame().await;
    ensure!(!EngineDebugger::singleton().is_active(), "the test process runs without a debugger");
    ensure!(!EngineDebugger::singleton().has_capture("godot_tasks"), "the capture is registered without a debugger");
    Ok(())
}

/// Lets real time pass, then resumes next frame: the runner allows a test 600 frames, and headless frames are
/// much shorter than the other process needs to start (this gives the test 30 s).
async fn a_while() {
    std::thread::sleep(Duration::from_millis(50));
    next_frame().await;
}

/// One message from the game: its name, the id of the thread that sent it, its data.
struct Message {
    name: String,
    thread: i64,
    data: VarArray,
}

/// The editor's end of the connection.
struct FakeEditor {
    peer: Gd<StreamPeerTcp>,
    /// The game's main thread, learnt from its first message (messages to the game name the thread they are for).
    thread: i64,
    deadline: Instant,
}

impl FakeEditor {
    /// The next message named `name`, skipping the game's other messages (its output, its errors).
    async fn expect(&mut self, name: &str) -> Result<Message, String> {
        loop {
            self.peer.poll();
            while self.peer.get_available_bytes() > 0 {
                let message = self.peer.get_var();
                let array =
                    message.try_to::<VarArray>().map_err(|_| format!("a message that is no array: {message}"))?;
                let (Some(name_v), Some(thread), Some(data)) = (array.get(0), array.get(1), array.get(2)) else {
                    return Err(format!("a message without [name, thread, data]: {array}"));
                };
                let got = Message {
                    name: name_v.to_string(),
                    thread: thread.try_to::<i64>().unwrap_or(-1),
                    data: data.try_to::<VarArray>().unwrap_or_default(),
                };
                if got.name == name {
                    return Ok(got);
                }
            }
            if Instant::now() > self.deadline {
                return Err(format!("no `{name}` message from the game within the time limit"));
            }
            a_while().await;
        }
    }

    /// Sends one message, its length and its bytes in one write, as the editor does: the game's reader takes a
    /// length whose payload has not arrived yet for a lost connection.
    fn send(&mut self, name: &str, data: VarArray) {
        let payload = godot::global::var_to_bytes(&varray![name, self.thread, &data].to_variant());
        let mut packet = PackedByteArray::from(&(payload.len() as u32).to_le_bytes()[..]);
        packet.extend_array(&payload);
        self.peer.put_data(&packet);
    }
}

/// What the addon's model makes of a `godot_tasks:tasks` message: the rows sorted by age, oldest first.
fn parse(model: &mut Gd<RefCounted>, data: &VarArray) -> Result<Vec<VarDictionary>, String> {
    let read = model.call("read_tasks", &[data.to_variant()]);
    ensure!(read.try_to::<bool>().ok() == Some(true), "the model rejected the message: {}", model.get("problem"));
    let rows = model.call("sorted_rows", &["age_frames".to_variant(), false.to_variant()]);
    let rows = rows.try_to::<Array<VarDictionary>>().map_err(|e| format!("sorted_rows gave no rows: {e}"))?;
    Ok(rows.iter_shared().collect())
}

fn field(row: &VarDictionary, key: &str) -> String {
    row.get(key).map(|value| value.to_string()).unwrap_or_default()
}

fn row<'a>(rows: &'a [VarDictionary], label: &str) -> Result<&'a VarDictionary, String> {
    rows.iter().find(|row| field(row, "label") == label).ok_or_else(|| format!("no row for {label}"))
}

async fn the_inspector_round_trip_through_a_real_debugger_connection() -> Result<(), String> {
    let mut server = TcpServer::new_gd();
    let listened = server.listen_ex(0).bind_address("127.0.0.1").done();
    ensure_eq!(listened, godot::global::Error::OK);
    let port = server.get_local_port();
    let mut os = Os::singleton();
    let project = ProjectSettings::singleton().globalize_path("res://");
    let args: PackedStringArray = [
        "--headless".to_owned(),
        "--path".to_owned(),
        project.to_string(),
        "--remote-debug".to_owned(),
        format!("tcp://127.0.0.1:{port}"),
        "-s".to_owned(),
        "res://inspected.gd".to_owned(),
    ]
    .iter()
    .map(GString::from)
    .collect();
    // `cargo xtask test` says how it started Godot (a provisioned Godot runs under its own dynamic loader).
    let executable =
        std::env::var("GODOT_TASKS_GODOT").map_or_else(|_| os.get_executable_path(), |bin| GString::from(&bin));
    let pid = os.create_process(&executable, &args);
    ensure!(pid > 0, "could not start the game process");
    let deadline = Instant::now() + Duration::from_secs(60);
    let result = round_trip(&mut server, deadline).await;
    // Whatever happened, the game ends: by itself when its victim was cancelled, else it is killed.
    while os.is_process_running(pid) && Instant::now() < deadline {
        a_while().await;
    }
    let exit = if os.is_process_running(pid) {
        let _ = os.kill(pid);
        None
    } else {
        Some(os.get_process_exit_code(pid))
    };
    server.stop();
    result?;
    ensure_eq!(exit, Some(0)); // the game quit by itself, cleanly, after the inspector cancelled its victim
    Ok(())
}

async fn round_trip(server: &mut Gd<TcpServer>, deadline: Instant) -> Result<(), String> {
    while !server.is_connection_available() {
        ensure!(Instant::now() < deadline, "the game never connected to the debugger port");
        a_while().await;
    }
    let peer = server.take_connection().ok_or("the connection went away")?;
    let mut editor = FakeEditor { peer, thread: 0, deadline };

    // The runtime says hello when it starts, with its protocol version, which the addon knows.
    let hello = editor.expect("godot_tasks:hello").await?;
    editor.thread = hello.thread;
    let mut model: Gd<RefCounted> = load::<GDScript>(MODEL).instantiate(&[]).to();
    ensure_eq!(hello.data.get(0).and_then(|v| v.try_to::<i64>().ok()), Some(model.get("PROTOCOL").to::<i64>()));

    // A snapshot: every task with its name, state, location and what it awaits.
    editor.send("godot_tasks:snapshot", VarArray::new());
    let tasks = editor.expect("godot_tasks:tasks").await?;
    let rows = parse(&mut model, &tasks.data)?;
    ensure_eq!(rows.len(), 5);
    let (sleeper, counter, victim) = (row(&rows, "sleeper")?, row(&rows, "counter")?, row(&rows, "victim")?);
    let (door, cutscene) = (row(&rows, "door")?, row(&rows, "cutscene")?);
    for task in [sleeper, counter, victim, door, cutscene] {
        ensure_eq!(field(task, "state"), "waiting");
        ensure!(
            field(task, "spawned_at").starts_with("itest/rust/src/inspected_game.rs:"),
            "{}",
            field(task, "spawned_at")
        );
        ensure_eq!(field(task, "poll_usec"), "-1");
    }
    ensure!(field(sleeper, "awaiting_text").starts_with("Clock::GAME at"), "{}", field(sleeper, "awaiting_text"));
    ensure!(field(counter, "awaiting_text").contains("process frame(s)"), "{}", field(counter, "awaiting_text"));
    ensure_eq!(field(victim, "awaiting_text"), "-");
    ensure!(
        field(door, "awaiting_text").starts_with("signal `timeout` of Timer 'DoorTimer'"),
        "{}",
        field(door, "awaiting_text")
    );
    ensure!(
        field(cutscene, "awaiting_text").starts_with(&format!("task #{} 'door'", field(door, "id"))),
        "{}",
        field(cutscene, "awaiting_text")
    );

    // Poll timing on: the next answer says so, with times.
    editor.send("godot_tasks:poll_timing", varray![true]);
    let timed = editor.expect("godot_tasks:tasks").await?;
    parse(&mut model, &timed.data)?;
    ensure_eq!(model.get("poll_timing").try_to::<bool>().ok(), Some(true));
    // The panel's Copy text (README shows one): a header, then one line per task, oldest first.
    let text = model.call("as_text", &["age_frames".to_variant(), false.to_variant(), true.to_variant()]).to_string();
    println!("inspector-capture:\n{text}");
    let lines: Vec<&str> = text.lines().collect();
    ensure_eq!(lines.len(), 6);
    ensure!(lines[0].starts_with("ID") && lines[0].contains("Poll ms") && lines[0].ends_with("Spawned at"), "{text}");

    // Cancel the victim by its id: the game confirms, and quits when the victim's future is dropped.
    let victim_id = victim.get("id").and_then(|id| id.try_to::<i64>().ok()).ok_or("the victim has no id")?;
    editor.send("godot_tasks:cancel", varray![victim_id]);
    let cancelled = editor.expect("godot_tasks:cancelled").await?;
    ensure_eq!(cancelled.data.get(0).and_then(|v| v.try_to::<i64>().ok()), Some(victim_id));
    ensure_eq!(cancelled.data.get(1).and_then(|v| v.try_to::<bool>().ok()), Some(true));
    Ok(())
}
