//! What a bot built on the generated client looks like from outside the repository: it
//! depends on `crisp-client` with only the `website-conversation` area, and counts the
//! conversations of a website that wait for an answer.

use crisp_client::models::{ConversationState, ListConversationsOptions};
use crisp_client::{Client, Error, tier};

/// The conversations of `website_id`'s first page that are pending (no operator answered yet).
///
/// # Errors
///
/// The client's error for the call, with Crisp's `reason` when Crisp refused it.
pub async fn pending_conversations(
    client: &Client<tier::Plugin>,
    website_id: &str,
) -> Result<Vec<String>, Error> {
    let page = client
        .website_conversation()
        .list_conversations(website_id, 1, &ListConversationsOptions::default())
        .await?;
    Ok(page
        .into_iter()
        .filter(|conversation| conversation.state == Some(ConversationState::Pending))
        .map(|conversation| conversation.session_id)
        .collect())
}
