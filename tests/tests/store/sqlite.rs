//! What only the SQLite store must show: files that are not stores fail clearly, data
//! survives reopening, and a process killed (`SIGKILL`) while committing a batch leaves the
//! database readable with every earlier row and no partial batch.

use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use workflow_core::store::{
    encode, CreatedRun, Durability, GraphFingerprint, NewRun, NodePath, OwnerId, Record,
    RecordedOutput, Retention, RunId, RunOutcome, RunStatus, SqliteStore, Store, StoreError,
};

use crate::support::TempDir;

/// Set in the child process of [`killed_during_a_batch_commit`]: the database to write.
const CHILD_ENV: &str = "WORKFLOW_STORE_KILL_CHILD_DB";
/// Each batch of the child is this many `record_all` calls made at once (so the writer
/// commits them together, or in a few transactions)...
const GROUPS: usize = 4;
/// ... of this many rows each (8 KB values; a batch is 3 MB, more than SQLite's page cache,
/// so pages spill into the log before the commit record): a commit takes milliseconds.
const GROUP_ROWS: usize = 100;

fn new_run(owner: &str, lease: Duration) -> NewRun {
    NewRun {
        workflow: "crash".into(),
        fingerprint: GraphFingerprint("fp".into()),
        input: encode(&0u8, None, "input").unwrap(),
        idempotency_key: Some("the-run".into()),
        owner: OwnerId::new(owner),
        lease,
    }
}

fn row(run: RunId, path: &str, value: &impl serde::Serialize) -> Record {
    let path: NodePath = path.parse().unwrap();
    Record::Output(RecordedOutput::encode(run, path, 1, value).unwrap())
}

fn schema_reason(path: &Path) -> String {
    match SqliteStore::open(path) {
        Err(StoreError::Schema { location, reason }) => {
            assert_eq!(
                location,
                path.display().to_string(),
                "the error names the file"
            );
            reason
        }
        Err(other) => panic!("expected a schema error, got {other}"),
        Ok(_) => panic!("{} opened as a store", path.display()),
    }
}

#[test]
fn a_file_that_is_not_a_database_is_a_clear_error() {
    let dir = TempDir::new("garbage");
    let path = dir.file("notes.txt");
    std::fs::write(&path, "these are my notes, not a database\n".repeat(200)).unwrap();
    let reason = schema_reason(&path);
    assert!(reason.contains("not a SQLite database"), "{reason}");
    // The file was not touched.
    assert!(std::fs::read_to_string(&path)
        .unwrap()
        .starts_with("these are my notes"));
}

/// Every error opening a SQLite store names the database. `/proc/self/status` said
/// "store error during opening the SQLite database: unable to open database file" with
/// no path, and `/dev/null` "disk I/O error" while migrating; the empty path, where
/// SQLite makes a temporary database, named "``". A path SQLite already names (a
/// directory, a missing parent) is not named twice.
#[test]
fn every_open_error_names_the_database() {
    let dir = TempDir::new("open-errors");
    let a_dir = dir.file("a-dir");
    std::fs::create_dir(&a_dir).unwrap();
    let missing_parent = dir.file("no/such/dir/runs.db");
    let cases = [
        ("/proc/self/status".into(), "/proc/self/status".to_owned()),
        ("/dev/null".into(), "/dev/null".to_owned()),
        (
            "".into(),
            "a temporary database (the empty path)".to_owned(),
        ),
        (a_dir.clone(), a_dir.display().to_string()),
        (missing_parent.clone(), missing_parent.display().to_string()),
    ];
    for (path, named) in cases {
        let path: std::path::PathBuf = path;
        let Err(e) = SqliteStore::open(&path) else {
            panic!("{} opened as a store", path.display());
        };
        let message = e.to_string();
        assert_eq!(
            message.matches(&named).count(),
            1,
            "{}: {message}",
            path.display()
        );
        // Nor does its chain (anyhow's `{:#}`) print a cause twice: each error's `{}`
        // includes its cause's message, and `source()` goes on below it.
        let mut printed = message.clone();
        let mut cause = std::error::Error::source(&e);
        while let Some(c) = cause {
            let text = c.to_string();
            assert!(
                !printed.contains(&text),
                "{}: `{text}` printed twice, after {printed}",
                path.display()
            );
            printed.push_str(&text);
            cause = c.source();
        }
    }
    let Err(StoreError::Schema { location, .. }) = SqliteStore::open("") else {
        panic!("the empty path is a schema error");
    };
    assert_eq!(location, "a temporary database (the empty path)");
}

