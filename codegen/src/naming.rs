//! Rust names for spec names: the only user of `heck`, one way of escaping keywords.
//!
//! Every identifier the generator prints comes from here, paired with the wire name
//! it stands for, so that `#[serde(rename)]` and the identifier can never disagree.

use heck::{ToPascalCase, ToSnakeCase};

/// Words Rust reserves in edition 2024, escaped as raw identifiers (`r#type`).
const RAW_KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "dyn", "else", "enum", "extern", "false",
    "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "static", "struct", "trait", "true", "type", "unsafe", "use", "where",
    "while", "abstract", "become", "box", "do", "final", "macro", "override", "priv", "try",
    "typeof", "unsized", "virtual", "yield",
];

/// Words that cannot even be raw identifiers; they get a trailing underscore.
const NON_RAW_KEYWORDS: &[&str] = &["self", "Self", "super", "crate", "_"];

/// Type names the generated code already uses for itself, which spec names must not shadow.
const RESERVED_TYPES: &[&str] = &[
    "Option", "Result", "Some", "None", "Ok", "Err", "Vec", "Box", "String", "Self", "Client",
    "Error", "Value", "Map", "BTreeMap", "Patch", "Caller", "ApiError",
];

/// An identifier paired with the spec name it was made from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Name {
    /// The identifier as Rust code spells it, raw prefix included (`r#type`).
    pub ident: String,
    /// The name on the wire (`type`), used for `#[serde(rename)]` and in docs.
    pub wire: String,
}

impl Name {
    /// The identifier without its raw prefix, as it reads in docs and in comparisons.
    pub fn bare(&self) -> &str {
        self.ident.strip_prefix("r#").unwrap_or(&self.ident)
    }

    /// Whether serde needs a `rename` to map the identifier onto the wire name.
    pub fn needs_rename(&self) -> bool {
        self.bare() != self.wire
    }
}

/// A `snake_case` value identifier (field, argument, method, module).
///
/// Leading digits get a `n` prefix (`2fa_enabled` → `n2fa_enabled`), keywords become raw
/// identifiers, and characters that are not alphanumeric separate words.
pub fn snake(wire: &str) -> Name {
    let mut ident = words(wire).to_snake_case();
    if ident.is_empty() {
        ident = "value".to_owned();
    }
    if ident.starts_with(|c: char| c.is_ascii_digit()) {
        ident.insert(0, 'n');
    }
    Name {
        ident: escape_keyword(ident),
        wire: wire.to_owned(),
    }
}

/// A module name (also a file name, a client accessor and a cargo feature): like [`snake`],
/// but a keyword gets a trailing underscore (`static` → `static_`), since raw identifiers do
/// not make file names.
pub fn module(wire: &str) -> String {
    let name = snake(wire);
    let bare = name.bare();
    if RAW_KEYWORDS.contains(&bare) || NON_RAW_KEYWORDS.contains(&bare) {
        format!("{}_", bare.trim_end_matches('_'))
    } else {
        bare.to_owned()
    }
}

/// Names the generated methods and handlers use for their own locals and arguments.
const GENERATED_LOCALS: &[&str] = &[
    "caller", "options", "body", "path", "query", "headers", "ctx", "result", "client", "routes",
    "answer", "inputs",
];

/// The identifier of an operation parameter: like [`snake`], but a name the generated code
/// uses for its own locals gets a `_param` suffix (`query` → `query_param`), so a parameter
/// never shadows them.
pub fn param(wire: &str) -> Name {
    let mut name = snake(wire);
    if GENERATED_LOCALS.contains(&name.bare()) {
        name.ident = format!("{}_param", name.bare());
    }
    name
}

/// A `PascalCase` type or variant identifier.
///
/// Leading digits get a `V` prefix (`2fa` → `V2fa`); an empty value becomes `Empty`.
pub fn pascal(wire: &str) -> Name {
    let mut ident = words(wire).to_pascal_case();
    if ident.is_empty() {
        ident = "Empty".to_owned();
    }
    if ident.starts_with(|c: char| c.is_ascii_digit()) {
        ident.insert(0, 'V');
    }
    if NON_RAW_KEYWORDS.contains(&ident.as_str()) {
        ident.push('_');
    }
    Name {
        ident,
        wire: wire.to_owned(),
    }
}

