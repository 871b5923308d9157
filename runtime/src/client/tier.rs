//! Marker types that carry a client's token tier in its type.
//!
//! Crisp reserves some operations for user tokens and others for plugin tokens.
//! A generated client is `Client<Plugin>`, `Client<User>` or `Client<Dynamic>`,
//! and each operation restricted to one tier requires [`PluginTier`] or
//! [`UserTier`] of the client's marker, so calling a user-only operation on a
//! plugin client is a compile error rather than a `403` at run time.
//! [`Dynamic`] is for a tier known only at run time (read from the
//! environment, say): every operation is callable, and Crisp refuses those the
//! tier may not call.

use std::fmt::Debug;

use super::Error;
use crate::Tier;

mod sealed {
    pub trait Sealed {}
}

/// A client tier marker: [`Plugin`], [`User`] or [`Dynamic`].
pub trait ClientTier: sealed::Sealed + Copy + Debug + Send + Sync + 'static {
    /// The only tier this marker's clients may hold, or `None` for any tier.
    const TIER: Option<Tier>;

    /// Checks that credentials of `tier` suit this marker.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the marker is for the other tier.
    fn check(tier: Tier) -> Result<(), Error> {
        match Self::TIER {
            Some(expected) if expected != tier => Err(Error::Config {
                message: format!(
                    "the token is of tier `{tier}`, but this client is for `{expected}` tokens"
                ),
            }),
            _ => Ok(()),
        }
    }
}

/// Tiers that may call plugin-only operations.
#[diagnostic::on_unimplemented(
    message = "this operation needs a plugin token, but the client is `Client<{Self}>`",
    label = "only plugin tokens may call this operation",
    note = "build the client with `Client::builder().plugin(identifier, key)`, or with `.credentials(..)` to choose the tier at run time"
)]
pub trait PluginTier: ClientTier {}

/// Tiers that may call user-only operations.
#[diagnostic::on_unimplemented(
    message = "this operation needs a user token, but the client is `Client<{Self}>`",
    label = "only user tokens may call this operation",
    note = "build the client with `Client::builder().user(identifier, key)`, or with `.credentials(..)` to choose the tier at run time"
)]
pub trait UserTier: ClientTier {}

/// A client holding a plugin token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Plugin;

/// A client holding a user token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct User;

/// A client whose tier is known only at run time: every operation is callable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Dynamic;

/// A client builder that has no credentials yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NoCredentials;

impl sealed::Sealed for Plugin {}
impl sealed::Sealed for User {}
impl sealed::Sealed for Dynamic {}

impl ClientTier for Plugin {
    const TIER: Option<Tier> = Some(Tier::Plugin);
}

impl ClientTier for User {
    const TIER: Option<Tier> = Some(Tier::User);
}

impl ClientTier for Dynamic {
    const TIER: Option<Tier> = None;
}

impl PluginTier for Plugin {}
impl PluginTier for Dynamic {}
impl UserTier for User {}
impl UserTier for Dynamic {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_check_the_tier() {
        assert!(Plugin::check(Tier::Plugin).is_ok());
        assert!(User::check(Tier::User).is_ok());
        assert!(Dynamic::check(Tier::User).is_ok() && Dynamic::check(Tier::Plugin).is_ok());
        let error = Plugin::check(Tier::User).unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid client configuration: the token is of tier `user`, but this client is for `plugin` tokens"
        );
    }
}
