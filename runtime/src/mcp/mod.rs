//! A Model Context Protocol server over the Crisp REST API: the support of the generated
//! `crisp-mcp` crate, which gives it one [`Operation`] per operation of the spec.
//!
//! Agents see a small toolset rather than one tool per operation (an agent client copes with a
//! few dozen tools, not 473):
//!
//! - one tool per operation the spec marks with `x-crisp-mcp` (the default toolset: the
//!   conversations, messages, contacts, settings, operators, visitors and campaigns an agent
//!   works with), named by that mark;
//! - three generic tools that reach every other operation: [`SEARCH`] finds operations by
//!   words, [`DESCRIBE`] gives one's arguments as JSON Schema, and [`CALL`] calls one by its
//!   `operationId`.
//!
//! Every tool and operation is bounded by what the token may do ([`Reach`]): the tiers and
//! plugin scopes the generated server enforces, and internal operations only on request. A
//! refused call is a tool error that says why (naming the missing scope), as are arguments that
//! do not fit (naming the argument) and Crisp's own errors (its status, `reason` and message).
//! Each call is traced (tool, operation, outcome, duration); arguments and keys never are.
//!
//! The MCP SDK (`rmcp`, pinned exactly) stays inside this module: [`McpServer`] is served with
//! [`serve_stdio`] or [`http_router`], and [`run`] is the whole `crisp-mcp` command.

mod call;
mod cli;
mod operation;
mod tools;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use rmcp::ErrorData;
use rmcp::handler::server::ServerHandler;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, Implementation, InitializeResult,
    JsonObject, ListToolsResult, PaginatedRequestParams, ServerCapabilities, Tool, ToolAnnotations,
};
use rmcp::service::{RequestContext, RoleServer};
use serde_json::{Map, Value, json};

pub use self::cli::{http_router, run, serve_stdio};
pub use self::operation::{Answer, Body, Kind, Location, Method, Operation, Param, Reach};
use crate::client::ClientCore;

/// The generic tool that searches the operations by words.
pub const SEARCH: &str = "search_operations";
/// The generic tool that describes one operation, with the JSON Schema of its arguments.
pub const DESCRIBE: &str = "describe_operation";
/// The generic tool that calls any operation by its `operationId`.
pub const CALL: &str = "call_operation";

/// Decodes a body argument as the body's model type `T`, for [`Body::check`]: the error names
/// the place that does not fit (`content: missing field `text``).
///
/// # Errors
///
/// The decoding error, after the path of the value it concerns.
pub fn check<T: serde::de::DeserializeOwned>(value: &Value) -> Result<(), String> {
    match serde_path_to_error::deserialize::<_, T>(value) {
        Ok(_) => Ok(()),
        Err(error) => {
            let path = error.path().to_string();
            if path == "." {
                Err(error.inner().to_string())
            } else {
                Err(format!("{path}: {}", error.inner()))
            }
        }
    }
}

/// An MCP server whose tools call the Crisp REST API with one token. Clones share it.
#[derive(Clone)]
pub struct McpServer {
    inner: Arc<Inner>,
}

struct Inner {
    core: ClientCore,
    operations: &'static [Operation],
    reach: Reach,
    name: &'static str,
    version: &'static str,
    /// The tools listed: the default toolset's the token may call, then the generic ones.
    tools: Vec<Tool>,
    /// Operation indexes by tool name (default toolset) and by `operationId`.
    by_tool: HashMap<&'static str, usize>,
    by_id: HashMap<&'static str, usize>,
}

impl std::fmt::Debug for McpServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("McpServer")
            .field("name", &self.inner.name)
            .field("reach", &self.inner.reach)
            .field("tools", &self.inner.tools.len())
            .finish_non_exhaustive()
    }
}

