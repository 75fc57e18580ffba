//! The workflow journal of [`PgStore`]: runs leased on the database's clock,
//! every write one statement that checks the lease first.

use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;
use tokio_postgres::Row;

use super::sql::{pg_begin, pg_commit, pg_execute, pg_query, pg_query_one, pg_query_opt};
use super::{bad, parse_json, to_i32, OpError, PgStore, NOW_MS};
use crate::store::counters::Counters;
use crate::store::journal::{
    ends_run, lease_ms, pickup_event, Acquire, CreateRun, EventRecord, Journal, JournalWrite,
    NewEvent, NewRun, RunFilter, RunRecord, RunState, StateCounts, StepPhase, StepRecord,
    StepStatus,
};
use crate::store::StoreError;

const RUN_COLUMNS: &str = "run_id, workflow, fingerprint, steps, input, state, error, generation,
    lease_owner, lease_until_ms, created_ms, updated_ms, trace_context";

/// The upsert of one step row in a journal write, as a CTE named `name` that
/// runs only when the lease CTE matched; its nine parameters start at `$p`.
fn step_cte(name: &str, p: usize) -> String {
    let [index, phase, step, key, status, output, error, token, new_attempt] =
        std::array::from_fn(|k| format!("${}", p + k));
    format!(
        ",
         {name} AS (
             INSERT INTO oncely_steps (run_id, idx, phase, name, key, status, attempts, output, error, resume_token,
                                       started_ms, finished_ms)
             SELECT run_id, {index}::int, {phase}::text, {step}::text, {key}::text, {status}::text,
                    CASE WHEN {new_attempt}::bool THEN 1 ELSE 0 END, {output}::text, {error}::text, {token}::text,
                    {NOW_MS}, CASE WHEN {status}::text = 'started' THEN NULL ELSE {NOW_MS} END
               FROM lease
             ON CONFLICT (run_id, idx, phase) DO UPDATE SET
                 name = excluded.name,
                 key = excluded.key,
                 status = excluded.status,
                 attempts = oncely_steps.attempts + CASE WHEN {new_attempt}::bool THEN 1 ELSE 0 END,
                 output = COALESCE(excluded.output, oncely_steps.output),
                 error = COALESCE(excluded.error, oncely_steps.error),
                 resume_token = COALESCE(excluded.resume_token, oncely_steps.resume_token),
                 started_ms = CASE WHEN {new_attempt}::bool THEN excluded.started_ms ELSE oncely_steps.started_ms END,
                 finished_ms = CASE WHEN excluded.status = 'started' THEN NULL ELSE excluded.started_ms END
             RETURNING 1
         )"
    )
}

/// The statement applying `writes` (see [`Journal::write_all`]): one round
/// trip, atomic. The lease CTE locks the run row and matches only while the
/// owner holds an unexpired lease; every step upsert and history entry reads
/// from it, so all happen or none does. Parameters: `$1` run, `$2` owner, `$3`
/// lease, `$4` final state, `$5` error, `$6` whether the run ends, then five
/// per event, then nine per step update.
fn write_statement(writes: &[JournalWrite]) -> String {
    let mut next = 7;
    let mut events = Vec::with_capacity(writes.len());
    for n in 1..=writes.len() {
        let p: [String; 5] = std::array::from_fn(|k| format!("${}", next + k));
        events.push(format!(
            "({n}, {}::text, {}::text, {}::text, {}::int, {}::text)",
            p[0], p[1], p[2], p[3], p[4]
        ));
        next += 5;
    }
    let mut steps = String::new();
    for (n, _) in writes.iter().enumerate().filter(|(_, w)| w.step.is_some()) {
        steps.push_str(&step_cte(&format!("step{n}"), next));
        next += 9;
    }
    format!(
        "WITH lease AS (
             UPDATE oncely_runs SET state = COALESCE($4::text, state), error = COALESCE($5::text, error),
                    updated_ms = {NOW_MS},
                    lease_owner = CASE WHEN $6::bool THEN NULL ELSE lease_owner END,
                    lease_until_ms = CASE WHEN $6::bool THEN 0 ELSE {NOW_MS} + $3::bigint END
              WHERE run_id = $1 AND lease_owner = $2 AND lease_until_ms > {NOW_MS}
              RETURNING run_id
         ){steps},
         event AS (
             INSERT INTO oncely_run_events (run_id, seq, at_ms, kind, step, phase, attempt, detail)
             SELECT lease.run_id, COALESCE((SELECT MAX(seq) FROM oncely_run_events WHERE run_id = $1), 0) + e.n,
                    {NOW_MS}, e.kind, e.step, e.phase, e.attempt, e.detail
               FROM lease, (VALUES {}) AS e(n, kind, step, phase, attempt, detail)
             RETURNING 1
         )
         SELECT COUNT(*) FROM lease",
        events.join(", ")
    )
}

