//! GDScript → Rust: call a method by name and await its result, coroutine or not.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

use godot::classes::Object;
use godot::meta::FromGodot;
use godot::obj::{Gd, Inherits, InstanceId};
use godot::prelude::{Signal, ToGodot, VarArray, Variant, VariantType};

use super::names;
use crate::origin::Origin;
use crate::runtime::{self, Awaiting};
use crate::signal::{SignalError, SignalErrorKind, TryNextEmission, describe};

/// Why a GDScript method called with [`call`] gave no value of the expected type.
///
/// It answers the questions every error of the crate answers, under the same names:
/// [`is_cancelled`](Self::is_cancelled) (the object, or what its coroutine awaited, was freed: GDScript ends
/// such a coroutine quietly), [`is_panic`](Self::is_panic) (never), [`started_at`](Self::started_at) (the
/// `call`), [`task_name`](Self::task_name), and [`source`](std::error::Error::source) (the signal failure behind
/// a [`CallFailed`](CallErrorKind::CallFailed), if there is one). [`kind`](Self::kind) tells every case apart.
///
/// # Example
///
/// ```no_run
/// # use godot::prelude::*;
/// # async fn example(npc: Gd<Node>) {
/// use godot_tasks::gdscript::{self, CallErrorKind};
/// match gdscript::call::<GString>(&npc, "talk", &[]).await {
///     Ok(line) => godot_print!("{line}"),
///     Err(error) if matches!(error.kind(), CallErrorKind::ObjectFreed) => {} // the NPC is gone
///     Err(error) => godot_error!("{error}"),
/// }
/// # }
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct CallError(Box<Details>);

/// Boxed: errors are rare, and a small error keeps the futures that may hold one small.
#[derive(Clone, Debug, PartialEq)]
struct Details {
    kind: CallErrorKind,
    object: String,
    method: String,
    origin: Origin,
    /// Whether this ended a call that had started (see [`CallError::is_cancelled`]).
    cancelled: bool,
    /// The failure of the signal that carried a coroutine's result, when that is what went wrong.
    source: Option<SignalError>,
}

/// What went wrong in a [`call`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum CallErrorKind {
    /// The object has no method of that name (a typo, or its script is not attached).
    MissingMethod,
    /// The engine refused the call (e.g. wrong argument count or types), or the method returned a signal
    /// that cannot be awaited; the message.
    CallFailed(String),
    /// The object was freed before the method returned (it was freed while the coroutine was waiting).
    ObjectFreed,
    /// The object lives, but the method can no longer return: its coroutine was waiting for an object that
    /// was freed, or it returned a signal whose object was freed.
    Abandoned,
    /// The method returned a value that does not convert to the expected Rust type.
    WrongType {
        /// The type of the returned value.
        returned: VariantType,
        /// The returned value, as text.
        value: String,
        /// The expected Rust type.
        expected: &'static str,
    },
}

impl CallError {
    /// What went wrong.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # fn example(error: godot_tasks::gdscript::CallError) {
    /// use godot_tasks::gdscript::CallErrorKind;
    /// let freed = matches!(error.kind(), CallErrorKind::ObjectFreed);
    /// # }
    /// ```
    pub fn kind(&self) -> &CallErrorKind {
        &self.0.kind
    }

    /// The called object, as described when the error happened, e.g. `Node2D 'Npc' (instance 123)`, or
    /// `a freed object (instance 123)`.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # fn example(error: godot_tasks::gdscript::CallError) {
    /// eprintln!("{} failed", error.object());
    /// # }
    /// ```
    pub fn object(&self) -> &str {
        &self.0.object
    }

    /// The method's name.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # fn example(error: godot_tasks::gdscript::CallError) {
    /// eprintln!("{} failed", error.method());
    /// # }
    /// ```
    pub fn method(&self) -> &str {
        &self.0.method
    }

