# A level flow written the way game scripts use `await`: an intro timer, waves that end on a custom signal
# emitted from `_physics_process`, a nested coroutine between waves, a flag read right after the emit, and a
# menu click that abandons the running flow and starts another. `level_flow.rs` ports it to Rust; both log
# into `entries` and the test compares the logs line by line.
extends Node

signal wave_cleared(wave: int)

## Lines "WHAT process=N physics=M".
var entries: Array[String] = []
## The wave being fought; 0 between waves.
var wave := 0
## True only while `wave_cleared` is being emitted.
var emitting := false
## Bumped by every click; a flow that sees another number after an `await` was abandoned, and returns (the
## GDScript way to cancel a coroutine; the Rust port drops its task instead).
var generation := 0
var ticks := 0


func note(what: String) -> void:
	entries.append("%s process=%d physics=%d" % [what, Engine.get_process_frames(), Engine.get_physics_frames()])


func _physics_process(_delta: float) -> void:
	ticks += 1
	if wave > 0 and ticks % 4 == 0:
		emitting = true
		wave_cleared.emit(wave)
		emitting = false
		note("emitted wave %d" % wave)


func run_level(flow: int) -> void:
	note("flow %d: start" % flow)
	await get_tree().create_timer(0.05).timeout
	if flow != generation:
		return
	note("flow %d: intro done" % flow)
	for number in range(1, 3):
		wave = number
		var cleared: int = await wave_cleared
		if flow != generation:
			return
		note("flow %d: wave %d cleared, emitting=%s" % [flow, cleared, emitting])
		wave = 0
		await _between_waves(flow)
		if flow != generation:
			return
	note("flow %d: boss" % flow)
	await get_tree().process_frame
	if flow != generation:
		return
	note("flow %d: level end" % flow)


func _between_waves(flow: int) -> void:
	await get_tree().physics_frame
	if flow != generation:
		return
	note("flow %d: between waves" % flow)
	await get_tree().create_timer(0.03, true, true).timeout


## A menu click: abandons the running flow and starts another.
func click() -> void:
	generation += 1
	run_level(generation)
