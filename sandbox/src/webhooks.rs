//! Web hook delivery: the stateful sandbox POSTs a signed event to each configured URL for
//! what happens in it, as Crisp does for a plugin's hooks.
//!
//! Each event becomes one compact JSON body, `{"website_id", "event", "data", "timestamp"}`,
//! queued for every target. Each target has its own queue and its own background task, which
//! delivers the events in order: a POST with `Content-Type: application/json`,
//! `X-Crisp-Request-Timestamp` (the attempt's time, in milliseconds since the Unix epoch),
//! `X-Crisp-Signature` (see [`crisp_runtime::webhook::sign`]), `X-Delivery-Attempt-Count`,
//! `X-Delivery-Attempt-Limit` and `X-Crisp-Hook-Origin`. An attempt that is not answered
//! `200` is retried after a delay that doubles each time (from
//! [`WebhookConfig::retry_delay`], at most [`MAX_RETRY_DELAY`]), until
//! [`WebhookConfig::attempts`] attempts were made; then the event is logged and dropped.
//! Every attempt is logged (event, target, attempt, status), never the secret or the body.
//!
//! Recording an event never waits: a full queue ([`QUEUE_CAPACITY`] events) drops the new
//! event with a warning. On shutdown ([`Sandbox::stop_webhooks`](crate::Sandbox::stop_webhooks))
//! the queues are delivered for at most [`WebhookConfig::shutdown_grace`]; what is left then
//! is dropped, so a dead receiver never holds the sandbox up.

use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crisp_runtime::webhook::{
    ATTEMPT_COUNT_HEADER, ATTEMPT_LIMIT_HEADER, HOOK_ORIGIN_HEADER, SIGNATURE_HEADER,
    TIMESTAMP_HEADER, sign,
};
use reqwest::Url;
use serde::Serialize;
use serde_json::Value;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::events::Event;

/// How many attempts are made at one delivery unless configured otherwise.
pub const DEFAULT_ATTEMPTS: u32 = 5;
/// The delay before the first retry unless configured otherwise; it doubles at each retry.
pub const DEFAULT_RETRY_DELAY: Duration = Duration::from_secs(1);
/// The longest delay between two attempts (unless the first delay is longer).
pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(60);
/// How long one attempt may take, connection included, unless configured otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long [`Sandbox::stop_webhooks`](crate::Sandbox::stop_webhooks) keeps delivering what is
/// queued unless configured otherwise.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// How many events wait for one target at most; more are dropped (with a warning).
pub const QUEUE_CAPACITY: usize = 1024;
/// The `X-Crisp-Hook-Origin` of the sandbox's deliveries.
pub const HOOK_ORIGIN: &str = "plugin/rtm crisp-sandbox sandbox";

/// Where to deliver: an `http` or `https` URL.
///
/// Its `Display` and `Debug` leave out the query and any user information, since a hook URL
/// may carry a key there (Crisp suggests `?key=…` for website hooks); the logs use them.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookUrl(Url);

impl WebhookUrl {
    /// The whole URL, query included.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

/// Parses an absolute `http://` or `https://` URL.
impl FromStr for WebhookUrl {
    type Err = String;

    fn from_str(text: &str) -> Result<WebhookUrl, String> {
        let url = Url::parse(text.trim()).map_err(|error| format!("not a URL: {error}"))?;
        match url.scheme() {
            "http" | "https" if url.has_host() => Ok(WebhookUrl(url)),
            "http" | "https" => Err("a web hook URL needs a host".to_owned()),
            other => Err(format!("a web hook URL is http or https, not `{other}`")),
        }
    }
}

impl fmt::Display for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = &self.0;
        write!(f, "{}://{}", url.scheme(), url.host_str().unwrap_or(""))?;
        if let Some(port) = url.port() {
            write!(f, ":{port}")?;
        }
        f.write_str(url.path())
    }
}

impl fmt::Debug for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WebhookUrl({self})")
    }
}

/// Where and how the stateful sandbox delivers its events.
///
/// Its `Debug` output hides the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookConfig {
    /// The URLs to deliver every event to; each gets its own queue.
    pub urls: Vec<WebhookUrl>,
    /// The plugin signing secret the deliveries are signed with.
    pub secret: String,
    /// How many attempts are made at one delivery (at least 1).
    pub attempts: u32,
    /// The delay before the first retry; it doubles at each retry, up to [`MAX_RETRY_DELAY`].
    pub retry_delay: Duration,
    /// How long one attempt may take before it counts as failed.
    pub timeout: Duration,
    /// How long a shutdown keeps delivering what is queued.
    pub shutdown_grace: Duration,
}

