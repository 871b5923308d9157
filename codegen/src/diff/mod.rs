//! What a spec edit does to the generated crates' Rust API, and the version bump it needs.
//!
//! Each IR is first reduced to the items the emitters write, per crate: types, fields,
//! constructors, variants and events in `crisp-models`; area accessors, methods and streams in
//! `crisp-client`; area traits and their methods in `crisp-server`. An item has a *signature*
//! (what Rust code written against it relies on), a *gate* (the cargo features it is compiled
//! under), the tiers that may call it (client methods) and *facts* (the route, the scope, the
//! JSON key, the docs: behaviour that no Rust code can fail to compile over).
//!
//! The classification then follows from the generator's compatibility policy (the README's
//! "Compatibility policy"): structs and enums are `#[non_exhaustive]`, structs are built with
//! `Default` or `new(required fields)`, and the server traits' methods have default bodies. So
//! an added item is a minor change, a removed item or a changed signature is major, a gate
//! that compiles the item in fewer builds is major and in more builds minor, a tier removed is
//! major and added minor, and a changed fact is a patch.

use std::collections::BTreeSet;
use std::fmt::{self, Write as _};

use crate::ir::Api;

mod patch;
mod surface;

pub use patch::apply_patch;
use surface::{Item, surface};

/// How much a change breaks, in semver terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Nothing a user's code relies on changes: behaviour on the wire or documentation.
    Patch,
    /// Something is added; code that compiled still compiles.
    Minor,
    /// Code that compiled may no longer compile.
    Major,
}

impl Level {
    /// The word for it, as the changelog prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Patch => "patch",
            Level::Minor => "minor",
            Level::Major => "major",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A generated crate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Crate {
    /// `crisp-models`.
    Models,
    /// `crisp-client`.
    Client,
    /// `crisp-server`.
    Server,
}

impl Crate {
    /// Every generated crate, in the order the changelog lists them.
    pub const ALL: [Crate; 3] = [Crate::Models, Crate::Client, Crate::Server];

    /// The package name.
    pub fn package(self) -> &'static str {
        match self {
            Crate::Models => "crisp-models",
            Crate::Client => "crisp-client",
            Crate::Server => "crisp-server",
        }
    }

    /// The name Rust code uses for the crate.
    fn path(self) -> &'static str {
        match self {
            Crate::Models => "crisp_models",
            Crate::Client => "crisp_client",
            Crate::Server => "crisp_server",
        }
    }
}

/// One change to one item of one crate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// The crate the item is in.
    pub krate: Crate,
    /// The area (tag) the item belongs to, `shared types` for component schemas used by
    /// several areas, or `events`.
    pub area: String,
    /// How much it breaks.
    pub level: Level,
    /// The Rust item, such as `crisp_models::ConversationMessage.fingerprint`.
    pub item: String,
    /// What changed, as a sentence without its subject.
    pub what: String,
}

/// Every change between two versions of the spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// The crates' version in the old spec (`info.x-crisp-crate-version`).
    pub old_version: String,
    /// The crates' version in the new spec.
    pub new_version: String,
    /// The changes, by crate, then area, then from the most to the least breaking.
    pub changes: Vec<Change>,
}

/// Compares two IRs.
pub fn diff(old: &Api, new: &Api) -> Report {
    let before = surface(old);
    let after = surface(new);
    let mut changes = Vec::new();
    let keys: BTreeSet<&(Crate, String)> = before.keys().chain(after.keys()).collect();
    for key in keys {
        let (krate, path) = key;
        let item = format!("{}::{path}", krate.path());
        match (before.get(key), after.get(key)) {
            (Some(was), None) => changes.push(Change {
                krate: *krate,
                area: was.area.clone(),
                level: Level::Major,
                item,
                what: format!("removed (was {})", was.signature),
            }),
            (None, Some(now)) => changes.push(Change {
                krate: *krate,
                area: now.area.clone(),
                level: Level::Minor,
                item,
                what: format!("added: {}", now.signature),
            }),
            (Some(was), Some(now)) => compare(*krate, &item, was, now, &mut changes),
            (None, None) => {}
        }
    }
    changes.sort_by(|a, b| {
        (a.krate, &a.area, std::cmp::Reverse(a.level), &a.item).cmp(&(
            b.krate,
            &b.area,
            std::cmp::Reverse(b.level),
            &b.item,
        ))
    });
    Report {
        old_version: old.crate_version.clone(),
        new_version: new.crate_version.clone(),
        changes,
    }
}

