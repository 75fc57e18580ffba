//! The console's HTML, written with [`maud`]: every value spliced into a page
//! is escaped at compile time's insistence (`(value)` escapes; nothing here
//! uses `PreEscaped` on data). Each page keeps what live updates refresh in
//! one `<main id="live">` element; forms and links work without JavaScript.

use maud::{html, Markup, DOCTYPE};
use oncely::outbox::{OutboxRow, OutboxState, OutboxStats};
use oncely::store::{
    IntentRecord, IntentState, RunRecord, RunState, StateCounts, StepPhase, StepStatus,
};
use oncely::workflow::{format_time, RunDetails};
use serde_json::Value;

use super::auth::Session;
use super::redact;

/// Which section of the console a page belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// Workflow runs.
    Runs,
    /// Idempotency intents.
    Intents,
    /// The outbox.
    Outbox,
    /// Logging in, errors.
    None,
}

/// The frame of every page: title, navigation, the logout form, and the live
/// update script.
pub fn layout(title: &str, section: Section, session: Option<&Session>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · oncely console" }
                link rel="stylesheet" href="/assets/console.css";
                @if session.is_some() {
                    script src="/assets/console.js" defer {}
                }
            }
            body {
                header {
                    a.brand href="/" { "oncely console" }
                    @if let Some(session) = session {
                        nav {
                            a.current[section == Section::Runs] href="/" { "Runs" }
                            a.current[section == Section::Intents] href="/intents" { "Intents" }
                            a.current[section == Section::Outbox] href="/outbox" { "Outbox" }
                        }
                        span #live-status title="Live updates" { "static" }
                        form.logout method="post" action="/logout" {
                            (csrf_field(session))
                            button type="submit" { "Log out" }
                        }
                    }
                }
                (body)
            }
        }
    }
}

fn csrf_field(session: &Session) -> Markup {
    html! { input type="hidden" name="csrf" value=(session.csrf); }
}

/// A one-button action form (POST with the session's CSRF token).
fn action(session: &Session, to: &str, label: &str, class: &str) -> Markup {
    html! {
        form.action method="post" action=(to) {
            (csrf_field(session))
            button class=(class) type="submit" { (label) }
        }
    }
}

fn state_badge(state: &str) -> Markup {
    html! { span class={ "state state-" (state) } { (state) } }
}

fn json_block(value: &Value) -> Markup {
    html! { pre.json { (redact::pretty(value)) } }
}

fn notice(text: Option<&str>) -> Markup {
    html! {
        @if let Some(text) = text {
            p.notice role="status" { (text) }
        }
    }
}

/// The login page, with a reason when a token was refused.
pub fn login(message: Option<&str>) -> Markup {
    layout(
        "Log in",
        Section::None,
        None,
        html! {
            main #live {
                h1 { "Log in" }
                @if let Some(message) = message {
                    p.error role="alert" { (message) }
                }
                p { "Open the login URL " code { "oncely console" } " printed at start, or enter its token." }
                form method="post" action="/login" {
                    label for="token" { "Token" }
                    input #token type="password" name="token" autocomplete="off" required;
                    button type="submit" { "Log in" }
                }
            }
        },
    )
}

/// An error page: what failed and why.
pub fn error(title: &str, detail: &str, session: Option<&Session>) -> Markup {
    layout(
        title,
        Section::None,
        session,
        html! {
            main #live {
                h1 { (title) }
                p.error role="alert" { (detail) }
                @if session.is_some() { p { a href="/" { "Back to the runs" } } }
                @else { p { a href="/login" { "Log in" } } }
            }
        },
    )
}

/// What the runs page shows.
#[derive(Debug)]
pub struct RunsView<'a> {
    /// The runs, newest first.
    pub runs: &'a [RunRecord],
    /// Counts by state, of every run.
    pub counts: &'a StateCounts,
    /// The state filter, if any.
    pub state: Option<RunState>,
    /// The workflow filter, if any.
    pub workflow: Option<&'a str>,
    /// The age filter as given (`15m`, `1h`, `24h`, `7d`), if any.
    pub age: Option<&'a str>,
    /// Workflows that have runs, for the filter.
    pub workflows: &'a [String],
}

