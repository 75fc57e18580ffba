//! The HTTP transport: hyper's pooled client (HTTP/1.1, and HTTP/2 where TLS
//! negotiates it), TLS from rustls with the operating system's certificate
//! verifier, and HTTP or SOCKS5 proxies from the environment or the builder.
//!
//! oncely drives hyper directly, as smithy-rs does, rather than through
//! reqwest: the pipeline already owns everything reqwest layers on top
//! (timeouts, retries, redirects, which oncely never follows, body encoding),
//! and that layer cost about 6 µs per call, a tenth of a loopback POST
//! (measured against raw reqwest in `cargo bench -p oncely --bench ratios`).

use std::error::Error as StdError;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::header::PROXY_AUTHORIZATION;
use http::{HeaderMap, Method, Uri};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::proxy::{SocksV5, Tunnel};
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::client::legacy::Client as PooledClient;
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::net::TcpStream;
use tower_service::Service;
use url::Url;

use super::redact::redact_user_info;
use crate::error::Error;

/// Any error the transport reports, boxed: hyper's, a proxy's, or TLS's.
pub(crate) type BoxError = Box<dyn StdError + Send + Sync>;

/// Which proxy requests go through.
#[derive(Debug, Clone, Default)]
pub(crate) enum ProxyChoice {
    /// `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY` and `NO_PROXY` (either case),
    /// read when the client is built, as curl reads them.
    #[default]
    FromEnvironment,
    /// Every request goes straight to its host.
    Direct,
    /// Every request goes through this proxy (`http://`, `socks5://` or
    /// `socks5h://`, credentials in the URL), except hosts in `NO_PROXY`.
    Url(String),
}

/// What the builder decides about connections.
#[derive(Debug, Clone)]
pub(crate) struct TransportConfig {
    pub connect_timeout: Duration,
    pub pool_idle_timeout: Duration,
    pub proxy: ProxyChoice,
    /// PEM documents whose certificates are trusted as roots besides the
    /// operating system's.
    pub extra_roots: Vec<Vec<u8>>,
}

/// A pooled HTTP client. Cheap to share; clones share the pool.
#[derive(Clone)]
pub(crate) struct Transport {
    client: PooledClient<HttpsConnector<ProxyConnector>, Full<Bytes>>,
    proxies: Option<Arc<Matcher>>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("proxied", &self.proxies.is_some())
            .finish_non_exhaustive()
    }
}

/// A failed exchange: whether the connection was never made, and why.
#[derive(Debug)]
pub(crate) struct SendError {
    pub is_connect: bool,
    pub source: BoxError,
}

impl Transport {
    /// Builds the transport, or says which setting is wrong.
    pub fn new(config: &TransportConfig) -> Result<Self, Error> {
        let proxies = proxy_matcher(&config.proxy)?.map(Arc::new);
        let mut tcp = HttpConnector::new();
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        tcp.set_connect_timeout(Some(config.connect_timeout));
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls_config(&config.extra_roots)?)
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .wrap_connector(ProxyConnector {
                tcp,
                proxies: proxies.clone(),
            });
        let client = PooledClient::builder(TokioExecutor::new())
            .pool_idle_timeout(config.pool_idle_timeout)
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .build(connector);
        Ok(Transport { client, proxies })
    }

    /// Sends one request and returns the answer's head with its body unread.
    pub async fn send(
        &self,
        method: Method,
        url: &Url,
        mut headers: HeaderMap,
        body: Option<Bytes>,
    ) -> Result<http::Response<Incoming>, SendError> {
        // Nothing was sent when the URL is not a valid request target.
        let uri: Uri = url.as_str().parse().map_err(|e| SendError {
            is_connect: true,
            source: Box::new(e),
        })?;
        // A plain-HTTP request through an HTTP proxy carries the proxy's
        // credentials itself; a tunnel sends them once, when it opens.
        if let Some(intercept) = self.proxies.as_ref().and_then(|p| p.intercept(&uri)) {
            if uri.scheme_str() == Some("http") {
                if let Some(auth) = intercept.basic_auth() {
                    let mut auth = auth.clone();
                    auth.set_sensitive(true);
                    headers.insert(PROXY_AUTHORIZATION, auth);
                }
            }
        }
        let mut request = http::Request::new(Full::new(body.unwrap_or_default()));
        *request.method_mut() = method;
        *request.uri_mut() = uri;
        *request.headers_mut() = headers;
        self.client.request(request).await.map_err(|e| SendError {
            is_connect: e.is_connect(),
            source: Box::new(e),
        })
    }
}

/// The proxy rules a client follows, or `None` when it connects directly.
fn proxy_matcher(choice: &ProxyChoice) -> Result<Option<Matcher>, Error> {
    match choice {
        ProxyChoice::Direct => Ok(None),
        ProxyChoice::FromEnvironment => {
            let set = [
                "ALL_PROXY",
                "all_proxy",
                "HTTPS_PROXY",
                "https_proxy",
                "HTTP_PROXY",
                "http_proxy",
            ]
            .iter()
            .any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()));
            Ok(set.then(Matcher::from_env))
        }
        ProxyChoice::Url(proxy) => {
            let what = || format!("proxy URL {:?}", redact_user_info(proxy));
            let parsed = Url::parse(proxy).map_err(|e| Error::invalid(what(), e.to_string()))?;
            if !matches!(parsed.scheme(), "http" | "socks5" | "socks5h") {
                return Err(Error::invalid(
                    what(),
                    format!(
                        "scheme {:?} is not supported (use http, socks5 or socks5h)",
                        parsed.scheme()
                    ),
                ));
            }
            if parsed.host_str().map_or(true, str::is_empty) {
                return Err(Error::invalid(what(), "it names no host"));
            }
            let no_proxy = ["NO_PROXY", "no_proxy"]
                .iter()
                .find_map(|name| std::env::var(name).ok())
                .unwrap_or_default();
            Ok(Some(
                Matcher::builder().all(proxy.clone()).no(no_proxy).build(),
            ))
        }
    }
}

