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
