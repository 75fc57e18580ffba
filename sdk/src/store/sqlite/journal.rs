//! The workflow journal of [`SqliteStore`]: three tables next to the
//! idempotency records, every write in an `IMMEDIATE` transaction so several
//! processes sharing the file serialise their lease checks.

use std::time::Duration;

use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};
use serde_json::Value;

use super::SqliteStore;
use crate::store::journal::{
    ends_run, lease_ms, pickup_event, Acquire, CreateRun, EventRecord, Journal, JournalWrite,
    NewEvent, NewRun, RunFilter, RunRecord, RunState, StateCounts, StepPhase, StepRecord,
    StepStatus,
};
use crate::store::{now_millis, StoreError};

/// Schema version 2: the journal tables.
pub(super) const MIGRATION_2: &str = "
    CREATE TABLE IF NOT EXISTS oncely_runs (
        run_id         TEXT PRIMARY KEY NOT NULL,
        workflow       TEXT NOT NULL,
        fingerprint    TEXT NOT NULL,
        steps          TEXT NOT NULL,
        input          TEXT NOT NULL,
        state          TEXT NOT NULL,
        error          TEXT,
        generation     INTEGER NOT NULL DEFAULT 0,
        lease_owner    TEXT,
        lease_until_ms INTEGER NOT NULL DEFAULT 0,
        created_ms     INTEGER NOT NULL,
        updated_ms     INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS oncely_runs_state ON oncely_runs (state);
    CREATE TABLE IF NOT EXISTS oncely_steps (
        run_id       TEXT NOT NULL,
        idx          INTEGER NOT NULL,
        phase        TEXT NOT NULL,
        name         TEXT NOT NULL,
        key          TEXT NOT NULL,
        status       TEXT NOT NULL,
        attempts     INTEGER NOT NULL,
        output       TEXT,
        error        TEXT,
        resume_token TEXT,
        started_ms   INTEGER NOT NULL,
        finished_ms  INTEGER,
        PRIMARY KEY (run_id, idx, phase)
    );
    CREATE TABLE IF NOT EXISTS oncely_run_events (
        run_id  TEXT NOT NULL,
        seq     INTEGER NOT NULL,
        at_ms   INTEGER NOT NULL,
        kind    TEXT NOT NULL,
        step    TEXT,
        phase   TEXT,
        attempt INTEGER,
        detail  TEXT,
        PRIMARY KEY (run_id, seq)
    );";

/// Schema version 3: the trace context a run's spans continue.
pub(super) const MIGRATION_3: &str = "ALTER TABLE oncely_runs ADD COLUMN trace_context TEXT;";

const RUN_COLUMNS: &str = "run_id, workflow, fingerprint, steps, input, state, error, generation,
    lease_owner, lease_until_ms, created_ms, updated_ms, trace_context";

/// Inserts or updates a step row (`?1`..`?10`); shared in spirit with PostgreSQL.
const UPSERT_STEP: &str = "
    INSERT INTO oncely_steps (run_id, idx, phase, name, key, status, attempts, output, error, resume_token,
                              started_ms, finished_ms)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, CASE WHEN ?11 THEN 1 ELSE 0 END, ?7, ?8, ?9, ?10,
            CASE WHEN ?6 = 'started' THEN NULL ELSE ?10 END)
    ON CONFLICT (run_id, idx, phase) DO UPDATE SET
        name = excluded.name,
        key = excluded.key,
        status = excluded.status,
        attempts = attempts + CASE WHEN ?11 THEN 1 ELSE 0 END,
        output = COALESCE(excluded.output, output),
        error = COALESCE(excluded.error, error),
        resume_token = COALESCE(excluded.resume_token, resume_token),
        started_ms = CASE WHEN ?11 THEN excluded.started_ms ELSE started_ms END,
        finished_ms = CASE WHEN excluded.status = 'started' THEN NULL ELSE excluded.started_ms END";

fn backend(operation: &'static str) -> impl Fn(rusqlite::Error) -> StoreError {
    move |e| StoreError::Backend {
        operation,
        reason: e.to_string(),
    }
}

