extends Node
## The quartermaster, written in GDScript: awaits the Rust demo's async funcs like any coroutine, and is
## itself awaited from Rust.


func _ready() -> void:
	var rations = await get_parent().count_supplies("rations")
	print("[frame %d] quartermaster (GDScript): the Rust stores hold %d rations" % [Engine.get_process_frames(), rations])


## Awaited from Rust: asks Rust once more, then answers a frame later.
func report() -> String:
	var arrows = await get_parent().count_supplies("arrows")
	await get_tree().process_frame
	return "%d arrows, counted by Rust, reported by GDScript" % arrows
