//! Hostile variations of a spec, to prove that the generator never crashes and never writes
//! code that does not compile, whatever it is given: each input either generates, or is
//! rejected with diagnostics that each name their place.
//!
//! [`Mutator`] turns a spec (parsed YAML) into numbered mutants, each the spec with one to three
//! mutations of the kinds a hostile or careless author would make: keys renamed to Rust keywords,
//! odd Unicode or a sibling's name; values of another type; `$ref`s swapped, dangling, or made
//! into cycles; schemas wrapped in `allOf`/`oneOf`; entries removed or duplicated; enum values
//! and discriminator tags that clash with generated names; `x-crisp-*` extensions where they do
//! not belong. A mutant is fully determined by the seed and its number, so any failure can be
//! replayed. [`judge`] runs one mutant through [`load`] and
//! [`generate`] and says how it ended.
//!
//! The test suite runs a bounded number of mutants with a fixed seed; `cargo xtask mutate` runs
//! as many as asked with any seed, and compiles a sample of the accepted ones.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};

use serde_yaml::{Mapping, Value};

use crate::diag::Diagnostics;
use crate::{GeneratedFile, generate, load};

/// A small, fast, seedable pseudo-random generator (SplitMix64): mutants must be reproducible
/// from their seed and number on every machine, and nothing here needs more.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `bound` (0 when `bound` is 0).
    pub fn below(&mut self, bound: usize) -> usize {
        if bound == 0 {
            return 0;
        }
        usize::try_from(self.next_u64() % u64::try_from(bound).unwrap_or(u64::MAX)).unwrap_or(0)
    }

    /// One of `items`.
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Names that clash with Rust or with what the generated code names itself.
const CLASHING_NAMES: &[&str] = &[
    "type",
    "static",
    "self",
    "Self",
    "crate",
    "super",
    "fn",
    "mod",
    "_",
    "r#type",
    "Option",
    "Result",
    "Vec",
    "String",
    "Client",
    "Error",
    "Event",
    "Delivery",
    "Unknown",
    "Undecoded",
    "other",
    "Other",
    "unknown",
    "value",
    "Envelope",
    "Ctx",
    "Routes",
    "NotImplemented",
    "RouterBuilder",
    "Arc",
    "examples",
    "events",
    "tier",
    "models",
    "rtm",
    "lib",
    "main",
    "body",
    "query",
    "options",
    "path",
];

/// Names with characters that are not plain identifier characters.
const ODD_NAMES: &[&str] = &[
    "area²",
    "données",
    "数据",
    "🙂",
    "a b",
    "a-b",
    "1st",
    "",
    " ",
    "e\u{301}",
    "ǅ",
    "zero\u{200b}width",
    "ÀÉÎ",
    "ᛗ",
    "٣",
    "a.b",
    "a:b",
    "A",
    "aA",
    "a__b",
    "_a",
    "__",
];

/// Values of every YAML type.
fn odd_values() -> Vec<Value> {
    let parsed = |text: &str| serde_yaml::from_str::<Value>(text).unwrap_or(Value::Null);
    vec![
        Value::Null,
        Value::Bool(true),
        Value::from(42),
        Value::from(-1),
        parsed("1.5e300"),
        Value::from("x"),
        Value::from(""),
        parsed("[]"),
        parsed("{}"),
        parsed("[a, 1]"),
        parsed("{a: 1}"),
        parsed("{type: object}"),
        parsed("{$ref: '#/components/schemas/Nope'}"),
    ]
}

/// Extensions placed where they may or may not belong, with odd values.
fn extensions() -> Vec<(&'static str, Value)> {
    let parsed = |text: &str| serde_yaml::from_str::<Value>(text).unwrap_or(Value::Null);
    vec![
        ("x-crisp-pagination", Value::from("page_number")),
        ("x-crisp-pagination", Value::from("timestamp_before")),
        ("x-crisp-pagination", Value::from("sideways")),
        ("x-crisp-tiers", parsed("[user]")),
        ("x-crisp-tiers", parsed("[admin]")),
        ("x-crisp-rtm-endpoints", Value::Bool(true)),
        (
            "x-crisp-scope",
            Value::from("website:conversation:messages"),
        ),
        ("x-crisp-internal", Value::Bool(true)),
        ("x-crisp-multi-segment", Value::Bool(true)),
        ("x-crisp-envelope", Value::Bool(true)),
        ("x-crisp-webhook-events", parsed("['message:send']")),
        ("x-crisp-node-methods", parsed("[getThing]")),
        ("x-crisp-unheard-of", Value::Bool(true)),
    ]
}

