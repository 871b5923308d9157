//! The downstream crate's call, against an in-process sandbox: a visitor writes in a new
//! conversation of the seeded website, and the conversation comes back as pending.

use crisp_client::Client;
use crisp_client::models::ConversationMessageNew;
use crisp_downstream::pending_conversations;
use crisp_sandbox::state::SEED_WEBSITE_ID;
use crisp_sandbox::{Config, Mode, Sandbox, Token};

#[tokio::test]
async fn a_one_area_client_lists_the_pending_conversations_of_the_sandbox() {
    let token: Token = "plugin:downstream:downstream-key"
        .parse()
        .expect("a valid token");
    let config = Config {
        mode: Mode::Stateful,
        tokens: vec![token],
        body_limit: 1 << 20,
        state_file: None,
        webhooks: None,
        rtm_url: None,
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let address = listener.local_addr().expect("an address");
    let router = Sandbox::new(config).router();
    tokio::spawn(crisp_sandbox::serve(
        listener,
        router,
        std::future::pending(),
    ));

    let client = Client::builder()
        .plugin("downstream", "downstream-key")
        .base_url(format!("http://{address}/v1"))
        .build()
        .expect("a client");
    let conversations = client.website_conversation();
    let session = conversations
        .create_new_conversation(SEED_WEBSITE_ID)
        .await
        .expect("a new conversation")
        .session_id
        .expect("its session id");
    let message: ConversationMessageNew = serde_json::from_value(
        serde_json::json!({"type": "text", "from": "user", "origin": "chat", "content": "Hello?"}),
    )
    .expect("a text message");
    conversations
        .send_message_in_conversation(SEED_WEBSITE_ID, &session, &message)
        .await
        .expect("the visitor's message is sent");

    let pending = pending_conversations(&client, SEED_WEBSITE_ID)
        .await
        .expect("the sandbox answers");
    assert_eq!(pending, [session]);
}
