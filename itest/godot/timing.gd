# GDScript coroutines for the timing comparisons: each logs when it starts and resumes, with the process and
# physics frame counts; the Rust counterparts log into the same list, so both can be compared line by line.
extends Node

## Lines "WHO WHAT process=N physics=M game=T".
var entries: Array[String] = []
## Game time: the sum of the process frames' deltas, as this node's `_process` sees them.
var game_time := 0.0
## [where, Callable]: run once in the next `_process` ("process") or `_physics_process` ("physics").
var jobs: Array = []


func stamp(who: String, what: String) -> void:
	entries.append("%s %s process=%d physics=%d game=%.6f" % [who, what, Engine.get_process_frames(), Engine.get_physics_frames(), game_time])


func run_in(where: String, job: Callable) -> void:
	jobs.append([where, job])


func _process(delta: float) -> void:
	game_time += delta
	_run("process")


func _physics_process(_delta: float) -> void:
	_run("physics")


func _run(where: String) -> void:
	var left := []
	for job in jobs:
		if job[0] == where:
			job[1].call()
		else:
			left.append(job)
	jobs = left


func timer_flow(seconds: float, always: bool, physics: bool, ignore_scale: bool) -> void:
	stamp("gd", "start")
	await get_tree().create_timer(seconds, always, physics, ignore_scale).timeout
	stamp("gd", "timeout")
	await get_tree().create_timer(seconds, always, physics, ignore_scale).timeout
	stamp("gd", "timeout again")


func process_frame_flow() -> void:
	stamp("gd", "start")
	await get_tree().process_frame
	stamp("gd", "process_frame 1")
	await get_tree().process_frame
	stamp("gd", "process_frame 2")


func physics_frame_flow() -> void:
	stamp("gd", "start")
	await get_tree().physics_frame
	stamp("gd", "physics_frame 1")
	await get_tree().physics_frame
	stamp("gd", "physics_frame 2")


func tween_flow() -> void:
	stamp("gd", "start")
	var tween := create_tween()
	tween.tween_interval(0.05)
	await tween.finished
	stamp("gd", "finished")