/// One step into a YAML document: a mapping key or a sequence index.
#[derive(Clone, Debug)]
enum Step {
    Key(Value),
    Index(usize),
}

/// A node's place in a document.
type Place = Vec<Step>;

/// Every place in `value`, in document order.
fn places(value: &Value) -> Vec<Place> {
    let mut out = Vec::new();
    let mut stack: Vec<(Place, &Value)> = vec![(Vec::new(), value)];
    while let Some((place, node)) = stack.pop() {
        match node {
            Value::Mapping(mapping) => {
                let children: Vec<_> = mapping.iter().collect();
                for (key, child) in children.into_iter().rev() {
                    let mut child_place = place.clone();
                    child_place.push(Step::Key(key.clone()));
                    stack.push((child_place, child));
                }
            }
            Value::Sequence(items) => {
                for (index, child) in items.iter().enumerate().rev() {
                    let mut child_place = place.clone();
                    child_place.push(Step::Index(index));
                    stack.push((child_place, child));
                }
            }
            Value::Tagged(tagged) => stack.push((place.clone(), &tagged.value)),
            _ => {}
        }
        out.push(place);
    }
    out
}

/// The node at `place`, if it is still there.
fn at_mut<'a>(value: &'a mut Value, place: &[Step]) -> Option<&'a mut Value> {
    let mut node = value;
    for step in place {
        node = match (step, node) {
            (Step::Key(key), Value::Mapping(mapping)) => mapping.get_mut(key)?,
            (Step::Index(index), Value::Sequence(items)) => items.get_mut(*index)?,
            _ => return None,
        };
    }
    Some(node)
}

/// `place` as a JSON-pointer-like path, for descriptions.
fn show(place: &[Step]) -> String {
    let mut out = String::new();
    for step in place {
        out.push('/');
        match step {
            Step::Key(Value::String(key)) => out.push_str(key),
            Step::Key(other) => out.push_str(&format!("{other:?}")),
            Step::Index(index) => out.push_str(&index.to_string()),
        }
    }
    if out.is_empty() { "/".to_owned() } else { out }
}

/// Whether a node looks like a schema.
fn is_schema(node: &Value) -> bool {
    let Value::Mapping(mapping) = node else {
        return false;
    };
    [
        "type",
        "properties",
        "$ref",
        "allOf",
        "oneOf",
        "enum",
        "items",
    ]
    .iter()
    .any(|key| mapping.contains_key(*key))
}

/// One mutant: its number, what was done to the spec, and the spec it became.
#[derive(Clone, Debug)]
pub struct Mutant {
    /// Its number under the seed.
    pub index: u64,
    /// What was done, one mutation per line.
    pub description: String,
    /// The mutated spec, as YAML.
    pub text: String,
}

/// Makes the mutants of one spec.
#[derive(Debug)]
pub struct Mutator {
    base: Value,
    places: Vec<Place>,
    refs: Vec<String>,
    schemas: Vec<Place>,
    seed: u64,
}

impl Mutator {
    /// A mutator of `base` (a parsed spec) under `seed`.
    pub fn new(base: Value, seed: u64) -> Mutator {
        let places = places(&base);
        let mut refs = Vec::new();
        let mut schemas = Vec::new();
        // `at_mut` walks a mutable value: a copy of the base serves for reading.
        let mut probe = base.clone();
        for place in &places {
            if let Some(node) = at_mut(&mut probe, place) {
                if is_schema(node) {
                    schemas.push(place.clone());
                }
                if let Value::Mapping(mapping) = node {
                    if let Some(Value::String(target)) = mapping.get("$ref") {
                        if !refs.contains(target) {
                            refs.push(target.clone());
                        }
                    }
                }
            }
        }
        if let Some(Value::Mapping(schemas_map)) = base
            .get("components")
            .and_then(|components| components.get("schemas"))
        {
            for key in schemas_map.keys() {
                if let Value::String(name) = key {
                    let target = format!("#/components/schemas/{name}");
                    if !refs.contains(&target) {
                        refs.push(target);
                    }
                }
            }
        }
        Mutator {
            base,
            places,
            refs,
            schemas,
            seed,
        }
    }

    /// Mutant number `index`: one to three mutations of the spec.
    pub fn mutant(&self, index: u64) -> Mutant {
        let mut rng = Rng::new(self.seed ^ index.wrapping_mul(0xA076_1D64_78BD_642F));
        let mut spec = self.base.clone();
        let count = 1 + rng.below(3);
        let mut description = Vec::new();
        for _ in 0..count {
            description.push(self.mutate_once(&mut spec, &mut rng));
        }
        let text = serde_yaml::to_string(&spec).unwrap_or_default();
        Mutant {
            index,
            description: description.join("\n"),
            text,
        }
    }

