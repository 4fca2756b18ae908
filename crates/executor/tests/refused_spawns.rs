//! Spawning after shutdown: the future is refused, and it is dropped by the outermost drop loop, never inside a
//! `spawn` made by a destructor. A chain of destructors that each spawn a replacement ends: it is cut at
//! `REFUSED_DROP_LIMIT` refused futures, the rest is leaked and reported.

mod common;

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use common::{Event, PanicOnDrop, Trace, dropped, executor, here, note, outcome, panic_reported, scaled};
use godot_tasks_executor::{Executor, REFUSED_DROP_LIMIT};

/// What the links of one chain share.
struct Chain {
    executor: Executor,
    /// The number of the last link: its destructor spawns nothing.
    last: usize,
    /// Records `drop:<n>` when a link's destructor starts and `spawned:<n>` once the spawn of link `n` returned
    /// (with whether its handle reported a cancellation). Only for short chains.
    trace: Option<Trace>,
    /// The number of every link dropped, in drop order.
    dropped: RefCell<Vec<usize>>,
    /// Where the links are spawned (the line in `Link::drop`).
    spawn_site: Cell<Option<&'static Location<'static>>>,
}

impl Chain {
    fn new(executor: &Executor, last: usize, trace: Option<&Trace>) -> Rc<Self> {
        Rc::new(Chain {
            executor: executor.clone(),
            last,
            trace: trace.cloned(),
            dropped: RefCell::default(),
            spawn_site: Cell::new(None),
        })
    }

    fn link(self: &Rc<Self>, n: usize) -> Link {
        Link { n, chain: self.clone() }
    }
}

/// A future that never completes and whose destructor spawns the next link of its chain.
struct Link {
    n: usize,
    chain: Rc<Chain>,
}

impl Future for Link {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        Poll::Pending
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        let chain = &self.chain;
        chain.dropped.borrow_mut().push(self.n);
        if let Some(trace) = &chain.trace {
            trace.note(format!("drop:{}", self.n));
        }
        if self.n == chain.last {
            return;
        }
        let at = here();
        chain.spawn_site.set(Some(at));
        let handle = chain.executor.spawn_at(chain.link(self.n + 1), at);
        let cancelled = outcome(handle).is_err_and(|error| error.is_cancelled());
        if let Some(trace) = &chain.trace {
            trace.note(format!("spawned:{} cancelled:{cancelled}", self.n + 1));
        }
    }
}

/// Spawns a task that holds link 0 of `chain` and never finishes, and polls it once.
fn spawn_pending_link(executor: &Executor, chain: &Rc<Chain>) {
    executor.spawn(chain.link(0)).detach();
    let _ = executor.flush();
}

/// The report of a chain cut at the limit, leaking `leaked` futures the first of which was spawned at `at`.
fn leak_report(leaked: usize, at: &'static Location<'static>) -> Event {
    panic_reported(
        &format!(
            "refused after shutdown and leaked: {REFUSED_DROP_LIMIT} refused futures were dropped in a row, each \
             spawning another from its destructor, so the executor ended the chain by leaking the {leaked} left \
             (never dropped). Do not spawn from Drop during shutdown: check `Executor::is_shut_down()` first"
        ),
        at.file(),
        at.line(),
    )
}

#[test]
fn future_spawned_by_the_destructor_of_a_refused_future_is_dropped_after_that_spawn_returned() {
    let (executor, trace) = executor();
    executor.shutdown();
    trace.take();
    let chain = Chain::new(&executor, 2, Some(&trace));

    executor.spawn(chain.link(0)).detach();
    trace.note("spawn returned");

    assert_eq!(
        trace.take(),
        [
            note("drop:0"),
            note("spawned:1 cancelled:true"),
            note("drop:1"),
            note("spawned:2 cancelled:true"),
            note("drop:2"),
            note("spawn returned"),
        ]
    );
}

#[test]
fn future_spawned_by_a_destructor_during_shutdown_is_dropped_after_that_spawn_returned() {
    let (executor, trace) = executor();
    let chain = Chain::new(&executor, 2, Some(&trace));
    spawn_pending_link(&executor, &chain);
    trace.take();

    executor.shutdown();
    trace.note("shutdown returned");

    assert_eq!(
        trace.take(),
        [
            note("drop:0"),
            note("spawned:1 cancelled:true"),
            note("drop:1"),
            note("spawned:2 cancelled:true"),
            note("drop:2"),
            note("shutdown returned"),
        ]
    );
    assert_eq!(executor.task_count(), 0);
}

