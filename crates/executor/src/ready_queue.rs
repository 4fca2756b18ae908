//! The ready queue: the only part of the executor that other threads touch.
//!
//! Waking a task, from any thread, pushes a reference to it here unless the task is already queued (the task's
//! *queued* bit, see the `task` module); the executor drains the queue in
//! [`Executor::flush`](crate::Executor::flush).
//!
//! Who may touch what:
//! - `ready`: any thread, under the mutex. `has_ready`: set by whoever queues a task, cleared by the
//!   executor's thread under the mutex when it takes the queue.
//! - the local lane (a thread-local queue): only the executor's thread, without a lock. One executor per
//!   thread holds it (the first made there, as long as it lives; in a game, the runtime's). Its wakes on its
//!   own thread go there; every other wake goes through the mutex.
//! - `flushing` and `flush_requested`: only the executor's thread (atomics only so that `Shared` is `Sync`).
//! - `remote_requested`: any thread sets it, the executor's thread clears it when a flush starts.
//! - `closed`: set once by the executor's thread at shutdown; after that every wake is a no-op.
//! - a task's queued bit: set by whoever enqueues the task, cleared by the executor right before it polls the
//!   task. While it is set, further wakes cost one atomic operation and nothing else, so N wakes before a
//!   flush cause exactly one poll.

#![allow(unsafe_code)] // A task's pointer to this state holds no count: see the `shared_life` module.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::Waker;
use std::thread::{self, ThreadId};

use crate::Host;
use crate::memory::TrimRule;
use crate::shared_life::SharedLife;
use crate::task::TaskRef;

pub(crate) struct Shared {
    ready: Mutex<Vec<TaskRef>>,
    has_ready: AtomicBool,
    flushing: AtomicBool,
    flush_requested: AtomicBool,
    remote_requested: AtomicBool,
    closed: AtomicBool,
    /// Whether this executor holds its thread's local lane.
    local_lane: AtomicBool,
    owner: ThreadId,
    host: Box<dyn Host>,
    life: SharedLife,
}

thread_local! {
    static THIS_THREAD: ThreadId = thread::current().id();
    static LOCAL_LANE: RefCell<LocalLane> = const { RefCell::new(LocalLane { holder: 0, ready: Vec::new() }) };
}

/// Tasks woken on their executor's own thread, queued without a lock.
struct LocalLane {
    /// The address of the holding executor's `Shared`; 0 when free.
    holder: usize,
    ready: Vec<TaskRef>,
}

impl Shared {
    pub(crate) fn new(host: Box<dyn Host>) -> Self {
        Self {
            ready: Mutex::new(Vec::new()),
            has_ready: AtomicBool::new(false),
            flushing: AtomicBool::new(false),
            flush_requested: AtomicBool::new(false),
            remote_requested: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            local_lane: AtomicBool::new(false),
            owner: thread::current().id(),
            host,
            life: SharedLife::new(),
        }
    }

    pub(crate) fn life(&self) -> &SharedLife {
        &self.life
    }

    pub(crate) fn host(&self) -> &dyn Host {
        &*self.host
    }

    fn lock(&self) -> MutexGuard<'_, Vec<TaskRef>> {
        // Nothing panics while the lock is held, but a poisoned queue is still a valid queue.
        self.ready.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn on_owner_thread(&self) -> bool {
        // During thread teardown the thread-local may be gone; then we are certainly not the executor's thread
        // still flushing, and the remote path is the safe one.
        THIS_THREAD.try_with(|id| *id == self.owner).unwrap_or(false)
    }

    /// Puts `task` on the ready queue and makes sure a flush will come.
    /// Takes this thread's local lane for this executor if it is free (called once, on the owner thread,
    /// right after the `Shared` was put in its `Arc`).
    pub(crate) fn claim_local_lane(self: &Arc<Self>) {
        let address = Arc::as_ptr(self) as usize;
        let claimed = LOCAL_LANE
            .try_with(|lane| {
                let mut lane = lane.borrow_mut();
                (lane.holder == 0).then(|| {
                    lane.holder = address;
                    lane.ready.clear();
                })
            })
            .ok()
            .flatten()
            .is_some();
        self.local_lane.store(claimed, Ordering::Relaxed);
    }

