//! Locking and deadline helpers shared by every layer.

use std::sync::{Mutex, MutexGuard};

/// Locks a mutex, ignoring poisoning: every critical section here leaves the data
/// consistent, and a panic in user code never happens while one of these is held.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The instant `limit` from now, or a far-future instant (as `tokio::time::sleep` uses)
/// when that is past what an `Instant` can hold: a user's `Duration::MAX` limit is no
/// limit, not a panic.
pub(crate) fn deadline_after(limit: std::time::Duration) -> tokio::time::Instant {
    instant_after(tokio::time::Instant::now(), limit)
}

/// The instant `limit` after `at`, or a far-future instant when that is past what an
/// `Instant` can hold (see [`deadline_after`]).
pub(crate) fn instant_after(
    at: tokio::time::Instant,
    limit: std::time::Duration,
) -> tokio::time::Instant {
    at.checked_add(limit)
        .or_else(|| at.checked_add(std::time::Duration::from_secs(86_400 * 365 * 30)))
        .unwrap_or(at)
}
