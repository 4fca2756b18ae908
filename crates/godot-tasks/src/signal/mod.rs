//! Signals as futures and streams: `await` the next emission of any Godot signal, or every one of them.
//!
//! Two extension traits add the methods: [`SignalExt`] on untyped [`Signal`] values (you name the argument
//! tuple) and [`TypedSignalExt`] on the `godot` crate's typed signals (`obj.signals().hit()`, for engine
//! and for your own classes; the tuple comes from the signal). Both offer:
//!
//! | method | gives | when the emitter is freed |
//! |---|---|---|
//! | `next_emission()` | [`NextEmission`]: the next emission's arguments | panics (caught by the task) |
//! | `try_next_emission()` | [`TryNextEmission`]: `Result<args, SignalError>` | `Err(EmitterFreed)` |
//! | `emissions()` | [`Emissions`]: a `Stream` of every emission | the stream ends |
//! | `try_emissions()` | [`TryEmissions`]: a `Stream` of `Result`s | the stream ends |
//!
//! ```no_run
//! use godot::classes::Timer;
//! use godot::prelude::*;
//! use godot_tasks::signal::{SignalExt, TypedSignalExt};
//!
//! # fn example(mut timer: Gd<Timer>, enemy: Gd<Node>) {
//! godot_tasks::spawn(async move {
//!     timer.start();
//!     timer.signals().timeout().next_emission().await; // typed: `()`
//!     let hit = Signal::from_object_signal(&enemy, "hit");
//!     let (damage, source): (i64, Gd<Node>) = hit.next_emission().await; // untyped: you name the types
//!     godot_print!("{source} dealt {damage}");
//! })
//! .detach();
//! # }
//! ```
//!
//! **Arguments always come as a tuple**, whatever their number: `()` for none, `(x,)` for one (note the
//! comma), `(a, b)` for two. So a one-argument signal reads `let (damage,): (i64,) = hit.next_emission().await;`
//! or, on a typed signal, `let (damage,) = enemy.signals().hit().next_emission().await;`. (A GDScript call
//! through [`gdscript::call`](crate::gdscript::call) is different: a function returns one value, so it comes
//! unwrapped.)
//!
//! What to rely on:
//!
//! - **Nothing is missed.** A future or stream is connected when it is created, so an emission between its
//!   creation and its first poll is kept.
//! - **The task resumes after the emission, never inside it**: in the runtime's next flush, later in the same
//!   frame. The arguments are those of the first emission after the future was made.
//! - **One engine connection per signal**, however many futures and streams await it. When the last one is
//!   dropped, the connection is removed by the runtime's next frame hook (at the start of the next frame; so
//!   a loop that awaits the same signal again and again keeps one connection instead of reconnecting each
//!   time), or at once when the runtime has no frame hook (no scene tree, or after
//!   [`runtime::shutdown`](crate::runtime::shutdown)). At engine exit every connection is removed.
//! - **Any argument type** that converts from a `Variant` ([`SignalArgs`]), checked when the task resumes:
//!   a wrong number or type of arguments is an error that says so.
//! - **Any thread may emit**; the task still resumes on the main thread. An emission on another thread is
//!   handed over by the runtime's frame hook (so it resumes in the same or the next frame, and needs a running
//!   runtime with a scene tree), or earlier by any emission of a watched signal on the main thread; the
//!   order of emissions is kept. Arguments that must not cross threads (objects,
//!   strings, arrays, ...) are not touched; the awaiting side gets
//!   [`SignalErrorKind::NotThreadSafe`] instead. Plain values (numbers, vectors, colours, ...) pass.
//! - **Cost**: creating a future on an untyped [`Signal`] whose connection already exists costs a lookup and
//!   a slot (a few cheap engine calls to read the signal's name and object, no new connection); an emission costs one shared allocation for its arguments
//!   however many tasks await it. A typed signal first converts itself with the `godot` crate's
//!   `to_untyped()`, which costs several times more than the rest; in a hot loop, convert once and await the
//!   untyped signal:
//!
//!   ```no_run
//!   # use godot::prelude::*;
//!   # use godot_tasks::signal::SignalExt;
//!   # #[derive(GodotClass)] #[class(init, base = Node)] struct Enemy { base: Base<Node> }
//!   # #[godot_api] impl Enemy { #[signal] fn hit(damage: i64); }
//!   # async fn example(enemy: Gd<Enemy>) {
//!   let hit = enemy.signals().hit().to_untyped();
//!   loop {
//!       let (damage,): (i64,) = hit.next_emission().await;
//!       godot_print!("-{damage}");
//!   }
//!   # }
//!   ```
//! - **Main thread only**: futures and streams are created and polled on Godot's main thread (they are not
//!   `Send`); creating one elsewhere panics with a message saying so.

mod args;
mod connection;
mod describe;
mod error;
mod events;
mod future;
mod hubs;
mod lifecycle;
mod registry;
mod remote;
mod stream;
mod subscription;
mod waiters;

