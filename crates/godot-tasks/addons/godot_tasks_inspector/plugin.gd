@tool
extends EditorPlugin
## Adds the godot-tasks inspector to the editor's Debugger panel: one "Tasks" tab per debug session.

var _debugger: EditorDebuggerPlugin


func _enter_tree() -> void:
	_debugger = preload("debugger_plugin.gd").new()
	add_debugger_plugin(_debugger)


func _exit_tree() -> void:
	if _debugger:
		remove_debugger_plugin(_debugger)
	_debugger = null
