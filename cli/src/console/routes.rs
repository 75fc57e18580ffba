//! The console's routes: the shared [`Console`] state, the [`router`], the
//! guards every request passes (a `Host` this console answers to, then a
//! session), and one handler per page and action.
//!
//! | route | what |
//! |---|---|
//! | `GET /login?token=…`, `POST /login` | open a session (cookie), then go to `/` |
//! | `POST /logout` | end it |
//! | `GET /` | runs: `?state=&workflow=&age=` |
//! | `GET /runs/{id}` | one run's timeline; `POST …/resume`, `POST …/retry` |
//! | `GET /intents` | idempotency intents: `?state=` |
//! | `GET /outbox`, `GET /outbox/{id}` | rows; `POST …/retry`, `POST …/discard` |
//! | `GET /events` | live updates (SSE) |
//! | `GET /assets/…` | the stylesheet and the script |

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Form, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use maud::Markup;
use oncely::outbox::{Outbox, OutboxError, OutboxFilter, OutboxState};
use oncely::store::{now_millis, IntentState, OpenedStore, RecordFilter, RunFilter, RunState};
use oncely::workflow::{list_runs, mark_for_resume, mark_for_retry, show_run, WorkflowError};
use serde::Deserialize;
use tokio::sync::{watch, Mutex};

use super::auth::{self, Auth, Session};
use super::{live, pages};

/// How many runs, intents and rows of one state a page lists at most.
const PAGE_LIMIT: usize = 200;

/// What every handler shares.
#[derive(Debug)]
pub struct Console {
    /// The store of runs and intents.
    pub store: OpenedStore,
    /// The store location, for finding an outbox installed after start.
    pub location: String,
    /// The outbox, once found.
    outbox: Mutex<Option<Outbox>>,
    /// The login token and sessions.
    pub auth: Auth,
    /// `Host` header values this console answers to; `None`: any (remote).
    pub hosts: Option<Vec<String>>,
    /// Bumped when the store changed (see [`live`]).
    pub changes: watch::Sender<u64>,
}

impl Console {
    /// The console state over `store`.
    pub fn new(
        store: OpenedStore,
        location: String,
        outbox: Option<Outbox>,
        auth: Auth,
        hosts: Option<Vec<String>>,
    ) -> Self {
        Console {
            store,
            location,
            outbox: Mutex::new(outbox),
            auth,
            hosts,
            changes: watch::channel(0).0,
        }
    }

    /// The store's outbox, if it has one (looked for again while it has none,
    /// so an outbox installed after start appears). Never installs one.
    pub async fn outbox(&self) -> Option<Outbox> {
        let mut found = self.outbox.lock().await;
        if found.is_none() {
            *found = Outbox::open_existing(&self.location).await.ok().flatten();
        }
        found.clone()
    }
}

/// The console's routes over `console`.
pub fn router(console: Arc<Console>) -> Router {
    let private = Router::new()
        .route("/", get(runs_page))
        .route("/runs/{id}", get(run_page))
        .route("/runs/{id}/{action}", post(steer_run))
        .route("/intents", get(intents_page))
        .route("/outbox", get(outbox_page))
        .route("/outbox/{id}", get(outbox_row_page))
        .route("/outbox/{id}/{action}", post(steer_row))
        .route("/events", get(live::events))
        .route("/logout", post(logout))
        .route_layer(middleware::from_fn_with_state(
            console.clone(),
            require_session,
        ));
    Router::new()
        .route("/login", get(login_get).post(login_post))
        .route("/assets/console.css", get(stylesheet))
        .route("/assets/console.js", get(script))
        .merge(private)
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(console.clone(), guard_host))
        .layer(middleware::from_fn(security_headers))
        .with_state(console)
}

/// A page with its status.
fn page(status: StatusCode, markup: Markup) -> Response {
    (status, markup).into_response()
}

/// An error page.
fn failure(status: StatusCode, title: &str, detail: &str, session: Option<&Session>) -> Response {
    page(status, pages::error(title, detail, session))
}

/// Headers on every answer: no caching, no framing, scripts and styles only
/// from the console itself, and a referrer policy that keeps `Origin` on
/// form posts.
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let set = |headers: &mut HeaderMap, name, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(
        headers,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
         connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(headers, header::REFERRER_POLICY, "same-origin");
    if !headers.contains_key(header::CACHE_CONTROL) {
        set(headers, header::CACHE_CONTROL, "no-store");
    }
    response
}

/// Refuses a request whose `Host` is not this console's address (a page of
/// another site that resolved its own name to this machine).
async fn guard_host(State(console): State<Arc<Console>>, request: Request, next: Next) -> Response {
    if let Some(hosts) = &console.hosts {
        let host = request
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        if !hosts.iter().any(|h| h == host) {
            return failure(
                StatusCode::MISDIRECTED_REQUEST,
                "Unknown host",
                &format!(
                    "this console answers to {} only, not to Host {host:?}",
                    hosts.join(", ")
                ),
                None,
            );
        }
    }
    next.run(request).await
}