/// A journal write's values as statement parameters.
struct WriteParams {
    events: Vec<EventParams>,
    steps: Vec<StepParams>,
}

/// An event's kind, step, phase, attempt and details.
type EventParams = (
    String,
    Option<String>,
    Option<&'static str>,
    Option<i32>,
    Option<String>,
);

struct StepParams {
    index: i32,
    phase: &'static str,
    name: String,
    key: String,
    status: &'static str,
    output: Option<String>,
    error: Option<String>,
    token: Option<String>,
    new_attempt: bool,
}

impl WriteParams {
    fn new(writes: &[JournalWrite]) -> Self {
        let events = writes
            .iter()
            .map(|w| {
                let e = &w.event;
                (
                    e.kind.clone(),
                    e.step.clone(),
                    e.phase.map(StepPhase::as_str),
                    e.attempt.map(to_i32),
                    e.detail.as_ref().map(Value::to_string),
                )
            })
            .collect();
        let steps = writes
            .iter()
            .filter_map(|w| w.step.as_ref())
            .map(|s| StepParams {
                index: to_i32(s.index),
                phase: s.phase.as_str(),
                name: s.name.clone(),
                key: s.key.clone(),
                status: s.status.as_str(),
                output: s.output.as_ref().map(Value::to_string),
                error: s.error.as_ref().map(Value::to_string),
                token: s.resume_token.clone(),
                new_attempt: s.new_attempt,
            })
            .collect();
        WriteParams { events, steps }
    }

    /// The parameters after the first six, in [`write_statement`]'s order.
    fn push_onto<'a>(&'a self, params: &mut Vec<&'a (dyn tokio_postgres::types::ToSql + Sync)>) {
        for (kind, step, phase, attempt, detail) in &self.events {
            params.extend_from_slice(&[kind, step, phase, attempt, detail]);
        }
        for s in &self.steps {
            params.extend_from_slice(&[
                &s.index,
                &s.phase,
                &s.name,
                &s.key,
                &s.status,
                &s.output,
                &s.error,
                &s.token,
                &s.new_attempt,
            ]);
        }
    }
}

fn decode_run(row: &Row) -> Result<RunRecord, StoreError> {
    let run_id: String = row.get(0);
    let steps: String = row.get(3);
    let steps: Vec<String> = serde_json::from_str(&steps)
        .map_err(|e| bad(&run_id, format!("step list is not valid JSON: {e}")))?;
    let input: String = row.get(4);
    let state: String = row.get(5);
    let error: Option<String> = row.get(6);
    Ok(RunRecord {
        workflow: row.get(1),
        fingerprint: row.get(2),
        steps,
        input: parse_json(&run_id, "input", &input)?,
        state: RunState::parse(&state)
            .ok_or_else(|| bad(&run_id, format!("unknown run state {state:?}")))?,
        error: error
            .map(|e| parse_json(&run_id, "error", &e))
            .transpose()?,
        generation: u32::try_from(row.get::<_, i32>(7)).unwrap_or(0),
        lease_owner: row.get(8),
        lease_until_ms: row.get(9),
        created_ms: row.get(10),
        updated_ms: row.get(11),
        trace_context: row.get(12),
        run_id,
    })
}

