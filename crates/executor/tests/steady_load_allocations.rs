//! A steady load does not make the executor shrink and regrow its buffers: once warm, every frame allocates
//! exactly what its new tasks need and nothing else.

use godot_tasks_executor::{Capacities, Executor};

#[path = "common/counting_allocator.rs"]
mod counting_allocator;

use counting_allocator::{CountingAllocator, NoopHost, allocations};

mod common;
use common::yield_now;

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

#[test]
#[cfg_attr(miri, ignore = "a quarter of a million spawns; the trimming code runs under miri in tests/memory.rs")]
fn steady_load_allocates_only_its_tasks_every_frame() {
    // Far above the floor, so that the buffers would be worth shrinking between frames, when no task is alive.
    let tasks_per_frame = 4_000;
    // Four ticks a frame: four checks of the trimming policy.
    let frames = Capacities::TRIM_INTERVAL as usize;
    let executor = Executor::new(NoopHost);
    let mut allocations_per_frame = Vec::with_capacity(frames);

    for _ in 0..frames + 2 {
        let before = allocations();
        executor.start_frame();
        for _ in 0..tasks_per_frame {
            executor.spawn(yield_now()).detach();
        }
        let _ = executor.flush(); // the deferred flush: every task runs to its end
        let _ = executor.flush(); // two physics ticks, with nothing to do
        let _ = executor.flush();
        assert_eq!(executor.task_count(), 0);
        allocations_per_frame.push(allocations() - before);
    }

    // The first two frames warm the buffers up (the spawn queue and the flush's batch trade buffers at every
    // flush, so each grows once). Every later one allocates one task (header, future and output together) per
    // task, and nothing else.
    allocations_per_frame.drain(..2);
    assert_eq!(allocations_per_frame, vec![tasks_per_frame; frames]);
}
