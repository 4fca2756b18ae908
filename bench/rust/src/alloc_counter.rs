//! A global allocator that counts the Rust side's heap allocations and live bytes (the engine's own
//! allocations are not seen).

#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static LIVE_BYTES: AtomicI64 = AtomicI64::new(0);

/// Counts, then delegates to the system allocator.
pub struct Counting;

// SAFETY: every call is forwarded unchanged to `System`; the counters are only atomics on the side.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        LIVE_BYTES.fetch_add(layout.size() as i64, Ordering::Relaxed);
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(layout.size() as i64, Ordering::Relaxed);
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        LIVE_BYTES.fetch_add(layout.size() as i64, Ordering::Relaxed);
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        LIVE_BYTES.fetch_add(new_size as i64 - layout.size() as i64, Ordering::Relaxed);
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Allocations so far and bytes live now.
#[derive(Clone, Copy)]
pub struct Snapshot {
    pub allocations: u64,
    pub live_bytes: i64,
}

pub fn snapshot() -> Snapshot {
    Snapshot { allocations: ALLOCATIONS.load(Ordering::Relaxed), live_bytes: LIVE_BYTES.load(Ordering::Relaxed) }
}

impl Snapshot {
    /// Allocations since `earlier`, per `ops` operations.
    pub fn allocations_per(self, earlier: Snapshot, ops: usize) -> f64 {
        (self.allocations - earlier.allocations) as f64 / ops as f64
    }

    /// Live bytes gained since `earlier`, per `items`.
    pub fn bytes_per(self, earlier: Snapshot, items: usize) -> f64 {
        (self.live_bytes - earlier.live_bytes) as f64 / items as f64
    }
}