fn to_json(value: &Value) -> String {
    value.to_string()
}

fn parse_json(key: &str, what: &str, text: &str) -> Result<Value, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::BadRecord {
        key: key.to_string(),
        reason: format!("{what} is not valid JSON: {e}"),
    })
}

fn bad(key: &str, reason: String) -> StoreError {
    StoreError::BadRecord {
        key: key.to_string(),
        reason,
    }
}

type RawRun = (
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    i64,
    Option<String>,
    i64,
    i64,
    i64,
    Option<String>,
);

fn raw_run(r: &Row<'_>) -> rusqlite::Result<RawRun> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
        r.get(10)?,
        r.get(11)?,
        r.get(12)?,
    ))
}

/// Decodes a run row, naming the run in any error.
pub(super) fn decode_run(raw: RawRun) -> Result<RunRecord, StoreError> {
    let (
        run_id,
        workflow,
        fingerprint,
        steps,
        input,
        state,
        error,
        generation,
        lease_owner,
        lease_until_ms,
        created_ms,
        updated_ms,
        trace_context,
    ) = raw;
    let steps: Vec<String> = serde_json::from_str(&steps)
        .map_err(|e| bad(&run_id, format!("step list is not valid JSON: {e}")))?;
    let input = parse_json(&run_id, "input", &input)?;
    let state = RunState::parse(&state)
        .ok_or_else(|| bad(&run_id, format!("unknown run state {state:?}")))?;
    let error = error
        .map(|e| parse_json(&run_id, "error", &e))
        .transpose()?;
    Ok(RunRecord {
        run_id,
        workflow,
        fingerprint,
        steps,
        input,
        state,
        error,
        generation: u32::try_from(generation).unwrap_or(0),
        lease_owner,
        lease_until_ms,
        created_ms,
        updated_ms,
        trace_context,
    })
}

fn read_run(conn: &Connection, run_id: &str) -> Result<Option<RunRecord>, StoreError> {
    let sql = format!("SELECT {RUN_COLUMNS} FROM oncely_runs WHERE run_id = ?1");
    let raw = conn
        .prepare_cached(&sql)
        .and_then(|mut select| select.query_row([run_id], raw_run).optional())
        .map_err(backend("read run"))?;
    raw.map(decode_run).transpose()
}

fn holds(conn: &Connection, run_id: &str, owner: &str, now: i64) -> Result<bool, StoreError> {
    let n: i64 = conn
        .prepare_cached(
            "SELECT COUNT(*) FROM oncely_runs WHERE run_id = ?1 AND lease_owner = ?2 AND lease_until_ms > ?3",
        )
        .and_then(|mut select| select.query_row(params![run_id, owner, now], |r| r.get(0)))
        .map_err(backend("check lease"))?;
    Ok(n > 0)
}

fn append_event(
    conn: &Connection,
    run_id: &str,
    event: &NewEvent,
    now: i64,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO oncely_run_events (run_id, seq, at_ms, kind, step, phase, attempt, detail)
         SELECT ?1, COALESCE(MAX(seq), 0) + 1, ?2, ?3, ?4, ?5, ?6, ?7 FROM oncely_run_events WHERE run_id = ?1",
    )
    .and_then(|mut insert| insert.execute(params![
            run_id,
            now,
            event.kind,
            event.step,
            event.phase.map(StepPhase::as_str),
            event.attempt,
            event.detail.as_ref().map(to_json)
        ]))
    .map_err(backend("append event"))?;
    Ok(())
}

/// A job answered with another job's kind of answer (a bug, reported as such).
fn unexpected(answer: JobAnswer) -> StoreError {
    StoreError::Backend {
        operation: "journal write",
        reason: format!("the writer answered {answer:?} to another kind of job"),
    }
}

fn set_lease(
    conn: &Connection,
    run_id: &str,
    owner: Option<&str>,
    until: i64,
) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE oncely_runs SET lease_owner = ?2, lease_until_ms = ?3 WHERE run_id = ?1",
        params![run_id, owner, until],
    )
    .map_err(backend("lease"))?;
    Ok(())
}