/// The age filter's choices: value, label.
pub const AGES: &[(&str, &str)] = &[
    ("15m", "last 15 minutes"),
    ("1h", "last hour"),
    ("24h", "last 24 hours"),
    ("7d", "last 7 days"),
];

/// `/`: runs with filters and counts by state.
pub fn runs(view: &RunsView<'_>, session: &Session) -> Markup {
    let total: u64 = view.counts.values().sum();
    layout(
        "Runs",
        Section::Runs,
        Some(session),
        html! {
            main #live {
                h1 { "Workflow runs" }
                ul.counts {
                    li { a href="/" { "all " strong { (total) } } }
                    @for state in RunState::ALL {
                        li {
                            a href={ "/?state=" (state.as_str()) } {
                                (state_badge(state.as_str())) " "
                                strong { (view.counts.get(&state).copied().unwrap_or(0)) }
                            }
                        }
                    }
                }
                form.filters method="get" action="/" {
                    label { "State "
                        select name="state" {
                            option value="" { "any" }
                            @for state in RunState::ALL {
                                option value=(state.as_str()) selected[view.state == Some(state)] { (state.as_str()) }
                            }
                        }
                    }
                    label { "Workflow "
                        select name="workflow" {
                            option value="" { "any" }
                            @for wf in view.workflows {
                                option value=(wf) selected[view.workflow == Some(wf.as_str())] { (wf) }
                            }
                        }
                    }
                    label { "Created "
                        select name="age" {
                            option value="" { "any time" }
                            @for (value, label) in AGES {
                                option value=(value) selected[view.age == Some(*value)] { (label) }
                            }
                        }
                    }
                    button type="submit" { "Filter" }
                }
                @if view.runs.is_empty() {
                    p.empty { "No runs match." }
                } @else {
                    table.runs {
                        thead { tr { th { "Run" } th { "Workflow" } th { "State" } th { "Created" } th { "Updated" } th { "Error" } } }
                        tbody {
                            @for run in view.runs {
                                tr data-run=(run.run_id) {
                                    td { a href={ "/runs/" (path_segment(&run.run_id)) } { (run.run_id) } }
                                    td { (run.workflow) }
                                    td { (state_badge(run.state.as_str())) }
                                    td { (format_time(run.created_ms)) }
                                    td { (format_time(run.updated_ms)) }
                                    td.error { (run_error_line(run.error.as_ref())) }
                                }
                            }
                        }
                    }
                }
                p.count { (view.runs.len()) " run(s) shown" }
            }
        },
    )
}

/// A run's error in one line: `step: message`.
fn run_error_line(error: Option<&Value>) -> String {
    let Some(error) = error else {
        return String::new();
    };
    let step = error.get("step").and_then(Value::as_str).unwrap_or("?");
    let message = error
        .pointer("/error/message")
        .or_else(|| error.get("message"))
        .and_then(Value::as_str)
        .unwrap_or("");
    format!("{step}: {message}")
}