    /// Applies one mutation; says what it did.
    fn mutate_once(&self, spec: &mut Value, rng: &mut Rng) -> String {
        match rng.below(10) {
            0 | 1 => self.rename_key(spec, rng),
            2 => self.retype(spec, rng),
            3 | 4 => self.swap_ref(spec, rng),
            5 => self.wrap_schema(spec, rng),
            6 => self.remove_or_duplicate(spec, rng),
            7 => self.add_extension(spec, rng),
            8 => self.clash_enum(spec, rng),
            _ => self.ref_cycle(spec, rng),
        }
    }

    /// A random place of the original document.
    fn place(&self, rng: &mut Rng) -> &Place {
        rng.pick(&self.places)
    }

    fn rename_key(&self, spec: &mut Value, rng: &mut Rng) -> String {
        // A place whose parent is a mapping: rename the key that leads to it.
        for _ in 0..16 {
            let place = self.place(rng).clone();
            let Some((Step::Key(old), parent)) = place.split_last() else {
                continue;
            };
            let Some(Value::Mapping(mapping)) = at_mut(spec, parent) else {
                continue;
            };
            let Some(child) = mapping.remove(old) else {
                continue;
            };
            let siblings: Vec<Value> = mapping.keys().cloned().collect();
            let new = match rng.below(4) {
                0 => Value::from(*rng.pick(CLASHING_NAMES)),
                1 => Value::from(*rng.pick(ODD_NAMES)),
                2 if !siblings.is_empty() => {
                    // Same name as a sibling after case conversion, or outright.
                    let sibling = rng.pick(&siblings).clone();
                    match sibling.as_str() {
                        Some(name) if rng.below(2) == 0 => Value::from(name.to_uppercase()),
                        Some(name) => Value::from(format!("{name}_")),
                        None => sibling,
                    }
                }
                _ => match old.as_str() {
                    Some(name) => Value::from(format!("{name}²")),
                    None => Value::from("²"),
                },
            };
            mapping.insert(new.clone(), child);
            return format!("rename {} to {new:?}", show(&place));
        }
        "nothing renamed".to_owned()
    }

    fn retype(&self, spec: &mut Value, rng: &mut Rng) -> String {
        let place = self.place(rng).clone();
        let values = odd_values();
        let value = rng.pick(&values).clone();
        match at_mut(spec, &place) {
            Some(node) => {
                *node = value.clone();
                format!("retype {} to {value:?}", show(&place))
            }
            None => "nothing retyped".to_owned(),
        }
    }

    fn swap_ref(&self, spec: &mut Value, rng: &mut Rng) -> String {
        let places: Vec<&Place> = self
            .places
            .iter()
            .filter(|place| matches!(place.last(), Some(Step::Key(Value::String(key))) if key == "$ref"))
            .collect();
        if places.is_empty() {
            return self.retype(spec, rng);
        }
        let place = (*rng.pick(&places)).clone();
        let target = match rng.below(5) {
            0 => "#/components/schemas/Nope".to_owned(),
            1 => "#/paths".to_owned(),
            2 => "https://example.com/schema.yaml".to_owned(),
            _ if !self.refs.is_empty() => rng.pick(&self.refs).clone(),
            _ => String::new(),
        };
        match at_mut(spec, &place) {
            Some(node) => {
                *node = Value::from(target.clone());
                format!("point {} at {target:?}", show(&place))
            }
            None => "nothing repointed".to_owned(),
        }
    }

    fn wrap_schema(&self, spec: &mut Value, rng: &mut Rng) -> String {
        if self.schemas.is_empty() {
            return self.retype(spec, rng);
        }
        let place = rng.pick(&self.schemas).clone();
        let Some(node) = at_mut(spec, &place) else {
            return "nothing wrapped".to_owned();
        };
        let inner = std::mem::take(node);
        let mut wrapper = Mapping::new();
        let how = match rng.below(5) {
            0 => {
                wrapper.insert(Value::from("allOf"), Value::Sequence(vec![inner]));
                "allOf: [it]"
            }
            1 => {
                wrapper.insert(Value::from("oneOf"), Value::Sequence(vec![inner]));
                "oneOf: [it]"
            }
            2 => {
                let string = serde_yaml::from_str("{type: string}").unwrap_or(Value::Null);
                wrapper.insert(Value::from("oneOf"), Value::Sequence(vec![inner, string]));
                "oneOf: [it, string]"
            }
            3 => {
                wrapper.insert(Value::from("anyOf"), Value::Sequence(vec![inner]));
                "anyOf: [it]"
            }
            _ => {
                wrapper.insert(
                    Value::from("allOf"),
                    Value::Sequence(vec![inner.clone(), inner]),
                );
                "allOf: [it, it]"
            }
        };
        *node = Value::Mapping(wrapper);
        format!("wrap {} as {how}", show(&place))
    }

