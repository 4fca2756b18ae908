//! What tests are made of: a name, an async body polled once per frame by the runner, frame helpers.
//!
//! The runner polls test bodies itself (one poll per frame, with a no-op waker), independently of the
//! runtime under test; so `next_frame().await` inside a body means "resume in the next frame".

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

pub type TestResult = Result<(), String>;
pub type TestBody = Pin<Box<dyn Future<Output = TestResult>>>;

pub struct Test {
    pub name: &'static str,
    pub body: fn() -> TestBody,
}

/// Declares tests: `tests![name => async_fn, ...]`.
#[macro_export]
macro_rules! tests {
    ($($name:ident),* $(,)?) => {
        pub fn all() -> Vec<$crate::harness::Test> {
            vec![$($crate::harness::Test { name: stringify!($name), body: || Box::pin($name()) }),*]
        }
    };
}

/// Fails the test with a message unless the condition holds.
#[macro_export]
macro_rules! ensure {
    ($cond:expr) => {
        let holds: bool = $cond;
        if !holds {
            return Err(format!("{}:{}: expected {}", file!(), line!(), stringify!($cond)));
        }
    };
    ($cond:expr, $($fmt:tt)+) => {
        let holds: bool = $cond;
        if !holds {
            return Err(format!("{}:{}: {}", file!(), line!(), format!($($fmt)+)));
        }
    };
}

/// Fails unless both sides are equal, showing both.
#[macro_export]
macro_rules! ensure_eq {
    ($left:expr, $right:expr) => {{
        let (left, right) = (&$left, &$right);
        if left != right {
            return Err(format!(
                "{}:{}: {} == {} failed: {:?} != {:?}",
                file!(),
                line!(),
                stringify!($left),
                stringify!($right),
                left,
                right
            ));
        }
    }};
}

/// Resumes the test body in the next frame.
pub fn next_frame() -> impl Future<Output = ()> {
    frames(1)
}

/// Resumes the test body `n` frames later.
pub fn frames(n: u32) -> impl Future<Output = ()> {
    let mut left = n;
    std::future::poll_fn(move |_cx: &mut Context<'_>| {
        if left == 0 {
            return Poll::Ready(());
        }
        left -= 1;
        Poll::Pending
    })
}

/// The engine's frame counter.
pub fn frame() -> u64 {
    use godot::obj::Singleton;
    godot::classes::Engine::singleton().get_process_frames()
}

/// Waits (up to `max_frames`) until `condition` holds; fails with `what` otherwise.
pub async fn wait_until(max_frames: u32, what: &str, mut condition: impl FnMut() -> bool) -> TestResult {
    for _ in 0..max_frames {
        if condition() {
            return Ok(());
        }
        next_frame().await;
    }
    if condition() { Ok(()) } else { Err(format!("timed out after {max_frames} frames waiting until {what}")) }
}

/// The running scene tree.
pub fn tree() -> godot::obj::Gd<godot::classes::SceneTree> {
    use godot::obj::Singleton;
    godot::classes::Engine::singleton()
        .get_main_loop()
        .and_then(|main_loop| main_loop.try_cast().ok())
        .expect("the tests run inside a SceneTree")
}

/// Spawns `future` as a task and awaits its value from the test body (resumes at the latest one frame
/// after the task ends); a panic or cancellation of the task becomes the error.
pub async fn run_task<T: 'static>(future: impl Future<Output = T> + 'static) -> Result<T, String> {
    godot_tasks::spawn(future).await.map_err(|error| error.to_string())
}
