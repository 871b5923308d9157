//! `cargo xtask upstream`: the spec against the newest official Node client (`crisp-api` on
//! npm), which is how Crisp's route changes usually become visible.
//!
//! ```text
//! cargo xtask upstream [--version V] [--from DIR]
//! ```
//!
//! It packs `crisp-api@V` (default `latest`) with npm into `target/upstream/`, or reads an
//! unpacked package from `DIR`, and reads its route table from the TypeScript sources: each
//! method of `lib/resources/*.ts` with its HTTP verb and the path `prepareRestUrl` builds, and
//! the real-time event names of `DEFAULT_RTM_EVENTS` in `lib/crisp.ts`. Then it compares them
//! with the spec, by method name (the operationId, or `x-crisp-node-methods`) and by path
//! shape (placeholders compared by position, not by name):
//!
//! - methods upstream that the spec lacks;
//! - methods of the reference the spec was written from (`spec/reference/routes.tsv`, current
//!   rows sourced from the Node client) that upstream dropped;
//! - methods whose verb or path changed;
//! - real-time events upstream that `x-crisp-events` lacks.
//!
//! Exit status: 0 without drift, 1 with drift, 2 for a bad command line, 3 when the package
//! cannot be fetched or read (no registry, say), so CI can tell drift from an outage.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use crisp_codegen::coverage::parse_reference;

/// One route of the Node client: `listConversations` → `GET /website/{}/conversations/{}`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct NodeRoute {
    /// The method name.
    pub method: String,
    /// The HTTP verb, upper case.
    pub verb: String,
    /// The path, each placeholder written `{}`.
    pub shape: String,
}

/// What the spec says of one Node method name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecRoute {
    /// The HTTP verb, upper case.
    pub verb: String,
    /// The path, each placeholder written `{}`.
    pub shape: String,
}

/// The differences between upstream and the spec.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Drift {
    /// Upstream methods the spec has no operation for.
    pub missing: Vec<NodeRoute>,
    /// Methods of the spec's Node reference that upstream no longer has.
    pub dropped: Vec<String>,
    /// Methods whose verb or path differ: upstream's route and the spec's.
    pub changed: Vec<(NodeRoute, Vec<SpecRoute>)>,
    /// Real-time events upstream listens to that the spec does not declare.
    pub events: Vec<String>,
}

impl Drift {
    /// Whether upstream and the spec agree.
    pub fn is_empty(&self) -> bool {
        self.missing.is_empty()
            && self.dropped.is_empty()
            && self.changed.is_empty()
            && self.events.is_empty()
    }
}