    fn remove_or_duplicate(&self, spec: &mut Value, rng: &mut Rng) -> String {
        let place = self.place(rng).clone();
        let Some((last, parent)) = place.split_last() else {
            return "nothing removed".to_owned();
        };
        let duplicate = rng.below(2) == 0;
        match (at_mut(spec, parent), last) {
            (Some(Value::Mapping(mapping)), Step::Key(key)) => {
                if duplicate {
                    let Some(copy) = mapping.get(key).cloned() else {
                        return "nothing copied".to_owned();
                    };
                    let new = match key.as_str() {
                        Some(name) => Value::from(format!("{name}Copy")),
                        None => Value::from("copy"),
                    };
                    mapping.insert(new, copy);
                    format!("duplicate {}", show(&place))
                } else {
                    mapping.remove(key);
                    format!("remove {}", show(&place))
                }
            }
            (Some(Value::Sequence(items)), Step::Index(index)) if *index < items.len() => {
                if duplicate {
                    let copy = items[*index].clone();
                    items.push(copy);
                    format!("duplicate {}", show(&place))
                } else {
                    items.remove(*index);
                    format!("remove {}", show(&place))
                }
            }
            _ => "nothing removed".to_owned(),
        }
    }

    fn add_extension(&self, spec: &mut Value, rng: &mut Rng) -> String {
        let extensions = extensions();
        let (key, value) = rng.pick(&extensions).clone();
        for _ in 0..16 {
            let place = self.place(rng).clone();
            if let Some(Value::Mapping(mapping)) = at_mut(spec, &place) {
                mapping.insert(Value::from(key), value.clone());
                return format!("add {key}: {value:?} at {}", show(&place));
            }
        }
        "no extension added".to_owned()
    }

    fn clash_enum(&self, spec: &mut Value, rng: &mut Rng) -> String {
        let lists: Vec<&Place> = self
            .places
            .iter()
            .filter(|place| {
                matches!(place.last(), Some(Step::Key(Value::String(key))) if key == "enum" || key == "mapping")
            })
            .collect();
        if lists.is_empty() {
            return self.rename_key(spec, rng);
        }
        let place = (*rng.pick(&lists)).clone();
        let value = *rng.pick(&[
            "other",
            "Other",
            "unknown",
            "unrecognized",
            "",
            "a b",
            "²",
            "type",
            "self",
        ]);
        match at_mut(spec, &place) {
            Some(Value::Sequence(items)) => {
                let added = match rng.below(3) {
                    0 if !items.is_empty() => items[rng.below(items.len())].clone(),
                    _ => Value::from(value),
                };
                items.push(added.clone());
                format!("add {added:?} to {}", show(&place))
            }
            Some(Value::Mapping(mapping)) => {
                let target = mapping.values().next().cloned().unwrap_or(Value::Null);
                mapping.insert(Value::from(value), target);
                format!("add the tag {value:?} to {}", show(&place))
            }
            _ => "nothing added".to_owned(),
        }
    }

    fn ref_cycle(&self, spec: &mut Value, rng: &mut Rng) -> String {
        let Some(Value::Mapping(schemas)) = spec
            .get_mut("components")
            .and_then(|components| components.get_mut("schemas"))
        else {
            return self.swap_ref(spec, rng);
        };
        let names: Vec<String> = schemas
            .keys()
            .filter_map(|key| key.as_str().map(str::to_owned))
            .collect();
        if names.is_empty() {
            return "no schema to loop".to_owned();
        }
        let first = rng.pick(&names).clone();
        let second = rng.pick(&names).clone();
        let reference = |name: &str| -> Value {
            let mut mapping = Mapping::new();
            mapping.insert(
                Value::from("$ref"),
                Value::from(format!("#/components/schemas/{name}")),
            );
            Value::Mapping(mapping)
        };
        schemas.insert(Value::from(first.clone()), reference(&second));
        if first != second {
            schemas.insert(Value::from(second.clone()), reference(&first));
            format!("make {first} and {second} pure $refs to each other")
        } else {
            format!("make {first} a pure $ref to itself")
        }
    }
}

