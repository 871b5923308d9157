//! [`ClientCore`]: sends one request with Crisp's authentication and unwraps the answer.

use std::fmt;
use std::time::Duration;

use http::header::{ACCEPT, CONTENT_TYPE, HeaderValue, USER_AGENT};
use http::{Method, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::error::reason_for_status;
use super::{Credentials, Error, HeaderPairs, QueryPairs};
use crate::Envelope;

/// The base URL of Crisp's REST API.
pub const DEFAULT_BASE_URL: &str = "https://api.crisp.chat/v1";

/// The header that tells Crisp which tier the token belongs to.
const TIER_HEADER: &str = "x-crisp-tier";

/// The `User-Agent` sent unless [`ClientCore::with_user_agent`] sets another.
const DEFAULT_USER_AGENT: &str = concat!("crisp-runtime/", env!("CARGO_PKG_VERSION"));

/// How much of a body an error keeps, in characters.
const EXCERPT_CHARS: usize = 200;

/// The shared state of a generated client: HTTP client, base URL, credentials
/// and user agent. Clones share the HTTP client and its connection pool.
///
/// The `Debug` output never shows the key.
#[derive(Clone)]
pub struct ClientCore {
    http: reqwest::Client,
    base_url: String,
    credentials: Credentials,
    user_agent: HeaderValue,
}

impl ClientCore {
    /// Creates a client core with a default HTTP client: 30 s timeout per
    /// request, 10 s connect timeout.
    ///
    /// `base_url` is usually [`DEFAULT_BASE_URL`]; a trailing `/` is ignored.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidBaseUrl`] if the URL is not an `http` or `https` URL with a
    /// host (user information, a query or a fragment are rejected too), and
    /// [`Error::HttpClient`] if the HTTP client cannot be built.
    pub fn new(credentials: Credentials, base_url: &str) -> Result<Self, Error> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|source| Error::HttpClient { source })?;
        Self::with_http_client(credentials, base_url, http)
    }

    /// Creates a client core around an HTTP client you configured yourself
    /// (timeouts, proxy, TLS); the authentication headers are added per request.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidBaseUrl`] if the URL is not usable, as for [`ClientCore::new`].
    pub fn with_http_client(
        credentials: Credentials,
        base_url: &str,
        http: reqwest::Client,
    ) -> Result<Self, Error> {
        Ok(Self {
            http,
            base_url: validate_base_url(base_url)?,
            credentials,
            user_agent: HeaderValue::from_static(DEFAULT_USER_AGENT),
        })
    }

    /// Replaces the `User-Agent` header sent with every request.
    #[must_use]
    pub fn with_user_agent(mut self, user_agent: HeaderValue) -> Self {
        self.user_agent = user_agent;
        self
    }

    /// Returns the base URL, without a trailing `/`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Returns the credentials requests are authenticated with.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// Returns the `User-Agent` header sent with every request.
    pub fn user_agent(&self) -> &HeaderValue {
        &self.user_agent
    }

    /// Returns the underlying HTTP client.
    pub fn http_client(&self) -> &reqwest::Client {
        &self.http
    }

    /// Sends a request and returns the envelope's `data` decoded as `T`.
    ///
    /// `path` is already percent-encoded and starts with `/`; it is appended to
    /// the base URL. `body`, when present, is sent as `application/json`.
    ///
    /// When the envelope has no `data`, `T` is decoded from `null`, so `()` and
    /// `Option<_>` succeed and other types fail with [`Error::Decode`] at `data`.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] for an error answer, [`Error::Decode`] when a success does
    /// not match `T`, [`Error::Timeout`] and [`Error::Transport`] when the request
    /// does not complete, [`Error::Encode`] when `path` contains a `.` or `..`
    /// segment (which URL normalization would silently remove).
    pub async fn send_json<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        method: Method,
        path: String,
        query: QueryPairs,
        headers: HeaderPairs,
        body: Option<Vec<u8>>,
    ) -> Result<T, Error> {
        let (status, bytes) = self.send(operation, method, &path, &query, &headers, body).await?;
        if !status.is_success() {
            return Err(api_error(operation, status, &bytes));
        }
        decode_data(operation, status, &bytes)
    }

    /// Sends a request whose answer carries no useful `data`.
    ///
    /// # Errors
    ///
    /// As [`ClientCore::send_json`], except that the body of a success is only
    /// checked for an envelope with `"error": true` (an empty or non-JSON body is
    /// accepted).
    pub async fn send_unit(
        &self,
        operation: &'static str,
        method: Method,
        path: String,
        query: QueryPairs,
        headers: HeaderPairs,
        body: Option<Vec<u8>>,
    ) -> Result<(), Error> {
        let (status, bytes) = self.send(operation, method, &path, &query, &headers, body).await?;
        if !status.is_success() {
            return Err(api_error(operation, status, &bytes));
        }
        match LooseEnvelope::parse(&bytes) {
            Some(envelope) if envelope.error == Some(true) => {
                Err(envelope.into_error(operation, status))
            }
            _ => Ok(()),
        }
    }

    /// Sends a `HEAD` request: `Ok(true)` for a 2xx answer, `Ok(false)` for 404.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] for any other status, with a reason derived from it (a
    /// `HEAD` answer has no body), and the errors of [`ClientCore::send_json`]
    /// when the request does not complete.
    pub async fn send_head(
        &self,
        operation: &'static str,
        path: String,
        query: QueryPairs,
        headers: HeaderPairs,
    ) -> Result<bool, Error> {
        let (status, bytes) = self
            .send(operation, Method::HEAD, &path, &query, &headers, None)
            .await?;
        if status.is_success() {
            Ok(true)
        } else if status == StatusCode::NOT_FOUND {
            Ok(false)
        } else {
            Err(api_error(operation, status, &bytes))
        }
    }

    /// Sends one request and reads its whole body.
    async fn send(
        &self,
        operation: &'static str,
        method: Method,
        path: &str,
        query: &QueryPairs,
        headers: &HeaderPairs,
        body: Option<Vec<u8>>,
    ) -> Result<(StatusCode, bytes::Bytes), Error> {
        let url = self.url(operation, path, query)?;
        let mut request = self
            .http
            .request(method, url)
            .basic_auth(self.credentials.identifier(), Some(self.credentials.key()))
            .header(TIER_HEADER, self.credentials.tier().as_str())
            .header(USER_AGENT, self.user_agent.clone())
            .header(ACCEPT, "application/json");
        for (name, value) in headers.iter() {
            let name = http::HeaderName::from_bytes(name.as_bytes()).map_err(|_| Error::Encode {
                operation,
                message: format!("`{name}` is not a valid header name"),
            })?;
            let value = HeaderValue::from_str(value).map_err(|_| Error::Encode {
                operation,
                message: format!("the value of header `{name}` is not a valid header value"),
            })?;
            request = request.header(name, value);
        }
        if let Some(body) = body {
            request = request.header(CONTENT_TYPE, "application/json").body(body);
        }
        let response = request
            .send()
            .await
            .map_err(|source| transport_error(operation, source))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|source| transport_error(operation, source))?;
        Ok((status, bytes))
    }

    /// Joins the base URL, the encoded path and the query string.
    fn url(
        &self,
        operation: &'static str,
        path: &str,
        query: &QueryPairs,
    ) -> Result<String, Error> {
        // URL parsing removes `.` and `..` segments, so a path parameter equal to
        // one of them would silently address another resource: refuse it.
        if path
            .split('/')
            .any(|segment| segment == "." || segment == "..")
        {
            return Err(Error::Encode {
                operation,
                message: "a path parameter is `.` or `..`".to_owned(),
            });
        }
        let mut url = self.base_url.clone();
        if !path.starts_with('/') {
            url.push('/');
        }
        url.push_str(path);
        if !query.is_empty() {
            url.push('?');
            url.push_str(&query.to_query_string());
        }
        Ok(url)
    }
}

impl fmt::Debug for ClientCore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCore")
            .field("base_url", &self.base_url)
            .field("credentials", &self.credentials)
            .field("user_agent", &self.user_agent)
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
fn decode_data<T: DeserializeOwned>(
    operation: &'static str,
    status: StatusCode,
    bytes: &[u8],
) -> Result<T, Error> {
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
                _ => decode_error(path, error.to_string()),
            });
        }
    };
    if envelope.error {
        return Err(match LooseEnvelope::parse(bytes) {
            Some(loose) => loose.into_error(operation, status),
            None => Error::Api {
                operation,
                status,
                reason: envelope.reason,
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

/// Builds the error for a non-2xx answer.
fn api_error(operation: &'static str, status: StatusCode, bytes: &[u8]) -> Error {
    if let Some(envelope) = LooseEnvelope::parse(bytes) {
        return envelope.into_error(operation, status);
    }
    let excerpt = excerpt(bytes);
    Error::Api {
        operation,
        status,
        reason: reason_for_status(status),
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
            reason: self.reason,
            message,
        }
    }
}

#[cfg(test)]
mod tests;