/// The changes between two states of the same item.
fn compare(krate: Crate, item: &str, was: &Item, now: &Item, changes: &mut Vec<Change>) {
    let mut push = |level, what: String| {
        changes.push(Change {
            krate,
            area: now.area.clone(),
            level,
            item: item.to_owned(),
            what,
        });
    };
    if was.key != now.key {
        push(
            Level::Major,
            format!(
                "changed from `{}` to `{}`",
                was.signature.trim_matches('`'),
                now.signature.trim_matches('`')
            ),
        );
    }
    if was.gate != now.gate {
        let level = if was.gate.within(&now.gate) {
            Level::Minor
        } else {
            Level::Major
        };
        push(
            level,
            format!(
                "compiled {} (was {})",
                now.gate.describe(),
                was.gate.describe()
            ),
        );
    }
    // Deprecating is minor, as cargo's semver guide has it: a warning, not an error.
    match (was.deprecated, now.deprecated) {
        (false, true) => push(Level::Minor, "deprecated".to_owned()),
        (true, false) => push(Level::Patch, "no longer deprecated".to_owned()),
        _ => {}
    }
    for tier in was.tiers.difference(&now.tiers) {
        push(
            Level::Major,
            format!("no longer callable with a `{tier}` client"),
        );
    }
    for tier in now.tiers.difference(&was.tiers) {
        push(Level::Minor, format!("now callable with a `{tier}` client"));
    }
    let labels: BTreeSet<&str> = was.facts.keys().chain(now.facts.keys()).copied().collect();
    for label in labels {
        match (was.facts.get(label), now.facts.get(label)) {
            (a, b) if a == b => {}
            _ if label == "docs" => push(Level::Patch, "documentation changed".to_owned()),
            (Some(a), Some(b)) => push(Level::Patch, format!("{label}: {a} → {b}")),
            (Some(a), None) => push(Level::Patch, format!("{label}: {a} → none")),
            (None, Some(b)) => push(Level::Patch, format!("{label}: none → {b}")),
            (None, None) => {}
        }
    }
}

impl Report {
    /// The bump `krate` needs: the most breaking of its changes, `None` without changes.
    pub fn level(&self, krate: Crate) -> Option<Level> {
        self.changes
            .iter()
            .filter(|change| change.krate == krate)
            .map(|change| change.level)
            .max()
    }

    /// The bump the crates' shared version needs: the most breaking change of any crate.
    /// The three crates share one version, and `crisp-client` and `crisp-server` expose
    /// `crisp-models` types, so a break of the models breaks them too.
    pub fn required_level(&self) -> Option<Level> {
        self.changes.iter().map(|change| change.level).max()
    }

    /// The smallest version the new spec must name, `None` when no bump is needed (or the
    /// old version does not parse, which the loader rules out).
    pub fn required_version(&self) -> Option<semver::Version> {
        let old = semver::Version::parse(&self.old_version).ok()?;
        self.required_level().map(|level| bump(&old, level))
    }

