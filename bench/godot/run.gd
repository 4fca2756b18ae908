# Starts the Rust benchmark runner once the scene tree runs (nodes can be added from the first frame on).
extends SceneTree

var started := false

func _process(_delta: float) -> bool:
	if not started:
		started = true
		root.add_child(ClassDB.instantiate("BenchRunner"))
	return false
