extends Node
## The GDScript side of the benchmarks: the same work with GDScript's own `await`. The Rust runner calls these
## methods and reads the times they measure (microseconds, from `Time.get_ticks_usec()`).

signal tick
signal churn_tick
signal never

var fan_out_running := false
var resumed := 0


func start_fan_out(tasks: int) -> void:
	fan_out_running = true
	resumed = 0
	for i in tasks:
		_fan_out_waiter()


func _fan_out_waiter() -> void:
	while fan_out_running:
		await tick
		resumed += 1


## One emission; GDScript resumes every waiter inside `emit`, so the call's duration is the whole round.
func fan_out_round() -> int:
	var start := Time.get_ticks_usec()
	tick.emit()
	return Time.get_ticks_usec() - start


func stop_fan_out() -> void:
	fan_out_running = false
	tick.emit()


## One coroutine awaits `churn_tick` `awaits` times while this loop emits it: each await resumes inside emit.
func churn(awaits: int) -> int:
	_churn_waiter(awaits)
	var start := Time.get_ticks_usec()
	for i in awaits:
		churn_tick.emit()
	return Time.get_ticks_usec() - start


func _churn_waiter(awaits: int) -> void:
	for i in awaits:
		await churn_tick


## Static memory (Godot's allocator) per coroutine suspended on a signal that never fires.
func memory_per_waiter(tasks: int) -> float:
	var before := OS.get_static_memory_usage()
	for i in tasks:
		_idle_waiter()
	var after := OS.get_static_memory_usage()
	return float(after - before) / tasks


func start_idle(tasks: int) -> void:
	for i in tasks:
		_idle_waiter()


func _idle_waiter() -> void:
	await never


## Ends every idle waiter.
func stop_idle() -> void:
	never.emit()


# --- Frame waits: coroutines awaiting `process_frame`, timed from the start of the frame ---

var frame_start_usec := 0
var last_resume_usec := 0


func _ready() -> void:
	# Connected before any coroutine awaits the signal, so it runs first in every frame.
	get_tree().process_frame.connect(func(): frame_start_usec = Time.get_ticks_usec())


func start_frame_waiters(tasks: int, rounds: int) -> void:
	for i in tasks:
		_frame_waiter(rounds)


func _frame_waiter(rounds: int) -> void:
	for r in rounds:
		await get_tree().process_frame
		last_resume_usec = Time.get_ticks_usec()


## How long this frame's resumptions took, from the start of the frame to the last one.
func frame_window_usec() -> int:
	return last_resume_usec - frame_start_usec


# The bridge between GDScript and Rust.

signal bridge_tick

var bridge_resumed := 0
var bridge_target := 0
var bridge_end := 0


## Starts `tasks` coroutines that each await the Rust awaitable `method` of `rust`; returns the start time.
## `bridge_end` is the time the last one resumed.
func start_bridge_awaits(rust: Object, method: StringName, tasks: int) -> int:
	bridge_resumed = 0
	bridge_target = tasks
	bridge_end = 0
	var start := Time.get_ticks_usec()
	for i in tasks:
		_bridge_waiter(rust, method)
	return start


func _bridge_waiter(rust: Object, method: StringName) -> void:
	await rust.call(method)
	bridge_resumed += 1
	if bridge_resumed == bridge_target:
		bridge_end = Time.get_ticks_usec()


## A coroutine for Rust to await: returns once `bridge_tick` is emitted.
func coroutine_value() -> int:
	await bridge_tick
	return 1


func fire_bridge() -> void:
	bridge_tick.emit()