use std::panic::Location;

use godot::builtin::Signal;
use godot::obj::WithSignals;
use godot::signal::TypedSignal;
use godot_core::meta::ParamTuple;

pub use args::SignalArgs;
pub(crate) use describe::describe;
pub use error::{SignalError, SignalErrorKind};
pub use future::{NextEmission, TryNextEmission};
pub(crate) use hubs::waiter_count;

/// The signal service's hooks: each frame, emissions from other threads are delivered and idle connections
/// released; when the runtime stops, connections are released (all of them at exit and unload, since the
/// emitters outlive the library).
pub(crate) const SERVICE: crate::runtime::Service = crate::runtime::Service {
    frame: lifecycle::on_frame,
    stop: |reason| match reason {
        crate::runtime::Stop::Shutdown => lifecycle::on_shutdown(),
        crate::runtime::Stop::EngineExit | crate::runtime::Stop::Unload => lifecycle::on_engine_exit(),
    },
    ..crate::runtime::Service::NONE
};
pub use stream::{Emissions, Next, TryEmissions};

use crate::runtime::assert_main_thread;

/// Awaiting untyped [`Signal`] values: you choose the argument tuple `A`.
///
/// See the [module documentation](self) for the guarantees.
///
/// # Example
///
/// ```no_run
/// use godot::prelude::*;
/// use godot_tasks::signal::SignalExt;
///
/// # async fn example(button: Gd<Node>) {
/// Signal::from_object_signal(&button, "pressed").next_emission::<()>().await;
/// # }
/// ```
pub trait SignalExt {
    /// The next emission's arguments; panics (inside the task) if the emitter is freed first or the
    /// arguments do not fit `A`.
    ///
    /// # Panics
    ///
    /// Here, if called off Godot's main thread. When awaited, on the errors of [`TryNextEmission`].
    ///
    /// # Example
    ///
    /// ```no_run
    /// use godot::prelude::*;
    /// use godot_tasks::signal::SignalExt;
    ///
    /// # async fn example(player: Gd<Node>) {
    /// let (coins,): (i64,) = Signal::from_object_signal(&player, "coins_changed").next_emission().await;
    /// # }
    /// ```
    fn next_emission<A: SignalArgs>(&self) -> NextEmission<A>;

    /// The next emission's arguments, or a [`SignalError`] (emitter freed, no such signal, arguments that do
    /// not fit `A`, or that may not cross threads).
    ///
    /// # Panics
    ///
    /// If called off Godot's main thread.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use godot::prelude::*;
    /// use godot_tasks::signal::SignalExt;
    ///
    /// # async fn example(enemy: Gd<Node>) {
    /// if Signal::from_object_signal(&enemy, "died").try_next_emission::<()>().await.is_err() {
    ///     godot_print!("freed before it died");
    /// }
    /// # }
    /// ```
    fn try_next_emission<A: SignalArgs>(&self) -> TryNextEmission<A>;

    /// Every emission from now on, in order; ends when the emitter is freed.
    ///
    /// # Panics
    ///
    /// Here, if called off Godot's main thread. When polled, on an emission that does not fit `A`.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use godot::prelude::*;
    /// use godot_tasks::signal::SignalExt;
    ///
    /// # async fn example(enemy: Gd<Node>) {
    /// let mut hits = Signal::from_object_signal(&enemy, "hit").emissions::<(i64,)>();
    /// while let Some((damage,)) = hits.next().await {
    ///     godot_print!("-{damage}");
    /// }
    /// # }
    /// ```
    fn emissions<A: SignalArgs>(&self) -> Emissions<A>;

    /// Every emission from now on, in order, each a `Result`; ends when the emitter is freed.
    ///
    /// # Panics
    ///
    /// If called off Godot's main thread.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use godot::prelude::*;
    /// use godot_tasks::signal::SignalExt;
    ///
    /// # async fn example(enemy: Gd<Node>) {
    /// let mut hits = Signal::from_object_signal(&enemy, "hit").try_emissions::<(i64,)>();
    /// while let Some(hit) = hits.next().await {
    ///     if let Err(error) = hit {
    ///         godot_error!("{error}");
    ///     }
    /// }
    /// # }
    /// ```
    fn try_emissions<A: SignalArgs>(&self) -> TryEmissions<A>;
}

impl SignalExt for Signal {
    #[track_caller]
    fn next_emission<A: SignalArgs>(&self) -> NextEmission<A> {
        let at = Location::caller();
        assert_main_thread("Signal::next_emission()", at);
        NextEmission::new(self, at)
    }

    #[track_caller]
    fn try_next_emission<A: SignalArgs>(&self) -> TryNextEmission<A> {
        let at = Location::caller();
        assert_main_thread("Signal::try_next_emission()", at);
        TryNextEmission::new(self, at)
    }