    /// Whether the call was cancelled rather than failed: the object was freed while its method (a coroutine)
    /// was running ([`ObjectFreed`](CallErrorKind::ObjectFreed)), or what the coroutine awaited was
    /// ([`Abandoned`](CallErrorKind::Abandoned)). GDScript ends such a coroutine quietly.
    ///
    /// A call on an object that was already freed is not a cancellation but a bug (GDScript reports it as an
    /// error too): its kind is also `ObjectFreed`, and this is false.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # fn example(error: godot_tasks::gdscript::CallError) {
    /// if !error.is_cancelled() {
    ///     godot::global::godot_error!("{error}"); // a bug: a typo, wrong arguments, a wrong type
    /// }
    /// # }
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.0.cancelled
    }

    /// Always false: the engine reports a panic in a Rust method called this way as a failed call
    /// ([`CallFailed`](CallErrorKind::CallFailed)), and Godot's output shows the panic. Here so that every
    /// error of the crate answers the same questions.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # fn example(error: godot_tasks::gdscript::CallError) {
    /// assert!(!error.is_panic());
    /// # }
    /// ```
    pub fn is_panic(&self) -> bool {
        false
    }

    /// Where [`call`] was called.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # fn example(error: godot_tasks::gdscript::CallError) {
    /// eprintln!("called at {}", error.started_at());
    /// # }
    /// ```
    pub fn started_at(&self) -> &'static Location<'static> {
        self.0.origin.started_at
    }

    /// The name of the task that awaited the call, if it has one.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # fn example(error: godot_tasks::gdscript::CallError) {
    /// eprintln!("in {}", error.task_name().unwrap_or("an unnamed task"));
    /// # }
    /// ```
    pub fn task_name(&self) -> Option<&str> {
        self.0.origin.task_name()
    }
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Details { kind, object, method, origin, .. } = &*self.0;
        let (at, by) = (origin.started_at, origin.awaited_by());
        match kind {
            CallErrorKind::MissingMethod => write!(
                f,
                "{object} has no method '{method}' (called at {at}{by}); check the name, and that the object's script defines it"
            ),
            CallErrorKind::CallFailed(message) => {
                write!(f, "calling '{method}' on {object} failed (called at {at}{by}): {message}")
            }
            CallErrorKind::ObjectFreed => {
                write!(f, "{object} was freed before its method '{method}' returned (called at {at}{by})")
            }
            CallErrorKind::Abandoned => write!(
                f,
                "'{method}' of {object} can no longer return (called at {at}{by}): what it was waiting for was freed"
            ),
            CallErrorKind::WrongType { returned, value, expected } => {
                write!(
                    f,
                    "'{method}' of {object} returned {returned:?} `{value}`, which does not convert to {expected} (called at {at}{by}); change the expected type or what the method returns"
                )?;
                if *returned == VariantType::NIL {
                    write!(f, " (a script error also makes a method return null: see Godot's output)")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for CallError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source.as_ref().map(|error| error as _)
    }
}

/// Calls `method` on `object` with `args` now, and returns a future of its result converted to `T`.
///
/// Awaits the result the way GDScript's `await object.method(args)` does: if the method returns at once,
/// the future is ready with its value; if it is a coroutine (it reached an `await`), the future resolves
/// when the coroutine returns, with what it returns; if it returns a `Signal` (as a Rust
/// [`awaitable`](super::awaitable) does), the future resolves with the signal's next emission (no
/// argument: null, one: the value, more: an array). Use `T = Variant` to take any value, `()` for none; to
/// get a returned `Signal` itself, call the method with `Object::call`.
///
/// The call happens here, synchronously, as in GDScript: the method runs until its first `await` before
/// this returns, so do not hold a `bind_mut()` of an object the method calls back into.
///
/// Errors ([`CallError`]) name the object, the method and the call site: no such method, a call the
/// engine refused (argument count or types), the object freed (before the call, or before the coroutine
/// returned), a coroutine that can no longer return (what it awaited was freed), or a result that does not
/// convert to `T`.
///
/// # Panics
///
/// Off Godot's main thread.
///
/// # Example
///
/// ```no_run
/// use godot::prelude::*;
///
/// # fn example(dialogue: Gd<Node>) {
/// // GDScript: func ask(question: String) -> String:
/// //               await get_tree().create_timer(1.0).timeout
/// //               return "Yes, " + question
/// godot_tasks::spawn(async move {
///     let answer = godot_tasks::gdscript::call::<GString>(&dialogue, "ask", vslice!["ready?"]).await;
///     match answer {
///         Ok(answer) => godot_print!("{answer}"),
///         Err(error) => godot_error!("{error}"),
///     }
/// })
/// .detach();
/// # }
/// ```
#[track_caller]
pub fn call<T: FromGodot>(object: &Gd<impl Inherits<Object>>, method: &str, args: &[Variant]) -> Call<T> {
    let called_at = Location::caller();
    runtime::assert_main_thread("gdscript::call()", called_at);
    let target = Target { object: object.instance_id_unchecked(), method: method.to_owned(), called_at };
    if !object.is_instance_valid() {
        return Call { target, state: State::Failed(CallErrorKind::ObjectFreed), _result: PhantomData };
    }
    let mut object: Gd<Object> = object.clone().upcast();
    let state = match object.try_call(method, args) {
        Ok(returned) => awaited(returned, called_at),
        // Told apart only now, to keep the common path to one engine call.
        Err(_) if !object.has_method(method) => State::Failed(CallErrorKind::MissingMethod),
        Err(failure) => {
            State::Failed(CallErrorKind::CallFailed(format!("{failure}; check the number and types of the arguments")))
        }
    };
    Call { target, state, _result: PhantomData }
}

/// What GDScript's `await` would do with a method's return value: wait for a coroutine to return or for a
/// signal's next emission; anything else is the result itself.
fn awaited(returned: Variant, called_at: &'static Location<'static>) -> State {
    // A coroutine that reached an `await` returns its state object, which emits `completed` with the return
    // value when the coroutine ends.
    if let Ok(coroutine) = returned.try_to::<Gd<Object>>()
        && coroutine.is_class(&names::function_state())
    {
        let completed = Signal::from_object_signal(&coroutine, &names::completed());
        return State::Waiting(TryNextEmission::new(&completed, called_at));
    }
    match returned.try_to::<Signal>() {
        Ok(signal) => State::Waiting(TryNextEmission::new(&signal, called_at)),
        Err(_) => State::Returned(returned),
    }
}

/// The result of a GDScript method called with [`call`]; resolves when the method (or coroutine) returns.
///
/// Dropping it stops waiting, nothing more: GDScript has no way to cancel a coroutine, so one that is
/// waiting goes on and returns to nobody.
///
/// # Example
///
/// ```no_run
/// # use godot::prelude::*;
/// # async fn example(npc: Gd<Node>) {
/// let greeting: godot_tasks::gdscript::Call<GString> = godot_tasks::gdscript::call(&npc, "greet", &[]);
/// let greeting = greeting.await;
/// # }
/// ```
#[must_use = "the method was called; await this for its result"]
pub struct Call<T> {
    target: Target,
    state: State,
    _result: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for Call<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match self.state {
            State::Returned(_) => "returned",
            State::Failed(_) => "failed",
            State::Waiting(_) => "waiting",
            State::Done => "done",
        };
        f.debug_struct("Call")
            .field("method", &self.target.method)
            .field("object", &self.target.object)
            .field("called_at", &self.target.called_at)
            .field("state", &state)
            .finish()
    }
}

