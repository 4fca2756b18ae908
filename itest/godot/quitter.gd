extends Node
## Quits from GDScript, as a game's menu would (used by the exit scenarios).

func _ready() -> void:
	get_tree().quit()
