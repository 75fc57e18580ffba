//! The transport on the wire: what a request looks like when it arrives, TLS
//! (HTTP/2 by ALPN, private roots, refused certificates), and the proxies a
//! request can go through (HTTP forward proxy, CONNECT tunnel, SOCKS5).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::Request;
use axum::Json;
use oncely::{Client, Error, RetryPolicy, TransportKind};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What one request looked like when it arrived.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    uri: String,
    headers: http::HeaderMap,
    body: Vec<u8>,
}

/// A server that answers every request with `{"ok": true}` and keeps what it saw.
async fn recording_server() -> (String, Arc<Mutex<Vec<Seen>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let app = axum::Router::new().fallback(move |request: Request| {
        let log = log.clone();
        async move {
            let (head, body) = request.into_parts();
            let body = axum::body::to_bytes(body, 1 << 20).await.unwrap();
            log.lock().unwrap().push(Seen {
                method: head.method.to_string(),
                uri: head.uri.to_string(),
                headers: head.headers,
                body: body.to_vec(),
            });
            Json(json!({"ok": true}))
        }
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    (format!("127.0.0.1:{}", addr.port()), seen)
}

fn no_retries() -> RetryPolicy {
    RetryPolicy::default().max_attempts(1)
}

/// Sends `GET path` with `client` (built with one attempt) and returns its
/// error, checked to be a connect-stage transport error.
async fn connect_error(client: &Client, path: &str) -> Error {
    let error = match client.get(path).send().await.unwrap_err() {
        Error::RetryExhausted { last, .. } => *last,
        other => other,
    };
    assert!(
        matches!(
            error,
            Error::Transport {
                kind: TransportKind::Connect,
                ..
            }
        ),
        "{error}"
    );
    error
}

/// Reads a request head (up to the blank line) byte by byte.
async fn read_head(socket: &mut TcpStream) -> std::io::Result<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        socket.read_exact(&mut byte).await?;
        head.push(byte[0]);
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

#[tokio::test]
async fn requests_arrive_with_user_agent_accept_and_exact_bodies() {
    let (addr, seen) = recording_server().await;
    let client = Client::builder(format!("http://{addr}"))
        .no_proxy()
        .build()
        .unwrap();
    client.get("/orders/o_1").send().await.unwrap();
    client
        .post("/orders")
        .json(&json!({"sku": "A-1"}))
        .send()
        .await
        .unwrap();
    let seen = seen.lock().unwrap().clone();
    let (get, post) = (&seen[0], &seen[1]);
    assert_eq!(
        (get.method.as_str(), get.uri.as_str()),
        ("GET", "/orders/o_1")
    );
    assert!(get.headers["user-agent"]
        .to_str()
        .unwrap()
        .starts_with("oncely-rust/"));
    assert_eq!(
        get.headers["accept"],
        "application/json, application/problem+json"
    );
    assert!(get.body.is_empty());
    assert!(
        !get.headers.contains_key("transfer-encoding"),
        "{:?}",
        get.headers
    );
    assert_eq!(post.body, br#"{"sku":"A-1"}"#);
    assert_eq!(post.headers["content-length"], "13");
    assert_eq!(post.headers["content-type"], "application/json");
    assert!(post.headers.contains_key("idempotency-key"));
}

#[tokio::test]
async fn a_caller_user_agent_replaces_the_default() {
    let (addr, seen) = recording_server().await;
    let client = Client::builder(format!("http://{addr}"))
        .user_agent("shop/2.1")
        .no_proxy()
        .build()
        .unwrap();
    client.get("/").send().await.unwrap();
    assert_eq!(seen.lock().unwrap()[0].headers["user-agent"], "shop/2.1");
}

#[tokio::test]
async fn plain_http_goes_through_an_http_proxy_in_absolute_form_with_its_credentials() {
    // The recording server plays the proxy: a forward proxy receives the whole
    // URL in the request line, and its credentials in Proxy-Authorization.
    let (proxy, seen) = recording_server().await;
    let client = Client::builder("http://orders.invalid/v1")
        .proxy(format!("http://shop:s3cret@{proxy}"))
        .bearer_token("sk_live")
        .build()
        .unwrap();
    let answer: Value = client
        .post("/orders")
        .json(&json!({"sku": "A-1"}))
        .send_json()
        .await
        .unwrap();
    assert_eq!(answer, json!({"ok": true}));
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].uri, "http://orders.invalid/v1/orders");
    // base64("shop:s3cret")
    assert_eq!(
        seen[0].headers["proxy-authorization"],
        "Basic c2hvcDpzM2NyZXQ="
    );
    assert_eq!(seen[0].headers["authorization"], "Bearer sk_live");
    assert_eq!(seen[0].body, br#"{"sku":"A-1"}"#);
}

#[tokio::test]
async fn https_goes_through_a_connect_tunnel_and_a_refusal_is_a_connect_error() {
    // A proxy that reads the CONNECT request, keeps it, and refuses it.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy = listener.local_addr().unwrap();
    let received = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let head = read_head(&mut socket).await.unwrap();
        socket
            .write_all(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n")
            .await
            .unwrap();
        head
    });
    let client = Client::builder("https://api.example.com")
        .proxy(format!("http://shop:s3cret@{proxy}"))
        .retry_policy(no_retries())
        .build()
        .unwrap();
    let error = connect_error(&client, "/orders").await;
    // The reason is in the message, not only deep in the source chain.
    assert!(error.to_string().contains("unsuccessful"), "{error}");
    let head = received.await.unwrap().to_ascii_lowercase();
    assert!(
        head.starts_with("connect api.example.com:443 http/1.1\r\n"),
        "{head}"
    );
    assert!(
        head.contains("proxy-authorization: basic c2hvcdpzm2nyzxq=\r\n"),
        "{head}"
    );
}

/// A minimal SOCKS5 proxy (no authentication, CONNECT only) that connects to
/// whatever it is asked and records the address type and target it was given.
async fn socks5_proxy() -> (String, Arc<Mutex<Vec<(u8, String)>>>) {
    let targets = Arc::new(Mutex::new(Vec::new()));
    let log = targets.clone();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut client, _)) = listener.accept().await else {
                return;
            };
            let log = log.clone();
            tokio::spawn(async move {
                let mut greeting = [0u8; 2];
                client.read_exact(&mut greeting).await?;
                let mut methods = vec![0u8; greeting[1] as usize];
                client.read_exact(&mut methods).await?;
                client.write_all(&[5, 0]).await?;
                let mut request = [0u8; 4];
                client.read_exact(&mut request).await?;
                let host = match request[3] {
                    1 => {
                        let mut ip = [0u8; 4];
                        client.read_exact(&mut ip).await?;
                        std::net::Ipv4Addr::from(ip).to_string()
                    }
                    3 => {
                        let mut len = [0u8; 1];
                        client.read_exact(&mut len).await?;
                        let mut name = vec![0u8; len[0] as usize];
                        client.read_exact(&mut name).await?;
                        String::from_utf8_lossy(&name).into_owned()
                    }
                    _ => return Ok::<(), std::io::Error>(()),
                };
                let port = client.read_u16().await?;
                log.lock()
                    .unwrap()
                    .push((request[3], format!("{host}:{port}")));
                let mut upstream = TcpStream::connect((host.as_str(), port)).await?;
                client.write_all(&[5, 0, 0, 1, 0, 0, 0, 0, 0, 0]).await?;
                tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
                Ok(())
            });
        }
    });
    (format!("127.0.0.1:{}", addr.port()), targets)
}