impl WebhookConfig {
    /// Delivery to `urls`, signed with `secret`, with the default attempts and delays.
    pub fn new(urls: Vec<WebhookUrl>, secret: impl Into<String>) -> WebhookConfig {
        WebhookConfig {
            urls,
            secret: secret.into(),
            attempts: DEFAULT_ATTEMPTS,
            retry_delay: DEFAULT_RETRY_DELAY,
            timeout: DEFAULT_TIMEOUT,
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
        }
    }

    /// The delay after the failed attempt `attempt` (from 1): the retry delay doubled
    /// `attempt - 1` times, at most [`MAX_RETRY_DELAY`] (or the retry delay, if longer).
    pub fn delay_after(&self, attempt: u32) -> Duration {
        let factor = 1_u32 << attempt.saturating_sub(1).min(16);
        self.retry_delay
            .saturating_mul(factor)
            .min(MAX_RETRY_DELAY.max(self.retry_delay))
    }
}

impl fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("urls", &self.urls)
            .field("secret", &"<redacted>")
            .field("attempts", &self.attempts)
            .field("retry_delay", &self.retry_delay)
            .field("timeout", &self.timeout)
            .field("shutdown_grace", &self.shutdown_grace)
            .finish()
    }
}

/// The body of a delivery, in Crisp's field order.
#[derive(Serialize)]
struct Envelope<'a> {
    website_id: &'a str,
    event: &'a str,
    data: &'a Value,
    timestamp: u64,
}

/// One event, ready to send to any target.
#[derive(Debug)]
struct Outgoing {
    event: &'static str,
    body: Vec<u8>,
}

/// The delivery of the sandbox's events: one queue and one task per target. Cheap to clone
/// (clones share the queues).
#[derive(Clone)]
pub(crate) struct Webhooks {
    inner: Arc<Inner>,
}

/// What the clones of [`Webhooks`] share.
struct Inner {
    config: WebhookConfig,
    /// The queue of each target, in the order of `config.urls`.
    queues: Vec<mpsc::Sender<Arc<Outgoing>>>,
    /// The queues' receiving ends, until the tasks are started.
    waiting: Mutex<Option<Vec<mpsc::Receiver<Arc<Outgoing>>>>>,
    /// The delivery tasks, once started.
    workers: Mutex<Vec<JoinHandle<()>>>,
    /// `Some(deadline)` once stopping: deliver what is queued until then.
    stopping: watch::Sender<Option<Instant>>,
}

impl fmt::Debug for Webhooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Webhooks")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl Webhooks {
    /// Queues for the targets of `config`; the delivery tasks start with
    /// [`Webhooks::start`] (or at the first event).
    pub(crate) fn new(config: WebhookConfig) -> Webhooks {
        let (queues, receivers) = config
            .urls
            .iter()
            .map(|_| mpsc::channel(QUEUE_CAPACITY))
            .unzip();
        let (stopping, _) = watch::channel(None);
        Webhooks {
            inner: Arc::new(Inner {
                config,
                queues,
                waiting: Mutex::new(Some(receivers)),
                workers: Mutex::new(Vec::new()),
                stopping,
            }),
        }
    }

    /// Starts the delivery tasks, once, if a Tokio runtime is running here (otherwise the
    /// events wait in their queues until a later call finds one).
    pub(crate) fn start(&self) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let Some(receivers) = lock(&self.inner.waiting).take() else {
            return;
        };
        let mut workers = lock(&self.inner.workers);
        for (url, queue) in self.inner.config.urls.iter().zip(receivers) {
            let target = Target {
                url: url.clone(),
                config: self.inner.config.clone(),
            };
            let stopping = self.inner.stopping.subscribe();
            workers.push(runtime.spawn(target.run(queue, stopping)));
        }
    }

    /// Queues `events` for every target, in order, without waiting.
    pub(crate) fn publish(&self, events: Vec<Event>) {
        if events.is_empty() || self.inner.stopping.borrow().is_some() {
            return;
        }
        self.start();
        for event in events {
            let envelope = Envelope {
                website_id: &event.website_id,
                event: event.name,
                data: &event.data,
                timestamp: event.timestamp,
            };
            let body = match serde_json::to_vec(&envelope) {
                Ok(body) => body,
                Err(error) => {
                    tracing::error!(event = event.name, "web hook event not encoded: {error}");
                    continue;
                }
            };
            let outgoing = Arc::new(Outgoing {
                event: event.name,
                body,
            });
            for (url, queue) in self.inner.config.urls.iter().zip(&self.inner.queues) {
                if queue.try_send(Arc::clone(&outgoing)).is_err() {
                    tracing::warn!(
                        target: "crisp_sandbox",
                        "webhook {} -> {url}: queue full or closed, event dropped",
                        event.name
                    );
                }
            }
        }
    }

    /// Stops delivering: what is queued is still delivered for at most the shutdown grace,
    /// then dropped; returns once every delivery task has ended.
    pub(crate) async fn stop(&self) {
        let grace = self.inner.config.shutdown_grace;
        let deadline = Instant::now() + grace;
        self.inner.stopping.send_replace(Some(deadline));
        let workers = std::mem::take(&mut *lock(&self.inner.workers));
        for worker in workers {
            // Each task stops by the deadline on its own; the margin only guards against a
            // task that does not.
            let abort = worker.abort_handle();
            if tokio::time::timeout_at(deadline + Duration::from_secs(1), worker)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }
}

