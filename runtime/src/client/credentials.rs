//! The token a client authenticates with, kept out of debug output.

use std::fmt;

use crate::Tier;

/// A Crisp token: identifier, key and tier.
///
/// The key is secret: it is only readable inside this crate, and the `Debug`
/// output shows `"<redacted>"` in its place.
#[derive(Clone)]
pub struct Credentials {
    identifier: String,
    key: String,
    tier: Tier,
}

impl Credentials {
    /// Creates credentials from a token identifier, its key and its tier.
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

    /// Returns the secret key; never exposed outside this crate.
    pub(crate) fn key(&self) -> &str {
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