/// The session id and session of a logged-in request.
#[derive(Debug, Clone)]
struct LoggedIn {
    id: String,
    session: Session,
}

/// Lets requests with an open session through (with it as an extension);
/// others get the login page with 401.
async fn require_session(
    State(console): State<Arc<Console>>,
    mut request: Request,
    next: Next,
) -> Response {
    match console.auth.session(request.headers()) {
        Some((id, session)) => {
            request.extensions_mut().insert(LoggedIn { id, session });
            next.run(request).await
        }
        None => page(
            StatusCode::UNAUTHORIZED,
            pages::login(Some("Log in first: this page needs a session.")),
        ),
    }
}

async fn not_found(State(console): State<Arc<Console>>, headers: HeaderMap) -> Response {
    let session = console.auth.session(&headers).map(|(_, s)| s);
    failure(
        StatusCode::NOT_FOUND,
        "Not found",
        "no such page",
        session.as_ref(),
    )
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        include_str!("assets/console.css"),
    )
        .into_response()
}

async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        include_str!("assets/console.js"),
    )
        .into_response()
}

/// A login attempt's token.
#[derive(Debug, Deserialize)]
struct LoginForm {
    #[serde(default)]
    token: Option<String>,
}

/// Opens a session for the right token: cookie set, on to `/`.
fn log_in(console: &Console, token: &str) -> Response {
    if !console.auth.is_login_token(token) {
        return page(
            StatusCode::UNAUTHORIZED,
            pages::login(Some("That token is not this console's.")),
        );
    }
    let (id, _) = console.auth.open_session();
    let mut response = Redirect::to("/").into_response();
    if let Ok(cookie) = HeaderValue::from_str(&auth::session_cookie_header(&id)) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

async fn login_get(State(console): State<Arc<Console>>, Query(form): Query<LoginForm>) -> Response {
    match form.token.as_deref() {
        Some(token) => log_in(&console, token),
        None => page(StatusCode::OK, pages::login(None)),
    }
}

async fn login_post(
    State(console): State<Arc<Console>>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    if let Err(refused) = auth::same_origin(&headers) {
        return failure(StatusCode::FORBIDDEN, "Refused", &refused.to_string(), None);
    }
    log_in(&console, form.token.as_deref().unwrap_or(""))
}

/// An action's form: the session's CSRF token.
#[derive(Debug, Deserialize)]
struct ActionForm {
    #[serde(default)]
    csrf: String,
}

/// The 403 answer to an action whose origin or CSRF token is wrong; `None`
/// when it may go ahead.
fn refusal(headers: &HeaderMap, who: &LoggedIn, form: &ActionForm) -> Option<Response> {
    let refused = auth::check_action(headers, &who.session, &form.csrf).err()?;
    Some(failure(
        StatusCode::FORBIDDEN,
        "Refused",
        &refused.to_string(),
        Some(&who.session),
    ))
}

async fn logout(
    State(console): State<Arc<Console>>,
    Extension(who): Extension<LoggedIn>,
    headers: HeaderMap,
    Form(form): Form<ActionForm>,
) -> Response {
    if let Some(refused) = refusal(&headers, &who, &form) {
        return refused;
    }
    console.auth.close_session(&who.id);
    let mut response = Redirect::to("/login").into_response();
    if let Ok(cookie) = HeaderValue::from_str(&auth::cleared_cookie_header()) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

/// The runs page's filters, as query parameters (empty means none).
#[derive(Debug, Deserialize, Default)]
struct RunsQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    workflow: String,
    #[serde(default)]
    age: String,
}

/// An age filter in milliseconds: `15m`, `1h`, `24h`, `7d` (any number of
/// `s`, `m`, `h` or `d`).
fn parse_age(age: &str) -> Option<i64> {
    let split = age.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = age.split_at(split);
    let n: i64 = n.parse().ok()?;
    let unit_ms = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    };
    n.checked_mul(unit_ms)
}

fn store_failure(e: impl std::fmt::Display, session: &Session) -> Response {
    failure(
        StatusCode::INTERNAL_SERVER_ERROR,
        "The store failed",
        &e.to_string(),
        Some(session),
    )
}

