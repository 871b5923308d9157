//! A bot that answers visitors, in the spirit of Crisp's "Create your own bot!" guide.
//!
//! Crisp posts a signed `message:send` web hook each time a visitor writes in a conversation.
//! [`router`] receives those deliveries (checking their signature, freshness and shape with
//! [`Receiver`]), and [`answer`] replies in the same conversation through the REST client, as
//! an operator. The `bot` example serves it; the test suite runs it against the sandbox.

use axum::Router;
use crisp_client::models::{
    ConversationMessageNew, ConversationTextMessageNew, ConversationTextMessageNewType, Delivery,
    Event, EventMessage, MessageFrom,
};
use crisp_client::{Client, tier};
use crisp_runtime::webhook::{Receiver, Verifier};

/// The path the bot receives web hooks on.
pub const HOOK_PATH: &str = "/crisp/hooks";

/// The bot's endpoint: `POST /crisp/hooks` verifies each delivery with `verifier` and, for a
/// visitor's text message, replies through `client` (on a task of its own, after Crisp got
/// its `200`).
pub fn router(client: Client<tier::Plugin>, verifier: Verifier) -> Router {
    let endpoint = Receiver::new(verifier).handler(move |delivery: Delivery| {
        let client = client.clone();
        async move { answer(&client, delivery).await }
    });
    Router::new().route(HOOK_PATH, endpoint)
}

/// Replies to a visitor's text message; any other event is ignored. A failed reply is
/// logged, since nobody waits for the handler's result.
pub async fn answer(client: &Client<tier::Plugin>, delivery: Delivery) {
    let Event::MessageSend(EventMessage::Text(message)) = delivery.event else {
        return;
    };
    // `message:send` is for what visitors write, but stay safe from answering ourselves.
    if message.from != MessageFrom::User {
        return;
    }
    let reply = ConversationMessageNew::Text(ConversationTextMessageNew {
        r#type: ConversationTextMessageNewType::Text,
        from: MessageFrom::Operator,
        origin: "chat".to_owned(),
        content: reply_to(&message.content),
        mentions: None,
        fingerprint: None,
        user: None,
        references: None,
        original: None,
        properties: None,
        timestamp: None,
        stealth: None,
        translated: None,
        automated: Some(true),
    });
    let sent = client
        .website_conversation()
        .send_message_in_conversation(&message.website_id, &message.session_id, &reply)
        .await;
    match sent {
        Ok(_) => tracing::info!(session_id = %message.session_id, "answered"),
        Err(error) => tracing::warn!(session_id = %message.session_id, %error, "could not answer"),
    }
}

/// What the bot says to `text`.
pub fn reply_to(text: &str) -> String {
    let text = text.trim();
    let greets = text
        .split(|c: char| !c.is_alphanumeric())
        .any(|word| ["hello", "hi", "hey", "bonjour"].contains(&word.to_lowercase().as_str()));
    if greets {
        "Hello! I am the bot of this website. Ask me anything, an operator will join soon.".to_owned()
    } else {
        format!("You wrote: \u{201c}{text}\u{201d}. An operator will answer you soon.")
    }
}

#[cfg(test)]
mod tests {
    use super::reply_to;

    #[test]
    fn replies() {
        assert!(reply_to("Hello there").starts_with("Hello!"));
        assert!(reply_to("hi!").starts_with("Hello!"));
        assert!(!reply_to("this shipped").starts_with("Hello!"));
        assert_eq!(
            reply_to(" Where is my order? "),
            "You wrote: \u{201c}Where is my order?\u{201d}. An operator will answer you soon."
        );
    }
}
