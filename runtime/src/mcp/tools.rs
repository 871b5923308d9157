//! The generic tools (search, describe, call), and the text and schemas of every tool.

use std::sync::Arc;

use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use serde_json::{Map, Value, json};

use super::operation::{Operation, Reach};
use super::{CALL, DESCRIBE, Outcome, SEARCH};

/// What the server tells an agent when it connects.
pub(crate) const INSTRUCTIONS: &str = "Tools over the Crisp REST API (https://api.crisp.chat/v1), \
bounded by this server's token. The listed tools cover conversations, messages, contacts, \
settings, operators, visitors and campaigns. Every other operation is reachable too: \
search_operations finds them by words, describe_operation gives the arguments of one, and \
call_operation calls it. Most operations take a website_id. Writing a message or changing a \
conversation reaches a real customer.";

/// The most results a search gives.
const SEARCH_LIMIT_MAX: u64 = 50;
/// How many results a search gives by default.
const SEARCH_LIMIT: u64 = 10;

/// An operation's input schema, parsed once.
pub(crate) fn parse_schema(operation: &Operation) -> Result<Arc<JsonObject>, String> {
    match serde_json::from_str::<Value>(operation.input_schema) {
        Ok(Value::Object(schema)) => Ok(Arc::new(schema)),
        Ok(_) => Err(format!(
            "the input schema of `{}` is not an object",
            operation.id
        )),
        Err(error) => Err(format!("the input schema of `{}`: {error}", operation.id)),
    }
}

/// A tool's description: the operation's summary and description, and what it needs.
pub(crate) fn description(operation: &Operation) -> String {
    let mut text = operation.summary.to_owned();
    if !operation.description.is_empty() && operation.description != operation.summary {
        text.push_str("\n\n");
        text.push_str(operation.description);
    }
    text.push_str(&format!(
        "\n\n{} {} (`{}`)",
        operation.method.as_str(),
        operation.path,
        operation.id
    ));
    if let Some(scope) = operation.scope {
        text.push_str(&format!(
            "; plugin scope `{scope}` ({})",
            operation.method.access().as_str()
        ));
    }
    if operation.deprecated {
        text.push_str("; deprecated");
    }
    text.push('.');
    text
}

/// The three generic tools.
pub(crate) fn generic() -> Vec<Tool> {
    let schema = |value: Value| match value {
        Value::Object(map) => Arc::new(map),
        _ => unreachable!("the generic tools' schemas are objects"),
    };
    let operation = json!({
        "type": "string",
        "description": "The operationId, as search_operations gives it (for example getConversation).",
    });
    vec![
        Tool::new(
            SEARCH,
            "Finds the Crisp API operations this token may call whose name, summary, \
             description or path contain the given words. Gives each one's operationId, \
             method, path and summary, best matches first.",
            schema(json!({
                "type": "object",
                "properties": {
                    "query": {
                        "type": "string",
                        "description": "Words to look for, for example `helpdesk article`.",
                    },
                    "limit": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": SEARCH_LIMIT_MAX,
                        "description": "How many operations to give (10 when left out).",
                    },
                },
                "required": ["query"],
                "additionalProperties": false,
            })),
        )
        .with_annotations(ToolAnnotations::new().read_only(true).open_world(false)),
        Tool::new(
            DESCRIBE,
            "Describes one Crisp API operation: what it does, its method and path, the scope \
             it needs, and the JSON Schema of the arguments call_operation takes for it.",
            schema(json!({
                "type": "object",
                "properties": { "operation": operation },
                "required": ["operation"],
                "additionalProperties": false,
            })),
        )
        .with_annotations(ToolAnnotations::new().read_only(true).open_world(false)),
        Tool::new(
            CALL,
            "Calls any Crisp API operation by its operationId with its arguments (path and \
             query parameters by name, the request body as `body`), as describe_operation \
             gives them. Answers the operation's data.",
            schema(json!({
                "type": "object",
                "properties": {
                    "operation": operation,
                    "arguments": {
                        "type": "object",
                        "description": "The operation's arguments, as describe_operation gives their schema.",
                    },
                },
                "required": ["operation"],
                "additionalProperties": false,
            })),
        )
        .with_annotations(
            ToolAnnotations::new()
                .read_only(false)
                .destructive(true)
                .idempotent(false)
                .open_world(true),
        ),
    ]
}

/// `search_operations`: the operations the token may call that contain the most of the
/// query's words.
pub(crate) fn search(
    operations: &'static [Operation],
    reach: &Reach,
    arguments: &Map<String, Value>,
) -> Outcome {
    let Some(query) = arguments.get("query").and_then(Value::as_str) else {
        return Outcome::Invalid("missing argument `query` (a string)".to_owned());
    };
    let limit = match arguments.get("limit") {
        None | Some(Value::Null) => SEARCH_LIMIT,
        Some(limit) => match limit.as_u64() {
            Some(limit @ 1..=SEARCH_LIMIT_MAX) => limit,
            _ => {
                return Outcome::Invalid(format!(
                    "argument `limit` must be an integer from 1 to {SEARCH_LIMIT_MAX}"
                ));
            }
        },
    };
    let words: Vec<String> = query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect();
    let mut scored: Vec<(usize, usize)> = operations
        .iter()
        .enumerate()
        .filter(|(_, operation)| reach.refusal(operation).is_none())
        .filter_map(|(index, operation)| {
            let score = score(operation, &words);
            (score > 0).then_some((score, index))
        })
        .collect();
    // Best first; the spec's order among equals.
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let found: Vec<Value> = scored
        .iter()
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .map(|(_, index)| {
            let operation = &operations[*index];
            let mut entry = json!({
                "operation": operation.id,
                "method": operation.method.as_str(),
                "path": operation.path,
                "summary": operation.summary,
            });
            if let Some(tool) = operation.tool {
                entry["tool"] = json!(tool);
            }
            entry
        })
        .collect();
    Outcome::Done(json!({ "operations": found, "matched": scored.len() }))
}

/// How well an operation matches the words: a word in its name or path counts twice, one in
/// its summary or description once; an operation missing a word scores nothing.
fn score(operation: &Operation, words: &[String]) -> usize {
    if words.is_empty() {
        return 0;
    }
    let name = format!(
        "{} {} {} {}",
        operation.id,
        operation.tool.unwrap_or_default(),
        operation.path,
        operation.area
    )
    .to_lowercase();
    let text = format!("{} {}", operation.summary, operation.description).to_lowercase();
    let mut total = 0;
    for word in words {
        let in_name = name.contains(word.as_str());
        let in_text = text.contains(word.as_str());
        if !in_name && !in_text {
            return 0;
        }
        total += 2 * usize::from(in_name) + usize::from(in_text);
    }
    total
}

/// `describe_operation`: one operation, with the schema of its arguments.
pub(crate) fn describe(operation: &Operation) -> Outcome {
    let schema: Value = serde_json::from_str(operation.input_schema).unwrap_or(Value::Null);
    let mut description = json!({
        "operation": operation.id,
        "area": operation.area,
        "method": operation.method.as_str(),
        "path": operation.path,
        "summary": operation.summary,
        "description": operation.description,
        "tiers": operation.tiers.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "read_only": operation.method.read_only(),
        "deprecated": operation.deprecated,
        "arguments": schema,
    });
    if let Some(scope) = operation.scope {
        description["scope"] =
            json!({ "name": scope, "access": operation.method.access().as_str() });
    }
    if let Some(tool) = operation.tool {
        description["tool"] = json!(tool);
    }
    Outcome::Done(description)
}
