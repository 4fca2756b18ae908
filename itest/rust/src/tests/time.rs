//! Time and frames: exact frame counts, sleeps that end in the right frame under any time scale and pause,
//! physics ticks, timeouts, tickers without drift.

use std::cell::{Cell, RefCell};
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use godot::classes::Engine;
use godot::prelude::*;
use godot_tasks::time::{self, Clock, Elapsed};

use crate::harness::{frame, next_frame, run_task, tree};
use crate::{ensure, ensure_eq, tests};

tests![
    next_frame_resumes_exactly_one_frame_later,
    frames_n_resume_exactly_n_frames_later,
    yield_now_lets_others_run_in_the_same_frame,
    game_sleep_ends_in_the_first_frame_reaching_the_deadline_at_time_scale_1,
    game_sleep_ends_in_the_first_frame_reaching_the_deadline_at_time_scale_half,
    game_sleep_ends_in_the_first_frame_reaching_the_deadline_at_time_scale_2,
    unscaled_sleep_ignores_time_scale,
    pausable_clocks_stop_while_paused_and_resume_after,
    during_pause_clocks_and_realtime_run_while_paused,
    physics_waits_count_physics_ticks,
    physics_sleep_ends_in_the_first_tick_reaching_the_deadline,
    physics_unscaled_sleep_ignores_the_time_scale,
    timeout_fires_on_time_and_drops_the_inner_future,
    timeout_gives_the_output_when_the_future_wins,
    ticker_over_100_ticks_does_not_drift,
    wait_until_checks_once_per_frame,
    sleep_until_a_deadline,
    realtime_sleep_counts_from_when_it_is_made,
    frame_wait_made_during_physics_counts_process_frames,
    time_works_after_a_runtime_shutdown,
    a_non_finite_time_scale_for_one_frame_does_not_end_later_sleeps,
    a_dropped_next_frame_wait_does_not_wake_its_task,
    next_frame_waits_poll_nothing_while_paused,
    a_next_frame_wait_moved_to_another_task_wakes_that_task,
    next_frame_waits_polled_outside_tasks_survive_a_shutdown,
];

fn process_delta() -> f64 {
    tree().get_root().expect("a root").get_process_delta_time()
}

async fn next_frame_resumes_exactly_one_frame_later() -> Result<(), String> {
    let (made, resumed) = run_task(async {
        let made = frame();
        time::next_frame().await;
        (made, frame())
    })
    .await?;
    ensure_eq!(resumed, made + 1);
    Ok(())
}

async fn frames_n_resume_exactly_n_frames_later() -> Result<(), String> {
    for n in [0_u64, 1, 2, 5] {
        let (made, resumed) = run_task(async move {
            let made = frame();
            time::frames(n).await;
            (made, frame())
        })
        .await?;
        ensure_eq!(resumed - made, n);
    }
    Ok(())
}

async fn yield_now_lets_others_run_in_the_same_frame() -> Result<(), String> {
    let order = Rc::new(RefCell::new(Vec::new()));
    let (a, b) = (order.clone(), order.clone());
    let first = godot_tasks::spawn(async move {
        a.borrow_mut().push(("first before", frame()));
        godot_tasks::yield_now().await;
        a.borrow_mut().push(("first after", frame()));
    });
    let second = godot_tasks::spawn(async move { b.borrow_mut().push(("second", frame())) });
    first.await.map_err(|e| e.to_string())?;
    second.await.map_err(|e| e.to_string())?;
    let order = order.borrow();
    let names: Vec<&str> = order.iter().map(|(name, _)| *name).collect();
    ensure_eq!(names, vec!["first before", "second", "first after"]);
    ensure!(order.iter().all(|(_, f)| *f == order[0].1), "not all in one frame: {order:?}");
    Ok(())
}

