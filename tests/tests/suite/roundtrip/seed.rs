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
    Conversation {
        session_id: session_id.to_owned(),
        website_id: WEBSITE.to_owned(),
        inbox_id: None,
        people_id: None,
        state: None,
        status: None,
        is_verified: None,
        is_blocked: None,
        availability: None,
        active: None,
        last_message: None,
        preview_message: None,
        topic: None,
        verifications: None,
        participants: None,
        mentions: None,
        compose: None,
        unread: None,
        assigned: None,
        meta: None,
        created_at: None,
        updated_at: None,
        waiting_since: None,
    }
}

/// Metas with a name, an address and segments.
pub(super) fn meta_with_segments(
    nickname: &str,
    email: &str,
    segments: &[&str],
) -> ConversationMeta {
    ConversationMeta {
        nickname: Some(nickname.to_owned()),
        email: Some(email.to_owned()),
        segments: Some(segments.iter().map(|&segment| segment.to_owned()).collect()),
        ..ConversationMeta::default()
    }
}

/// Unread counters: `operator` messages for the operator, none for the visitor.
pub(super) fn unread(operator: u16) -> Option<ConversationUnread> {
    Some(ConversationUnread {
        operator: Some(operator),
        visitor: Some(0),
    })
}

/// The fake's initial content: four conversations of [`WEBSITE`], one known domain.
pub(super) fn seeded_state() -> State {
    let alpha = Conversation {
        state: Some(ConversationState::Unresolved),
        status: Some(1),
        is_verified: Some(true),
        availability: Some("online".to_owned()),
        active: Some(ConversationActive {
            now: Some(true),
            last: Some(1_999),
        }),
        last_message: Some("Where is my order?".to_owned()),
        unread: unread(2),
        assigned: Some(ConversationAssigned {
            user_id: Some("operator-1".to_owned()),
        }),
        meta: Some(meta_with_segments(
            "Ada",
            "ada@example.com",
            &["vip", "returning"],
        )),
        created_at: Some(1_000),
        updated_at: Some(2_000),
        ..conversation("session_alpha")
    };
    let beta = Conversation {
        state: Some(ConversationState::Resolved),
        unread: unread(3),
        meta: Some(meta_with_segments("Bob", "bob@example.com", &["vip"])),
        updated_at: Some(3_000),
        ..conversation("session_beta")
    };
    let gamma = Conversation {
        state: Some(ConversationState::Pending),
        status: Some(0),
        unread: unread(1),
        meta: Some(meta_with_segments("Grace", "grace@example.com", &["vip"])),
        created_at: Some(3_500),
        updated_at: Some(4_000),
        ..conversation("session_gamma")
    };
    let delta = Conversation {
        state: Some(ConversationState::Unresolved),
        unread: unread(5),
        meta: Some(meta_with_segments("Dan", "dan@example.com", &["other"])),
        updated_at: Some(5_000),
        ..conversation("session_delta")
    };
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
    MessageUser {
        r#type: Some("website".to_owned()),
        user_id: Some("operator-1".to_owned()),
        nickname: Some("Ada from support".to_owned()),
        avatar: None,
    }
}

/// A text message from [`operator`], sent at `timestamp`.
pub(super) fn text_message(content: &str, timestamp: u64) -> ConversationTextMessageNew {
    ConversationTextMessageNew {
        from: MessageFrom::Operator,
        origin: "chat".to_owned(),
        mentions: None,
        fingerprint: None,
        user: Some(operator()),
        references: None,
        original: None,
        properties: None,
        timestamp: Some(timestamp),
        stealth: None,
        translated: None,
        automated: None,
        r#type: ConversationTextMessageNewType::Text,
        content: content.to_owned(),
    }
}

/// The file a [`file_message`] carries.
pub(super) fn invoice() -> MessageContentFile {
    MessageContentFile {
        name: "invoice 42.pdf".to_owned(),
        url: "https://files.example.com/invoice%2042.pdf".to_owned(),
        r#type: "application/pdf".to_owned(),
    }
}

/// A file message from the visitor, by e-mail, with the fingerprint [`BIG_FINGERPRINT`].
pub(super) fn file_message(timestamp: u64) -> ConversationFileMessageNew {
    ConversationFileMessageNew {
        from: MessageFrom::User,
        origin: "email".to_owned(),
        mentions: None,
        fingerprint: Some(BIG_FINGERPRINT),
        user: None,
        references: None,
        original: None,
        properties: None,
        timestamp: Some(timestamp),
        stealth: None,
        translated: None,
        automated: None,
        r#type: ConversationFileMessageNewType::File,
        content: invoice(),
    }
}
