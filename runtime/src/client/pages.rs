//! Streams over paged list operations.
//!
//! Crisp pages its lists in two ways. Most list routes take a `{page_number}`
//! path segment, counted from 1, and a page that comes back empty ends the
//! list: [`pages`] walks them. Message history goes backwards in time: each
//! request passes the `timestamp_before` of the oldest message received so
//! far, until nothing older is left: [`history`] walks it.
//!
//! Both return a [`Stream`] of items that fetches one page at a time, when the
//! items of the previous page are consumed, and ends after the first error.
//! The streams are `Unpin` (boxed once), so `StreamExt::next` and
//! `TryStreamExt::try_next` work on them without pinning.

use std::future::Future;

use futures_util::stream::{self, Stream, TryStreamExt};
use serde::de::DeserializeOwned;

use super::{Call, ClientCore, Error};

impl ClientCore {
    /// Streams the items of the pages `call(1)`, `call(2)`, … sent with
    /// [`ClientCore::send_json`], until a page is empty or a call fails (the error is the
    /// stream's last item).
    ///
    /// The generated `…_stream` methods are this with a function that builds the page's
    /// call: the request is sent here, so that a generated crate states no future of its
    /// own (the compiler checks that the stream is `Send` once, in this crate).
    pub fn stream_pages<T, F>(
        &self,
        mut call: F,
    ) -> impl Stream<Item = Result<T, Error>> + Send + Unpin + 'static
    where
        T: DeserializeOwned + Send + 'static,
        F: FnMut(u32) -> Call + Send + 'static,
    {
        let core = self.clone();
        pages(move |page| {
            let core = core.clone();
            let call = call(page);
            async move { core.send_json::<Vec<T>>(call).await }
        })
    }

    /// Streams history backwards with the calls `call(None)`, `call(Some(t))`, … sent with
    /// [`ClientCore::send_json`], where `t` is the smallest `timestamp` of the items received
    /// so far; it ends as the module's `history` says.
    pub fn stream_history<T, F, K>(
        &self,
        mut call: F,
        timestamp: K,
    ) -> impl Stream<Item = Result<T, Error>> + Send + Unpin + 'static
    where
        T: DeserializeOwned + Send + 'static,
        F: FnMut(Option<u64>) -> Call + Send + 'static,
        K: Fn(&T) -> Option<u64> + Send + 'static,
    {
        let core = self.clone();
        history(
            move |before| {
                let core = core.clone();
                let call = call(before);
                async move { core.send_json::<Vec<T>>(call).await }
            },
            timestamp,
        )
    }
}

/// Streams the items of the pages `fetch(1)`, `fetch(2)`, … until a page is
/// empty or a fetch fails (the error is the stream's last item).
pub(crate) fn pages<T, F, Fut>(
    fetch: F,
) -> impl Stream<Item = Result<T, Error>> + Send + Unpin + 'static
where
    T: Send + 'static,
    F: FnMut(u32) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Vec<T>, Error>> + Send + 'static,
{
    Box::pin(
        stream::try_unfold((fetch, Some(1_u32)), |(mut fetch, page)| async move {
            let Some(number) = page else {
                return Ok(None);
            };
            let items = fetch(number).await?;
            if items.is_empty() {
                return Ok(None);
            }
            // A list longer than `u32::MAX` pages ends there rather than wrapping.
            Ok(Some((items, (fetch, number.checked_add(1)))))
        })
        .map_ok(|items| stream::iter(items.into_iter().map(Ok)))
        .try_flatten(),
    )
}