/// Sleeps `seconds` of `clock` and checks that the task resumed in the first frame in which the time
/// accumulated the same way (by the test, from each frame's delta) reached the deadline.
async fn check_sleep(clock: Clock, seconds: f64, delta_of_frame: impl Fn() -> f64) -> Result<(), String> {
    let resumed_in = Rc::new(Cell::new(None));
    let seen = resumed_in.clone();
    let start = clock.now().seconds();
    godot_tasks::spawn(async move {
        clock.sleep(Duration::from_secs_f64(seconds)).await;
        seen.set(Some(frame()));
    })
    .detach();
    let deadline = start + seconds;
    let mut accumulated = start;
    for _ in 0..500 {
        next_frame().await;
        accumulated += delta_of_frame();
        let reached = accumulated >= deadline;
        match resumed_in.get() {
            Some(resumed) if reached => {
                ensure_eq!(resumed, frame());
                return Ok(());
            }
            Some(resumed) => return Err(format!("resumed in frame {resumed} before the deadline was reached")),
            None if reached => {
                return Err(format!("deadline reached in frame {} but the task did not resume in it", frame()));
            }
            None => {}
        }
    }
    Err("the sleep never ended".to_owned())
}

async fn game_sleep_at_scale(scale: f64) -> Result<(), String> {
    Engine::singleton().set_time_scale(scale);
    let result = check_sleep(Clock::GAME, 0.04, process_delta).await;
    Engine::singleton().set_time_scale(1.0);
    result
}

async fn game_sleep_ends_in_the_first_frame_reaching_the_deadline_at_time_scale_1() -> Result<(), String> {
    game_sleep_at_scale(1.0).await
}

async fn game_sleep_ends_in_the_first_frame_reaching_the_deadline_at_time_scale_half() -> Result<(), String> {
    game_sleep_at_scale(0.5).await
}

async fn game_sleep_ends_in_the_first_frame_reaching_the_deadline_at_time_scale_2() -> Result<(), String> {
    game_sleep_at_scale(2.0).await
}

async fn unscaled_sleep_ignores_time_scale() -> Result<(), String> {
    Engine::singleton().set_time_scale(0.25);
    let result = check_sleep(Clock::UNSCALED, 0.03, || process_delta() / 0.25).await;
    Engine::singleton().set_time_scale(1.0);
    result
}

async fn pausable_clocks_stop_while_paused_and_resume_after() -> Result<(), String> {
    for clock in [Clock::GAME, Clock::UNSCALED] {
        let done = Rc::new(Cell::new(false));
        let seen = done.clone();
        let start = clock.now().seconds();
        godot_tasks::spawn(async move {
            clock.sleep(Duration::from_millis(20)).await;
            seen.set(true);
        })
        .detach();
        tree().set_pause(true);
        for _ in 0..20 {
            next_frame().await; // 20 frames of several ms each: well past 20 ms of wall time
        }
        let frozen = clock.now().seconds();
        tree().set_pause(false);
        ensure!(!done.get(), "{clock:?}: the sleep ended while the tree was paused");
        ensure_eq!(frozen, start);
        // After unpausing, the same accounting as an unpaused sleep.
        let mut accumulated = start;
        let mut frames = 0;
        while !done.get() && frames < 200 {
            next_frame().await;
            accumulated += process_delta();
            frames += 1;
        }
        ensure!(done.get(), "{clock:?}: never resumed after unpausing");
        ensure!(accumulated >= start + 0.02, "{clock:?}: resumed early");
    }
    Ok(())
}

async fn during_pause_clocks_and_realtime_run_while_paused() -> Result<(), String> {
    tree().set_pause(true);
    let outcome = async {
        for clock in [Clock::GAME.during_pause(), Clock::UNSCALED.during_pause(), Clock::REALTIME] {
            let done = Rc::new(Cell::new(false));
            let seen = done.clone();
            godot_tasks::spawn(async move {
                clock.sleep(Duration::from_millis(15)).await;
                clock.frames(2).await;
                seen.set(true);
            })
            .detach();
            let mut frames = 0;
            while !done.get() && frames < 200 {
                next_frame().await;
                frames += 1;
            }
            ensure!(done.get(), "{clock:?} did not run while the tree was paused");
        }
        Ok(())
    }
    .await;
    tree().set_pause(false);
    outcome
}

