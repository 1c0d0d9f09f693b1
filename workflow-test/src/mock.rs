//! Mocks: [`CallRecorder`] records calls of a hand-written mock, [`MockFn`] is a
//! ready-made mock function with programmable answers.

use std::borrow::Borrow;
use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex};

use crate::harness::lock;

/// Records the arguments of every call, for assertions like "called exactly once".
///
/// Clones share the same record, so keep one clone in the test and give another to the
/// mock resource.
///
/// # Examples
///
/// ```
/// use workflow_test::CallRecorder;
///
/// #[derive(Clone, Default)]
/// struct MockDb {
///     queries: CallRecorder<String>,
/// }
///
/// impl MockDb {
///     fn query(&self, sql: &str) -> usize {
///         self.queries.record(sql.to_owned());
///         42
///     }
/// }
///
/// let db = MockDb::default();
/// assert_eq!(db.query("select 1"), 42);
/// db.queries.assert_called_once();
/// db.queries.assert_called_with(&"select 1".to_owned());
/// ```
pub struct CallRecorder<A> {
    calls: Arc<Mutex<Vec<A>>>,
}

impl<A> Clone for CallRecorder<A> {
    fn clone(&self) -> Self {
        Self {
            calls: Arc::clone(&self.calls),
        }
    }
}

impl<A> Default for CallRecorder<A> {
    fn default() -> Self {
        Self {
            calls: Arc::default(),
        }
    }
}

impl<A: fmt::Debug> fmt::Debug for CallRecorder<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallRecorder")
            .field("calls", &*lock(&self.calls))
            .finish()
    }
}

impl<A> CallRecorder<A> {
    /// An empty recorder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one call.
    pub fn record(&self, args: A) {
        lock(&self.calls).push(args);
    }

    /// Records one call, and its number (1 for the first).
    fn record_numbered(&self, args: A) -> usize {
        let mut calls = lock(&self.calls);
        calls.push(args);
        calls.len()
    }

    /// Number of calls so far.
    pub fn call_count(&self) -> usize {
        lock(&self.calls).len()
    }

    /// Forgets the calls recorded so far.
    pub fn reset(&self) {
        lock(&self.calls).clear();
    }
}

impl<A: Clone> CallRecorder<A> {
    /// The arguments of every call, in order.
    pub fn calls(&self) -> Vec<A> {
        lock(&self.calls).clone()
    }

    /// The arguments of the last call.
    pub fn last_call(&self) -> Option<A> {
        lock(&self.calls).last().cloned()
    }
}

impl<A: fmt::Debug> CallRecorder<A> {
    /// Asserts the number of calls.
    ///
    /// # Panics
    ///
    /// When it differs, listing the calls.
    #[track_caller]
    pub fn assert_called_times(&self, times: usize) {
        let calls = lock(&self.calls);
        if calls.len() != times {
            let listed = list_calls(&calls);
            drop(calls);
            panic!(
                "expected the mock to be called {times} time(s), but it was called {} time(s){listed}",
                self.call_count()
            );
        }
    }

    /// Asserts exactly one call.
    ///
    /// # Panics
    ///
    /// When there were none or several.
    #[track_caller]
    pub fn assert_called_once(&self) {
        self.assert_called_times(1);
    }

    /// Asserts at least one call.
    ///
    /// # Panics
    ///
    /// When there was none.
    #[track_caller]
    pub fn assert_called(&self) {
        if self.call_count() == 0 {
            panic!("expected the mock to be called, but it was never called");
        }
    }

    /// Asserts no call.
    ///
    /// # Panics
    ///
    /// When there was one.
    #[track_caller]
    pub fn assert_not_called(&self) {
        self.assert_called_times(0);
    }
}

impl<A: fmt::Debug> CallRecorder<A> {
    /// Asserts that the last call had these arguments: `args` is anything the recorded
    /// arguments borrow as, so a recorder of `String`s takes a `&str`
    /// (`assert_called_with("/api/data")`), one of `Vec<T>`s a slice.
    ///
    /// ```
    /// use workflow_test::CallRecorder;
    ///
    /// let calls = CallRecorder::<String>::new();
    /// calls.record("/a".to_string());
    /// calls.record("/b".to_string());
    /// calls.assert_called_with("/b");
    /// calls.assert_called_with(&"/b".to_string());
    /// calls.assert_any_call("/a");
    /// ```
    ///
    /// # Panics
    ///
    /// When there was no call or the last one differs.
    #[track_caller]
    pub fn assert_called_with<Q>(&self, args: &Q)
    where
        A: ComparableCall<Q>,
        Q: ?Sized + fmt::Debug + PartialEq,
    {
        let calls = lock(&self.calls);
        if calls.last().map(ComparableCall::as_call) != Some(args) {
            let listed = list_calls(&calls);
            drop(calls);
            panic!("expected the last call of the mock to be {args:?}{listed}");
        }
    }