impl McpServer {
    /// A server for `operations` (the generated crate's table), calling Crisp through `core`
    /// within `reach`; `name` and `version` are what it tells clients it is.
    ///
    /// # Errors
    ///
    /// An operation's input schema that is not a JSON object, or two operations with one tool
    /// name or one id: a defect of the generated table.
    pub fn new(
        core: ClientCore,
        operations: &'static [Operation],
        reach: Reach,
        name: &'static str,
        version: &'static str,
    ) -> Result<Self, String> {
        let mut by_tool = HashMap::new();
        let mut by_id = HashMap::new();
        let mut tools = Vec::new();
        for (index, operation) in operations.iter().enumerate() {
            if by_id.insert(operation.id, index).is_some() {
                return Err(format!("two operations are named `{}`", operation.id));
            }
            let schema = tools::parse_schema(operation)?;
            let Some(tool) = operation.tool else { continue };
            if [SEARCH, DESCRIBE, CALL].contains(&tool) {
                return Err(format!(
                    "`{}` takes the generic tool's name `{tool}`",
                    operation.id
                ));
            }
            if by_tool.insert(tool, index).is_some() {
                return Err(format!("two tools are named `{tool}`"));
            }
            if reach.refusal(operation).is_none() {
                tools.push(operation_tool(operation, tool, schema));
            }
        }
        tools.extend(tools::generic());
        Ok(Self {
            inner: Arc::new(Inner {
                core,
                operations,
                reach,
                name,
                version,
                tools,
                by_tool,
                by_id,
            }),
        })
    }

    /// The tools the server lists, in order.
    pub fn tools(&self) -> impl Iterator<Item = (&str, &JsonObject)> {
        self.inner
            .tools
            .iter()
            .map(|tool| (tool.name.as_ref(), tool.input_schema.as_ref()))
    }

    /// The whole `tools/list` answer as JSON, for measuring what an agent reads.
    pub fn tools_json(&self) -> Value {
        json!({ "tools": self.inner.tools })
    }

    /// Runs one tool call: the tool's result, or a tool error (an unknown tool, a refused or
    /// malformed call, Crisp's error).
    pub async fn call(&self, tool: &str, arguments: Map<String, Value>) -> CallToolResult {
        let started = Instant::now();
        let (operation, outcome) = self.dispatch(tool, arguments).await;
        let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        match &outcome {
            Outcome::Done(_) => {
                tracing::info!(
                    tool,
                    operation,
                    outcome = "ok",
                    duration_ms,
                    "mcp tool call"
                );
            }
            Outcome::Refused(_) | Outcome::Invalid(_) => {
                tracing::info!(
                    tool,
                    operation,
                    outcome = "refused",
                    duration_ms,
                    "mcp tool call"
                );
            }
            Outcome::Crisp(error) => tracing::info!(
                tool,
                operation,
                outcome = "crisp_error",
                status = error.status().map(|status| status.as_u16()),
                reason = error.reason().map(|reason| reason.as_str()),
                duration_ms,
                "mcp tool call"
            ),
        }
        outcome.into_result()
    }

    async fn dispatch(&self, tool: &str, arguments: Map<String, Value>) -> (&'static str, Outcome) {
        let inner = &self.inner;
        match tool {
            SEARCH => (
                "",
                tools::search(inner.operations, &inner.reach, &arguments),
            ),
            DESCRIBE => match self.generic_target(&arguments) {
                Ok(operation) => (operation.id, tools::describe(operation)),
                Err(outcome) => ("", outcome),
            },
            CALL => match self.generic_target(&arguments) {
                Ok(operation) => {
                    let arguments = match arguments.get("arguments") {
                        None | Some(Value::Null) => Map::new(),
                        Some(Value::Object(arguments)) => arguments.clone(),
                        Some(_) => {
                            return (
                                operation.id,
                                Outcome::Invalid("argument `arguments` must be an object".into()),
                            );
                        }
                    };
                    (
                        operation.id,
                        self.call_operation(operation, &arguments).await,
                    )
                }
                Err(outcome) => ("", outcome),
            },
            _ => match inner.by_tool.get(tool) {
                Some(index) => {
                    let operation = &inner.operations[*index];
                    (
                        operation.id,
                        self.call_operation(operation, &arguments).await,
                    )
                }
                None => (
                    "",
                    Outcome::Invalid(format!(
                        "no tool is named `{tool}`; `{SEARCH}` finds operations and `{CALL}` calls them"
                    )),
                ),
            },
        }
    }