async fn physics_waits_count_physics_ticks() -> Result<(), String> {
    let mut engine = Engine::singleton();
    let rate = engine.get_physics_ticks_per_second();
    engine.set_physics_ticks_per_second(24); // far fewer ticks than headless frames
    let result = async {
        for n in [1_u64, 3] {
            let (before, after, frames) = run_task(async move {
                let (before, made_in) = (Engine::singleton().get_physics_frames(), frame());
                time::physics_frames(n).await;
                (before, Engine::singleton().get_physics_frames(), frame() - made_in)
            })
            .await?;
            ensure_eq!(after - before, n);
            ensure!(frames >= n, "{n} physics ticks took only {frames} frames at 24 ticks per second");
        }
        let (before, after) = run_task(async {
            let before = Engine::singleton().get_physics_frames();
            time::next_physics_frame().await;
            (before, Engine::singleton().get_physics_frames())
        })
        .await?;
        ensure_eq!(after, before + 1);
        Ok(())
    }
    .await;
    engine.set_physics_ticks_per_second(rate);
    result
}

/// At time scale 4, PHYSICS_UNSCALED counts each tick as its unscaled length, PHYSICS as four times that.
async fn physics_unscaled_sleep_ignores_the_time_scale() -> Result<(), String> {
    let mut engine = Engine::singleton();
    let rate = engine.get_physics_ticks_per_second();
    engine.set_physics_ticks_per_second(30);
    engine.set_time_scale(4.0);
    let result = run_task(async {
        let ticks_of = async |clock: Clock| {
            let before = Engine::singleton().get_physics_frames();
            clock.sleep(Duration::from_secs_f64(0.2)).await;
            Engine::singleton().get_physics_frames() - before
        };
        (ticks_of(Clock::PHYSICS_UNSCALED).await, ticks_of(Clock::PHYSICS).await)
    })
    .await;
    engine.set_time_scale(1.0);
    engine.set_physics_ticks_per_second(rate);
    let (unscaled, scaled) = result?;
    // 0.2 s of 1/30 s ticks: 6 (or 7 where the sum of six lands a hair short in floating point).
    ensure!((6..=7).contains(&unscaled), "unscaled: {unscaled} ticks");
    ensure!((2..=3).contains(&scaled), "scaled: {scaled} ticks");
    Ok(())
}

async fn physics_sleep_ends_in_the_first_tick_reaching_the_deadline() -> Result<(), String> {
    let mut engine = Engine::singleton();
    let rate = engine.get_physics_ticks_per_second();
    engine.set_physics_ticks_per_second(30);
    let result = run_task(async {
        let tick = 1.0 / 30.0;
        let start = Clock::PHYSICS.now().seconds();
        let before = Engine::singleton().get_physics_frames();
        Clock::PHYSICS.sleep(Duration::from_secs_f64(0.1)).await;
        let ticks = Engine::singleton().get_physics_frames() - before;
        // The first tick whose accumulated time reaches the deadline.
        let mut expected = 0;
        let mut accumulated = start;
        while accumulated < start + 0.1 {
            accumulated += tick;
            expected += 1;
        }
        (ticks, expected)
    })
    .await;
    engine.set_physics_ticks_per_second(rate);
    let (ticks, expected) = result?;
    ensure_eq!(ticks, expected);
    Ok(())
}

struct DropFlag(Rc<Cell<bool>>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.set(true);
    }
}