/// A database whose directory is missing says so: SQLite's "unable to open database
/// file" under `StoreError::Unavailable` read like a store down for a while (trial38).
/// A directory that exists is not blamed.
#[test]
fn a_missing_directory_is_named_as_the_reason() {
    let dir = TempDir::new("missing-dir");
    let missing = dir.file("no/such/dir");
    let Err(e) = SqliteStore::open(missing.join("runs.db")) else {
        panic!("a database in a missing directory opened");
    };
    let message = e.to_string();
    assert!(
        message.contains(&format!(
            "its directory `{}` does not exist",
            missing.display()
        )),
        "{message}"
    );
    let a_dir = dir.file("a-dir");
    std::fs::create_dir(&a_dir).unwrap();
    let Err(e) = SqliteStore::open(&a_dir) else {
        panic!("a directory opened as a store");
    };
    assert!(!e.to_string().contains("does not exist"), "{e}");
}

#[test]
fn a_foreign_database_is_a_clear_error() {
    let dir = TempDir::new("foreign");
    let path = dir.file("app.db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); CREATE TABLE orders (id INTEGER);",
    )
    .unwrap();
    drop(conn);
    let reason = schema_reason(&path);
    assert!(reason.contains("foreign database"), "{reason}");
    assert!(
        reason.contains("users") && reason.contains("orders"),
        "{reason}"
    );
}

#[test]
fn a_store_from_a_newer_version_is_a_clear_error() {
    let dir = TempDir::new("newer");
    let path = dir.file("runs.db");
    drop(SqliteStore::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "UPDATE workflow_store_meta SET value = '99' WHERE key = 'schema_version'",
        [],
    )
    .unwrap();
    drop(conn);
    let reason = schema_reason(&path);
    assert!(reason.contains("newer version (schema 99"), "{reason}");
}

