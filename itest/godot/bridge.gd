extends Node
## The GDScript side of the bridge tests: awaits Rust async funcs, and is awaited by Rust.

signal go(value: int)

## What `await_and_record` received, in order.
var received: Array = []


## Awaits the Rust awaitable `method` of `rust` and returns what the await yielded.
func await_rust(rust: Object, method: StringName, args: Array = []):
	var value = await rust.callv(method, args)
	return value


## Awaits the Rust awaitable `method` of `rust` and records what the await yielded.
func await_and_record(rust: Object, method: StringName) -> void:
	var value = await rust.call(method)
	received.append(value)


## Starts the Rust awaitable `method`, cancels it at once, then awaits it.
func cancel_then_await(rust: Object, method: StringName) -> Array:
	var pending: Signal = rust.call(method)
	var task = pending.get_object()
	var running: bool = not task.is_done()
	task.cancel()
	var value = await pending
	return [value, running, task.is_done(), task.is_cancelled(), task.get_error()]


## Starts the Rust awaitable `method`, waits `frames` frames, then awaits `wait()`.
func wait_later(rust: Object, method: StringName, frames: int) -> Array:
	var pending: Signal = rust.call(method)
	var task = pending.get_object()
	for i in frames:
		await get_tree().process_frame
	var done_before: bool = task.is_done()
	var value = await task.wait()
	return [value, done_before, task.get_result(), task.get_task_name()]


## A coroutine: two frames, then a value.
func two_frames_then(x: int) -> int:
	await get_tree().process_frame
	await get_tree().process_frame
	return x * 2


## Returns at once.
func immediate(x: int) -> int:
	return x + 1


func returns_text():
	return "not a number"


## Level two of the nesting test: Rust calls this, and it awaits Rust again.
func level2(rust: Object) -> int:
	var inner: int = await rust.level3()
	return inner + 1


## The `go` signal, for Rust to await.
func hand_signal() -> Signal:
	return go


func fire(value: int) -> void:
	go.emit(value)


## Awaits a signal handed to it (a Rust awaitable's) and records what the await yielded.
func await_signal(pending: Signal) -> void:
	var value = await pending
	received.append(value)


## A coroutine waiting for `emitter`'s `hit` signal.
func await_hit(emitter: Object) -> int:
	var damage: int = await emitter.hit
	return damage
