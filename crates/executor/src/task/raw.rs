//! One task, one allocation: a small header, then the future, whose memory the output reuses once the future
//! is gone.
//!
//! ```text
//! ┌──────────────────────────── Header (32 bytes on 64-bit targets) ─────────────────────────────┐
//! │ refs: AtomicU32 │ state: Cell<State> │ vtable │ shared (the ready queue) │ spawned_at        │ future F | output T
//! └──────────────────────────────────────────────────────────────────────────────────────────────┘
//! ```
//!
//! # Who may touch what
//!
//! - `refs` is the only field other threads touch: bit 0 says the task is on a ready queue (*queued*), bit 1
//!   that it finished (*retired*: wakes do nothing), the rest counts references. A reference is held by each `Waker` of the task, by each entry of a ready queue
//!   (at most one: a task is queued at most once at a time), by the executor's set of live tasks while the task
//!   is in it, and by each handle. The allocation is freed by whoever drops the last one, on any thread.
//! - Everything else (the state, the future, the output) is touched only on the executor's thread, by code
//!   holding a reference.
//! - The future and the output are dropped on the executor's thread while the task is still in the set of live
//!   tasks (which holds a reference), so a last reference dropped on another thread only frees memory.
//!
//! This file owns all the unsafe code of a task; [`TaskRef`] is its safe face: a counted reference.

#![allow(unsafe_code)]

use std::any::Any;
use std::cell::{Cell, UnsafeCell};
use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::Location;
use std::pin::Pin;
use std::ptr::NonNull;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

use super::state::State;
use crate::ready_queue::Shared;
use crate::shared_life::SharedPtr;

/// Bit 0 of `refs`: the task is on a ready queue.
const QUEUED: u32 = 1;
/// Bit 1 of `refs`: the task finished, so a wake does nothing (it neither queues the task nor asks for a flush).
const RETIRED: u32 = 2;
/// One reference in `refs`.
const REF: u32 = 4;
/// Above this raw value of `refs` (about 268 million references), cloning a waker aborts, like `Arc`: the count
/// must never wrap.
const MAX_REFS: u32 = u32::MAX / 4;

pub(crate) struct Header {
    refs: AtomicU32,
    state: Cell<State>,
    vtable: &'static VTable,
    shared: SharedPtr,
    spawned_at: &'static Location<'static>,
}

/// The whole allocation. `repr(C)` puts the header first, so a pointer to it is a pointer to the header.
#[repr(C)]
struct Task<F: Future> {
    header: Header,
    stage: UnsafeCell<Stage<F>>,
}

/// The future until it is gone, then (if it returned) its output. Which one is there is told by the task's
/// phase (Idle, Running or Cancelling: the future; `Finished(Value)`: the output; otherwise neither).
union Stage<F: Future> {
    future: ManuallyDrop<F>,
    output: ManuallyDrop<F::Output>,
}

/// What a task can do without its type being known.
struct VTable {
    /// Polls the future. On `Ready`, drops the future and stores the output; `gone` is set right before the
    /// future is dropped, so that a panic from its destructor does not lead to a second drop.
    poll: unsafe fn(NonNull<Header>, &mut Context<'_>, &mut bool) -> Poll<()>,
    drop_future: unsafe fn(NonNull<Header>),
    drop_output: unsafe fn(NonNull<Header>),
    /// Moves the output into `out`, an `&mut Option<F::Output>`.
    take_output: unsafe fn(NonNull<Header>, &mut dyn Any),
    dealloc: unsafe fn(NonNull<Header>),
}

impl<F: Future + 'static> Task<F>
where
    F::Output: 'static,
{
    const VTABLE: VTable = VTable {
        poll: Self::poll,
        drop_future: Self::drop_future,
        drop_output: Self::drop_output,
        take_output: Self::take_output,
        dealloc: Self::dealloc,
    };

    /// The stage of the task that `header` starts.
    ///
    /// # Safety
    ///
    /// `header` points into a live `Task<F>` (of this very `F`), and the caller is on the executor's thread.
    unsafe fn stage<'a>(header: NonNull<Header>) -> &'a mut Stage<F> {
        // SAFETY: the header is the first field of a `repr(C)` `Task<F>`, so the cast gives the task; only the
        // executor's thread touches the stage, and it never holds two of these borrows at once.
        unsafe { &mut *header.cast::<Task<F>>().as_ref().stage.get() }
    }

    /// # Safety
    ///
    /// As for [`Self::stage`], and the future is there.
    unsafe fn poll(header: NonNull<Header>, cx: &mut Context<'_>, gone: &mut bool) -> Poll<()> {
        // SAFETY: guaranteed by the caller.
        let stage = unsafe { Self::stage(header) };
        // SAFETY: the future is there (caller), and it never moves: it lives in the allocation until dropped
        // in place.
        let future = unsafe { Pin::new_unchecked(&mut *stage.future) };
        match future.poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(output) => {
                *gone = true;
                // SAFETY: the future is there, and `gone` makes sure nobody drops it again, even if its
                // destructor panics.
                unsafe { ManuallyDrop::drop(&mut stage.future) };
                stage.output = ManuallyDrop::new(output);
                Poll::Ready(())
            }
        }
    }

