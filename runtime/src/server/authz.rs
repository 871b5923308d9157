//! Authorization: which tiers an operation admits and which plugin scope it needs.
//!
//! Crisp grants plugin tokens scopes such as `website:conversation:sessions`, each for reading
//! or for writing (writing includes reading). Operations list their tiers (`x-crisp-tiers`)
//! and scope (`x-crisp-scope`) in the spec; the generated router checks both with
//! [`authorize`] before an implementation runs.

use super::{ApiError, Caller};
use crate::{Access, Tier};

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
    use crate::Scopes;

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
