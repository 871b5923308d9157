//! Send a text message into a conversation, then mark the conversation resolved.
//!
//! ```sh
//! export CRISP_IDENTIFIER=… CRISP_KEY=… CRISP_TIER=plugin   # a plugin token
//! export CRISP_WEBSITE_ID=…                                 # the website
//! export CRISP_SESSION_ID=session_…                         # optional: without it, a new
//!                                                           # conversation is created
//! cargo run -p crisp-examples --example send_message -- --text "Your order has shipped."
//! ```
//!
//! Set `CRISP_BASE_URL` to talk to another server than `https://api.crisp.chat/v1`, such as a
//! local `crisp-sandbox` (`http://127.0.0.1:8080/v1`).
//!
//! The plugin token needs the scopes `website:conversation:sessions` (to create a
//! conversation), `website:conversation:messages` (to send) and `website:conversation:states`
//! (to resolve and read the state back), all with write access.

use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Parser;
use crisp_client::models::{
    ChangeConversationStateBody, ConversationMessageNew, ConversationState,
    ConversationTextMessageNew, ConversationTextMessageNewType, MessageFrom,
};
use crisp_client::{Client, tier};

/// Send a text message into a Crisp conversation and mark the conversation resolved.
#[derive(Debug, Parser)]
struct Args {
    /// The website (default: the `CRISP_WEBSITE_ID` environment variable).
    #[arg(long, value_name = "ID")]
    website_id: Option<String>,
    /// The conversation to write to (default: the `CRISP_SESSION_ID` environment variable); a
    /// new conversation is created when neither is given.
    #[arg(long, value_name = "SESSION_ID")]
    session_id: Option<String>,
    /// The text to send (Markdown is allowed).
    #[arg(long, default_value = "Hello from the Crisp Rust client!")]
    text: String,
    /// Send the message as the visitor (`user`) rather than as the team (`operator`).
    #[arg(long)]
    as_visitor: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // `{:#}` prints the error and its causes on one line, e.g. `cannot send the message
            // to conversation session_…: sendMessageInConversation: not_found (404): …`.
            eprintln!("send_message: error: {error:#}");
            // The client's own error, behind the context added with `.context(…)`.
            if let Some(hint) = error.downcast_ref::<crisp_client::Error>().and_then(hint) {
                eprintln!("send_message: hint: {hint}");
            }
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    // `--website-id`, or else the CRISP_WEBSITE_ID environment variable.
    let website_id = args
        .website_id
        .or_else(|| std::env::var("CRISP_WEBSITE_ID").ok())
        .filter(|id| !id.is_empty())
        .context("no website: set CRISP_WEBSITE_ID (or pass --website-id)")?;

    // CRISP_IDENTIFIER, CRISP_KEY, CRISP_TIER (must be `plugin` for a `Client<tier::Plugin>`)
    // and, optionally, CRISP_BASE_URL.
    let client = Client::<tier::Plugin>::from_env()
        .context("cannot configure the Crisp client from the environment")?;
    let conversations = client.website_conversation();
    let website_id = website_id.as_str();

    // 1. The conversation: the one given, or a new, empty one.
    let session_id = args
        .session_id
        .or_else(|| std::env::var("CRISP_SESSION_ID").ok())
        .filter(|id| !id.is_empty());
    let session_id = match session_id {
        Some(session_id) => session_id,
        None => {
            let created = conversations
                .create_new_conversation(website_id)
                .await
                .context("cannot create a conversation")?;
            let session_id = created
                .session_id
                .context("Crisp created a conversation but did not say its session id")?;
            println!("created conversation {session_id}");
            session_id
        }
    };
    let session_id = session_id.as_str();

    // 2. The message. Every kind of message (text, note, file, picker, …) is one variant of
    //    `ConversationMessageNew`; a text message needs who sends it (`from`), through which
    //    channel (`origin`, `chat` for the chatbox), its type and its text. The struct has no
    //    `Default` (four of its fields are required): `new` takes the required fields, and
    //    the optional ones start out as `None` (set them on the value afterwards). Leaving
    //    out `fingerprint` and `timestamp` lets Crisp pick them.
    let from = if args.as_visitor {
        MessageFrom::User
    } else {
        MessageFrom::Operator
    };
    let message = ConversationMessageNew::Text(ConversationTextMessageNew::new(
        from,
        "chat".to_owned(),
        ConversationTextMessageNewType::Text,
        args.text.clone(),
    ));
    let sent = conversations
        .send_message_in_conversation(website_id, session_id, &message)
        .await
        .with_context(|| format!("cannot send the message to conversation {session_id}"))?;
    // The fingerprint identifies the message in the conversation (to update or remove it).
    let fingerprint = sent
        .fingerprint
        .map_or_else(|| "?".to_owned(), |fingerprint| fingerprint.to_string());
    let text = &args.text;
    println!("sent message {fingerprint} to conversation {session_id}: {text:?}");

    // 3. Resolve the conversation.
    let resolve = ChangeConversationStateBody::new(ConversationState::Resolved);
    conversations
        .change_conversation_state(website_id, session_id, &resolve)
        .await
        .with_context(|| format!("cannot mark conversation {session_id} as resolved"))?;
    println!("marked conversation {session_id} as resolved");

    // 4. Read the state back to confirm.
    let state = conversations
        .get_conversation_state(website_id, session_id)
        .await
        .with_context(|| format!("cannot read the state of conversation {session_id}"))?
        .state;
    match state {
        Some(ConversationState::Resolved) => {
            println!("confirmed: conversation {session_id} is resolved");
            Ok(())
        }
        Some(other) => bail!("conversation {session_id} is {other}, not resolved"),
        None => bail!("Crisp did not say the state of conversation {session_id}"),
    }
}

/// A hint for the Crisp errors that usually mean a setting is wrong.
fn hint(error: &crisp_client::Error) -> Option<&'static str> {
    let hint = match error.status().map(|status| status.as_u16()) {
        Some(401) => "Crisp refused the token: check CRISP_IDENTIFIER, CRISP_KEY and CRISP_TIER",
        Some(403) => "the token lacks a scope this example needs (listed at the top of its source)",
        Some(404) => "check CRISP_WEBSITE_ID and CRISP_SESSION_ID",
        _ if matches!(error, crisp_client::Error::Transport { .. }) => {
            "Crisp could not be reached: check CRISP_BASE_URL and the network"
        }
        _ if error.is_retryable() => "a temporary failure (rate limit, server error, timeout)",
        _ => return None,
    };
    Some(hint)
}