    /// # Safety
    ///
    /// As for [`Self::stage`], and the future is there; afterwards it is not.
    unsafe fn drop_future(header: NonNull<Header>) {
        // SAFETY: guaranteed by the caller.
        unsafe { ManuallyDrop::drop(&mut Self::stage(header).future) }
    }

    /// # Safety
    ///
    /// As for [`Self::stage`], and the output is there; afterwards it is not.
    unsafe fn drop_output(header: NonNull<Header>) {
        // SAFETY: guaranteed by the caller.
        unsafe { ManuallyDrop::drop(&mut Self::stage(header).output) }
    }

    /// # Safety
    ///
    /// As for [`Self::stage`], and the output is there; afterwards it is not.
    unsafe fn take_output(header: NonNull<Header>, out: &mut dyn Any) {
        let slot = out
            .downcast_mut::<Option<F::Output>>()
            .expect("a JoinHandle<T> asked its task for an output of another type");
        // SAFETY: guaranteed by the caller; the output is moved out once and never read again.
        *slot = Some(unsafe { ManuallyDrop::take(&mut Self::stage(header).output) });
    }

    /// # Safety
    ///
    /// `header` came from `Box::into_raw` of a `Task<F>` in [`TaskRef::new`], nothing references it any more,
    /// and its future and output are gone.
    unsafe fn dealloc(header: NonNull<Header>) {
        // SAFETY: guaranteed by the caller; the stage's `ManuallyDrop` fields are not dropped again.
        let task = unsafe { Box::from_raw(header.cast::<Task<F>>().as_ptr()) };
        let shared = task.header.shared;
        drop(task);
        // SAFETY: this allocation was counted by `for_new_task` in `TaskRef::new`, and is gone now.
        unsafe { shared.task_freed() }
    }
}

/// One counted reference to a task. Cloning it adds a reference; dropping it removes one, and the last one
/// frees the allocation.
///
/// A `TaskRef` may move to and be dropped on any thread (only the reference count is touched then). Every
/// method that touches the state, the future or the output must be called on the executor's thread; the
/// executor and the handles (which are neither `Send` nor `Sync`) are the only callers.
#[repr(transparent)]
pub(crate) struct TaskRef(NonNull<Header>);

// SAFETY: the only field that code on another thread touches through a `TaskRef` is `refs`, an atomic; `shared`
// is `Sync`, and it is dropped (with the allocation) by whichever thread drops the last reference. Everything
// else is used on the executor's thread only (see the module docs).
unsafe impl Send for TaskRef {}

