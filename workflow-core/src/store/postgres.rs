//! The Postgres store: runs shared by every process that reaches one server.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::sync::{mpsc, oneshot};
use tokio_postgres::config::Host;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Config, NoTls, Row, Statement, Transaction};

use super::common::{
    about_run, check_claim, check_lease, check_retry, check_same_run, claims, first_path,
    parse_path, parse_status, parse_version, reply_records, split_outcome, Counters, PendingRecord,
};
use super::{
    BranchChoice, Claimed, Clock, CreatedRun, FailedAttempt, GraphFingerprint, Lease, NewRun,
    NodePath, OwnerId, PurgeFilter, Record, RecordedOutput, Retention, RunFilter, RunId,
    RunOutcome, RunRecord, RunState, RunStatus, Store, StoreError, StoreStats, SystemClock,
    Timestamp, ENCODING,
};

/// Each migration takes the schema from the version before it to its own.
const MIGRATIONS: &[(u32, &str)] = &[
    (
        1,
        "CREATE TABLE workflow_runs (
        id BIGSERIAL PRIMARY KEY,
        workflow TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        input BYTEA NOT NULL,
        idempotency_key TEXT UNIQUE,
        status TEXT NOT NULL,
        owner TEXT,
        lease_expires_at BIGINT,
        claims BIGINT NOT NULL,
        created_at BIGINT NOT NULL,
        finished_at BIGINT,
        output BYTEA,
        error TEXT
    );
    CREATE INDEX workflow_runs_by_status ON workflow_runs (status, lease_expires_at);
    CREATE TABLE workflow_node_outputs (
        run_id BIGINT NOT NULL,
        path TEXT NOT NULL,
        node_version BIGINT NOT NULL,
        output_type TEXT NOT NULL,
        value BYTEA NOT NULL,
        PRIMARY KEY (run_id, path)
    );
    CREATE TABLE workflow_branches (
        run_id BIGINT NOT NULL,
        path TEXT NOT NULL,
        arm TEXT NOT NULL,
        PRIMARY KEY (run_id, path)
    );",
    ),
    (
        2,
        // The earlier failures of retried runs (`Store::retry_run`).
        "CREATE TABLE workflow_run_attempts (
        run_id BIGINT NOT NULL,
        attempt BIGINT NOT NULL,
        error TEXT NOT NULL,
        failed_at BIGINT NOT NULL,
        PRIMARY KEY (run_id, attempt)
    );",
    ),
];

/// The `workflow_runs` columns, in the order [`run_from_row`] reads them.
const RUN_COLUMNS: &str = "id, workflow, fingerprint, input, idempotency_key, status, owner, \
     lease_expires_at, claims, created_at, finished_at, output, error";

/// Most records the writer commits at once.
const MAX_BATCH: usize = 4096;

/// A store on a Postgres server, reached with `tokio-postgres` (no TLS: use a local
/// server, a Unix socket or a tunnel).
///
/// Writes go through one writer task that owns a connection and commits everything
/// queued together in one transaction (group commit across runs): records, and the run
/// rows concurrent runs create and finish, each operation in a savepoint of its own so
/// that one failing rolls back alone. Every other operation is one atomic statement on a
/// second connection; claims use `FOR UPDATE SKIP LOCKED`, so processes recovering at
/// once never take the same run. Tables live in the connection's schema
/// (`public` unless [`PostgresStoreBuilder::schema`] says otherwise), beside the
/// application's own tables.
///
/// A connection that breaks (server restart, network) fails the operations in flight
/// with [`StoreError::Unavailable`]; the next operation reconnects.
#[derive(Debug)]
pub struct PostgresStore {
    queue: mpsc::UnboundedSender<Op>,
    /// The connection for everything but records; replaced when it breaks.
    client: Mutex<Arc<Client>>,
    target: Arc<Target>,
    counters: Arc<Counters>,
    clock: Arc<dyn Clock>,
}

/// Where to connect, and what to call it in errors (without the password).
#[derive(Debug)]
struct Target {
    config: Config,
    schema: Option<String>,
    location: String,
}

impl Target {
    fn new(config: &str, schema: Option<String>) -> Result<Target, StoreError> {
        let config: Config = config
            .parse()
            .map_err(|e| StoreError::unavailable("reading the Postgres connection string", e))?;
        if let Some(schema) = &schema {
            check_schema_name(schema)?;
        }
        let host = config
            .get_hosts()
            .first()
            .map_or("?".to_owned(), |h| match h {
                Host::Tcp(name) => name.clone(),
                #[cfg(unix)]
                Host::Unix(path) => path.display().to_string(),
            });
        let port = config.get_ports().first().copied().unwrap_or(5432);
        let location = format!(
            "postgres database `{}` on {host}:{port}, schema `{}`",
            config.get_dbname().unwrap_or("(default)"),
            schema.as_deref().unwrap_or("(default)")
        );
        Ok(Target {
            config,
            schema,
            location,
        })
    }
}

/// Options for [`PostgresStore`].
#[derive(Debug)]
pub struct PostgresStoreBuilder {
    config: String,
    schema: Option<String>,
    clock: Arc<dyn Clock>,
}

impl PostgresStoreBuilder {
    /// Keeps the tables in `schema` (created if missing) instead of the connection's
    /// default: several stores in one database, one per test or per application.
    /// Names are lowercase letters, digits and `_`.
    pub fn schema(mut self, schema: &str) -> Self {
        self.schema = Some(schema.to_owned());
        self
    }

