//! Who may use the console: a login token (random, printed at start, or
//! configured), sessions held in an `HttpOnly`, `SameSite=Strict` cookie, and
//! a per-session CSRF token that every action form carries, checked together
//! with the request's `Origin` (or `Referer`) against its `Host`.
//!
//! Secrets are compared in constant time ([`subtle`]); session ids and CSRF
//! tokens are 256 random bits from the operating system's generator.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::http::{header, HeaderMap};
use rand::RngCore as _;
use subtle::ConstantTimeEq as _;

/// The session cookie's name.
pub const COOKIE: &str = "oncely_console";

/// How many sessions are kept at once; logging in past it ends the oldest.
const MAX_SESSIONS: usize = 256;

/// The environment variable a login token is read from when no
/// `--token-env` is given.
pub const TOKEN_ENV: &str = "ONCELY_CONSOLE_TOKEN";

/// The shortest login token accepted from the environment.
const MIN_TOKEN_LEN: usize = 16;

/// One logged-in browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The CSRF token every action form of this session carries.
    pub csrf: String,
}

/// The login token and the sessions it opened.
#[derive(Debug)]
pub struct Auth {
    token: String,
    sessions: Mutex<Sessions>,
}

#[derive(Debug, Default)]
struct Sessions {
    by_id: HashMap<String, (u64, Session)>,
    next: u64,
}

/// Where the login token came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSource {
    /// Generated at start (printed in the login URL).
    Generated,
    /// Read from this environment variable (never printed).
    Env(String),
}

/// 256 random bits, hex-encoded.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The login token: from `--token-env NAME` (which must be set), else from
/// [`TOKEN_ENV`] when set, else generated.
pub fn login_token(token_env: Option<&str>) -> anyhow::Result<(String, TokenSource)> {
    let (name, required) = match token_env {
        Some(name) => (name, true),
        None => (TOKEN_ENV, false),
    };
    match std::env::var(name) {
        Ok(value) if value.len() >= MIN_TOKEN_LEN => Ok((value, TokenSource::Env(name.into()))),
        Ok(value) if !value.is_empty() || required => anyhow::bail!(
            "the login token in ${name} is {} characters long; use at least {MIN_TOKEN_LEN} \
             (or leave it unset for a random one)",
            value.len()
        ),
        Err(std::env::VarError::NotUnicode(_)) => {
            anyhow::bail!("the login token in ${name} is not UTF-8")
        }
        _ if required => anyhow::bail!("--token-env {name}: the variable is not set"),
        _ => Ok((random_secret(), TokenSource::Generated)),
    }
}

/// True when `given` equals `expected`, in time independent of where they differ.
pub fn secrets_match(given: &str, expected: &str) -> bool {
    bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
}

impl Auth {
    /// Sessions opened by `token`.
    pub fn new(token: String) -> Self {
        Auth {
            token,
            sessions: Mutex::default(),
        }
    }

    /// True when `given` is the login token.
    pub fn is_login_token(&self, given: &str) -> bool {
        secrets_match(given, &self.token)
    }

    /// Opens a session: its id (the cookie's value) and the session.
    pub fn open_session(&self) -> (String, Session) {
        let id = random_secret();
        let session = Session {
            csrf: random_secret(),
        };
        let mut sessions = self.lock();
        if sessions.by_id.len() >= MAX_SESSIONS {
            let oldest = sessions
                .by_id
                .iter()
                .min_by_key(|(_, (n, _))| *n)
                .map(|(id, _)| id.clone());
            if let Some(oldest) = oldest {
                sessions.by_id.remove(&oldest);
            }
        }
        let n = sessions.next;
        sessions.next += 1;
        sessions.by_id.insert(id.clone(), (n, session.clone()));
        (id, session)
    }

    /// The session named by the request's cookie, if it is open.
    pub fn session(&self, headers: &HeaderMap) -> Option<(String, Session)> {
        let id = session_cookie(headers)?;
        let sessions = self.lock();
        sessions
            .by_id
            .get(id)
            .map(|(_, session)| (id.to_string(), session.clone()))
    }

