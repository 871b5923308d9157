//! [`ClientBuilder`]: the typed builder of a generated client, where choosing the token also
//! fixes the client's tier in its type.

use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use super::tier::{ClientTier, Dynamic, NoCredentials, Plugin, User};
use super::{ClientConfig, ClientCore, Credentials, Error, RetryPolicy};
use crate::Tier;

/// A generated client type, one per tier marker, made from a built [`ClientCore`].
///
/// The generated crate implements it for its `Client<T>`; it is what lets one builder here
/// serve the clients of any spec.
#[doc(hidden)]
pub trait FromCore: Sized {
    /// The tier marker of this client type.
    type Tier;
    /// The same client type for the tier marker `U`.
    type WithTier<U>: FromCore<Tier = U>;
    /// Wraps a built core.
    fn from_core(core: ClientCore) -> Self;
}

/// Builds a client from a complete configuration, checking that its credentials are of the
/// tier of `C` (the generated `Client::from_config` and `from_env`).
///
/// # Errors
///
/// [`Error::Config`] when the credentials are missing or of another tier, and the errors of
/// [`ClientConfig::build`].
#[doc(hidden)]
pub fn client_from_config<C>(config: ClientConfig) -> Result<C, Error>
where
    C: FromCore,
    C::Tier: ClientTier,
{
    if let Some(tier) = config.tier() {
        C::Tier::check(tier)?;
    }
    Ok(C::from_core(config.build()?))
}

/// Builds a client: credentials first, then any setting, then [`build`](Self::build).
///
/// `C` is the client it builds; its tier marker records the credentials' tier, so `build`
/// only exists once they are given, and the client it returns may call only the operations
/// of that tier. The `Debug` output never shows the token key.
#[must_use]
pub struct ClientBuilder<C> {
    config: ClientConfig,
    client: PhantomData<fn() -> C>,
}

impl<C> Clone for ClientBuilder<C> {
    fn clone(&self) -> Self {
        Self {
            config: self.config.clone(),
            client: PhantomData,
        }
    }
}

impl<C> fmt::Debug for ClientBuilder<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("config", &self.config)
            .finish()
    }
}

impl<C: FromCore<Tier = NoCredentials>> ClientBuilder<C> {
    /// A builder with the default settings and no credentials yet.
    pub fn new() -> Self {
        Self {
            config: ClientConfig::new(),
            client: PhantomData,
        }
    }
}

impl<C: FromCore<Tier = NoCredentials>> Default for ClientBuilder<C> {
    fn default() -> Self {
        Self::new()
    }
}

impl<C: FromCore> ClientBuilder<C> {
    fn with<D>(self, change: impl FnOnce(ClientConfig) -> ClientConfig) -> ClientBuilder<D> {
        ClientBuilder {
            config: change(self.config),
            client: PhantomData,
        }
    }

    /// Uses a plugin token: the client can call plugin operations.
    pub fn plugin(
        self,
        identifier: impl Into<String>,
        key: impl Into<String>,
    ) -> ClientBuilder<C::WithTier<Plugin>> {
        self.with(|config| config.credentials(Credentials::new(identifier, key, Tier::Plugin)))
    }

    /// Uses a user token: the client can call user operations.
    pub fn user(
        self,
        identifier: impl Into<String>,
        key: impl Into<String>,
    ) -> ClientBuilder<C::WithTier<User>> {
        self.with(|config| config.credentials(Credentials::new(identifier, key, Tier::User)))
    }

    /// Uses credentials whose tier is only known at run time: every operation is callable,
    /// and Crisp refuses those the tier may not call.
    pub fn credentials(self, credentials: Credentials) -> ClientBuilder<C::WithTier<Dynamic>> {
        self.with(|config| config.credentials(credentials))
    }

    /// Sends requests to another base URL, such as a local sandbox.
    pub fn base_url(self, base_url: impl Into<String>) -> Self {
        self.with(|config| config.base_url(base_url))
    }

    /// Sets the time after which one attempt of a request is abandoned (default 30 s; `None`
    /// waits for ever).
    pub fn timeout(self, timeout: Option<Duration>) -> Self {
        self.with(|config| config.timeout(timeout))
    }