async fn runs_page(
    State(console): State<Arc<Console>>,
    Extension(who): Extension<LoggedIn>,
    Query(query): Query<RunsQuery>,
) -> Response {
    let session = &who.session;
    let state = match query.state.as_str() {
        "" => None,
        s => match RunState::parse(s) {
            Some(state) => Some(state),
            None => {
                let known: Vec<&str> = RunState::ALL.iter().map(|s| s.as_str()).collect();
                return failure(
                    StatusCode::BAD_REQUEST,
                    "Unknown state",
                    &format!("state {s:?} is not one of {}", known.join(", ")),
                    Some(session),
                );
            }
        },
    };
    let age = match query.age.as_str() {
        "" => None,
        a => match parse_age(a) {
            Some(ms) => Some((a, ms)),
            None => {
                return failure(
                    StatusCode::BAD_REQUEST,
                    "Unknown age",
                    &format!("age {a:?} is not a number of s, m, h or d (e.g. 24h)"),
                    Some(session),
                )
            }
        },
    };
    let workflow = (!query.workflow.is_empty()).then_some(query.workflow.as_str());
    let journal = &*console.store.journal;
    let filter = RunFilter {
        states: state.into_iter().collect(),
        workflow: workflow.map(str::to_string),
        limit: Some(PAGE_LIMIT),
    };
    let newest = RunFilter {
        limit: Some(PAGE_LIMIT),
        ..Default::default()
    };
    let (runs, counts, all) = match tokio::try_join!(
        list_runs(journal, &filter),
        async { Ok::<_, WorkflowError>(journal.count_runs().await?) },
        list_runs(journal, &newest),
    ) {
        Ok(found) => found,
        Err(e) => return store_failure(e, session),
    };
    // Newest first: the runs younger than the cut are a prefix.
    let runs: Vec<_> = match age {
        Some((_, ms)) => {
            let cut = now_millis().saturating_sub(ms);
            runs.into_iter().filter(|r| r.created_ms >= cut).collect()
        }
        None => runs,
    };
    let mut workflows: Vec<String> = all.into_iter().map(|r| r.workflow).collect();
    if let Some(wf) = workflow {
        workflows.push(wf.to_string());
    }
    workflows.sort();
    workflows.dedup();
    let view = pages::RunsView {
        runs: &runs,
        counts: &counts,
        state,
        workflow,
        age: age.map(|(a, _)| a),
        workflows: &workflows,
    };
    page(StatusCode::OK, pages::runs(&view, session))
}

/// A page's `?done=` notice after an action.
#[derive(Debug, Deserialize, Default)]
struct DoneQuery {
    #[serde(default)]
    done: String,
}

/// The notice of a `?done=` value (fixed texts only: the query never
/// reaches the page).
fn done_notice(done: &str) -> Option<&'static str> {
    Some(match done {
        "resumed" => "Marked for pickup: a worker with this workflow resumes the run.",
        "retried" => "Sent back to compensating: a worker retries the compensations that failed.",
        "row-retried" => "The row is pending again: it is sent with its original idempotency key.",
        "row-discarded" => "The row is discarded: it is kept and never sent.",
        _ => return None,
    })
}

fn workflow_failure(e: WorkflowError, session: &Session) -> Response {
    match e {
        WorkflowError::UnknownRun { run_id } => failure(
            StatusCode::NOT_FOUND,
            "No such run",
            &format!("the store has no run {run_id:?}"),
            Some(session),
        ),
        e @ WorkflowError::WrongState { .. } => failure(
            StatusCode::CONFLICT,
            "Not in that state",
            &e.to_string(),
            Some(session),
        ),
        e => store_failure(e, session),
    }
}

async fn run_page(
    State(console): State<Arc<Console>>,
    Extension(who): Extension<LoggedIn>,
    Path(id): Path<String>,
    Query(done): Query<DoneQuery>,
) -> Response {
    match show_run(&*console.store.journal, &id).await {
        Ok(details) => page(
            StatusCode::OK,
            pages::run(&details, &who.session, done_notice(&done.done)),
        ),
        Err(e) => workflow_failure(e, &who.session),
    }
}

/// What an operator can do to a run.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum RunAction {
    /// Clear the lease of an unfinished run (`oncely runs resume`).
    Resume,
    /// Send a parked run back to compensating (`oncely runs retry`).
    Retry,
}

async fn steer_run(
    State(console): State<Arc<Console>>,
    Extension(who): Extension<LoggedIn>,
    Path((id, action)): Path<(String, RunAction)>,
    headers: HeaderMap,
    Form(form): Form<ActionForm>,
) -> Response {
    if let Some(refused) = refusal(&headers, &who, &form) {
        return refused;
    }
    let journal = &*console.store.journal;
    let (done, outcome) = match action {
        RunAction::Resume => ("resumed", mark_for_resume(journal, &id).await.map(drop)),
        RunAction::Retry => ("retried", mark_for_retry(journal, &id).await.map(drop)),
    };
    match outcome {
        Ok(()) => {
            Redirect::to(&format!("/runs/{}?done={done}", pages::path_segment(&id))).into_response()
        }
        Err(e) => workflow_failure(e, &who.session),
    }
}

