//! [`ClientConfig`]: everything a client is built from.

use std::fmt;
use std::time::Duration;

use http::header::HeaderValue;

use super::core::DEFAULT_USER_AGENT;
use super::{ClientCore, Credentials, DEFAULT_BASE_URL, Error, RetryPolicy};
use crate::Tier;

/// The environment variable holding the token identifier.
pub const ENV_IDENTIFIER: &str = "CRISP_IDENTIFIER";
/// The environment variable holding the token key.
pub const ENV_KEY: &str = "CRISP_KEY";
/// The environment variable holding the token tier, `plugin` or `user`.
pub const ENV_TIER: &str = "CRISP_TIER";
/// The environment variable that may hold another base URL.
pub const ENV_BASE_URL: &str = "CRISP_BASE_URL";

/// The settings a client is built from: credentials, base URL, timeouts, retry
/// policy, user agent and, optionally, an HTTP client to reuse.
///
/// Defaults: [`DEFAULT_BASE_URL`], a 30 s timeout for each attempt of a request
/// (connecting, sending and reading the answer), a 10 s connect timeout, the
/// default [`RetryPolicy`], and a `User-Agent` naming this crate.
///
/// The generated crate wraps it in a typed builder (`Client::builder()`); the
/// `Debug` output never shows the key.
#[derive(Clone)]
pub struct ClientConfig {
    credentials: Option<Credentials>,
    base_url: String,
    timeout: Option<Duration>,
    connect_timeout: Duration,
    retry: RetryPolicy,
    user_agent: Option<String>,
    http: Option<reqwest::Client>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl ClientConfig {
    /// The default settings, without credentials yet (see [`ClientConfig::credentials`]).
    pub fn new() -> Self {
        Self {
            credentials: None,
            base_url: DEFAULT_BASE_URL.to_owned(),
            timeout: Some(Duration::from_secs(30)),
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            user_agent: None,
            http: None,
        }
    }

    /// Reads the settings from the process environment: `CRISP_IDENTIFIER`,
    /// `CRISP_KEY`, `CRISP_TIER` (`plugin` or `user`) and, when set,
    /// `CRISP_BASE_URL`.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when a variable is missing, empty or not Unicode, or
    /// the tier is neither `plugin` nor `user`. The message names the
    /// variable, never the key's value.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_env_for(None)
    }

    /// As [`ClientConfig::from_env`] for a client whose type fixes the tier:
    /// `CRISP_TIER` may then be left out, and must name that tier when set.
    ///
    /// # Errors
    ///
    /// As [`ClientConfig::from_lookup`].
    pub fn from_env_for(tier: Option<Tier>) -> Result<Self, Error> {
        Self::from_lookup(|name| std::env::var(name).ok(), tier)
    }

