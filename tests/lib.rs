//! Integration tests live in `tests/tests/`; UI tests in `tests/ui/`.
