//! Waking a task allocates nothing, and neither does the flush that polls it (once warmed up).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Poll, Waker};

use godot_tasks_executor::{Executor, Host};

struct CountingAllocator;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call unchanged to the system allocator; counting has no effect on the memory.
#[allow(unsafe_code)] // The one exception: a counting allocator needs `unsafe impl GlobalAlloc`.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which `System` shares.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` through `alloc` above, with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

struct NoopHost;

impl Host for NoopHost {
    fn request_flush(&self) {}
}

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

    let before = ALLOCATIONS.load(Ordering::Relaxed);
    for _ in 0..1000 {
        waker.wake_by_ref();
        waker.wake_by_ref();
        let _ = executor.flush();
    }
    let allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
    assert_eq!(allocations, 0, "1,000 wake-and-flush cycles allocated {allocations} times");
}