/// A store written by schema 1 (before retries) is migrated on open: its failed runs can be
/// retried, their rows intact.
#[tokio::test]
async fn a_schema_1_store_is_migrated_and_its_failed_runs_retried() {
    let dir = TempDir::new("schema1");
    let path = dir.file("runs.db");
    let store = SqliteStore::open(&path).unwrap();
    let CreatedRun::New(claimed) = store
        .create_run(new_run("a", Duration::from_secs(30)))
        .await
        .unwrap()
    else {
        panic!("a new run")
    };
    let run = claimed.run.id;
    store
        .record(&claimed.lease, row(run, "first", &1u32))
        .await
        .unwrap();
    let failed = RunOutcome::Failed {
        error: "second: refused".into(),
    };
    store
        .finish_run(&claimed.lease, failed, Retention::DeleteOnSuccess)
        .await
        .unwrap();
    drop(store);
    // What schema 1 had: no attempts table.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "DROP TABLE workflow_run_attempts; \
         UPDATE workflow_store_meta SET value = '1' WHERE key = 'schema_version'",
    )
    .unwrap();
    drop(conn);

    let store = SqliteStore::open(&path).unwrap();
    let claimed = store
        .retry_run(run, "crash", &OwnerId::new("b"), Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(
        (claimed.run.status, claimed.run.claims),
        (RunStatus::Running, 2)
    );
    let state = store.load_run(run).await.unwrap();
    assert_eq!(state.outputs.len(), 1);
    assert_eq!(state.attempts.len(), 1);
    assert_eq!(state.attempts[0].error, "second: refused");
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: String = conn
        .query_row(
            "SELECT value FROM workflow_store_meta WHERE key = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(version, "2");
}

#[tokio::test]
async fn a_corrupted_page_is_an_error_not_a_panic() {
    let dir = TempDir::new("corrupt");
    let path = dir.file("runs.db");
    let run = {
        let store = SqliteStore::open(&path).unwrap();
        let claimed = match store
            .create_run(new_run("a", Duration::from_secs(60)))
            .await
        {
            Ok(CreatedRun::New(c)) => c,
            other => panic!("{other:?}"),
        };
        // Enough rows to span several pages.
        for i in 0..200 {
            let value = vec![i as u8; 500];
            store
                .record(
                    &claimed.lease,
                    row(claimed.run.id, &format!("n{i}"), &value),
                )
                .await
                .unwrap();
        }
        claimed.run.id
    };
    // The store closed (checkpointing the WAL into the file); scribble over pages 2 to 4.
    let mut file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.seek(SeekFrom::Start(4096)).unwrap();
    file.write_all(&[0xA5; 3 * 4096]).unwrap();
    drop(file);
    let result = match SqliteStore::open(&path) {
        Err(e) => Err(e),
        Ok(store) => store.load_run(run).await.map(drop),
    };
    let err = result.expect_err("a corrupted file read back as if intact");
    let text = err.to_string();
    assert!(
        text.contains("corrupt") || text.contains("malformed"),
        "unclear error: {text}"
    );
    // A schema error names the file (one met by an operation named the operation:
    // "`loading a run` is not a usable workflow store: ..").
    if let StoreError::Schema { location, .. } = &err {
        assert_eq!(*location, path.display().to_string(), "{text}");
    }
}

#[tokio::test]
async fn rows_survive_reopening_in_both_modes() {
    for durability in [
        Durability::SurvivesKilledProcess,
        Durability::SurvivesPowerLoss,
    ] {
        let dir = TempDir::new("reopen");
        let path = dir.file("runs.db");
        let open = || {
            SqliteStore::builder(&path)
                .durability(durability)
                .open()
                .unwrap()
        };
        let (lease, run) = {
            let store = open();
            let CreatedRun::New(c) = store
                .create_run(new_run("a", Duration::from_secs(60)))
                .await
                .unwrap()
            else {
                panic!("new file, new run")
            };
            store
                .record(&c.lease, row(c.run.id, "page", &"hello"))
                .await
                .unwrap();
            (c.lease, c.run.id)
        };
        let store = open();
        let again = store
            .create_run(new_run("a", Duration::from_secs(60)))
            .await
            .unwrap();
        assert!(again.already_existed(), "{durability:?}");
        let state = store.load_run(run).await.unwrap();
        assert_eq!(state.outputs.len(), 1);
        assert_eq!(state.outputs[0].decode::<String>(run).unwrap(), "hello");
        // The lease survives too: the same owner goes on writing.
        store.record(&lease, row(run, "next", &1u8)).await.unwrap();
    }
}

/// The child's part of [`killed_during_a_batch_commit`]: writes batches of [`GROUPS`]
/// concurrent `record_all` calls of [`GROUP_ROWS`] rows each until killed, printing
/// `committed <n>` after each batch. Does nothing when not started as that child.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_child() {
    let Ok(db) = std::env::var(CHILD_ENV) else {
        return;
    };
    let store = SqliteStore::open(&db).unwrap();
    let CreatedRun::New(claimed) = store
        .create_run(new_run("child", Duration::ZERO))
        .await
        .unwrap()
    else {
        panic!("the child starts on a fresh file")
    };
    let run = claimed.run.id;
    let value = "v".repeat(8192);
    for batch in 0.. {
        let started = std::time::Instant::now();
        let groups = (0..GROUPS).map(|group| {
            let rows = (0..GROUP_ROWS)
                .map(|i| row(run, &format!("batch{batch}_{group}[{i}]"), &value))
                .collect();
            store.record_all(&claimed.lease, rows)
        });
        for result in join_all(groups).await {
            result.unwrap();
        }
        println!("committed {batch} {}", started.elapsed().as_micros());
    }
}

