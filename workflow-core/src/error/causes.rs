//! [`Causes`]: an error's `source()` chain, walked so that a chain that loops (a user's
//! `source()` returning itself, or an error it passed) ends.

use std::error::Error;

/// The most causes [`Causes`] walks: past it, the chain is cut (a real chain is a few
/// errors deep; a longer one is taken for a loop it did not see, one made of errors
/// built anew on each `source()` call).
pub const MAX_CAUSES: usize = 64;

/// The errors below an error (its [`source`](Error::source) chain, nearest first), each
/// once. A chain that comes back to an error it passed (a `source()` that returns
/// `self`, or an error above it) ends before that error, and one longer than
/// [`MAX_CAUSES`] ends there; [`cut`](Causes::cut) then says so. Errors are told apart
/// by address and type (an error's source is often its first field, at its own
/// address); a type's vtable may exist twice in a program (once per codegen unit), so a
/// loop may give its errors once more before it is seen. Walking `source()` by
/// hand over such an error never ends: `{:#}` of a [`WorkflowError`](crate::WorkflowError),
/// its `downcast_ref`, and the test harness's error assertions walk it with this.
///
/// ```
/// use std::fmt;
/// use workflow_core::Causes;
///
/// /// An error whose `source()` is itself.
/// #[derive(Debug)]
/// struct Loop;
///
/// impl fmt::Display for Loop {
///     fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
///         f.write_str("loop")
///     }
/// }
///
/// impl std::error::Error for Loop {
///     fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
///         Some(self)
///     }
/// }
///
/// let mut causes = Causes::of(&Loop);
/// // Its only cause is itself: seen already (or, see below, once more).
/// assert!(causes.by_ref().count() <= 1);
/// assert!(causes.cut());
///
/// let io = std::io::Error::other("disk full");
/// let mut causes = Causes::of(&io);
/// assert_eq!(causes.by_ref().count(), 0);
/// assert!(!causes.cut());
/// ```
#[derive(Debug)]
pub struct Causes<'a> {
    next: Option<&'a (dyn Error + 'static)>,
    /// The errors passed (with the one the walk started from, if any), by address and
    /// type: an error's first field is at its own address, and may be its source.
    seen: Vec<*const (dyn Error + 'static)>,
    /// Causes given so far.
    given: usize,
    cut: bool,
}

/// Where `e` is, and its type's vtable (compared, never read).
fn address(e: &(dyn Error + 'static)) -> *const (dyn Error + 'static) {
    e
}

impl<'a> Causes<'a> {
    /// The causes below `error`.
    pub fn of(error: &'a (dyn Error + 'static)) -> Self {
        Self {
            next: error.source(),
            seen: vec![address(error)],
            given: 0,
            cut: false,
        }
    }

    /// The causes from `first` on (`first` included), below an error that is not an
    /// [`Error`] value of its own (a [`WorkflowError`](crate::WorkflowError)'s chain
    /// starts at its node's error's source).
    pub(crate) fn from(first: Option<&'a (dyn Error + 'static)>) -> Self {
        Self {
            next: first,
            seen: Vec::new(),
            given: 0,
            cut: false,
        }
    }

    /// Whether the chain was cut: it came back to an error it had passed, or went past
    /// [`MAX_CAUSES`].
    pub fn cut(&self) -> bool {
        self.cut
    }
}

impl<'a> Iterator for Causes<'a> {
    type Item = &'a (dyn Error + 'static);

    fn next(&mut self) -> Option<Self::Item> {
        let cause = self.next.take()?;
        let at = address(cause);
        // Address and vtable: the same vtable may exist twice (one per codegen unit), so a
        // loop may go round once more before it is seen; `MAX_CAUSES` bounds that.
        #[allow(ambiguous_wide_pointer_comparisons)]
        let seen = self.seen.iter().any(|&s| std::ptr::eq(s, at));
        if seen || self.given == MAX_CAUSES {
            self.cut = true;
            return None;
        }
        self.seen.push(at);
        self.given += 1;
        self.next = cause.source();
        Some(cause)
    }
}