    /// The clock for leases and timestamps (the system clock by default).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Connects (two connections, driven by tasks on the current tokio runtime), runs
    /// pending migrations and starts the writer.
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`] when the server cannot be reached;
    /// [`StoreError::Schema`] when the schema holds workflow tables this build does not
    /// know, or was written by a newer version.
    pub async fn connect(self) -> Result<PostgresStore, StoreError> {
        let target = Arc::new(Target::new(&self.config, self.schema)?);
        let mut writer = connect(&target).await?;
        migrate(&mut writer, &target.location).await?;
        let writer = Writer::prepare(writer).await?;
        let client = connect(&target).await?;
        let counters = Arc::new(Counters::default());
        let (queue, receiver) = mpsc::unbounded_channel();
        tokio::spawn(serve(target.clone(), writer, receiver, counters.clone()));
        Ok(PostgresStore {
            queue,
            client: Mutex::new(Arc::new(client)),
            target,
            counters,
            clock: self.clock,
        })
    }
}

impl PostgresStore {
    /// Options for a store on the server at `config`: a URL
    /// (`postgresql://user@127.0.0.1:5432/db`) or `key=value` pairs
    /// (`host=127.0.0.1 user=postgres dbname=db`).
    pub fn builder(config: &str) -> PostgresStoreBuilder {
        PostgresStoreBuilder {
            config: config.to_owned(),
            schema: None,
            clock: Arc::new(SystemClock),
        }
    }

    /// Connects with the defaults. See [`PostgresStoreBuilder::connect`].
    ///
    /// # Errors
    ///
    /// As [`PostgresStoreBuilder::connect`].
    pub async fn connect(config: &str) -> Result<PostgresStore, StoreError> {
        PostgresStore::builder(config).connect().await
    }