    /// Asserts that some call had these arguments (anything they borrow as, as for
    /// [`assert_called_with`](Self::assert_called_with)).
    ///
    /// # Panics
    ///
    /// When no call matches.
    #[track_caller]
    pub fn assert_any_call<Q>(&self, args: &Q)
    where
        A: ComparableCall<Q>,
        Q: ?Sized + fmt::Debug + PartialEq,
    {
        let calls = lock(&self.calls);
        if !calls.iter().any(|call| call.as_call() == args) {
            let listed = list_calls(&calls);
            drop(calls);
            panic!("expected a call of the mock with {args:?}{listed}");
        }
    }
}

/// What `assert_called_with(&q)` and `assert_any_call(&q)` compare a recorded call `A`
/// with: anything `A` borrows as (`str` for a `String`), as `Borrow` says. Its own trait
/// so that a mismatch (`assert_called_with(&42)` on a mock of `String`s) is one error
/// saying what the calls are, not rustc's "the trait bound `String: Borrow<{integer}>` is
/// not satisfied". Implemented for every `A: Borrow<Q>`. Not API.
#[diagnostic::on_unimplemented(
    message = "the mock records its calls as `{Self}`, and compares them with a `{Self}` or what it borrows as, not `{Q}`",
    label = "not a `{Self}`",
    note = "a mock of `String`s compares with `\"/api\"` or `&String::from(\"/api\")`; a mock of several arguments records a tuple, compared with `&(a, b)`"
)]
#[doc(hidden)]
pub trait ComparableCall<Q: ?Sized> {
    /// The call, seen as a `Q`.
    fn as_call(&self) -> &Q;
}

#[diagnostic::do_not_recommend]
impl<A: Borrow<Q>, Q: ?Sized> ComparableCall<Q> for A {
    fn as_call(&self) -> &Q {
        self.borrow()
    }
}

fn list_calls<A: fmt::Debug>(calls: &[A]) -> String {
    if calls.is_empty() {
        return ", but it was never called".into();
    }
    let mut out = String::from("; calls:");
    for (i, c) in calls.iter().enumerate() {
        out.push_str(&format!("\n  {}. {c:?}", i + 1));
    }
    out
}

type Answer<A, R> = Box<dyn Fn(A) -> R + Send + Sync>;

/// A mock function: records every call's arguments and answers with queued one-off
/// values first, then with its default behaviour.
///
/// Clones share calls and answers. Put one inside a mock resource and keep another in the
/// test to assert on (see [`Harness::mock`](crate::Harness::mock)).
///
/// Registered as a resource itself, a mock is found by its exact type: a node taking
/// `Res<MockFn<String, Option<u32>>>` does not see a `MockFn<String, Option<i32>>`,
/// which is what `MockFn::new(|_| Some(5))` infers, and its run fails with
/// [`WorkflowError::MissingResource`](workflow_core::WorkflowError::MissingResource)
/// naming the type it looked for. Spell the types out where a literal decides them:
/// `MockFn::<String, Option<u32>>::new(..)`.
///
/// # Examples
///
/// A flaky dependency that fails twice, then succeeds (the guide's retry test):
///
/// ```
/// use workflow_test::MockFn;
///
/// let connect = MockFn::new(|_host: String| Ok::<u32, String>(1));
/// connect.answer_once(Err("temporary failure".to_owned()));
/// connect.answer_once(Err("temporary failure".to_owned()));
///
/// assert!(connect.call("db".into()).is_err());
/// assert!(connect.call("db".into()).is_err());
/// assert_eq!(connect.call("db".into()), Ok(1));
/// connect.assert_called_times(3);
/// ```
pub struct MockFn<A, R> {
    inner: Arc<MockInner<A, R>>,
}

