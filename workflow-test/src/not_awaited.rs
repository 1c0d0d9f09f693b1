//! A memory check or load test used without `.await`: `h.memory_growth(10, || ..)` and
//! `h.load(..)` return a named future and a boxed one (so that a wrong argument is one
//! error, at it), and rustc offers "consider `.await`ing" only for `impl Future` types.
//! The prelude brings [`ResultNotAwaited`] into scope (as `_`): its methods, named like those of
//! [`MemoryGrowth`] and [`LoadReport`], each require [`AwaitedFirst`], which nothing
//! implements, so `g.total_bytes()` on the future is one error saying to add `.await`
//! (rustc's own is "no method named `total_bytes` found", with no hint).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::{LoadReport, MemoryCheck, MemoryGrowth};

/// What [`ResultNotAwaited`]'s methods need: an awaited result. Implemented for nothing;
/// named in the compile error. Not API.
#[diagnostic::on_unimplemented(
    message = "this is the check's future, not its result: add `.await` after the call",
    label = "a future: `.await` it before calling this, like `h.load(..).await.p99()`",
    note = "`memory_growth`, `assert_no_memory_growth` and `load` return futures that run the check when awaited, like an `async fn` call"
)]
#[doc(hidden)]
pub trait AwaitedFirst {
    /// Never called (no type implements this trait).
    #[doc(hidden)]
    fn never(&self) -> std::convert::Infallible;
}

/// The methods of [`MemoryGrowth`] and [`LoadReport`], called on the future that gives
/// them. In the prelude as `_`. Not API.
#[doc(hidden)]
pub trait ResultNotAwaited<T> {
    #[doc(hidden)]
    fn total_bytes(&self) -> i64
    where
        Self: AwaitedFirst;
    #[doc(hidden)]
    fn per_iteration(&self) -> f64
    where
        Self: AwaitedFirst;
    #[doc(hidden)]
    fn throughput(&self) -> f64
    where
        Self: AwaitedFirst;
    #[doc(hidden)]
    fn wall_throughput(&self) -> f64
    where
        Self: AwaitedFirst;
    #[doc(hidden)]
    fn percentile(&self, q: f64) -> Duration
    where
        Self: AwaitedFirst;
    #[doc(hidden)]
    fn p50(&self) -> Duration
    where
        Self: AwaitedFirst;
    #[doc(hidden)]
    fn p90(&self) -> Duration
    where
        Self: AwaitedFirst;
    #[doc(hidden)]
    fn p99(&self) -> Duration
    where
        Self: AwaitedFirst;
    #[doc(hidden)]
    fn all_succeeded(&self) -> bool
    where
        Self: AwaitedFirst;
}

macro_rules! never_impl {
    ([$($generics:tt)*] $ty:ty, $out:ty) => {
        // `never()` returns an uninhabited type, which rustc's reachability lint flags.
        #[allow(unreachable_code)]
        impl<$($generics)*> ResultNotAwaited<$out> for $ty {
            fn total_bytes(&self) -> i64
            where
                Self: AwaitedFirst,
            {
                match self.never() {}
            }
            fn per_iteration(&self) -> f64
            where
                Self: AwaitedFirst,
            {
                match self.never() {}
            }
            fn throughput(&self) -> f64
            where
                Self: AwaitedFirst,
            {
                match self.never() {}
            }
            fn wall_throughput(&self) -> f64
            where
                Self: AwaitedFirst,
            {
                match self.never() {}
            }
            fn percentile(&self, _: f64) -> Duration
            where
                Self: AwaitedFirst,
            {
                match self.never() {}
            }
            fn p50(&self) -> Duration
            where
                Self: AwaitedFirst,
            {
                match self.never() {}
            }
            fn p90(&self) -> Duration
            where
                Self: AwaitedFirst,
            {
                match self.never() {}
            }
            fn p99(&self) -> Duration
            where
                Self: AwaitedFirst,
            {
                match self.never() {}
            }
            fn all_succeeded(&self) -> bool
            where
                Self: AwaitedFirst,
            {
                match self.never() {}
            }
        }
    };
}

never_impl!(['a, F, Fut] MemoryCheck<'a, F, Fut>, MemoryGrowth);
never_impl!(
    ['a] Pin<Box<dyn Future<Output = LoadReport> + Send + 'a>>,
    LoadReport
);
