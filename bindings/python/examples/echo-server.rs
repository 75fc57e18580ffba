//! A minimal HTTP/1.1 server for `bench/bench.py`: `GET` answers a fixed JSON
//! document, `POST`/`PUT`/`PATCH` echo the request body as JSON (`201` for
//! `POST`). Keep-alive, one thread, no framework, so that the benchmark
//! measures the clients rather than the server.
//!
//! `cargo run --release -p oncely-python --example echo-server` prints
//! `listening on http://127.0.0.1:PORT`.

use std::io::Write as _;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const GET_BODY: &[u8] = br#"{"id":"ord_bench","status":"pending","customer_id":"cus_bench","currency":"EUR","items":[{"sku":"sku-1","quantity":2}],"metadata":{},"version":1}"#;

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn content_length(head: &[u8]) -> usize {
    let text = String::from_utf8_lossy(head);
    text.lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse().ok())
        .unwrap_or(0)
}

async fn serve(mut stream: TcpStream) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut buf: Vec<u8> = Vec::with_capacity(8192);
    let mut out: Vec<u8> = Vec::with_capacity(8192);
    let mut chunk = [0u8; 16384];
    loop {
        // One request: headers, then Content-Length bytes of body.
        let (head_end, body_len) = loop {
            if let Some(end) = find(&buf, b"\r\n\r\n") {
                break (end + 4, content_length(&buf[..end]));
            }
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        while buf.len() < head_end + body_len {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        let is_get = buf.starts_with(b"GET ") || buf.starts_with(b"HEAD ");
        let is_post = buf.starts_with(b"POST ");
        let body: &[u8] = if is_get || body_len == 0 {
            GET_BODY
        } else {
            &buf[head_end..head_end + body_len]
        };
        let status = if is_post { "201 Created" } else { "200 OK" };
        out.clear();
        write!(
            out,
            "HTTP/1.1 {status}\r\nconnection: keep-alive\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        )?;
        out.extend_from_slice(body);
        stream.write_all(&out).await?;
        buf.drain(..head_end + body_len);
    }
}

fn main() -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        println!("listening on http://{}", listener.local_addr()?);
        std::io::stdout().flush()?;
        loop {
            let (stream, _) = listener.accept().await?;
            tokio::spawn(async move {
                let _ = serve(stream).await;
            });
        }
    })
}