    #[track_caller]
    fn emissions<A: SignalArgs>(&self) -> Emissions<A> {
        let at = Location::caller();
        assert_main_thread("Signal::emissions()", at);
        Emissions::new(self, at)
    }

    #[track_caller]
    fn try_emissions<A: SignalArgs>(&self) -> TryEmissions<A> {
        let at = Location::caller();
        assert_main_thread("Signal::try_emissions()", at);
        TryEmissions::new(self, at)
    }
}

/// Awaiting the `godot` crate's typed signals (`obj.signals().name()`): the argument tuple is the signal's.
///
/// The names differ from the `godot` crate's own `to_future()` / `to_fallible_future()`, so both can be
/// in scope. See the [module documentation](self) for the guarantees.
///
/// # Example
///
/// ```no_run
/// use godot::classes::Timer;
/// use godot::prelude::*;
/// use godot_tasks::signal::TypedSignalExt;
///
/// # async fn example(timer: Gd<Timer>) {
/// timer.signals().timeout().next_emission().await;
/// # }
/// ```
pub trait TypedSignalExt {
    /// The signal's parameters as a tuple.
    type Args: SignalArgs;

    /// The next emission's arguments; panics (inside the task) if the emitter is freed first.
    ///
    /// # Panics
    ///
    /// Here, if called off Godot's main thread. When awaited, on the errors of [`TryNextEmission`].
    ///
    /// # Example
    ///
    /// ```no_run
    /// use godot::classes::Node;
    /// use godot::prelude::*;
    /// use godot_tasks::signal::TypedSignalExt;
    ///
    /// # async fn example(parent: Gd<Node>) {
    /// let (child,) = parent.signals().child_entered_tree().next_emission().await;
    /// godot_print!("{} joined", child.get_name());
    /// # }
    /// ```
    fn next_emission(&self) -> NextEmission<Self::Args>;

    /// The next emission's arguments, or a [`SignalError`] (for example when the emitter is freed first).
    ///
    /// # Panics
    ///
    /// If called off Godot's main thread.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use godot::classes::Node;
    /// use godot::prelude::*;
    /// use godot_tasks::signal::TypedSignalExt;
    ///
    /// # async fn example(node: Gd<Node>) {
    /// match node.signals().ready().try_next_emission().await {
    ///     Ok(()) => godot_print!("ready"),
    ///     Err(error) => godot_print!("{error}"),
    /// }
    /// # }
    /// ```
    fn try_next_emission(&self) -> TryNextEmission<Self::Args>;

    /// Every emission from now on, in order; ends when the emitter is freed.
    ///
    /// # Panics
    ///
    /// Here, if called off Godot's main thread. When polled, on an emission it cannot deliver (for example
    /// one from another thread whose arguments may not cross threads).
    ///
    /// # Example
    ///
    /// ```no_run
    /// use godot::classes::Node;
    /// use godot::prelude::*;
    /// use godot_tasks::signal::TypedSignalExt;
    ///
    /// # async fn example(parent: Gd<Node>) {
    /// let mut arrivals = parent.signals().child_entered_tree().emissions();
    /// while let Some((child,)) = arrivals.next().await {
    ///     godot_print!("{} joined", child.get_name());
    /// }
    /// # }
    /// ```
    fn emissions(&self) -> Emissions<Self::Args>;

    /// Every emission from now on, in order, each a `Result`; ends when the emitter is freed.
    ///
    /// # Panics
    ///
    /// If called off Godot's main thread.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use godot::classes::Node;
    /// use godot::prelude::*;
    /// use godot_tasks::signal::TypedSignalExt;
    ///
    /// # async fn example(node: Gd<Node>) {
    /// let mut renames = node.signals().renamed().try_emissions();
    /// while let Some(Ok(())) = renames.next().await {}
    /// # }
    /// ```
    fn try_emissions(&self) -> TryEmissions<Self::Args>;
}

impl<C: WithSignals, Ps: ParamTuple + SignalArgs> TypedSignalExt for TypedSignal<'_, C, Ps> {
    type Args = Ps;

    #[track_caller]
    fn next_emission(&self) -> NextEmission<Ps> {
        let at = Location::caller();
        assert_main_thread("TypedSignal::next_emission()", at);
        NextEmission::new(&self.to_untyped(), at)
    }

    #[track_caller]
    fn try_next_emission(&self) -> TryNextEmission<Ps> {
        let at = Location::caller();
        assert_main_thread("TypedSignal::try_next_emission()", at);
        TryNextEmission::new(&self.to_untyped(), at)
    }

    #[track_caller]
    fn emissions(&self) -> Emissions<Ps> {
        let at = Location::caller();
        assert_main_thread("TypedSignal::emissions()", at);
        Emissions::new(&self.to_untyped(), at)
    }

    #[track_caller]
    fn try_emissions(&self) -> TryEmissions<Ps> {
        let at = Location::caller();
        assert_main_thread("TypedSignal::try_emissions()", at);
        TryEmissions::new(&self.to_untyped(), at)
    }
}
