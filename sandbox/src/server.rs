//! Serving the sandbox on a real socket, with a listener that can drop a chosen connection
//! without writing a response (the `drop_connection` fault).

use std::collections::HashSet;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use super::{Sandbox, SandboxControl};

/// Peers whose connection must be closed instead of answered.
#[derive(Debug, Default)]
pub(crate) struct DoomedPeers(Mutex<HashSet<SocketAddr>>);

impl DoomedPeers {
    pub(crate) fn doom(&self, peer: SocketAddr) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(peer);
    }

    fn take(&self, peer: &SocketAddr) -> bool {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(peer)
    }
}

/// The remote address of a connection, as handlers see it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PeerAddr(pub SocketAddr);

impl Connected<IncomingStream<'_, KillableListener>> for PeerAddr {
    fn connect_info(stream: IncomingStream<'_, KillableListener>) -> PeerAddr {
        PeerAddr(*stream.remote_addr())
    }
}

pub(crate) struct KillableListener {
    inner: TcpListener,
    doomed: Arc<DoomedPeers>,
}

impl Listener for KillableListener {
    type Io = KillableStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (KillableStream, SocketAddr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, peer)) => {
                    let stream = KillableStream {
                        inner: stream,
                        peer,
                        doomed: Arc::clone(&self.doomed),
                        killed: false,
                    };
                    return (stream, peer);
                }
                // Typically out of file descriptors: wait instead of spinning.
                Err(err) => {
                    tracing::debug!(error = %err, "sandbox accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

/// A TCP stream that fails its next write once its peer is doomed, so hyper closes it with
/// nothing sent.
pub(crate) struct KillableStream {
    inner: TcpStream,
    peer: SocketAddr,
    doomed: Arc<DoomedPeers>,
    killed: bool,
}

impl AsyncRead for KillableStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for KillableStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.killed || self.doomed.take(&self.peer) {
            self.killed = true;
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "sandbox: injected connection drop",
            )));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A sandbox serving on a socket.
#[derive(Debug)]
pub struct RunningSandbox {
    pub addr: SocketAddr,
    pub control: SandboxControl,
    task: JoinHandle<()>,
    webhooks: JoinHandle<()>,
}

impl RunningSandbox {
    /// The API root to give the client, e.g. `http://127.0.0.1:41234/api/v1/integration`.
    pub fn base_url(&self) -> String {
        format!("http://{}{}", self.addr, cmr::API_PATH_PREFIX)
    }

    /// Stops serving. (Dropping the tokio runtime stops it too, as at the end of a test.)
    pub fn shutdown(self) {
        self.task.abort();
        self.webhooks.abort();
    }
}

/// Serves `sandbox` on an ephemeral port of 127.0.0.1 in a tokio task.
///
/// Must be called from inside a tokio runtime.
pub fn spawn(sandbox: Sandbox) -> io::Result<RunningSandbox> {
    spawn_at(sandbox, SocketAddr::from(([127, 0, 0, 1], 0)))
}

/// Serves `sandbox` on `addr` in a tokio task. Must be called from inside a tokio runtime.
pub fn spawn_at(sandbox: Sandbox, addr: SocketAddr) -> io::Result<RunningSandbox> {
    let std_listener = std::net::TcpListener::bind(addr)?;
    std_listener.set_nonblocking(true)?;
    let listener = KillableListener {
        inner: TcpListener::from_std(std_listener)?,
        doomed: Arc::clone(&sandbox.shared.doomed),
    };
    let addr = listener.local_addr()?;
    let app = sandbox
        .router()
        .into_make_service_with_connect_info::<PeerAddr>();
    let task = tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, app).await {
            tracing::error!(error = %err, "sandbox server stopped");
        }
    });
    Ok(RunningSandbox {
        addr,
        control: sandbox.control(),
        task,
        webhooks: super::webhooks::spawn_sender(sandbox.shared.clone()),
    })
}