/// What [`MockFn::returning`] answers with: a value it clones for each call, so `Clone`
/// and `Sync` (implemented for every such type). Its own trait so that a value that is
/// not says how to answer without cloning, as one error at the value: a `Result` with
/// an error type that is not `Clone` is the usual one.
///
/// # Examples
///
/// ```
/// use workflow_test::{CloneAnswer, MockFn};
///
/// fn answers<R: CloneAnswer>(r: R) -> (R, R) {
///     (r.clone(), r)
/// }
/// assert_eq!(answers(Ok::<u32, String>(3)), (Ok(3), Ok(3)));
/// let _ = MockFn::<String, u32>::returning(3);
/// ```
#[diagnostic::on_unimplemented(
    message = "`MockFn::returning` answers every call with a clone of its value, and `{Self}` is not `Clone + Sync`",
    label = "not `Clone + Sync`",
    note = "derive `Clone` on the type (for a `Result`, on its error type), or answer with a closure, which makes a new value per call: `MockFn::new(|_| ..)`"
)]
pub trait CloneAnswer: Clone + Sync {}

#[diagnostic::do_not_recommend]
impl<T: Clone + Sync> CloneAnswer for T {}

struct MockInner<A, R> {
    /// What a panicking answer names it by ([`MockFn::named`]; by default, its type).
    name: Option<String>,
    calls: CallRecorder<A>,
    queued: Mutex<VecDeque<R>>,
    answer: Answer<A, R>,
}

impl<A, R> Clone for MockFn<A, R> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<A: fmt::Debug, R> fmt::Debug for MockFn<A, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockFn")
            .field("name", &self.name())
            .field("calls", &self.inner.calls)
            .field("queued_answers", &lock(&self.inner.queued).len())
            .finish()
    }
}

impl<A: Clone + Send + 'static, R: Send + 'static> MockFn<A, R> {
    /// A mock answering every call with `answer(args)`.
    pub fn new(answer: impl Fn(A) -> R + Send + Sync + 'static) -> Self {
        Self::with_name(None, answer)
    }

    /// A mock answering every call with `answer(args)`, named `name` where a panicking
    /// answer is reported (by default a mock is named by its type, `MockFn<u32, u64>`).
    /// An answer that panics panics again with a message naming the mock and the call:
    /// in a node, that node's `NodePanicked`.
    ///
    /// # Examples
    ///
    /// ```
    /// use workflow_test::MockFn;
    ///
    /// let charge = MockFn::named("payments", |amount: u32| {
    ///     assert!(amount <= 100, "limit exceeded: {amount}");
    ///     amount
    /// });
    /// assert_eq!(charge.call(5), 5);
    /// let call = std::panic::AssertUnwindSafe(|| charge.call(500));
    /// let panicked = std::panic::catch_unwind(call).unwrap_err();
    /// assert_eq!(
    ///     panicked.downcast_ref::<String>().unwrap(),
    ///     "the answer of mock `payments` panicked on its call 2: limit exceeded: 500"
    /// );
    /// assert_eq!(charge.calls(), [5, 500]); // the panicking call is recorded
    /// ```
    pub fn named(name: impl Into<String>, answer: impl Fn(A) -> R + Send + Sync + 'static) -> Self {
        Self::with_name(Some(name.into()), answer)
    }

    fn with_name(name: Option<String>, answer: impl Fn(A) -> R + Send + Sync + 'static) -> Self {
        Self {
            inner: Arc::new(MockInner {
                name,
                calls: CallRecorder::new(),
                queued: Mutex::new(VecDeque::new()),
                answer: Box::new(answer),
            }),
        }
    }

    /// A mock answering every call with a clone of `value` (unittest's
    /// `return_value`). `value` must be [`Clone`] (and `Sync`); for an answer that is
    /// not (a `Result` whose error is not `Clone`), answer with a closure:
    /// `MockFn::new(|_| Err(MyError))`.
    ///
    /// # Examples
    ///
    /// ```
    /// use workflow_test::MockFn;
    ///
    /// let price = MockFn::<&str, Option<u32>>::returning(Some(250));
    /// assert_eq!(price.call("apple"), Some(250));
    /// assert_eq!(price.call("pear"), Some(250));
    /// assert_eq!(price.calls(), ["apple", "pear"]);
    /// ```
    pub fn returning(value: R) -> Self
    where
        R: CloneAnswer,
    {
        Self::new(move |_| value.clone())
    }

