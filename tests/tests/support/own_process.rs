//! Runs one `#[ignore]`d test of this binary in a child process of its own (`#[path]`
//! module of the test binaries that need it).
//!
//! For a test that installs a `tracing` subscriber: `tracing`'s global level hint and
//! callsite interest then say "wanted" process-wide until the next subscriber is
//! registered, and the engine's tests of its plain paths (fused chains, no spans built)
//! would see spans wanted in tests that run after it.

/// Runs `inner` (a test path without the crate's name, like `routing::inner_logged`) in
/// a child process and fails with its output unless it ran and passed.
pub(crate) fn run_alone(inner: &str) {
    let out = std::process::Command::new(std::env::current_exe().expect("test binary path"))
        .args([inner, "--exact", "--ignored", "--test-threads=1"])
        .output()
        .expect("run the test binary");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("test result: ok. 1 passed"),
        "{inner} did not run:\n{text}"
    );
}
