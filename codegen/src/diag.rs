//! Problems found in the spec: each one carries its JSON pointer, line and a hint, and all of them are reported together.
//!
//! A [`Diagnostic`] says what is wrong and where; [`Diagnostics`] collects them in the order
//! they were found and prints them the way rustc prints errors:
//!
//! ```text
//! error: path parameter `session_id` is not declared
//!   --> spec/crisp.yaml:42 at /paths/~1website~1{website_id}~1conversation~1{session_id}/get
//!   = help: add a parameter with `in: path` and `name: session_id`, or remove `{session_id}` from the path
//!
//! 1 error
//! ```
//!
//! Locations are JSON pointers (RFC 6901) into the spec, built with [`Pointer`], so they stay
//! meaningful whatever the lowering code was doing when it found the problem.

use std::fmt;

/// One problem in the spec, with where it is and how to fix it.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// The JSON pointer (RFC 6901) of the offending node, e.g. `/paths/~1website~1{website_id}/get`.
    pub pointer: String,
    /// The 1-based line of the offending node in the spec, when it is known.
    pub line: Option<usize>,
    /// What is wrong, as one sentence without a final period.
    pub message: String,
    /// How to fix it, when there is something useful to say.
    pub help: Option<String>,
    /// Where in the generator the diagnostic was made: the test suite checks that every place
    /// that reports a problem has an invalid fixture that reaches it. Not part of the message.
    #[doc(hidden)]
    pub origin: &'static std::panic::Location<'static>,
}

/// Two diagnostics are equal when they say the same thing at the same place, wherever in the
/// generator they were made.
impl PartialEq for Diagnostic {
    fn eq(&self, other: &Self) -> bool {
        (&self.pointer, self.line, &self.message, &self.help)
            == (&other.pointer, other.line, &other.message, &other.help)
    }
}

impl Eq for Diagnostic {}

impl Diagnostic {
    /// Creates a diagnostic at `pointer` with no line and no help.
    #[track_caller]
    pub fn new(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            pointer: pointer.into(),
            line: None,
            message: message.into(),
            help: None,
            origin: std::panic::Location::caller(),
        }
    }

    /// Adds a hint saying how to fix the problem.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Sets the 1-based line of the offending node.
    #[must_use]
    pub fn with_line(mut self, line: Option<usize>) -> Self {
        self.line = line;
        self
    }
}

/// Every problem found in one spec file, in the order they were found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics {
    /// The spec's display name, e.g. `spec/crisp.yaml`; never an absolute path.
    file: String,
    /// The problems, in the order they were pushed.
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// Creates an empty collection for the spec shown as `file`.
    pub fn new(file: impl Into<String>) -> Self {
        Diagnostics {
            file: file.into(),
            items: Vec::new(),
        }
    }

    /// Returns the spec's display name.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// Records one more problem.
    pub fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }

    /// Returns true when no problem has been recorded.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Returns how many problems have been recorded.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Iterates over the problems in the order they were found.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.items.iter()
    }

    /// Appends problems, for instance those of another [`Diagnostics`], keeping their order.
    pub fn extend<I: IntoIterator<Item = Diagnostic>>(&mut self, iter: I) {
        self.items.extend(iter);
    }

    /// Returns `Ok(ok)` when nothing was recorded, and the problems otherwise.
    pub fn into_result<T>(self, ok: T) -> Result<T, Diagnostics> {
        if self.is_empty() { Ok(ok) } else { Err(self) }
    }

    /// Returns the problems as a vector, in the order they were found.
    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.items
    }
}

impl Extend<Diagnostic> for Diagnostics {
    fn extend<I: IntoIterator<Item = Diagnostic>>(&mut self, iter: I) {
        self.items.extend(iter);
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.items {
            writeln!(f, "error: {}", d.message)?;
            write!(f, "  --> {}", self.file)?;
            if let Some(line) = d.line {
                write!(f, ":{line}")?;
            }
            // The empty pointer is the whole document: the file and line say it all.
            if !d.pointer.is_empty() {
                write!(f, " at {}", d.pointer)?;
            }
            writeln!(f)?;
            if let Some(help) = &d.help {
                writeln!(f, "  = help: {help}")?;
            }
            writeln!(f)?;
        }
        match self.items.len() {
            1 => write!(f, "1 error"),
            n => write!(f, "{n} errors"),
        }
    }
}

impl std::error::Error for Diagnostics {}

/// Escapes one reference token of a JSON pointer (RFC 6901): `~` becomes `~0`, `/` becomes `~1`.
pub fn escape_pointer_token(s: &str) -> String {
    // `~` goes first, or the `~` of a fresh `~1` would be escaped again.
    s.replace('~', "~0").replace('/', "~1")
}