impl TaskRef {
    /// Allocates a task holding `future`, queued, and returns its references: the live set's, the spawn queue
    /// entry's and the handle's (which holds no count of its own, see [`HandleRef`]).
    pub(crate) fn new<F>(
        future: F,
        shared: &Arc<Shared>,
        spawned_at: &'static Location<'static>,
    ) -> (TaskRef, TaskRef, HandleRef)
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let task = Box::new(Task {
            header: Header {
                refs: AtomicU32::new(2 * REF + QUEUED),
                state: Cell::new(State::spawned()),
                vtable: &Task::<F>::VTABLE,
                shared: SharedPtr::for_new_task(shared),
                spawned_at,
            },
            stage: UnsafeCell::new(Stage { future: ManuallyDrop::new(future) }),
        });
        let header = NonNull::from(Box::leak(task)).cast();
        (TaskRef(header), TaskRef(header), HandleRef(header))
    }

    /// Gives the live set's reference to the attached handle, whose [`HandleRef`] owns it from now on (the
    /// task is being released while a handle is attached).
    pub(crate) fn leave_to_handle(self) {
        std::mem::forget(self);
    }

    fn header(&self) -> &Header {
        // SAFETY: this `TaskRef` holds a reference, so the allocation is live.
        unsafe { self.0.as_ref() }
    }

    /// The task's state (executor's thread only).
    pub(crate) fn state(&self) -> State {
        self.header().state.get()
    }

    /// Sets the task's state (executor's thread only).
    pub(crate) fn set_state(&self, state: State) {
        self.header().state.set(state);
    }

    pub(crate) fn spawned_at(&self) -> &'static Location<'static> {
        self.header().spawned_at
    }

    /// An address that names the task as long as it lives (for the executor's side table).
    pub(crate) fn key(&self) -> usize {
        self.0.as_ptr() as usize
    }

    /// Whether the task is on a ready queue now (for snapshots; another thread may queue it right after).
    pub(crate) fn is_queued(&self) -> bool {
        self.header().refs.load(Ordering::Relaxed) & QUEUED != 0
    }

    /// Whether both name the same task.
    pub(crate) fn same(&self, other: &TaskRef) -> bool {
        self.0 == other.0
    }

    /// Polls the future with a waker for this task (executor's thread; the phase is Running). On `Ready` the
    /// output is stored and the future is gone. If the poll panics, `gone` tells whether the future was
    /// already dropped.
    pub(crate) fn poll(&self, gone: &mut bool) -> Poll<()> {
        // A waker borrowed for the poll: it holds no reference of its own (this `TaskRef` keeps the task
        // alive), so it must not be dropped; a clone made from it counts one.
        // SAFETY: the data pointer is a live task, and the vtable's functions treat it as one.
        let waker = ManuallyDrop::new(unsafe { Waker::from_raw(RawWaker::new(self.0.as_ptr().cast(), &WAKER_VTABLE)) });
        let mut cx = Context::from_waker(&waker);
        // SAFETY: executor's thread, Running phase: the future is there.
        unsafe { (self.header().vtable.poll)(self.0, &mut cx, gone) }
    }

    /// Drops the future in place (executor's thread; the phase holds a future, which afterwards it does not).
    pub(crate) fn drop_future(&self) {
        // SAFETY: as documented, guaranteed by the executor's state machine.
        unsafe { (self.header().vtable.drop_future)(self.0) }
    }

    /// Drops the output (executor's thread; the phase is `Finished(Value)`, and the output is then gone).
    pub(crate) fn drop_output(&self) {
        // SAFETY: as documented, guaranteed by the executor's state machine.
        unsafe { (self.header().vtable.drop_output)(self.0) }
    }

    /// Moves the output into `out`, an `&mut Option<T>` for the task's output type (executor's thread; the
    /// phase is `Finished(Value)`, and the output is then gone).
    pub(crate) fn take_output(&self, out: &mut dyn Any) {
        // SAFETY: as documented, guaranteed by the executor's state machine.
        unsafe { (self.header().vtable.take_output)(self.0, out) }
    }

    /// Marks the task queued unless it is already; returns the queue entry (a new reference) to push then.
    pub(crate) fn try_queue(&self) -> Option<TaskRef> {
        // SAFETY: this `TaskRef` holds a reference, which it keeps.
        unsafe { queue(self.0, false) }
    }

    /// Marks the task queued on behalf of one of our wakers (see [`Self::is_ours`]), consuming it; returns
    /// the queue entry to push, if the task was not queued already.
    pub(crate) fn queue_from_waker(waker: Waker) -> Option<TaskRef> {
        debug_assert!(Self::is_ours(&waker));
        let waker = ManuallyDrop::new(waker);
        // SAFETY: our wakers' data pointers are live task headers on which the waker holds a reference, which
        // moves to this call.
        unsafe { queue(NonNull::new_unchecked(waker.data().cast_mut().cast()), true) }
    }

    /// Called when a ready queue hands out this entry: the task is no longer queued, so a wake from now on
    /// queues it again. Gives up the entry's reference in the same step; the result stands for the reference
    /// of the set of live tasks, and is never dropped.
    ///
    /// # Safety
    ///
    /// The task is in the set of live tasks (its phase is not Released), and the caller stops using the result
    /// before anything can release it (the executor finishes a task it runs only at the end of the run).
    pub(crate) unsafe fn unqueue(self) -> ManuallyDrop<TaskRef> {
        let entry = ManuallyDrop::new(self);
        // AcqRel: the Acquire pairs with the Release of the wake that queued the task (and of every wake that
        // found it queued), so the poll that follows sees whatever they published before waking. Never the last
        // reference: the set holds one (caller).
        entry.header().refs.fetch_sub(QUEUED + REF, Ordering::AcqRel);
        entry
    }

    /// Marks the task finished: from now on a wake does nothing (executor's thread, once the future is gone).
    pub(crate) fn retire(&self) {
        let refs = &self.header().refs;
        // With only the caller's reference left nobody can wake the task, or ever get a waker to (that takes a
        // reference), so the flag is not needed: skip the read-modify-write.
        if refs.load(Ordering::Relaxed) >= 2 * REF {
            refs.fetch_or(RETIRED, Ordering::Release);
        }
    }

    /// Whether `waker` wakes a task of an executor of this crate (then [`Self::queue_from_waker`] can take it).
    pub(crate) fn is_ours(waker: &Waker) -> bool {
        std::ptr::eq(waker.vtable(), &WAKER_VTABLE)
    }

    /// The address of the shared state of the executor whose task `waker` wakes, if it is one of ours.
    pub(crate) fn executor_of(waker: &Waker) -> Option<usize> {
        if !Self::is_ours(waker) {
            return None;
        }
        // SAFETY: our wakers' data pointers are live task headers (the waker holds a reference).
        let header = unsafe { &*waker.data().cast::<Header>() };
        Some(header.shared.address())
    }

    /// The task's executor's shared state (alive at least as long as this reference).
    pub(crate) fn shared(&self) -> &Shared {
        // SAFETY: this reference keeps the task allocated, and so the state alive.
        unsafe { self.header().shared.get() }
    }

    /// A pointer to the task's executor's shared state, for code that needs it after giving up this reference.
    pub(crate) fn shared_ptr(&self) -> SharedPtr {
        self.header().shared
    }
}