/// Whether a type name would shadow a name the generated code uses itself.
pub fn is_reserved_type(ident: &str) -> bool {
    RESERVED_TYPES.contains(&ident)
}

/// Joins type-name parts into one `PascalCase` name (`ListConversations` + `Data`).
pub fn join_type(parts: &[&str]) -> String {
    parts.iter().map(|part| pascal(part).ident).collect()
}

/// The words of a name, as ASCII: letters and digits stay, every other letter or digit
/// becomes a word of its own spelling its code point (`area²` → `area ub2`, so names that
/// differ only there stay apart), and anything else breaks words.
///
/// Identifiers stay ASCII: Rust accepts other letters, but lints against many of them
/// (`uncommon_codepoints`, `confusable_idents`), and the generated code compiles without
/// warnings.
fn words(wire: &str) -> String {
    let mut out = String::with_capacity(wire.len());
    for c in wire.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if c.is_alphanumeric() {
            out.push_str(&format!(" u{:x} ", u32::from(c)));
        } else {
            out.push(' ');
        }
    }
    out
}

fn escape_keyword(ident: String) -> String {
    if NON_RAW_KEYWORDS.contains(&ident.as_str()) {
        format!("{ident}_")
    } else if RAW_KEYWORDS.contains(&ident.as_str()) {
        format!("r#{ident}")
    } else {
        ident
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_names_escape_keywords_and_digits() {
        assert_eq!(snake("type").ident, "r#type");
        assert_eq!(snake("self").ident, "self_");
        assert_eq!(snake("2fa_enabled").ident, "n2fa_enabled");
        assert_eq!(snake("data-url").ident, "data_url");
        assert_eq!(snake("camelCase").ident, "camel_case");
        assert_eq!(snake("website_id").ident, "website_id");
        assert!(!snake("website_id").needs_rename());
        assert!(!snake("type").needs_rename());
        assert!(snake("camelCase").needs_rename());
        assert_eq!(
            snake("getURLForHTTPRequest").ident,
            "get_url_for_http_request"
        );
    }

    #[test]
    fn modules_are_never_keywords() {
        assert_eq!(module("static"), "static_");
        assert_eq!(module("self"), "self_");
        assert_eq!(module("website.conversation"), "website_conversation");
    }

    #[test]
    fn parameters_never_shadow_generated_locals() {
        assert_eq!(param("query").ident, "query_param");
        assert_eq!(param("query").wire, "query");
        assert_eq!(param("website_id").ident, "website_id");
    }

    #[test]
    fn names_are_ascii_identifiers_whatever_the_spec_writes() {
        let cases = [
            ("area²", "area_ub2", "AreaUb2"),
            ("données", "donn_ue9_es", "DonnUe9Es"),
            ("数据", "u6570_u636e", "U6570U636e"),
            ("🙂", "value", "Empty"),
            ("e\u{301}", "e", "E"),
            ("٣", "u663", "U663"),
        ];
        for (wire, snake_ident, pascal_ident) in cases {
            assert_eq!(snake(wire).ident, snake_ident, "{wire}");
            assert_eq!(pascal(wire).ident, pascal_ident, "{wire}");
            assert_eq!(snake(wire).wire, wire);
        }
    }

    #[test]
    fn pascal_names() {
        assert_eq!(pascal("not-resolved").ident, "NotResolved");
        assert_eq!(pascal("user:pending").ident, "UserPending");
        assert_eq!(pascal("2fa").ident, "V2fa");
        assert_eq!(pascal("").ident, "Empty");
        assert_eq!(pascal("website.conversation").ident, "WebsiteConversation");
        assert_eq!(
            join_type(&["listConversations", "Data"]),
            "ListConversationsData"
        );
    }
}