async fn read_run(
    n: &Counters,
    c: &impl deadpool_postgres::GenericClient,
    run_id: &str,
    lock: bool,
) -> Result<Option<RunRecord>, OpError> {
    let sql = format!(
        "SELECT {RUN_COLUMNS} FROM oncely_runs WHERE run_id = $1{}",
        if lock { " FOR UPDATE" } else { "" }
    );
    let row = pg_query_opt(n, c, &sql, &[&run_id]).await?;
    Ok(row.as_ref().map(decode_run).transpose()?)
}

async fn append_event(
    n: &Counters,
    c: &impl deadpool_postgres::GenericClient,
    run_id: &str,
    event: &NewEvent,
) -> Result<(), OpError> {
    let sql = format!(
        "INSERT INTO oncely_run_events (run_id, seq, at_ms, kind, step, phase, attempt, detail)
         SELECT $1, COALESCE(MAX(seq), 0) + 1, {NOW_MS}, $2, $3, $4, $5, $6 FROM oncely_run_events WHERE run_id = $1"
    );
    let phase = event.phase.map(StepPhase::as_str);
    let attempt = event.attempt.map(to_i32);
    let detail = event.detail.as_ref().map(Value::to_string);
    pg_execute(
        n,
        c,
        &sql,
        &[&run_id, &event.kind, &event.step, &phase, &attempt, &detail],
    )
    .await?;
    Ok(())
}