#[test]
fn killed_during_a_batch_commit() {
    let exe = std::env::current_exe().unwrap();
    // Kill points spread over the time the next batch takes, from "just queued" to "about
    // committed": most land while its transaction is being written.
    let mut landed_after_commit = 0;
    for (attempt, eighths) in [1u32, 2, 3, 4, 5, 6, 7, 9].into_iter().enumerate() {
        let dir = TempDir::new("kill");
        let db = dir.file("runs.db");
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "sqlite::kill_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, &db)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Wait until some batches are committed, then kill it while the next is in flight
        // (the child queues a new batch the moment the last one commits).
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut confirmed = None;
        let mut batch_time = Duration::ZERO;
        for line in lines.by_ref() {
            let line = line.unwrap();
            if let Some(rest) = line.strip_prefix("committed ") {
                let (n, us) = rest.split_once(' ').unwrap();
                let n: usize = n.parse().unwrap();
                confirmed = Some(n);
                batch_time = Duration::from_micros(us.parse().unwrap());
                if n >= 2 {
                    break;
                }
            }
        }
        let confirmed = confirmed.expect("the child committed nothing");
        std::thread::sleep(batch_time * eighths / 8);
        child.kill().unwrap(); // SIGKILL
        let status = child.wait().unwrap();
        assert!(
            !status.success(),
            "attempt {attempt}: the child was not killed"
        );

        // The database opens; every confirmed batch is whole; no batch is partial.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let store =
                Arc::new(SqliteStore::open(&db).expect("the killed child's database opens"));
            let CreatedRun::Existing(run) = store
                .create_run(new_run("child", Duration::ZERO))
                .await
                .unwrap()
            else {
                panic!("the child's run is gone")
            };
            let state = store.load_run(run.id).await.unwrap();
            let mut per_group = std::collections::BTreeMap::<(usize, usize), usize>::new();
            for out in &state.outputs {
                let name = out.path.as_str()["batch".len()..]
                    .split('[')
                    .next()
                    .unwrap();
                let (batch, group) = name.split_once('_').unwrap();
                let key = (batch.parse().unwrap(), group.parse().unwrap());
                *per_group.entry(key).or_default() += 1;
                assert_eq!(out.decode::<String>(run.id).unwrap().len(), 8192);
            }
            // Each `record_all` is all or nothing...
            for (&(batch, group), &rows) in &per_group {
                assert_eq!(
                    rows, GROUP_ROWS,
                    "attempt {attempt}: batch {batch} group {group} is partial"
                );
            }
            // ... and every confirmed batch is all there.
            for batch in 0..=confirmed {
                for group in 0..GROUPS {
                    assert!(
                        per_group.contains_key(&(batch, group)),
                        "attempt {attempt}: confirmed batch {batch} lost group {group}"
                    );
                }
            }
            let last = per_group.keys().map(|&(batch, _)| batch).max().unwrap();
            assert!(
                last <= confirmed + 2,
                "attempt {attempt}: rows from the future"
            );
            println!(
                "attempt {attempt}: killed {eighths}/8 of a batch time ({batch_time:?}) after \
                 batch {confirmed} was confirmed; the database holds {} groups, up to batch \
                 {last}",
                per_group.len()
            );
            if last > confirmed {
                landed_after_commit += 1;
            }

            // The run resumes: another owner takes it over and finishes it.
            let resumed = store
                .claim_run(run.id, &OwnerId::new("parent"), Duration::from_secs(60))
                .await
                .unwrap();
            assert_eq!(resumed.run.claims, run.claims + 1);
            store
                .record(&resumed.lease, row(run.id, "after", &1u8))
                .await
                .unwrap();
            let done = store
                .finish_run(
                    &resumed.lease,
                    RunOutcome::Succeeded { output: None },
                    Retention::DeleteOnSuccess,
                )
                .await
                .unwrap();
            assert_eq!(done.status, RunStatus::Succeeded);
        });
    }
    // The kills are not all after the next commit: some interrupted a batch in flight, and
    // it was lost whole (the assertions above), not in part.
    println!("{landed_after_commit} of 8 kills landed after the next batch committed");
    assert!(
        landed_after_commit < 8,
        "no kill interrupted a batch in flight"
    );
}