/// Locks a mutex, ignoring poisoning (every change under these locks is one step).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One target and the settings its task delivers with.
struct Target {
    url: WebhookUrl,
    config: WebhookConfig,
}

/// How one attempt ended.
enum Outcome {
    /// The receiver answered 200.
    Delivered,
    /// It answered another status.
    Status(u16),
    /// No answer: connection refused, timeout…
    Failed(String),
}

impl Target {
    /// Delivers the queue in order until it closes, or until stopping has emptied it or
    /// passed its deadline.
    async fn run(
        self,
        mut queue: mpsc::Receiver<Arc<Outgoing>>,
        mut stopping: watch::Receiver<Option<Instant>>,
    ) {
        let client = match reqwest::Client::builder()
            .timeout(self.config.timeout)
            .user_agent(concat!("crisp-sandbox/", env!("CARGO_PKG_VERSION")))
            .build()
        {
            Ok(client) => client,
            Err(error) => {
                tracing::error!(
                    target: "crisp_sandbox",
                    "webhook -> {}: no HTTP client ({error}); its events are dropped",
                    self.url
                );
                return;
            }
        };
        loop {
            let outgoing = tokio::select! {
                biased;
                outgoing = queue.recv() => match outgoing {
                    Some(outgoing) => outgoing,
                    None => return,
                },
                // Stopping: deliver what is queued, wait for nothing more.
                _ = deadline(&mut stopping) => match queue.try_recv() {
                    Ok(outgoing) => outgoing,
                    Err(_) => return,
                },
            };
            let delivered = tokio::select! {
                biased;
                () = deadline_passed(&mut stopping) => false,
                () = self.deliver(&client, &outgoing) => true,
            };
            if !delivered {
                let mut dropped = 1;
                while queue.try_recv().is_ok() {
                    dropped += 1;
                }
                tracing::warn!(
                    target: "crisp_sandbox",
                    "webhook -> {}: shutdown grace over, {dropped} undelivered event(s) dropped",
                    self.url
                );
                return;
            }
        }
    }

    /// Makes up to `attempts` attempts at one delivery, with the delays in between.
    async fn deliver(&self, client: &reqwest::Client, outgoing: &Outgoing) {
        let limit = self.config.attempts.max(1);
        for attempt in 1..=limit {
            let outcome = self.attempt(client, outgoing, attempt, limit).await;
            let event = outgoing.event;
            let url = &self.url;
            match outcome {
                Outcome::Delivered => {
                    tracing::info!(
                        target: "crisp_sandbox",
                        "webhook {event} -> {url} attempt {attempt}/{limit}: 200"
                    );
                    return;
                }
                Outcome::Status(status) => tracing::warn!(
                    target: "crisp_sandbox",
                    "webhook {event} -> {url} attempt {attempt}/{limit}: {status}"
                ),
                Outcome::Failed(error) => tracing::warn!(
                    target: "crisp_sandbox",
                    "webhook {event} -> {url} attempt {attempt}/{limit}: {error}"
                ),
            }
            if attempt < limit {
                tokio::time::sleep(self.config.delay_after(attempt)).await;
            }
        }
        tracing::warn!(
            target: "crisp_sandbox",
            "webhook {} -> {}: not delivered after {limit} attempts, dropped",
            outgoing.event, self.url
        );
    }

