//! The Postgres store: runs shared by every process that reaches one server.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::sync::{mpsc, oneshot};
use tokio_postgres::config::Host;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Config, NoTls, Row};

use super::common::{
    about_run, check_claim, check_lease, check_same_run, claims, first_path, parse_path,
    parse_status, parse_version, split_outcome, Counters, PendingRecord,
};
use super::{
    BranchChoice, Claimed, Clock, CreatedRun, GraphFingerprint, Lease, NewRun, OwnerId,
    PurgeFilter, Record, RecordedOutput, Retention, RunFilter, RunId, RunOutcome, RunRecord,
    RunState, RunStatus, Store, StoreError, StoreStats, SystemClock, Timestamp, ENCODING,
};

/// Each migration takes the schema from the version before it to its own.
const MIGRATIONS: &[(u32, &str)] = &[(
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
)];

/// The `workflow_runs` columns, in the order [`run_from_row`] reads them.
const RUN_COLUMNS: &str = "id, workflow, fingerprint, input, idempotency_key, status, owner, \
     lease_expires_at, claims, created_at, finished_at, output, error";

/// Most records the writer commits at once.
const MAX_BATCH: usize = 4096;

/// A store on a Postgres server, reached with `tokio-postgres` (no TLS: use a local
/// server, a Unix socket or a tunnel).
///
/// Records go through one writer task that owns a connection and commits the records
/// queued together in one transaction (group commit). Every other operation is one atomic
/// statement on a second connection; claims use `FOR UPDATE SKIP LOCKED`, so processes
/// recovering at once never take the same run. Tables live in the connection's schema
/// (`public` unless [`PostgresStoreBuilder::schema`] says otherwise), beside the
/// application's own tables.
///
/// A connection that breaks (server restart, network) fails the operations in flight
/// with [`StoreError::Unavailable`]; the next operation reconnects.
#[derive(Debug)]
pub struct PostgresStore {
    queue: mpsc::UnboundedSender<PendingRecord>,
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
            format!("{}: {e}", target.location),
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

/// The writer task: commits the records queued together in one transaction.
async fn serve(
    target: Arc<Target>,
    mut client: Client,
    mut queue: mpsc::UnboundedReceiver<PendingRecord>,
    counters: Arc<Counters>,
) {
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(record) => batch.push(record),
                Err(_) => break,
            }
        }
        if client.is_closed() {
            match connect(&target).await {
                Ok(fresh) => client = fresh,
                Err(e) => {
                    for (_, _, reply) in batch {
                        let _ = reply.send(Err(e.for_batch()));
                    }
                    continue;
                }
            }
        }
        let mut results = Vec::with_capacity(batch.len());
        let outcome = commit_records(&mut client, &batch, &mut results).await;
        counters.answer(batch, outcome, results);
    }
}

