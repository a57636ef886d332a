//! Reading a request body within two bounds: its own size ([`MAX_BODY`]) and the room all
//! bodies held at once may take ([`BODY_BUDGET`]). A body takes its room before it is read,
//! so that 512 open connections cannot hold 512 bodies while they wait for their turn.

use axum::body::Body;
use axum::http::{header, HeaderMap};
use http_body_util::BodyExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The largest request body read, as controller-runtime caps it.
pub const MAX_BODY: usize = 7 * 1024 * 1024;
/// A body over [`MAX_BODY`] but under this is read to its end (and dropped) before the 413
/// is sent, so that the client, still writing, reads the answer instead of a reset.
const DRAIN_MAX: usize = 16 * 1024 * 1024;
/// How long reading one request body may take, waiting for room included.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// Request bodies held at once, in bytes: being read, waiting for their turn or being
/// decided. Eight of the largest the API server sends (3 MiB).
pub const BODY_BUDGET: usize = 24 * 1024 * 1024;
/// The budget is counted in units of this many bytes (a semaphore's permits).
const UNIT: usize = 1024;

/// Why a body was not read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BodyError {
    #[error("request body over the {MAX_BODY}-byte limit")]
    TooLarge,
    #[error("too many request bodies in flight (the webhook holds at most {BODY_BUDGET} bytes of them): try again")]
    Busy,
    #[error("the request body took too long")]
    Slow,
    #[error("cannot read the request body: {0}")]
    Broken(String),
}

/// A budget of `bytes` for the bodies held at once.
pub fn budget(bytes: usize) -> Arc<Semaphore> {
    Arc::new(Semaphore::new(bytes / UNIT))
}

/// Room taken in the budget, given back when dropped (once the request is answered).
#[derive(Debug, Default)]
pub struct Held(Option<OwnedSemaphorePermit>);

impl Held {
    /// Room held, in bytes.
    pub fn bytes(&self) -> usize {
        self.0.as_ref().map_or(0, OwnedSemaphorePermit::num_permits) * UNIT
    }

    /// Holds room for `bytes` in all, waiting for what is not held yet.
    async fn grow(&mut self, budget: &Arc<Semaphore>, bytes: usize) -> Result<(), BodyError> {
        let want = bytes.min(MAX_BODY).div_ceil(UNIT);
        let held = self.bytes() / UNIT;
        let Some(more) = want.checked_sub(held).filter(|n| *n > 0) else {
            return Ok(());
        };
        let more = u32::try_from(more).map_err(|_| BodyError::Busy)?;
        let permit = budget
            .clone()
            .acquire_many_owned(more)
            .await
            .map_err(|_| BodyError::Busy)?;
        match &mut self.0 {
            Some(p) => p.merge(permit),
            None => self.0 = Some(permit),
        }
        Ok(())
    }
}