/// Streams history backwards: `fetch(None)` returns the newest page, then
/// `fetch(Some(t))` the page of items older than `t`, where `t` is the
/// smallest `timestamp` of the items received so far. Pages come newest page
/// first; the items of each page keep the order the server sent them in
/// (Crisp sends each page oldest first).
///
/// The stream ends when a page is empty, when none of its items is older than
/// the previous cursor (so a server that ignores the cursor cannot make it
/// loop forever), or after a failed fetch (the error is its last item). The
/// cursor is exclusive, as Crisp's `timestamp_before` is: items that share the
/// oldest timestamp of a page but did not fit in it are not fetched.
pub(crate) fn history<T, F, Fut, K>(
    fetch: F,
    timestamp: K,
) -> impl Stream<Item = Result<T, Error>> + Send + Unpin + 'static
where
    T: Send + 'static,
    F: FnMut(Option<u64>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Vec<T>, Error>> + Send + 'static,
    K: Fn(&T) -> Option<u64> + Send + 'static,
{
    let state = (fetch, timestamp, Some(None::<u64>));
    Box::pin(
        stream::try_unfold(state, |(mut fetch, timestamp, cursor)| async move {
            let Some(before) = cursor else {
                return Ok(None);
            };
            let items = fetch(before).await?;
            let oldest = items.iter().filter_map(&timestamp).min();
            let next = match (oldest, before) {
                (Some(oldest), Some(before)) if oldest >= before => None,
                (Some(oldest), _) => Some(Some(oldest)),
                (None, _) => None,
            };
            if items.is_empty() {
                return Ok(None);
            }
            Ok(Some((items, (fetch, timestamp, next))))
        })
        .map_ok(|items| stream::iter(items.into_iter().map(Ok)))
        .try_flatten(),
    )
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use futures_util::{StreamExt, TryStreamExt};
    use http::StatusCode;

    use super::*;
    use crate::Reason;

    fn failure() -> Error {
        Error::Api {
            operation: "listThings",
            status: StatusCode::SERVICE_UNAVAILABLE,
            reason: Reason::for_status(503),
            message: None,
        }
    }

    #[tokio::test]
    async fn pages_run_until_an_empty_page() {
        let asked = Arc::new(Mutex::new(Vec::new()));
        let log = asked.clone();
        let items: Vec<u32> = pages(move |page| {
            log.lock().unwrap().push(page);
            async move {
                Ok(if page <= 3 {
                    vec![page * 10, page * 10 + 1]
                } else {
                    Vec::new()
                })
            }
        })
        .try_collect()
        .await
        .unwrap();
        assert_eq!(items, [10, 11, 20, 21, 30, 31]);
        assert_eq!(*asked.lock().unwrap(), [1, 2, 3, 4]);
    }

    #[tokio::test]
    async fn a_failed_page_ends_the_stream_with_its_error() {
        let stream = pages(|page| async move {
            if page == 1 {
                Ok(vec![1])
            } else {
                Err(failure())
            }
        });
        let results: Vec<Result<u32, Error>> = stream.collect().await;
        assert_eq!(results.len(), 2);
        assert_eq!(*results[0].as_ref().unwrap(), 1);
        assert!(results[1].as_ref().unwrap_err().is_retryable());
    }

    #[tokio::test]
    async fn history_follows_the_oldest_timestamp() {
        let asked = Arc::new(Mutex::new(Vec::new()));
        let log = asked.clone();
        // Items are timestamps; the server holds 1..=7 and answers three at a time, newest first.
        let items: Vec<u64> = history(
            move |before: Option<u64>| {
                log.lock().unwrap().push(before);
                let mut older: Vec<u64> =
                    (1..=7).filter(|t| before.is_none_or(|b| *t < b)).collect();
                older.reverse();
                older.truncate(3);
                async move { Ok(older) }
            },
            |t| Some(*t),
        )
        .try_collect()
        .await
        .unwrap();
        assert_eq!(items, [7, 6, 5, 4, 3, 2, 1]);
        assert_eq!(*asked.lock().unwrap(), [None, Some(5), Some(2), Some(1)]);
    }

    #[tokio::test]
    async fn history_stops_when_the_cursor_does_not_move() {
        let calls = Arc::new(Mutex::new(0));
        let count = calls.clone();
        let items: Vec<u64> = history(
            move |_| {
                *count.lock().unwrap() += 1;
                async { Ok(vec![5, 4]) }
            },
            |t| Some(*t),
        )
        .try_collect()
        .await
        .unwrap();
        assert_eq!(items, [5, 4, 5, 4]);
        assert_eq!(*calls.lock().unwrap(), 2);
    }
}
