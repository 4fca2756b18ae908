@tool
extends EditorDebuggerPlugin
## The editor side of the inspector: one panel per debug session, fed by the game's `godot_tasks:` messages.
## The message format is described in the godot-tasks crate (`runtime/inspector.rs`) and parsed by
## `inspector_model.gd`.

const Model := preload("inspector_model.gd")
const InspectorPanel := preload("inspector_panel.gd")

var _panels := {}


func _has_capture(prefix: String) -> bool:
	return prefix == Model.PREFIX


func _setup_session(session_id: int) -> void:
	var panel: Control = InspectorPanel.new()
	panel.name = "Tasks"
	var session := get_session(session_id)
	panel.request.connect(func(message: String, data: Array) -> void:
		if session.is_active():
			session.send_message(Model.PREFIX + ":" + message, data))
	session.started.connect(panel.on_started)
	session.stopped.connect(panel.on_stopped)
	session.add_session_tab(panel)
	_panels[session_id] = panel


func _capture(message: String, data: Array, session_id: int) -> bool:
	var panel = _panels.get(session_id)
	if panel == null:
		return false
	return panel.on_message(message, data)
