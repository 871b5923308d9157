//! [`ClientCore`]: sends one operation's request with Crisp's authentication,
//! retries it as the [`RetryPolicy`] allows, and unwraps the answer.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime};

use backon::Retryable;
use bytes::Bytes;
use http::header::{ACCEPT, CONTENT_TYPE, HeaderValue, RETRY_AFTER, USER_AGENT};
use http::{Method, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tracing::Instrument;

use super::retry::{is_idempotent, parse_retry_after};
use super::{Credentials, Error, HeaderPairs, QueryPairs, RetryPolicy};
use crate::{Envelope, Reason};

/// The base URL of Crisp's REST API.
pub const DEFAULT_BASE_URL: &str = "https://api.crisp.chat/v1";

/// The header that tells Crisp which tier the token belongs to.
const TIER_HEADER: &str = "x-crisp-tier";

/// The `User-Agent` sent unless the configuration sets another.
pub(crate) const DEFAULT_USER_AGENT: &str = concat!("crisp-runtime/", env!("CARGO_PKG_VERSION"));

/// How much of a body an error keeps, in characters.
const EXCERPT_CHARS: usize = 200;

/// One operation's request, as the generated client builds it.
///
/// `path` is already percent-encoded and starts with `/`; `template` is the
/// route as the spec writes it (`/website/{website_id}`), recorded in traces
/// instead of the path so identifiers stay out of span names.
#[derive(Debug)]
pub struct Call {
    operation: &'static str,
    method: Method,
    template: &'static str,
    path: String,
    query: QueryPairs,
    headers: HeaderPairs,
    body: Option<Bytes>,
    /// Why the request cannot be sent, found while it was built (a body or a parameter
    /// that does not serialize); reported as [`Error::Encode`] when the call is sent, as
    /// `reqwest::RequestBuilder` reports its own.
    failure: Option<String>,
}

impl Call {
    /// A request without query, extra headers or body.
    pub fn new(
        operation: &'static str,
        method: Method,
        template: &'static str,
        path: String,
    ) -> Self {
        Self {
            operation,
            method,
            template,
            path,
            query: QueryPairs::new(),
            headers: HeaderPairs::new(),
            body: None,
            failure: None,
        }
    }

    /// Sets the query parameters; a parameter that did not serialize (see
    /// [`QueryPairs::push_json`]) makes the call fail when it is sent.
    #[must_use]
    pub fn query(mut self, mut query: QueryPairs) -> Self {
        self.keep_failure(query.take_failure());
        self.query = query;
        self
    }

    /// Sets extra request headers; a header that did not serialize makes the call fail
    /// when it is sent, as in [`Call::query`].
    #[must_use]
    pub fn headers(mut self, mut headers: HeaderPairs) -> Self {
        self.keep_failure(headers.take_failure());
        self.headers = headers;
        self
    }

    /// Sets the body, already encoded as JSON (the MCP server passes its arguments' JSON).
    #[must_use]
    pub fn body(mut self, body: Option<Vec<u8>>) -> Self {
        self.body = body.map(Bytes::from);
        self
    }

    /// Encodes `body` as the JSON body. When it does not serialize (a map with keys that
    /// are not strings, say), the call fails with [`Error::Encode`] when it is sent, before
    /// anything goes out: the generated operations build their call without a fallible
    /// step, so that each one is a plain function returning the sending future.
    #[must_use]
    pub fn json<B: serde::Serialize + ?Sized>(mut self, body: &B) -> Self {
        match serde_json::to_vec(body) {
            Ok(bytes) => self.body = Some(Bytes::from(bytes)),
            Err(error) => self.keep_failure(Some(format!("request body: {error}"))),
        }
        self
    }

    /// Keeps the first failure found while building.
    fn keep_failure(&mut self, failure: Option<String>) {
        if self.failure.is_none() {
            self.failure = failure;
        }
    }
}

/// What came back from one attempt that reached the server.
struct Answer {
    status: StatusCode,
    content_type: Option<String>,
    retry_after: Option<Duration>,
    bytes: Bytes,
}

/// Why an attempt may be worth repeating.
enum Failure {
    /// A status the retry policy looks at (420, 429, 500, 502, 503, 504).
    Status(Answer),
    /// The request did not complete.
    Transport { error: Error, connect: bool },
    /// The request cannot be sent at all; trying again would not help.
    Fatal(Error),
}

impl Failure {
    /// Whether the policy allows another attempt for a request with this method.
    fn retryable(&self, idempotent: bool) -> bool {
        match self {
            Self::Status(answer) => matches!(answer.status.as_u16(), 420 | 429) || idempotent,
            Self::Transport { connect, .. } => *connect || idempotent,
            Self::Fatal(_) => false,
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Status(answer) => answer.retry_after,
            Self::Transport { .. } | Self::Fatal(_) => None,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Status(answer) => write!(f, "status {}", answer.status.as_u16()),
            Self::Transport { error, .. } | Self::Fatal(error) => write!(f, "{error}"),
        }
    }
}

/// The shared state of a generated client: HTTP client, base URL, credentials,
/// user agent, timeout and retry policy. Clones share it (and the connection pool).
///
/// Build one with [`ClientConfig`](super::ClientConfig). The `Debug` output
/// never shows the key.
#[derive(Clone)]
pub struct ClientCore {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base_url: String,
    credentials: Credentials,
    user_agent: HeaderValue,
    timeout: Option<Duration>,
    retry: RetryPolicy,
}

impl ClientCore {
    /// Assembles a core from checked parts; see [`ClientConfig::build`](super::ClientConfig::build).
    pub(crate) fn from_parts(
        http: reqwest::Client,
        base_url: &str,
        credentials: Credentials,
        user_agent: HeaderValue,
        timeout: Option<Duration>,
        retry: RetryPolicy,
    ) -> Result<Self, Error> {
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                base_url: validate_base_url(base_url)?,
                credentials,
                user_agent,
                timeout,
                retry,
            }),
        })
    }

    /// Returns the base URL, without a trailing `/`.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// Returns the credentials requests are authenticated with.
    pub fn credentials(&self) -> &Credentials {
        &self.inner.credentials
    }

    /// Returns the `User-Agent` header sent with every request.
    pub fn user_agent(&self) -> &HeaderValue {
        &self.inner.user_agent
    }

    /// Returns the time after which a request is abandoned, if any.
    pub fn timeout(&self) -> Option<Duration> {
        self.inner.timeout
    }

    /// Returns the retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// Returns the underlying HTTP client.
    pub fn http_client(&self) -> &reqwest::Client {
        &self.inner.http
    }

    /// Sends a request and returns the envelope's `data` decoded as `T`.
    ///
    /// When the envelope has no `data`, `T` is decoded from `null`, so `()` and
    /// `Option<_>` succeed and other types fail with [`Error::Decode`] at `data`.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] for an error answer, [`Error::Decode`] when a success does
    /// not match `T`, [`Error::Timeout`] and [`Error::Transport`] when the request
    /// does not complete, [`Error::Encode`] when the path contains a `.` or `..`
    /// segment (which URL normalization would silently remove) or a header is
    /// not valid. Failures the [`RetryPolicy`] covers are retried first.
    pub async fn send_json<T: DeserializeOwned>(&self, call: Call) -> Result<T, Error> {
        let operation = call.operation;
        let answer = self.execute(&call).await?;
        if !answer.status.is_success() {
            return Err(api_error(operation, &answer));
        }
        decode_data(operation, &answer)
    }

    /// Sends a request whose answer carries no useful `data`.
    ///
    /// # Errors
    ///
    /// As [`ClientCore::send_json`], except that the body of a success is only
    /// checked for an envelope with `"error": true` (an empty or non-JSON body is
    /// accepted).
    pub async fn send_unit(&self, call: Call) -> Result<(), Error> {
        let operation = call.operation;
        let answer = self.execute(&call).await?;
        if !answer.status.is_success() {
            return Err(api_error(operation, &answer));
        }
        match LooseEnvelope::parse(&answer.bytes) {
            Some(envelope) if envelope.error == Some(true) => {
                Err(envelope.into_error(operation, answer.status))
            }
            _ => Ok(()),
        }
    }

    /// Sends a `HEAD` request: `Ok(true)` for a 2xx answer, `Ok(false)` for 404.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] for any other status, with the reason its status stands
    /// for (a `HEAD` answer has no body), and the errors of
    /// [`ClientCore::send_json`] when the request does not complete.
    pub async fn send_head(&self, call: Call) -> Result<bool, Error> {
        let operation = call.operation;
        let answer = self.execute(&call).await?;
        if answer.status.is_success() {
            Ok(true)
        } else if answer.status == StatusCode::NOT_FOUND {
            Ok(false)
        } else {
            Err(api_error(operation, &answer))
        }
    }

    /// Sends the request, retrying as the policy allows, in a `crisp.call` span.
    async fn execute(&self, call: &Call) -> Result<Answer, Error> {
        let span = tracing::info_span!(
            "crisp.call",
            operation = call.operation,
            method = %call.method,
            path = call.template,
            status = tracing::field::Empty,
            attempt = tracing::field::Empty,
        );
        // Boxed: the retrying future is large, and every generated operation embeds this
        // one; one allocation per call keeps callers' futures (and debug stacks) small.
        let outcome = Box::pin(self.execute_with_retries(call).instrument(span.clone())).await;
        if let Ok(answer) = &outcome {
            span.record("status", answer.status.as_u16());
        }
        outcome
    }

    async fn execute_with_retries(&self, call: &Call) -> Result<Answer, Error> {
        if let Some(message) = &call.failure {
            return Err(Error::Encode {
                operation: call.operation,
                message: message.clone(),
            });
        }
        let url = self.url(call)?;
        let request = self.request(call, &url)?;
        let policy = &self.inner.retry;
        let idempotent = is_idempotent(&call.method);
        let started = Instant::now();
        let attempts = AtomicU32::new(0);
        let outcome = (|| async {
            let attempt = attempts.fetch_add(1, Ordering::Relaxed) + 1;
            tracing::Span::current().record("attempt", attempt);
            self.attempt(call.operation, &request).await
        })
        .retry(policy.backoff())
        .sleep(tokio::time::sleep)
        .when(|failure: &Failure| failure.retryable(idempotent))
        .adjust(|failure: &Failure, backoff: Option<Duration>| {
            // The schedule is spent: stop. Otherwise wait at least what the
            // server asked for, unless that would run past the time budget.
            let wait = backoff?.max(failure.retry_after().unwrap_or(Duration::ZERO));
            (started.elapsed() + wait <= policy.max_elapsed()).then_some(wait)
        })
        .notify(|failure: &Failure, wait: Duration| {
            tracing::info!(
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                failure = %failure,
                "retrying"
            );
        })
        .await;
        match outcome {
            Ok(answer) | Err(Failure::Status(answer)) => Ok(answer),
            Err(Failure::Transport { error, .. } | Failure::Fatal(error)) => Err(error),
        }
    }

    /// Sends the request once.
    async fn attempt(
        &self,
        operation: &'static str,
        request: &reqwest::Request,
    ) -> Result<Answer, Failure> {
        let transport = |source: reqwest::Error| Failure::Transport {
            connect: source.is_connect(),
            error: transport_error(operation, source),
        };
        // Requests carry their bodies as `Bytes`, so they always clone.
        let Some(request) = request.try_clone() else {
            return Err(Failure::Fatal(Error::Encode {
                operation,
                message: "the request body cannot be sent twice".to_owned(),
            }));
        };
        let response = self.inner.http.execute(request).await.map_err(transport)?;
        let status = response.status();
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|value: &HeaderValue| value.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = header(CONTENT_TYPE);
        let retry_after =
            header(RETRY_AFTER).and_then(|value| parse_retry_after(&value, SystemTime::now()));
        let bytes = response.bytes().await.map_err(transport)?;
        tracing::debug!(status = status.as_u16(), bytes = bytes.len(), "answer");
        let answer = Answer {
            status,
            content_type,
            retry_after,
            bytes,
        };
        if matches!(status.as_u16(), 420 | 429 | 500 | 502 | 503 | 504) {
            Err(Failure::Status(answer))
        } else {
            Ok(answer)
        }
    }

    /// Builds the request once; each attempt sends a clone.
    fn request(&self, call: &Call, url: &str) -> Result<reqwest::Request, Error> {
        let operation = call.operation;
        let inner = &self.inner;
        let mut request = inner
            .http
            .request(call.method.clone(), url)
            .basic_auth(
                inner.credentials.identifier(),
                Some(inner.credentials.key()),
            )
            .header(TIER_HEADER, inner.credentials.tier().as_str())
            .header(USER_AGENT, inner.user_agent.clone())
            .header(ACCEPT, "application/json");
        if let Some(timeout) = inner.timeout {
            request = request.timeout(timeout);
        }
        for (name, value) in call.headers.iter() {
            let name =
                http::HeaderName::from_bytes(name.as_bytes()).map_err(|_| Error::Encode {
                    operation,
                    message: format!("`{name}` is not a valid header name"),
                })?;
            let value = HeaderValue::from_str(value).map_err(|_| Error::Encode {
                operation,
                message: format!("the value of header `{name}` is not a valid header value"),
            })?;
            request = request.header(name, value);
        }
        if let Some(body) = &call.body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        // The only failure left is a URL reqwest cannot parse, which the base URL
        // check and the path encoding rule out; report it rather than panic.
        request.build().map_err(|source| Error::Encode {
            operation,
            message: format!("the request could not be built: {source}"),
        })
    }

    /// Joins the base URL, the encoded path and the query string.
    fn url(&self, call: &Call) -> Result<String, Error> {
        let path = &call.path;
        // URL parsing removes `.` and `..` segments, so a path parameter equal to
        // one of them would silently address another resource: refuse it.
        if path
            .split('/')
            .any(|segment| segment == "." || segment == "..")
        {
            return Err(Error::Encode {
                operation: call.operation,
                message: "a path parameter is `.` or `..`".to_owned(),
            });
        }
        let mut url = self.inner.base_url.clone();
        if !path.starts_with('/') {
            url.push('/');
        }
        url.push_str(path);
        if !call.query.is_empty() {
            url.push('?');
            url.push_str(&call.query.to_query_string());
        }
        Ok(url)
    }
}

