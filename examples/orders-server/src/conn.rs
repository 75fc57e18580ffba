//! Connections that a handler can cut without sending a response.
//!
//! `drop_after_commit` / `drop_before_commit` must look to the client like a
//! server or network failure: the request was sent, no response ever arrives.
//! axum cannot express that (a handler always returns a response), so the
//! server accepts connections through [`AbortableListener`]: every stream
//! carries a [`ConnectionHandle`], exposed to handlers as `ConnectInfo`. After
//! [`ConnectionHandle::abort`], every write fails, hyper gives up on the
//! connection before a byte of the response is sent, and the socket closes.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// Lets request handling close its own connection without a response.
#[derive(Debug, Clone, Default)]
pub(crate) struct ConnectionHandle {
    aborted: Arc<AtomicBool>,
}

impl ConnectionHandle {
    /// From now on, writes on this connection fail and it closes.
    pub(crate) fn abort(&self) {
        self.aborted.store(true, Ordering::SeqCst);
    }

    fn is_aborted(&self) -> bool {
        self.aborted.load(Ordering::SeqCst)
    }
}

impl Connected<IncomingStream<'_, AbortableListener>> for ConnectionHandle {
    fn connect_info(stream: IncomingStream<'_, AbortableListener>) -> Self {
        stream.io().handle.clone()
    }
}

/// A TCP listener whose streams can be aborted.
#[derive(Debug)]
pub(crate) struct AbortableListener {
    inner: TcpListener,
}

impl AbortableListener {
    pub(crate) fn new(inner: TcpListener) -> Self {
        AbortableListener { inner }
    }
}

impl Listener for AbortableListener {
    type Io = AbortableStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, addr)) => {
                    let _ = stream.set_nodelay(true);
                    let stream = AbortableStream {
                        inner: stream,
                        handle: ConnectionHandle::default(),
                    };
                    return (stream, addr);
                }
                Err(err) if is_connection_error(&err) => {}
                Err(err) => {
                    // e.g. too many open files: back off instead of spinning.
                    tracing::error!("accept failed: {err}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

fn is_connection_error(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// A TCP stream that refuses to write once its handle is aborted.
#[derive(Debug)]
pub(crate) struct AbortableStream {
    inner: TcpStream,
    handle: ConnectionHandle,
}

impl AbortableStream {
    fn aborted_error() -> io::Error {
        io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "connection dropped by fault injection",
        )
    }
}

impl AsyncRead for AbortableStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for AbortableStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.handle.is_aborted() {
            return Poll::Ready(Err(Self::aborted_error()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.handle.is_aborted() {
            return Poll::Ready(Err(Self::aborted_error()));
        }
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.handle.is_aborted() {
            return Poll::Ready(Err(Self::aborted_error()));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