    /// The operation a generic tool names in its `operation` argument, if the token may see it.
    fn generic_target(
        &self,
        arguments: &Map<String, Value>,
    ) -> Result<&'static Operation, Outcome> {
        let inner = &self.inner;
        let Some(id) = arguments.get("operation").and_then(Value::as_str) else {
            return Err(Outcome::Invalid(
                "missing argument `operation` (an operationId, as search_operations gives)".into(),
            ));
        };
        let Some(index) = inner.by_id.get(id) else {
            return Err(Outcome::Invalid(format!(
                "no operation is named `{id}`; `{SEARCH}` lists the ones there are"
            )));
        };
        let operation = &inner.operations[*index];
        match inner.reach.refusal(operation) {
            Some(reason) => Err(Outcome::Refused(reason)),
            None => Ok(operation),
        }
    }

    async fn call_operation(
        &self,
        operation: &'static Operation,
        arguments: &Map<String, Value>,
    ) -> Outcome {
        if let Some(reason) = self.inner.reach.refusal(operation) {
            return Outcome::Refused(reason);
        }
        let request = match call::request(operation, arguments) {
            Ok(request) => request,
            Err(message) => return Outcome::Invalid(message),
        };
        match call::send(&self.inner.core, operation, request).await {
            Ok(data) => Outcome::Done(json!({ "data": data })),
            Err(error) => Outcome::Crisp(error),
        }
    }
}

/// How a tool call ended.
enum Outcome {
    /// The structured result.
    Done(Value),
    /// The token may not do this.
    Refused(String),
    /// The arguments or the tool name are wrong.
    Invalid(String),
    /// Crisp (or the way to it) answered an error.
    Crisp(crate::client::Error),
}

impl Outcome {
    fn into_result(self) -> CallToolResult {
        match self {
            Outcome::Done(value) => CallToolResult::structured(value),
            Outcome::Refused(message) => CallToolResult::structured_error(json!({
                "error": "not_allowed",
                "message": message,
            })),
            Outcome::Invalid(message) => CallToolResult::structured_error(json!({
                "error": "invalid_arguments",
                "message": message,
            })),
            Outcome::Crisp(error) => CallToolResult::structured_error(json!({
                "error": "crisp",
                "status": error.status().map(|status| status.as_u16()),
                "reason": error.reason().map(|reason| reason.as_str()),
                "message": error.to_string(),
            })),
        }
    }
}

/// An operation of the default toolset as a tool: its name, summary, argument schema and the
/// hints its HTTP method gives.
fn operation_tool(operation: &Operation, name: &'static str, schema: Arc<JsonObject>) -> Tool {
    let method = operation.method;
    let mut annotations = ToolAnnotations::new().read_only(method.read_only());
    if !method.read_only() {
        annotations = annotations
            .destructive(method.destructive())
            .idempotent(method.idempotent());
    }
    Tool::new(name, tools::description(operation), schema)
        .with_title(operation.summary)
        .with_annotations(annotations.open_world(true))
}

impl ServerHandler for McpServer {
    fn get_info(&self) -> InitializeResult {
        InitializeResult::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new(self.inner.name, self.inner.version))
            .with_instructions(tools::INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.inner.tools.clone()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let arguments = request.arguments.unwrap_or_default();
        Ok(self.call(&request.name, arguments).await.into())
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.inner
            .tools
            .iter()
            .find(|tool| tool.name == name)
            .cloned()
    }
}

#[cfg(test)]
mod tests;
