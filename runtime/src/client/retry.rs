//! When and how long the client waits before sending a failed request again.

use std::time::Duration;

use backon::ExponentialBuilder;
use http::Method;

/// How a client retries failed requests.
///
/// A request is sent again when:
///
/// - Crisp answers 429 or 420 (rate limited), whatever the method: a limited
///   request was not processed;
/// - the connection could not be established, whatever the method: nothing
///   reached the server;
/// - Crisp answers 500, 502, 503 or 504, the request times out, or the answer
///   cannot be read, **only** for idempotent methods (`GET`, `HEAD`, `PUT`,
///   `DELETE`, `OPTIONS`): a `POST` or `PATCH` may have been applied already.
///
/// Waits grow exponentially from [`initial_backoff`](Self::with_initial_backoff)
/// up to [`max_backoff`](Self::with_max_backoff), with random jitter (each
/// wait is between one and two times the nominal one) unless it is turned
/// off. A `Retry-After` header (seconds or an HTTP date) makes the client wait
/// at least that long. Retrying stops after [`max_attempts`](Self::with_max_attempts)
/// attempts, or when the next wait would end more than
/// [`max_elapsed`](Self::with_max_elapsed) after the first attempt started;
/// the last error is then returned.
///
/// The default: 4 attempts, 500 ms initial backoff, 20 s maximum backoff, 60 s
/// in all, with jitter. [`RetryPolicy::disabled`] sends every request once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_elapsed: Duration,
    jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(20),
            max_elapsed: Duration::from_secs(60),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// The default policy (see the type's documentation).
    pub fn new() -> Self {
        Self::default()
    }

    /// A policy that never retries: every request is sent once.
    pub fn disabled() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Sets how many times a request may be sent in all, the first attempt
    /// included; `0` is read as `1`.
    #[must_use]
    pub fn with_max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = max_attempts.max(1);
        self
    }

    /// Sets the wait before the first retry.
    #[must_use]
    pub fn with_initial_backoff(mut self, initial_backoff: Duration) -> Self {
        self.initial_backoff = initial_backoff;
        self
    }

    /// Sets the longest wait the exponential growth reaches (a `Retry-After`
    /// header may ask for longer).
    #[must_use]
    pub fn with_max_backoff(mut self, max_backoff: Duration) -> Self {
        self.max_backoff = max_backoff;
        self
    }

    /// Sets the time after which no retry starts, counted from the first attempt.
    #[must_use]
    pub fn with_max_elapsed(mut self, max_elapsed: Duration) -> Self {
        self.max_elapsed = max_elapsed;
        self
    }

    /// Turns jitter off, so waits are exactly the nominal backoff (useful in tests).
    #[must_use]
    pub fn without_jitter(mut self) -> Self {
        self.jitter = false;
        self
    }

    /// Returns how many times a request may be sent in all.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Returns the time after which no retry starts.
    pub fn max_elapsed(&self) -> Duration {
        self.max_elapsed
    }

    /// The backoff schedule of one request.
    pub(crate) fn backoff(&self) -> ExponentialBuilder {
        let retries = usize::try_from(self.max_attempts.saturating_sub(1)).unwrap_or(usize::MAX);
        let builder = ExponentialBuilder::new()
            .with_min_delay(self.initial_backoff)
            .with_max_delay(self.max_backoff)
            .with_max_times(retries);
        if self.jitter {
            builder.with_jitter()
        } else {
            builder
        }
    }
}

/// Whether sending a request twice has the same effect as sending it once (RFC 9110).
pub(crate) fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
    )
}

/// Reads a `Retry-After` value: a number of seconds or an HTTP date.
pub(crate) fn parse_retry_after(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use backon::BackoffBuilder;

    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(7));
        assert_eq!(parse_retry_after(&later, now), Some(Duration::from_secs(7)));
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(7));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }

    #[test]
    fn schedule_grows_and_is_bounded() {
        let policy = RetryPolicy::new()
            .with_max_attempts(5)
            .with_initial_backoff(Duration::from_millis(100))
            .with_max_backoff(Duration::from_millis(300))
            .without_jitter();
        // backon computes in floating point: compare whole milliseconds.
        let delays: Vec<u128> = policy.backoff().build().map(|d| d.as_millis()).collect();
        assert_eq!(delays, [100, 200, 300, 300]);
        assert_eq!(RetryPolicy::disabled().backoff().build().count(), 0);
        assert_eq!(RetryPolicy::new().with_max_attempts(0).max_attempts(), 1);
    }

    #[test]
    fn jitter_stays_within_twice_the_nominal_wait() {
        let policy = RetryPolicy::new()
            .with_initial_backoff(Duration::from_millis(100))
            .with_max_attempts(2);
        for _ in 0..50 {
            let delay = policy.backoff().build().next().unwrap();
            assert!(
                delay >= Duration::from_millis(100) && delay < Duration::from_millis(200),
                "{delay:?}"
            );
        }
    }

    #[test]
    fn idempotent_methods() {
        for method in [Method::GET, Method::HEAD, Method::PUT, Method::DELETE] {
            assert!(is_idempotent(&method), "{method}");
        }
        for method in [Method::POST, Method::PATCH] {
            assert!(!is_idempotent(&method), "{method}");
        }
    }
}
