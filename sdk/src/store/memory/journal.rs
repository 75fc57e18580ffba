//! The workflow journal of [`MemoryStore`]: plain maps under one lock.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use async_trait::async_trait;

use super::MemoryStore;
use crate::store::journal::{
    ends_run, lease_ms, pickup_event, Acquire, CreateRun, EventRecord, Journal, JournalWrite,
    NewEvent, NewRun, RunFilter, RunRecord, RunState, StateCounts, StepPhase, StepRecord,
    StepStatus,
};
use crate::store::{now_millis, StoreError};

/// The journal tables of a memory store.
#[derive(Debug, Default)]
pub(crate) struct MemoryJournal {
    /// Runs with their creation order.
    runs: HashMap<String, (u64, RunRecord)>,
    steps: BTreeMap<(String, u32, StepPhase), StepRecord>,
    events: HashMap<String, Vec<EventRecord>>,
    next: u64,
}

impl MemoryJournal {
    fn holds(&self, run_id: &str, owner: &str, now: i64) -> bool {
        self.runs
            .get(run_id)
            .is_some_and(|(_, r)| r.lease_owner.as_deref() == Some(owner) && r.lease_until_ms > now)
    }

    fn free_for(run: &RunRecord, owner: &str, now: i64) -> bool {
        run.lease_owner.is_none()
            || run.lease_until_ms <= now
            || run.lease_owner.as_deref() == Some(owner)
    }

    fn append(&mut self, run_id: &str, event: &NewEvent, now: i64) {
        let list = self.events.entry(run_id.to_string()).or_default();
        list.push(EventRecord {
            run_id: run_id.to_string(),
            seq: list.len() as u64 + 1,
            at_ms: now,
            kind: event.kind.clone(),
            step: event.step.clone(),
            phase: event.phase,
            attempt: event.attempt,
            detail: event.detail.clone(),
        });
    }

    fn sorted_runs(&self) -> Vec<&(u64, RunRecord)> {
        let mut runs: Vec<_> = self.runs.values().collect();
        runs.sort_by_key(|(order, _)| *order);
        runs
    }

    /// Applies one write (the caller checked the lease).
    fn apply(&mut self, run_id: &str, lease: Duration, write: &JournalWrite, now: i64) {
        if let Some(update) = &write.step {
            let id = (run_id.to_string(), update.index, update.phase);
            let row = self.steps.entry(id).or_insert_with(|| StepRecord {
                run_id: run_id.to_string(),
                index: update.index,
                phase: update.phase,
                name: update.name.clone(),
                key: update.key.clone(),
                status: StepStatus::Started,
                attempts: 0,
                output: None,
                error: None,
                resume_token: None,
                started_ms: now,
                finished_ms: None,
            });
            row.name = update.name.clone();
            row.key = update.key.clone();
            row.status = update.status;
            if update.new_attempt {
                row.attempts += 1;
                row.started_ms = now;
            }
            row.finished_ms = if update.status == StepStatus::Started {
                None
            } else {
                Some(now)
            };
            if update.output.is_some() {
                row.output = update.output.clone();
            }
            if update.error.is_some() {
                row.error = update.error.clone();
            }
            if update.resume_token.is_some() {
                row.resume_token = update.resume_token.clone();
            }
        }
        if let Some((_, run)) = self.runs.get_mut(run_id) {
            if let Some(state) = write.state {
                run.state = state;
            }
            if write.error.is_some() {
                run.error = write.error.clone();
            }
            run.updated_ms = now;
            if ends_run(write.state) {
                run.lease_owner = None;
                run.lease_until_ms = 0;
            } else {
                run.lease_until_ms = now.saturating_add(lease_ms(lease));
            }
        }
        self.append(run_id, &write.event, now);
    }
}

#[async_trait]
impl Journal for MemoryStore {
    async fn create_run(&self, run: &NewRun) -> Result<CreateRun, StoreError> {
        let mut j = self.journal();
        if let Some((_, existing)) = j.runs.get(&run.run_id) {
            return Ok(CreateRun::Exists(existing.clone()));
        }
        let now = now_millis();
        let record = RunRecord {
            run_id: run.run_id.clone(),
            workflow: run.workflow.clone(),
            fingerprint: run.fingerprint.clone(),
            steps: run.steps.clone(),
            input: run.input.clone(),
            state: RunState::Pending,
            error: None,
            generation: 0,
            lease_owner: None,
            lease_until_ms: 0,
            created_ms: now,
            updated_ms: now,
            trace_context: run.trace_context.clone(),
        };
        j.next += 1;
        let order = j.next;
        j.runs.insert(run.run_id.clone(), (order, record.clone()));
        Ok(CreateRun::Created(record))
    }

    async fn run(&self, run_id: &str) -> Result<Option<RunRecord>, StoreError> {
        Ok(self.journal().runs.get(run_id).map(|(_, r)| r.clone()))
    }

    async fn steps(&self, run_id: &str) -> Result<Vec<StepRecord>, StoreError> {
        let j = self.journal();
        Ok(j.steps
            .range((run_id.to_string(), 0, StepPhase::Action)..)
            .take_while(|((id, _, _), _)| id == run_id)
            .map(|(_, s)| s.clone())
            .collect())
    }

