//! Reads the spec: YAML text → [`openapiv3::OpenAPI`], keeping the raw YAML and the line of every node.
//!
//! Loading runs in four steps, each of which stops at the first kind of problem it finds:
//!
//! 1. yaml-rust2's event parser checks the syntax and records, for every mapping value and
//!    sequence item, its JSON pointer and the line where it starts (the key's line for a mapping
//!    entry). It also rejects what would make the document ambiguous to read: anchors, aliases,
//!    merge keys, duplicate keys and more than one document.
//! 2. serde_yaml reads the same text into a [`serde_yaml::Value`], kept for checks that
//!    `openapiv3` does not keep enough information for.
//! 3. The `openapi` field must say 3.0.x.
//! 4. The value is deserialized into [`openapiv3::OpenAPI`] through `serde_path_to_error`, so a
//!    field of the wrong shape is reported at its pointer and line. openapiv3 flattens most of
//!    its objects, which hides the path below them from serde, so on failure the known objects
//!    (path items, operations, parameters, bodies, responses, media types, schemas) are
//!    deserialized again one by one to find the innermost one that is wrong.
//!
//! Every problem becomes a [`Diagnostic`]; nothing here panics on bad input.

use std::collections::HashMap;
use std::path::Path;

use openapiv3::OpenAPI;
use serde_yaml::Value;
use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use crate::diag::{Diagnostic, Diagnostics, Pointer, escape_pointer_token, unescape_pointer_token};

/// A loaded spec: the typed document, its display name, and what is needed to point into it.
#[derive(Debug, Clone)]
pub struct Spec {
    /// The typed OpenAPI document.
    pub api: OpenAPI,
    /// The spec's display name, e.g. `spec/crisp.yaml`; never an absolute path.
    pub file: String,
    /// The document as plain YAML, for checks `openapiv3` does not keep enough for.
    raw: Value,
    /// The line of every node, by JSON pointer.
    lines: LineIndex,
}

impl Spec {
    /// Returns the 1-based line of the node at `pointer`, or of its nearest ancestor that has one.
    ///
    /// A pointer the lowering code computed for a node the YAML does not spell out (say, a
    /// default) thus still gets the line of the closest thing that is written down.
    pub fn line_of(&self, pointer: impl AsRef<str>) -> Option<usize> {
        self.lines.line_of(pointer.as_ref())
    }

    /// Creates a diagnostic at `pointer`, with its line filled in.
    #[track_caller]
    pub fn diag(&self, pointer: impl AsRef<str>, message: impl Into<String>) -> Diagnostic {
        let pointer = pointer.as_ref();
        Diagnostic::new(pointer, message).with_line(self.line_of(pointer))
    }

    /// Creates an empty collection of diagnostics for this spec.
    pub fn diagnostics(&self) -> Diagnostics {
        Diagnostics::new(self.file.clone())
    }

    /// Returns the document as plain YAML.
    pub fn raw(&self) -> &Value {
        &self.raw
    }

    /// Returns the raw YAML node at `pointer`, or `None` when there is no such node.
    ///
    /// Mapping keys that YAML reads as numbers or booleans (such as the status code `200`) are
    /// matched by their text, the way they appear in pointers.
    pub fn raw_at(&self, pointer: impl AsRef<str>) -> Option<&Value> {
        let pointer = pointer.as_ref();
        if pointer.is_empty() {
            return Some(&self.raw);
        }
        let tokens = pointer.strip_prefix('/')?.split('/');
        tokens
            .map(unescape_pointer_token)
            .try_fold(&self.raw, |node, token| raw_child(node, &token))
    }

    /// Returns the keys of the mapping at `pointer` in the order the document writes them, or
    /// `None` when the node is not a mapping.
    ///
    /// Extensions reach `openapiv3` as JSON objects, whose keys come back sorted; this keeps
    /// the spec's order (of `x-crisp-events`, for instance). Keys are spelled as pointer tokens
    /// would spell them (unescaped).
    pub fn keys_at(&self, pointer: impl AsRef<str>) -> Option<Vec<String>> {
        match self.raw_at(pointer)? {
            Value::Mapping(map) => Some(map.keys().filter_map(scalar_text).collect()),
            Value::Tagged(tagged) => match &tagged.value {
                Value::Mapping(map) => Some(map.keys().filter_map(scalar_text).collect()),
                _ => None,
            },
            _ => None,
        }
    }
}

