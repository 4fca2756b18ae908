extends Logger
## Collects the errors Godot reports while it is installed (OS.add_logger), for tests that check what
## reaches Godot's output. Errors may be reported from any thread.

var _lock := Mutex.new()
var _errors: PackedStringArray = []


func _log_error(function: String, file: String, line: int, code: String, rationale: String,
		editor_notify: bool, error_type: int, script_backtraces: Array[ScriptBacktrace]) -> void:
	_lock.lock()
	_errors.append(rationale if not rationale.is_empty() else code)
	_lock.unlock()


func errors() -> PackedStringArray:
	_lock.lock()
	var copy := _errors.duplicate()
	_lock.unlock()
	return copy