    /// Sets the time allowed to open a connection (default 10 s).
    pub fn connect_timeout(self, timeout: Duration) -> Self {
        self.with(|config| config.connect_timeout(timeout))
    }

    /// Sets the retry policy; [`RetryPolicy::disabled`] turns retries off.
    pub fn retry(self, retry: RetryPolicy) -> Self {
        self.with(|config| config.retry(retry))
    }

    /// Sets the `User-Agent` header.
    pub fn user_agent(self, user_agent: impl Into<String>) -> Self {
        self.with(|config| config.user_agent(user_agent))
    }

    /// Sends requests through an existing `reqwest::Client` (its connect timeout, proxy and
    /// TLS settings apply).
    pub fn http_client(self, http: reqwest::Client) -> Self {
        self.with(|config| config.http_client(http))
    }
}

impl<C> ClientBuilder<C>
where
    C: FromCore,
    C::Tier: ClientTier,
{
    /// Builds the client.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidBaseUrl`] for a base URL that is not an `http` or `https` URL with a
    /// host, [`Error::Config`] for a user agent that is not a header value, and
    /// [`Error::HttpClient`] when the HTTP client cannot be built.
    pub fn build(self) -> Result<C, Error> {
        client_from_config(self.config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client type as the generator writes one.
    struct Fake<T> {
        core: ClientCore,
        tier: PhantomData<T>,
    }

    impl<T> FromCore for Fake<T> {
        type Tier = T;
        type WithTier<U> = Fake<U>;
        fn from_core(core: ClientCore) -> Self {
            Fake {
                core,
                tier: PhantomData,
            }
        }
    }

    fn builder() -> ClientBuilder<Fake<NoCredentials>> {
        ClientBuilder::new()
    }

    #[test]
    fn the_token_chosen_is_the_tier_of_the_client_built() {
        let plugin: Fake<Plugin> = builder().plugin("id", "key").build().expect("builds");
        assert_eq!(plugin.core.credentials().tier(), Tier::Plugin);
        let user: Fake<User> = builder().user("id", "key").build().expect("builds");
        assert_eq!(user.core.credentials().tier(), Tier::User);
        let dynamic: Fake<Dynamic> = builder()
            .credentials(Credentials::new("id", "key", Tier::User))
            .build()
            .expect("builds");
        assert_eq!(dynamic.core.credentials().tier(), Tier::User);
        assert_eq!(dynamic.tier, PhantomData);
    }

    #[test]
    fn settings_reach_the_core() {
        let client: Fake<Plugin> = builder()
            .base_url("http://127.0.0.1:1/v1")
            .plugin("id", "key")
            .timeout(None)
            .connect_timeout(Duration::from_secs(1))
            .retry(RetryPolicy::disabled())
            .user_agent("bot/1")
            .build()
            .expect("builds");
        assert_eq!(client.core.base_url(), "http://127.0.0.1:1/v1");
        assert_eq!(client.core.credentials().identifier(), "id");
    }

    #[test]
    fn a_bad_setting_is_an_error_at_build() {
        let bad_url = builder().plugin("id", "key").base_url("ftp://x").build();
        assert!(matches!(bad_url, Err(Error::InvalidBaseUrl { .. })));
        let bad_agent = builder().plugin("id", "key").user_agent("a\nb").build();
        assert!(matches!(bad_agent, Err(Error::Config { .. })));
    }

    #[test]
    fn a_configuration_of_another_tier_is_refused() {
        let config = ClientConfig::new().credentials(Credentials::new("id", "key", Tier::User));
        let refused = client_from_config::<Fake<Plugin>>(config.clone());
        assert!(
            matches!(&refused, Err(Error::Config { message }) if message.contains("`user`")),
            "{:?}",
            refused.err()
        );
        assert!(client_from_config::<Fake<Dynamic>>(config).is_ok());
        let missing = client_from_config::<Fake<Plugin>>(ClientConfig::new());
        assert!(matches!(missing, Err(Error::Config { .. })));
    }

    #[test]
    fn debug_never_shows_the_key() {
        let debug = format!("{:?}", builder().plugin("id-1", "s3cr3t"));
        assert!(debug.contains("id-1"), "{debug}");
        assert!(!debug.contains("s3cr3t"), "{debug}");
    }
}