/// Returns the child `token` (a key or an index) of a raw YAML node, looking through tags.
fn raw_child<'v>(node: &'v Value, token: &str) -> Option<&'v Value> {
    match node {
        Value::Mapping(map) => map
            .iter()
            .find(|(key, _)| scalar_text(key).as_deref() == Some(token))
            .map(|(_, value)| value),
        Value::Sequence(items) => token.parse::<usize>().ok().and_then(|i| items.get(i)),
        Value::Tagged(tagged) => raw_child(&tagged.value, token),
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => None,
    }
}

/// Returns the text of a scalar mapping key as a pointer token would spell it.
fn scalar_text(key: &Value) -> Option<String> {
    match key {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Loads a spec from YAML text; `file` is the name shown in diagnostics.
pub fn load_str(file: &str, text: &str) -> Result<Spec, Diagnostics> {
    let mut diags = Diagnostics::new(file);

    let lines = match LineIndex::build(text) {
        Ok(lines) => lines,
        Err(problems) => {
            diags.extend(problems);
            return Err(diags);
        }
    };

    let raw: Value = match serde_yaml::from_str(text) {
        Ok(raw) => raw,
        Err(err) => {
            // yaml-rust2 accepted the text, so this is a disagreement between the two parsers;
            // serde_yaml's own location is the best we have.
            let line = err.location().map(|l| l.line());
            diags.push(
                Diagnostic::new("", err.to_string())
                    .with_line(line)
                    .with_help("fix the YAML syntax at this line"),
            );
            return Err(diags);
        }
    };

    if let Some(problem) = check_version(&raw, &lines) {
        diags.push(problem);
        return Err(diags);
    }

    // Deserializing from the `Value` rather than the text keeps serde's message free of
    // serde_yaml's own path and position; ours come from the pointer and the line index.
    let api: OpenAPI = match serde_path_to_error::deserialize(&raw) {
        Ok(api) => api,
        Err(err) => {
            diags.push(shape_error(&err, &raw, &lines));
            return Err(diags);
        }
    };

    Ok(Spec {
        api,
        file: file.to_owned(),
        raw,
        lines,
    })
}

/// Reads and loads the spec at `path`; `display_name` is the name shown in diagnostics.
///
/// A file that cannot be read is reported as a diagnostic too, without its absolute path.
pub fn load_path(path: &Path, display_name: &str) -> Result<Spec, Diagnostics> {
    match std::fs::read_to_string(path) {
        Ok(text) => load_str(display_name, &text),
        Err(err) => {
            let mut diags = Diagnostics::new(display_name);
            diags.push(
                // No fixture: a fixture is a file that can be read; tests read a missing path.
                Diagnostic::new("", format!("cannot read the spec: {err}")).with_help(format!(
                    "check that `{display_name}` exists, is readable and is UTF-8 text"
                )),
            );
            Err(diags)
        }
    }
}

/// Checks that the document is a mapping whose `openapi` field names a 3.0.x version.
///
/// Rejects, for instance, `openapi: 3.1.0`, `openapi: 3.0` (a number in YAML) and a Swagger 2.0
/// document with no `openapi` field at all.
fn check_version(raw: &Value, lines: &LineIndex) -> Option<Diagnostic> {
    const HELP: &str = "this generator reads OpenAPI 3.0.x; write `openapi: 3.0.3`";
    let Value::Mapping(map) = raw else {
        return Some(
            Diagnostic::new("", "the spec must be a YAML mapping at the top level")
                .with_line(lines.line_of(""))
                .with_help("start the file with `openapi: 3.0.3`"),
        );
    };
    let message = match map.get("openapi") {
        Some(Value::String(version)) if version.starts_with("3.0.") => return None,
        Some(Value::String(version)) => {
            format!("the spec declares OpenAPI `{version}`, which this generator does not read")
        }
        Some(_) => "the `openapi` field must be a version string such as `3.0.3`".to_owned(),
        None => "the spec has no `openapi` field".to_owned(),
    };
    Some(
        Diagnostic::new("/openapi", message)
            .with_line(lines.line_of("/openapi"))
            .with_help(HELP),
    )
}

/// Turns a failed deserialization into a diagnostic at the offending node.
fn shape_error(
    err: &serde_path_to_error::Error<serde_yaml::Error>,
    raw: &Value,
    lines: &LineIndex,
) -> Diagnostic {
    // openapiv3 flattens and untags most of its types, which makes serde buffer their fields
    // and lose track of the path; re-checking node by node finds the innermost culprit.
    let failure = locate(Shape::OpenApi, raw, &Pointer::root()).unwrap_or_else(|| Failure {
        pointer: tracked_pointer(&Pointer::root(), err.path()),
        message: err.inner().to_string(),
    });
    let Failure { pointer, message } = failure;
    let field = pointer.tokens().pop();
    let help = match (message.strip_prefix("missing field "), field) {
        (Some(missing), _) => format!("add the field {missing}, which OpenAPI 3.0 requires here"),
        (None, Some(field)) => {
            format!("check the type of `{field}` against the OpenAPI 3.0 specification")
        }
        (None, None) => "check the document against the OpenAPI 3.0 specification".to_owned(),
    };
    let line = lines.line_of(pointer.as_str());
    Diagnostic::new(pointer.into_string(), message)
        .with_line(line)
        .with_help(help)
}

/// Where a node of the document fails to deserialize, and serde's reason.
struct Failure {
    pointer: Pointer,
    message: String,
}

/// Appends the path serde_path_to_error tracked to `at`.
fn tracked_pointer(at: &Pointer, path: &serde_path_to_error::Path) -> Pointer {
    use serde_path_to_error::Segment;

    let mut pointer = at.clone();
    for segment in path {
        match segment {
            Segment::Seq { index } => pointer = pointer.push(index),
            Segment::Map { key } => pointer = pointer.push(key),
            // An enum variant is not a node of the YAML document.
            Segment::Enum { .. } => {}
            // Whatever follows an unknown segment is relative to a node we cannot name.
            Segment::Unknown => break,
        }
    }
    pointer
}

/// Deserializes the node at `at` as `T`, returning where and why that fails.
fn failure_as<T: serde::de::DeserializeOwned>(value: &Value, at: &Pointer) -> Option<Failure> {
    match serde_path_to_error::deserialize::<_, T>(value) {
        Ok(_) => None,
        Err(err) => Some(Failure {
            pointer: tracked_pointer(at, err.path()),
            message: err.inner().to_string(),
        }),
    }
}

/// The OpenAPI objects that [`locate`] re-checks one by one.
#[derive(Debug, Clone, Copy)]
enum Shape {
    OpenApi,
    Components,
    PathItem,
    Operation,
    Parameter,
    RequestBody,
    Response,
    Header,
    MediaType,
    Schema,
}

/// Finds the innermost node under `at` that does not deserialize as `shape`, if any.
///
/// A node that fails is blamed only when none of its children fails on its own: for
/// `parameters: [{name: x, in: path, schema: {type: [string]}}]` the answer is the schema's
/// `type`, not the operation.
fn locate(shape: Shape, value: &Value, at: &Pointer) -> Option<Failure> {
    use openapiv3::{
        Components, Header, MediaType, OpenAPI, Operation, Parameter, PathItem, ReferenceOr,
        RequestBody, Response, Schema,
    };

    let own = match shape {
        Shape::OpenApi => failure_as::<OpenAPI>(value, at),
        Shape::Components => failure_as::<Components>(value, at),
        Shape::PathItem => failure_as::<ReferenceOr<PathItem>>(value, at),
        Shape::Operation => failure_as::<Operation>(value, at),
        Shape::Parameter => failure_as::<ReferenceOr<Parameter>>(value, at),
        Shape::RequestBody => failure_as::<ReferenceOr<RequestBody>>(value, at),
        Shape::Response => failure_as::<ReferenceOr<Response>>(value, at),
        Shape::Header => failure_as::<ReferenceOr<Header>>(value, at),
        Shape::MediaType => failure_as::<MediaType>(value, at),
        Shape::Schema => failure_as::<ReferenceOr<Schema>>(value, at),
    }?;
    // A `$ref` that is not a string makes serde try the inline object and complain about
    // its missing fields; say what is actually wrong.
    if let Value::Mapping(map) = value {
        if let Some(reference) = map.get("$ref").filter(|r| !r.is_string()) {
            return Some(Failure {
                pointer: at.push("$ref"),
                message: format!(
                    "`$ref` must be a string such as `#/components/schemas/Name`, not {}",
                    describe(reference)
                ),
            });
        }
    }
    children(shape, value, at)
        .into_iter()
        .find_map(|(shape, value, at)| locate(shape, value, &at))
        .or(Some(own))
}

/// Names the kind of a YAML value, for messages.
fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a sequence",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

/// Lists the children of a node that [`locate`] knows the shape of, in document order.
fn children<'v>(shape: Shape, value: &'v Value, at: &Pointer) -> Vec<(Shape, &'v Value, Pointer)> {
    const METHODS: [&str; 8] = [
        "get", "put", "post", "delete", "options", "head", "patch", "trace",
    ];
    let Value::Mapping(map) = value else {
        return Vec::new();
    };
    // A reference has no children of its own to check.
    if map.contains_key("$ref") {
        return Vec::new();
    }
    let mut out = Vec::new();
    // Adds the value at `key`.
    let one = |out: &mut Vec<(Shape, &'v Value, Pointer)>, key: &str, shape: Shape| {
        if let Some(child) = map.get(key) {
            out.push((shape, child, at.push(key)));
        }
    };
    // Adds every entry of the mapping at `key` (extensions aside).
    let each = |out: &mut Vec<(Shape, &'v Value, Pointer)>, key: &str, shape: Shape| {
        if let Some(Value::Mapping(entries)) = map.get(key) {
            let base = at.push(key);
            for (name, child) in entries {
                if let Some(name) = scalar_text(name).filter(|n| !n.starts_with("x-")) {
                    out.push((shape, child, base.push(name)));
                }
            }
        }
    };
    // Adds every item of the sequence at `key`.
    let items = |out: &mut Vec<(Shape, &'v Value, Pointer)>, key: &str, shape: Shape| {
        if let Some(Value::Sequence(list)) = map.get(key) {
            let base = at.push(key);
            out.extend(
                list.iter()
                    .enumerate()
                    .map(|(i, child)| (shape, child, base.push(i))),
            );
        }
    };
    match shape {
        Shape::OpenApi => {
            each(&mut out, "paths", Shape::PathItem);
            one(&mut out, "components", Shape::Components);
        }
        Shape::Components => {
            each(&mut out, "schemas", Shape::Schema);
            each(&mut out, "responses", Shape::Response);
            each(&mut out, "parameters", Shape::Parameter);
            each(&mut out, "requestBodies", Shape::RequestBody);
            each(&mut out, "headers", Shape::Header);
        }
        Shape::PathItem => {
            for method in METHODS {
                one(&mut out, method, Shape::Operation);
            }
            items(&mut out, "parameters", Shape::Parameter);
        }
        Shape::Operation => {
            items(&mut out, "parameters", Shape::Parameter);
            one(&mut out, "requestBody", Shape::RequestBody);
            each(&mut out, "responses", Shape::Response);
        }
        Shape::Parameter | Shape::Header => {
            one(&mut out, "schema", Shape::Schema);
            each(&mut out, "content", Shape::MediaType);
        }
        Shape::RequestBody => each(&mut out, "content", Shape::MediaType),
        Shape::Response => {
            each(&mut out, "headers", Shape::Header);
            each(&mut out, "content", Shape::MediaType);
        }
        Shape::MediaType => one(&mut out, "schema", Shape::Schema),
        Shape::Schema => {
            each(&mut out, "properties", Shape::Schema);
            one(&mut out, "items", Shape::Schema);
            if let Some(Value::Mapping(_)) = map.get("additionalProperties") {
                one(&mut out, "additionalProperties", Shape::Schema);
            }
            items(&mut out, "allOf", Shape::Schema);
            items(&mut out, "oneOf", Shape::Schema);
            items(&mut out, "anyOf", Shape::Schema);
            one(&mut out, "not", Shape::Schema);
        }
    }
    out
}

/// The 1-based line where each node of the document starts, by JSON pointer.
#[derive(Debug, Clone, Default)]
struct LineIndex {
    /// Only ever looked up, never iterated, so its order does not matter.
    lines: HashMap<String, usize>,
}

impl LineIndex {
    /// Returns the line of `pointer`, or of its nearest ancestor that has one.
    fn line_of(&self, pointer: &str) -> Option<usize> {
        let mut pointer = pointer;
        loop {
            if let Some(&line) = self.lines.get(pointer) {
                return Some(line);
            }
            // Tokens are escaped, so the last `/` always starts the last token.
            let cut = pointer.rfind('/')?;
            pointer = &pointer[..cut];
        }
    }

    /// Parses `text` and records the line of every node, or returns every problem found.
    fn build(text: &str) -> Result<LineIndex, Vec<Diagnostic>> {
        let mut builder = Builder::default();
        let mut parser = Parser::new_from_str(text);
        let mut documents = 0;
        loop {
            let (event, mark) = match parser.next_token() {
                Ok(next) => next,
                Err(err) => {
                    builder.problems.push(
                        Diagnostic::new("", err.info())
                            .with_line(line_of_mark(err.marker()))
                            .with_help("fix the YAML syntax at this line"),
                    );
                    break;
                }
            };
            match event {
                Event::StreamEnd => break,
                Event::DocumentStart => {
                    documents += 1;
                    if documents > 1 {
                        builder.problems.push(
                            Diagnostic::new("", "the spec holds more than one YAML document")
                                .with_line(line_of_mark(&mark))
                                .with_help(
                                    "keep the whole spec in one document, without `---` separators",
                                ),
                        );
                        break;
                    }
                }
                Event::Scalar(value, style, anchor, _) => {
                    builder.scalar(&value, style, anchor, &mark);
                }
                Event::MappingStart(anchor, _) => builder.collection_start(anchor, &mark, true),
                Event::SequenceStart(anchor, _) => builder.collection_start(anchor, &mark, false),
                Event::MappingEnd | Event::SequenceEnd => {
                    builder.stack.pop();
                }
                Event::Alias(_) => builder.alias(&mark),
                Event::Nothing | Event::StreamStart | Event::DocumentEnd => {}
            }
        }
        if builder.problems.is_empty() {
            Ok(builder.index)
        } else {
            Err(builder.problems)
        }
    }
}

/// Returns the 1-based line of a parser marker, or `None` for a marker with no position.
fn line_of_mark(mark: &Marker) -> Option<usize> {
    (mark.line() > 0).then_some(mark.line())
}

/// The help for anchors, aliases and merge keys.
const ANCHOR_HELP: &str = "write the value out; the spec does not use anchors";

/// Where the parser is inside a mapping or a sequence.
#[derive(Debug)]
enum Frame {
    /// Inside a mapping; `key` is the pointer of the entry whose value comes next, if any.
    Mapping {
        pointer: String,
        key: Option<String>,
    },
    /// Inside a sequence; `next` is the index of the next item.
    Sequence { pointer: String, next: usize },
}

/// What a node is to its parent.
enum Role {
    /// A mapping key, whose entry has the given pointer.
    Key(String),
    /// A value (the document root, a mapping value or a sequence item) at the given pointer.
    Value(String),
}

/// Walks the parser's events and fills a [`LineIndex`].
#[derive(Debug, Default)]
struct Builder {
    index: LineIndex,
    stack: Vec<Frame>,
    problems: Vec<Diagnostic>,
}

impl Builder {
    /// Works out what a node starting at `mark` is, and records its line.
    ///
    /// `key_text` is the text of the node when it is a scalar; a mapping key that is not a
    /// scalar is reported and stands in as `?` so the walk can go on.
    fn place(&mut self, key_text: Option<&str>, mark: &Marker) -> Role {
        let line = line_of_mark(mark);
        let role = match self.stack.last_mut() {
            None => Role::Value(String::new()),
            Some(Frame::Sequence { pointer, next }) => {
                let child = format!("{pointer}/{next}");
                *next += 1;
                Role::Value(child)
            }
            Some(Frame::Mapping { pointer, key }) => match key.take() {
                Some(entry) => return Role::Value(entry),
                None => {
                    let token = escape_pointer_token(key_text.unwrap_or("?"));
                    let entry = format!("{pointer}/{token}");
                    *key = Some(entry.clone());
                    Role::Key(entry)
                }
            },
        };
        let (Role::Key(pointer) | Role::Value(pointer)) = &role;
        if self.index.lines.contains_key(pointer) {
            // Pointers of distinct nodes differ, so a repeat can only be a repeated key.
            let key = key_text.unwrap_or_default();
            self.problems.push(
                Diagnostic::new(pointer.clone(), format!("duplicate key `{key}`"))
                    .with_line(line)
                    .with_help("remove one of the two entries or merge them"),
            );
        } else if let Some(line) = line {
            self.index.lines.insert(pointer.clone(), line);
        }
        if key_text.is_none() {
            if let Role::Key(pointer) = &role {
                self.problems.push(
                    Diagnostic::new(pointer.clone(), "a mapping key must be a plain string")
                        .with_line(line)
                        .with_help("write the key as a string; OpenAPI documents are JSON-shaped"),
                );
            }
        }
        role
    }

    /// Handles a scalar: a key or a value.
    fn scalar(&mut self, value: &str, style: TScalarStyle, anchor: usize, mark: &Marker) {
        let role = self.place(Some(value), mark);
        if let Role::Key(pointer) = &role {
            if value == "<<" && style == TScalarStyle::Plain {
                self.problems.push(
                    Diagnostic::new(pointer.clone(), "YAML merge keys (`<<`) are not supported")
                        .with_line(line_of_mark(mark))
                        .with_help(ANCHOR_HELP),
                );
            }
        }
        self.anchor(&role, anchor, mark);
    }

    /// Handles the start of a mapping or a sequence.
    fn collection_start(&mut self, anchor: usize, mark: &Marker, mapping: bool) {
        let role = self.place(None, mark);
        self.anchor(&role, anchor, mark);
        let (Role::Key(pointer) | Role::Value(pointer)) = role;
        self.stack.push(if mapping {
            Frame::Mapping { pointer, key: None }
        } else {
            Frame::Sequence { pointer, next: 0 }
        });
    }

    /// Handles an alias, which is always rejected.
    fn alias(&mut self, mark: &Marker) {
        let role = self.place(Some("*"), mark);
        let (Role::Key(pointer) | Role::Value(pointer)) = role;
        let line = self.line(&pointer, mark);
        self.problems.push(
            Diagnostic::new(pointer, "YAML aliases (`*name`) are not supported")
                .with_line(line)
                .with_help(ANCHOR_HELP),
        );
    }

    /// Returns the line recorded for `pointer` (the key's line for a mapping value), or else
    /// the line of `mark`.
    fn line(&self, pointer: &str, mark: &Marker) -> Option<usize> {
        self.index
            .lines
            .get(pointer)
            .copied()
            .or_else(|| line_of_mark(mark))
    }

    /// Rejects an anchor (`&name`) on a node; parsers number anchors from 1, and 0 means none.
    fn anchor(&mut self, role: &Role, anchor: usize, mark: &Marker) {
        if anchor == 0 {
            return;
        }
        let (Role::Key(pointer) | Role::Value(pointer)) = role;
        self.problems.push(
            Diagnostic::new(pointer.clone(), "YAML anchors (`&name`) are not supported")
                .with_line(self.line(pointer, mark))
                .with_help(ANCHOR_HELP),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small valid document; line numbers in the tests below refer to it.
    const SPEC: &str = "\
openapi: 3.0.3
info:
  title: Crisp
  version: '1'
paths:
  /website/{website_id}/conversation:
    post:
      parameters:
        - name: website_id
          in: path
          required: true
          schema:
            type: string
        - $ref: '#/components/parameters/Page'
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties:
                type:
                  type: string
      responses:
        200:
          description: OK
components:
  parameters:
    Page:
      name: page
      in: query
      schema:
        type: integer
  schemas:
    a~b/c:
      type: string
";

    fn load(text: &str) -> Result<Spec, Diagnostics> {
        load_str("spec/crisp.yaml", text)
    }

    fn only_error(text: &str) -> Diagnostic {
        match load(text) {
            Ok(_) => panic!("the document loaded without errors"),
            Err(diags) => {
                assert_eq!(diags.len(), 1, "{diags}");
                diags.into_vec().remove(0)
            }
        }
    }

    #[test]
    fn loads_a_valid_document() {
        let spec = load(SPEC).unwrap();
        assert_eq!(spec.api.openapi, "3.0.3");
        assert_eq!(spec.api.info.title, "Crisp");
        assert_eq!(spec.file, "spec/crisp.yaml");
        assert_eq!(spec.api.paths.paths.len(), 1);
    }

    #[test]
    fn finds_lines_of_nested_keys() {
        let spec = load(SPEC).unwrap();
        let op = "/paths/~1website~1{website_id}~1conversation/post";
        assert_eq!(spec.line_of(""), Some(1));
        assert_eq!(spec.line_of("/openapi"), Some(1));
        assert_eq!(spec.line_of("/info/title"), Some(3));
        assert_eq!(
            spec.line_of("/paths/~1website~1{website_id}~1conversation"),
            Some(6)
        );
        assert_eq!(spec.line_of(op), Some(7));
        assert_eq!(
            spec.line_of(format!(
                "{op}/requestBody/content/application~1json/schema/properties/type"
            )),
            Some(21)
        );
        assert_eq!(
            spec.line_of(format!("{op}/responses/200/description")),
            Some(25)
        );
    }

    #[test]
    fn finds_lines_of_sequence_items() {
        let spec = load(SPEC).unwrap();
        let params = "/paths/~1website~1{website_id}~1conversation/post/parameters";
        assert_eq!(spec.line_of(params), Some(8));
        assert_eq!(spec.line_of(format!("{params}/0")), Some(9));
        assert_eq!(spec.line_of(format!("{params}/0/in")), Some(10));
        assert_eq!(spec.line_of(format!("{params}/0/schema/type")), Some(13));
        assert_eq!(spec.line_of(format!("{params}/1")), Some(14));
        assert_eq!(spec.line_of(format!("{params}/1/$ref")), Some(14));
    }

    #[test]
    fn escapes_slash_and_tilde_in_keys() {
        let spec = load(SPEC).unwrap();
        assert_eq!(spec.line_of("/components/schemas/a~0b~1c"), Some(34));
        assert_eq!(spec.line_of("/components/schemas/a~0b~1c/type"), Some(35));
        // The unescaped spelling names another, absent node whose ancestor is `schemas`.
        assert_eq!(spec.line_of("/components/schemas/a~b/c"), Some(33));
    }

    #[test]
    fn falls_back_to_the_nearest_ancestor() {
        let spec = load(SPEC).unwrap();
        assert_eq!(spec.line_of("/info/description"), Some(2));
        assert_eq!(
            spec.line_of("/components/parameters/Page/schema/format"),
            Some(31)
        );
        assert_eq!(spec.line_of("/nowhere/at/all"), Some(1));
        let d = spec.diag("/info/x", "bad");
        assert_eq!(d.line, Some(2));
        assert_eq!(d.pointer, "/info/x");
    }

    #[test]
    fn reads_raw_nodes_by_pointer() {
        let spec = load(SPEC).unwrap();
        let op = "/paths/~1website~1{website_id}~1conversation/post";
        assert_eq!(
            spec.raw_at(format!("{op}/parameters/0/name")),
            Some(&Value::String("website_id".into()))
        );
        assert_eq!(
            spec.raw_at(format!("{op}/responses/200/description")),
            Some(&Value::String("OK".into()))
        );
        assert!(spec.raw_at("/components/schemas/a~0b~1c").is_some());
        assert_eq!(spec.raw_at("/info/missing"), None);
        assert_eq!(spec.raw_at("no-leading-slash"), None);
        assert!(spec.raw().is_mapping());
    }

    #[test]
    fn lists_keys_in_document_order() {
        let spec = load("openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths: {}\nx-events:\n  b:b: 1\n  a/c: 2\n  '0': 3\n").unwrap();
        assert_eq!(
            spec.keys_at("/x-events"),
            Some(vec!["b:b".to_owned(), "a/c".to_owned(), "0".to_owned()])
        );
        assert_eq!(spec.keys_at("/openapi"), None);
        assert_eq!(spec.keys_at("/missing"), None);
    }

    #[test]
    fn reports_invalid_yaml_with_its_line() {
        let d =
            only_error("openapi: 3.0.3\ninfo:\n  title: [unclosed\n  version: '1'\npaths: {}\n");
        assert_eq!(d.pointer, "");
        assert!(d.line.is_some_and(|l| (3..=5).contains(&l)), "{d:?}");
        assert_eq!(d.help.as_deref(), Some("fix the YAML syntax at this line"));

        let d = only_error("openapi: 3.0.3\ninfo:\n  title: x\n   version: 1\n");
        assert_eq!(d.line, Some(4), "{d:?}");
    }

    #[test]
    fn rejects_anchors_aliases_and_merge_keys() {
        let text = "\
openapi: 3.0.3
info: &info
  title: x
  version: '1'
paths: {}
x-copy: *info
x-merged:
  <<: {a: 1}
";
        let diags = load(text).unwrap_err();
        let found: Vec<_> = diags
            .iter()
            .map(|d| (d.pointer.as_str(), d.line, d.help.as_deref()))
            .collect();
        let help = Some(ANCHOR_HELP);
        assert_eq!(
            found,
            [
                ("/info", Some(2), help),
                ("/x-copy", Some(6), help),
                ("/x-merged/<<", Some(8), help),
            ]
        );
    }

    #[test]
    fn rejects_duplicate_keys() {
        let d = only_error(
            "openapi: 3.0.3\ninfo:\n  title: x\n  title: y\n  version: '1'\npaths: {}\n",
        );
        assert_eq!(d.pointer, "/info/title");
        assert_eq!(d.line, Some(4));
        assert_eq!(d.message, "duplicate key `title`");
    }

    #[test]
    fn rejects_several_documents() {
        let d = only_error("openapi: 3.0.3\n---\nopenapi: 3.0.3\n");
        assert_eq!(d.line, Some(2));
    }

    #[test]
    fn rejects_other_versions() {
        let d = only_error("openapi: 3.1.0\ninfo: {title: x, version: '1'}\npaths: {}\n");
        assert_eq!(d.pointer, "/openapi");
        assert_eq!(d.line, Some(1));
        assert_eq!(
            d.help.as_deref(),
            Some("this generator reads OpenAPI 3.0.x; write `openapi: 3.0.3`")
        );

        let d = only_error("info: {title: x, version: '1'}\nopenapi: 3.0\npaths: {}\n");
        assert_eq!((d.pointer.as_str(), d.line), ("/openapi", Some(2)));

        let d = only_error("swagger: '2.0'\ninfo: {title: x, version: '1'}\n");
        assert_eq!((d.pointer.as_str(), d.line), ("/openapi", Some(1)));
        assert_eq!(d.message, "the spec has no `openapi` field");

        let d = only_error("- openapi: 3.0.3\n");
        assert_eq!(d.pointer, "");

        let d = only_error("");
        assert_eq!(
            d.message,
            "the spec must be a YAML mapping at the top level"
        );
    }

    #[test]
    fn reports_shape_errors_at_their_pointer() {
        let text = "\
openapi: 3.0.3
info:
  title: x
  version: '1'
paths:
  /a:
    get:
      parameters:
        name: oops
      responses: {}
";
        let d = only_error(text);
        assert_eq!(d.pointer, "/paths/~1a/get/parameters");
        assert_eq!(d.line, Some(8));
        assert!(d.message.contains("expected a sequence"), "{}", d.message);
        assert_eq!(
            d.help.as_deref(),
            Some("check the type of `parameters` against the OpenAPI 3.0 specification")
        );
    }

    /// Loads a document with one operation, `get /a/{id}`, whose body is `operation`.
    fn only_error_in_operation(operation: &str) -> Diagnostic {
        let text = format!(
            "openapi: 3.0.3\ninfo: {{title: x, version: '1'}}\npaths:\n  /a/{{id}}:\n    get:\n{operation}"
        );
        only_error(&text)
    }

    #[test]
    fn finds_shape_errors_inside_flattened_objects() {
        // Line 6 is the first line of the operation.
        let d = only_error_in_operation(
            "      parameters:\n        - name: id\n          schema: {type: string}\n      responses: {}\n",
        );
        assert_eq!(
            (d.pointer.as_str(), d.line),
            ("/paths/~1a~1{id}/get/parameters/0", Some(7))
        );
        assert_eq!(d.message, "missing field `in`");

        let d = only_error_in_operation(
            "      responses:\n        200:\n          description: ok\n          content:\n            \
             application/json:\n              schema:\n                type: object\n                \
             properties:\n                  p:\n                    type: [string]\n",
        );
        assert_eq!(
            (d.pointer.as_str(), d.line),
            (
                "/paths/~1a~1{id}/get/responses/200/content/application~1json/schema/properties/p",
                Some(14)
            )
        );
        assert_eq!(d.message, "invalid type: sequence, expected a string");

        let d =
            only_error_in_operation("      parameters:\n        - $ref: 3\n      responses: {}\n");
        assert_eq!(
            (d.pointer.as_str(), d.line),
            ("/paths/~1a~1{id}/get/parameters/0/$ref", Some(7))
        );
        assert!(
            d.message.starts_with("`$ref` must be a string"),
            "{}",
            d.message
        );
    }

    #[test]
    fn reports_missing_required_fields() {
        let d = only_error("openapi: 3.0.3\ninfo:\n  version: '1'\npaths: {}\n");
        assert_eq!(d.pointer, "/info");
        assert_eq!(d.line, Some(2));
        assert_eq!(d.message, "missing field `title`");
    }

    #[test]
    fn reports_unreadable_files_without_their_path() {
        let dir = std::env::temp_dir().join(format!("crisp-load-{}", std::process::id()));
        let diags = load_path(&dir.join("absent.yaml"), "spec/absent.yaml").unwrap_err();
        let shown = diags.to_string();
        assert!(shown.contains("--> spec/absent.yaml"), "{shown}");
        assert!(!shown.contains(&*dir.to_string_lossy()), "{shown}");
    }
}