/// Run rows written by concurrent runs share commits (group commit across runs), and an
/// operation that fails inside a shared transaction rolls back alone: every other
/// operation of its batch is kept and answered with its own result.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_run_writes_share_commits_and_fail_alone() {
    const RUNS: usize = 300;
    let dir = TempDir::new("group");
    let store = SqliteStore::builder(dir.file("runs.db"))
        .durability(Durability::SurvivesPowerLoss)
        .open()
        .unwrap();
    let before = store.stats().commits;
    let creates = (0..RUNS).map(|i| {
        let mut new = new_run("owner", Duration::from_secs(60));
        new.idempotency_key = Some(format!("run-{i}"));
        store.create_run(new)
    });
    let created: Vec<RunId> = join_all(creates)
        .await
        .into_iter()
        .map(|c| match c.unwrap() {
            CreatedRun::New(claimed) => claimed.run.id,
            CreatedRun::Existing(_) => panic!("each key is new"),
        })
        .collect();
    let commits = store.stats().commits - before;
    assert!(
        commits * 10 <= RUNS as u64,
        "{RUNS} concurrent run creations took {commits} commits"
    );

    // Finish every run, half of them with a lease of another owner (refused), at once.
    let owner = OwnerId::new("owner");
    let claimed: Vec<_> = join_all(
        created
            .iter()
            .map(|&run| store.claim_run(run, &owner, Duration::from_secs(60))),
    )
    .await
    .into_iter()
    .map(Result::unwrap)
    .collect();
    let store = &store;
    let finishes = claimed.iter().enumerate().map(|(i, c)| {
        let mut lease = c.lease.clone();
        if i % 2 == 1 {
            lease.owner = OwnerId::new("intruder");
        }
        async move {
            let outcome = RunOutcome::Succeeded { output: None };
            (i, store.finish_run(&lease, outcome, Retention::Keep).await)
        }
    });
    for (i, result) in join_all(finishes).await {
        if i % 2 == 1 {
            assert!(
                matches!(result, Err(StoreError::LeaseLost { .. })),
                "{i}: {result:?}"
            );
        } else {
            assert_eq!(result.unwrap().status, RunStatus::Succeeded, "{i}");
        }
    }
    for (i, &run) in created.iter().enumerate() {
        let expected = if i % 2 == 1 {
            RunStatus::Running
        } else {
            RunStatus::Succeeded
        };
        assert_eq!(store.get_run(run).await.unwrap().status, expected, "{i}");
    }
}

/// Rows whose columns no longer read (a path that does not parse, a status this build
/// does not know: hand edits, or another writer) are an error naming the run, not a panic.
#[tokio::test]
async fn an_unreadable_row_is_an_error_naming_the_run() {
    let dir = TempDir::new("unreadable");
    let store = SqliteStore::open(dir.file("runs.db")).unwrap();
    let CreatedRun::New(claimed) = store
        .create_run(new_run("owner", Duration::from_secs(60)))
        .await
        .unwrap()
    else {
        panic!("a new file")
    };
    let run = claimed.run.id;
    store
        .record_all(&claimed.lease, vec![row(run, "thumbs[2].img", &1u32)])
        .await
        .unwrap();
    let conn = rusqlite::Connection::open(dir.file("runs.db")).unwrap();
    conn.execute("UPDATE workflow_node_outputs SET path = 'thumbs[2.img'", [])
        .unwrap();
    let err = store.load_run(run).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::CorruptRow { run: r, reason } if *r == run && reason.contains("thumbs[2.img")),
        "{err:?}"
    );
    assert!(err.to_string().contains(&format!("run {run}")), "{err}");
    conn.execute("UPDATE workflow_runs SET status = 'zombie'", [])
        .unwrap();
    let err = store.get_run(run).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::CorruptRow { run: r, reason } if *r == run && reason.contains("zombie")),
        "{err:?}"
    );
}

/// The immutable flag (`chattr +i`) on a file, taken off again when dropped: a file no
/// process may write, root included (file modes do not bind root, as these tests run).
struct Immutable<'a>(&'a Path);

impl<'a> Immutable<'a> {
    /// Sets it, or says why it cannot (not root, a file system without the flag) and
    /// gives `None`: the caller skips its case.
    fn set(path: &'a Path) -> Option<Self> {
        let set = Command::new("chattr").arg("+i").arg(path).output();
        let flagged = Immutable(path);
        let writable = std::fs::OpenOptions::new().write(true).open(path).is_ok();
        match set {
            Ok(out) if out.status.success() && !writable => Some(flagged),
            other => {
                eprintln!(
                    "skipped: `chattr +i {}` did not make it unwritable ({other:?}, writable: \
                     {writable}); it needs root on a file system with the immutable flag",
                    path.display()
                );
                None
            }
        }
    }
}

impl Drop for Immutable<'_> {
    fn drop(&mut self) {
        let _ = Command::new("chattr").arg("-i").arg(self.0).output();
    }
}