#[tokio::test]
async fn socks5_resolves_names_here_and_socks5h_lets_the_proxy_resolve_them() {
    let (server, seen) = recording_server().await;
    let port = server.rsplit(':').next().unwrap().to_string();
    let (proxy, targets) = socks5_proxy().await;
    for scheme in ["socks5", "socks5h"] {
        let client = Client::builder(format!("http://localhost:{port}"))
            .proxy(format!("{scheme}://{proxy}"))
            .build()
            .unwrap();
        client.get("/orders/o_1").send().await.unwrap();
    }
    let targets = targets.lock().unwrap().clone();
    // socks5: an address resolved by the client; socks5h: the name itself.
    assert_eq!(targets.len(), 2, "{targets:?}");
    assert_eq!(targets[0].0, 1, "{targets:?}");
    assert_eq!(targets[1], (3, format!("localhost:{port}")));
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    // Through a SOCKS tunnel the request is an ordinary one.
    assert!(seen.iter().all(|s| s.uri == "/orders/o_1"), "{seen:?}");
}

#[tokio::test]
async fn an_unreachable_proxy_is_a_connect_error_retried_like_any_other() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = Client::builder("http://orders.invalid")
        .proxy(format!("http://127.0.0.1:{port}"))
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(2)
                .base_delay(Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    match client.get("/orders").send().await.unwrap_err() {
        Error::RetryExhausted { attempts: 2, last } => {
            assert!(
                matches!(
                    *last,
                    Error::Transport {
                        kind: TransportKind::Connect,
                        ..
                    }
                ),
                "{last}"
            );
            assert!(last.to_string().contains("refused"), "{last}");
        }
        other => panic!("{other}"),
    }
}