/// A journal change for the writer's next group commit.
#[derive(Debug)]
pub(super) enum JournalJob {
    /// [`Journal::create_run`], or [`Journal::create_run_leased`] with the
    /// lease's owner and length.
    Create(NewRun, Option<(String, Duration)>),
    /// [`Journal::acquire`].
    Acquire {
        run_id: String,
        owner: String,
        lease: Duration,
    },
    /// [`Journal::write_all`].
    Write {
        run_id: String,
        owner: String,
        lease: Duration,
        writes: Vec<JournalWrite>,
    },
}

/// What a [`JournalJob`] did.
#[derive(Debug)]
pub(super) enum JobAnswer {
    Created(CreateRun),
    Acquired(Acquire),
    Written(bool),
}

impl JobAnswer {
    /// How many journal changes it made.
    pub(super) fn changes(&self, job: &JournalJob) -> u64 {
        match (self, job) {
            (JobAnswer::Created(CreateRun::Created(_)), _)
            | (JobAnswer::Acquired(Acquire::Acquired(_)), _) => 1,
            (JobAnswer::Written(true), JournalJob::Write { writes, .. }) => writes.len() as u64,
            _ => 0,
        }
    }
}

impl JournalJob {
    /// Applies the job on `conn`, inside the group's transaction.
    pub(super) fn apply(&self, conn: &Connection) -> Result<JobAnswer, StoreError> {
        let now = now_millis();
        match self {
            JournalJob::Create(run, lease) => {
                let lease = lease
                    .as_ref()
                    .map(|(owner, lease)| (owner.as_str(), *lease));
                create_run(conn, run, lease, now).map(JobAnswer::Created)
            }
            JournalJob::Acquire {
                run_id,
                owner,
                lease,
            } => acquire(conn, run_id, owner, *lease, now).map(JobAnswer::Acquired),
            JournalJob::Write {
                run_id,
                owner,
                lease,
                writes,
            } => {
                if !holds(conn, run_id, owner, now)? {
                    return Ok(JobAnswer::Written(false));
                }
                for write in writes {
                    apply_write(conn, run_id, *lease, write, now)?;
                }
                Ok(JobAnswer::Written(true))
            }
        }
    }
}

/// Creates `run` unless it exists, leased to `lease`'s owner when given.
fn create_run(
    conn: &Connection,
    run: &NewRun,
    lease: Option<(&str, Duration)>,
    now: i64,
) -> Result<CreateRun, StoreError> {
    if let Some(existing) = read_run(conn, &run.run_id)? {
        return Ok(CreateRun::Exists(existing));
    }
    let steps = serde_json::to_string(&run.steps).map_err(|e| bad(&run.run_id, e.to_string()))?;
    let lease_owner = lease.map(|(owner, _)| owner.to_string());
    let lease_until_ms = lease.map_or(0, |(_, lease)| now.saturating_add(lease_ms(lease)));
    conn.prepare_cached(
        "INSERT INTO oncely_runs (run_id, workflow, fingerprint, steps, input, state, created_ms, updated_ms,
                                  lease_owner, lease_until_ms, trace_context)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9, ?10)",
    )
    .and_then(|mut insert| {
        insert.execute(params![
            run.run_id,
            run.workflow,
            run.fingerprint,
            steps,
            to_json(&run.input),
            RunState::Pending.as_str(),
            now,
            lease_owner,
            lease_until_ms,
            run.trace_context
        ])
    })
    .map_err(backend("create run"))?;
    Ok(CreateRun::Created(RunRecord {
        run_id: run.run_id.clone(),
        workflow: run.workflow.clone(),
        fingerprint: run.fingerprint.clone(),
        steps: run.steps.clone(),
        input: run.input.clone(),
        state: RunState::Pending,
        error: None,
        generation: 0,
        lease_owner,
        lease_until_ms,
        created_ms: now,
        updated_ms: now,
        trace_context: run.trace_context.clone(),
    }))
}