#[async_trait]
impl Journal for PgStore {
    async fn create_run(&self, run: &NewRun) -> Result<CreateRun, StoreError> {
        let steps =
            serde_json::to_string(&run.steps).map_err(|e| bad(&run.run_id, e.to_string()))?;
        let (steps, input) = (&steps, &run.input.to_string());
        let done = self.op("create run", |c, n| async move {
            // One round trip for a new run; a second only when it exists.
            let insert = format!(
                "INSERT INTO oncely_runs (run_id, workflow, fingerprint, steps, input, state, created_ms, updated_ms,
                                         trace_context)
                 VALUES ($1, $2, $3, $4, $5, $6, {NOW_MS}, {NOW_MS}, $7) ON CONFLICT (run_id) DO NOTHING
                 RETURNING {RUN_COLUMNS}"
            );
            let params: [&(dyn tokio_postgres::types::ToSql + Sync); 7] = [
                &run.run_id, &run.workflow, &run.fingerprint, steps, input, &RunState::Pending.as_str(), &run.trace_context,
            ];
            if let Some(row) = pg_query_opt(n, &c, &insert, &params).await? {
                return Ok(CreateRun::Created(decode_run(&row)?));
            }
            let existing = read_run(n, &c, &run.run_id, false).await?;
            Ok(CreateRun::Exists(existing.ok_or_else(|| bad(&run.run_id, "vanished after insert".into()))?))
        })
        .await?;
        if matches!(done, CreateRun::Created(_)) {
            self.counters.committed(1, 0);
        }
        Ok(done)
    }

    /// One statement for a new run: inserted with its lease.
    async fn create_run_leased(
        &self,
        run: &NewRun,
        owner: &str,
        lease: Duration,
    ) -> Result<CreateRun, StoreError> {
        let steps =
            serde_json::to_string(&run.steps).map_err(|e| bad(&run.run_id, e.to_string()))?;
        let (steps, input, lease) = (&steps, &run.input.to_string(), &lease_ms(lease));
        let done = self.op("create run", |c, n| async move {
            let insert = format!(
                "INSERT INTO oncely_runs (run_id, workflow, fingerprint, steps, input, state, created_ms, updated_ms,
                                         lease_owner, lease_until_ms, trace_context)
                 VALUES ($1, $2, $3, $4, $5, $6, {NOW_MS}, {NOW_MS}, $7, {NOW_MS} + $8, $9) ON CONFLICT (run_id) DO NOTHING
                 RETURNING {RUN_COLUMNS}"
            );
            let params: [&(dyn tokio_postgres::types::ToSql + Sync); 9] = [
                &run.run_id, &run.workflow, &run.fingerprint, steps, input, &RunState::Pending.as_str(), &owner, lease,
                &run.trace_context,
            ];
            if let Some(row) = pg_query_opt(n, &c, &insert, &params).await? {
                return Ok(CreateRun::Created(decode_run(&row)?));
            }
            let existing = read_run(n, &c, &run.run_id, false).await?;
            Ok(CreateRun::Exists(existing.ok_or_else(|| bad(&run.run_id, "vanished after insert".into()))?))
        })
        .await?;
        if matches!(done, CreateRun::Created(_)) {
            self.counters.committed(1, 0);
        }
        Ok(done)
    }

    async fn run(&self, run_id: &str) -> Result<Option<RunRecord>, StoreError> {
        self.op("read run", |c, n| async move {
            read_run(n, &c, run_id, false).await
        })
        .await
    }

    async fn steps(&self, run_id: &str) -> Result<Vec<StepRecord>, StoreError> {
        self.op("read steps", |c, n| async move {
            let rows = pg_query(
                    n,
                    &c,
                    "SELECT idx, phase, name, key, status, attempts, output, error, resume_token, started_ms, finished_ms
                       FROM oncely_steps WHERE run_id = $1 ORDER BY idx, phase",
                    &[&run_id],
                )
                .await?;
            let mut steps = Vec::with_capacity(rows.len());
            for r in rows {
                let phase: String = r.get(1);
                let status: String = r.get(4);
                let output: Option<String> = r.get(6);
                let error: Option<String> = r.get(7);
                steps.push(StepRecord {
                    run_id: run_id.to_string(),
                    index: u32::try_from(r.get::<_, i32>(0)).unwrap_or(0),
                    phase: StepPhase::parse(&phase).ok_or_else(|| bad(run_id, format!("unknown step phase {phase:?}")))?,
                    name: r.get(2),
                    key: r.get(3),
                    status: StepStatus::parse(&status).ok_or_else(|| bad(run_id, format!("unknown step status {status:?}")))?,
                    attempts: u32::try_from(r.get::<_, i32>(5)).unwrap_or(0),
                    output: output.map(|o| parse_json(run_id, "step output", &o)).transpose()?,
                    error: error.map(|e| parse_json(run_id, "step error", &e)).transpose()?,
                    resume_token: r.get(8),
                    started_ms: r.get(9),
                    finished_ms: r.get(10),
                });
            }
            Ok(steps)
        })
        .await
    }

    async fn events(&self, run_id: &str) -> Result<Vec<EventRecord>, StoreError> {
        self.op("read events", |c, n| async move {
            let rows = pg_query(
                    n,
                    &c,
                    "SELECT seq, at_ms, kind, step, phase, attempt, detail FROM oncely_run_events WHERE run_id = $1 ORDER BY seq",
                    &[&run_id],
                )
                .await?;
            let mut events = Vec::with_capacity(rows.len());
            for r in rows {
                let phase: Option<String> = r.get(4);
                let detail: Option<String> = r.get(6);
                events.push(EventRecord {
                    run_id: run_id.to_string(),
                    seq: u64::try_from(r.get::<_, i64>(0)).unwrap_or(0),
                    at_ms: r.get(1),
                    kind: r.get(2),
                    step: r.get(3),
                    phase: phase.as_deref().and_then(StepPhase::parse),
                    attempt: r.get::<_, Option<i32>>(5).and_then(|a| u32::try_from(a).ok()),
                    detail: detail.map(|d| parse_json(run_id, "event detail", &d)).transpose()?,
                });
            }
            Ok(events)
        })
        .await
    }

    async fn list_runs(&self, filter: &RunFilter) -> Result<Vec<RunRecord>, StoreError> {
        let states: Vec<String> = filter
            .states
            .iter()
            .map(|s| s.as_str().to_string())
            .collect();
        let limit = filter.limit.map(|l| i64::try_from(l).unwrap_or(i64::MAX));
        let (states, limit) = (&states, &limit);
        self.op("list runs", |c, n| async move {
            let sql = format!(
                "SELECT {RUN_COLUMNS} FROM oncely_runs
                  WHERE (cardinality($1::text[]) = 0 OR state = ANY($1::text[]))
                    AND ($2::text IS NULL OR workflow = $2::text)
                  ORDER BY seq DESC LIMIT $3::bigint"
            );
            let rows = pg_query(n, &c, &sql, &[states, &filter.workflow, limit]).await?;
            Ok(rows.iter().map(decode_run).collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    async fn count_runs(&self) -> Result<StateCounts, StoreError> {
        self.op("count runs", |c, n| async move {
            let rows = pg_query(
                n,
                &c,
                "SELECT state, COUNT(*) FROM oncely_runs GROUP BY state",
                &[],
            )
            .await?;
            let mut counts = StateCounts::new();
            for r in rows {
                let state: String = r.get(0);
                let state = RunState::parse(&state)
                    .ok_or_else(|| bad("oncely_runs", format!("unknown run state {state:?}")))?;
                counts.insert(state, u64::try_from(r.get::<_, i64>(1)).unwrap_or(0));
            }
            Ok(counts)
        })
        .await
    }

    async fn acquire(
        &self,
        run_id: &str,
        owner: &str,
        lease: Duration,
    ) -> Result<Acquire, StoreError> {
        let lease = lease_ms(lease);
        let done = self.op("acquire", |c, n| async move {
            // One statement: take the lease if it is free, expired or ours.
            let sql = format!(
                "UPDATE oncely_runs SET lease_owner = $2, lease_until_ms = {NOW_MS} + $3
                  WHERE run_id = $1 AND (lease_owner IS NULL OR lease_until_ms <= {NOW_MS} OR lease_owner = $2)
                  RETURNING {RUN_COLUMNS}"
            );
            if let Some(row) = pg_query_opt(n, &c, &sql, &[&run_id, &owner, &lease]).await? {
                return Ok(Acquire::Acquired(decode_run(&row)?));
            }
            Ok(match read_run(n, &c, run_id, false).await? {
                Some(run) => Acquire::Held(run),
                None => Acquire::Missing,
            })
        })
        .await?;
        if matches!(done, Acquire::Acquired(_)) {
            self.counters.committed(1, 0);
        }
        Ok(done)
    }

    async fn claim(
        &self,
        owner: &str,
        lease: Duration,
        workflows: &[String],
    ) -> Result<Option<RunRecord>, StoreError> {
        let lease = lease_ms(lease);
        let workflows = &workflows.to_vec();
        let done = self.op("claim", |c, n| async move {
            // The queue pattern in one statement: lock the oldest free active
            // run (skipping rows other claimers hold) and lease it.
            let sql = format!(
                "UPDATE oncely_runs SET lease_owner = $2, lease_until_ms = {NOW_MS} + $3
                  WHERE run_id = (
                      SELECT run_id FROM oncely_runs
                       WHERE state IN ('pending', 'running', 'compensating') AND workflow = ANY($1::text[])
                         AND (lease_owner IS NULL OR lease_until_ms <= {NOW_MS})
                       ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED)
                  RETURNING {RUN_COLUMNS}"
            );
            let row = pg_query_opt(n, &c, &sql, &[workflows, &owner, &lease]).await?;
            Ok(row.as_ref().map(decode_run).transpose()?)
        })
        .await?;
        if done.is_some() {
            self.counters.committed(1, 0);
        }
        Ok(done)
    }

    async fn renew(&self, run_id: &str, owner: &str, lease: Duration) -> Result<bool, StoreError> {
        let lease = lease_ms(lease);
        let done = self
            .op("renew", |c, n| async move {
                let sql = format!(
                    "UPDATE oncely_runs SET lease_until_ms = {NOW_MS} + $3
                  WHERE run_id = $1 AND lease_owner = $2 AND lease_until_ms > {NOW_MS}"
                );
                Ok(pg_execute(n, &c, &sql, &[&run_id, &owner, &lease]).await? > 0)
            })
            .await?;
        self.counters.committed(1, 0);
        Ok(done)
    }

    async fn release(&self, run_id: &str, owner: &str) -> Result<(), StoreError> {
        let done = self.op("release", |c, n| async move {
            pg_execute(n, &c,
                "UPDATE oncely_runs SET lease_owner = NULL, lease_until_ms = 0 WHERE run_id = $1 AND lease_owner = $2",
                &[&run_id, &owner],
            )
            .await?;
            Ok(())
        })
        .await?;
        self.counters.committed(1, 0);
        Ok(done)
    }

    async fn release_all(&self, owner: &str) -> Result<u64, StoreError> {
        let done = self.op("release all", |c, n| async move {
            Ok(pg_execute(n, &c, "UPDATE oncely_runs SET lease_owner = NULL, lease_until_ms = 0 WHERE lease_owner = $1", &[&owner]).await?)
        })
        .await?;
        self.counters.committed(1, 0);
        Ok(done)
    }

    async fn write(
        &self,
        run_id: &str,
        owner: &str,
        lease: Duration,
        write: &JournalWrite,
    ) -> Result<bool, StoreError> {
        self.write_all(run_id, owner, lease, std::slice::from_ref(write))
            .await
    }

    async fn write_all(
        &self,
        run_id: &str,
        owner: &str,
        lease: Duration,
        writes: &[JournalWrite],
    ) -> Result<bool, StoreError> {
        if writes.is_empty() {
            return Ok(true);
        }
        let lease = lease_ms(lease);
        let state = writes.iter().rev().find_map(|w| w.state);
        let ends = ends_run(state);
        let state = state.map(RunState::as_str);
        let error = writes
            .iter()
            .rev()
            .find_map(|w| w.error.as_ref())
            .map(Value::to_string);
        let values = WriteParams::new(writes);
        let sql = write_statement(writes);
        let (state, error, ends, values, sql) = (&state, &error, &ends, &values, &sql);
        let done = self
            .op("journal write", |c, n| async move {
                let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
                    vec![&run_id, &owner, &lease, state, error, ends];
                values.push_onto(&mut params);
                let row = pg_query_one(n, &c, sql, &params).await?;
                Ok(row.get::<_, i64>(0) == 1)
            })
            .await?;
        if done {
            self.counters.committed(writes.len() as u64, 0);
        }
        Ok(done)
    }

    async fn request_pickup(
        &self,
        run_id: &str,
        retry_parked: bool,
    ) -> Result<Option<RunRecord>, StoreError> {
        let done = self.op("request pickup", |mut c, n| async move {
            let tx = pg_begin(n, &mut c).await?;
            let Some(before) = read_run(n, &tx, run_id, true).await? else { return Ok(None) };
            let retry = retry_parked && before.state == RunState::NeedsAttention;
            pg_execute(n, &tx,
                &format!(
                    "UPDATE oncely_runs SET lease_owner = NULL, lease_until_ms = 0, updated_ms = {NOW_MS},
                            state = CASE WHEN $2 THEN 'compensating' ELSE state END,
                            generation = generation + CASE WHEN $2 THEN 1 ELSE 0 END
                      WHERE run_id = $1"
                ),
                &[&run_id, &retry],
            )
            .await?;
            let after = read_run(n, &tx, run_id, false).await?.ok_or_else(|| bad(run_id, "vanished".into()))?;
            append_event(n, &tx, run_id, &pickup_event(before.state, &after, retry_parked)).await?;
            pg_commit(n, tx).await?;
            Ok(Some(after))
        })
        .await?;
        self.counters.committed(1, 0);
        Ok(done)
    }
}
