//! The data the round-trip tests start from: the fake's seeded conversations, and the messages
//! tests send.

use crisp_models::{
    Conversation, ConversationActive, ConversationAssigned, ConversationFileMessageNew,
    ConversationFileMessageNewType, ConversationMeta, ConversationState,
    ConversationTextMessageNew, ConversationTextMessageNewType, ConversationUnread,
    MessageContentFile, MessageFrom, MessageUser,
};

use super::fake::State;
use super::{BIG_FINGERPRINT, DOMAIN, WEBSITE};

/// A bare conversation of the fake's website.
pub(super) fn conversation(session_id: &str) -> Conversation {
    Conversation::new(session_id.to_owned(), WEBSITE.to_owned())
}

/// Metas with a name, an address and segments.
pub(super) fn meta_with_segments(
    nickname: &str,
    email: &str,
    segments: &[&str],
) -> ConversationMeta {
    let mut meta = ConversationMeta::default();
    meta.nickname = Some(nickname.to_owned());
    meta.email = Some(email.to_owned());
    meta.segments = Some(segments.iter().map(|&segment| segment.to_owned()).collect());
    meta
}

/// Unread counters: `operator` messages for the operator, none for the visitor.
pub(super) fn unread(operator: u16) -> Option<ConversationUnread> {
    let mut unread = ConversationUnread::default();
    unread.operator = Some(operator);
    unread.visitor = Some(0);
    Some(unread)
}

/// A routing assignment to the operator `user_id`.
pub(super) fn assigned(user_id: &str) -> ConversationAssigned {
    let mut assigned = ConversationAssigned::default();
    assigned.user_id = Some(user_id.to_owned());
    assigned
}

/// The fake's initial content: four conversations of [`WEBSITE`], one known domain.
pub(super) fn seeded_state() -> State {
    let mut alpha = conversation("session_alpha");
    alpha.state = Some(ConversationState::Unresolved);
    alpha.status = Some(1);
    alpha.is_verified = Some(true);
    alpha.availability = Some("online".to_owned());
    let mut active = ConversationActive::default();
    active.now = Some(true);
    active.last = Some(1_999);
    alpha.active = Some(active);
    alpha.last_message = Some("Where is my order?".to_owned());
    alpha.unread = unread(2);
    alpha.assigned = Some(assigned("operator-1"));
    alpha.meta = Some(meta_with_segments(
        "Ada",
        "ada@example.com",
        &["vip", "returning"],
    ));
    alpha.created_at = Some(1_000);
    alpha.updated_at = Some(2_000);
    let mut beta = conversation("session_beta");
    beta.state = Some(ConversationState::Resolved);
    beta.unread = unread(3);
    beta.meta = Some(meta_with_segments("Bob", "bob@example.com", &["vip"]));
    beta.updated_at = Some(3_000);
    let mut gamma = conversation("session_gamma");
    gamma.state = Some(ConversationState::Pending);
    gamma.status = Some(0);
    gamma.unread = unread(1);
    gamma.meta = Some(meta_with_segments("Grace", "grace@example.com", &["vip"]));
    gamma.created_at = Some(3_500);
    gamma.updated_at = Some(4_000);
    let mut delta = conversation("session_delta");
    delta.state = Some(ConversationState::Unresolved);
    delta.unread = unread(5);
    delta.meta = Some(meta_with_segments("Dan", "dan@example.com", &["other"]));
    delta.updated_at = Some(5_000);
    let mut state = State {
        domains: vec![DOMAIN.to_owned()],
        ..State::default()
    };
    for seeded in [alpha, beta, gamma, delta] {
        state
            .conversations
            .insert(seeded.session_id.clone(), seeded);
    }
    state.parents.insert("session_alpha".to_owned(), None);
    state
        .parents
        .insert("session_beta".to_owned(), Some("session_alpha".to_owned()));
    state
}

/// The operator the seeded messages and state changes come from.
pub(super) fn operator() -> MessageUser {
    let mut operator = MessageUser::default();
    operator.r#type = Some("website".to_owned());
    operator.user_id = Some("operator-1".to_owned());
    operator.nickname = Some("Ada from support".to_owned());
    operator
}

/// A text message from [`operator`], sent at `timestamp`.
pub(super) fn text_message(content: &str, timestamp: u64) -> ConversationTextMessageNew {
    let mut message = ConversationTextMessageNew::new(
        MessageFrom::Operator,
        "chat".to_owned(),
        ConversationTextMessageNewType::Text,
        content.to_owned(),
    );
    message.user = Some(operator());
    message.timestamp = Some(timestamp);
    message
}

/// The file a [`file_message`] carries.
pub(super) fn invoice() -> MessageContentFile {
    MessageContentFile::new(
        "invoice 42.pdf".to_owned(),
        "https://files.example.com/invoice%2042.pdf".to_owned(),
        "application/pdf".to_owned(),
    )
}

/// A file message from the visitor, by e-mail, with the fingerprint [`BIG_FINGERPRINT`].
pub(super) fn file_message(timestamp: u64) -> ConversationFileMessageNew {
    let mut message = ConversationFileMessageNew::new(
        MessageFrom::User,
        "email".to_owned(),
        ConversationFileMessageNewType::File,
        invoice(),
    );
    message.fingerprint = Some(BIG_FINGERPRINT);
    message.timestamp = Some(timestamp);
    message
}