    /// Queues `task` on the local lane if this executor holds it; otherwise gives it back (then it goes through
    /// the mutex).
    fn push_local(&self, task: TaskRef) -> Option<TaskRef> {
        if !self.local_lane.load(Ordering::Relaxed) {
            return Some(task);
        }
        let mut task = Some(task);
        let _ = LOCAL_LANE.try_with(|lane| {
            if let Ok(mut lane) = lane.try_borrow_mut()
                && lane.holder == self as *const Self as usize
            {
                lane.ready.extend(task.take());
            }
        });
        task
    }

    /// Puts `task` (a queue entry: the task's queued bit is set for it) on the ready queue of its executor, and
    /// makes sure a flush will come. After shutdown the entry is dropped.
    pub(crate) fn schedule(task: TaskRef) {
        if task.shared().closed.load(Ordering::Acquire) {
            return;
        }
        if task.shared().on_owner_thread() {
            let pointer = task.shared_ptr();
            // SAFETY: on the executor's thread the executor (which keeps the state alive) cannot go away before
            // this call runs foreign code: the host's, and only through the counted handle below.
            let shared = unsafe { pointer.get() };
            if let Some(task) = shared.push_local(task) {
                shared.push_locked(task);
            }
            shared.has_ready.store(true, Ordering::Release);
            if shared.needs_local_request() {
                // SAFETY: as above.
                let shared = unsafe { pointer.to_arc() };
                shared.request_local_flush();
            }
        } else {
            // Another thread: once the entry is queued, the executor may drop the task and then itself at any
            // moment, so a counted handle keeps the state for the rest of the call.
            // SAFETY: `task` is alive until pushed.
            let shared = unsafe { task.shared_ptr().to_arc() };
            if !shared.push_locked(task) {
                return;
            }
            shared.has_ready.store(true, Ordering::Release);
            if !shared.remote_requested.swap(true, Ordering::AcqRel) {
                shared.host.request_flush_from_other_thread();
            }
        }
    }

    /// Wakes every waker in `wakers` (emptying it, keeping its memory), taking a shortcut for the tasks of the
    /// executor that holds this thread's local lane: one borrow of the lane and one flush request for the whole
    /// batch, instead of a thread check, a borrow and a request per task. Other wakers are woken one by one.
    pub(crate) fn wake_all(wakers: &mut Vec<Waker>) {
        let mut requester: Option<Arc<Shared>> = None;
        let _ = LOCAL_LANE.try_with(|lane| {
            let Ok(mut lane) = lane.try_borrow_mut() else {
                return;
            };
            let holder = lane.holder;
            if holder == 0 {
                return;
            }
            // Only reference counts change in here: no user code runs while the lane is borrowed. Other wakers
            // stay in `wakers`, in order, for later.
            for waker in wakers.extract_if(.., |waker| TaskRef::executor_of(waker) == Some(holder)) {
                if let Some(entry) = TaskRef::queue_from_waker(waker) {
                    if requester.is_none() {
                        // SAFETY: `entry` is alive here.
                        requester = Some(unsafe { entry.shared_ptr().to_arc() });
                    }
                    lane.ready.push(entry);
                }
            }
        });
        if let Some(shared) = requester
            && !shared.closed.load(Ordering::Acquire)
        {
            shared.has_ready.store(true, Ordering::Release);
            shared.request_local_flush();
        }
        for waker in wakers.drain(..) {
            waker.wake();
        }
    }

    /// Pushes `task` on the mutex's queue unless the executor shut down (then drops it); true if pushed.
    ///
    /// `closed` is read under the lock that `close` drains the queue under, so an entry never lands in a queue
    /// that was already drained: it would keep its task, and so this state, alive for good.
    fn push_locked(&self, task: TaskRef) -> bool {
        let mut ready = self.lock();
        if self.closed.load(Ordering::Acquire) {
            drop(ready);
            drop(task);
            return false;
        }
        ready.push(task);
        true
    }