/// A run id as one path segment (percent-encoded where it must be).
pub fn path_segment(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `/runs/{id}`: the run, its steps as a timeline, its history, and the
/// actions its state allows.
pub fn run(details: &RunDetails, session: &Session, done: Option<&str>) -> Markup {
    let r = &details.run;
    let base = format!("/runs/{}", path_segment(&r.run_id));
    layout(
        &r.run_id,
        Section::Runs,
        Some(session),
        html! {
            main #live data-state=(r.state.as_str()) {
                p.crumbs { a href="/" { "Runs" } " / " (r.run_id) }
                h1 { "Run " code { (r.run_id) } " " (state_badge(r.state.as_str())) }
                (notice(done))
                dl.facts {
                    dt { "Workflow" } dd { (r.workflow) " (" (r.steps.join(" → ")) ")" }
                    dt { "Created" } dd { (format_time(r.created_ms)) }
                    dt { "Updated" } dd { (format_time(r.updated_ms)) }
                    @if r.generation > 0 {
                        dt { "Retried by hand" } dd { (r.generation) "×" }
                    }
                    @if let Some(owner) = &r.lease_owner {
                        dt { "Lease" } dd { (owner) " until " (format_time(r.lease_until_ms)) }
                    }
                    @if let Some(trace_id) = trace_id(r.trace_context.as_deref()) {
                        dt { "Trace" } dd { code { (trace_id) } }
                    }
                }
                div.actions {
                    @if r.state.is_active() {
                        (action(session, &format!("{base}/resume"), "Resume now", "resume"))
                        span.hint { "Clears the lease: a worker with this workflow picks the run up at once." }
                    }
                    @if r.state == RunState::NeedsAttention {
                        (action(session, &format!("{base}/retry"), "Retry compensation", "retry"))
                        span.hint { "Sends the run back to compensating: a worker retries the compensations that failed." }
                    }
                }
                h2 { "Steps" }
                ol.timeline {
                    @for (index, name) in r.steps.iter().enumerate() {
                        li.step data-step=(name) {
                            h3 { (index) ". " (name) }
                            @let rows: Vec<_> = details.steps.iter().filter(|s| s.index as usize == index).collect();
                            @if rows.is_empty() {
                                p.pending { "not started" }
                            }
                            @for s in rows {
                                div class={ "phase phase-" (s.phase.as_str()) } data-phase=(s.phase.as_str()) data-status=(s.status.as_str()) {
                                    p.phase-head {
                                        strong { @if s.phase == StepPhase::Action { "action" } @else { "compensation" } }
                                        " " (state_badge(s.status.as_str()))
                                        " · " (s.attempts) " attempt(s)"
                                        " · started " (format_time(s.started_ms))
                                        @if let Some(f) = s.finished_ms { " · " (f - s.started_ms) " ms" }
                                    }
                                    p.key { "key " code { (s.key) } }
                                    @if let Some(token) = &s.resume_token {
                                        p.key { "waiting on operation " code { (token) } }
                                    }
                                    @if let Some(output) = &s.output {
                                        details open {
                                            summary { "output" }
                                            (json_block(output))
                                        }
                                    }
                                    @if let Some(error) = &s.error {
                                        details.problem open[s.status != StepStatus::Succeeded] {
                                            summary { @if s.status == StepStatus::Succeeded { "last problem (before it succeeded)" } @else { "problem" } }
                                            (json_block(error))
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                @if let Some(error) = &r.error {
                    details.run-error open[r.state == RunState::NeedsAttention] {
                        summary { h2 { "Error" } }
                        (json_block(error))
                    }
                }
                details.run-input {
                    summary { h2 { "Input" } }
                    (json_block(&r.input))
                }
                h2 { "History" }
                table.history {
                    thead { tr { th { "#" } th { "At" } th { "What" } th { "Step" } th { "Detail" } } }
                    tbody {
                        @for e in &details.events {
                            tr {
                                td { (e.seq) }
                                td { (format_time(e.at_ms)) }
                                td { (e.kind) }
                                td {
                                    @if let Some(step) = &e.step { (step) }
                                    @if let Some(phase) = e.phase { " (" (phase.as_str()) ")" }
                                    @if let Some(attempt) = e.attempt { " #" (attempt) }
                                }
                                td { @if let Some(detail) = &e.detail { code { (redact::json(detail).to_string()) } } }
                            }
                        }
                    }
                }
            }
        },
    )
}

/// `/intents`: idempotency records and their recorded answers.
pub fn intents(records: &[IntentRecord], state: Option<IntentState>, session: &Session) -> Markup {
    layout(
        "Intents",
        Section::Intents,
        Some(session),
        html! {
            main #live {
                h1 { "Idempotency intents" }
                p.filters {
                    a.current[state.is_none()] href="/intents" { "all" } " · "
                    a.current[state == Some(IntentState::InFlight)] href="/intents?state=in_flight" { "in flight" } " · "
                    a.current[state == Some(IntentState::Completed)] href="/intents?state=completed" { "completed" }
                }
                @if records.is_empty() {
                    p.empty { "No intents match." }
                } @else {
                    table.intents {
                        thead { tr { th { "Key" } th { "Intent" } th { "Call" } th { "State" } th { "Created" } th { "Expires" } th { "Answer" } } }
                        tbody {
                            @for r in records {
                                tr {
                                    td { code { (r.key) } }
                                    td { (r.intent_id.as_deref().unwrap_or("")) }
                                    td { (r.method) " " (r.path_template) }
                                    td { (state_badge(r.state.as_str())) }
                                    td { (format_time(r.created_ms)) }
                                    td { (format_time(r.expires_ms)) }
                                    td {
                                        @if let Some(answer) = &r.outcome {
                                            details {
                                                summary { (answer.status) " at " (format_time(answer.completed_ms)) }
                                                table.headers {
                                                    @for (name, value) in redact::headers(&answer.headers) {
                                                        tr { th { (name) } td { (value) } }
                                                    }
                                                }
                                                (body_block(&answer.body))
                                            }
                                        } @else { "—" }
                                    }
                                }
                            }
                        }
                    }
                }
                p.count { (records.len()) " intent(s) shown" }
            }
        },
    )
}

/// A stored body: pretty JSON (secrets redacted) when it is JSON, text when
/// it is UTF-8, its size otherwise.
fn body_block(body: &[u8]) -> Markup {
    if body.is_empty() {
        return html! { p.empty { "no body" } };
    }
    if let Ok(value) = serde_json::from_slice::<Value>(body) {
        return json_block(&value);
    }
    match std::str::from_utf8(body) {
        Ok(text) => html! { pre.body { (text) } },
        Err(_) => html! { p { (body.len()) " bytes (binary)" } },
    }
}

/// What the outbox page shows.
#[derive(Debug)]
pub struct OutboxView<'a> {
    /// Counts by state.
    pub stats: &'a OutboxStats,
    /// Sections: a state and its rows, newest first.
    pub sections: &'a [(OutboxState, Vec<OutboxRow>)],
}

/// `/outbox`: pending, in-flight and dead rows (or another state's), or a
/// note that the store has no outbox.
pub fn outbox(view: Option<&OutboxView<'_>>, session: &Session) -> Markup {
    layout(
        "Outbox",
        Section::Outbox,
        Some(session),
        html! {
            main #live {
                h1 { "Outbox" }
                @match view {
                    None => {
                        p.absent { "This store has no outbox table: nothing is enqueued here." }
                    }
                    Some(view) => {
                        ul.counts {
                            @for (state, n) in [
                                (OutboxState::Pending, view.stats.pending),
                                (OutboxState::InFlight, view.stats.in_flight),
                                (OutboxState::Dead, view.stats.dead),
                                (OutboxState::Delivered, view.stats.delivered),
                                (OutboxState::Discarded, view.stats.discarded),
                            ] {
                                li { a href={ "/outbox?state=" (state.as_str()) } { (state_badge(state.as_str())) " " strong { (n) } } }
                            }
                        }
                        @if view.stats.oldest_pending_age_ms > 0 {
                            p { "Oldest pending row waits for " (view.stats.oldest_pending_age_ms) " ms." }
                        }
                        @for (state, rows) in view.sections {
                            section data-state=(state.as_str()) {
                                h2 { (state.as_str()) " (" (rows.len()) ")" }
                                @if rows.is_empty() {
                                    p.empty { "none" }
                                } @else {
                                    table.outbox {
                                        thead { tr { th { "Row" } th { "Call" } th { "Partition" } th { "Attempts" } th { "Created" } th { "Last error" } th {} } }
                                        tbody {
                                            @for row in rows {
                                                tr {
                                                    td { a href={ "/outbox/" (row.id) } { (row.id) } }
                                                    td { (row.method) " " (row.path_template) }
                                                    td { (row.partition.as_deref().unwrap_or("—")) }
                                                    td { (row.attempts) }
                                                    td { (format_time(row.created_ms)) }
                                                    td.error { (outbox_error_line(row)) }
                                                    td { (outbox_actions(row, session)) }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}

fn outbox_actions(row: &OutboxRow, session: &Session) -> Markup {
    html! {
        @if matches!(row.state, OutboxState::Dead | OutboxState::Discarded) {
            (action(session, &format!("/outbox/{}/retry", row.id), "Retry", "retry"))
        }
        @if matches!(row.state, OutboxState::Dead | OutboxState::Pending) {
            (action(session, &format!("/outbox/{}/discard", row.id), "Discard", "discard"))
        }
    }
}

/// A row's last error in one line.
fn outbox_error_line(row: &OutboxRow) -> String {
    let Some(error) = &row.last_error else {
        return String::new();
    };
    let status = error
        .get("status")
        .and_then(Value::as_u64)
        .map(|s| format!("{s} "))
        .unwrap_or_default();
    let message = error
        .pointer("/problem/title")
        .or_else(|| error.get("error"))
        .and_then(Value::as_str)
        .unwrap_or("");
    format!("{status}{message}")
}

/// `/outbox/{id}`: one row whole, headers redacted, with its actions.
pub fn outbox_row(row: &OutboxRow, session: &Session, done: Option<&str>) -> Markup {
    layout(
        &format!("Outbox row {}", row.id),
        Section::Outbox,
        Some(session),
        html! {
            main #live data-state=(row.state.as_str()) {
                p.crumbs { a href="/outbox" { "Outbox" } " / " (row.id) }
                h1 { "Row " (row.id) " " (state_badge(row.state.as_str())) }
                (notice(done))
                div.actions { (outbox_actions(row, session)) }
                dl.facts {
                    dt { "Call" } dd { (row.method) " " (row.path_template) }
                    dt { "Idempotency key" } dd { code { (row.idempotency_key()) } }
                    dt { "Intent" } dd { (row.intent_id) }
                    dt { "Partition" } dd { (row.partition.as_deref().unwrap_or("—")) }
                    dt { "Attempts" } dd { (row.attempts) }
                    dt { "Created" } dd { (format_time(row.created_ms)) }
                    dt { "Not before" } dd { (format_time(row.not_before_ms)) }
                    @if let Some(owner) = &row.lease_owner {
                        dt { "Dispatcher" } dd { (owner) @if let Some(until) = row.lease_until_ms { " until " (format_time(until)) } }
                    }
                    @if let Some(finished) = row.finished_ms {
                        dt { "Finished" } dd { (format_time(finished)) }
                    }
                }
                @if !row.path_params.is_empty() {
                    h2 { "Path parameters" }
                    table.headers { @for (name, value) in &row.path_params { tr { th { (name) } td { (value) } } } }
                }
                @if !row.query.is_empty() {
                    h2 { "Query" }
                    table.headers { @for (name, value) in &row.query { tr { th { (name) } td { (value) } } } }
                }
                h2 { "Headers" }
                @if row.headers.is_empty() { p.empty { "none" } }
                table.headers {
                    @for (name, value) in redact::headers(&row.headers) {
                        tr { th { (name) } td { (value) } }
                    }
                }
                h2 { "Body" @if let Some(ct) = &row.content_type { " (" (ct) ")" } }
                (body_block(row.body.as_deref().unwrap_or_default()))
                @if let Some(error) = &row.last_error {
                    h2 { "Last error" }
                    (json_block(error))
                }
                @if let Some(response) = &row.response {
                    h2 { "Answer" }
                    (json_block(response))
                }
            }
        },
    )
}

/// The trace id of a run's recorded W3C `traceparent`, to look the run up in
/// a tracing backend; `None` when none was recorded or it does not parse.
fn trace_id(traceparent: Option<&str>) -> Option<String> {
    oncely::telemetry::TraceContext::parse(traceparent?, None).map(|c| c.trace_id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_become_one_path_segment() {
        assert_eq!(path_segment("order-5"), "order-5");
        assert_eq!(path_segment("a/b c\"<"), "a%2Fb%20c%22%3C");
    }
}
