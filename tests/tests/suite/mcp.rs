//! `crisp-mcp` against the sandbox, through rmcp's client: over streamable HTTP (the server in
//! this process, on a loopback port) and over standard input and output (the command, started
//! as an agent client starts it). What the tools answer is checked against the sandbox's state,
//! read back with the typed client.

use crisp_client::models::ConversationState;
use crisp_client::{Credentials, RetryPolicy, Tier};
use crisp_mcp::{McpServer, Reach};
use crisp_runtime::client::ClientConfig;
use crisp_sandbox::Mode;
use crisp_sandbox::state::SEED_WEBSITE_ID;
use rmcp::model::{CallToolRequestParams, CallToolResult, Tool};
use rmcp::service::RunningService;
use rmcp::transport::{ConfigureCommandExt, StreamableHttpClientTransport, TokioChildProcess};
use rmcp::{RoleClient, ServiceExt};
use serde_json::{Value, json};

use crate::sandbox::{PLUGIN, Running, USER, config};

/// A plugin token holding only `website:people:profiles` at write level (the test sandbox's).
const SCOPED: (&str, &str) = ("sandbox-scoped", "sandbox-scoped-key");

/// The generic tools, listed after the default toolset's.
const GENERIC: [&str; 3] = ["search_operations", "describe_operation", "call_operation"];

type Client = RunningService<RoleClient, ()>;

/// An MCP server for the token `(identifier, key)` of `tier` with `scopes`, calling `sandbox`.
fn server(
    sandbox: &Running,
    tier: Tier,
    (identifier, key): (&str, &str),
    scopes: &str,
) -> McpServer {
    let core = ClientConfig::new()
        .credentials(Credentials::new(identifier, key, tier))
        .base_url(sandbox.base())
        .retry(RetryPolicy::disabled())
        .build()
        .expect("a client core");
    let reach = Reach {
        tier,
        scopes: scopes.parse().expect("scopes"),
        internal: false,
    };
    McpServer::new(core, crisp_mcp::OPERATIONS, reach, "crisp-mcp", "test").expect("a server")
}

/// Serves `server` over streamable HTTP on a loopback port and connects rmcp's client to it.
async fn over_http(server: McpServer) -> Client {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a loopback port");
    let address = listener.local_addr().expect("the bound address");
    tokio::spawn(async move { axum::serve(listener, crisp_mcp::http_router(server)).await });
    let transport = StreamableHttpClientTransport::from_uri(format!("http://{address}/mcp"));
    ().serve(transport).await.expect("the MCP handshake")
}

/// A sandbox (stateful) and a client of an MCP server with the all-scopes plugin token.
async fn plugin_setup() -> (Running, Client) {
    let sandbox = Running::start(config(Mode::Stateful)).await;
    let client = over_http(server(&sandbox, Tier::Plugin, PLUGIN, "*")).await;
    (sandbox, client)
}

async fn call(client: &Client, tool: &str, arguments: Value) -> CallToolResult {
    let Value::Object(arguments) = arguments else {
        panic!("arguments are an object");
    };
    client
        .call_tool(CallToolRequestParams::new(tool.to_owned()).with_arguments(arguments))
        .await
        .expect("a tool result")
}

/// The structured result of a successful call.
fn success(result: CallToolResult) -> Value {
    assert_ne!(result.is_error, Some(true), "{result:?}");
    result.structured_content.expect("a structured result")
}

/// The structured error of a failed call.
fn failure(result: CallToolResult) -> Value {
    assert_eq!(result.is_error, Some(true), "{result:?}");
    result.structured_content.expect("a structured error")
}

fn names(tools: &[Tool]) -> Vec<&str> {
    tools.iter().map(|tool| tool.name.as_ref()).collect()
}

#[tokio::test]
async fn the_tools_listed_follow_the_tier_and_the_scopes() {
    let sandbox = Running::start(config(Mode::Stateful)).await;
    // (tier, token, scopes, tools of the default toolset listed)
    let cases: &[(Tier, (&str, &str), &str, usize)] = &[
        // The two campaign tools are for user tokens only.
        (Tier::User, USER, "*", 30),
        (Tier::Plugin, PLUGIN, "*", 28),
        (Tier::Plugin, SCOPED, "website:people:profiles=read", 3),
        (Tier::Plugin, SCOPED, "website:people:profiles=write", 7),
        (Tier::Plugin, SCOPED, "", 0),
    ];
    for (tier, token, scopes, own) in cases {
        let client = over_http(server(&sandbox, *tier, *token, scopes)).await;
        let tools = client.list_all_tools().await.expect("the tools");
        let listed = names(&tools);
        assert_eq!(listed.len(), own + 3, "{tier} {scopes}: {listed:?}");
        assert_eq!(listed[*own..], GENERIC, "{tier} {scopes}");
        for tool in &tools {
            assert!(tool.name.len() <= 60, "{}", tool.name);
        }
    }
}

