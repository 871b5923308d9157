//! What the generated `crisp-mcp` crate knows of each operation, and who may call it.

use crate::{Access, Scopes, Tier};

/// The HTTP method of an operation, which also sets its tool's hints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// `GET`: reads.
    Get,
    /// `HEAD`: tells whether something exists.
    Head,
    /// `POST`: creates or acts.
    Post,
    /// `PUT`: replaces; the same call twice has the effect of one.
    Put,
    /// `PATCH`: changes part of something.
    Patch,
    /// `DELETE`: removes, for good.
    Delete,
}

impl Method {
    /// The method as HTTP writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    /// The scope level a call with this method needs: reading for `GET` and `HEAD`, writing
    /// for the others (as the generated server decides).
    pub fn access(self) -> Access {
        match self {
            Method::Get | Method::Head => Access::Read,
            _ => Access::Write,
        }
    }

    /// Whether the call changes nothing.
    pub fn read_only(self) -> bool {
        matches!(self, Method::Get | Method::Head)
    }

    /// Whether the call may destroy something (`DELETE`).
    pub fn destructive(self) -> bool {
        matches!(self, Method::Delete)
    }

    /// Whether repeating the call has no further effect.
    pub fn idempotent(self) -> bool {
        !matches!(self, Method::Post | Method::Patch)
    }

    pub(crate) fn http(self) -> reqwest::Method {
        match self {
            Method::Get => reqwest::Method::GET,
            Method::Head => reqwest::Method::HEAD,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Patch => reqwest::Method::PATCH,
            Method::Delete => reqwest::Method::DELETE,
        }
    }
}

/// Where a parameter travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Location {
    /// A `{name}` segment of the path.
    Path,
    /// A query string pair.
    Query,
    /// A request header.
    Header,
}

/// The JSON type of a parameter's argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A string.
    String,
    /// An integer.
    Integer,
    /// A number.
    Number,
    /// `true` or `false`.
    Boolean,
    /// Any JSON value (an array, an object or a union), sent in the query as the client
    /// sends it: JSON text, or a string as it is.
    Json,
}

impl Kind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::String => "a string",
            Kind::Integer => "an integer",
            Kind::Number => "a number",
            Kind::Boolean => "true or false",
            Kind::Json => "a JSON value",
        }
    }
}

/// One parameter of an operation; its argument has the parameter's wire name.
#[derive(Clone, Copy, Debug)]
pub struct Param {
    /// The wire name, which is also the argument's name.
    pub name: &'static str,
    /// Where it travels.
    pub location: Location,
    /// Whether the argument must be given.
    pub required: bool,
    /// Its JSON type.
    pub kind: Kind,
    /// A path parameter whose `/` stay unencoded (a path in the help center tree).
    pub multi_segment: bool,
}

/// The request body of an operation, given as the `body` argument.
#[derive(Clone, Copy, Debug)]
pub struct Body {
    /// Whether the argument must be given.
    pub required: bool,
    /// Decodes the argument into the body's model type: the error names the place that does
    /// not fit (`content.text: invalid type: …`).
    pub check: fn(&serde_json::Value) -> Result<(), String>,
}

/// What a success of the operation answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// The envelope's `data`.
    Data,
    /// Nothing but success.
    Empty,
    /// Whether the resource exists (`HEAD`).
    Exists,
}

/// One operation of the spec, as the MCP server describes and calls it.
#[derive(Clone, Copy, Debug)]
pub struct Operation {
    /// The spec's `operationId`, by which the generic tools name it (`getConversation`).
    pub id: &'static str,
    /// The name of its own tool, for the operations of the default toolset (`x-crisp-mcp`).
    pub tool: Option<&'static str>,
    /// The area (tag) it belongs to (`website.conversation`).
    pub area: &'static str,
    /// Its one-line summary.
    pub summary: &'static str,
    /// Its longer description (may be empty).
    pub description: &'static str,
    /// Its HTTP method.
    pub method: Method,
    /// Its path template, relative to the API's base URL.
    pub path: &'static str,
    /// Its path, query and header parameters.
    pub params: &'static [Param],
    /// Its request body, if it takes one.
    pub body: Option<Body>,
    /// What a success answers.
    pub answer: Answer,
    /// The JSON Schema of its arguments, as JSON text.
    pub input_schema: &'static str,
    /// The token tiers allowed to call it; empty when the spec does not say.
    pub tiers: &'static [Tier],
    /// The plugin scope it needs (`website:conversation:sessions`).
    pub scope: Option<&'static str>,
    /// Whether Crisp reserves it for its own apps.
    pub internal: bool,
    /// Whether it is deprecated.
    pub deprecated: bool,
}

/// What the server's token may reach: its tier, the scopes it was granted and whether the
/// operations Crisp reserves for its own apps are on.
#[derive(Clone, Debug)]
pub struct Reach {
    /// The token's tier.
    pub tier: Tier,
    /// The plugin scopes granted to the token (every scope for a development token).
    pub scopes: Scopes,
    /// Whether internal operations may be listed and called.
    pub internal: bool,
}

impl Reach {
    /// Why the token may not call `operation`, or `None` when it may. The reasons are the
    /// generated server's, plus the `--internal` flag.
    pub fn refusal(&self, operation: &Operation) -> Option<String> {
        let id = operation.id;
        if operation.internal && !self.internal {
            return Some(format!(
                "`{id}` is reserved for Crisp's own apps: start crisp-mcp with --internal to reach it"
            ));
        }
        if !operation.tiers.is_empty() && !operation.tiers.contains(&self.tier) {
            return Some(format!("`{id}` is not available to {} tokens", self.tier));
        }
        if let (Tier::Plugin, Some(scope)) = (self.tier, operation.scope) {
            let access = operation.method.access();
            if !self.scopes.allows(scope, access) {
                return Some(format!(
                    "`{id}` needs the scope `{scope}` with {} access, which this token lacks",
                    access.as_str()
                ));
            }
        }
        None
    }
}
