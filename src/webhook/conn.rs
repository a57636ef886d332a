//! Connection limits the HTTP server does not give: a connection that sends nothing — before
//! the TLS handshake, after it, or between requests — is closed after [`IDLE`]; at most
//! [`MAX_CONNECTIONS`] are open at once (a new one over the cap is closed at accept). hyper's
//! header-read timeout starts only with the first byte of a request, so a client that
//! completes the handshake and then stays silent would otherwise hold its socket forever.

use axum_server::accept::Accept;
use std::future::{Future, Ready};
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

/// A connection with no byte read or written for this long is closed. Longer than the
/// API server's webhook timeout (at most 30 s), so a review in progress is never cut.
pub const IDLE: Duration = Duration::from_secs(30);

/// Open connections at most: well under the usual limit of 1,024 file descriptors.
pub const MAX_CONNECTIONS: usize = 512;

/// The acceptor applied to each TCP stream before TLS.
#[derive(Clone)]
pub struct Guard {
    idle: Duration,
    slots: Arc<Semaphore>,
}

impl Guard {
    pub fn new(idle: Duration, max_connections: usize) -> Self {
        Guard {
            idle,
            slots: Arc::new(Semaphore::new(max_connections)),
        }
    }
}

impl<I, S> Accept<I, S> for Guard
where
    I: AsyncRead + AsyncWrite + Unpin,
{
    type Stream = Idle<I>;
    type Service = S;
    type Future = Ready<io::Result<(Idle<I>, S)>>;

    fn accept(&self, stream: I, service: S) -> Self::Future {
        std::future::ready(match self.slots.clone().try_acquire_owned() {
            Ok(permit) => Ok((Idle::new(stream, self.idle, permit), service)),
            // dropped: the stream is closed at once
            Err(_) => Err(io::Error::other("too many open connections")),
        })
    }
}

/// A stream that fails with `TimedOut` once it has been idle for its limit, and holds one
/// connection slot until it is dropped.
pub struct Idle<I> {
    inner: I,
    idle: Duration,
    timer: Pin<Box<Sleep>>,
    _slot: OwnedSemaphorePermit,
}

impl<I> Idle<I> {
    fn new(inner: I, idle: Duration, slot: OwnedSemaphorePermit) -> Self {
        Idle {
            inner,
            idle,
            timer: Box::pin(tokio::time::sleep(idle)),
            _slot: slot,
        }
    }

    fn active(&mut self) {
        let next = Instant::now() + self.idle;
        self.timer.as_mut().reset(next);
    }

    /// `Pending` from the inner stream becomes an error once the timer has run out.
    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        self.timer.as_mut().poll(cx).is_ready()
    }
}

impl<I: AsyncRead + Unpin> AsyncRead for Idle<I> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(r) => {
                if buf.filled().len() > before {
                    self.active();
                }
                Poll::Ready(r)
            }
            Poll::Pending if self.expired(cx) => {
                Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "connection idle: closed")))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Idle<I> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.active();
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