/// Reads the routes of one resource file of the Node client.
///
/// A method starts at a line indented by two spaces with `name(`; its route is the first
/// `this.crisp.<verb>(` of its body and the array given to `prepareRestUrl([...])`: string
/// literals are path segments, anything else a placeholder.
pub fn parse_resource(source: &str) -> Vec<NodeRoute> {
    let mut routes = Vec::new();
    let mut current: Option<(String, String)> = None;
    let flush = |current: &mut Option<(String, String)>, routes: &mut Vec<NodeRoute>| {
        if let Some((method, body)) = current.take() {
            if let Some(route) = route_of(&method, &body) {
                routes.push(route);
            }
        }
    };
    for line in source.lines() {
        let starts_method = line.starts_with("  ")
            && !line.starts_with("   ")
            && line[2..].split('(').next().is_some_and(|name| {
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            })
            && line.contains('(')
            && !line.trim_start().starts_with("constructor");
        if starts_method {
            flush(&mut current, &mut routes);
            let name = line[2..].split('(').next().unwrap_or_default().to_owned();
            current = Some((name, String::new()));
        }
        if let Some((_, body)) = current.as_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    flush(&mut current, &mut routes);
    routes
}

/// The route a method body calls, if any.
fn route_of(method: &str, body: &str) -> Option<NodeRoute> {
    let call = body.find("this.crisp.")?;
    let after = &body[call + "this.crisp.".len()..];
    let verb = after.split('(').next()?.trim();
    if !matches!(verb, "get" | "head" | "post" | "put" | "patch" | "delete") {
        return None;
    }
    let url = after.find("prepareRestUrl(")?;
    let rest = &after[url + "prepareRestUrl(".len()..];
    let open = rest.find('[')?;
    let close = rest.find(']')?;
    let mut shape = String::new();
    for element in rest[open + 1..close].split(',') {
        let element = element.trim();
        if element.is_empty() {
            continue;
        }
        shape.push('/');
        match element
            .strip_prefix('"')
            .and_then(|e| e.strip_suffix('"'))
            .or_else(|| {
                element
                    .strip_prefix('\'')
                    .and_then(|e| e.strip_suffix('\''))
            }) {
            Some(literal) => shape.push_str(literal),
            None => shape.push_str("{}"),
        }
    }
    Some(NodeRoute {
        method: method.to_owned(),
        verb: verb.to_ascii_uppercase(),
        shape,
    })
}

/// Reads the event names of `DEFAULT_RTM_EVENTS` in the Node client's `crisp.ts`.
pub fn parse_rtm_events(source: &str) -> Vec<String> {
    let Some(start) = source.find("DEFAULT_RTM_EVENTS") else {
        return Vec::new();
    };
    let rest = &source[start..];
    let (Some(open), Some(close)) = (rest.find('['), rest.find("];")) else {
        return Vec::new();
    };
    rest[open + 1..close]
        .lines()
        .map(|line| line.split("//").next().unwrap_or_default().trim())
        .filter_map(|line| {
            let line = line.trim_end_matches(',');
            line.strip_prefix('"')
                .and_then(|l| l.strip_suffix('"'))
                .map(str::to_owned)
        })
        .collect()
}

/// Compares upstream with the spec.
pub fn compare(
    upstream: &[NodeRoute],
    upstream_events: &[String],
    spec: &BTreeMap<String, Vec<SpecRoute>>,
    spec_events: &BTreeSet<String>,
    reference_methods: &BTreeSet<String>,
) -> Drift {
    let mut drift = Drift::default();
    let upstream_names: BTreeSet<&str> = upstream.iter().map(|r| r.method.as_str()).collect();
    for route in upstream {
        match spec.get(&route.method) {
            None => drift.missing.push(route.clone()),
            Some(routes)
                if !routes
                    .iter()
                    .any(|r| r.verb == route.verb && r.shape == route.shape) =>
            {
                drift.changed.push((route.clone(), routes.clone()));
            }
            Some(_) => {}
        }
    }
    drift.dropped = reference_methods
        .iter()
        .filter(|method| !upstream_names.contains(method.as_str()))
        .cloned()
        .collect();
    drift.events = upstream_events
        .iter()
        .filter(|event| !spec_events.contains(*event))
        .cloned()
        .collect();
    drift
}

/// The report, one line per difference.
pub fn report(version: &str, upstream: usize, drift: &Drift) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "crisp-api {version}: {upstream} routes; {} missing from the spec, {} dropped upstream, {} changed, {} real-time events missing",
        drift.missing.len(),
        drift.dropped.len(),
        drift.changed.len(),
        drift.events.len()
    );
    for route in &drift.missing {
        let _ = writeln!(
            out,
            "  missing  {} {} {}",
            route.method, route.verb, route.shape
        );
    }
    for method in &drift.dropped {
        let _ = writeln!(out, "  dropped  {method}");
    }
    for (route, spec) in &drift.changed {
        let ours: Vec<String> = spec
            .iter()
            .map(|r| format!("{} {}", r.verb, r.shape))
            .collect();
        let _ = writeln!(
            out,
            "  changed  {}: upstream {} {}, spec {}",
            route.method,
            route.verb,
            route.shape,
            ours.join(" | ")
        );
    }
    for event in &drift.events {
        let _ = writeln!(out, "  event    {event}");
    }
    out
}

