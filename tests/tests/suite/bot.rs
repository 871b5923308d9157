//! The example web hook bot, end to end: the sandbox delivers signed web hooks to the bot on
//! 127.0.0.1, and the bot answers through the REST client. A visitor message posted to the
//! sandbox gets the bot's reply in the same conversation.

use std::time::Duration;

use crisp_client::models::ConversationMessage;
use crisp_client::{Client, RetryPolicy, tier};
use crisp_examples::bot;
use crisp_runtime::webhook::Verifier;
use crisp_sandbox::state::SEED_WEBSITE_ID;
use crisp_sandbox::{Config, Mode, WebhookConfig};

use crate::sandbox::{PLUGIN, Running, config, text_message};

const SECRET: &str = "whsec-bot-test";

/// The conversation's messages, once it holds `count` of them (within ten seconds).
async fn messages_once(
    client: &Client<tier::Plugin>,
    session_id: &str,
    count: usize,
) -> Vec<ConversationMessage> {
    let conversations = client.website_conversation();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let messages = conversations
            .get_messages_in_conversation(SEED_WEBSITE_ID, session_id, &Default::default())
            .await
            .expect("the messages");
        if messages.len() >= count || tokio::time::Instant::now() >= deadline {
            return messages;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_bot_answers_a_visitor_in_the_same_conversation() {
    // The bot first, so the sandbox knows where to deliver.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the bot");
    let hook = format!(
        "http://{}{}",
        listener.local_addr().expect("address"),
        bot::HOOK_PATH
    );
    let config = Config {
        webhooks: Some(WebhookConfig {
            retry_delay: Duration::from_millis(50),
            ..WebhookConfig::new(vec![hook.parse().expect("a hook URL")], SECRET)
        }),
        ..config(Mode::Stateful)
    };
    let sandbox = Running::start(config).await;
    let client = Client::builder()
        .plugin(PLUGIN.0, PLUGIN.1)
        .base_url(sandbox.base())
        .retry(RetryPolicy::disabled())
        .build()
        .expect("a plugin client");
    let app = bot::router(client.clone(), Verifier::new(SECRET));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });

    // A visitor opens a conversation and writes.
    let conversations = client.website_conversation();
    let created = conversations
        .create_new_conversation(SEED_WEBSITE_ID)
        .await
        .expect("a conversation");
    let session_id = created.session_id.expect("the new session id");
    conversations
        .send_message_in_conversation(
            SEED_WEBSITE_ID,
            &session_id,
            &text_message("user", "Where is my order?"),
        )
        .await
        .expect("the visitor's message");

    // The bot's answer arrives in the same conversation, from an operator.
    let messages = messages_once(&client, &session_id, 2).await;
    assert_eq!(messages.len(), 2, "{messages:#?}");
    let answer = serde_json::to_value(&messages[1]).expect("encode");
    assert_eq!(answer["from"], "operator", "{answer}");
    assert_eq!(answer["type"], "text", "{answer}");
    assert_eq!(
        answer["content"],
        "You wrote: \u{201c}Where is my order?\u{201d}. An operator will answer you soon.",
        "{answer}"
    );

    // An operator's own message is not a `message:send`: the bot stays quiet.
    conversations
        .send_message_in_conversation(
            SEED_WEBSITE_ID,
            &session_id,
            &text_message("operator", "Hello, let me check."),
        )
        .await
        .expect("the operator's message");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(messages_once(&client, &session_id, 3).await.len(), 3);
    sandbox.stop().await;
}
