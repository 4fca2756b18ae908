extends SceneTree
## The game of the inspector test: started by the test with `--remote-debug`, it runs a few known tasks until
## the test cancels the one named `victim` through the inspector (which quits), or for 20 seconds at most.


func _initialize() -> void:
	ClassDB.class_call_static("InspectedGame", "start")
	create_timer(20.0, true, false, true).timeout.connect(func() -> void:
		printerr("inspected-game: nobody cancelled the victim within 20 s")
		quit(1))