    /// Drops `schema` with every table in it (runs and their rows): resets a test's store.
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`] when the server cannot be reached; invalid names.
    pub async fn drop_schema(config: &str, schema: &str) -> Result<(), StoreError> {
        check_schema_name(schema)?;
        let client = connect(&Target::new(config, None)?).await?;
        client
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
            .await
            .map_err(|e| pg_error("dropping a schema", e))
    }

    /// One statement (its own transaction), counted as a commit.
    async fn statement(
        &self,
        operation: &'static str,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, StoreError> {
        let rows = self
            .client()
            .await?
            .query(sql, params)
            .await
            .map_err(|e| pg_error(operation, e))?;
        self.counters.committed();
        Ok(rows)
    }

    /// The connection, reconnected first if it broke.
    async fn client(&self) -> Result<Arc<Client>, StoreError> {
        let current = self
            .client
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if !current.is_closed() {
            return Ok(current);
        }
        let fresh = Arc::new(connect(&self.target).await?);
        *self.client.lock().unwrap_or_else(|p| p.into_inner()) = fresh.clone();
        Ok(fresh)
    }

    async fn read(
        &self,
        operation: &'static str,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, StoreError> {
        self.client()
            .await?
            .query(sql, params)
            .await
            .map_err(|e| pg_error(operation, e))
    }

    async fn get(&self, run: RunId) -> Result<RunRecord, StoreError> {
        let rows = self
            .read(
                "reading a run",
                &format!("SELECT {RUN_COLUMNS} FROM workflow_runs WHERE id = $1"),
                &[&run.0],
            )
            .await?;
        rows.first()
            .map(run_from_row)
            .ok_or(StoreError::NotFound { run })?
    }

    /// Why `lease` may not write, read after a guarded statement matched nothing.
    async fn lease_refusal(&self, lease: &Lease) -> StoreError {
        match self.get(lease.run).await {
            Ok(row) => match check_lease(lease, Some((row.status, row.owner.as_ref()))) {
                Err(e) => e,
                // It changed back in between: report it as lost anyway, the write did not
                // happen.
                Ok(()) => StoreError::LeaseLost {
                    run: lease.run,
                    owner: lease.owner.clone(),
                    reason: "the run changed hands during the write".into(),
                },
            },
            Err(StoreError::NotFound { .. }) => check_lease(lease, None).unwrap_err(),
            Err(e) => e,
        }
    }
}

fn writer_gone(operation: &'static str) -> StoreError {
    StoreError::unavailable(operation, "the Postgres writer task stopped")
}

fn check_schema_name(schema: &str) -> Result<(), StoreError> {
    let valid = schema
        .chars()
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_lowercase())
        && schema
            .chars()
            .all(|c| c == '_' || c.is_ascii_lowercase() || c.is_ascii_digit());
    if valid {
        Ok(())
    } else {
        Err(StoreError::Schema {
            location: schema.to_owned(),
            reason: "schema names are lowercase letters, digits and `_`".into(),
        })
    }
}

async fn connect(target: &Target) -> Result<Client, StoreError> {
    let (client, connection) = target.config.connect(NoTls).await.map_err(|e| {
        StoreError::unavailable(
            "connecting to Postgres",
            format!("{}: {}", target.location, connect_failure(&e)),
        )
    })?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::warn!(error = %e, "workflow store: Postgres connection closed");
        }
    });
    if let Some(schema) = &target.schema {
        client
            .batch_execute(&format!(
                "CREATE SCHEMA IF NOT EXISTS {schema}; SET search_path TO {schema}"
            ))
            .await
            .map_err(|e| pg_error("selecting the schema", e))?;
    }
    Ok(client)
}

/// Why a connection failed, whole, and what to do: tokio-postgres's own text is only
/// "error connecting to server" or "db error", its reason in its source (the system's
/// "Connection refused", the server's "database .. does not exist").
fn connect_failure(e: &tokio_postgres::Error) -> String {
    let mut text = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    let login = [
        SqlState::INVALID_AUTHORIZATION_SPECIFICATION,
        SqlState::INVALID_PASSWORD,
    ];
    let hint = match e.code() {
        Some(code) if *code == SqlState::INVALID_CATALOG_NAME => {
            "; create it (`CREATE DATABASE ..`), or name another with `dbname=` in the \
             connection string"
        }
        Some(code) if login.contains(code) => {
            "; the server refused the login: check the user (`user=`) and password in the \
             connection string, and the server's pg_hba.conf"
        }
        Some(_) => "",
        None => {
            "; is a Postgres server running there, and reachable? Check `host=` and `port=` \
             in the connection string"
        }
    };
    text.push_str(hint);
    text
}

/// Brings the schema to the newest version; one migrator at a time (an advisory lock).
async fn migrate(client: &mut Client, location: &str) -> Result<(), StoreError> {
    let op = "migrating the Postgres schema";
    let schema_error = |reason: String| StoreError::Schema {
        location: location.to_owned(),
        reason,
    };
    let tx = client.transaction().await.map_err(|e| pg_error(op, e))?;
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext('workflow_store_migrate'))",
        &[],
    )
    .await
    .map_err(|e| pg_error(op, e))?;
    let tables: Vec<String> = tx
        .query(
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name LIKE 'workflow\\_%'",
            &[],
        )
        .await
        .map_err(|e| pg_error(op, e))?
        .iter()
        .map(|r| r.get(0))
        .collect();
    if !tables.iter().any(|t| t == "workflow_store_meta") {
        if tables.iter().any(|t| t == "workflow_runs") {
            return Err(schema_error(
                "a table `workflow_runs` exists without the workflow store's metadata: \
                 it belongs to something else; use another schema"
                    .into(),
            ));
        }
        tx.batch_execute(&format!(
            "CREATE TABLE workflow_store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
             INSERT INTO workflow_store_meta VALUES ('schema_version', '0');
             INSERT INTO workflow_store_meta VALUES ('encoding', '{ENCODING}');"
        ))
        .await
        .map_err(|e| pg_error(op, e))?;
    }
    let meta: HashMap<String, String> = tx
        .query("SELECT key, value FROM workflow_store_meta", &[])
        .await
        .map_err(|e| pg_error(op, e))?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let found = meta.get("schema_version");
    let version = found
        .and_then(|v| v.parse::<u32>().ok())
        .ok_or_else(|| schema_error(format!("unreadable schema version {found:?}")))?;
    super::common::check_version(version, meta.get("encoding").map(String::as_str)).map_err(
        |e| match e {
            StoreError::Schema { reason, .. } => schema_error(reason),
            other => other,
        },
    )?;
    for (to, sql) in MIGRATIONS.iter().filter(|(to, _)| *to > version) {
        tx.batch_execute(sql).await.map_err(|e| pg_error(op, e))?;
        tx.execute(
            "UPDATE workflow_store_meta SET value = $1 WHERE key = 'schema_version'",
            &[&to.to_string()],
        )
        .await
        .map_err(|e| pg_error(op, e))?;
    }
    tx.commit().await.map_err(|e| pg_error(op, e))
}

/// `INSERT` of a new run row; returns nothing when its idempotency key exists.
const CREATE_SQL: &str = "INSERT INTO workflow_runs (workflow, fingerprint, input, \
     idempotency_key, status, owner, lease_expires_at, claims, created_at) \
     VALUES ($1, $2, $3, $4, 'running', $5, $6, 1, $7) \
     ON CONFLICT (idempotency_key) DO NOTHING RETURNING ";

/// Finishes a run held by `$6`; its node rows are deleted in the same statement when `$7`.
const FINISH_SQL: &str = "WITH finished AS (UPDATE workflow_runs SET status = $1, output = $2, \
     error = $3, owner = NULL, lease_expires_at = NULL, finished_at = $4 \
     WHERE id = $5 AND owner = $6 AND status = 'running' RETURNING *), \
     outputs AS (DELETE FROM workflow_node_outputs WHERE $7 \
     AND run_id IN (SELECT id FROM finished)), \
     branches AS (DELETE FROM workflow_branches WHERE $7 \
     AND run_id IN (SELECT id FROM finished)) \
     SELECT ";

/// What the writer task is asked to do.
#[derive(Debug)]
enum Op {
    /// Records, committed with the other records queued beside them.
    Record(PendingRecord),
    /// Create a run row ([`CREATE_SQL`]); `None` when the idempotency key exists.
    Create {
        new: NewRun,
        now: Timestamp,
        reply: oneshot::Sender<Result<Option<RunRecord>, StoreError>>,
    },
    /// Finish a run; `None` when the lease no longer holds.
    Finish {
        lease: Lease,
        outcome: RunOutcome,
        delete_rows: bool,
        now: Timestamp,
        reply: oneshot::Sender<Result<Option<RunRecord>, StoreError>>,
    },
}

/// The writer's connection and the statements it prepared on it (one round trip each
/// per batch saved).
struct Writer {
    client: Client,
    create: Statement,
    finish: Statement,
    holders: Statement,
    outputs: Statement,
    branches: Statement,
}

impl Writer {
    async fn prepare(client: Client) -> Result<Writer, StoreError> {
        let op = "preparing the Postgres writer's statements";
        let prepare = |sql: String| {
            let client = &client;
            async move { client.prepare(&sql).await.map_err(|e| pg_error(op, e)) }
        };
        let (create, finish, holders, outputs, branches) = futures::future::try_join5(
            prepare(format!("{CREATE_SQL}{RUN_COLUMNS}")),
            prepare(format!("{FINISH_SQL}{RUN_COLUMNS} FROM finished")),
            prepare(
                "SELECT id, status, owner FROM workflow_runs WHERE id = ANY($1) \
                 ORDER BY id FOR SHARE"
                    .into(),
            ),
            prepare(
                "INSERT INTO workflow_node_outputs (run_id, path, node_version, output_type, value) \
                 SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::bytea[]) \
                 ON CONFLICT (run_id, path) DO UPDATE SET node_version = excluded.node_version, \
                 output_type = excluded.output_type, value = excluded.value"
                    .into(),
            ),
            prepare(
                "INSERT INTO workflow_branches (run_id, path, arm) \
                 SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[]) \
                 ON CONFLICT (run_id, path) DO UPDATE SET arm = excluded.arm"
                    .into(),
            ),
        )
        .await?;
        Ok(Writer {
            client,
            create,
            finish,
            holders,
            outputs,
            branches,
        })
    }
}

/// The writer task: runs everything queued together in one transaction.
async fn serve(
    target: Arc<Target>,
    mut writer: Writer,
    mut queue: mpsc::UnboundedReceiver<Op>,
    counters: Arc<Counters>,
) {
    while let Some(first) = queue.recv().await {
        // Take everything queued meanwhile: writes that arrived while the last commit was
        // syncing share the next one.
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(op) => batch.push(op),
                Err(_) => break,
            }
        }
        if writer.client.is_closed() {
            let fresh = match connect(&target).await {
                Ok(client) => Writer::prepare(client).await,
                Err(e) => Err(e),
            };
            match fresh {
                Ok(fresh) => writer = fresh,
                Err(e) => {
                    for answer in batch.into_iter().map(Answer::unanswered) {
                        answer.send(Err(&e));
                    }
                    continue;
                }
            }
        }
        run_batch(&mut writer, batch, &counters).await;
    }
}

/// An operation done in a batch's transaction, waiting for the commit to answer.
enum Answer {
    Records {
        batch: Vec<PendingRecord>,
        outcome: Result<(), StoreError>,
        results: Vec<Result<(), StoreError>>,
    },
    Run {
        reply: oneshot::Sender<Result<Option<RunRecord>, StoreError>>,
        result: Result<Option<RunRecord>, StoreError>,
    },
}

impl Answer {
    /// An operation the batch never got to (its transaction could not start).
    fn unanswered(op: Op) -> Answer {
        let placeholder = || StoreError::backend("batched write", "not run");
        match op {
            Op::Record(pending) => Answer::Records {
                batch: vec![pending],
                outcome: Err(placeholder()),
                results: Vec::new(),
            },
            Op::Create { reply, .. } | Op::Finish { reply, .. } => Answer::Run {
                reply,
                result: Ok(None),
            },
        }
    }

    /// Answers the caller: with the operation's own result once the transaction
    /// committed, with the commit's error otherwise (the operation's own error first).
    fn send(self, committed: Result<(), &StoreError>) {
        match self {
            Answer::Records {
                batch,
                outcome,
                results,
            } => {
                let outcome = match (outcome, committed) {
                    (Ok(()), Ok(())) => Ok(()),
                    (Err(e), Ok(())) => Err(e),
                    (_, Err(e)) => Err(e.for_batch()),
                };
                reply_records(batch, outcome, results);
            }
            Answer::Run { reply, result } => {
                let result = match (result, committed) {
                    (Err(e), _) => Err(e),
                    (Ok(_), Err(e)) => Err(e.for_batch()),
                    (Ok(row), Ok(())) => Ok(row),
                };
                let _ = reply.send(result);
            }
        }
    }
}

/// Runs a batch in one transaction (group commit across runs: the run rows that
/// concurrent runs create and finish share a commit, as their records do). Each
/// operation, and each group of records between them, runs in a savepoint of its own,
/// so a failed one rolls back alone; every caller is answered after the commit, so none
/// hears of a write a crash could still undo.
///
/// Round trips: a savepoint travels in one pipeline with the statements of the
/// operation it protects, and its release with the next savepoint (the commit releases
/// the last), so an operation of one statement costs one round trip.
async fn run_batch(writer: &mut Writer, batch: Vec<Op>, counters: &Counters) {
    let Writer {
        client,
        create,
        finish,
        holders,
        outputs,
        branches,
    } = writer;
    let tx = match client.transaction().await {
        Ok(tx) => tx,
        Err(e) => {
            let e = pg_error("starting a batch of writes", e);
            for answer in batch.into_iter().map(Answer::unanswered) {
                answer.send(Err(&e));
            }
            return;
        }
    };
    let statements = RecordStatements {
        holders,
        outputs,
        branches,
    };
    let mut savepoints = Savepoints::default();
    let mut answers = Vec::with_capacity(batch.len());
    let mut records = Vec::new();
    let mut written = 0;
    for op in batch {
        let (reply, result) = match op {
            Op::Record(pending) => {
                records.push(pending);
                continue;
            }
            Op::Create { new, now, reply } => {
                // Keep queue order: records queued before this run's row are written first.
                let group = std::mem::take(&mut records);
                answers.push(
                    record_group(&tx, &mut savepoints, &statements, group, &mut written).await,
                );
                let expires = now.plus(new.lease);
                let params: [&(dyn ToSql + Sync); 7] = [
                    &new.workflow,
                    &new.fingerprint.0,
                    &new.input,
                    &new.idempotency_key,
                    &new.owner.0,
                    &expires.0,
                    &now.0,
                ];
                let result = savepoints
                    .run(&tx, "creating a run", async {
                        let rows = tx
                            .query(&*create, &params)
                            .await
                            .map_err(|e| pg_error("creating a run", e))?;
                        rows.first().map(run_from_row).transpose()
                    })
                    .await;
                (reply, result)
            }
            Op::Finish {
                lease,
                outcome,
                delete_rows,
                now,
                reply,
            } => {
                let group = std::mem::take(&mut records);
                answers.push(
                    record_group(&tx, &mut savepoints, &statements, group, &mut written).await,
                );
                let (status, output, error) = split_outcome(outcome);
                let params: [&(dyn ToSql + Sync); 7] = [
                    &status.as_str(),
                    &output,
                    &error,
                    &now.0,
                    &lease.run.0,
                    &lease.owner.0,
                    &delete_rows,
                ];
                let result = savepoints
                    .run(&tx, "finishing a run", async {
                        let rows = tx
                            .query(&*finish, &params)
                            .await
                            .map_err(|e| pg_error("finishing a run", e))?;
                        rows.first().map(run_from_row).transpose()
                    })
                    .await;
                (reply, result)
            }
        };
        savepoints.wrote |= result.is_ok();
        answers.push(Answer::Run { reply, result });
    }
    answers.push(record_group(&tx, &mut savepoints, &statements, records, &mut written).await);
    let wrote = savepoints.wrote;
    let committed = tx
        .commit()
        .await
        .map_err(|e| pg_error("committing a batch of writes", e));
    if committed.is_ok() && wrote {
        counters.committed();
        counters.recorded(written);
    }
    for answer in answers {
        answer.send(committed.as_ref().map(|_| ()));
    }
}

/// The savepoints of a batch's transaction: one per operation, all named alike (a
/// rollback goes to the newest).
#[derive(Default)]
struct Savepoints {
    /// The last operation succeeded: its savepoint is released with the next one's start.
    release: bool,
    /// Something was written (a batch whose every operation failed commits nothing).
    wrote: bool,
}

impl Savepoints {
    /// Runs `body` (statements on `tx`) in a savepoint: when it fails, what it wrote is
    /// rolled back and the transaction goes on.
    async fn run<T>(
        &mut self,
        tx: &Transaction<'_>,
        operation: &'static str,
        body: impl std::future::Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        let start = if std::mem::take(&mut self.release) {
            "RELEASE SAVEPOINT op; SAVEPOINT op"
        } else {
            "SAVEPOINT op"
        };
        // Polled in order, so the savepoint is sent before the body's first statement.
        let (started, result) = futures::future::join(tx.batch_execute(start), body).await;
        started.map_err(|e| pg_error(operation, e))?;
        match result {
            Ok(value) => {
                self.release = true;
                Ok(value)
            }
            Err(e) => {
                tx.batch_execute("ROLLBACK TO SAVEPOINT op; RELEASE SAVEPOINT op")
                    .await
                    .map_err(|e| pg_error(operation, e))?;
                Err(e)
            }
        }
    }
}

/// The statements [`record_group`] uses.
struct RecordStatements<'a> {
    holders: &'a Statement,
    outputs: &'a Statement,
    branches: &'a Statement,
}

/// Writes a group of records in a savepoint of the batch's transaction; `written` counts
/// the records whose leases allowed them.
async fn record_group(
    tx: &Transaction<'_>,
    savepoints: &mut Savepoints,
    statements: &RecordStatements<'_>,
    batch: Vec<PendingRecord>,
    written: &mut usize,
) -> Answer {
    let mut results = Vec::with_capacity(batch.len());
    if batch.is_empty() {
        return Answer::Records {
            batch,
            outcome: Ok(()),
            results,
        };
    }
    let outcome = savepoints
        .run(
            tx,
            "recording node outputs",
            write_records(tx, statements, &batch, &mut results),
        )
        .await;
    if outcome.is_ok() {
        savepoints.wrote = true;
        *written += batch
            .iter()
            .zip(&results)
            .filter(|(_, result)| result.is_ok())
            .map(|((_, rows, _), _)| rows.len())
            .sum::<usize>();
    }
    Answer::Records {
        batch,
        outcome,
        results,
    }
}

async fn write_records(
    tx: &Transaction<'_>,
    statements: &RecordStatements<'_>,
    batch: &[PendingRecord],
    results: &mut Vec<Result<(), StoreError>>,
) -> Result<(), StoreError> {
    let op = "recording node outputs";
    // Lock the runs' rows (shared) so that no claim changes their owner before this commit.
    let mut run_ids: Vec<i64> = batch.iter().map(|(lease, _, _)| lease.run.0).collect();
    run_ids.sort_unstable();
    run_ids.dedup();
    let holders: HashMap<RunId, (RunStatus, Option<OwnerId>)> = tx
        .query(statements.holders, &[&run_ids])
        .await
        .map_err(|e| pg_error(op, e))?
        .iter()
        .map(|r| {
            let run = RunId(r.get(0));
            Ok((
                run,
                (
                    parse_status(run, r.get(1))?,
                    r.get::<_, Option<String>>(2).map(OwnerId),
                ),
            ))
        })
        .collect::<Result<_, StoreError>>()?;
    // The last record for a path wins (one statement may not update a row twice).
    let mut outputs: HashMap<(i64, &str), &RecordedOutput> = HashMap::new();
    let mut branches: HashMap<(i64, &str), &BranchChoice> = HashMap::new();
    for (lease, rows, _) in batch {
        let holder = holders.get(&lease.run);
        let allowed = check_lease(lease, holder.map(|(s, o)| (*s, o.as_ref())));
        for record in rows.iter().filter(|_| allowed.is_ok()) {
            match record {
                Record::Output(out) => {
                    outputs.insert((lease.run.0, out.path.as_str()), out);
                }
                Record::Branch(choice) => {
                    branches.insert((lease.run.0, choice.path.as_str()), choice);
                }
            }
        }
        results.push(allowed);
    }
    let (mut runs, mut paths, mut versions, mut types, mut values) =
        (vec![], vec![], vec![], vec![], vec![]);
    for ((run, path), out) in &outputs {
        runs.push(*run);
        paths.push(*path);
        versions.push(i64::from(out.node_version));
        types.push(out.output_type.as_str());
        values.push(out.value.as_slice());
    }
    let (mut branch_runs, mut branch_paths, mut arms) = (vec![], vec![], vec![]);
    for ((run, path), choice) in &branches {
        branch_runs.push(*run);
        branch_paths.push(*path);
        arms.push(choice.arm.as_str());
    }
    // Both inserts in one pipeline.
    let write_outputs = async {
        if outputs.is_empty() {
            return Ok(0);
        }
        tx.execute(
            statements.outputs,
            &[&runs, &paths, &versions, &types, &values],
        )
        .await
    };
    let write_branches = async {
        if branches.is_empty() {
            return Ok(0);
        }
        tx.execute(statements.branches, &[&branch_runs, &branch_paths, &arms])
            .await
    };
    let (a, b) = futures::future::join(write_outputs, write_branches).await;
    a.and(b).map(|_| ()).map_err(|e| pg_error(op, e))
}

fn run_from_row(r: &Row) -> Result<RunRecord, StoreError> {
    let id = RunId(r.get(0));
    let claims: i64 = r.get(8);
    Ok(RunRecord {
        id,
        workflow: r.get(1),
        fingerprint: GraphFingerprint(r.get(2)),
        input: r.get(3),
        idempotency_key: r.get(4),
        status: parse_status(id, r.get(5))?,
        owner: r.get::<_, Option<String>>(6).map(OwnerId),
        lease_expires_at: r.get::<_, Option<i64>>(7).map(Timestamp),
        claims: u32::try_from(claims).unwrap_or(u32::MAX),
        created_at: Timestamp(r.get(9)),
        finished_at: r.get::<_, Option<i64>>(10).map(Timestamp),
        output: r.get(11),
        error: r.get(12),
    })
}

fn pg_error(operation: &'static str, e: tokio_postgres::Error) -> StoreError {
    if e.is_closed() {
        StoreError::unavailable(operation, e)
    } else {
        StoreError::backend(operation, e)
    }
}

impl Store for PostgresStore {
    fn create_run(&self, new: NewRun) -> BoxFuture<'_, Result<CreatedRun, StoreError>> {
        Box::pin(async move {
            let now = self.clock.now();
            let expires = now.plus(new.lease);
            let operation = "creating a run";
            let (reply, answer) = oneshot::channel();
            self.queue
                .send(Op::Create {
                    new: new.clone(),
                    now,
                    reply,
                })
                .map_err(|_| writer_gone(operation))?;
            let created = answer.await.map_err(|_| writer_gone(operation))??;
            if let Some(run) = created {
                return Ok(CreatedRun::New(Claimed {
                    lease: Lease {
                        run: run.id,
                        owner: new.owner,
                        expires_at: expires,
                    },
                    run,
                }));
            }
            // The key exists (only a keyed insert can conflict).
            let key = new.idempotency_key.as_deref().unwrap_or_default();
            let rows = self
                .read(
                    "creating a run",
                    &format!("SELECT {RUN_COLUMNS} FROM workflow_runs WHERE idempotency_key = $1"),
                    &[&key],
                )
                .await?;
            let existing = rows.first().map(run_from_row).ok_or_else(|| {
                StoreError::backend(
                    "creating a run",
                    format!("idempotency key `{key}` conflicted but its run is gone (purged?)"),
                )
            })??;
            check_same_run(key, &existing, &new)?;
            Ok(CreatedRun::Existing(existing))
        })
    }

    fn claim_run<'a>(
        &'a self,
        run: RunId,
        owner: &'a OwnerId,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Claimed, StoreError>> {
        about_run(
            Box::pin(async move {
                let now = self.clock.now();
                let rows = self
                    .statement(
                        "claiming a run",
                        &format!(
                            "UPDATE workflow_runs SET owner = $2, lease_expires_at = $3, \
                             claims = claims + 1 WHERE id = $1 AND status = 'running' AND \
                             (owner IS NULL OR owner = $2 OR lease_expires_at IS NULL \
                             OR lease_expires_at <= $4) RETURNING {RUN_COLUMNS}"
                        ),
                        &[&run.0, &owner.0, &now.plus(lease).0, &now.0],
                    )
                    .await?;
                if let Some(claim) = claims(rows.iter().map(run_from_row), owner)?.pop() {
                    return Ok(claim);
                }
                // Nothing matched: say why.
                let row = self.get(run).await?;
                check_claim(&row, owner, now)?;
                Err(StoreError::LeaseHeld {
                    run,
                    owner: row.owner.unwrap_or_else(|| OwnerId::new("?")),
                    expires_at: row.lease_expires_at.unwrap_or(now),
                })
            }),
            run,
            None,
        )
    }

    fn retry_run<'a>(
        &'a self,
        run: RunId,
        workflow: &'a str,
        owner: &'a OwnerId,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Claimed, StoreError>> {
        about_run(
            Box::pin(async move {
                let now = self.clock.now();
                // One statement: the row is locked (`FOR UPDATE`) while its failure is
                // appended to its attempts and it is reopened. A concurrent retry waits for
                // the lock, then finds the row running and matches nothing.
                let rows = self
                    .statement(
                        "retrying a run",
                        &format!(
                            "WITH failed AS (SELECT id, error, finished_at, created_at \
                             FROM workflow_runs WHERE id = $1 AND workflow = $2 \
                             AND status = 'failed' FOR UPDATE), \
                             attempt AS (INSERT INTO workflow_run_attempts \
                             (run_id, attempt, error, failed_at) \
                             SELECT id, (SELECT count(*) FROM workflow_run_attempts \
                             WHERE run_id = $1) + 1, coalesce(error, ''), \
                             coalesce(finished_at, created_at) FROM failed) \
                             UPDATE workflow_runs SET status = 'running', owner = $3, \
                             lease_expires_at = $4, claims = claims + 1, finished_at = NULL, \
                             output = NULL, error = NULL \
                             WHERE id IN (SELECT id FROM failed) RETURNING {RUN_COLUMNS}"
                        ),
                        &[&run.0, &workflow, &owner.0, &now.plus(lease).0],
                    )
                    .await?;
                if let Some(claim) = claims(rows.iter().map(run_from_row), owner)?.pop() {
                    return Ok(claim);
                }
                // Nothing matched: say why.
                let row = self.get(run).await?;
                check_retry(&row, workflow)?;
                // It failed again between the statement and this read: when the statement
                // ran, it was running.
                Err(StoreError::NotFailed {
                    run,
                    status: RunStatus::Running,
                })
            }),
            run,
            None,
        )
    }

    fn claim_expired<'a>(
        &'a self,
        owner: &'a OwnerId,
        lease: Duration,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<Claimed>, StoreError>> {
        Box::pin(async move {
            let now = self.clock.now();
            let limit = super::common::sql_limit(limit).unwrap_or(i64::MAX);
            let rows = self
                .statement(
                    "claiming expired runs",
                    &format!(
                        "UPDATE workflow_runs SET owner = $1, lease_expires_at = $2, \
                         claims = claims + 1 WHERE id IN (SELECT id FROM workflow_runs \
                         WHERE status = 'running' AND (lease_expires_at IS NULL OR \
                         lease_expires_at <= $3) ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED) \
                         RETURNING {RUN_COLUMNS}"
                    ),
                    &[&owner.0, &now.plus(lease).0, &now.0, &limit],
                )
                .await?;
            claims(rows.iter().map(run_from_row), owner)
        })
    }

    fn renew_lease<'a>(
        &'a self,
        lease: &'a Lease,
        duration: Duration,
    ) -> BoxFuture<'a, Result<Lease, StoreError>> {
        let run = lease.run;
        about_run(
            Box::pin(async move {
                let expires = self.clock.now().plus(duration);
                let rows = self
                    .statement(
                        "renewing a lease",
                        "UPDATE workflow_runs SET lease_expires_at = $1 \
                         WHERE id = $2 AND owner = $3 AND status = 'running' RETURNING id",
                        &[&expires.0, &lease.run.0, &lease.owner.0],
                    )
                    .await?;
                if rows.is_empty() {
                    return Err(self.lease_refusal(lease).await);
                }
                Ok(Lease {
                    expires_at: expires,
                    ..lease.clone()
                })
            }),
            run,
            None,
        )
    }

    fn record_all<'a>(
        &'a self,
        lease: &'a Lease,
        records: Vec<Record>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let node = first_path(&records);
        let run = lease.run;
        about_run(
            Box::pin(async move {
                let operation = "recording a node output";
                let (reply, answer) = oneshot::channel();
                self.queue
                    .send(Op::Record((lease.clone(), records, reply)))
                    .map_err(|_| writer_gone(operation))?;
                answer.await.map_err(|_| writer_gone(operation))?
            }),
            run,
            node,
        )
    }

    fn rebase_run<'a>(
        &'a self,
        lease: &'a Lease,
        fingerprint: GraphFingerprint,
        forget: Vec<NodePath>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let run = lease.run;
        about_run(
            Box::pin(async move {
                let forget: Vec<&str> = forget.iter().map(NodePath::as_str).collect();
                // One statement, so one transaction: the fingerprint and the rows together.
                let rows = self
                    .statement(
                        "rebasing a run",
                        "WITH rebased AS (UPDATE workflow_runs SET fingerprint = $2 \
                         WHERE id = $1 AND owner = $3 AND status = 'running' RETURNING id), \
                         forgotten AS (DELETE FROM workflow_node_outputs \
                         WHERE run_id IN (SELECT id FROM rebased) AND path = ANY($4)) \
                         SELECT id FROM rebased",
                        &[&run.0, &fingerprint.0, &lease.owner.0, &forget],
                    )
                    .await?;
                if rows.is_empty() {
                    return Err(self.lease_refusal(lease).await);
                }
                Ok(())
            }),
            run,
            None,
        )
    }

    fn finish_run<'a>(
        &'a self,
        lease: &'a Lease,
        outcome: RunOutcome,
        retention: Retention,
    ) -> BoxFuture<'a, Result<RunRecord, StoreError>> {
        let run = lease.run;
        about_run(
            Box::pin(async move {
                let operation = "finishing a run";
                let (reply, answer) = oneshot::channel();
                self.queue
                    .send(Op::Finish {
                        lease: lease.clone(),
                        delete_rows: matches!(outcome, RunOutcome::Succeeded { .. })
                            && retention == Retention::DeleteOnSuccess,
                        outcome,
                        now: self.clock.now(),
                        reply,
                    })
                    .map_err(|_| writer_gone(operation))?;
                match answer.await.map_err(|_| writer_gone(operation))?? {
                    Some(row) => Ok(row),
                    None => Err(self.lease_refusal(lease).await),
                }
            }),
            run,
            None,
        )
    }

    fn get_run(&self, run: RunId) -> BoxFuture<'_, Result<RunRecord, StoreError>> {
        about_run(Box::pin(self.get(run)), run, None)
    }

    fn load_run(&self, run: RunId) -> BoxFuture<'_, Result<RunState, StoreError>> {
        about_run(
            Box::pin(async move {
                // Four reads, pipelined on one connection. Only the run's lease holder writes
                // its rows, and it is the one loading them, so they do not change in between.
                let by_run: [&(dyn ToSql + Sync); 1] = [&run.0];
                let (record, outputs, branches, attempts) = futures::future::try_join4(
                    self.get(run),
                    self.read(
                        "loading node outputs",
                        "SELECT path, node_version, output_type, value FROM workflow_node_outputs \
                         WHERE run_id = $1 ORDER BY path",
                        &by_run,
                    ),
                    self.read(
                        "loading branch choices",
                        "SELECT path, arm FROM workflow_branches WHERE run_id = $1 ORDER BY path",
                        &by_run,
                    ),
                    self.read(
                        "loading a run's attempts",
                        "SELECT attempt, error, failed_at FROM workflow_run_attempts \
                         WHERE run_id = $1 ORDER BY attempt",
                        &by_run,
                    ),
                )
                .await?;
                let outputs = outputs
                    .iter()
                    .map(|r| {
                        let path: &str = r.get(0);
                        let version: i64 = r.get(1);
                        Ok(RecordedOutput {
                            path: parse_path(run, path)?,
                            node_version: parse_version(run, path, version)?,
                            output_type: r.get(2),
                            value: r.get(3),
                        })
                    })
                    .collect::<Result<Vec<_>, StoreError>>()?;
                let branches = branches
                    .iter()
                    .map(|r| {
                        Ok(BranchChoice {
                            path: parse_path(run, r.get(0))?,
                            arm: r.get(1),
                        })
                    })
                    .collect::<Result<Vec<_>, StoreError>>()?;
                let attempts = attempts
                    .iter()
                    .map(|r| FailedAttempt {
                        attempt: u32::try_from(r.get::<_, i64>(0)).unwrap_or(u32::MAX),
                        error: r.get(1),
                        failed_at: Timestamp(r.get(2)),
                    })
                    .collect();
                Ok(RunState {
                    run: record,
                    outputs,
                    branches,
                    attempts,
                })
            }),
            run,
            None,
        )
    }

    fn list_runs(&self, filter: RunFilter) -> BoxFuture<'_, Result<Vec<RunRecord>, StoreError>> {
        Box::pin(async move {
            let limit = super::common::sql_limit(filter.limit).unwrap_or(i64::MAX);
            let rows = self
                .read(
                    "listing runs",
                    &format!(
                        "SELECT {RUN_COLUMNS} FROM workflow_runs \
                         WHERE ($1::text IS NULL OR status = $1) \
                         AND ($2::text IS NULL OR workflow = $2) \
                         AND ($3::bigint IS NULL OR id < $3) ORDER BY id DESC LIMIT $4"
                    ),
                    &[
                        &filter.status.map(RunStatus::as_str),
                        &filter.workflow,
                        &filter.before.map(|r| r.0),
                        &limit,
                    ],
                )
                .await?;
            rows.iter().map(run_from_row).collect()
        })
    }

    fn purge(&self, filter: PurgeFilter) -> BoxFuture<'_, Result<u64, StoreError>> {
        Box::pin(async move {
            let rows = self
                .statement(
                    "purging runs",
                    "WITH purged AS (DELETE FROM workflow_runs WHERE status <> 'running' \
                     AND ($1::text IS NULL OR status = $1) AND finished_at < $2 RETURNING id), \
                     outputs AS (DELETE FROM workflow_node_outputs \
                     WHERE run_id IN (SELECT id FROM purged)), \
                     branches AS (DELETE FROM workflow_branches \
                     WHERE run_id IN (SELECT id FROM purged)), \
                     attempts AS (DELETE FROM workflow_run_attempts \
                     WHERE run_id IN (SELECT id FROM purged)) \
                     SELECT count(*) FROM purged",
                    &[
                        &filter.status.map(RunStatus::as_str),
                        &filter.finished_before.0,
                    ],
                )
                .await?;
            let purged: i64 = rows.first().map_or(0, |r| r.get(0));
            Ok(purged as u64)
        })
    }

    fn stats(&self) -> StoreStats {
        self.counters.stats()
    }

    fn clock(&self) -> &dyn Clock {
        &*self.clock
    }
}