    /// As [`ClientConfig::from_env`], reading variables through `lookup`. When
    /// `tier` is given (the client's type fixes it), `CRISP_TIER` may be left
    /// out; when it is set anyway, it must name that tier.
    ///
    /// # Errors
    ///
    /// As [`ClientConfig::from_env`], and [`Error::Config`] when `CRISP_TIER`
    /// names another tier than `tier`.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
        tier: Option<Tier>,
    ) -> Result<Self, Error> {
        let required = |name: &str| {
            lookup(name)
                .filter(|value| !value.trim().is_empty())
                .ok_or_else(|| Error::Config {
                    message: format!("the environment variable `{name}` is not set"),
                })
        };
        let identifier = required(ENV_IDENTIFIER)?;
        let key = required(ENV_KEY)?;
        let named = lookup(ENV_TIER)
            .filter(|value| !value.trim().is_empty())
            .map(|value| {
                value.trim().parse::<Tier>().map_err(|_| Error::Config {
                    message: format!("`{ENV_TIER}` must be `plugin` or `user`"),
                })
            })
            .transpose()?;
        let tier = match (named, tier) {
            (Some(named), Some(expected)) if named != expected => {
                return Err(Error::Config {
                    message: format!(
                        "`{ENV_TIER}` is `{named}`, but this client is for `{expected}` tokens"
                    ),
                });
            }
            (Some(tier), _) | (None, Some(tier)) => tier,
            (None, None) => {
                return Err(Error::Config {
                    message: format!("the environment variable `{ENV_TIER}` is not set"),
                });
            }
        };
        let mut config =
            Self::new().credentials(Credentials::new(identifier.trim(), key.trim(), tier));
        if let Some(base_url) = lookup(ENV_BASE_URL).filter(|value| !value.trim().is_empty()) {
            config.base_url = base_url.trim().to_owned();
        }
        Ok(config)
    }

    /// Sets the credentials requests are authenticated with.
    #[must_use]
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Sends requests to another base URL (a local sandbox, a proxy); a
    /// trailing `/` is ignored.
    #[must_use]
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    /// Sets the time after which one attempt of a request is abandoned with
    /// [`Error::Timeout`]; `None` waits for ever.
    #[must_use]
    pub fn timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the time allowed to open a connection. Ignored with
    /// [`ClientConfig::http_client`], whose own setting applies.
    #[must_use]
    pub fn connect_timeout(mut self, connect_timeout: Duration) -> Self {
        self.connect_timeout = connect_timeout;
        self
    }

    /// Sets the retry policy; [`RetryPolicy::disabled`] turns retries off.
    #[must_use]
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Sets the `User-Agent` header sent with every request.
    #[must_use]
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// Sends requests through an HTTP client you configured (proxy, TLS,
    /// connection pool shared with the rest of your program).
    #[must_use]
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Returns the tier of the credentials, once they are set.
    pub fn tier(&self) -> Option<Tier> {
        self.credentials.as_ref().map(Credentials::tier)
    }

    /// Builds the client core.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidBaseUrl`] if the base URL is not an `http` or `https`
    /// URL with a host (user information, a query or a fragment are refused
    /// too), [`Error::Config`] if the credentials are missing or the user agent
    /// is not a valid header value, and [`Error::HttpClient`] if the default
    /// HTTP client cannot be built.
    pub fn build(self) -> Result<ClientCore, Error> {
        let credentials = self.credentials.ok_or_else(|| Error::Config {
            message: "no credentials: set a token identifier, key and tier".to_owned(),
        })?;
        let user_agent = match self.user_agent {
            None => HeaderValue::from_static(DEFAULT_USER_AGENT),
            Some(user_agent) => HeaderValue::from_str(&user_agent).map_err(|_| Error::Config {
                message: "the user agent is not a valid header value".to_owned(),
            })?,
        };
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .connect_timeout(self.connect_timeout)
                .build()
                .map_err(|source| Error::HttpClient { source })?,
        };
        ClientCore::from_parts(
            http,
            &self.base_url,
            credentials,
            user_agent,
            self.timeout,
            self.retry,
        )
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("credentials", &self.credentials)
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("retry", &self.retry)
            .field("user_agent", &self.user_agent)
            .field("http", &self.http.as_ref().map(|_| "custom"))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        move |name| vars.get(name).cloned()
    }

    #[test]
    fn reads_the_environment() {
        let config = ClientConfig::from_lookup(
            lookup(&[
                ("CRISP_IDENTIFIER", "id-1"),
                ("CRISP_KEY", "k3y-s3cret"),
                ("CRISP_TIER", "user"),
                ("CRISP_BASE_URL", "http://127.0.0.1:1234/v1"),
            ]),
            None,
        )
        .unwrap();
        assert_eq!(config.tier(), Some(Tier::User));
        let core = config.build().unwrap();
        assert_eq!(core.base_url(), "http://127.0.0.1:1234/v1");
        assert_eq!(core.credentials().identifier(), "id-1");
        assert!(!format!("{core:?}").contains("k3y-s3cret"));
    }

    #[test]
    fn missing_or_bad_variables_are_named_without_the_key() {
        let error = ClientConfig::from_lookup(
            lookup(&[("CRISP_IDENTIFIER", "id-1"), ("CRISP_TIER", "plugin")]),
            None,
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid client configuration: the environment variable `CRISP_KEY` is not set"
        );
        let error = ClientConfig::from_lookup(
            lookup(&[
                ("CRISP_IDENTIFIER", "id-1"),
                ("CRISP_KEY", "k3y-s3cret"),
                ("CRISP_TIER", "admin"),
            ]),
            None,
        )
        .unwrap_err();
        assert!(
            error
                .to_string()
                .contains("`CRISP_TIER` must be `plugin` or `user`")
        );
        assert!(!format!("{error} {error:?}").contains("k3y-s3cret"));
    }

    #[test]
    fn a_tier_fixed_by_the_type_makes_the_variable_optional() {
        let token = [("CRISP_IDENTIFIER", "id-1"), ("CRISP_KEY", "k3y-s3cret")];
        let config = ClientConfig::from_lookup(lookup(&token), Some(Tier::Plugin)).unwrap();
        assert_eq!(config.tier(), Some(Tier::Plugin));
        let error = ClientConfig::from_lookup(lookup(&token), None).unwrap_err();
        assert!(
            error.to_string().contains("`CRISP_TIER` is not set"),
            "{error}"
        );
        let user = [
            ("CRISP_IDENTIFIER", "id-1"),
            ("CRISP_KEY", "k3y-s3cret"),
            ("CRISP_TIER", "user"),
        ];
        let error = ClientConfig::from_lookup(lookup(&user), Some(Tier::Plugin)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid client configuration: `CRISP_TIER` is `user`, but this client is for `plugin` tokens"
        );
    }

    #[test]
    fn settings_apply() {
        let config = ClientConfig::new()
            .credentials(Credentials::new("id", "k3y-s3cret", Tier::Plugin))
            .base_url("http://localhost:8080/v1/")
            .timeout(Some(Duration::from_secs(5)))
            .retry(RetryPolicy::disabled())
            .user_agent("my-bot/1.0");
        let debug = format!("{config:?}");
        assert!(!debug.contains("k3y-s3cret"), "{debug}");
        let core = config.build().unwrap();
        assert_eq!(core.base_url(), "http://localhost:8080/v1");
        assert_eq!(core.timeout(), Some(Duration::from_secs(5)));
        assert_eq!(core.retry_policy().max_attempts(), 1);
        assert_eq!(core.user_agent(), "my-bot/1.0");
        let error = ClientConfig::new()
            .credentials(Credentials::new("id", "k", Tier::Plugin))
            .user_agent("bad\nagent")
            .build()
            .unwrap_err();
        assert!(matches!(error, Error::Config { .. }));
        let error = ClientConfig::new().build().unwrap_err();
        assert!(error.to_string().contains("no credentials"), "{error}");
    }
}