async fn timeout_fires_on_time_and_drops_the_inner_future() -> Result<(), String> {
    let dropped = Rc::new(Cell::new(false));
    let flag = DropFlag(dropped.clone());
    let seen = dropped.clone();
    let (outcome, dropped_at_resolution, start, end) = run_task(async move {
        let start = Clock::GAME.now().seconds();
        let inner = async move {
            let _flag = flag;
            std::future::pending::<()>().await;
        };
        let outcome = time::timeout(Duration::from_millis(30), inner).await;
        (outcome, seen.get(), start, Clock::GAME.now().seconds())
    })
    .await?;
    ensure!(matches!(outcome, Err(Elapsed { .. })), "{outcome:?}");
    ensure!(dropped_at_resolution, "the inner future outlived the timeout");
    ensure!(end >= start + 0.03, "fired early: {start} -> {end}");
    ensure!(end < start + 0.03 + 0.1, "fired late: {start} -> {end}");
    Ok(())
}

async fn timeout_gives_the_output_when_the_future_wins() -> Result<(), String> {
    let outcome = run_task(time::timeout(Duration::from_secs(10), async {
        time::frames(2).await;
        7
    }))
    .await?;
    ensure_eq!(outcome, Ok(7));
    Ok(())
}

async fn ticker_over_100_ticks_does_not_drift() -> Result<(), String> {
    const PERIOD: f64 = 0.005;
    let (start, ticks) = run_task(async {
        let start = Clock::GAME.now().seconds();
        let mut ticker = time::ticker(Duration::from_secs_f64(PERIOD));
        let mut ticks = Vec::new();
        for _ in 0..100 {
            let number = ticker.tick().await;
            ticks.push((number, Clock::GAME.now().seconds(), process_delta()));
        }
        (start, ticks)
    })
    .await?;
    for (k, (number, now, delta)) in ticks.iter().enumerate() {
        let due = start + *number as f64 * PERIOD;
        ensure!(*now >= due, "tick {k} (number {number}) came early: {now} < {due}");
        ensure!(*now - due < *delta + 1e-9, "tick {k} (number {number}) came a frame late: {now} vs {due}");
    }
    ensure_eq!(ticks.last().map(|t| t.0 >= 100), Some(true));
    Ok(())
}

async fn wait_until_checks_once_per_frame() -> Result<(), String> {
    let flag = Rc::new(Cell::new(false));
    let checks = Rc::new(Cell::new(0));
    let (f, c) = (flag.clone(), checks.clone());
    let waiting = godot_tasks::spawn(time::wait_until(move || {
        c.set(c.get() + 1);
        f.get()
    }));
    for _ in 0..3 {
        next_frame().await;
    }
    ensure!(!waiting.is_finished());
    let checked = checks.get();
    ensure!((3..=5).contains(&checked), "checked {checked} times in about 3 frames");
    flag.set(true);
    next_frame().await;
    next_frame().await;
    ensure!(waiting.is_finished());
    Ok(())
}

async fn sleep_until_a_deadline() -> Result<(), String> {
    let deadline = Clock::GAME.now() + Duration::from_millis(20);
    let reached = run_task(async move {
        time::sleep_until(deadline).await;
        Clock::GAME.now().seconds()
    })
    .await?;
    ensure!(reached >= deadline.seconds());
    Ok(())
}

async fn realtime_sleep_counts_from_when_it_is_made() -> Result<(), String> {
    let (slept, asked) = run_task(async {
        next_frame_start().await;
        // A long frame: the sleep is made 40 ms after the frame started.
        let busy = std::time::Instant::now();
        while busy.elapsed() < Duration::from_millis(40) {}
        let made = std::time::Instant::now();
        Clock::REALTIME.sleep(Duration::from_millis(30)).await;
        (made.elapsed(), Duration::from_millis(30))
    })
    .await?;
    ensure!(slept >= asked, "a 30 ms wall-clock sleep ended after {slept:?}");
    Ok(())
}

/// Resumes at the start of the next frame (from the runtime's frame hook).
async fn next_frame_start() {
    time::next_frame().await;
}

async fn frame_wait_made_during_physics_counts_process_frames() -> Result<(), String> {
    for n in [1_u64, 2] {
        let (made, resumed) = run_task(async move {
            time::next_physics_frame().await; // resumed by the physics hook, before this iteration's process
            let made = frame();
            time::frames(n).await;
            (made, frame())
        })
        .await?;
        ensure_eq!(resumed - made, n);
    }
    Ok(())
}