    /// Queues a one-off answer; queued answers are used first, in order.
    pub fn answer_once(&self, value: R) -> &Self {
        lock(&self.inner.queued).push_back(value);
        self
    }

    /// Calls the mock: records `args`, then answers. An answer that panics panics again
    /// naming the mock and the call (see [`MockFn::named`]); the call stays recorded.
    pub fn call(&self, args: A) -> R {
        let number = self.inner.calls.record_numbered(args.clone());
        let queued = lock(&self.inner.queued).pop_front();
        if let Some(value) = queued {
            return value;
        }
        let answered =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (self.inner.answer)(args)));
        answered.unwrap_or_else(|payload| {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic with a payload that is not a string".to_owned());
            panic!(
                "the answer of mock `{}` panicked on its call {number}: {message}",
                self.name()
            )
        })
    }

    /// The arguments of every call, in order.
    pub fn calls(&self) -> Vec<A> {
        self.inner.calls.calls()
    }

    /// Number of calls so far.
    pub fn call_count(&self) -> usize {
        self.inner.calls.call_count()
    }
}

impl<A: fmt::Debug, R> MockFn<A, R> {
    /// Asserts exactly one call.
    ///
    /// # Panics
    ///
    /// When there were none or several.
    #[track_caller]
    pub fn assert_called_once(&self) {
        self.inner.calls.assert_called_times(1);
    }

    /// Asserts the number of calls.
    ///
    /// # Panics
    ///
    /// When it differs.
    #[track_caller]
    pub fn assert_called_times(&self, times: usize) {
        self.inner.calls.assert_called_times(times);
    }

    /// Asserts no call.
    ///
    /// # Panics
    ///
    /// When there was one.
    #[track_caller]
    pub fn assert_not_called(&self) {
        self.inner.calls.assert_called_times(0);
    }
}

impl<A: fmt::Debug, R> MockFn<A, R> {
    /// Asserts that the last call had these arguments: anything the arguments borrow
    /// as, so a `MockFn<String, _>` takes a `&str` (`assert_called_with("/api/data")`).
    ///
    /// # Panics
    ///
    /// When there was no call or the last one differs.
    ///
    /// # Examples
    ///
    /// ```
    /// use workflow_test::MockFn;
    ///
    /// let get = MockFn::new(|path: String| path.len());
    /// get.call("/api/users".into());
    /// get.call("/api/data".into());
    /// get.assert_called_with("/api/data");
    /// get.assert_any_call("/api/users");
    /// get.assert_called_times(2);
    /// ```
    #[track_caller]
    pub fn assert_called_with<Q>(&self, args: &Q)
    where
        A: ComparableCall<Q>,
        Q: ?Sized + fmt::Debug + PartialEq,
    {
        self.inner.calls.assert_called_with(args);
    }

    /// Asserts that some call had these arguments (anything they borrow as).
    ///
    /// # Panics
    ///
    /// When no call matches.
    #[track_caller]
    pub fn assert_any_call<Q>(&self, args: &Q)
    where
        A: ComparableCall<Q>,
        Q: ?Sized + fmt::Debug + PartialEq,
    {
        self.inner.calls.assert_any_call(args);
    }
}

impl<A, R> MockFn<A, R> {
    /// The mock's name: [`MockFn::named`]'s, or its type as a test writes it
    /// (`MockFn<u32, Result<u32, String>>`).
    pub fn name(&self) -> String {
        match &self.inner.name {
            Some(name) => name.clone(),
            None => short_type_name(std::any::type_name::<Self>()),
        }
    }

    /// The recorder of this mock's calls.
    pub fn recorder(&self) -> &CallRecorder<A> {
        &self.inner.calls
    }
}

/// `full` (a `std::any::type_name`) with each path cut to its last segment:
/// `MockFn<u32, Result<u32, String>>` for
/// `workflow_test::mock::MockFn<u32, core::result::Result<u32, alloc::string::String>>`.
fn short_type_name(full: &str) -> String {
    let mut short = String::with_capacity(full.len());
    let mut path = String::new();
    for c in full.chars() {
        if c.is_alphanumeric() || c == '_' || c == ':' {
            path.push(c);
        } else {
            short.push_str(path.rsplit("::").next().unwrap_or_default());
            path.clear();
            short.push(c);
        }
    }
    short.push_str(path.rsplit("::").next().unwrap_or_default());
    short
}