/// Reads at most [`MAX_BODY`] bytes within `timeout`, taking room in `budget` before the
/// bytes are read: all of a declared `Content-Length` at once (so that two half-read
/// bodies never wait for each other), a body without one as it arrives. The room is
/// returned with the bytes; a timeout while waiting for room is [`BodyError::Busy`].
pub async fn read_body(
    headers: &HeaderMap,
    body: Body,
    budget: &Arc<Semaphore>,
    timeout: Duration,
) -> Result<(Vec<u8>, Held), BodyError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > DRAIN_MAX) {
        return Err(BodyError::TooLarge);
    }
    let mut body = body;
    let mut held = Held::default();
    let mut out = Vec::new();
    let mut waiting = false;
    let reading = async {
        waiting = true;
        held.grow(budget, declared.unwrap_or(0)).await?;
        waiting = false;
        out.reserve(declared.unwrap_or(0).min(MAX_BODY));
        let mut seen = 0usize;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| BodyError::Broken(e.to_string()))?;
            let Some(data) = frame.data_ref() else { continue };
            seen += data.len();
            if seen <= MAX_BODY {
                waiting = true;
                held.grow(budget, seen).await?;
                waiting = false;
                out.extend_from_slice(data);
            } else if seen > DRAIN_MAX {
                return Err(BodyError::TooLarge);
            }
        }
        if seen > MAX_BODY {
            return Err(BodyError::TooLarge);
        }
        Ok(())
    };
    match tokio::time::timeout(timeout, reading).await {
        Ok(Ok(())) => Ok((out, held)),
        Ok(Err(e)) => Err(e),
        Err(_) if waiting => Err(BodyError::Busy),
        Err(_) => Err(BodyError::Slow),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn headers(len: Option<usize>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(n) = len {
            h.insert(header::CONTENT_LENGTH, n.to_string().parse().unwrap());
        }
        h
    }

    /// A body sent in `pieces` frames of `size` bytes, without a declared length.
    fn streamed(pieces: usize, size: usize) -> Body {
        let frames = (0..pieces).map(move |_| Ok::<_, std::io::Error>(vec![b'a'; size]));
        Body::from_stream(futures_util::stream::iter(frames))
    }

    const SHORT: Duration = Duration::from_millis(200);

    #[tokio::test]
    async fn a_body_holds_its_room_until_dropped() {
        let budget = budget(8 * UNIT);
        let (bytes, held) = read_body(&headers(Some(3000)), Body::from(vec![b'x'; 3000]), &budget, SHORT)
            .await
            .unwrap();
        assert_eq!(bytes.len(), 3000);
        assert_eq!(held.bytes(), 3 * UNIT);
        assert_eq!(budget.available_permits(), 5);
        drop(held);
        assert_eq!(budget.available_permits(), 8);
    }

    #[tokio::test]
    async fn a_body_waits_for_room_and_says_the_webhook_is_busy() {
        let budget = budget(4 * UNIT);
        let (_, first) = read_body(
            &headers(Some(3 * UNIT)),
            Body::from(vec![b'x'; 3 * UNIT]),
            &budget,
            SHORT,
        )
        .await
        .unwrap();
        // 2 KiB declared, 1 KiB free: nothing of the second body is read before it has room
        let second = read_body(
            &headers(Some(2 * UNIT)),
            Body::from(vec![b'y'; 2 * UNIT]),
            &budget,
            SHORT,
        )
        .await;
        assert_eq!(second.unwrap_err(), BodyError::Busy);
        assert_eq!(budget.available_permits(), 1, "a refused body gives its room back");
        drop(first);
        let third = read_body(
            &headers(Some(2 * UNIT)),
            Body::from(vec![b'y'; 2 * UNIT]),
            &budget,
            SHORT,
        )
        .await;
        assert_eq!(third.unwrap().0.len(), 2 * UNIT);
    }

    #[tokio::test]
    async fn an_undeclared_body_takes_room_as_it_arrives() {
        let budget = budget(4 * UNIT);
        let (bytes, held) = read_body(&headers(None), streamed(3, 1000), &budget, SHORT)
            .await
            .unwrap();
        assert_eq!(bytes.len(), 3000);
        assert_eq!(held.bytes(), 3 * UNIT);
        // more than the whole budget, streamed: it waits for room that never comes
        let over = read_body(&headers(None), streamed(6, 1000), &budget, SHORT).await;
        assert_eq!(over.unwrap_err(), BodyError::Busy);
    }

    #[tokio::test]
    async fn the_size_limits_hold() {
        let budget = budget(BODY_BUDGET);
        let declared = read_body(&headers(Some(DRAIN_MAX + 1)), Body::empty(), &budget, SHORT).await;
        assert_eq!(declared.unwrap_err(), BodyError::TooLarge);
        let over = read_body(
            &headers(None),
            streamed(8, 1024 * 1024),
            &budget,
            Duration::from_secs(5),
        )
        .await;
        assert_eq!(over.unwrap_err(), BodyError::TooLarge);
        assert_eq!(budget.available_permits(), BODY_BUDGET / UNIT);
    }
}
