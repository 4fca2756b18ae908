//! Threads: blocking work and `Send` futures offloaded to workers, awaited on the main thread; wake storms.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::time::Duration;

use godot_tasks::threads::{Offloaded, spawn_blocking, spawn_compute, spawn_send, spawn_tokio};

use crate::harness::{frame, frames, next_frame, run_task, wait_until};
use crate::{ensure, ensure_eq, tests};

tests![
    blocking_work_runs_on_a_worker_and_resumes_on_the_main_thread,
    panic_in_blocking_work_comes_back_as_an_error,
    result_of_work_whose_task_was_cancelled_is_dropped_on_the_worker,
    compute_work_runs_on_a_worker_and_resumes_on_the_main_thread,
    panic_in_compute_work_comes_back_as_an_error,
    result_of_compute_work_whose_task_was_cancelled_is_dropped_on_the_worker,
    compute_job_dropped_before_it_starts_is_skipped,
    send_future_runs_on_a_worker,
    eight_threads_waking_100000_times_each_lose_no_wake,
    tokio_tcp_echo_round_trip,
    tokio_timer_is_awaited_from_the_main_thread,
    shutdown_drops_queued_jobs_waits_for_running_ones_and_joins_every_pool_thread,
    shutdown_drops_a_send_future_still_waiting,
];

async fn blocking_work_runs_on_a_worker_and_resumes_on_the_main_thread() -> Result<(), String> {
    runs_on_a_worker_and_resumes_on_the_main_thread(|work| spawn_blocking(work)).await
}

async fn panic_in_blocking_work_comes_back_as_an_error() -> Result<(), String> {
    panic_comes_back_as_an_error(|work| spawn_blocking(work)).await
}

/// `spawn_blocking` or `spawn_compute`, called from a closure in this file (the place errors name).
type Offload<T> = fn(Box<dyn FnOnce() -> T + Send>) -> Offloaded<T>;

async fn runs_on_a_worker_and_resumes_on_the_main_thread(offload: Offload<(bool, i32)>) -> Result<(), String> {
    let (worker_was_main, resumed_on_main, value) = run_task(async move {
        let (was_main, value) = offload(Box::new(|| (godot::init::is_main_thread(), 40 + 2))).await.expect("no panic");
        (was_main, godot::init::is_main_thread(), value)
    })
    .await?;
    ensure!(!worker_was_main, "the work ran on the main thread");
    ensure!(resumed_on_main);
    ensure_eq!(value, 42);
    Ok(())
}

/// A panic on the worker comes back as an error naming where the work was offloaded (the closure passed as
/// `offload`, in this file), and the pool keeps working.
async fn panic_comes_back_as_an_error(
    offload: fn(Box<dyn FnOnce() -> u8 + Send>) -> Offloaded<u8>,
) -> Result<(), String> {
    let outcome = run_task(async move { offload(Box::new(|| panic!("itest-worker-panic"))).await }).await?;
    let error = outcome.err().ok_or("a panicking closure returned a value")?;
    ensure_eq!(error.panic_message(), Some("itest-worker-panic"));
    ensure!(!error.is_cancelled());
    ensure!(error.is_panic());
    ensure!(error.to_string().contains("tests/threads.rs:"), "{error}");
    let after = run_task(async move { offload(Box::new(|| 7)).await }).await?;
    ensure_eq!(after, Ok(7));
    Ok(())
}

/// Records on which thread it was dropped.
struct DropRecorder(Arc<Mutex<Option<bool>>>);

impl Drop for DropRecorder {
    fn drop(&mut self) {
        *self.0.lock().unwrap() = Some(godot::init::is_main_thread());
    }
}

async fn result_of_work_whose_task_was_cancelled_is_dropped_on_the_worker() -> Result<(), String> {
    result_dropped_on_the_worker_after_cancel(spawn_blocking).await
}

async fn result_of_compute_work_whose_task_was_cancelled_is_dropped_on_the_worker() -> Result<(), String> {
    result_dropped_on_the_worker_after_cancel(spawn_compute).await
}

/// Sets its flag when dropped: releases workers waiting on it even if a test returns early.
struct Release(Arc<AtomicBool>);