/// A store whose file cannot be written (immutable) still opens, and reads: SQLite
/// opens such a file read-only, and the store's open only reads an up-to-date schema
/// (inspecting a copy no process may write works). Each write is a typed error naming
/// the operation, the file and what to do, not a panic, and the file is left as it was.
/// It said only "store error during creating a run: attempt to write a readonly
/// database": which database, and why read-only, was left to guess.
#[tokio::test]
async fn a_database_file_that_cannot_be_written_reads_and_refuses_writes_by_name() {
    let dir = TempDir::new("read-only");
    let path = dir.file("runs.db");
    let (run, lease) = {
        let store = SqliteStore::open(&path).unwrap();
        let Ok(CreatedRun::New(claimed)) = store
            .create_run(new_run("a", Duration::from_secs(60)))
            .await
        else {
            panic!("a new file")
        };
        (claimed.run.id, claimed.lease)
    };
    let before = std::fs::read(&path).unwrap();
    let Some(_flag) = Immutable::set(&path) else {
        return;
    };
    let store = SqliteStore::open(&path).expect("an unwritable store opens for reading");
    assert_eq!(store.get_run(run).await.unwrap().status, RunStatus::Running);
    // Another run (the same key would read the first one back).
    let err = store
        .create_run(NewRun {
            idempotency_key: None,
            ..new_run("b", Duration::from_secs(60))
        })
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            StoreError::Backend {
                operation: "creating a run",
                ..
            }
        ),
        "{err:?}"
    );
    let why = format!(
        "(database `{}`: SQLite opened it read-only, as the file or its directory cannot be \
         written: make them writable (permissions, `chattr -i`, a read-write mount), or open \
         a writable copy)",
        path.display()
    );
    assert_eq!(
        err.to_string(),
        format!("store error during creating a run: attempt to write a readonly database {why}")
    );
    let err = store
        .record(&lease, row(run, "a", &1u32))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("readonly") && err.run() == Some(run),
        "{err}"
    );
    assert!(err.to_string().ends_with(&why), "{err}");
    drop(store);
    assert_eq!(std::fs::read(&path).unwrap(), before, "the file changed");
}

// ---- Another connection holds the database's write lock mid-run ----

mod locked {
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    use workflow_core::prelude::*;
    use workflow_core::store::{OwnerId, RunId, RunStatus, SqliteStore, Store};

    use crate::support::TempDir;

    /// Takes the database's write lock from a connection of its own (as another process,
    /// a backup tool or a `sqlite3` shell would) once, when `b` first runs, and holds it
    /// until released.
    pub(super) struct Locker {
        db: PathBuf,
        armed: AtomicBool,
        held: Mutex<Option<rusqlite::Connection>>,
    }

    impl Locker {
        /// Waits until `a`'s row committed (so the lock comes after it), then locks.
        fn lock_after_a(&self) {
            if !self.armed.swap(false, Ordering::SeqCst) {
                return;
            }
            let conn = rusqlite::Connection::open(&self.db).unwrap();
            conn.busy_timeout(Duration::from_secs(10)).unwrap();
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                let rows: i64 = conn
                    .query_row(
                        "SELECT count(*) FROM workflow_node_outputs WHERE path = 'a'",
                        [],
                        |r| r.get(0),
                    )
                    .unwrap();
                if rows == 1 {
                    break;
                }
                assert!(Instant::now() < deadline, "`a` was never committed");
                std::thread::sleep(Duration::from_millis(2));
            }
            conn.execute_batch("BEGIN EXCLUSIVE").unwrap();
            *self.held.lock().unwrap() = Some(conn);
        }

