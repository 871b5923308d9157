//! Authorization: which tiers an operation admits and which plugin scope it needs.
//!
//! Crisp grants plugin tokens scopes such as `website:conversation:sessions`, each for reading
//! or for writing (writing includes reading). Operations list their tiers (`x-crisp-tiers`)
//! and scope (`x-crisp-scope`) in the spec; the generated router checks both with
//! [`authorize`] before an implementation runs.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use super::{ApiError, Caller};
use crate::Tier;

/// The level a scope is granted at, or that an operation needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Access {
    /// Reading (`GET`, `HEAD`).
    Read,
    /// Writing, which includes reading.
    Write,
}

impl Access {
    /// The level as the spec and the sandbox's flags write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
        }
    }
}

/// The plugin scopes a token holds: every scope (a development token), or a list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scopes {
    /// `None` grants every scope.
    granted: Option<BTreeMap<String, Access>>,
}

impl Scopes {
    /// Every scope, at write level: what a development token may do.
    pub fn all() -> Self {
        Scopes { granted: None }
    }

    /// No scope at all.
    pub fn none() -> Self {
        Scopes {
            granted: Some(BTreeMap::new()),
        }
    }

    /// These scopes and one more (a second grant of a scope keeps the higher level).
    #[must_use]
    pub fn with(mut self, scope: impl Into<String>, access: Access) -> Self {
        let granted = self.granted.get_or_insert_with(BTreeMap::new);
        let entry = granted.entry(scope.into()).or_insert(access);
        *entry = (*entry).max(access);
        self
    }

    /// Whether the scopes allow `access` to `scope`.
    pub fn allows(&self, scope: &str, access: Access) -> bool {
        match &self.granted {
            None => true,
            Some(granted) => granted.get(scope).is_some_and(|held| *held >= access),
        }
    }
}

/// Parses `scope=read,other:scope=write` (or `*` for every scope).
impl FromStr for Scopes {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        if text.trim() == "*" {
            return Ok(Scopes::all());
        }
        let mut scopes = Scopes::none();
        for grant in text
            .split(',')
            .map(str::trim)
            .filter(|grant| !grant.is_empty())
        {
            let (scope, level) = grant.split_once('=').unwrap_or((grant, "write"));
            let access = match level {
                "read" | "r" => Access::Read,
                "write" | "w" | "rw" => Access::Write,
                other => {
                    return Err(format!(
                        "scope `{scope}`: unknown level `{other}` (use read or write)"
                    ));
                }
            };
            if scope.is_empty() {
                return Err(format!("`{grant}` names no scope"));
            }
            scopes = scopes.with(scope, access);
        }
        Ok(scopes)
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.granted {
            None => f.write_str("*"),
            Some(granted) => {
                let grants: Vec<String> = granted
                    .iter()
                    .map(|(scope, access)| format!("{scope}={}", access.as_str()))
                    .collect();
                f.write_str(&grants.join(","))
            }
        }
    }
}

/// Checks that `caller` may call `operation`: its tier is one of `tiers` (an empty list admits
/// both), and a plugin token holds `scope` at the needed level. User tokens act as their user
/// and are not bound by plugin scopes.
///
/// # Errors
///
/// 403 `not_allowed`, naming the tier or the missing scope.
pub fn authorize(
    caller: &Caller,
    operation: &str,
    tiers: &[Tier],
    scope: Option<(&str, Access)>,
) -> Result<(), ApiError> {
    if !tiers.is_empty() && !tiers.contains(&caller.tier) {
        return Err(ApiError::not_allowed(format!(
            "`{operation}` is not available to {} tokens",
            caller.tier
        )));
    }
    if let (Tier::Plugin, Some((scope, access))) = (caller.tier, scope) {
        if !caller.scopes.allows(scope, access) {
            return Err(ApiError::not_allowed(format!(
                "`{operation}` needs the scope `{scope}` with {} access, which this token lacks",
                access.as_str()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(tier: Tier, scopes: Scopes) -> Caller {
        Caller {
            identifier: "id".to_owned(),
            tier,
            scopes,
        }
    }

    #[test]
    fn tiers_are_enforced() {
        let plugin = caller(Tier::Plugin, Scopes::all());
        assert!(authorize(&plugin, "op", &[Tier::User, Tier::Plugin], None).is_ok());
        assert!(authorize(&plugin, "op", &[], None).is_ok());
        let error = authorize(&plugin, "createWebsite", &[Tier::User], None).unwrap_err();
        assert_eq!(error.status().as_u16(), 403);
        assert_eq!(error.reason(), "not_allowed");
        assert!(error.message().contains("plugin"), "{error}");
    }

    #[test]
    fn plugin_scopes_are_enforced_and_write_includes_read() {
        let scopes: Scopes = "website:conversation:sessions=read, website:people:profiles=write"
            .parse()
            .unwrap();
        let plugin = caller(Tier::Plugin, scopes.clone());
        let sessions = "website:conversation:sessions";
        assert!(authorize(&plugin, "op", &[], Some((sessions, Access::Read))).is_ok());
        let error = authorize(&plugin, "op", &[], Some((sessions, Access::Write))).unwrap_err();
        assert!(
            error.message().contains(sessions) && error.message().contains("write"),
            "{error}"
        );
        assert!(
            authorize(
                &plugin,
                "op",
                &[],
                Some(("website:people:profiles", Access::Read))
            )
            .is_ok()
        );
        assert!(
            authorize(
                &plugin,
                "op",
                &[],
                Some(("website:campaigns", Access::Read))
            )
            .is_err()
        );
        // User tokens are not bound by plugin scopes.
        assert!(
            authorize(
                &caller(Tier::User, Scopes::none()),
                "op",
                &[],
                Some((sessions, Access::Write))
            )
            .is_ok()
        );
        assert_eq!(
            scopes.to_string(),
            "website:conversation:sessions=read,website:people:profiles=write"
        );
        assert_eq!("*".parse::<Scopes>().unwrap(), Scopes::all());
        assert!("a=sometimes".parse::<Scopes>().is_err());
    }
}