/// How one input ended.
#[derive(Debug)]
pub enum Verdict {
    /// It generated these files.
    Accepted(Vec<GeneratedFile>),
    /// It was rejected with these diagnostics, each in its place.
    Rejected(Diagnostics),
    /// It was rejected, but some diagnostics do not say where (or blame the generator).
    Unlocated(Vec<String>),
    /// The generator panicked, with this message.
    Panicked(String),
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Accepted(files) => write!(f, "accepted ({} files)", files.len()),
            Verdict::Rejected(diagnostics) => {
                write!(f, "rejected ({} diagnostics)", diagnostics.len())
            }
            Verdict::Unlocated(problems) => {
                write!(f, "rejected without a place: {}", problems.join("; "))
            }
            Verdict::Panicked(message) => write!(f, "panicked: {message}"),
        }
    }
}

/// The specs mutants are made from, in a fixed order: `spec/crisp.yaml`, then every valid
/// fixture by name, each as its name (relative to `root`, the workspace) and its text.
///
/// # Errors
///
/// A message naming the file or directory that cannot be read.
pub fn base_specs(root: &std::path::Path) -> Result<Vec<(String, String)>, String> {
    let read = |path: &std::path::Path, name: &str| {
        std::fs::read_to_string(path).map_err(|error| format!("cannot read {name}: {error}"))
    };
    let mut bases = vec![(
        "spec/crisp.yaml".to_owned(),
        read(&root.join("spec/crisp.yaml"), "spec/crisp.yaml")?,
    )];
    let dir = root.join("tests/fixtures/valid");
    let mut fixtures: Vec<std::path::PathBuf> = std::fs::read_dir(&dir)
        .map_err(|error| format!("cannot read {}: {error}", dir.display()))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    fixtures.sort();
    for path in fixtures {
        let file = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let name = format!("tests/fixtures/valid/{file}");
        let text = read(&path, &name)?;
        bases.push((name, text));
    }
    Ok(bases)
}

/// Loads and generates `text` (named `file` in diagnostics) and judges the outcome: each
/// diagnostic must carry a JSON pointer, and a line when that pointer names a node of the
/// document; a diagnostic that reports a generator bug fails the rule too.
pub fn judge(file: &str, text: &str) -> Verdict {
    let outcome = catch_unwind(AssertUnwindSafe(|| match load::load_str(file, text) {
        Err(diagnostics) => (None, Err(diagnostics)),
        Ok(spec) => {
            let generated = generate(&spec);
            (Some(spec), generated)
        }
    }));
    let (spec, generated) = match outcome {
        Ok(outcome) => outcome,
        Err(payload) => {
            let message = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| {
                    payload
                        .downcast_ref::<&str>()
                        .map(|text| (*text).to_owned())
                })
                .unwrap_or_else(|| "a panic without a message".to_owned());
            return Verdict::Panicked(message);
        }
    };
    let diagnostics = match generated {
        Ok(files) => return Verdict::Accepted(files),
        Err(diagnostics) => diagnostics,
    };
    let mut problems = Vec::new();
    for diagnostic in diagnostics.iter() {
        let pointer = &diagnostic.pointer;
        if diagnostic.message.starts_with("generator bug") {
            problems.push(diagnostic.message.clone());
        } else if !(pointer.is_empty() || pointer.starts_with('/')) {
            problems.push(format!(
                "not a JSON pointer: {pointer:?} ({})",
                diagnostic.message
            ));
        } else if diagnostic.line.is_none()
            && spec
                .as_ref()
                .is_some_and(|spec| spec.raw_at(pointer).is_some())
        {
            problems.push(format!(
                "no line for the existing node {pointer} ({})",
                diagnostic.message
            ));
        }
    }
    if problems.is_empty() {
        Verdict::Rejected(diagnostics)
    } else {
        Verdict::Unlocated(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutants_are_reproducible_and_differ() {
        let base: Value = serde_yaml::from_str("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    A: {type: object, properties: {b: {$ref: '#/components/schemas/B'}}}\n    B: {type: string, enum: [x, y]}\n").expect("YAML");
        let mutator = Mutator::new(base, 7);
        let first = mutator.mutant(3);
        assert_eq!(first.text, mutator.mutant(3).text);
        assert_eq!(first.description, mutator.mutant(3).description);
        let texts: std::collections::BTreeSet<String> =
            (0..50).map(|index| mutator.mutant(index).text).collect();
        assert!(
            texts.len() > 25,
            "only {} distinct mutants of 50",
            texts.len()
        );
    }

    #[test]
    fn the_generator_is_deterministic_in_its_random_numbers() {
        let mut a = Rng::new(1);
        let mut b = Rng::new(1);
        for _ in 0..10 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        assert_eq!(Rng::new(5).below(0), 0);
    }
}
