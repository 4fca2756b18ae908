//! Waking a batch of wakers with [`Executor::wake_all`] allocates nothing, whatever else the batch holds.

use std::cell::RefCell;
use std::rc::Rc;
use std::task::{Poll, Waker};

use godot_tasks_executor::Executor;

#[path = "common/counting_allocator.rs"]
mod counting_allocator;

use counting_allocator::{CountingAllocator, NoopHost, allocations};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// A service's batch may hold other wakers beside the executor's own (a foreign executor's, or the no-op waker
/// a dropped wait leaves behind): waking the batch still allocates nothing, and the other wakers are woken in
/// order.
#[test]
fn waking_a_mixed_batch_allocates_nothing() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake;

    struct Foreign {
        order: Arc<AtomicUsize>,
        woken_at: AtomicUsize,
    }
    impl Wake for Foreign {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.woken_at.store(self.order.fetch_add(1, Ordering::Relaxed) + 1, Ordering::Relaxed);
        }
    }

    let executor = Executor::new(NoopHost);
    let latest: Rc<RefCell<Option<Waker>>> = Rc::default();
    let store = latest.clone();
    let polls = Rc::new(std::cell::Cell::new(0));
    let counted = polls.clone();
    let _task = executor.spawn(std::future::poll_fn(move |cx| {
        counted.set(counted.get() + 1);
        *store.borrow_mut() = Some(cx.waker().clone());
        Poll::<()>::Pending
    }));
    let _ = executor.flush();
    let order = Arc::new(AtomicUsize::new(0));
    let first = Arc::new(Foreign { order: order.clone(), woken_at: AtomicUsize::new(0) });
    let second = Arc::new(Foreign { order: order.clone(), woken_at: AtomicUsize::new(0) });
    let (first_waker, second_waker) = (Waker::from(first.clone()), Waker::from(second.clone()));
    let mut batch = Vec::with_capacity(4);

    let mut before = allocations();
    for round in 1..=101 {
        if round == 2 {
            before = allocations(); // the first round was the warm-up: the queue's capacity
        }
        let ours = latest.borrow_mut().take().expect("the task stored its waker");
        batch.extend([first_waker.clone(), Waker::noop().clone(), ours, second_waker.clone()]);
        Executor::wake_all(&mut batch);
        assert!(batch.is_empty());
        assert!(first.woken_at.load(Ordering::Relaxed) < second.woken_at.load(Ordering::Relaxed), "in order");
        let _ = executor.flush();
        assert_eq!(polls.get(), round + 1);
    }
    let allocations = allocations() - before;
    assert_eq!(allocations, 0, "100 mixed batches (after one) allocated {allocations} times");
}