    /// Whether the new spec's version is the bump the changes need, or a larger one; the
    /// error says what is wrong and what to write.
    pub fn check_version(&self) -> Result<(), String> {
        let Some(level) = self.required_level() else {
            return Ok(());
        };
        let parse = |version: &str| {
            semver::Version::parse(version)
                .map_err(|err| format!("the crate version `{version}` is not semver: {err}"))
        };
        let old = parse(&self.old_version)?;
        let new = parse(&self.new_version)?;
        let required = bump(&old, level);
        if release(&new) >= release(&required) {
            Ok(())
        } else {
            Err(format!(
                "the changes are {level}, so the crates need version {required} or later, but the spec says {new} (was {old}): set `info.x-crisp-crate-version` to {required}: `cargo xtask diff --bump` writes it and regenerates the crates"
            ))
        }
    }

    /// The changelog: a summary table of the bump each crate needs, then a section per
    /// crate, grouped by area, one line per change.
    pub fn markdown(&self, old_label: &str, new_label: &str) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "## Changes from {old_label} to {new_label}\n");
        if self.changes.is_empty() {
            let _ = writeln!(
                out,
                "No change to the generated crates' Rust API or behaviour."
            );
            return out;
        }
        let _ = writeln!(out, "| crate | changes | bump |");
        let _ = writeln!(out, "| --- | --- | --- |");
        for krate in Crate::ALL {
            let count = self.changes.iter().filter(|c| c.krate == krate).count();
            let level = self.level(krate).map_or("none", Level::as_str);
            let _ = writeln!(out, "| `{}` | {count} | {level} |", krate.package());
        }
        let verdict = match self.required_version() {
            Some(required) => format!(
                "\nThe crates share one version: {} needs at least **{required}**; the new spec says {}.\n",
                self.old_version, self.new_version
            ),
            None => String::new(),
        };
        out.push_str(&verdict);
        for krate in Crate::ALL {
            let changes: Vec<&Change> = self.changes.iter().filter(|c| c.krate == krate).collect();
            if changes.is_empty() {
                continue;
            }
            let _ = writeln!(out, "\n### `{}`", krate.package());
            let mut area = None;
            for change in changes {
                if area != Some(&change.area) {
                    let _ = writeln!(out, "\n#### {}\n", change.area);
                    area = Some(&change.area);
                }
                let _ = writeln!(
                    out,
                    "- **{}** `{}`: {}",
                    change.level, change.item, change.what
                );
            }
        }
        out
    }
}

/// The smallest version after `old` that a change of `level` needs, as cargo reads versions:
/// before 1.0.0 the first non-zero number is the breaking one, and additions go in the last.
pub fn bump(old: &semver::Version, level: Level) -> semver::Version {
    let (major, minor, patch) = (old.major, old.minor, old.patch);
    let (major, minor, patch) = match level {
        Level::Major if major > 0 => (major + 1, 0, 0),
        Level::Major if minor > 0 => (0, minor + 1, 0),
        Level::Minor if major > 0 => (major, minor + 1, 0),
        Level::Major | Level::Minor | Level::Patch => (major, minor, patch + 1),
    };
    semver::Version::new(major, minor, patch)
}

/// `major.minor.patch` of a version, its pre-release part left out: `0.3.0-rc.1` is taken as
/// the bump to `0.3.0` it announces.
fn release(version: &semver::Version) -> (u64, u64, u64) {
    (version.major, version.minor, version.patch)
}

#[cfg(test)]
mod tests {
    use super::{Level, bump};

    #[test]
    fn bumps_follow_cargo_before_and_after_one_point_oh() {
        let cases = [
            ("0.1.0", Level::Major, "0.2.0"),
            ("0.1.3", Level::Minor, "0.1.4"),
            ("0.1.3", Level::Patch, "0.1.4"),
            ("0.0.3", Level::Major, "0.0.4"),
            ("1.2.3", Level::Major, "2.0.0"),
            ("1.2.3", Level::Minor, "1.3.0"),
            ("1.2.3", Level::Patch, "1.2.4"),
        ];
        for (old, level, want) in cases {
            let old = semver::Version::parse(old).unwrap();
            assert_eq!(bump(&old, level).to_string(), want, "{old} {level}");
        }
    }
}