    /// Whether a wake on the executor's thread must ask the host for a flush: none runs and none is requested.
    fn needs_local_request(&self) -> bool {
        !self.flushing.load(Ordering::Relaxed) && !self.flush_requested.load(Ordering::Relaxed)
    }

    /// Asks the host for a flush on behalf of a wake on the executor's thread, unless one runs or is requested.
    fn request_local_flush(&self) {
        // A flush in progress picks the task up in its next round; otherwise ask for one flush.
        if !self.flushing.load(Ordering::Relaxed) {
            self.request_flush_here();
        }
    }

    /// Asks the host for a flush on behalf of work queued on the owner thread outside this queue (new tasks),
    /// unless one is already requested.
    pub(crate) fn request_flush_here(&self) {
        // A load first: a burst of spawns finds the request made, and pays no read-modify-write each.
        if !self.flush_requested.load(Ordering::Relaxed) && !self.flush_requested.swap(true, Ordering::Relaxed) {
            // A host that panics made no request: the next wake or spawn asks again.
            if let Err(payload) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.host.request_flush())) {
                self.flush_requested.store(false, Ordering::Relaxed);
                std::panic::resume_unwind(payload);
            }
        }
    }

    /// Moves every queued task into `batch` (which must be empty), keeping both allocations alive.
    pub(crate) fn take_ready(&self, batch: &mut Vec<TaskRef>) {
        debug_assert!(batch.is_empty());
        {
            let mut ready = self.lock();
            std::mem::swap(&mut *ready, batch);
            self.has_ready.store(false, Ordering::Release);
        }
        // On the owner thread (flushes run there): nothing can push to the lane concurrently.
        if self.local_lane.load(Ordering::Relaxed) {
            let address = self as *const Self as usize;
            let _ = LOCAL_LANE.try_with(|lane| {
                if let Ok(mut lane) = lane.try_borrow_mut()
                    && lane.holder == address
                {
                    batch.append(&mut lane.ready);
                }
            });
        }
    }

    /// Shrinks the shared queue and the local lane if `rule` finds them too large (on the owner thread).
    pub(crate) fn trim_queues(&self, rule: TrimRule) {
        rule.shrink(&mut self.lock());
        let address = self as *const Self as usize;
        let _ = LOCAL_LANE.try_with(|lane| {
            if let Ok(mut lane) = lane.try_borrow_mut()
                && lane.holder == address
            {
                rule.shrink(&mut lane.ready);
            }
        });
    }

    /// The capacities of the shared queue and of the local lane (0 if this executor does not hold it).
    pub(crate) fn capacities(&self) -> (usize, usize) {
        let ready = self.lock().capacity();
        let address = self as *const Self as usize;
        let local_lane = LOCAL_LANE
            .try_with(|lane| {
                lane.try_borrow().map_or(0, |lane| if lane.holder == address { lane.ready.capacity() } else { 0 })
            })
            .unwrap_or(0);
        (ready, local_lane)
    }

    pub(crate) fn has_ready(&self) -> bool {
        self.has_ready.load(Ordering::Acquire)
    }

    pub(crate) fn begin_flush(&self) {
        self.flushing.store(true, Ordering::Relaxed);
        self.flush_requested.store(false, Ordering::Relaxed);
        self.remote_requested.store(false, Ordering::Release);
    }

    pub(crate) fn end_flush(&self) {
        self.flushing.store(false, Ordering::Relaxed);
    }

    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        let drained = std::mem::take(&mut *self.lock());
        self.has_ready.store(false, Ordering::Release);
        drop(drained);
        if self.local_lane.swap(false, Ordering::Relaxed) {
            let address = self as *const Self as usize;
            let released = LOCAL_LANE.try_with(|lane| {
                let Ok(mut lane) = lane.try_borrow_mut() else {
                    return Vec::new();
                };
                if lane.holder != address {
                    return Vec::new();
                }
                lane.holder = 0;
                std::mem::take(&mut lane.ready)
            });
            // Dropped outside the borrow: a last reference frees a task, and with it perhaps a host.
            drop(released);
        }
    }
}
