@tool
extends RefCounted
## What the inspector shows, from the game's messages: parsing and sorting, with no UI, so that it can be
## tested headless against a real game.

const PREFIX := "godot_tasks"
## The message format this addon reads (the game sends its own in `godot_tasks:hello`).
const PROTOCOL := 1
const STATES := ["queued", "waiting", "running", "cancelling", "finished"]

## The frame the last snapshot was taken in, whether the game times polls, and one row per task.
var frame := 0
var poll_timing := false
var rows: Array[Dictionary] = []
## Set when a message did not have the expected shape: what was wrong.
var problem := ""


## Reads a `godot_tasks:tasks` message's data: `[frame, poll_timing, tasks]`. Returns false (and sets
## `problem`) if it does not have that shape; rows that lack a field are skipped and counted in `problem`.
func read_tasks(data: Array) -> bool:
	problem = ""
	if data.size() != 3 or typeof(data[0]) != TYPE_INT or typeof(data[1]) != TYPE_BOOL or typeof(data[2]) != TYPE_ARRAY:
		problem = "a tasks message should be [frame, poll_timing, tasks], got %s" % [str(data).left(200)]
		return false
	frame = data[0]
	poll_timing = data[1]
	var parsed: Array[Dictionary] = []
	var skipped := 0
	for task in data[2]:
		var row := parse_task(task)
		if row.is_empty():
			skipped += 1
		else:
			parsed.append(row)
	rows = parsed
	if skipped > 0:
		problem = "%d task(s) had an unexpected shape and are not shown" % skipped
	return true


## One task's row: the game's dictionary, checked, with `awaiting_text` (one line) and `poll_ms` (-1.0 if
## not timed) added. Empty if a field is missing or has the wrong type.
static func parse_task(task: Variant) -> Dictionary:
	if typeof(task) != TYPE_DICTIONARY:
		return {}
	var types := {
		"id": TYPE_INT, "name": TYPE_STRING, "state": TYPE_STRING, "spawned_at": TYPE_STRING,
		"age_frames": TYPE_INT, "polls": TYPE_INT, "poll_usec": TYPE_INT, "awaiting": TYPE_PACKED_STRING_ARRAY,
	}
	for key in types:
		if not task.has(key) or typeof(task[key]) != types[key]:
			return {}
	var row: Dictionary = task.duplicate()
	row["awaiting_text"] = ", ".join(task["awaiting"]) if not task["awaiting"].is_empty() else "-"
	row["poll_ms"] = task["poll_usec"] / 1000.0 if task["poll_usec"] >= 0 else -1.0
	row["label"] = task["name"] if task["name"] != "" else "(unnamed)"
	return row


## The rows sorted by `key` (`id`, `label`, `state`, `age_frames`, `polls`, `poll_usec`, `awaiting_text` or
## `spawned_at`), ascending or descending; ties keep id order.
func sorted_rows(key: String, ascending: bool) -> Array[Dictionary]:
	var result := rows.duplicate()
	result.sort_custom(func(a: Dictionary, b: Dictionary) -> bool:
		if a[key] == b[key]:
			return a["id"] < b["id"]
		return (a[key] < b[key]) == ascending)
	return result


## The rows as a text table (what the panel's Copy button puts on the clipboard, for a bug report).
func as_text(key: String, ascending: bool, poll_time := true) -> String:
	var header := ["ID", "Task", "State", "Age", "Polls"]
	if poll_time:
		header.append("Poll ms")
	header.append_array(["Awaiting", "Spawned at"])
	var table: Array = [header]
	for row in sorted_rows(key, ascending):
		var line := ["#%d" % row["id"], row["label"], row["state"], str(row["age_frames"]), str(row["polls"])]
		if poll_time:
			line.append("%.3f" % row["poll_ms"] if row["poll_ms"] >= 0.0 else "-")
		line.append_array([row["awaiting_text"], row["spawned_at"]])
		table.append(line)
	var widths := []
	widths.resize(header.size())
	widths.fill(0)
	for line in table:
		for i in line.size():
			widths[i] = maxi(widths[i], line[i].length())
	var out := PackedStringArray()
	for line in table:
		var cells := PackedStringArray()
		for i in line.size():
			cells.append(line[i].rpad(widths[i]) if i < line.size() - 1 else line[i])
		out.append("  ".join(cells))
	return "\n".join(out)