    /// One signed POST.
    async fn attempt(
        &self,
        client: &reqwest::Client,
        outgoing: &Outgoing,
        attempt: u32,
        limit: u32,
    ) -> Outcome {
        let timestamp = now_ms().to_string();
        let signature = sign(&self.config.secret, &timestamp, &outgoing.body);
        let sent = client
            .post(self.url.0.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(TIMESTAMP_HEADER, timestamp)
            .header(SIGNATURE_HEADER, signature)
            .header(ATTEMPT_COUNT_HEADER, attempt.to_string())
            .header(ATTEMPT_LIMIT_HEADER, limit.to_string())
            .header(HOOK_ORIGIN_HEADER, HOOK_ORIGIN)
            .body(outgoing.body.clone())
            .send()
            .await;
        match sent {
            Ok(response) if response.status() == reqwest::StatusCode::OK => Outcome::Delivered,
            Ok(response) => Outcome::Status(response.status().as_u16()),
            Err(error) if error.is_timeout() => Outcome::Failed(format!(
                "no answer within {} ms",
                self.config.timeout.as_millis()
            )),
            Err(error) if error.is_connect() => Outcome::Failed("cannot connect".to_owned()),
            // Without the URL, whose query may hold a key.
            Err(error) => Outcome::Failed(error.without_url().to_string()),
        }
    }
}

/// Completes once stopping started, with its deadline (never, if the sandbox is gone
/// without stopping: its queues then close and end the task).
async fn deadline(stopping: &mut watch::Receiver<Option<Instant>>) -> Instant {
    let deadline = match stopping.wait_for(Option::is_some).await {
        Ok(deadline) => *deadline,
        Err(_) => None,
    };
    match deadline {
        Some(deadline) => deadline,
        None => std::future::pending().await,
    }
}

/// Completes once stopping started and its deadline has passed.
async fn deadline_passed(stopping: &mut watch::Receiver<Option<Instant>>) {
    let at = deadline(stopping).await;
    tokio::time::sleep_until(at).await;
}

/// The current time in milliseconds since the Unix epoch.
fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_http_and_shown_without_query_or_credentials() {
        let url: WebhookUrl = "https://user:pass@hooks.example.com:8443/crisp?key=s3cr3t"
            .parse()
            .expect("a URL");
        assert_eq!(url.to_string(), "https://hooks.example.com:8443/crisp");
        assert!(!format!("{url:?}").contains("s3cr3t"));
        assert!(url.as_str().contains("key=s3cr3t"));
        for bad in [
            "ftp://example.com/",
            "not a url",
            "/relative",
            "mailto:someone@example.com",
        ] {
            assert!(bad.parse::<WebhookUrl>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_secret_never_shows_and_delays_double_up_to_the_cap() {
        let mut config = WebhookConfig::new(Vec::new(), "whsec-hidden");
        assert!(!format!("{config:?}").contains("whsec-hidden"));
        assert_eq!(config.delay_after(1), Duration::from_secs(1));
        assert_eq!(config.delay_after(2), Duration::from_secs(2));
        assert_eq!(config.delay_after(4), Duration::from_secs(8));
        assert_eq!(config.delay_after(10), MAX_RETRY_DELAY);
        assert_eq!(config.delay_after(u32::MAX), MAX_RETRY_DELAY);
        config.retry_delay = Duration::from_secs(120);
        assert_eq!(config.delay_after(3), Duration::from_secs(120));
    }

    #[test]
    fn envelopes_are_compact_and_in_crisps_order() {
        let data = serde_json::json!({"session_id": "session_1"});
        let envelope = Envelope {
            website_id: "w",
            event: "session:removed",
            data: &data,
            timestamp: 7,
        };
        assert_eq!(
            serde_json::to_string(&envelope).expect("JSON"),
            r#"{"website_id":"w","event":"session:removed","data":{"session_id":"session_1"},"timestamp":7}"#
        );
    }
}