/// A task's address, copied freely, counting no reference: how the executor notes the task it is polling.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct TaskPtr(NonNull<Header>);

impl TaskPtr {
    /// The address of `task`.
    pub(crate) fn of(task: &TaskRef) -> Self {
        TaskPtr(task.0)
    }

    /// The task, as a reference that counts nothing and must not be dropped (hence `ManuallyDrop`).
    ///
    /// # Safety
    ///
    /// The task is alive for as long as the result is used: something else holds a reference (for the task
    /// being polled, the run that polls it).
    pub(crate) unsafe fn task(self) -> ManuallyDrop<TaskRef> {
        ManuallyDrop::new(TaskRef(self.0))
    }

    /// The task `waker` wakes, if it is one of ours.
    pub(crate) fn of_waker(waker: &Waker) -> Option<Self> {
        // Our wakers' data pointers are task headers, never null.
        let header = NonNull::new(waker.data().cast_mut())?.cast();
        TaskRef::is_ours(waker).then_some(TaskPtr(header))
    }
}

/// What a `JoinHandle` holds: a reference that costs no count while the task is in the live set (whose own
/// reference keeps it), and that inherits the set's reference when the task is released while the handle is
/// still attached ([`TaskRef::leave_to_handle`]).
///
/// The task's state says which: while a `HandleRef` exists, the state's handle flag is set. Every step that
/// clears the flag consumes the `HandleRef` (detaching, taking the outcome), so a `HandleRef` never outlives
/// its task.
pub(crate) struct HandleRef(NonNull<Header>);

impl HandleRef {
    /// The task (valid as long as this `HandleRef`, see above).
    pub(crate) fn task(&self) -> &TaskRef {
        // SAFETY: `TaskRef` is a transparent wrapper of the same pointer, and a shared borrow of it is never
        // dropped; the task is alive while this `HandleRef` exists (type docs).
        unsafe { &*(self as *const HandleRef).cast::<TaskRef>() }
    }

    /// Gives up the handle of a task that was released while it was attached: the reference it inherited.
    pub(crate) fn drop_inherited(self) {
        debug_assert!(self.task().state().has_handle());
        debug_assert_eq!(self.task().state().phase(), super::state::Phase::Released);
        drop(TaskRef(self.0));
    }
}

impl Clone for TaskRef {
    fn clone(&self) -> Self {
        add_ref(self.0);
        TaskRef(self.0)
    }
}

impl Drop for TaskRef {
    fn drop(&mut self) {
        // SAFETY: this `TaskRef` owned the reference it gives up.
        unsafe { drop_ref(self.0) }
    }
}

impl std::fmt::Debug for TaskRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("TaskRef").field(&self.0).finish()
    }
}

fn add_ref(header: NonNull<Header>) {
    // SAFETY: the caller holds a reference, so the allocation is live.
    let refs = unsafe { header.as_ref() }.refs.fetch_add(REF, Ordering::Relaxed);
    if refs > MAX_REFS {
        // Billions of wakers of one task: a leak somewhere. Wrapping the count would free a live task.
        std::process::abort();
    }
}