/// What was called, for error messages.
struct Target {
    /// Described only for an error, if still alive then.
    object: InstanceId,
    method: String,
    called_at: &'static Location<'static>,
}

enum State {
    Returned(Variant),
    Failed(CallErrorKind),
    /// For a coroutine's `completed`, or a returned signal's next emission. A suspended coroutine's state
    /// object is kept alive by the connection of the `await` it is suspended on; when the coroutine's
    /// object is freed, GDScript drops that connection, the state object goes, and this ends with
    /// `EmitterFreed`.
    Waiting(TryNextEmission<Vec<Variant>>),
    Done,
}

impl<T: FromGodot> Call<T> {
    /// The error of a call that ended with `kind` after it started.
    fn error(&self, kind: CallErrorKind) -> CallError {
        self.error_from(kind, None, true)
    }

    fn error_from(&self, kind: CallErrorKind, source: Option<SignalError>, started: bool) -> CallError {
        let cancelled = started && matches!(kind, CallErrorKind::ObjectFreed | CallErrorKind::Abandoned);
        let Target { object, method, called_at } = &self.target;
        let object = match Gd::<Object>::try_from_instance_id(*object) {
            Ok(alive) => describe(&alive),
            Err(_) => format!("a freed object (instance {object})"),
        };
        let origin = Origin::now(called_at);
        CallError(Box::new(Details { kind, object, method: method.clone(), origin, cancelled, source }))
    }

    /// `returned` as a `T`.
    fn convert(&self, returned: Variant) -> Result<T, CallError> {
        returned.try_to::<T>().map_err(|_| {
            self.error(CallErrorKind::WrongType {
                returned: returned.get_type(),
                value: returned.to_string(),
                expected: std::any::type_name::<T>(),
            })
        })
    }
}

impl<T: FromGodot> Future for Call<T> {
    type Output = Result<T, CallError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let state = std::mem::replace(&mut this.state, State::Done);
        Poll::Ready(match state {
            State::Returned(returned) => this.convert(returned),
            State::Failed(kind) => Err(this.error_from(kind, None, false)),
            State::Waiting(mut emission) => match runtime::quietly(|| Pin::new(&mut emission).poll(cx)) {
                // As GDScript's `await`: no argument is null, one is the value, more are an array.
                Poll::Ready(Ok(mut args)) => this.convert(match args.len() {
                    0 => Variant::nil(),
                    1 => args.remove(0),
                    _ => args.into_iter().collect::<VarArray>().to_variant(),
                }),
                Poll::Ready(Err(error)) => Err(match error.kind() {
                    // The coroutine's state (or the returned signal's object) is gone: because the object
                    // was freed, or because what the coroutine awaited was.
                    SignalErrorKind::EmitterFreed if this.target.object.lookup_validity() => {
                        this.error(CallErrorKind::Abandoned)
                    }
                    SignalErrorKind::EmitterFreed => this.error(CallErrorKind::ObjectFreed),
                    _ => this.error_from(
                        CallErrorKind::CallFailed(error.without_origin().to_string()),
                        Some(error),
                        true,
                    ),
                }),
                Poll::Pending => {
                    this.state = State::Waiting(emission);
                    let Target { object, method, .. } = &this.target;
                    runtime::note_awaiting(|| Awaiting::GdscriptCall {
                        object: Gd::<Object>::try_from_instance_id(*object)
                            .map_or_else(|_| format!("a freed object (instance {object})"), |alive| describe(&alive)),
                        method: method.clone(),
                    });
                    return Poll::Pending;
                }
            },
            State::Done => panic!("godot-tasks: a gdscript::call future was polled after it completed"),
        })
    }
}