async fn intents_page(
    State(console): State<Arc<Console>>,
    Extension(who): Extension<LoggedIn>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let session = &who.session;
    let state = match query.get("state").map(String::as_str).unwrap_or("") {
        "" => None,
        s => match IntentState::parse(s) {
            Some(state) => Some(state),
            None => {
                return failure(
                    StatusCode::BAD_REQUEST,
                    "Unknown state",
                    &format!("state {s:?} is not one of in_flight, completed"),
                    Some(session),
                )
            }
        },
    };
    let filter = RecordFilter {
        state,
        path_template: None,
        limit: Some(PAGE_LIMIT),
    };
    match console.store.store.list_records(&filter).await {
        Ok(records) => page(StatusCode::OK, pages::intents(&records, state, session)),
        Err(e) => store_failure(e, session),
    }
}

async fn outbox_page(
    State(console): State<Arc<Console>>,
    Extension(who): Extension<LoggedIn>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let session = &who.session;
    let Some(outbox) = console.outbox().await else {
        return page(StatusCode::OK, pages::outbox(None, session));
    };
    let states = match query.get("state").map(String::as_str).unwrap_or("") {
        "" => vec![
            OutboxState::Pending,
            OutboxState::InFlight,
            OutboxState::Dead,
        ],
        s => match OutboxState::parse(s) {
            Some(state) => vec![state],
            None => {
                return failure(
                    StatusCode::BAD_REQUEST,
                    "Unknown state",
                    &format!(
                        "state {s:?} is not one of pending, in_flight, delivered, dead, discarded"
                    ),
                    Some(session),
                )
            }
        },
    };
    let stats = match outbox.stats().await {
        Ok(stats) => stats,
        Err(e) => return store_failure(e, session),
    };
    let mut sections = Vec::new();
    for state in states {
        let filter = OutboxFilter {
            state: Some(state),
            partition: None,
            limit: Some(PAGE_LIMIT as u32),
        };
        match outbox.list(&filter).await {
            Ok(rows) => sections.push((state, rows)),
            Err(e) => return store_failure(e, session),
        }
    }
    let view = pages::OutboxView {
        stats: &stats,
        sections: &sections,
    };
    page(StatusCode::OK, pages::outbox(Some(&view), session))
}

fn outbox_failure(e: OutboxError, session: &Session) -> Response {
    match e {
        OutboxError::NotFound { id } => failure(
            StatusCode::NOT_FOUND,
            "No such row",
            &format!("the outbox has no row {id}"),
            Some(session),
        ),
        e @ OutboxError::WrongState { .. } => failure(
            StatusCode::CONFLICT,
            "Not in that state",
            &e.to_string(),
            Some(session),
        ),
        e => store_failure(e, session),
    }
}

fn no_outbox(session: &Session) -> Response {
    failure(
        StatusCode::NOT_FOUND,
        "No outbox",
        "this store has no outbox table",
        Some(session),
    )
}

async fn outbox_row_page(
    State(console): State<Arc<Console>>,
    Extension(who): Extension<LoggedIn>,
    Path(id): Path<i64>,
    Query(done): Query<DoneQuery>,
) -> Response {
    let Some(outbox) = console.outbox().await else {
        return no_outbox(&who.session);
    };
    match outbox.get(id).await {
        Ok(row) => page(
            StatusCode::OK,
            pages::outbox_row(&row, &who.session, done_notice(&done.done)),
        ),
        Err(e) => outbox_failure(e, &who.session),
    }
}

/// What an operator can do to an outbox row.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum RowAction {
    /// Send a dead row again, with its original key.
    Retry,
    /// Keep a row unsent.
    Discard,
}

async fn steer_row(
    State(console): State<Arc<Console>>,
    Extension(who): Extension<LoggedIn>,
    Path((id, action)): Path<(i64, RowAction)>,
    headers: HeaderMap,
    Form(form): Form<ActionForm>,
) -> Response {
    if let Some(refused) = refusal(&headers, &who, &form) {
        return refused;
    }
    let Some(outbox) = console.outbox().await else {
        return no_outbox(&who.session);
    };
    let (done, outcome) = match action {
        RowAction::Retry => ("row-retried", outbox.retry(id).await),
        RowAction::Discard => ("row-discarded", outbox.discard(id).await),
    };
    match outcome {
        Ok(_) => Redirect::to(&format!("/outbox/{id}?done={done}")).into_response(),
        Err(e) => outbox_failure(e, &who.session),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_age;

    #[test]
    fn ages_are_numbers_of_units() {
        assert_eq!(parse_age("15m"), Some(900_000));
        assert_eq!(parse_age("24h"), Some(86_400_000));
        assert_eq!(parse_age("7d"), Some(604_800_000));
        assert_eq!(parse_age("h"), None);
        assert_eq!(parse_age("5y"), None);
        assert_eq!(parse_age("10"), None);
    }
}