#[tokio::test]
async fn the_read_only_scope_lists_only_reading_tools() {
    let sandbox = Running::start(config(Mode::Stateful)).await;
    let client = over_http(server(
        &sandbox,
        Tier::Plugin,
        SCOPED,
        "website:people:profiles=read",
    ))
    .await;
    let tools = client.list_all_tools().await.expect("the tools");
    assert_eq!(
        names(&tools)[..3],
        // In the order of the spec.
        [
            "get_people_data",
            "get_people_profile",
            "list_people_profiles"
        ]
    );
}

#[tokio::test]
async fn tool_hints_follow_the_http_method() {
    let (_sandbox, client) = plugin_setup().await;
    let tools = client.list_all_tools().await.expect("the tools");
    let hints = |name: &str| {
        let tool = tools.iter().find(|tool| tool.name == name).expect(name);
        let annotations = tool.annotations.clone().expect("annotations");
        (
            annotations.read_only_hint,
            annotations.destructive_hint,
            annotations.idempotent_hint,
        )
    };
    let cases = [
        ("get_conversation", (Some(true), None, None)),
        ("remove_conversation", (Some(false), Some(true), Some(true))),
        (
            "save_people_profile",
            (Some(false), Some(false), Some(true)),
        ),
        (
            "send_message_in_conversation",
            (Some(false), Some(false), Some(false)),
        ),
    ];
    for (name, expected) in cases {
        assert_eq!(hints(name), expected, "{name}");
    }
}

#[tokio::test]
async fn a_tools_input_schema_is_the_operations_arguments() {
    let (_sandbox, client) = plugin_setup().await;
    let tools = client.list_all_tools().await.expect("the tools");
    let tool = tools
        .iter()
        .find(|tool| tool.name == "change_conversation_state")
        .expect("the tool");
    let schema = Value::Object((*tool.input_schema).clone());
    assert_eq!(schema["type"], "object");
    assert_eq!(
        schema["required"],
        json!(["website_id", "session_id", "body"])
    );
    assert_eq!(schema["properties"]["website_id"]["type"], "string");
    assert_eq!(
        schema["properties"]["body"]["properties"]["state"]["enum"],
        json!(["pending", "unresolved", "resolved"])
    );
}

#[tokio::test]
async fn a_read_tool_answers_the_sandboxs_data() {
    let (sandbox, client) = plugin_setup().await;
    let session_id = sandbox.new_conversation().await;
    let result = success(
        call(
            &client,
            "get_conversation",
            json!({ "website_id": SEED_WEBSITE_ID, "session_id": session_id }),
        )
        .await,
    );
    assert_eq!(result["data"]["session_id"], session_id);
    assert_eq!(result["data"]["website_id"], SEED_WEBSITE_ID);
}

#[tokio::test]
async fn a_write_tool_changes_the_sandboxs_state() {
    let (sandbox, client) = plugin_setup().await;
    let session_id = sandbox.new_conversation().await;
    success(
        call(
            &client,
            "change_conversation_state",
            json!({
                "website_id": SEED_WEBSITE_ID,
                "session_id": session_id,
                "body": { "state": "resolved" },
            }),
        )
        .await,
    );
    let state = sandbox
        .plugin()
        .website_conversation()
        .get_conversation_state(SEED_WEBSITE_ID, &session_id)
        .await
        .expect("the state");
    assert_eq!(state.state, Some(ConversationState::Resolved));
}

#[tokio::test]
async fn a_message_sent_through_a_tool_is_in_the_conversation() {
    let (sandbox, client) = plugin_setup().await;
    let session_id = sandbox.new_conversation().await;
    let sent = success(
        call(
            &client,
            "send_message_in_conversation",
            json!({
                "website_id": SEED_WEBSITE_ID,
                "session_id": session_id,
                "body": { "type": "text", "from": "operator", "origin": "chat", "content": "Hello from an agent" },
            }),
        )
        .await,
    );
    assert!(sent["data"]["fingerprint"].is_number(), "{sent}");
    let messages = sandbox
        .plugin()
        .website_conversation()
        .get_messages_in_conversation(SEED_WEBSITE_ID, &session_id, &Default::default())
        .await
        .expect("the messages");
    let texts: Vec<String> = messages
        .iter()
        .map(|message| {
            serde_json::to_value(&message.content)
                .expect("JSON")
                .to_string()
        })
        .collect();
    assert!(
        texts
            .iter()
            .any(|text| text.contains("Hello from an agent")),
        "{texts:?}"
    );
}