async fn time_works_after_a_runtime_shutdown() -> Result<(), String> {
    let before = run_task(async { Clock::GAME.now().seconds() }).await?;
    godot_tasks::runtime::shutdown();
    let (made, resumed, physics_ticks) = run_task(async {
        let made = frame();
        time::sleep(Duration::from_millis(10)).await;
        time::next_frame().await;
        let ticks = Engine::singleton().get_physics_frames();
        time::physics_frames(2).await;
        (made, frame(), Engine::singleton().get_physics_frames() - ticks)
    })
    .await?;
    ensure!(resumed > made);
    ensure_eq!(physics_ticks, 2);
    ensure!(Clock::GAME.now().seconds() > before, "game time stopped counting after the restart");
    Ok(())
}

/// A frame with a NaN or infinite `Engine.time_scale` passes no game time (and no unscaled time beyond the
/// wall clock's): sleeps made after it still wait.
async fn a_non_finite_time_scale_for_one_frame_does_not_end_later_sleeps() -> Result<(), String> {
    for scale in [f64::NAN, f64::INFINITY] {
        // Make sure the time hooks run, then give one frame the broken scale.
        time::next_frame().await;
        Engine::singleton().set_time_scale(scale);
        time::next_frame().await;
        time::next_frame().await;
        Engine::singleton().set_time_scale(1.0);
        let game = godot_tasks::spawn(time::sleep(Duration::from_secs(30)));
        let unscaled = godot_tasks::spawn(Clock::UNSCALED.sleep(Duration::from_secs(30)));
        time::frames(3).await;
        ensure!(!game.is_finished(), "a game sleep made after a time scale of {scale} ended at once");
        ensure!(!unscaled.is_finished(), "an unscaled sleep made after a time scale of {scale} ended at once");
        game.cancel();
        unscaled.cancel();
    }
    Ok(())
}

/// Pending until `stop` is set, counting its polls in `polls`.
async fn pending_counting_polls(polls: Rc<Cell<u32>>, stop: Rc<Cell<bool>>) {
    poll_fn(|_| {
        polls.set(polls.get() + 1);
        if stop.get() { Poll::Ready(()) } else { Poll::Pending }
    })
    .await;
}

/// Polls `future` once with the task's waker and gives up on it (as `select!` does with a losing branch).
async fn poll_once<F: Future>(future: F) -> Option<F::Output> {
    let mut future = pin!(future);
    poll_fn(|cx| {
        Poll::Ready(match future.as_mut().poll(cx) {
            Poll::Ready(output) => Some(output),
            Poll::Pending => None,
        })
    })
    .await
}

/// A next-frame wait dropped before its frame takes its waker out of the frame's list: its task, now waiting
/// for something else, is not polled when that frame comes.
async fn a_dropped_next_frame_wait_does_not_wake_its_task() -> Result<(), String> {
    let (polls, stop) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(false)));
    let (counted, stopped) = (polls.clone(), stop.clone());
    let task = godot_tasks::spawn(async move {
        ensure!(poll_once(time::next_frame()).await.is_none(), "a next-frame wait was ready at once");
        ensure!(poll_once(time::physics_frames(1)).await.is_none(), "a physics wait was ready at once");
        pending_counting_polls(counted, stopped).await;
        Ok(())
    });
    for _ in 0..4 {
        next_frame().await;
    }
    ensure_eq!(polls.get(), 1);
    stop.set(true);
    task.cancel();
    Ok(())
}

