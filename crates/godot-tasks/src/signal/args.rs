//! Turning an emission's arguments into the Rust values a task awaits.

use godot::builtin::Variant;
use godot::meta::FromGodot;

use super::SignalErrorKind;

/// The arguments of one signal emission, as the awaiting task wants them.
///
/// Implemented for tuples of up to 12 elements of any type that converts from a `Variant` ([`FromGodot`]):
/// numbers, strings, `Gd<T>`, `Option<Gd<T>>`, typed and untyped arrays and dictionaries, enums and your
/// own `#[derive(GodotConvert)]` types. `()` awaits a signal without arguments. `Vec<Variant>` takes any
/// number of arguments as they are.
///
/// The number of arguments must match the signal's exactly, as for any Godot callable connected to it.
///
/// # Example
///
/// ```no_run
/// use godot::prelude::*;
/// use godot_tasks::signal::SignalExt;
///
/// # async fn example(area: Gd<Node>) {
/// let signal = Signal::from_object_signal(&area, "body_entered");
/// let (body,): (Gd<Node>,) = signal.next_emission().await;
/// let anything: Vec<Variant> = signal.next_emission().await;
/// # }
/// ```
pub trait SignalArgs: Sized + 'static {
    /// Converts the emitted arguments, or says why they do not fit.
    ///
    /// # Errors
    ///
    /// [`SignalErrorKind::ArityMismatch`] or [`SignalErrorKind::TypeMismatch`].
    ///
    /// # Example
    ///
    /// ```
    /// use godot_tasks::signal::SignalArgs;
    ///
    /// let none: &[godot::builtin::Variant] = &[];
    /// assert!(<()>::from_args(none).is_ok());
    /// ```
    fn from_args(args: &[Variant]) -> Result<Self, SignalErrorKind>;
}

impl SignalArgs for Vec<Variant> {
    fn from_args(args: &[Variant]) -> Result<Self, SignalErrorKind> {
        Ok(args.to_vec())
    }
}

fn check_arity(args: &[Variant], expected: usize) -> Result<(), SignalErrorKind> {
    if args.len() == expected {
        Ok(())
    } else {
        Err(SignalErrorKind::ArityMismatch { expected, emitted: args.iter().map(Variant::get_type).collect() })
    }
}

fn convert<T: FromGodot>(args: &[Variant], index: usize) -> Result<T, SignalErrorKind> {
    T::try_from_variant(&args[index]).map_err(|error| SignalErrorKind::TypeMismatch {
        index,
        expected: std::any::type_name::<T>(),
        emitted: args[index].get_type(),
        reason: error.to_string(),
    })
}

macro_rules! impl_signal_args {
    ($len:literal: $($name:ident $index:tt),*) => {
        impl<$($name: FromGodot + 'static),*> SignalArgs for ($($name,)*) {
            #[allow(unused_variables)] // `args` for the empty tuple
            fn from_args(args: &[Variant]) -> Result<Self, SignalErrorKind> {
                check_arity(args, $len)?;
                Ok(($(convert::<$name>(args, $index)?,)*))
            }
        }
    };
}

impl_signal_args!(0:);
impl_signal_args!(1: A 0);
impl_signal_args!(2: A 0, B 1);
impl_signal_args!(3: A 0, B 1, C 2);
impl_signal_args!(4: A 0, B 1, C 2, D 3);
impl_signal_args!(5: A 0, B 1, C 2, D 3, E 4);
impl_signal_args!(6: A 0, B 1, C 2, D 3, E 4, F 5);
impl_signal_args!(7: A 0, B 1, C 2, D 3, E 4, F 5, G 6);
impl_signal_args!(8: A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
impl_signal_args!(9: A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
impl_signal_args!(10: A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
impl_signal_args!(11: A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10);
impl_signal_args!(12: A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11);
