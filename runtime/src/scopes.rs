//! Plugin scopes: which a token holds ([`Scopes`]) and at which level ([`Access`]).
//!
//! Crisp grants plugin tokens scopes such as `website:conversation:sessions`, each for reading
//! or for writing (writing includes reading). The generated server enforces them, and the MCP
//! server lists and calls only what they allow.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

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
