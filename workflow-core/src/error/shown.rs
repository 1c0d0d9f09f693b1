//! A user type's `Display` as the run's messages print it: one that panics, or returns
//! an error (which `to_string` turns into a panic), is a note in the text, not a panic
//! in the run's task or in the caller's.

use std::fmt::{self, Write as _};
use std::panic::AssertUnwindSafe;

use super::panic_message;

/// `value`'s `Display`, written whole or not at all: when it panics, or returns an
/// error, a note saying so stands in its place (`<error whose `Display` panicked:
/// ..>`). The engine prints a node's error (and a store's, and the causes below them)
/// through it in a run's messages, its log lines and its trace: a bug in a user type's
/// `Display` is then seen in the node's error rather than unwinding out of the run's
/// poll (the panic hook still prints the panic).
pub(crate) struct Shown<'a, T: ?Sized>(pub(crate) &'a T);

impl<T: fmt::Display + ?Sized> fmt::Display for Shown<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Into a string first, so a `Display` that fails part-way leaves no half of its
        // text before the note.
        let mut text = String::new();
        let value = self.0;
        match std::panic::catch_unwind(AssertUnwindSafe(|| write!(text, "{value}"))) {
            Ok(Ok(())) => f.write_str(&text),
            Ok(Err(fmt::Error)) => f.write_str("<error whose `Display` failed>"),
            Err(payload) => write!(
                f,
                "<error whose `Display` panicked: {}>",
                panic_message(payload.as_ref())
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Panics;
    impl fmt::Display for Panics {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("half")?;
            panic!("display bug")
        }
    }

    struct Fails;
    impl fmt::Display for Fails {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("half")?;
            Err(fmt::Error)
        }
    }

    #[test]
    fn a_display_that_panics_or_fails_is_a_note_with_nothing_of_its_text() {
        assert_eq!(Shown("fine").to_string(), "fine");
        assert_eq!(
            Shown(&Panics).to_string(),
            "<error whose `Display` panicked: display bug>"
        );
        assert_eq!(Shown(&Fails).to_string(), "<error whose `Display` failed>");
    }
}
