//! A unit's patrol: walk the route's corners in a loop, pausing at each. One task per unit, bound to the
//! unit's node: when the node is freed the task is cancelled and never polled again, so the loop needs no
//! "is the unit still alive?" check.

use std::time::Duration;

use godot::classes::Node2D;
use godot::prelude::*;
use godot_tasks::time::{self, Clock};
use godot_tasks::{JoinHandle, TaskBuilder};

/// Walking speed, in pixels per second of game time.
const SPEED: f32 = 80.0;
/// The pause at each corner.
const PAUSE: Duration = Duration::from_millis(400);

/// Starts `unit`'s patrol along `route` (in its parent's coordinates); the task is named after the unit.
pub fn start(unit: Gd<Node2D>, route: Vec<Vector2>) -> JoinHandle<()> {
    let name = format!("patrol {}", unit.get_name());
    TaskBuilder::new().name(&name).bind(&unit).spawn(walk(unit, route))
}

async fn walk(mut unit: Gd<Node2D>, route: Vec<Vector2>) {
    let mut body = unit.get_node_as::<Node2D>("Body");
    for &corner in route.iter().cycle() {
        body.set_rotation((corner - unit.get_position()).angle());
        let mut last = Clock::GAME.now();
        loop {
            time::next_frame().await;
            let now = Clock::GAME.now();
            let step = SPEED * now.saturating_duration_since(last).as_secs_f32();
            last = now;
            let to_go = corner - unit.get_position();
            if to_go.length() <= step {
                unit.set_position(corner);
                break;
            }
            let next = unit.get_position() + to_go.normalized() * step;
            unit.set_position(next);
        }
        time::sleep(PAUSE).await;
    }
}
