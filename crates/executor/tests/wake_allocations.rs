//! Waking a task allocates nothing, and neither does the flush that polls it (once warmed up).

use std::cell::RefCell;
use std::rc::Rc;
use std::task::{Poll, Waker};

use godot_tasks_executor::Executor;

#[path = "common/counting_allocator.rs"]
mod counting_allocator;

use counting_allocator::{CountingAllocator, NoopHost, allocations};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

#[test]
fn waking_and_flushing_a_warm_task_allocates_nothing() {
    let executor = Executor::new(NoopHost);
    let latest: Rc<RefCell<Option<Waker>>> = Rc::default();
    let store = latest.clone();
    let _task = executor.spawn(std::future::poll_fn(move |cx| {
        let mut slot = store.borrow_mut();
        if !slot.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            *slot = Some(cx.waker().clone());
        }
        Poll::<()>::Pending
    }));
    let _ = executor.flush(); // Warm-up: first poll, queue capacity.
    let waker = latest.borrow().clone().expect("the task stored its waker");
    waker.wake_by_ref();
    let _ = executor.flush();

    let before = allocations();
    for _ in 0..1000 {
        waker.wake_by_ref();
        waker.wake_by_ref();
        let _ = executor.flush();
    }
    let allocations = allocations() - before;
    assert_eq!(allocations, 0, "1,000 wake-and-flush cycles allocated {allocations} times");
}