/// Undoes [`escape_pointer_token`]: `~1` becomes `/`, `~0` becomes `~`.
pub fn unescape_pointer_token(s: &str) -> String {
    // `~1` goes first, or `~01` (an escaped `~1`) would come out as `/`.
    s.replace("~1", "/").replace("~0", "~")
}

/// A JSON pointer (RFC 6901) into the spec, built one unescaped token at a time.
///
/// ```
/// use crisp_codegen::diag::Pointer;
/// let p = Pointer::root().push("paths").push("/website/{website_id}").push("get");
/// assert_eq!(p.as_str(), "/paths/~1website~1{website_id}/get");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pointer(String);

impl Pointer {
    /// The pointer to the whole document, which is the empty string.
    pub fn root() -> Self {
        Pointer(String::new())
    }

    /// Returns the pointer to the child `token` (a map key or a list index) of this node.
    #[must_use]
    pub fn push(&self, token: impl fmt::Display) -> Pointer {
        let token = escape_pointer_token(&token.to_string());
        Pointer(format!("{}/{token}", self.0))
    }

    /// Returns the pointer to the parent node, or `None` for the root.
    pub fn parent(&self) -> Option<Pointer> {
        self.0.rfind('/').map(|i| Pointer(self.0[..i].to_owned()))
    }

    /// Returns the unescaped tokens of the pointer, from the root down.
    pub fn tokens(&self) -> Vec<String> {
        if self.0.is_empty() {
            return Vec::new();
        }
        self.0
            .split('/')
            .skip(1)
            .map(unescape_pointer_token)
            .collect()
    }

    /// Returns the pointer as written in diagnostics, e.g. `/paths/~1website/get`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Returns the pointer as an owned string.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Pointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Pointer {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<Pointer> for String {
    fn from(p: Pointer) -> String {
        p.0
    }
}

impl From<&Pointer> for String {
    fn from(p: &Pointer) -> String {
        p.0.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_tilde_before_slash() {
        assert_eq!(escape_pointer_token("a/b~c"), "a~1b~0c");
        assert_eq!(escape_pointer_token("~1"), "~01");
        assert_eq!(unescape_pointer_token("~01"), "~1");
        assert_eq!(unescape_pointer_token("a~1b~0c"), "a/b~c");
    }

    #[test]
    fn pointer_builds_escaped_paths() {
        let p = Pointer::root()
            .push("paths")
            .push("/website/{website_id}")
            .push("get")
            .push("parameters")
            .push(0);
        assert_eq!(
            p.as_str(),
            "/paths/~1website~1{website_id}/get/parameters/0"
        );
        assert_eq!(
            p.tokens(),
            ["paths", "/website/{website_id}", "get", "parameters", "0"]
        );
        assert_eq!(
            p.parent().map(Pointer::into_string).as_deref(),
            Some("/paths/~1website~1{website_id}/get/parameters")
        );
        assert_eq!(Pointer::root().parent(), None);
        assert!(Pointer::root().tokens().is_empty());
    }

    #[test]
    fn displays_like_rustc() {
        let mut diags = Diagnostics::new("spec/crisp.yaml");
        diags.push(
            Diagnostic::new(
                "/paths/~1website~1{website_id}~1conversation~1{session_id}/get",
                "path parameter `session_id` is not declared",
            )
            .with_line(Some(42))
            .with_help(
                "add a parameter with `in: path` and `name: session_id`, or remove `{session_id}` from the path",
            ),
        );
        diags.push(Diagnostic::new("", "the spec is empty"));
        let expected = "\
error: path parameter `session_id` is not declared
  --> spec/crisp.yaml:42 at /paths/~1website~1{website_id}~1conversation~1{session_id}/get
  = help: add a parameter with `in: path` and `name: session_id`, or remove `{session_id}` from the path

error: the spec is empty
  --> spec/crisp.yaml

2 errors";
        assert_eq!(diags.to_string(), expected);
    }

    #[test]
    fn counts_one_error_in_the_singular() {
        let mut diags = Diagnostics::new("x.yaml");
        diags.push(Diagnostic::new("/a", "bad").with_line(Some(3)));
        assert_eq!(
            diags.to_string(),
            "error: bad\n  --> x.yaml:3 at /a\n\n1 error"
        );
    }

    #[test]
    fn keeps_insertion_order_and_converts_to_result() {
        let mut a = Diagnostics::new("x.yaml");
        assert_eq!(a.clone().into_result(7), Ok(7));
        a.push(Diagnostic::new("/z", "first"));
        let mut b = Diagnostics::new("x.yaml");
        b.push(Diagnostic::new("/a", "second"));
        a.extend(b);
        let messages: Vec<_> = a.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(messages, ["first", "second"]);
        assert_eq!(a.len(), 2);
        assert!(a.into_result(()).is_err());
    }
}
