# Screenshots for `cargo xtask screenshots`; idle unless Godot is run with
# `-- --screenshots=DIR --shots=FRAME:NAME,...`. At each listed process frame it saves what the window shows
# to DIR/NAME.png, and quits after the last one (with exit code 1 if a file could not be saved).
extends Node

var _dir := ""
var _shots := {} # process frame -> file name without .png
var _left := 0
var _failed := false


func _ready() -> void:
	for arg in OS.get_cmdline_user_args():
		if arg.begins_with("--screenshots="):
			_dir = arg.trim_prefix("--screenshots=")
		elif arg.begins_with("--shots="):
			for shot in arg.trim_prefix("--shots=").split(",", false):
				var parts := shot.split(":")
				_shots[int(parts[0])] = parts[1]
	_left = _shots.size()
	# Frames count on while the game is paused (a cut-scene may pause it).
	process_mode = Node.PROCESS_MODE_ALWAYS
	set_process(_dir != "" and _left > 0)


func _process(_delta: float) -> void:
	var frame := Engine.get_process_frames()
	if _shots.has(frame):
		_capture(_shots[frame])


func _capture(file_name: String) -> void:
	# The viewport's texture holds this frame once it has been drawn.
	await RenderingServer.frame_post_draw
	var path := _dir.path_join(file_name + ".png")
	var image := get_viewport().get_texture().get_image()
	var error := image.save_png(path)
	if error == OK:
		print("screenshots: saved %s (%dx%d)" % [path, image.get_width(), image.get_height()])
	else:
		push_error("screenshots: could not save %s: %s" % [path, error_string(error)])
		_failed = true
	_left -= 1
	if _left == 0:
		get_tree().quit(1 if _failed else 0)
