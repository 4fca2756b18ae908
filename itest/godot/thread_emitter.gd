extends RefCounted
## Emits signals on a new thread, for the cross-thread signal tests. (GDScript, because the `godot` crate
## without `experimental-threads` does not let Rust call the engine from other threads.)


func emit_on_thread(target: Object, signal_name: StringName, args: Array) -> void:
	var thread := Thread.new()
	thread.start(func(): target.callv("emit_signal", [signal_name] + args))
	thread.wait_to_finish()


func emit_object_on_thread(target: Object, signal_name: StringName) -> void:
	var thread := Thread.new()
	thread.start(func(): target.emit_signal(signal_name, 1, RefCounted.new()))
	thread.wait_to_finish()


func free_on_thread(target: Object) -> void:
	var thread := Thread.new()
	thread.start(func(): target.free())
	thread.wait_to_finish()