/// Gives up one reference; the last one frees the allocation.
///
/// # Safety
///
/// The caller owned one reference to the live task at `header`, and does not use it afterwards.
unsafe fn drop_ref(header: NonNull<Header>) {
    // SAFETY: the caller's reference keeps the allocation live until this decrement.
    let refs = &unsafe { header.as_ref() }.refs;
    // The only reference left: nobody else can make one (that takes holding one), so no read-modify-write is
    // needed; the Acquire load orders every earlier holder's use (each ended with a Release decrement) first.
    if refs.load(Ordering::Acquire) / REF != 1 && refs.fetch_sub(REF, Ordering::Release) / REF != 1 {
        return;
    }
    // Acquire: every other holder's use of the task happened before its decrement (Release), so before this.
    std::sync::atomic::fence(Ordering::Acquire);
    // SAFETY: that was the last reference; the future and output were dropped on the executor's thread while
    // the set of live tasks held its reference (module docs), so only the memory is left to free.
    unsafe { (header.as_ref().vtable.dealloc)(header) }
}

/// Wakes the task at `header`: queues it unless it is queued already. A waker's reference is consumed when
/// `by_value` (it becomes the queue entry's, or is given up), kept otherwise (the queue entry gets a new one).
/// Returns the queue entry the caller must push, if any.
///
/// Always one read-modify-write with Release, also when the task is queued already: the executor's `unqueue`
/// (an Acquire read-modify-write) then reads a value written by it or a later one, so the poll that follows
/// sees whatever the waking thread published before this wake.
///
/// # Safety
///
/// The caller holds a reference to the live task at `header` (given up here if `by_value`).
unsafe fn queue(header: NonNull<Header>, by_value: bool) -> Option<TaskRef> {
    // SAFETY: the caller holds a reference, so the allocation is live.
    let refs = &unsafe { header.as_ref() }.refs;
    let mut current = refs.load(Ordering::Relaxed);
    loop {
        let queued = current & (QUEUED | RETIRED) != 0;
        let next = match (queued, by_value) {
            (true, true) => current - REF,
            (true, false) => current,
            (false, true) => current | QUEUED,
            (false, false) => (current | QUEUED) + REF,
        };
        if next > MAX_REFS {
            std::process::abort();
        }
        match refs.compare_exchange_weak(current, next, Ordering::AcqRel, Ordering::Relaxed) {
            Ok(_) if !queued => return Some(TaskRef(header)),
            Ok(_) => {
                if by_value && next < REF {
                    // The last reference was this retired task's waker: only the memory is left (module docs).
                    // SAFETY: nobody else holds a reference; the Acquire of the exchange ordered their uses first.
                    unsafe { (header.as_ref().vtable.dealloc)(header) }
                }
                return None;
            }
            Err(actual) => current = actual,
        }
    }
}

/// Wakes the task at `header` on behalf of a waker (see [`queue`]).
///
/// # Safety
///
/// As for [`queue`].
unsafe fn wake(header: NonNull<Header>, by_value: bool) {
    // SAFETY: guaranteed by the caller.
    if let Some(entry) = unsafe { queue(header, by_value) } {
        Shared::schedule(entry);
    }
}

static WAKER_VTABLE: RawWakerVTable = RawWakerVTable::new(waker_clone, waker_wake, waker_wake_by_ref, waker_drop);

/// # Safety
///
/// `data` is a task header on which the waker being cloned holds a reference.
unsafe fn waker_clone(data: *const ()) -> RawWaker {
    // SAFETY: guaranteed by the caller: a non-null live header.
    add_ref(unsafe { NonNull::new_unchecked(data.cast_mut().cast()) });
    RawWaker::new(data, &WAKER_VTABLE)
}

/// # Safety
///
/// `data` is a task header on which the waker being consumed holds a reference.
unsafe fn waker_wake(data: *const ()) {
    // SAFETY: guaranteed by the caller; the waker's reference is consumed.
    unsafe { wake(NonNull::new_unchecked(data.cast_mut().cast()), true) }
}

/// # Safety
///
/// `data` is a task header on which the waker holds a reference.
unsafe fn waker_wake_by_ref(data: *const ()) {
    // SAFETY: guaranteed by the caller; the waker keeps its reference.
    unsafe { wake(NonNull::new_unchecked(data.cast_mut().cast()), false) }
}

/// # Safety
///
/// `data` is a task header on which the waker being dropped holds a reference.
unsafe fn waker_drop(data: *const ()) {
    // SAFETY: guaranteed by the caller; the waker's reference is given up.
    unsafe { drop_ref(NonNull::new_unchecked(data.cast_mut().cast())) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_is_four_words() {
        assert_eq!(std::mem::size_of::<Header>(), 32);
        assert_eq!(std::mem::size_of::<Task<std::future::Pending<()>>>(), 32);
    }
}
