//! The authentication [`Tier`] of a Crisp token.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The tier a token belongs to, sent in the `X-Crisp-Tier` header.
///
/// Crisp issues user tokens (for a single user's own scripts) and plugin tokens
/// (for marketplace integrations); each route lists the tiers it accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    /// A user token.
    User,
    /// A plugin token.
    Plugin,
}

impl Tier {
    /// Returns the wire name: `"user"` or `"plugin"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Plugin => "plugin",
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Tier {
    type Err = ParseTierError;

    /// Parses `user` or `plugin`, ignoring ASCII case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("user") {
            Ok(Self::User)
        } else if s.eq_ignore_ascii_case("plugin") {
            Ok(Self::Plugin)
        } else {
            Err(ParseTierError { _private: () })
        }
    }
}

/// The error returned when a string is neither `user` nor `plugin`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseTierError {
    _private: (),
}

impl fmt::Display for ParseTierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tier must be `user` or `plugin`")
    }
}

impl std::error::Error for ParseTierError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ignoring_case() {
        assert_eq!("user".parse(), Ok(Tier::User));
        assert_eq!("PLUGIN".parse(), Ok(Tier::Plugin));
        assert_eq!("Plugin".parse(), Ok(Tier::Plugin));
        let error = "admin".parse::<Tier>().unwrap_err();
        assert_eq!(error.to_string(), "tier must be `user` or `plugin`");
    }

    #[test]
    fn displays_and_serializes_lowercase() {
        assert_eq!(Tier::User.to_string(), "user");
        assert_eq!(Tier::Plugin.as_str(), "plugin");
        assert_eq!(serde_json::to_string(&Tier::Plugin).unwrap(), r#""plugin""#);
        assert_eq!(
            serde_json::from_str::<Tier>(r#""user""#).unwrap(),
            Tier::User
        );
    }
}