#[tokio::test]
async fn search_finds_operations_outside_the_toolset() {
    let (_sandbox, client) = plugin_setup().await;
    let found = success(
        call(
            &client,
            "search_operations",
            json!({ "query": "helpdesk locale", "limit": 5 }),
        )
        .await,
    );
    let operations = found["operations"].as_array().expect("a list");
    assert!(!operations.is_empty(), "{found}");
    assert!(operations.len() <= 5);
    for operation in operations {
        let text = operation.to_string().to_lowercase();
        assert!(
            text.contains("helpdesk") && text.contains("locale"),
            "{operation}"
        );
    }
}

#[tokio::test]
async fn describe_gives_an_operations_argument_schema() {
    let (_sandbox, client) = plugin_setup().await;
    let described = success(
        call(
            &client,
            "describe_operation",
            json!({ "operation": "getWebsite" }),
        )
        .await,
    );
    assert_eq!(described["method"], "GET");
    assert_eq!(described["path"], "/website/{website_id}");
    assert_eq!(described["arguments"]["required"], json!(["website_id"]));
}

#[tokio::test]
async fn call_operation_reaches_an_operation_outside_the_toolset() {
    let (_sandbox, client) = plugin_setup().await;
    let result = success(
        call(
            &client,
            "call_operation",
            json!({ "operation": "getWebsite", "arguments": { "website_id": SEED_WEBSITE_ID } }),
        )
        .await,
    );
    assert_eq!(result["data"]["website_id"], SEED_WEBSITE_ID);
}

#[tokio::test]
async fn a_call_beyond_the_tokens_scopes_names_the_missing_scope() {
    let sandbox = Running::start(config(Mode::Stateful)).await;
    let session_id = sandbox.new_conversation().await;
    let client = over_http(server(
        &sandbox,
        Tier::Plugin,
        SCOPED,
        "website:people:profiles=write",
    ))
    .await;
    let arguments = json!({ "website_id": SEED_WEBSITE_ID, "session_id": session_id });
    let direct = failure(call(&client, "get_conversation", arguments.clone()).await);
    let generic = failure(
        call(
            &client,
            "call_operation",
            json!({ "operation": "getConversation", "arguments": arguments }),
        )
        .await,
    );
    for refused in [direct, generic] {
        assert_eq!(refused["error"], "not_allowed");
        assert_eq!(
            refused["message"],
            "`getConversation` needs the scope `website:conversation:sessions` with read access, which this token lacks"
        );
    }
}

#[tokio::test]
async fn malformed_arguments_are_a_tool_error_naming_the_argument() {
    let (sandbox, client) = plugin_setup().await;
    let session_id = sandbox.new_conversation().await;
    let cases = [
        (
            "get_conversation",
            json!({ "website_id": SEED_WEBSITE_ID }),
            "missing argument `session_id` (a string)",
        ),
        (
            "get_conversation",
            json!({ "website_id": SEED_WEBSITE_ID, "session_id": 5 }),
            "argument `session_id` must be a string, not a number",
        ),
        (
            "get_conversation",
            json!({ "website_id": SEED_WEBSITE_ID, "session_id": session_id, "session": 1 }),
            "unknown argument `session`; `getConversation` takes `website_id`, `session_id`",
        ),
        (
            "change_conversation_state",
            json!({ "website_id": SEED_WEBSITE_ID, "session_id": session_id, "body": { "state": 5 } }),
            "argument `body`: state: invalid type: integer `5`, expected a string",
        ),
        (
            "change_conversation_state",
            json!({ "website_id": SEED_WEBSITE_ID, "session_id": session_id, "body": {} }),
            "argument `body`: missing field `state`",
        ),
        (
            "list_conversations",
            json!({ "website_id": SEED_WEBSITE_ID, "page_number": "one" }),
            "argument `page_number` must be an integer, not a string",
        ),
    ];
    for (tool, arguments, message) in cases {
        let error = failure(call(&client, tool, arguments).await);
        assert_eq!(error["error"], "invalid_arguments", "{tool}");
        assert_eq!(error["message"], message, "{tool}");
    }
}