/// Runs the command.
pub fn run(root: &Path, args: &[OsString]) -> ExitCode {
    let mut version = "latest".to_owned();
    let mut from: Option<PathBuf> = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match (arg.to_str(), args.next()) {
            (Some("--version"), Some(value)) => version = value.to_string_lossy().into_owned(),
            (Some("--from"), Some(value)) => from = Some(PathBuf::from(value)),
            _ => {
                eprintln!(
                    "error: unexpected argument `{}`\n\nUsage: cargo xtask upstream [--version V] [--from DIR]",
                    arg.to_string_lossy()
                );
                return ExitCode::from(2);
            }
        }
    }
    let package = match from {
        Some(dir) => dir,
        None => match fetch(root, &version) {
            Ok(dir) => dir,
            Err(message) => {
                eprintln!("error: cannot fetch crisp-api@{version}: {message}");
                return ExitCode::from(3);
            }
        },
    };
    let (upstream, events, found_version) = match read_package(&package) {
        Ok(read) => read,
        Err(message) => {
            eprintln!("error: cannot read {}: {message}", package.display());
            return ExitCode::from(3);
        }
    };
    let spec_path = root.join("spec/crisp.yaml");
    let api = match crisp_codegen::load::load_path(&spec_path, "spec/crisp.yaml")
        .and_then(|spec| crisp_codegen::ir::build(&spec))
    {
        Ok(api) => api,
        Err(diagnostics) => {
            eprintln!("{diagnostics}");
            return ExitCode::FAILURE;
        }
    };
    let mut spec: BTreeMap<String, Vec<SpecRoute>> = BTreeMap::new();
    for op in &api.operations {
        let names = if op.docs.node_methods.is_empty() {
            vec![op.id.clone()]
        } else {
            op.docs.node_methods.clone()
        };
        for name in names {
            spec.entry(name).or_default().push(SpecRoute {
                verb: op.method.as_str().to_ascii_uppercase(),
                shape: op.path.format_string(),
            });
        }
    }
    let spec_events: BTreeSet<String> = api.events.iter().map(|e| e.name.wire.clone()).collect();
    let reference = match fs::read_to_string(root.join("spec/reference/routes.tsv"))
        .map_err(|e| e.to_string())
        .and_then(|text| reference_node_methods(&text))
    {
        Ok(methods) => methods,
        Err(message) => {
            eprintln!("error: spec/reference/routes.tsv: {message}");
            return ExitCode::FAILURE;
        }
    };
    let drift = compare(&upstream, &events, &spec, &spec_events, &reference);
    print!("{}", report(&found_version, upstream.len(), &drift));
    if drift.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The Node methods of the current reference rows that come from the Node client (legacy
/// rows come from older releases, which already dropped them).
fn reference_node_methods(tsv: &str) -> Result<BTreeSet<String>, String> {
    // The sources column is not part of the parsed rows; read it by its header.
    let mut lines = tsv.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split('\t').collect();
    let column = |name: &str| header.iter().position(|h| *h == name);
    let (Some(method), Some(sources), Some(status)) =
        (column("node_method"), column("sources"), column("status"))
    else {
        return Err("no node_method, sources or status column".to_owned());
    };
    parse_reference(tsv)?;
    Ok(lines
        .map(|line| line.split('\t').collect::<Vec<_>>())
        .filter(|cells| {
            cells
                .get(sources)
                .is_some_and(|s| s.split(',').any(|s| s.starts_with("node-")))
                && cells.get(status).is_some_and(|s| *s == "current")
        })
        // Several methods on one route are joined with `|`.
        .filter_map(|cells| {
            cells
                .get(method)
                .map(|m| m.split('|').map(str::to_owned).collect::<Vec<_>>())
        })
        .flatten()
        .filter(|m| !m.is_empty())
        .collect())
}

/// Packs `crisp-api@version` with npm into `target/upstream` and unpacks it.
fn fetch(root: &Path, version: &str) -> Result<PathBuf, String> {
    let dir = root.join("target/upstream");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let output = Command::new("npm")
        .args(["pack", &format!("crisp-api@{version}"), "--silent"])
        .arg("--pack-destination")
        .arg(&dir)
        .output()
        .map_err(|e| format!("npm: {e}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr).trim().to_owned();
        return Err(if stderr.is_empty() {
            format!("`npm pack` failed ({})", output.status)
        } else {
            stderr
        });
    }
    let tarball = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    let status = Command::new("tar")
        .arg("-xzf")
        .arg(dir.join(&tarball))
        .arg("-C")
        .arg(&dir)
        .status()
        .map_err(|e| format!("tar: {e}"))?;
    if !status.success() {
        return Err(format!("tar could not unpack {tarball}"));
    }
    Ok(dir.join("package"))
}

/// The routes, the real-time events and the version of an unpacked package.
fn read_package(package: &Path) -> Result<(Vec<NodeRoute>, Vec<String>, String), String> {
    let manifest = fs::read_to_string(package.join("package.json")).map_err(|e| e.to_string())?;
    let manifest: serde_json::Value = serde_json::from_str(&manifest).map_err(|e| e.to_string())?;
    let version = manifest["version"].as_str().unwrap_or("?").to_owned();
    let mut files: Vec<PathBuf> = fs::read_dir(package.join("lib/resources"))
        .map_err(|e| e.to_string())?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "ts"))
        .collect();
    files.sort();
    let mut routes = Vec::new();
    for file in files {
        let source = fs::read_to_string(&file).map_err(|e| e.to_string())?;
        routes.extend(parse_resource(&source));
    }
    if routes.is_empty() {
        return Err("no route found in lib/resources".to_owned());
    }
    let crisp = fs::read_to_string(package.join("lib/crisp.ts")).map_err(|e| e.to_string())?;
    Ok((routes, parse_rtm_events(&crisp), version))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RESOURCE: &str = r#"
class WebsiteConversation extends BaseResource {
  /**
   * List Conversations
   */
  listConversations(
    websiteID: string, pageNumber: number = 1
  ): Promise<Conversation[]> {
    return this.crisp.get(
      this.crisp.prepareRestUrl([
        "website", websiteID, "conversations", String(pageNumber)
      ])
    );
  };

  removeConversation(websiteID: string, sessionID: string) {
    return this.crisp.delete(
      this.crisp.prepareRestUrl(["website", websiteID, "conversation", sessionID])
    );
  };

  helper(value: string) {
    return value;
  };
}
"#;

    #[test]
    fn routes_are_read_from_a_resource() {
        assert_eq!(
            parse_resource(RESOURCE),
            [
                NodeRoute {
                    method: "listConversations".to_owned(),
                    verb: "GET".to_owned(),
                    shape: "/website/{}/conversations/{}".to_owned(),
                },
                NodeRoute {
                    method: "removeConversation".to_owned(),
                    verb: "DELETE".to_owned(),
                    shape: "/website/{}/conversation/{}".to_owned(),
                },
            ]
        );
    }

    #[test]
    fn rtm_events_are_read_without_comments() {
        let source = "const X = 1;\nconst DEFAULT_RTM_EVENTS = [\n  // Session Events\n  \"session:update_availability\",\n  \"message:send\"\n];\n";
        assert_eq!(
            parse_rtm_events(source),
            ["session:update_availability", "message:send"]
        );
    }

    #[test]
    fn every_kind_of_drift_is_found() {
        let route = |method: &str, verb: &str, shape: &str| NodeRoute {
            method: method.to_owned(),
            verb: verb.to_owned(),
            shape: shape.to_owned(),
        };
        let upstream = [
            route("same", "GET", "/a/{}"),
            route("moved", "GET", "/b/{}/c"),
            route("brandNew", "POST", "/d"),
        ];
        let spec: BTreeMap<String, Vec<SpecRoute>> = [
            ("same", "GET", "/a/{}"),
            ("moved", "GET", "/b/{}"),
            ("gone", "DELETE", "/e"),
        ]
        .into_iter()
        .map(|(name, verb, shape)| {
            (
                name.to_owned(),
                vec![SpecRoute {
                    verb: verb.to_owned(),
                    shape: shape.to_owned(),
                }],
            )
        })
        .collect();
        let reference: BTreeSet<String> = ["same", "moved", "gone"].map(str::to_owned).into();
        let events = ["message:send".to_owned(), "new:event".to_owned()];
        let spec_events: BTreeSet<String> = ["message:send".to_owned()].into();
        let drift = compare(&upstream, &events, &spec, &spec_events, &reference);
        assert_eq!(drift.missing, [route("brandNew", "POST", "/d")]);
        assert_eq!(drift.dropped, ["gone"]);
        assert_eq!(drift.changed.len(), 1);
        assert_eq!(drift.changed[0].0.method, "moved");
        assert_eq!(drift.events, ["new:event"]);
        assert!(!drift.is_empty());
        let text = report("9.9.9", 3, &drift);
        assert!(text.starts_with("crisp-api 9.9.9: 3 routes; 1 missing from the spec, 1 dropped upstream, 1 changed, 1 real-time events missing"), "{text}");
    }
}