#[test]
fn chain_of_destructors_spawning_after_shutdown_drops_each_future_once_without_overflowing_the_stack() {
    let (executor, trace) = executor();
    executor.shutdown();
    trace.take();
    let links = scaled(REFUSED_DROP_LIMIT, 300);
    let chain = Chain::new(&executor, links - 1, None);

    executor.spawn(chain.link(0)).detach();

    assert_eq!(*chain.dropped.borrow(), (0..links).collect::<Vec<_>>());
    assert_eq!(trace.take(), [], "nothing reported: the chain stayed within the limit");
    assert_eq!(executor.task_count(), 0);
}

#[test]
fn chain_of_destructors_spawning_during_shutdown_drops_each_future_once_without_overflowing_the_stack() {
    let (executor, trace) = executor();
    // Link 0 is the task's own future, dropped by the shutdown; links 1 to `refused` are refused spawns.
    let refused = scaled(REFUSED_DROP_LIMIT, 300);
    let chain = Chain::new(&executor, refused, None);
    spawn_pending_link(&executor, &chain);
    trace.take();

    executor.shutdown();

    assert_eq!(*chain.dropped.borrow(), (0..=refused).collect::<Vec<_>>());
    assert_eq!(trace.take(), [], "nothing reported: the chain stayed within the limit");
    assert_eq!(executor.task_count(), 0);
}

#[test]
#[cfg_attr(miri, ignore = "leaks on purpose, and ten thousand drops take minutes under miri")]
fn endless_chain_after_shutdown_is_cut_at_the_limit_and_the_leak_reported() {
    let (executor, trace) = executor();
    executor.shutdown();
    trace.take();
    let chain = Chain::new(&executor, usize::MAX, None);

    executor.spawn(chain.link(0)).detach();

    assert_eq!(*chain.dropped.borrow(), (0..REFUSED_DROP_LIMIT).collect::<Vec<_>>());
    let at = chain.spawn_site.get().expect("links were spawned");
    assert_eq!(trace.take(), [leak_report(1, at)]);
    assert_eq!(executor.task_count(), 0);
}

#[test]
#[cfg_attr(miri, ignore = "leaks on purpose, and ten thousand drops take minutes under miri")]
fn endless_chain_during_shutdown_is_cut_at_the_limit_and_the_leak_reported() {
    let (executor, trace) = executor();
    let chain = Chain::new(&executor, usize::MAX, None);
    spawn_pending_link(&executor, &chain);
    trace.take();

    executor.shutdown();

    // Link 0 was the task's own future, not a refused one.
    assert_eq!(*chain.dropped.borrow(), (0..=REFUSED_DROP_LIMIT).collect::<Vec<_>>());
    let at = chain.spawn_site.get().expect("links were spawned");
    assert_eq!(trace.take(), [leak_report(1, at)]);
    assert_eq!(executor.task_count(), 0);
}

#[test]
#[cfg_attr(miri, ignore = "leaks on purpose, and ten thousand drops take minutes under miri")]
fn refused_spawn_after_a_cut_chain_drops_its_future_again() {
    let (executor, trace) = executor();
    executor.shutdown();
    let chain = Chain::new(&executor, usize::MAX, None);
    executor.spawn(chain.link(0)).detach();
    trace.take();
    let (future, counts) = trace.probe("late", async {});

    executor.spawn(future).detach();

    assert_eq!(trace.take(), [dropped("late")]);
    assert_eq!(counts.drops(), 1);
}

#[test]
fn panicking_destructor_of_a_refused_future_is_reported_not_propagated() {
    let (executor, trace) = executor();
    executor.shutdown();
    trace.take();
    let guard = PanicOnDrop("refused boom");

    let spawn_line = line!() + 1;
    let handle = executor.spawn(async move {
        let _guard = guard;
    });

    assert_eq!(
        trace.take(),
        [panic_reported("a task's future panicked while being dropped: refused boom", file!(), spawn_line)]
    );
    assert!(outcome(handle).unwrap_err().is_cancelled());
}