#[tokio::test]
async fn crisps_error_is_passed_through_as_a_tool_error() {
    let (_sandbox, client) = plugin_setup().await;
    let error = failure(
        call(
            &client,
            "get_conversation",
            json!({ "website_id": SEED_WEBSITE_ID, "session_id": "session_missing" }),
        )
        .await,
    );
    assert_eq!(error["error"], "crisp");
    assert_eq!(error["status"], 404);
    assert_eq!(error["reason"], "not_found");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|message| message.contains("session_missing")),
        "{error}"
    );
}

#[tokio::test]
async fn the_command_serves_over_standard_input_and_output() {
    let sandbox = Running::start(config(Mode::Stateful)).await;
    let session_id = sandbox.new_conversation().await;
    let base = sandbox.base().to_owned();
    let command = tokio::process::Command::new(env!("CARGO_BIN_EXE_crisp-mcp-under-test"))
        .configure(|command| {
            command
                .env("CRISP_IDENTIFIER", PLUGIN.0)
                .env("CRISP_KEY", PLUGIN.1)
                .env("CRISP_TIER", "plugin")
                .env("CRISP_BASE_URL", &base)
                .env("CRISP_SCOPES", "website:conversation:sessions=read");
        });
    let client =
        ().serve(TokioChildProcess::new(command).expect("the command starts"))
            .await
            .expect("the MCP handshake");
    let tools = client.list_all_tools().await.expect("the tools");
    assert_eq!(
        names(&tools),
        [
            "get_conversation",
            "get_conversation_metas",
            "list_conversations"
        ]
        .into_iter()
        .chain(GENERIC)
        .collect::<Vec<_>>()
    );
    let result = success(
        call(
            &client,
            "get_conversation",
            json!({ "website_id": SEED_WEBSITE_ID, "session_id": session_id }),
        )
        .await,
    );
    assert_eq!(result["data"]["session_id"], session_id);
    client.cancel().await.expect("the command stops");
}

/// What an agent reads before its first call, the `tools/list` answer, stays within what agent
/// clients take: at most 40 tools, and at most 80 KiB (about 20,000 tokens at four bytes a
/// token; the message-sending tool, a union of nine message shapes, is a quarter of it).
#[tokio::test]
async fn the_default_tools_list_fits_an_agents_context() {
    let sandbox = Running::start(config(Mode::Stateful)).await;
    for (tier, token) in [(Tier::User, USER), (Tier::Plugin, PLUGIN)] {
        let server = server(&sandbox, tier, token, "*");
        let listed = server.tools_json();
        let bytes = serde_json::to_vec(&listed).expect("JSON").len();
        let tools = listed["tools"].as_array().expect("tools").len();
        println!(
            "{tier} token: {tools} tools, {bytes} bytes (about {} tokens)",
            bytes / 4
        );
        assert!(tools <= 40, "{tier}: {tools} tools");
        assert!(bytes <= 80 * 1024, "{tier}: {bytes} bytes");
    }
}

#[test]
fn each_tool_call_is_traced_without_its_arguments_or_the_key() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let secret_session = "session_4c0ffee0-secret";
    let (captured, guard) = crate::support::capture();
    runtime.block_on(async {
        let sandbox = Running::start(config(Mode::Stateful)).await;
        let server = server(&sandbox, Tier::Plugin, PLUGIN, "*");
        let arguments = json!({ "website_id": SEED_WEBSITE_ID, "session_id": secret_session });
        let Value::Object(arguments) = arguments else {
            unreachable!("an object");
        };
        let result = server.call("get_conversation", arguments).await;
        assert_eq!(result.is_error, Some(true), "{result:?}");
    });
    drop(guard);
    let printed = captured.text();
    let line = printed
        .lines()
        .find(|line| line.contains("mcp tool call"))
        .unwrap_or_else(|| panic!("no tool call event in {printed:?}"));
    for field in [
        "tool=\"get_conversation\"",
        "operation=\"getConversation\"",
        "outcome=\"crisp_error\"",
        "status=404",
        "reason=\"not_found\"",
        "duration_ms=",
    ] {
        assert!(line.contains(field), "{field} is missing from {line:?}");
    }
    assert!(
        !line.contains(secret_session),
        "an argument leaked: {line:?}"
    );
    assert!(!printed.contains(PLUGIN.1), "the key leaked: {printed:?}");
}
