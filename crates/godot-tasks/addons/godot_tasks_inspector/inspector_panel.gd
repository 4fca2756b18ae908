@tool
extends VBoxContainer
## The "Tasks" tab of one debug session: a table of the game's live tasks, refreshed twice a second while the
## game runs, sortable by clicking a column title, with a cancel button per task.

## Asks the game for something: `message` without the prefix (`snapshot`, `cancel`, `poll_timing`).
signal request(message: String, data: Array)

const Model := preload("inspector_model.gd")
## Column titles and the row key each one shows and sorts by.
const COLUMNS := [
	["ID", "id"], ["Task", "label"], ["State", "state"], ["Age (frames)", "age_frames"], ["Polls", "polls"],
	["Poll time (ms)", "poll_usec"], ["Awaiting", "awaiting_text"], ["Spawned at", "spawned_at"],
]
const CANCEL_BUTTON := 0

var model := Model.new()
var _tree := Tree.new()
var _status := Label.new()
var _live := CheckBox.new()
var _timing := CheckBox.new()
var _timer := Timer.new()
var _sort_column := 3
var _ascending := false
var _running := false
## A lasting warning shown before the status (a protocol mismatch).
var _warning := ""


func _init() -> void:
	var bar := HBoxContainer.new()
	_live.text = "Live"
	_live.button_pressed = true
	_live.tooltip_text = "Ask the game for its tasks twice a second."
	_timing.text = "Time polls"
	_timing.tooltip_text = "Have the game add up how long each task's polls take (two clock reads per poll)."
	_timing.toggled.connect(func(on: bool) -> void: request.emit("poll_timing", [on]))
	var refresh := Button.new()
	refresh.text = "Refresh"
	refresh.pressed.connect(_ask)
	var copy := Button.new()
	copy.text = "Copy"
	copy.tooltip_text = "Copy the table as text."
	copy.pressed.connect(func() -> void:
		DisplayServer.clipboard_set(model.as_text(COLUMNS[_sort_column][1], _ascending, model.poll_timing)))
	_status.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	_status.text = "Run the game from the editor to see its godot-tasks tasks."
	for child in [_live, _timing, refresh, copy, _status]:
		bar.add_child(child)
	add_child(bar)

	_tree.columns = COLUMNS.size()
	_tree.column_titles_visible = true
	_tree.hide_root = true
	_tree.select_mode = Tree.SELECT_ROW
	_tree.size_flags_vertical = Control.SIZE_EXPAND_FILL
	for i in COLUMNS.size():
		_tree.set_column_title(i, COLUMNS[i][0])
		_tree.set_column_expand(i, i == 6 or i == 7)
		_tree.set_column_clip_content(i, true)
	_tree.column_title_clicked.connect(_on_title_clicked)
	_tree.button_clicked.connect(_on_button_clicked)
	add_child(_tree)

	_timer.wait_time = 0.5
	_timer.timeout.connect(func() -> void:
		if _running and _live.button_pressed:
			_ask())
	add_child(_timer)


func on_started() -> void:
	_running = true
	_status.text = "Waiting for the game's godot-tasks runtime..."
	_timer.start()


func on_stopped() -> void:
	_running = false
	_timer.stop()
	_status.text = "The game stopped. Its last tasks are shown."


## A message from the game (with its prefix); returns whether it was one of ours.
func on_message(message: String, data: Array) -> bool:
	match message:
		"godot_tasks:hello":
			var protocol: int = data[0] if not data.is_empty() and typeof(data[0]) == TYPE_INT else -1
			_warning = ""
			if protocol != Model.PROTOCOL:
				_warning = "The game speaks inspector protocol %d, this addon %d: copy the addon from the game's godot-tasks crate again. " % [protocol, Model.PROTOCOL]
				_status.text = _warning
			_ask()
		"godot_tasks:tasks":
			if model.read_tasks(data):
				_show()
			else:
				_status.text = model.problem
		"godot_tasks:cancelled":
			if data.size() == 2 and not data[1]:
				_status.text = "Task #%s had already ended." % [data[0]]
		_:
			return false
	return true


func _ask() -> void:
	request.emit("snapshot", [])


func _show() -> void:
	var key: String = COLUMNS[_sort_column][1]
	_tree.clear()
	var root := _tree.create_item()
	var cancel_icon: Texture2D = get_theme_icon("Stop", "EditorIcons") if has_theme_icon("Stop", "EditorIcons") else null
	for row in model.sorted_rows(key, _ascending):
		var item := _tree.create_item(root)
		item.set_text(0, "#%d" % row["id"])
		item.set_text(1, row["label"])
		item.set_text(2, row["state"])
		item.set_text(3, str(row["age_frames"]))
		item.set_text(4, str(row["polls"]))
		item.set_text(5, "%.3f" % row["poll_ms"] if row["poll_ms"] >= 0.0 else "-")
		item.set_text(6, row["awaiting_text"])
		item.set_tooltip_text(6, row["awaiting_text"])
		item.set_text(7, row["spawned_at"])
		item.set_metadata(0, row["id"])
		if row["state"] != "finished" and row["state"] != "cancelling":
			if cancel_icon:
				item.add_button(1, cancel_icon, CANCEL_BUTTON, false, "Cancel this task")
	var shown := "%d task(s) at frame %d, sorted by %s (%s)" % [
		model.rows.size(), model.frame, COLUMNS[_sort_column][0], "ascending" if _ascending else "descending"]
	_status.text = _warning + shown + ("" if model.problem == "" else "; " + model.problem)
	_timing.set_pressed_no_signal(model.poll_timing)


func _on_title_clicked(column: int, _mouse_button: int) -> void:
	if column == _sort_column:
		_ascending = not _ascending
	else:
		_sort_column = column
		_ascending = column in [0, 1, 2, 6, 7]
	_show()


func _on_button_clicked(item: TreeItem, _column: int, id: int, _mouse_button: int) -> void:
	if id == CANCEL_BUTTON:
		request.emit("cancel", [item.get_metadata(0)])
