//! A tool call's arguments checked and sent as the operation's request.

use serde_json::{Map, Value};

use super::operation::{Answer, Kind, Location, Operation, Param};
use crate::client::{
    Call, ClientCore, Error, HeaderPairs, QueryPairs, encode_path, encode_path_segment,
};

/// The arguments, checked against the operation: every argument is a parameter or `body`,
/// the required ones are there, each has its parameter's JSON type, and the body decodes into
/// its model type. The error names the argument (and the place in the body) that is wrong.
pub(crate) fn request(
    operation: &Operation,
    arguments: &Map<String, Value>,
) -> Result<Call, String> {
    for name in arguments.keys() {
        let known = operation.params.iter().any(|param| param.name == name)
            || (name == "body" && operation.body.is_some());
        if !known {
            return Err(format!(
                "unknown argument `{name}`; `{}` takes {}",
                operation.id,
                argument_names(operation)
            ));
        }
    }
    let mut path = String::with_capacity(operation.path.len() + 32);
    let mut rest = operation.path;
    let mut query = QueryPairs::new();
    let mut headers = HeaderPairs::new();
    for param in operation.params {
        let value = match arguments.get(param.name) {
            None | Some(Value::Null) if param.required => {
                return Err(format!(
                    "missing argument `{}` ({})",
                    param.name,
                    param.kind.as_str()
                ));
            }
            None | Some(Value::Null) => continue,
            Some(value) => value,
        };
        check_kind(param, value)?;
        match param.location {
            Location::Path => {
                let placeholder = format!("{{{}}}", param.name);
                let Some(at) = rest.find(&placeholder) else {
                    return Err(format!(
                        "the path of `{}` has no `{placeholder}`",
                        operation.id
                    ));
                };
                path.push_str(&rest[..at]);
                let text = scalar_text(value);
                if param.multi_segment {
                    path.push_str(&encode_path(&text));
                } else {
                    path.push_str(&encode_path_segment(&text));
                }
                rest = &rest[at + placeholder.len()..];
            }
            Location::Query => push(&mut query, param, value)?,
            Location::Header => push(&mut headers, param, value)?,
        }
    }
    path.push_str(rest);
    let body = match (operation.body, arguments.get("body")) {
        (None, _) => None,
        (Some(body), None | Some(Value::Null)) if body.required => {
            return Err("missing argument `body` (an object)".to_owned());
        }
        (Some(_), None | Some(Value::Null)) => None,
        (Some(body), Some(value)) => {
            (body.check)(value).map_err(|error| format!("argument `body`: {error}"))?;
            Some(serde_json::to_vec(value).map_err(|error| format!("argument `body`: {error}"))?)
        }
    };
    Ok(
        Call::new(operation.id, operation.method.http(), operation.path, path)
            .query(query)
            .headers(headers)
            .body(body),
    )
}

/// Sends the request and gives what a success answers, as JSON: the `data`, `null` for an
/// answer without data, `{"exists": …}` for a `HEAD`.
pub(crate) async fn send(
    core: &ClientCore,
    operation: &Operation,
    call: Call,
) -> Result<Value, Error> {
    match operation.answer {
        Answer::Data => core.send_json::<Value>(call).await,
        Answer::Empty => core.send_unit(call).await.map(|()| Value::Null),
        Answer::Exists => core
            .send_head(call)
            .await
            .map(|exists| serde_json::json!({ "exists": exists })),
    }
}

/// A query or header argument, encoded as the generated client encodes its parameter:
/// booleans as `1` or `0`, structured values as JSON text.
fn push(pairs: &mut QueryPairs, param: &Param, value: &Value) -> Result<(), String> {
    match (param.kind, value) {
        (Kind::Boolean, Value::Bool(flag)) => pairs.push_bool(param.name, *flag),
        // A JSON value always serializes; the failure is looked at all the same.
        (Kind::Json, value) => {
            pairs.push_json(param.name, value);
            if let Some(failure) = pairs.failure() {
                return Err(format!("argument `{}`: {failure}", param.name));
            }
        }
        (_, value) => pairs.push_str(param.name, &scalar_text(value)),
    }
    Ok(())
}

fn check_kind(param: &Param, value: &Value) -> Result<(), String> {
    let fits = match param.kind {
        Kind::String => value.is_string(),
        Kind::Integer => value.is_i64() || value.is_u64(),
        Kind::Number => value.is_number(),
        Kind::Boolean => value.is_boolean(),
        Kind::Json => true,
    };
    if fits {
        Ok(())
    } else {
        Err(format!(
            "argument `{}` must be {}, not {}",
            param.name,
            param.kind.as_str(),
            json_type(value)
        ))
    }
}

/// A scalar argument as text: strings as they are, numbers and booleans as JSON writes them.
fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The arguments an operation takes, for an error about one it does not.
fn argument_names(operation: &Operation) -> String {
    let mut names: Vec<String> = operation
        .params
        .iter()
        .map(|param| format!("`{}`", param.name))
        .collect();
    if operation.body.is_some() {
        names.push("`body`".to_owned());
    }
    if names.is_empty() {
        "no argument".to_owned()
    } else {
        names.join(", ")
    }
}