        fn release(&self) {
            let conn = self
                .held
                .lock()
                .unwrap()
                .take()
                .expect("the lock was taken");
            conn.execute_batch("ROLLBACK").unwrap();
        }
    }

    #[node]
    async fn one(n: u64) -> u64 {
        n + 1
    }

    #[node]
    async fn locks(x: u64, locker: Res<Locker>) -> u64 {
        locker.lock_after_a();
        x * 10
    }

    #[node]
    async fn last(x: u64) -> u64 {
        x + 5
    }

    workflow! {
        #[workflow(durable)]
        struct Locked {
            input n: u64,
            a = one(n: n),
            b = locks(x: a),
            c = last(x: b),
        }
    }

    /// A runtime on `store` (the database `db`) whose [`Locker`] takes the lock as `b`
    /// runs if `armed`.
    fn locked_runtime(store: Arc<SqliteStore>, db: &Path, armed: bool) -> Runtime {
        Runtime::builder()
            .store_arc(store)
            .owner(OwnerId::new("locked"))
            .resource(Locker {
                db: db.to_path_buf(),
                armed: AtomicBool::new(armed),
                held: Mutex::new(None),
            })
            .build()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_database_locked_by_another_connection_fails_the_run_naming_it_and_resumes() {
        let dir = TempDir::new("sqlite-locked");
        let db = dir.file("runs.db");
        let store = Arc::new(
            SqliteStore::builder(&db)
                .busy_timeout(Duration::from_millis(100))
                .open()
                .unwrap(),
        );
        let rt = locked_runtime(store.clone(), &db, true);
        let err = rt
            .start_durable(Locked, LockedInput { n: 1 }, None)
            .await
            .unwrap_err();
        let WorkflowError::Store { run, node, .. } = &err else {
            panic!("expected a store error, got {err:?}");
        };
        assert_eq!(node.as_deref(), Some("b"), "{err}");
        // The run and the node named once (the store's error named them again: ".. for
        // node `b` of run 1: .."), and the chain (`{:#}`) adds no cause `{}` printed.
        let text = format!(
            "durable run {run} of workflow `Locked`, node `b`: store error during recording a node output: database is locked"
        );
        assert_eq!(err.to_string(), text);
        assert_eq!(format!("{err:#}"), text);
        let run = RunId(*run);

        // The lock is released: nothing recorded was lost, and the run resumes from it.
        rt.resource::<Locker>().unwrap().release();
        let state = store.load_run(run).await.unwrap();
        assert_eq!(state.run.status, RunStatus::Running);
        let rows: Vec<&str> = state.outputs.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(rows, ["a"], "b's record failed; a's is intact");
        let resumed = rt.resume(Locked, run).await.unwrap();
        assert_eq!(resumed.outputs.c, 25);
        assert_eq!(resumed.restored(), ["a"]);
        assert_eq!(
            store.get_run(run).await.unwrap().status,
            RunStatus::Succeeded
        );
    }

    /// Another connection holds the write lock as a second store opens the file, and as
    /// a run starts: each is an error (no panic) that names the file, or the workflow and
    /// the operation, and says it is locked; no run is made, and once the lock is gone
    /// the same start runs.
    #[tokio::test]
    async fn a_database_locked_as_a_store_opens_or_a_run_starts_is_an_error_naming_it() {
        let dir = TempDir::new("sqlite-locked-start");
        let db = dir.file("runs.db");
        let store = Arc::new(
            SqliteStore::builder(&db)
                .busy_timeout(Duration::ZERO)
                .open()
                .unwrap(),
        );
        let other = rusqlite::Connection::open(&db).unwrap();
        other.execute_batch("BEGIN EXCLUSIVE").unwrap();

        let Err(e) = SqliteStore::builder(&db)
            .busy_timeout(Duration::ZERO)
            .open()
        else {
            panic!("a second store migrated a locked file");
        };
        let message = e.to_string();
        assert!(
            message.contains(&db.display().to_string()) && message.contains("locked"),
            "{message}"
        );

        let rt = locked_runtime(store.clone(), &db, false);
        let err = rt
            .start_durable(Locked, LockedInput { n: 1 }, None)
            .await
            .unwrap_err();
        assert!(
            matches!(
                &err,
                WorkflowError::Store {
                    run: 0,
                    node: None,
                    ..
                }
            ),
            "{err:?}"
        );
        let message = err.to_string();
        assert!(
            message.starts_with("durable workflow `Locked`: store error during creating a run")
                && message.contains("locked"),
            "{message}"
        );

        other.execute_batch("ROLLBACK").unwrap();
        assert!(store
            .list_runs(Default::default())
            .await
            .unwrap()
            .is_empty());
        let run = rt
            .start_durable(Locked, LockedInput { n: 1 }, None)
            .await
            .unwrap();
        assert_eq!(run.outputs.c, 25);
    }
}