impl fmt::Debug for ClientCore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCore")
            .field("base_url", &self.inner.base_url)
            .field("credentials", &self.inner.credentials)
            .field("user_agent", &self.inner.user_agent)
            .field("timeout", &self.inner.timeout)
            .field("retry", &self.inner.retry)
            .finish_non_exhaustive()
    }
}

/// Checks a base URL and returns it without a trailing `/`.
fn validate_base_url(base_url: &str) -> Result<String, Error> {
    let invalid = |message: &str| Error::InvalidBaseUrl {
        url: redact_userinfo(base_url),
        message: message.to_owned(),
    };
    let url = reqwest::Url::parse(base_url).map_err(|error| invalid(&error.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("the scheme must be http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("the host is missing"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            "credentials belong in `Credentials`, not in the URL",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("the URL must not have a query or a fragment"));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// Replaces the user information of a URL-like string (`user:pass@`) with
/// `<redacted>@`, so a rejected base URL can be shown safely.
fn redact_userinfo(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, url),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let Some((authority, tail)) = rest.split_at_checked(authority_end) else {
        return url.to_owned();
    };
    let Some((_userinfo, host)) = authority.rsplit_once('@') else {
        return url.to_owned();
    };
    match scheme {
        Some(scheme) => format!("{scheme}://<redacted>@{host}{tail}"),
        None => format!("<redacted>@{host}{tail}"),
    }
}

/// Classifies a `reqwest` error as a timeout or a transport failure.
fn transport_error(operation: &'static str, source: reqwest::Error) -> Error {
    if source.is_timeout() {
        Error::Timeout { operation }
    } else {
        Error::Transport { operation, source }
    }
}

/// Decodes the `data` of a success envelope as `T`.
fn decode_data<T: DeserializeOwned>(operation: &'static str, answer: &Answer) -> Result<T, Error> {
    let Answer { status, bytes, .. } = answer;
    let status = *status;
    let decode_error = |path: String, message: String| Error::Decode {
        operation,
        status,
        path,
        message,
        excerpt: excerpt(bytes),
    };
    let decoded = crate::json::from_slice::<Envelope<T>>(bytes);
    let envelope = match decoded {
        Ok(envelope) => envelope,
        Err(crate::json::PathError { path, error }) => {
            // An error envelope inside a 2xx answer does not match `T`, but it is
            // still an API error, not a decoding problem.
            return Err(match LooseEnvelope::parse(bytes) {
                Some(loose) if loose.error == Some(true) => loose.into_error(operation, status),
                _ => {
                    let mut message = error.to_string();
                    if let Some(content_type) =
                        answer.content_type.as_deref().filter(|t| !is_json(t))
                    {
                        message = format!("the answer is `{content_type}`, not JSON: {message}");
                    }
                    decode_error(path, message)
                }
            });
        }
    };
    if envelope.error {
        return Err(match LooseEnvelope::parse(bytes) {
            Some(loose) => loose.into_error(operation, status),
            None => Error::Api {
                operation,
                status,
                reason: Reason::from(envelope.reason),
                message: None,
            },
        });
    }
    match envelope.data {
        Some(data) => Ok(data),
        None => T::deserialize(serde_json::Value::Null)
            .map_err(|_| decode_error("data".to_owned(), "missing field `data`".to_owned())),
    }
}

/// Whether a `Content-Type` names JSON (`application/json`, `…+json`).
fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
        || essence
            .get(essence.len().saturating_sub(5)..)
            .is_some_and(|tail| tail.eq_ignore_ascii_case("+json"))
}

/// Builds the error for a non-2xx answer.
fn api_error(operation: &'static str, answer: &Answer) -> Error {
    if let Some(envelope) = LooseEnvelope::parse(&answer.bytes) {
        return envelope.into_error(operation, answer.status);
    }
    let excerpt = excerpt(&answer.bytes);
    Error::Api {
        operation,
        status: answer.status,
        reason: Reason::for_status(answer.status.as_u16()),
        message: (!excerpt.trim().is_empty()).then_some(excerpt),
    }
}

/// Returns the first [`EXCERPT_CHARS`] characters of a body, lossily decoded.
fn excerpt(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut chars = text.chars();
    let mut excerpt: String = chars.by_ref().take(EXCERPT_CHARS).collect();
    if chars.next().is_some() {
        excerpt.push('…');
    }
    excerpt
}

/// The fields of an envelope that matter for errors, read without a schema.
#[derive(Debug, Deserialize)]
struct LooseEnvelope {
    #[serde(default)]
    error: Option<bool>,
    reason: String,
    #[serde(default)]
    data: Option<serde_json::Value>,
}

impl LooseEnvelope {
    /// Reads the body as an envelope; `None` if it is not a JSON object with a
    /// string `reason`.
    fn parse(bytes: &[u8]) -> Option<Self> {
        serde_json::from_slice(bytes).ok()
    }

    /// Turns the envelope into an [`Error::Api`].
    fn into_error(self, operation: &'static str, status: StatusCode) -> Error {
        let message = self
            .data
            .as_ref()
            .and_then(|data| data.get("message"))
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned);
        Error::Api {
            operation,
            status,
            reason: Reason::from(self.reason),
            message,
        }
    }
}

#[cfg(test)]
mod tests;
