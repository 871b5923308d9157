//! Authentication: parsing Crisp's Basic credentials and checking them.

use std::fmt;
use std::future::Future;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_PAD_INDIFFERENT;
use http::HeaderMap;
use http::header::AUTHORIZATION;

use super::ApiError;
use crate::Credentials;
use crate::Scopes;
use crate::Tier;

/// The header that says which tier the token belongs to.
const TIER_HEADER: &str = "x-crisp-tier";

/// Reads `Authorization: Basic base64(identifier:key)` and `X-Crisp-Tier`.
///
/// The scheme is matched ignoring case, base64 padding is optional, and the
/// tier is `user` or `plugin` in any case.
///
/// # Errors
///
/// 401 `invalid_session` if either header is missing or malformed. The message
/// says what is wrong but never repeats the header's content.
pub fn credentials_from_headers(headers: &HeaderMap) -> Result<Credentials, ApiError> {
    let authorization = headers
        .get(AUTHORIZATION)
        .ok_or_else(|| ApiError::invalid_session("missing Authorization header"))?;
    let authorization = authorization
        .to_str()
        .map_err(|_| ApiError::invalid_session("the Authorization header is not valid ASCII"))?;
    let encoded = match authorization.trim().split_once(' ') {
        Some((scheme, encoded)) if scheme.eq_ignore_ascii_case("basic") => encoded.trim(),
        _ => {
            return Err(ApiError::invalid_session(
                "the Authorization header must use the Basic scheme",
            ));
        }
    };
    let decoded = STANDARD_PAD_INDIFFERENT
        .decode(encoded)
        .map_err(|_| ApiError::invalid_session("the Basic credentials are not valid base64"))?;
    let decoded = String::from_utf8(decoded)
        .map_err(|_| ApiError::invalid_session("the Basic credentials are not valid UTF-8"))?;
    let (identifier, key) = decoded.split_once(':').ok_or_else(|| {
        ApiError::invalid_session("the Basic credentials must have the form `identifier:key`")
    })?;
    if identifier.is_empty() || key.is_empty() {
        return Err(ApiError::invalid_session(
            "the Basic credentials have an empty identifier or key",
        ));
    }

    let tier = headers
        .get(TIER_HEADER)
        .ok_or_else(|| ApiError::invalid_session("missing X-Crisp-Tier header"))?;
    let tier = tier
        .to_str()
        .ok()
        .and_then(|tier| tier.trim().parse::<Tier>().ok())
        .ok_or_else(|| {
            ApiError::invalid_session("the X-Crisp-Tier header must be `user` or `plugin`")
        })?;

    Ok(Credentials {
        identifier: identifier.to_owned(),
        key: key.to_owned(),
        tier,
    })
}

/// Who is calling, as established by an [`Authenticate`] implementation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The token identifier.
    pub identifier: String,
    /// The token tier.
    pub tier: Tier,
    /// The plugin scopes the token holds (ignored for user tokens).
    pub scopes: Scopes,
}

impl Caller {
    /// A caller holding every scope.
    pub fn new(identifier: impl Into<String>, tier: Tier) -> Self {
        Caller {
            identifier: identifier.into(),
            tier,
            scopes: Scopes::all(),
        }
    }

    /// The same caller, holding only `scopes`.
    #[must_use]
    pub fn with_scopes(mut self, scopes: Scopes) -> Self {
        self.scopes = scopes;
        self
    }
}

/// Checks the credentials of a request; implemented by the server's owner.
pub trait Authenticate: Send + Sync + 'static {
    /// Returns who is calling, or an error (usually 401 `invalid_session`, or
    /// 403 `not_allowed`) if the credentials are not accepted.
    fn authenticate(
        &self,
        credentials: Credentials,
    ) -> impl Future<Output = Result<Caller, ApiError>> + Send;
}

