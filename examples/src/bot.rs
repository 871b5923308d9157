//! A bot that answers visitors, in the spirit of Crisp's "Create your own bot!" guide.
//!
//! Crisp tells the bot each time a visitor writes in a conversation (`message:send`), in one
//! of two ways, and [`answer`] replies in the same conversation through the REST client, as an
//! operator:
//!
//! - over the real-time (RTM) API, as the official clients do by default: [`subscribe`]
//!   opens the socket with the plugin token (no public address needed) and [`listen`]
//!   answers what comes;
//! - as signed web hooks: [`router`] receives the deliveries (checking their signature,
//!   freshness and shape with [`Receiver`]) on a public HTTPS endpoint.
//!
//! The `bot` example runs either; the test suite runs both against the sandbox.

use axum::Router;
use crisp_client::models::{
    ConversationMessageNew, ConversationTextMessageNew, ConversationTextMessageNewType, Delivery,
    Event, EventMessage, MessageFrom,
};
use crisp_client::{Client, rtm, tier};
use crisp_runtime::webhook::{Receiver, Verifier};

/// The path the bot receives web hooks on.
pub const HOOK_PATH: &str = "/crisp/hooks";

/// The bot's real-time subscription: visitors' messages (`message:send`), over the socket
/// Crisp names for the plugin token, or `endpoint` when given (a local sandbox's `ws://…/rtm/`).
/// It starts connecting at once, on the current Tokio runtime.
pub fn subscribe(
    client: &Client<tier::Plugin>,
    endpoint: Option<String>,
) -> rtm::Subscription<Event> {
    let mut realtime = client.realtime().events(["message:send"]);
    if let Some(endpoint) = endpoint {
        realtime = realtime.endpoint(endpoint);
    }
    realtime.subscribe()
}

/// Answers each visitor message of `events` (on a task of its own, so a slow answer never
/// holds the next event up), until the subscription ends. The subscription reconnects on its
/// own; it only ends when Crisp refuses the token, or when the endpoint cannot be found or
/// used.
///
/// # Errors
///
/// Why the subscription ended.
pub async fn listen(
    client: Client<tier::Plugin>,
    mut events: rtm::Subscription<Event>,
) -> Result<(), rtm::Error> {
    while let Some(event) = events.next().await {
        let event = event?;
        let client = client.clone();
        tokio::spawn(async move { answer(&client, event).await });
    }
    Ok(())
}

/// The bot's web hook endpoint: `POST /crisp/hooks` verifies each delivery with `verifier`
/// and, for a visitor's text message, replies through `client` (on a task of its own, after
/// Crisp got its `200`).
pub fn router(client: Client<tier::Plugin>, verifier: Verifier) -> Router {
    let endpoint = Receiver::new(verifier).handler(move |delivery: Delivery| {
        let client = client.clone();
        async move { answer(&client, delivery.event).await }
    });
    Router::new().route(HOOK_PATH, endpoint)
}

/// Replies to a visitor's text message; any other event is ignored. A failed reply is
/// logged, since nobody waits for the handler's result.
pub async fn answer(client: &Client<tier::Plugin>, event: Event) {
    let Event::MessageSend(EventMessage::Text(message)) = event else {
        return;
    };
    // `message:send` is for what visitors write, but stay safe from answering ourselves.
    if message.from != MessageFrom::User {
        return;
    }
    let mut text = ConversationTextMessageNew::new(
        MessageFrom::Operator,
        "chat".to_owned(),
        ConversationTextMessageNewType::Text,
        reply_to(&message.content),
    );
    text.automated = Some(true);
    let reply = ConversationMessageNew::Text(text);
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
        "Hello! I am the bot of this website. Ask me anything, an operator will join soon."
            .to_owned()
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
