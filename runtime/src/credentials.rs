//! A Crisp token (identifier, key and tier), the same for the client that presents it and the
//! server that checks it, with its key kept out of debug output.

use std::fmt;

use crate::Tier;

/// A Crisp token: identifier, key and tier.
///
/// A client authenticates with it; a server reads the one a request presents. The key is
/// secret: the `Debug` output shows `"<redacted>"` in its place, and nothing in this crate
/// logs it.
#[derive(Clone)]
pub struct Credentials {
    pub(crate) identifier: String,
    pub(crate) key: String,
    pub(crate) tier: Tier,
}

impl Credentials {
    /// Creates credentials from a token identifier, its key and its tier (in a server, for
    /// example to test an `Authenticate` implementation).
    pub fn new(identifier: impl Into<String>, key: impl Into<String>, tier: Tier) -> Self {
        Self {
            identifier: identifier.into(),
            key: key.into(),
            tier,
        }
    }

    /// Returns the token identifier.
    pub fn identifier(&self) -> &str {
        &self.identifier
    }

    /// Returns the token tier.
    pub fn tier(&self) -> Tier {
        self.tier
    }

    /// Returns the secret key, to authenticate with or to check; do not log it.
    pub fn key(&self) -> &str {
        &self.key
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("identifier", &self.identifier)
            .field("key", &"<redacted>")
            .field("tier", &self.tier)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_key() {
        let credentials = Credentials::new("id-123", "s3cr3t-key", Tier::Plugin);
        let debug = format!("{credentials:?}");
        assert!(!debug.contains("s3cr3t-key"), "{debug}");
        assert!(debug.contains("id-123"));
        assert!(debug.contains("<redacted>"));
        assert!(debug.contains("Plugin"));
        assert_eq!(credentials.identifier(), "id-123");
        assert_eq!(credentials.tier(), Tier::Plugin);
        assert_eq!(credentials.key(), "s3cr3t-key");
    }
}
