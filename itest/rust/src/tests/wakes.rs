//! Waking: coalescing, other threads, the round budget, stale wakes.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Poll, Waker};

use super::support::{SharedWaker, spinner};
use crate::harness::{frame, frames, next_frame, wait_until};
use crate::{ensure, ensure_eq, tests};

tests![
    many_wakes_before_a_flush_cause_one_poll,
    wake_from_another_thread_resumes_on_the_main_thread,
    self_waking_task_cannot_freeze_the_frame,
    round_budget_is_per_frame_even_with_many_physics_ticks,
    wake_after_completion_is_a_no_op,
];

async fn many_wakes_before_a_flush_cause_one_poll() -> Result<(), String> {
    let polls = Rc::new(Cell::new(0));
    let latest: Rc<RefCell<Option<Waker>>> = Rc::default();
    let (counter, store) = (polls.clone(), latest.clone());
    let handle = godot_tasks::spawn(std::future::poll_fn(move |cx| {
        counter.set(counter.get() + 1);
        *store.borrow_mut() = Some(cx.waker().clone());
        Poll::<()>::Pending
    }))
    .cancel_on_drop();
    next_frame().await;
    ensure_eq!(polls.get(), 1);
    let waker = latest.borrow().clone().ok_or("no waker stored")?;
    for _ in 0..1000 {
        waker.wake_by_ref();
    }
    next_frame().await;
    ensure_eq!(polls.get(), 2);
    drop(handle);
    Ok(())
}

async fn wake_from_another_thread_resumes_on_the_main_thread() -> Result<(), String> {
    let shared = SharedWaker::default();
    let go = Arc::new(AtomicBool::new(false));
    let resumed = Rc::new(Cell::new(None));
    let (store, flag, out) = (shared.clone(), go.clone(), resumed.clone());
    godot_tasks::spawn(async move {
        std::future::poll_fn(|cx| {
            if flag.load(Ordering::Acquire) {
                return Poll::Ready(());
            }
            store.store(cx.waker());
            Poll::Pending
        })
        .await;
        out.set(Some((godot::init::is_main_thread(), frame())));
    })
    .detach();
    next_frame().await;
    let woken_in = frame();
    std::thread::spawn(move || {
        go.store(true, Ordering::Release);
        shared.wake();
    })
    .join()
    .map_err(|_| "waking thread died")?;
    wait_until(3, "the task resumed", || resumed.get().is_some()).await?;
    let (on_main, frame) = resumed.get().expect("checked");
    ensure!(on_main, "resumed off the main thread");
    ensure!(frame <= woken_in + 1, "resumed in frame {frame}, woken in {woken_in}: later than the next frame");
    Ok(())
}

async fn self_waking_task_cannot_freeze_the_frame() -> Result<(), String> {
    let (handle, polls) = spinner();
    let handle = handle.cancel_on_drop();
    frames(3).await;
    let budget = godot_tasks::runtime::DEFAULT_ROUND_BUDGET;
    ensure!(polls.get() > 0, "never polled");
    ensure!(polls.get() <= 4 * budget, "polled {} times in 3 frames; budget is {budget} per flush", polls.get());
    drop(handle);
    Ok(())
}

/// Physics ticks flush too; with many of them per frame, a self-waking task still gets at most the budget's
/// rounds per frame in all.
async fn round_budget_is_per_frame_even_with_many_physics_ticks() -> Result<(), String> {
    use godot::classes::Engine;
    use godot::obj::Singleton;
    const BUDGET: u32 = 8;
    const FRAMES: u32 = 10;
    let ticks = Engine::singleton().get_physics_ticks_per_second();
    let steps = Engine::singleton().get_max_physics_steps_per_frame();
    Engine::singleton().set_physics_ticks_per_second(2000);
    Engine::singleton().set_max_physics_steps_per_frame(8);
    godot_tasks::runtime::set_round_budget(BUDGET);
    godot_tasks::time::next_physics_frame().await; // the physics hook runs from here on
    let (spinner, polls) = spinner();
    let spinner = spinner.cancel_on_drop();
    let start = frame();
    frames(FRAMES).await;
    let (polled, elapsed) = (polls.get(), frame() - start);
    drop(spinner);
    godot_tasks::runtime::set_round_budget(godot_tasks::runtime::DEFAULT_ROUND_BUDGET);
    Engine::singleton().set_physics_ticks_per_second(ticks);
    Engine::singleton().set_max_physics_steps_per_frame(steps);
    // The frame it was spawned in may have had a budget of its own left.
    let most = BUDGET * (elapsed as u32 + 1);
    ensure!(polled <= most, "{polled} polls in {elapsed} frames: more than the budget of {BUDGET} per frame");
    ensure!(polled >= BUDGET * (elapsed as u32 - 1), "{polled} polls in {elapsed} frames: the budget was not used");
    Ok(())
}

async fn wake_after_completion_is_a_no_op() -> Result<(), String> {
    let shared = SharedWaker::default();
    let store = shared.clone();
    let handle = godot_tasks::spawn(std::future::poll_fn(move |cx| {
        store.store(cx.waker());
        Poll::Ready(())
    }));
    next_frame().await;
    ensure!(handle.is_finished());
    shared.wake();
    std::thread::spawn(move || shared.wake()).join().map_err(|_| "waking thread died")?;
    next_frame().await;
    ensure!(handle.is_finished());
    Ok(())
}