/// Parses the credentials from the headers and checks them with `auth`.
///
/// # Errors
///
/// The error of [`credentials_from_headers`] or of `auth`.
pub async fn authenticate<A: Authenticate>(
    auth: &A,
    headers: &HeaderMap,
) -> Result<Caller, ApiError> {
    let credentials = credentials_from_headers(headers)?;
    auth.authenticate(credentials).await
}

/// An [`Authenticate`] implementation that accepts a fixed list of tokens.
///
/// Keys are compared in constant time for a given length. The `Debug` output
/// lists identifiers and tiers only.
#[derive(Clone, Default)]
pub struct StaticTokens {
    tokens: Vec<(Credentials, Scopes)>,
}

impl StaticTokens {
    /// Creates an empty list, which accepts nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Returns the list with one more accepted token.
    #[must_use]
    pub fn with_token(
        mut self,
        tier: Tier,
        identifier: impl Into<String>,
        key: impl Into<String>,
    ) -> Self {
        self.insert(tier, identifier, key);
        self
    }

    /// Returns the list with one more accepted token, holding only `scopes`.
    #[must_use]
    pub fn with_scoped_token(
        mut self,
        tier: Tier,
        identifier: impl Into<String>,
        key: impl Into<String>,
        scopes: Scopes,
    ) -> Self {
        self.tokens
            .push((Credentials::new(identifier, key, tier), scopes));
        self
    }

    /// Adds an accepted token holding every scope.
    pub fn insert(&mut self, tier: Tier, identifier: impl Into<String>, key: impl Into<String>) {
        self.tokens
            .push((Credentials::new(identifier, key, tier), Scopes::all()));
    }

    /// Returns the scopes of the token the credentials match, if any.
    fn accepts(&self, credentials: &Credentials) -> Option<Scopes> {
        // Every token is compared, so the time taken does not reveal which one matched.
        self.tokens.iter().fold(None, |found, (token, scopes)| {
            let matches = token.tier == credentials.tier
                && token.identifier == credentials.identifier
                && constant_time_eq(token.key.as_bytes(), credentials.key.as_bytes());
            if matches && found.is_none() {
                Some(scopes.clone())
            } else {
                found
            }
        })
    }
}

impl fmt::Debug for StaticTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tokens: Vec<(&Credentials, String)> = self
            .tokens
            .iter()
            .map(|(token, scopes)| (token, scopes.to_string()))
            .collect();
        f.debug_struct("StaticTokens")
            .field("tokens", &tokens)
            .finish()
    }
}

impl Authenticate for StaticTokens {
    async fn authenticate(&self, credentials: Credentials) -> Result<Caller, ApiError> {
        match self.accepts(&credentials) {
            Some(scopes) => {
                Ok(Caller::new(credentials.identifier, credentials.tier).with_scopes(scopes))
            }
            None => Err(ApiError::invalid_session("the credentials are not valid")),
        }
    }
}

