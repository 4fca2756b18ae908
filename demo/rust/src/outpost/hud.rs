//! The HUD's task list: what `runtime::tasks()` says, four times a second.

use std::time::Duration;

use godot::classes::Label;
use godot::prelude::*;
use godot_tasks::runtime;
use godot_tasks::time;

/// Rows shown; the rest are counted.
const ROWS: usize = 11;
/// Characters of "what it awaits" shown per row.
const AWAITING_WIDTH: usize = 34;

/// Keeps `label` showing the live tasks: name, state and what each awaits.
pub async fn list_tasks(mut label: Gd<Label>) {
    let mut refresh = time::ticker(Duration::from_millis(250));
    loop {
        let tasks = runtime::tasks();
        let mut text = format!("live tasks: {}   (runtime::tasks())\n", tasks.len());
        for task in tasks.iter().take(ROWS) {
            let name = task.name.as_deref().unwrap_or("(unnamed)");
            let awaiting = task.awaiting.first().map_or_else(|| "-".to_owned(), ToString::to_string);
            let awaiting: String = awaiting.chars().take(AWAITING_WIDTH).collect();
            text.push_str(&format!("{name}  [{}]  {awaiting}\n", task.state));
        }
        if tasks.len() > ROWS {
            text.push_str(&format!("… and {} more", tasks.len() - ROWS));
        }
        label.set_text(&text);
        refresh.tick().await;
    }
}