/// A pausable next-frame wait is not woken while the tree is paused (its frames do not count), so its task
/// is not polled either; a wait that runs during pause goes on.
async fn next_frame_waits_poll_nothing_while_paused() -> Result<(), String> {
    let polls = [Rc::new(Cell::new(0_u32)), Rc::new(Cell::new(0_u32))];
    let mut tasks = Vec::new();
    for (counted, clock) in polls.iter().cloned().zip([Clock::GAME, Clock::GAME.during_pause()]) {
        let mut waiting = Box::pin(async move {
            loop {
                clock.frames(1).await;
            }
        });
        tasks.push(godot_tasks::spawn(poll_fn(move |cx| {
            counted.set(counted.get() + 1);
            waiting.as_mut().poll(cx)
        })));
    }
    next_frame().await;
    tree().set_pause(true);
    next_frame().await;
    let before = [polls[0].get(), polls[1].get()];
    for _ in 0..5 {
        next_frame().await;
    }
    let paused = [polls[0].get() - before[0], polls[1].get() - before[1]];
    tree().set_pause(false);
    for _ in 0..3 {
        next_frame().await;
    }
    let after = polls[0].get() - before[0] - paused[0];
    tasks.iter().for_each(|task| task.cancel());
    ensure_eq!(paused[0], 0);
    ensure!(paused[1] >= 4, "the during-pause wait was polled {} times in 5 paused frames", paused[1]);
    ensure!(after >= 2, "the pausable wait was polled {after} times in 3 frames after the pause");
    Ok(())
}

/// A next-frame wait polled by one task and then awaited by another wakes the one that polled it last.
async fn a_next_frame_wait_moved_to_another_task_wakes_that_task() -> Result<(), String> {
    type Handed = Rc<RefCell<Option<Pin<Box<time::FrameWait>>>>>;
    let handed: Handed = Rc::default();
    let (first_polls, stop) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(false)));
    let (give, counted, stopped) = (handed.clone(), first_polls.clone(), stop.clone());
    let first = godot_tasks::spawn(async move {
        let mut wait = Box::pin(time::next_frame());
        let pending = poll_fn(|cx| Poll::Ready(wait.as_mut().poll(cx).is_pending())).await;
        *give.borrow_mut() = Some(wait);
        pending_counting_polls(counted, stopped).await;
        pending
    });
    let take = handed.clone();
    let second = godot_tasks::spawn(async move {
        let wait = take.borrow_mut().take();
        match wait {
            Some(wait) => {
                let made = frame();
                wait.await;
                Ok(frame() - made)
            }
            None => Err("the first task had not handed the wait over".to_owned()),
        }
    });
    let frames = second.await.map_err(|error| error.to_string())??;
    next_frame().await;
    ensure!(frames <= 1, "the moved wait resumed {frames} frames later");
    ensure_eq!(first_polls.get(), 1);
    stop.set(true);
    first.cancel();
    Ok(())
}

struct CountWakes(AtomicUsize);

impl Wake for CountWakes {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// Next-frame waits polled outside any task (with a foreign waker) across a runtime shutdown: the shutdown
/// drops the first wait's waker, a wait made after it is listed anew, and dropping the first one then leaves
/// the second one's waker alone.
async fn next_frame_waits_polled_outside_tasks_survive_a_shutdown() -> Result<(), String> {
    let wakes = [Arc::new(CountWakes(AtomicUsize::new(0))), Arc::new(CountWakes(AtomicUsize::new(0)))];
    let wakers = wakes.clone().map(Waker::from);
    let mut first = Box::pin(time::next_frame());
    ensure!(first.as_mut().poll(&mut Context::from_waker(&wakers[0])).is_pending());
    godot_tasks::runtime::shutdown();
    ensure_eq!(Arc::strong_count(&wakes[0]), 2); // the list's clone was dropped
    let mut second = Box::pin(time::next_frame());
    ensure!(second.as_mut().poll(&mut Context::from_waker(&wakers[1])).is_pending());
    drop(first);
    ensure_eq!(Arc::strong_count(&wakes[1]), 3);
    next_frame().await;
    ensure_eq!(wakes[0].0.load(Ordering::Relaxed), 0);
    ensure_eq!(wakes[1].0.load(Ordering::Relaxed), 1);
    ensure!(second.as_mut().poll(&mut Context::from_waker(&wakers[1])).is_ready());
    Ok(())
}