/// Compares two byte strings without stopping at the first difference.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    const KEY: &str = "s3cr3t-key";

    fn headers(authorization: Option<&str>, tier: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(authorization) = authorization {
            headers.insert(AUTHORIZATION, HeaderValue::from_str(authorization).unwrap());
        }
        if let Some(tier) = tier {
            headers.insert(TIER_HEADER, HeaderValue::from_str(tier).unwrap());
        }
        headers
    }

    fn basic(user_pass: &str) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(user_pass)
        )
    }

    fn rejected(headers: &HeaderMap) -> ApiError {
        let error = credentials_from_headers(headers).unwrap_err();
        assert_eq!(error.status(), http::StatusCode::UNAUTHORIZED);
        assert_eq!(error.reason(), "invalid_session");
        assert!(!error.message().contains(KEY), "{error}");
        assert!(!error.to_string().contains(KEY), "{error}");
        assert!(!format!("{error:?}").contains(KEY), "{error:?}");
        error
    }

    #[test]
    fn parses_good_credentials() {
        let auth = basic(&format!("id-1:{KEY}"));
        let credentials = credentials_from_headers(&headers(Some(&auth), Some("Plugin"))).unwrap();
        assert_eq!(credentials.identifier(), "id-1");
        assert_eq!(credentials.key(), KEY);
        assert_eq!(credentials.tier(), Tier::Plugin);
        assert!(!format!("{credentials:?}").contains(KEY));

        // The key may contain colons; only the first one separates.
        let auth = basic("id-1:a:b");
        let credentials = credentials_from_headers(&headers(Some(&auth), Some("user"))).unwrap();
        assert_eq!(credentials.key(), "a:b");

        // Lower-case scheme and missing padding are accepted.
        let auth = format!(
            "basic {}",
            base64::engine::general_purpose::STANDARD_NO_PAD.encode("ab:c")
        );
        let credentials = credentials_from_headers(&headers(Some(&auth), Some("user"))).unwrap();
        assert_eq!(credentials.identifier(), "ab");
    }

    #[test]
    fn rejects_bad_credentials_without_leaking_the_key() {
        let good = basic(&format!("id-1:{KEY}"));
        let error = rejected(&headers(None, Some("user")));
        assert_eq!(error.message(), "missing Authorization header");
        let error = rejected(&headers(Some(&format!("Bearer {KEY}")), Some("user")));
        assert!(error.message().contains("Basic scheme"));
        let error = rejected(&headers(Some(&format!("Basic {KEY}!")), Some("user")));
        assert!(error.message().contains("base64"));
        let error = rejected(&headers(Some(&basic(KEY)), Some("user")));
        assert!(error.message().contains("identifier:key"));
        let error = rejected(&headers(Some(&basic(&format!(":{KEY}"))), Some("user")));
        assert!(error.message().contains("empty"));
        let error = rejected(&headers(Some("Basic"), Some("user")));
        assert!(error.message().contains("Basic scheme"));
        let error = rejected(&headers(Some(&good), None));
        assert_eq!(error.message(), "missing X-Crisp-Tier header");
        let error = rejected(&headers(Some(&good), Some("admin")));
        assert!(error.message().contains("X-Crisp-Tier"));

        let mut invalid_utf8 = headers(None, Some("user"));
        let encoded = base64::engine::general_purpose::STANDARD.encode(b"id:\xff\xfe");
        invalid_utf8.insert(
            AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {encoded}")).unwrap(),
        );
        rejected(&invalid_utf8);
    }

    #[tokio::test]
    async fn static_tokens_accept_only_listed_tokens() {
        let tokens = StaticTokens::new()
            .with_token(Tier::Plugin, "id-1", KEY)
            .with_token(Tier::User, "id-2", "other");
        assert!(!format!("{tokens:?}").contains(KEY));

        let auth = basic(&format!("id-1:{KEY}"));
        let caller = authenticate(&tokens, &headers(Some(&auth), Some("plugin")))
            .await
            .unwrap();
        assert_eq!(
            caller,
            Caller {
                identifier: "id-1".to_owned(),
                tier: Tier::Plugin,
                scopes: Scopes::all(),
            }
        );

        for (auth, tier) in [
            (basic(&format!("id-1:{KEY}")), "user"),
            (basic("id-1:wrong"), "plugin"),
            (basic(&format!("id-2:{KEY}")), "user"),
            (basic(&format!("id-1:{KEY}x")), "plugin"),
        ] {
            let error = authenticate(&tokens, &headers(Some(&auth), Some(tier)))
                .await
                .unwrap_err();
            assert_eq!(error.status(), http::StatusCode::UNAUTHORIZED);
            assert!(!error.to_string().contains(KEY));
        }

        let error = authenticate(&StaticTokens::new(), &headers(Some(&auth), Some("plugin")))
            .await
            .unwrap_err();
        assert_eq!(error.reason(), "invalid_session");
    }

    #[test]
    fn constant_time_comparison() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