impl Drop for Release {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Spins the worker until `flag` is set.
fn wait_for(flag: &AtomicBool) {
    while !flag.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Work whose task is cancelled while it runs, and then (second round) after it finished but before the
/// task picked the result up: either way the result is dropped on a worker thread.
async fn result_dropped_on_the_worker_after_cancel(offload: Offload<DropRecorder>) -> Result<(), String> {
    // Cancelled while running: the work waits until the cancellation has happened.
    let dropped_on_main = Arc::new(Mutex::new(None));
    let (started, release) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
    let release_guard = Release(release.clone());
    let (record, started_flag) = (dropped_on_main.clone(), started.clone());
    let task = godot_tasks::spawn(async move {
        offload(Box::new(move || {
            started_flag.store(true, Ordering::SeqCst);
            wait_for(&release);
            DropRecorder(record)
        }))
        .await
    });
    wait_until(100, "the work started", || started.load(Ordering::SeqCst)).await?;
    task.cancel();
    next_frame().await;
    ensure!(task.is_finished());
    drop(release_guard);
    wait_until(200, "the running work's result was dropped", || dropped_on_main.lock().unwrap().is_some()).await?;
    ensure_eq!(*dropped_on_main.lock().unwrap(), Some(false)); // running work: its result stays on the worker

    // Cancelled after the work finished, before the task resumed: the task resumes only at the next frame
    // hook, so it cannot pick the result up while this frame blocks.
    let dropped_on_main = Arc::new(Mutex::new(None));
    let (go, finished) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
    let go_guard = Release(go.clone());
    let (record, finished_flag) = (dropped_on_main.clone(), finished.clone());
    let task = godot_tasks::spawn(async move {
        offload(Box::new(move || {
            wait_for(&go);
            finished_flag.store(true, Ordering::SeqCst);
            DropRecorder(record)
        }))
        .await
    });
    next_frame().await; // the task ran and now awaits the work
    drop(go_guard);
    wait_for(&finished);
    std::thread::sleep(Duration::from_millis(5)); // the result is sent right after the work returns
    task.cancel();
    next_frame().await;
    wait_until(200, "the waiting result was dropped", || dropped_on_main.lock().unwrap().is_some()).await?;
    ensure_eq!(*dropped_on_main.lock().unwrap(), Some(false)); // a result waiting to be picked up: back to a worker
    Ok(())
}

async fn compute_work_runs_on_a_worker_and_resumes_on_the_main_thread() -> Result<(), String> {
    runs_on_a_worker_and_resumes_on_the_main_thread(|work| spawn_compute(work)).await
}

async fn panic_in_compute_work_comes_back_as_an_error() -> Result<(), String> {
    panic_comes_back_as_an_error(|work| spawn_compute(work)).await
}

async fn compute_job_dropped_before_it_starts_is_skipped() -> Result<(), String> {
    // Occupy every thread of the pool, queue a job behind them, and drop its future.
    let release = Arc::new(AtomicBool::new(false));
    let _release_guard = Release(release.clone());
    let threads = rayon_core::current_num_threads();
    let busy = Arc::new(AtomicU64::new(0));
    let blockers: Vec<_> = (0..threads)
        .map(|_| {
            let (release, busy) = (release.clone(), busy.clone());
            spawn_compute(move || {
                busy.fetch_add(1, Ordering::SeqCst);
                wait_for(&release);
            })
        })
        .collect();
    wait_until(300, "every pool thread is busy", || busy.load(Ordering::SeqCst) == threads as u64).await?;
    let (ran, dropped_on_main) = (Arc::new(AtomicBool::new(false)), Arc::new(Mutex::new(None)));
    let (ran_flag, guard) = (ran.clone(), DropRecorder(dropped_on_main.clone()));
    drop(spawn_compute(move || {
        let _guard = guard;
        ran_flag.store(true, Ordering::SeqCst);
    }));
    ensure!(dropped_on_main.lock().unwrap().is_none(), "the job was dropped before a worker took it");
    release.store(true, Ordering::SeqCst);
    for blocker in blockers {
        ensure_eq!(run_task(blocker).await?, Ok(()));
    }
    wait_until(200, "a worker took the job and dropped it", || dropped_on_main.lock().unwrap().is_some()).await?;
    ensure_eq!(*dropped_on_main.lock().unwrap(), Some(false));
    ensure!(!ran.load(Ordering::SeqCst), "the job ran although its future was dropped before it started");
    Ok(())
}

async fn send_future_runs_on_a_worker() -> Result<(), String> {
    let (was_main, value) = run_task(async {
        spawn_send(async {
            let inner = async { 20 + 1 }.await;
            (godot::init::is_main_thread(), inner * 2)
        })
        .await
        .expect("no panic")
    })
    .await?;
    ensure!(!was_main);
    ensure_eq!(value, 42);
    Ok(())
}

#[derive(Default)]
struct Storm {
    waker: Mutex<Option<Waker>>,
    wakes: AtomicU64,
    done: AtomicBool,
    completions: AtomicU64,
}

async fn eight_threads_waking_100000_times_each_lose_no_wake() -> Result<(), String> {
    const THREADS: usize = 8;
    const WAKES: u64 = 100_000;
    let storms: Vec<Arc<Storm>> = (0..THREADS).map(|_| Arc::default()).collect();
    let handles: Vec<_> = storms
        .iter()
        .map(|storm| {
            let storm = storm.clone();
            godot_tasks::spawn(std::future::poll_fn(move |cx| {
                *storm.waker.lock().unwrap() = Some(cx.waker().clone());
                if storm.done.load(Ordering::Acquire) {
                    storm.completions.fetch_add(1, Ordering::Relaxed);
                    return Poll::Ready(storm.wakes.load(Ordering::Relaxed));
                }
                Poll::Pending
            }))
        })
        .collect();
    next_frame().await;
    let workers: Vec<_> = storms
        .iter()
        .map(|storm| {
            let storm = storm.clone();
            std::thread::spawn(move || {
                let waker = storm.waker.lock().unwrap().clone().expect("polled once");
                for _ in 0..WAKES {
                    storm.wakes.fetch_add(1, Ordering::Relaxed);
                    waker.wake_by_ref();
                }
                storm.done.store(true, Ordering::Release);
                waker.wake_by_ref();
            })
        })
        .collect();
    for worker in workers {
        worker.join().map_err(|_| "a waking thread panicked")?;
    }
    let woken_in = frame();
    frames(1).await;
    let finished_in = frame();
    ensure!(handles.iter().all(|h| h.is_finished()), "not resumed in the frame after the last wake");
    ensure!(finished_in <= woken_in + 1);
    for (handle, storm) in handles.into_iter().zip(&storms) {
        ensure_eq!(handle.await.map_err(|e| e.to_string())?, WAKES);
        ensure_eq!(storm.completions.load(Ordering::Relaxed), 1);
    }
    Ok(())
}

async fn tokio_tcp_echo_round_trip() -> Result<(), String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let reply = run_task(async {
        let listener = spawn_tokio(async { tokio::net::TcpListener::bind("127.0.0.1:0").await })
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        let address = listener.local_addr().map_err(|e| e.to_string())?;
        // The echo server, on tokio.
        let server = spawn_tokio(async move {
            let (mut socket, _) = listener.accept().await?;
            let mut buffer = [0; 64];
            let read = socket.read(&mut buffer).await?;
            socket.write_all(&buffer[..read]).await?;
            Ok::<_, std::io::Error>(())
        });
        // The client, also on tokio; the main-thread task awaits both.
        let reply = spawn_tokio(async move {
            let mut stream = tokio::net::TcpStream::connect(address).await?;
            stream.write_all(b"ping from godot").await?;
            let mut buffer = vec![0; 64];
            let read = stream.read(&mut buffer).await?;
            buffer.truncate(read);
            Ok::<_, std::io::Error>(String::from_utf8_lossy(&buffer).into_owned())
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
        server.await.map_err(|e| e.to_string())?.map_err(|e| e.to_string())?;
        Ok::<_, String>((reply, godot::init::is_main_thread()))
    })
    .await??;
    ensure_eq!(reply, ("ping from godot".to_owned(), true));
    Ok(())
}

async fn tokio_timer_is_awaited_from_the_main_thread() -> Result<(), String> {
    let waited = run_task(async {
        let start = std::time::Instant::now();
        // Tokio futures must be made inside the runtime: wrap them in an async block.
        spawn_tokio(async { tokio::time::sleep(Duration::from_millis(20)).await }).await.expect("not cancelled");
        start.elapsed()
    })
    .await?;
    ensure!(waited >= Duration::from_millis(20), "{waited:?}");
    Ok(())
}

/// The names of this process's threads that godot-tasks started (Linux keeps 15 bytes of a name).
fn pool_threads() -> Vec<String> {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return Vec::new() };
    tasks
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .map(|name| name.trim().to_owned())
        .filter(|name| name.starts_with("godot-tasks"))
        .collect()
}

/// `runtime::shutdown()` stops the pools: a job still queued never runs (its future, held outside any task,
/// resolves to an error that is not a panic), the running ones finish first, and no pool thread is left.
/// The pools start again on the next job.
async fn shutdown_drops_queued_jobs_waits_for_running_ones_and_joins_every_pool_thread() -> Result<(), String> {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let finished = Arc::new(AtomicU64::new(0));
    let started = Arc::new(AtomicU64::new(0));
    // Occupy every compute thread, and one blocking thread, for a while.
    let mut running = Vec::new();
    for _ in 0..cores {
        let (started, finished) = (started.clone(), finished.clone());
        running.push(spawn_compute(move || {
            started.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(200));
            finished.fetch_add(1, Ordering::SeqCst);
        }));
    }
    let (blocking_started, blocking_finished) = (started.clone(), finished.clone());
    let blocking = spawn_blocking(move || {
        blocking_started.fetch_add(1, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(200));
        blocking_finished.fetch_add(1, Ordering::SeqCst);
    });
    let _tokio = spawn_tokio(async { tokio::time::sleep(Duration::from_secs(3600)).await });
    let all = cores as u64 + 1;
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while started.load(Ordering::SeqCst) < all && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    ensure_eq!(started.load(Ordering::SeqCst), all);
    let queued_ran = Arc::new(AtomicBool::new(false));
    let ran = queued_ran.clone();
    let queued = spawn_compute(move || ran.store(true, Ordering::SeqCst));
    ensure!(!pool_threads().is_empty(), "no pool thread is running");

    godot_tasks::runtime::shutdown();
    ensure_eq!(finished.load(Ordering::SeqCst), all); // waited for
    ensure!(!queued_ran.load(Ordering::SeqCst), "a job still queued at shutdown ran");
    ensure_eq!(pool_threads(), Vec::<String>::new());
    let dropped = run_task(queued).await?;
    ensure!(dropped.as_ref().is_err_and(|error| !error.is_panic() && error.is_cancelled()), "{dropped:?}");
    drop((running, blocking));

    // The next jobs start the pools again.
    ensure_eq!(run_task(spawn_compute(|| 6 * 7)).await?, Ok(42));
    ensure_eq!(run_task(spawn_blocking(|| 6 * 7)).await?, Ok(42));
    ensure_eq!(run_task(spawn_tokio(async { 6 * 7 })).await?.map_err(|e| e.to_string())?, 42);
    Ok(())
}

/// A `spawn_send` future that waits (here for a channel nobody sends on) does not keep `runtime::shutdown()`
/// waiting: it is dropped on its worker, and its own future resolves to an error that is not a panic.
async fn shutdown_drops_a_send_future_still_waiting() -> Result<(), String> {
    struct DropFlag(Arc<AtomicBool>);
    impl Drop for DropFlag {
        fn drop(&mut self) {
            self.0.store(!godot::init::is_main_thread(), Ordering::SeqCst);
        }
    }
    let dropped_on_worker = Arc::new(AtomicBool::new(false));
    let flag = DropFlag(dropped_on_worker.clone());
    let (_sender, receiver) = futures_channel::oneshot::channel::<u8>();
    // Held outside any task, so that only the pool's stop can end it.
    let waiting = spawn_send(async move {
        let _flag = flag;
        receiver.await.ok()
    });
    std::thread::sleep(Duration::from_millis(50)); // the future is parked on its worker by now
    godot_tasks::runtime::shutdown();
    ensure!(dropped_on_worker.load(Ordering::SeqCst), "the waiting future was not dropped on its worker");
    let outcome = run_task(waiting).await?;
    ensure!(outcome.as_ref().is_err_and(|error| !error.is_panic() && error.is_cancelled()), "{outcome:?}");
    Ok(())
}
