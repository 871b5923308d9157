//! Spec coverage against the reference route tables: which routes the spec lacks, which it has
//! that the reference does not know, and how much of it is typed.

use std::collections::BTreeSet;
use std::fmt;

use crate::ir::{Api, Response, TypeRef};

/// One route of a reference table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReferenceRoute {
    /// The HTTP method, upper case.
    pub method: String,
    /// The path, without the `/v1` prefix.
    pub path: String,
    /// The Node client methods that call it.
    pub node_methods: Vec<String>,
    /// `current`, `legacy` or `internal`.
    pub status: String,
}

/// Reads a reference table (`spec/reference/routes.tsv`); the error names the bad line.
pub fn parse_reference(tsv: &str) -> Result<Vec<ReferenceRoute>, String> {
    let mut lines = tsv.lines().enumerate();
    let header: Vec<&str> = lines
        .next()
        .map(|(_, line)| line.split('\t').collect())
        .unwrap_or_default();
    let column = |name: &str| {
        header
            .iter()
            .position(|c| *c == name)
            .ok_or_else(|| format!("the table has no `{name}` column"))
    };
    let (method, path, methods, status) = (
        column("http_method")?,
        column("path")?,
        column("node_method")?,
        column("status")?,
    );
    let mut routes = Vec::new();
    for (index, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let cells: Vec<&str> = line.split('\t').collect();
        let cell = |at: usize| {
            cells
                .get(at)
                .copied()
                .ok_or_else(|| format!("line {} has too few columns", index + 1))
        };
        routes.push(ReferenceRoute {
            method: cell(method)?.to_uppercase(),
            path: cell(path)?.to_owned(),
            node_methods: cell(methods)?
                .split('|')
                .filter(|m| !m.is_empty())
                .map(str::to_owned)
                .collect(),
            status: cell(status)?.to_owned(),
        });
    }
    Ok(routes)
}

/// What the coverage check found.
#[derive(Debug, Default)]
pub struct Coverage {
    /// Reference routes by status: (status, covered, total), in first-seen order.
    pub by_status: Vec<(String, usize, usize)>,
    /// Reference routes the spec lacks.
    pub missing: Vec<String>,
    /// Spec operations the reference does not know.
    pub unknown: Vec<String>,
    /// Routes whose Node methods the spec names neither as operationId nor in `x-crisp-node-methods`.
    pub unnamed: Vec<String>,
    /// Operations that answer with data, and how many of those have a typed `data`.
    pub data: (usize, usize),
    /// Operations that take a body, and how many of those have a typed body.
    pub bodies: (usize, usize),
    /// The operations whose `data` or body is untyped.
    pub untyped: Vec<String>,
    /// Routes only the internal reference lists: (covered and marked `x-crisp-internal`, total).
    pub internal_only: (usize, usize),
    /// Operations whose `x-crisp-internal` mark disagrees with the reference.
    pub internal_marks: Vec<String>,
}

impl Coverage {
    /// Whether every reference route is in the spec and the spec has no route the reference lacks.
    pub fn is_complete(&self) -> bool {
        self.missing.is_empty()
            && self.unknown.is_empty()
            && self.unnamed.is_empty()
            && self.internal_marks.is_empty()
    }
}

