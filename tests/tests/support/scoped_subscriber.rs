//! Shared by the test binaries that capture what a run logs (`#[path]` module).

/// Installs `subscriber` as this thread's default `tracing` subscriber until the guard
/// drops, so that a test can capture what a run logs while other tests of its binary
/// run on other threads.
///
/// Why not `tracing::subscriber::set_default` alone: `tracing` caches per callsite,
/// process-wide, whether anyone wants its events, and while at most one dispatcher
/// exists it asks only the *registering* thread's default. A test thread without a
/// subscriber that reaches a callsite first then caches "never", and this test's
/// subscriber misses those events (a flaky capture). A second dispatcher that is no
/// thread's default (an idle `NoSubscriber`, kept alive here) makes `tracing` ask every
/// live dispatcher instead, this one included; the rebuild re-asks callsites already
/// cached. Tests without a subscriber see no change: the idle one wants nothing.
pub(crate) fn scoped_subscriber(
    subscriber: impl tracing::Subscriber + Send + Sync + 'static,
) -> tracing::subscriber::DefaultGuard {
    static IDLE: std::sync::OnceLock<tracing::Dispatch> = std::sync::OnceLock::new();
    IDLE.get_or_init(|| tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default()));
    let guard = tracing::subscriber::set_default(subscriber);
    tracing::callsite::rebuild_interest_cache();
    guard
}