#[test]
fn bad_proxy_urls_are_typed_errors_naming_the_proxy_without_its_password() {
    let error = |proxy: &str| match Client::builder("https://api.example.com")
        .proxy(proxy)
        .build()
        .unwrap_err()
    {
        e @ Error::InvalidInput { .. } => e.to_string(),
        other => panic!("{other}"),
    };
    let e = error("ftp://proxy.example:21");
    assert!(e.contains("proxy URL") && e.contains("\"ftp\""), "{e}");
    let e = error("proxy.example:3128");
    assert!(e.contains("proxy URL"), "{e}");
    let e = error("https://user:hunter2@proxy.example");
    assert!(e.contains("not supported") && !e.contains("hunter2"), "{e}");
    let e = error("not a url");
    assert!(e.contains("proxy URL \"not a url\""), "{e}");
}

/// An HTTPS server on loopback with a fresh self-signed certificate for
/// `localhost`, offering `alpn`; every answer says which HTTP version it got.
/// Returns its port and the certificate as PEM.
async fn tls_server(alpn: &[&[u8]]) -> (u16, String) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let pem = certified.cert.pem();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .unwrap();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let app = axum::Router::new().fallback(|request: Request| async move {
        Json(json!({"version": format!("{:?}", request.version())}))
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, app) = (acceptor.clone(), app.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return; // a client that refused the certificate
                };
                let service = hyper_util::service::TowerToHyperService::new(app);
                let _ = hyper_util::server::conn::auto::Builder::new(
                    hyper_util::rt::TokioExecutor::new(),
                )
                .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                .await;
            });
        }
    });
    (port, pem)
}

#[tokio::test]
async fn https_with_a_private_root_speaks_http2_when_offered_and_http1_otherwise() {
    for (alpn, expected) in [
        (&[b"h2".as_slice(), b"http/1.1"][..], "HTTP/2.0"),
        (&[b"http/1.1".as_slice()][..], "HTTP/1.1"),
    ] {
        let (port, pem) = tls_server(alpn).await;
        let client = Client::builder(format!("https://localhost:{port}"))
            .add_root_certificate(pem)
            .no_proxy()
            .build()
            .unwrap();
        let answer: Value = client
            .post("/orders")
            .json(&json!({"sku": "A-1"}))
            .send_json()
            .await
            .unwrap();
        assert_eq!(answer["version"], expected);
    }
}

#[tokio::test]
async fn an_untrusted_certificate_is_a_connect_error_that_says_so() {
    let (port, _) = tls_server(&[b"http/1.1"]).await;
    let client = Client::builder(format!("https://localhost:{port}"))
        .no_proxy()
        .retry_policy(no_retries())
        .build()
        .unwrap();
    let error = connect_error(&client, "/").await;
    assert!(error.to_string().contains("certificate"), "{error}");
}

#[test]
fn a_root_certificate_that_is_not_pem_is_a_typed_error() {
    for (pem, why) in [
        ("not a certificate", "no \"BEGIN CERTIFICATE\" block"),
        (
            "-----BEGIN CERTIFICATE-----\n%%%\n-----END CERTIFICATE-----\n",
            "not PEM",
        ),
    ] {
        match Client::builder("https://api.example.com")
            .add_root_certificate(pem)
            .build()
            .unwrap_err()
        {
            Error::InvalidInput { what, why: message } => {
                assert_eq!(what, "root certificate #1");
                assert!(message.contains(why), "{message}");
            }
            other => panic!("{other}"),
        }
    }
}

/// A CONNECT proxy that opens every tunnel it is asked for and records the
/// targets.
async fn tunnel_proxy() -> (String, Arc<Mutex<Vec<String>>>) {
    let targets = Arc::new(Mutex::new(Vec::new()));
    let log = targets.clone();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let log = log.clone();
            tokio::spawn(async move {
                let head = read_head(&mut client).await?;
                let target = head.split(' ').nth(1).unwrap_or_default().to_string();
                log.lock().unwrap().push(target.clone());
                let mut upstream = TcpStream::connect(target).await?;
                client
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .await?;
                tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
                Ok::<(), std::io::Error>(())
            });
        }
    });
    (format!("127.0.0.1:{}", addr.port()), targets)
}

#[tokio::test]
async fn https_through_a_connect_tunnel_reaches_the_server_end_to_end() {
    let (port, pem) = tls_server(&[b"h2", b"http/1.1"]).await;
    let (proxy, targets) = tunnel_proxy().await;
    let client = Client::builder(format!("https://localhost:{port}"))
        .add_root_certificate(pem)
        .proxy(format!("http://{proxy}"))
        .build()
        .unwrap();
    let answer: Value = client.get("/orders/o_1").send_json().await.unwrap();
    // TLS (and HTTP/2) run inside the tunnel, with the server itself.
    assert_eq!(answer["version"], "HTTP/2.0");
    assert_eq!(*targets.lock().unwrap(), vec![format!("localhost:{port}")]);
}
