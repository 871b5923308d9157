//! The generator's modules import each other in one direction: no cycle between modules, and
//! no stage of the pipeline (load → lower → check → analyze → emit → format → write) imports a
//! later one. Read from `src/`: its `use` declarations, and the `crate::…`/`super::…` paths
//! written in code (outside comments).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// The stages, in the order the pipeline runs them.
const STAGES: &[&str] = &[
    "load",
    "ir::lower",
    "ir::check",
    "ir::analyze",
    "emit",
    "format",
    "write",
];

/// Every module of `src/` (`ir::check`), with the text of its file.
fn modules() -> BTreeMap<String, String> {
    fn walk(dir: &Path, prefix: &[String], out: &mut BTreeMap<String, String>) {
        let mut entries: Vec<_> = fs::read_dir(dir)
            .expect("a source directory")
            .map(|entry| entry.expect("an entry").path())
            .collect();
        entries.sort();
        for path in entries {
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default();
            let mut name = prefix.to_vec();
            if path.is_dir() {
                name.push(stem.to_owned());
                walk(&path, &name, out);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                if !matches!(stem, "mod" | "lib") {
                    name.push(stem.to_owned());
                }
                let text = fs::read_to_string(&path).expect("a source file");
                out.insert(name.join("::"), text);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &[],
        &mut out,
    );
    out
}

/// The paths a file's `use` declarations name, each as its segments (`super` and `crate`
/// kept), with `{…}` groups expanded.
fn use_paths(text: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("use ") {
        let at_line_start = at == 0 || rest[..at].ends_with('\n') || rest[..at].ends_with("pub ");
        rest = &rest[at + 4..];
        if !at_line_start {
            continue;
        }
        let Some(end) = rest.find(';') else { break };
        expand(
            &rest[..end].replace(char::is_whitespace, ""),
            &mut Vec::new(),
            &mut paths,
        );
        rest = &rest[end..];
    }
    paths
}

/// The `crate::a::b` and `super::a` paths written in code lines (comments skipped), as
/// segments. Paths inside the generator's `quote!` templates name the generated crates'
/// modules, which do not exist here, so they resolve to no module and count for nothing.
fn inline_paths(text: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or_default();
        for start in ["crate::", "super::"] {
            let mut rest = code;
            while let Some(at) = rest.find(start) {
                let before = rest[..at].chars().next_back();
                rest = &rest[at..];
                let end = rest
                    .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                    .unwrap_or(rest.len());
                if !before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    paths.push(
                        rest[..end]
                            .split("::")
                            .filter(|s| !s.is_empty())
                            .map(str::to_owned)
                            .collect(),
                    );
                }
                rest = &rest[end.max(1)..];
            }
        }
    }
    paths
}

/// Expands one use tree (`a::{b, c::{d}}`) into its paths.
fn expand(tree: &str, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    let (head, group) = match tree.find('{') {
        Some(open) => (&tree[..open], Some(&tree[open + 1..tree.len() - 1])),
        None => (tree, None),
    };
    let depth = prefix.len();
    prefix.extend(
        head.split("::")
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
    );
    match group {
        None => out.push(prefix.clone()),
        Some(group) => {
            // Split the group at its top-level commas.
            let (mut level, mut start) = (0, 0);
            for (index, c) in group.char_indices() {
                match c {
                    '{' => level += 1,
                    '}' => level -= 1,
                    ',' if level == 0 => {
                        expand(&group[start..index], prefix, out);
                        start = index + 1;
                    }
                    _ => {}
                }
            }
            if start < group.len() {
                expand(&group[start..], prefix, out);
            }
        }
    }
    prefix.truncate(depth);
}

/// The modules each module imports from, other than its own ancestors and descendants (a
/// parent declares and assembles its children; a child uses its parent's types).
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let modules = modules();
    let mut graph = BTreeMap::new();
    for (module, text) in &modules {
        let own: Vec<&str> = module.split("::").filter(|s| !s.is_empty()).collect();
        let mut targets = BTreeSet::new();
        for path in use_paths(text).into_iter().chain(inline_paths(text)) {
            let absolute: Vec<String> = match path.first().map(String::as_str) {
                Some("crate") => path[1..].to_vec(),
                Some("super") => {
                    let mut base: Vec<String> = own.iter().map(|s| (*s).to_owned()).collect();
                    let mut segments = path.as_slice();
                    while segments.first().map(String::as_str) == Some("super") {
                        base.pop();
                        segments = &segments[1..];
                    }
                    base.extend(segments.iter().cloned());
                    base
                }
                _ => continue,
            };
            // The longest prefix that is a module.
            let target = (0..=absolute.len())
                .rev()
                .map(|len| absolute[..len].join("::"))
                .find(|candidate| modules.contains_key(candidate))
                .unwrap_or_default();
            let related = target.is_empty()
                || module.is_empty()
                || module.starts_with(&format!("{target}::"))
                || target.starts_with(&format!("{module}::"))
                || &target == module;
            if !related {
                targets.insert(target);
            }
        }
        graph.insert(module.clone(), targets);
    }
    graph
}

#[test]
fn the_use_parser_reads_groups_and_super() {
    let paths =
        use_paths("use super::{Api, x::{Y, Z}};\npub use crate::diag::ptr;\n// a use of words;\n");
    let joined: Vec<String> = paths.iter().map(|p| p.join("::")).collect();
    assert_eq!(
        joined,
        [
            "super::Api",
            "super::x::Y",
            "super::x::Z",
            "crate::diag::ptr"
        ]
    );
}

#[test]
fn inline_paths_are_read_outside_comments() {
    let paths = inline_paths("    super::check::check(spec); // crate::not::this\n xcrate::no");
    let joined: Vec<String> = paths.iter().map(|p| p.join("::")).collect();
    assert_eq!(joined, ["super::check::check"]);
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let graph = imports();
    let mut cycles = Vec::new();
    for start in graph.keys() {
        // Depth-first from `start`; a path back to it is a cycle.
        let mut stack = vec![vec![start.clone()]];
        let mut seen = BTreeSet::new();
        while let Some(path) = stack.pop() {
            let last = path.last().expect("a path is never empty");
            for next in graph.get(last).into_iter().flatten() {
                if next == start {
                    cycles.push(format!("{} → {start}", path.join(" → ")));
                } else if seen.insert(next.clone()) {
                    let mut longer = path.clone();
                    longer.push(next.clone());
                    stack.push(longer);
                }
            }
        }
    }
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

#[test]
fn no_stage_imports_a_later_one() {
    let graph = imports();
    let stage_of = |module: &str| {
        STAGES
            .iter()
            .position(|stage| module == *stage || module.starts_with(&format!("{stage}::")))
    };
    let mut wrong = Vec::new();
    for (module, targets) in &graph {
        let Some(from) = stage_of(module) else {
            continue;
        };
        for target in targets {
            if stage_of(target).is_some_and(|to| to > from) {
                wrong.push(format!("{module} imports {target}, a later stage"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // The stages the test names exist, so a rename cannot make it pass by default.
    for stage in STAGES {
        assert!(graph.contains_key(*stage), "no module `{stage}`");
    }
}