/// rustls with the process's default crypto provider (aws-lc-rs unless the
/// application installed another) and the operating system's verifier, which
/// also trusts `extra_roots`.
fn tls_config(extra_roots: &[Vec<u8>]) -> Result<rustls::ClientConfig, Error> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;
    let provider = rustls::crypto::CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider()));
    let mut roots = Vec::new();
    for (i, pem) in extra_roots.iter().enumerate() {
        let what = || format!("root certificate #{}", i + 1);
        let found = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Error::invalid(what(), format!("it is not PEM: {e}")))?;
        if found.is_empty() {
            return Err(Error::invalid(
                what(),
                "it holds no \"BEGIN CERTIFICATE\" block",
            ));
        }
        roots.extend(found);
    }
    let tls = |e: rustls::Error| Error::invalid("TLS configuration", e.to_string());
    let verifier = if roots.is_empty() {
        rustls_platform_verifier::Verifier::new(provider.clone()).map_err(tls)?
    } else {
        platform_verifier_with(roots, provider.clone()).map_err(tls)?
    };
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(tls)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth())
}

#[cfg(not(target_os = "android"))]
fn platform_verifier_with(
    roots: Vec<rustls::pki_types::CertificateDer<'static>>,
    provider: Arc<rustls::crypto::CryptoProvider>,
) -> Result<rustls_platform_verifier::Verifier, rustls::Error> {
    rustls_platform_verifier::Verifier::new_with_extra_roots(roots, provider)
}

#[cfg(target_os = "android")]
fn platform_verifier_with(
    _roots: Vec<rustls::pki_types::CertificateDer<'static>>,
    _provider: Arc<rustls::crypto::CryptoProvider>,
) -> Result<rustls_platform_verifier::Verifier, rustls::Error> {
    Err(rustls::Error::General(
        "extra root certificates are not supported on Android".into(),
    ))
}

/// Opens TCP connections, through a proxy where the rules say so: a CONNECT
/// tunnel for HTTPS, a SOCKS5 handshake, or a plain connection to an HTTP
/// proxy that then receives absolute-form requests.
#[derive(Clone)]
struct ProxyConnector {
    tcp: HttpConnector,
    proxies: Option<Arc<Matcher>>,
}

type Connecting = Pin<Box<dyn Future<Output = Result<ProxyStream, BoxError>> + Send>>;

impl Service<Uri> for ProxyConnector {
    type Response = ProxyStream;
    type Error = BoxError;
    type Future = Connecting;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.tcp.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, dst: Uri) -> Connecting {
        let tcp = self.tcp.clone();
        let intercept = self.proxies.as_ref().and_then(|p| p.intercept(&dst));
        Box::pin(async move {
            let Some(intercept) = intercept else {
                return direct(tcp, dst).await;
            };
            let proxy = intercept.uri().clone();
            match proxy.scheme_str() {
                Some("socks5" | "socks5h") => {
                    let mut socks = SocksV5::new(proxy.clone(), tcp)
                        .local_dns(proxy.scheme_str() == Some("socks5"));
                    if let Some((user, pass)) = intercept.raw_auth() {
                        socks = socks.with_auth(user.to_string(), pass.to_string());
                    }
                    let io = socks.call(dst).await?;
                    Ok(ProxyStream { io, proxied: false })
                }
                Some("http") if dst.scheme_str() == Some("https") => {
                    let mut tunnel = Tunnel::new(proxy, tcp);
                    if let Some(auth) = intercept.basic_auth() {
                        tunnel = tunnel.with_auth(auth.clone());
                    }
                    let io = tunnel.call(dst).await?;
                    Ok(ProxyStream { io, proxied: false })
                }
                Some("http") => {
                    let mut tcp = tcp;
                    let io = tcp.call(proxy).await?;
                    Ok(ProxyStream { io, proxied: true })
                }
                other => Err(format!(
                    "proxy {proxy}: scheme {other:?} is not supported (use http, socks5 or socks5h)"
                )
                .into()),
            }
        })
    }
}

async fn direct(mut tcp: HttpConnector, dst: Uri) -> Result<ProxyStream, BoxError> {
    let io = tcp.call(dst).await?;
    Ok(ProxyStream { io, proxied: false })
}

/// A TCP connection that knows whether it leads to an HTTP proxy, so the pool
/// sends absolute-form requests on it.
struct ProxyStream {
    io: TokioIo<TcpStream>,
    proxied: bool,
}

impl Connection for ProxyStream {
    fn connected(&self) -> Connected {
        self.io.connected().proxy(self.proxied)
    }
}

impl Read for ProxyStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl Write for ProxyStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }
}
