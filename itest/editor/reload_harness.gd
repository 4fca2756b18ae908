@tool
extends Node
## Runs in the editor: starts pending work of every kind on a tool node, hot-reloads the extension three
## times, and checks that everything works after each reload. `cargo xtask test` reads what it prints.

const ROUNDS := 3


func _ready() -> void:
	if Engine.is_editor_hint():
		_run.call_deferred()


func _run() -> void:
	var probe: Node = ClassDB.instantiate("ReloadProbe")
	add_child(probe)
	# The second extension's runtime must not notice the first one's reloads.
	var second = ClassDB.instantiate("SecondProbe")
	var second_pending: Signal = second.slow()
	for round in ROUNDS:
		var works = await probe.check_works()
		print("reload-harness: round %d: works: %s" % [round, works])
		_await_pending(probe.start_work(), round)
		for i in 10:
			await get_tree().process_frame
		print("reload-harness: round %d: reloading with %d load(s) in flight" % [round, probe.start_load()])
		var status := GDExtensionManager.reload_extension("res://itest.gdextension")
		print("reload-harness: round %d: reload returned %d" % [round, status])
		await get_tree().create_timer(1.0).timeout
	var works = await probe.check_works()
	print("reload-harness: after %d reloads: works: %s" % [ROUNDS, works])
	var second_task = second_pending.get_object()
	print("reload-harness: the other extension's task is still running: %s" % (not second_task.is_done()))
	print("reload-harness: the other extension works: %s" % (await second.doubled_later(21)))
	_check_inspector()
	probe.queue_free()
	get_tree().quit()


func _await_pending(pending: Signal, round: int) -> void:
	var value = await pending
	print("reload-harness: round %d: GDScript's await resumed with %s" % [round, value])


## The inspector addon in a real editor: enabled, and its panel shows a game's tasks message.
func _check_inspector() -> void:
	print("reload-harness: inspector plugin enabled: %s" % EditorInterface.is_plugin_enabled("godot_tasks_inspector"))
	var panel: Control = load("res://addons/godot_tasks_inspector/inspector_panel.gd").new()
	add_child(panel)
	var task := {
		"id": 7, "name": "loader", "state": "waiting", "spawned_at": "src/level.rs:10:5", "age_frames": 120,
		"polls": 3, "poll_usec": -1, "awaiting": PackedStringArray(["Clock::GAME at 12.000 s"]),
	}
	var unnamed := task.duplicate()
	unnamed["id"] = 8
	unnamed["name"] = ""
	unnamed["age_frames"] = 500
	var handled: bool = panel.on_message("godot_tasks:tasks", [1234, false, [task, unnamed]])
	var rows: Array = panel.model.sorted_rows("age_frames", false)
	print("reload-harness: inspector panel: handled %s, rows %s" % [handled, rows.map(func(row): return row["label"])])
	panel.queue_free()