async fn commit_records(
    client: &mut Client,
    batch: &[PendingRecord],
    results: &mut Vec<Result<(), StoreError>>,
) -> Result<(), StoreError> {
    let op = "recording node outputs";
    let tx = client.transaction().await.map_err(|e| pg_error(op, e))?;
    // Lock the runs' rows (shared) so that no claim changes their owner before this commit.
    let mut run_ids: Vec<i64> = batch.iter().map(|(lease, _, _)| lease.run.0).collect();
    run_ids.sort_unstable();
    run_ids.dedup();
    let holders: HashMap<RunId, (RunStatus, Option<OwnerId>)> = tx
        .query(
            "SELECT id, status, owner FROM workflow_runs WHERE id = ANY($1) ORDER BY id FOR SHARE",
            &[&run_ids],
        )
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
    if !outputs.is_empty() {
        let (mut runs, mut paths, mut versions, mut types, mut values) =
            (vec![], vec![], vec![], vec![], vec![]);
        for ((run, path), out) in &outputs {
            runs.push(*run);
            paths.push(*path);
            versions.push(i64::from(out.node_version));
            types.push(out.output_type.as_str());
            values.push(out.value.as_slice());
        }
        tx.execute(
            "INSERT INTO workflow_node_outputs (run_id, path, node_version, output_type, value) \
             SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::bytea[]) \
             ON CONFLICT (run_id, path) DO UPDATE SET node_version = excluded.node_version, \
             output_type = excluded.output_type, value = excluded.value",
            &[&runs, &paths, &versions, &types, &values],
        )
        .await
        .map_err(|e| pg_error(op, e))?;
    }
    if !branches.is_empty() {
        let (mut runs, mut paths, mut arms) = (vec![], vec![], vec![]);
        for ((run, path), choice) in &branches {
            runs.push(*run);
            paths.push(*path);
            arms.push(choice.arm.as_str());
        }
        tx.execute(
            "INSERT INTO workflow_branches (run_id, path, arm) \
             SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[]) \
             ON CONFLICT (run_id, path) DO UPDATE SET arm = excluded.arm",
            &[&runs, &paths, &arms],
        )
        .await
        .map_err(|e| pg_error(op, e))?;
    }
    tx.commit().await.map_err(|e| pg_error(op, e))
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
            let rows = self
                .statement(
                    "creating a run",
                    &format!(
                        "INSERT INTO workflow_runs (workflow, fingerprint, input, idempotency_key, \
                         status, owner, lease_expires_at, claims, created_at) \
                         VALUES ($1, $2, $3, $4, 'running', $5, $6, 1, $7) \
                         ON CONFLICT (idempotency_key) DO NOTHING RETURNING {RUN_COLUMNS}"
                    ),
                    &[
                        &new.workflow,
                        &new.fingerprint.0,
                        &new.input,
                        &new.idempotency_key,
                        &new.owner.0,
                        &expires.0,
                        &now.0,
                    ],
                )
                .await?;
            if let Some(row) = rows.first() {
                let run = run_from_row(row)?;
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

    fn claim_expired<'a>(
        &'a self,
        owner: &'a OwnerId,
        lease: Duration,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<Claimed>, StoreError>> {
        Box::pin(async move {
            let now = self.clock.now();
            let limit = if limit == 0 { i64::MAX } else { limit as i64 };
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
                let gone =
                    || StoreError::unavailable(operation, "the Postgres writer task stopped");
                let (reply, answer) = oneshot::channel();
                self.queue
                    .send((lease.clone(), records, reply))
                    .map_err(|_| gone())?;
                answer.await.map_err(|_| gone())?
            }),
            run,
            node,
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
                let now = self.clock.now();
                let (status, output, error) = split_outcome(outcome);
                let delete_rows =
                    status == RunStatus::Succeeded && retention == Retention::DeleteOnSuccess;
                // One statement: the status change and the row deletion commit together.
                let rows = self
                    .statement(
                        "finishing a run",
                        &format!(
                            "WITH finished AS (UPDATE workflow_runs SET status = $1, output = $2, \
                             error = $3, owner = NULL, lease_expires_at = NULL, finished_at = $4 \
                             WHERE id = $5 AND owner = $6 AND status = 'running' \
                             RETURNING {RUN_COLUMNS}), \
                             outputs AS (DELETE FROM workflow_node_outputs WHERE $7 \
                             AND run_id IN (SELECT id FROM finished)), \
                             branches AS (DELETE FROM workflow_branches WHERE $7 \
                             AND run_id IN (SELECT id FROM finished)) \
                             SELECT * FROM finished"
                        ),
                        &[
                            &status.as_str(),
                            &output,
                            &error,
                            &now.0,
                            &lease.run.0,
                            &lease.owner.0,
                            &delete_rows,
                        ],
                    )
                    .await?;
                match rows.first() {
                    Some(row) => run_from_row(row),
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
                // Three reads, pipelined on one connection. Only the run's lease holder writes
                // its rows, and it is the one loading them, so they do not change in between.
                let by_run: [&(dyn ToSql + Sync); 1] = [&run.0];
                let (record, outputs, branches) = futures::future::try_join3(
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
                Ok(RunState {
                    run: record,
                    outputs,
                    branches,
                })
            }),
            run,
            None,
        )
    }

    fn list_runs(&self, filter: RunFilter) -> BoxFuture<'_, Result<Vec<RunRecord>, StoreError>> {
        Box::pin(async move {
            let limit = if filter.limit == 0 {
                i64::MAX
            } else {
                filter.limit as i64
            };
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