fn acquire(
    conn: &Connection,
    run_id: &str,
    owner: &str,
    lease: Duration,
    now: i64,
) -> Result<Acquire, StoreError> {
    let Some(mut run) = read_run(conn, run_id)? else {
        return Ok(Acquire::Missing);
    };
    let free = run.lease_owner.is_none()
        || run.lease_until_ms <= now
        || run.lease_owner.as_deref() == Some(owner);
    if !free {
        return Ok(Acquire::Held(run));
    }
    run.lease_owner = Some(owner.to_string());
    run.lease_until_ms = now.saturating_add(lease_ms(lease));
    set_lease(conn, run_id, Some(owner), run.lease_until_ms)?;
    Ok(Acquire::Acquired(run))
}

/// One write's statements: the step row, the run row (state, error, lease)
/// and the history entry.
fn apply_write(
    conn: &Connection,
    run_id: &str,
    lease: Duration,
    write: &JournalWrite,
    now: i64,
) -> Result<(), StoreError> {
    let failed = backend("journal write");
    if let Some(s) = &write.step {
        conn.prepare_cached(UPSERT_STEP)
            .and_then(|mut upsert| {
                upsert.execute(params![
                    run_id,
                    s.index,
                    s.phase.as_str(),
                    s.name,
                    s.key,
                    s.status.as_str(),
                    s.output.as_ref().map(to_json),
                    s.error.as_ref().map(to_json),
                    s.resume_token,
                    now,
                    s.new_attempt
                ])
            })
            .map_err(&failed)?;
    }
    let ends = ends_run(write.state);
    conn.prepare_cached(
        "UPDATE oncely_runs SET state = COALESCE(?2, state), error = COALESCE(?3, error), updated_ms = ?4,
                lease_owner = CASE WHEN ?6 THEN NULL ELSE lease_owner END,
                lease_until_ms = CASE WHEN ?6 THEN 0 ELSE ?5 END
          WHERE run_id = ?1",
    )
    .and_then(|mut update| {
        update.execute(params![
            run_id,
            write.state.map(RunState::as_str),
            write.error.as_ref().map(to_json),
            now,
            now.saturating_add(lease_ms(lease)),
            ends
        ])
    })
    .map_err(&failed)?;
    append_event(conn, run_id, &write.event, now)
}

#[async_trait]
impl Journal for SqliteStore {
    async fn create_run(&self, run: &NewRun) -> Result<CreateRun, StoreError> {
        match self
            .writer
            .commit_journal(JournalJob::Create(run.clone(), None))
            .await?
        {
            JobAnswer::Created(created) => Ok(created),
            other => Err(unexpected(other)),
        }
    }

    /// One job for the writer: the run and its lease in one change.
    async fn create_run_leased(
        &self,
        run: &NewRun,
        owner: &str,
        lease: Duration,
    ) -> Result<CreateRun, StoreError> {
        let job = JournalJob::Create(run.clone(), Some((owner.to_string(), lease)));
        match self.writer.commit_journal(job).await? {
            JobAnswer::Created(created) => Ok(created),
            other => Err(unexpected(other)),
        }
    }

    async fn run(&self, run_id: &str) -> Result<Option<RunRecord>, StoreError> {
        let run_id = run_id.to_string();
        self.with_conn("read run", move |conn| read_run(conn, &run_id))
            .await
    }