    async fn events(&self, run_id: &str) -> Result<Vec<EventRecord>, StoreError> {
        Ok(self
            .journal()
            .events
            .get(run_id)
            .cloned()
            .unwrap_or_default())
    }

    async fn list_runs(&self, filter: &RunFilter) -> Result<Vec<RunRecord>, StoreError> {
        let j = self.journal();
        let runs = j
            .sorted_runs()
            .into_iter()
            .rev()
            .map(|(_, r)| r)
            .filter(|r| filter.states.is_empty() || filter.states.contains(&r.state))
            .filter(|r| filter.workflow.as_ref().map_or(true, |w| *w == r.workflow))
            .take(filter.limit.unwrap_or(usize::MAX))
            .cloned()
            .collect();
        Ok(runs)
    }

    async fn count_runs(&self) -> Result<StateCounts, StoreError> {
        let mut counts = StateCounts::new();
        for (_, r) in self.journal().runs.values() {
            *counts.entry(r.state).or_default() += 1;
        }
        Ok(counts)
    }

    async fn acquire(
        &self,
        run_id: &str,
        owner: &str,
        lease: Duration,
    ) -> Result<Acquire, StoreError> {
        let now = now_millis();
        let mut j = self.journal();
        let Some((_, run)) = j.runs.get_mut(run_id) else {
            return Ok(Acquire::Missing);
        };
        if !MemoryJournal::free_for(run, owner, now) {
            return Ok(Acquire::Held(run.clone()));
        }
        run.lease_owner = Some(owner.to_string());
        run.lease_until_ms = now.saturating_add(lease_ms(lease));
        Ok(Acquire::Acquired(run.clone()))
    }

    async fn claim(
        &self,
        owner: &str,
        lease: Duration,
        workflows: &[String],
    ) -> Result<Option<RunRecord>, StoreError> {
        let now = now_millis();
        let mut j = self.journal();
        let candidate = j
            .sorted_runs()
            .into_iter()
            .map(|(_, r)| r)
            .find(|r| {
                r.state.is_active()
                    && workflows.contains(&r.workflow)
                    && (r.lease_owner.is_none() || r.lease_until_ms <= now)
            })
            .map(|r| r.run_id.clone());
        let Some(run_id) = candidate else {
            return Ok(None);
        };
        let Some((_, run)) = j.runs.get_mut(&run_id) else {
            return Ok(None);
        };
        run.lease_owner = Some(owner.to_string());
        run.lease_until_ms = now.saturating_add(lease_ms(lease));
        Ok(Some(run.clone()))
    }

    async fn renew(&self, run_id: &str, owner: &str, lease: Duration) -> Result<bool, StoreError> {
        let now = now_millis();
        let mut j = self.journal();
        if !j.holds(run_id, owner, now) {
            return Ok(false);
        }
        if let Some((_, run)) = j.runs.get_mut(run_id) {
            run.lease_until_ms = now.saturating_add(lease_ms(lease));
        }
        Ok(true)
    }

    async fn release(&self, run_id: &str, owner: &str) -> Result<(), StoreError> {
        if let Some((_, run)) = self.journal().runs.get_mut(run_id) {
            if run.lease_owner.as_deref() == Some(owner) {
                run.lease_owner = None;
                run.lease_until_ms = 0;
            }
        }
        Ok(())
    }

    async fn release_all(&self, owner: &str) -> Result<u64, StoreError> {
        let mut n = 0;
        for (_, run) in self.journal().runs.values_mut() {
            if run.lease_owner.as_deref() == Some(owner) {
                run.lease_owner = None;
                run.lease_until_ms = 0;
                n += 1;
            }
        }
        Ok(n)
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
        let now = now_millis();
        let mut j = self.journal();
        if !j.holds(run_id, owner, now) {
            return Ok(false);
        }
        for write in writes {
            j.apply(run_id, lease, write, now);
        }
        Ok(true)
    }

    async fn request_pickup(
        &self,
        run_id: &str,
        retry_parked: bool,
    ) -> Result<Option<RunRecord>, StoreError> {
        let now = now_millis();
        let mut j = self.journal();
        let Some((_, run)) = j.runs.get_mut(run_id) else {
            return Ok(None);
        };
        let previous = run.state;
        run.lease_owner = None;
        run.lease_until_ms = 0;
        if retry_parked && run.state == RunState::NeedsAttention {
            run.state = RunState::Compensating;
            run.generation += 1;
        }
        run.updated_ms = now;
        let snapshot = run.clone();
        let event = pickup_event(previous, &snapshot, retry_parked);
        j.append(run_id, &event, now);
        Ok(Some(snapshot))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::store::journal::contract;

    #[tokio::test]
    async fn journal_contract() {
        contract::lifecycle(&MemoryStore::new()).await;
        contract::write_all_is_one_fenced_transaction(&MemoryStore::new()).await;
        contract::a_run_created_leased_is_held_by_its_creator(&MemoryStore::new()).await;
        contract::leases_expire_and_claims_are_exclusive(&MemoryStore::new()).await;
        contract::concurrent_claims_take_each_run_once(Arc::new(MemoryStore::new())).await;
    }
}