    /// Ends a session.
    pub fn close_session(&self, id: &str) {
        self.lock().by_id.remove(id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Sessions> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The value of the session cookie in a request's `Cookie` headers.
fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value)
}

/// The `Set-Cookie` value that holds session `id`.
pub fn session_cookie_header(id: &str) -> String {
    format!("{COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict")
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn cleared_cookie_header() -> String {
    format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
}

/// Why an action was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Neither `Origin` nor `Referer` is this console.
    CrossOrigin(String),
    /// The form carries no CSRF token, or another session's.
    Csrf,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::CrossOrigin(origin) => write!(
                f,
                "the request comes from {origin}, not from this console: actions are taken only \
                 from the console's own pages"
            ),
            Refusal::Csrf => f.write_str(
                "the form's CSRF token is missing or not this session's: reload the page and try again",
            ),
        }
    }
}

/// Checks that a state-changing request comes from this console's own page:
/// its `Origin` (or, without one, its `Referer`) is `http://HOST` of its own
/// `Host` header.
pub fn same_origin(headers: &HeaderMap) -> Result<(), Refusal> {
    let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
    let host = text(header::HOST).unwrap_or("");
    let own = format!("http://{host}");
    if let Some(origin) = text(header::ORIGIN) {
        return if !host.is_empty() && origin == own {
            Ok(())
        } else {
            Err(Refusal::CrossOrigin(origin.to_string()))
        };
    }
    match text(header::REFERER) {
        Some(referer)
            if !host.is_empty() && (referer == own || referer.starts_with(&format!("{own}/"))) =>
        {
            Ok(())
        }
        Some(referer) => Err(Refusal::CrossOrigin(referer.to_string())),
        None => Err(Refusal::CrossOrigin(
            "an unnamed origin (no Origin or Referer)".into(),
        )),
    }
}

/// Checks an action: same origin, and the session's CSRF token in the form.
pub fn check_action(headers: &HeaderMap, session: &Session, csrf: &str) -> Result<(), Refusal> {
    same_origin(headers)?;
    if csrf.is_empty() || !secrets_match(csrf, &session.csrf) {
        return Err(Refusal::Csrf);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(name.clone(), HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn sessions_are_found_by_cookie_and_closed() {
        let auth = Auth::new("t".repeat(20));
        assert!(auth.is_login_token(&"t".repeat(20)));
        assert!(!auth.is_login_token("t"));
        let (id, session) = auth.open_session();
        let request = headers(&[(header::COOKIE, &format!("a=b; {COOKIE}={id}"))]);
        assert_eq!(auth.session(&request), Some((id.clone(), session)));
        auth.close_session(&id);
        assert_eq!(auth.session(&request), None);
        assert_eq!(
            auth.session(&headers(&[(header::COOKIE, "oncely_console=guess")])),
            None
        );
    }

    #[test]
    fn sessions_are_bounded() {
        let auth = Auth::new("t".repeat(20));
        let (first, _) = auth.open_session();
        for _ in 0..MAX_SESSIONS {
            auth.open_session();
        }
        let cookie = headers(&[(header::COOKIE, &format!("{COOKIE}={first}"))]);
        assert_eq!(auth.session(&cookie), None, "the oldest went");
    }

    #[test]
    fn actions_need_the_same_origin_and_the_csrf_token() {
        let session = Session {
            csrf: "c".repeat(64),
        };
        let host = (header::HOST, "127.0.0.1:7700");
        let ok = headers(&[host.clone(), (header::ORIGIN, "http://127.0.0.1:7700")]);
        assert_eq!(check_action(&ok, &session, &"c".repeat(64)), Ok(()));
        assert_eq!(check_action(&ok, &session, ""), Err(Refusal::Csrf));
        assert_eq!(check_action(&ok, &session, "c"), Err(Refusal::Csrf));
        let evil = headers(&[host.clone(), (header::ORIGIN, "http://evil.example")]);
        assert!(matches!(
            check_action(&evil, &session, &"c".repeat(64)),
            Err(Refusal::CrossOrigin(_))
        ));
        let referer = headers(&[
            host.clone(),
            (header::REFERER, "http://127.0.0.1:7700/runs/x"),
        ]);
        assert_eq!(same_origin(&referer), Ok(()));
        let prefix = headers(&[host.clone(), (header::REFERER, "http://127.0.0.1:77001/")]);
        assert!(same_origin(&prefix).is_err());
        assert!(same_origin(&headers(&[host])).is_err(), "neither header");
    }

    #[test]
    fn generated_tokens_are_long_and_distinct() {
        let (a, b) = (random_secret(), random_secret());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
    }
}