/// Compares the spec's operations with the reference routes whose status is in `statuses`.
pub fn coverage(api: &Api, reference: &[ReferenceRoute], statuses: &[&str]) -> Coverage {
    let mut report = Coverage::default();
    let spec: BTreeSet<(String, String)> = api
        .operations
        .iter()
        .map(|op| (op.method.as_str().to_owned(), op.path.raw.clone()))
        .collect();
    let mut known = BTreeSet::new();
    for route in reference
        .iter()
        .filter(|r| statuses.contains(&r.status.as_str()))
    {
        let key = (route.method.clone(), route.path.clone());
        known.insert(key.clone());
        let covered = spec.contains(&key);
        match report
            .by_status
            .iter_mut()
            .find(|(status, _, _)| *status == route.status)
        {
            Some(entry) => {
                entry.1 += usize::from(covered);
                entry.2 += 1;
            }
            None => report
                .by_status
                .push((route.status.clone(), usize::from(covered), 1)),
        }
        let name = format!(
            "{} {} ({})",
            route.method,
            route.path,
            route.node_methods.join(" | ")
        );
        if !covered {
            report.missing.push(name);
            continue;
        }
        let Some(op) = api
            .operations
            .iter()
            .find(|op| op.method.as_str() == route.method && op.path.raw == route.path)
        else {
            continue;
        };
        let named = route
            .node_methods
            .iter()
            .all(|m| op.id == *m || op.docs.node_methods.contains(m));
        if !named {
            report
                .unnamed
                .push(format!("{name}: the operation is `{}`", op.id));
        }
    }
    // A route is internal-only when the reference lists it only with the `internal` status.
    let public: BTreeSet<(String, String)> = reference
        .iter()
        .filter(|r| r.status != "internal" && statuses.contains(&r.status.as_str()))
        .map(|r| (r.method.clone(), r.path.clone()))
        .collect();
    let internal_only: BTreeSet<(String, String)> = reference
        .iter()
        .filter(|r| r.status == "internal" && statuses.contains(&"internal"))
        .map(|r| (r.method.clone(), r.path.clone()))
        .filter(|key| !public.contains(key))
        .collect();
    report.internal_only.1 = internal_only.len();
    for op in &api.operations {
        let key = (op.method.as_str().to_owned(), op.path.raw.clone());
        let expected = internal_only.contains(&key);
        if expected && op.docs.internal {
            report.internal_only.0 += 1;
        }
        if known.contains(&key) && expected != op.docs.internal {
            let what = if expected { "lacks" } else { "carries" };
            report.internal_marks.push(format!(
                "{} {} ({}) {what} `x-crisp-internal`",
                key.0, key.1, op.id
            ));
        }
    }
    for op in &api.operations {
        if !known.contains(&(op.method.as_str().to_owned(), op.path.raw.clone())) {
            report.unknown.push(format!(
                "{} {} ({})",
                op.method.as_str(),
                op.path.raw,
                op.id
            ));
        }
        if let Response::Data(ty) = &op.response {
            report.data.0 += 1;
            if is_typed(api, ty) {
                report.data.1 += 1;
            } else {
                report.untyped.push(format!("{}: data", op.id));
            }
        }
        if let Some(body) = &op.body {
            report.bodies.0 += 1;
            if is_typed(api, &body.ty) {
                report.bodies.1 += 1;
            } else {
                report.untyped.push(format!("{}: body", op.id));
            }
        }
    }
    report
}

/// Whether a type has a known shape: not free-form JSON, nor a list or map of it.
fn is_typed(api: &Api, ty: &TypeRef) -> bool {
    match api.resolve(ty) {
        TypeRef::Any | TypeRef::FreeObject => false,
        TypeRef::Array(inner) | TypeRef::Map(inner) => is_typed(api, inner),
        _ => true,
    }
}

fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        100.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

impl fmt::Display for Coverage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let covered: usize = self.by_status.iter().map(|(_, c, _)| c).sum();
        let total: usize = self.by_status.iter().map(|(_, _, t)| t).sum();
        let parts: Vec<String> = self
            .by_status
            .iter()
            .map(|(s, c, t)| format!("{c}/{t} {s}"))
            .collect();
        writeln!(
            f,
            "reference routes in the spec: {covered}/{total} ({})",
            parts.join(", ")
        )?;
        if self.internal_only.1 > 0 {
            writeln!(
                f,
                "internal-only routes in the spec, marked x-crisp-internal: {}/{}",
                self.internal_only.0, self.internal_only.1
            )?;
        }
        writeln!(
            f,
            "spec operations the reference does not know: {}",
            self.unknown.len()
        )?;
        writeln!(
            f,
            "operations answering data with a typed `data`: {}/{} ({:.1} %)",
            self.data.1,
            self.data.0,
            percent(self.data.1, self.data.0)
        )?;
        writeln!(
            f,
            "operations with a typed request body: {}/{} ({:.1} %)",
            self.bodies.1,
            self.bodies.0,
            percent(self.bodies.1, self.bodies.0)
        )?;
        for (title, list) in [
            ("missing from the spec", &self.missing),
            ("not in the reference", &self.unknown),
            ("Node methods not named by the operation", &self.unnamed),
            ("untyped", &self.untyped),
            (
                "x-crisp-internal marks that disagree with the reference",
                &self.internal_marks,
            ),
        ] {
            if !list.is_empty() {
                writeln!(f, "\n{title}:")?;
                for item in list {
                    writeln!(f, "  {item}")?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rows_and_joined_methods() {
        let tsv =
            "area\tnode_method\tlabel\thttp_method\tpath\tstatus\nx\ta|b\tA\tpatch\t/p\tcurrent\n";
        let routes = parse_reference(tsv).unwrap();
        assert_eq!(routes[0].method, "PATCH");
        assert_eq!(routes[0].node_methods, ["a", "b"]);
        assert!(
            parse_reference("area\tpath\n")
                .unwrap_err()
                .contains("http_method")
        );
    }
}