    async fn steps(&self, run_id: &str) -> Result<Vec<StepRecord>, StoreError> {
        let run_id = run_id.to_string();
        self.with_conn("read steps", move |conn| {
            let mut stmt = conn
                .prepare(
                    "SELECT idx, phase, name, key, status, attempts, output, error, resume_token, started_ms, finished_ms
                       FROM oncely_steps WHERE run_id = ?1 ORDER BY idx, phase",
                )
                .map_err(backend("read steps"))?;
            type Raw = (u32, String, String, String, String, u32, Option<String>, Option<String>, Option<String>, i64, Option<i64>);
            let rows = stmt
                .query_map([&run_id], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?, r.get(10)?))
                })
                .map_err(backend("read steps"))?
                .collect::<Result<Vec<Raw>, _>>()
                .map_err(backend("read steps"))?;
            rows.into_iter()
                .map(|(index, phase, name, key, status, attempts, output, error, resume_token, started_ms, finished_ms)| {
                    Ok(StepRecord {
                        run_id: run_id.clone(),
                        index,
                        phase: StepPhase::parse(&phase).ok_or_else(|| bad(&run_id, format!("unknown step phase {phase:?}")))?,
                        status: StepStatus::parse(&status).ok_or_else(|| bad(&run_id, format!("unknown step status {status:?}")))?,
                        output: output.map(|o| parse_json(&run_id, "step output", &o)).transpose()?,
                        error: error.map(|e| parse_json(&run_id, "step error", &e)).transpose()?,
                        name,
                        key,
                        attempts,
                        resume_token,
                        started_ms,
                        finished_ms,
                    })
                })
                .collect()
        })
        .await
    }

    async fn events(&self, run_id: &str) -> Result<Vec<EventRecord>, StoreError> {
        let run_id = run_id.to_string();
        self.with_conn("read events", move |conn| {
            let mut stmt = conn
                .prepare("SELECT seq, at_ms, kind, step, phase, attempt, detail FROM oncely_run_events WHERE run_id = ?1 ORDER BY seq")
                .map_err(backend("read events"))?;
            type Raw = (u64, i64, String, Option<String>, Option<String>, Option<u32>, Option<String>);
            let rows = stmt
                .query_map([&run_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)))
                .map_err(backend("read events"))?
                .collect::<Result<Vec<Raw>, _>>()
                .map_err(backend("read events"))?;
            rows.into_iter()
                .map(|(seq, at_ms, kind, step, phase, attempt, detail)| {
                    Ok(EventRecord {
                        run_id: run_id.clone(),
                        seq,
                        at_ms,
                        kind,
                        step,
                        phase: phase.as_deref().and_then(StepPhase::parse),
                        attempt,
                        detail: detail.map(|d| parse_json(&run_id, "event detail", &d)).transpose()?,
                    })
                })
                .collect()
        })
        .await
    }

    async fn list_runs(&self, filter: &RunFilter) -> Result<Vec<RunRecord>, StoreError> {
        let states: Vec<&str> = filter.states.iter().map(|s| s.as_str()).collect();
        let states = serde_json::to_string(&states).unwrap_or_else(|_| "[]".into());
        let workflow = filter.workflow.clone();
        let limit = filter
            .limit
            .map(|l| i64::try_from(l).unwrap_or(i64::MAX))
            .unwrap_or(-1);
        self.with_conn("list runs", move |conn| {
            let sql = format!(
                "SELECT {RUN_COLUMNS} FROM oncely_runs
                  WHERE (?1 = '[]' OR state IN (SELECT value FROM json_each(?1)))
                    AND (?2 IS NULL OR workflow = ?2)
                  ORDER BY created_ms DESC, rowid DESC LIMIT ?3"
            );
            let mut stmt = conn.prepare(&sql).map_err(backend("list runs"))?;
            let raws = stmt
                .query_map(params![states, workflow, limit], raw_run)
                .map_err(backend("list runs"))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(backend("list runs"))?;
            raws.into_iter().map(decode_run).collect()
        })
        .await
    }

    async fn count_runs(&self) -> Result<StateCounts, StoreError> {
        self.with_conn("count runs", move |conn| {
            let mut stmt = conn
                .prepare("SELECT state, COUNT(*) FROM oncely_runs GROUP BY state")
                .map_err(backend("count runs"))?;
            let rows = stmt
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
                .map_err(backend("count runs"))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(backend("count runs"))?;
            let mut counts = StateCounts::new();
            for (state, n) in rows {
                let state = RunState::parse(&state)
                    .ok_or_else(|| bad("oncely_runs", format!("unknown run state {state:?}")))?;
                counts.insert(state, u64::try_from(n).unwrap_or(0));
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
        let job = JournalJob::Acquire {
            run_id: run_id.to_string(),
            owner: owner.to_string(),
            lease,
        };
        match self.writer.commit_journal(job).await? {
            JobAnswer::Acquired(acquired) => Ok(acquired),
            other => Err(unexpected(other)),
        }
    }

    async fn claim(
        &self,
        owner: &str,
        lease: Duration,
        workflows: &[String],
    ) -> Result<Option<RunRecord>, StoreError> {
        let owner = owner.to_string();
        let workflows = serde_json::to_string(workflows).unwrap_or_else(|_| "[]".into());
        let done = self
            .with_conn("claim", move |conn| {
                let tx = conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(backend("claim"))?;
                let now = now_millis();
                let run_id: Option<String> = tx
                    .query_row(
                        "SELECT run_id FROM oncely_runs
                      WHERE state IN ('pending', 'running', 'compensating')
                        AND workflow IN (SELECT value FROM json_each(?1))
                        AND (lease_owner IS NULL OR lease_until_ms <= ?2)
                      ORDER BY rowid LIMIT 1",
                        params![workflows, now],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(backend("claim"))?;
                let Some(run_id) = run_id else {
                    return Ok(None);
                };
                set_lease(
                    &tx,
                    &run_id,
                    Some(&owner),
                    now.saturating_add(lease_ms(lease)),
                )?;
                let run = read_run(&tx, &run_id)?;
                tx.commit().map_err(backend("claim"))?;
                Ok(run)
            })
            .await?;
        if done.is_some() {
            self.counters.committed(1, 0);
        }
        Ok(done)
    }

    async fn renew(&self, run_id: &str, owner: &str, lease: Duration) -> Result<bool, StoreError> {
        let (run_id, owner) = (run_id.to_string(), owner.to_string());
        let done = self.with_conn("renew", move |conn| {
            let now = now_millis();
            let n = conn
                .execute(
                    "UPDATE oncely_runs SET lease_until_ms = ?3 WHERE run_id = ?1 AND lease_owner = ?2 AND lease_until_ms > ?4",
                    params![run_id, owner, now.saturating_add(lease_ms(lease)), now],
                )
                .map_err(backend("renew"))?;
            Ok(n > 0)
        })
        .await?;
        self.counters.committed(1, 0);
        Ok(done)
    }

    async fn release(&self, run_id: &str, owner: &str) -> Result<(), StoreError> {
        let (run_id, owner) = (run_id.to_string(), owner.to_string());
        let done = self.with_conn("release", move |conn| {
            conn.execute(
                "UPDATE oncely_runs SET lease_owner = NULL, lease_until_ms = 0 WHERE run_id = ?1 AND lease_owner = ?2",
                params![run_id, owner],
            )
            .map_err(backend("release"))?;
            Ok(())
        })
        .await?;
        self.counters.committed(1, 0);
        Ok(done)
    }

    async fn release_all(&self, owner: &str) -> Result<u64, StoreError> {
        let owner = owner.to_string();
        let done = self.with_conn("release all", move |conn| {
            let n = conn
                .execute("UPDATE oncely_runs SET lease_owner = NULL, lease_until_ms = 0 WHERE lease_owner = ?1", [owner])
                .map_err(backend("release all"))?;
            Ok(n as u64)
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
        // Committed by the writer thread in a group with other runs' writes;
        // this returns once that group is committed.
        let job = JournalJob::Write {
            run_id: run_id.to_string(),
            owner: owner.to_string(),
            lease,
            writes: writes.to_vec(),
        };
        match self.writer.commit_journal(job).await? {
            JobAnswer::Written(applied) => Ok(applied),
            other => Err(unexpected(other)),
        }
    }

    async fn request_pickup(
        &self,
        run_id: &str,
        retry_parked: bool,
    ) -> Result<Option<RunRecord>, StoreError> {
        let run_id = run_id.to_string();
        let done = self
            .with_conn("request pickup", move |conn| {
                let tx = conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(backend("request pickup"))?;
                let Some(before) = read_run(&tx, &run_id)? else {
                    return Ok(None);
                };
                let now = now_millis();
                let retry = retry_parked && before.state == RunState::NeedsAttention;
                tx.execute(
                "UPDATE oncely_runs SET lease_owner = NULL, lease_until_ms = 0, updated_ms = ?2,
                        state = CASE WHEN ?3 THEN 'compensating' ELSE state END,
                        generation = generation + CASE WHEN ?3 THEN 1 ELSE 0 END
                  WHERE run_id = ?1",
                params![run_id, now, retry],
            )
            .map_err(backend("request pickup"))?;
                let after = read_run(&tx, &run_id)?
                    .ok_or_else(|| bad(&run_id, "vanished during update".into()))?;
                append_event(
                    &tx,
                    &run_id,
                    &pickup_event(before.state, &after, retry_parked),
                    now,
                )?;
                tx.commit().map_err(backend("request pickup"))?;
                Ok(Some(after))
            })
            .await?;
        self.counters.committed(1, 0);
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::store::journal::contract;

    #[tokio::test]
    async fn journal_contract() {
        let dir = tempfile::tempdir().unwrap();
        let open = |name: &str| SqliteStore::open(dir.path().join(name)).unwrap();
        contract::lifecycle(&open("a.db")).await;
        contract::write_all_is_one_fenced_transaction(&open("d.db")).await;
        contract::a_run_created_leased_is_held_by_its_creator(&open("cl.db")).await;
        contract::leases_expire_and_claims_are_exclusive(&open("b.db")).await;
        contract::concurrent_claims_take_each_run_once(Arc::new(open("c.db"))).await;
    }

    /// Journal writes of several runs that arrive while the writer is busy
    /// are committed together: one transaction for all of them.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_runs_share_one_commit() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open(dir.path().join("g.db")).unwrap());
        let lease = Duration::from_secs(30);
        let runs = 8;
        for n in 0..runs {
            let id = format!("g{n}");
            store.create_run(&contract::new_run(&id)).await.unwrap();
            store.acquire(&id, "w", lease).await.unwrap();
        }
        let job = |n: usize| JournalJob::Write {
            run_id: format!("g{n}"),
            owner: "w".into(),
            lease,
            writes: vec![JournalWrite::run_state(RunState::Running, "running")],
        };
        let before = store.counters.snapshot();
        // While the connection is held, the writer can take at most one group
        // (and then waits for the connection); everything else queues behind.
        let held = store.conn.lock().unwrap();
        let answers: Vec<_> = (0..runs)
            .map(|n| store.writer.queue_job(job(n)).unwrap())
            .collect();
        drop(held);
        for answer in answers {
            let applied = answer.await.unwrap().unwrap();
            assert!(matches!(applied, JobAnswer::Written(true)), "{applied:?}");
        }
        let counted = store.counters.snapshot() - before;
        assert_eq!(counted.journal_writes, runs as u64);
        assert!(
            counted.commits <= 2,
            "{} runs' writes in {} commits",
            runs,
            counted.commits
        );
        for n in 0..runs {
            let events = store.events(&format!("g{n}")).await.unwrap();
            assert_eq!(events.len(), 1);
        }
    }

    #[tokio::test]
    async fn two_handles_on_one_file_share_the_journal() {
        let dir = tempfile::tempdir().unwrap();
        let a = SqliteStore::open(dir.path().join("j.db")).unwrap();
        let b = SqliteStore::open(dir.path().join("j.db")).unwrap();
        a.create_run(&contract::new_run("x")).await.unwrap();
        assert!(matches!(
            a.acquire("x", "w1", Duration::from_secs(30)).await.unwrap(),
            Acquire::Acquired(_)
        ));
        assert!(matches!(
            b.acquire("x", "w2", Duration::from_secs(30)).await.unwrap(),
            Acquire::Held(_)
        ));
    }
}
