//! What the conversation operations share: the conversation's counters kept up to date as
//! messages come in, the making of new messages, the filtering and windows of listings, and
//! the reading and changing of one conversation under the store's lock.

use crisp_server::models::{
    Conversation, ConversationMessage, ConversationMessageNew, ConversationMeta,
    ConversationPreviewMessage, ConversationState, ConversationUnread,
    GetMessagesInConversationOptions, ListConversationsOptions, ListConversationsSearchQuery,
    ListConversationsSearchType, MessageContent, MessageFrom, MessageType,
};
use crisp_server::{ApiError, Caller};
use serde_json::{Value, json};

use crate::data::{ConversationRecord, State};
use crate::events::Events;
use crate::ids;
use crate::json::{from_value, to_value};
use crate::listing::contains_text;
use crate::store::Store;

use super::MESSAGES_PER_PAGE;

/// The side of a conversation: the visitor (`user`) or the team (`operator`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Side {
    User,
    Operator,
}

impl Side {
    /// The side named by a `from` field; anything but `user` is the operator side.
    pub(super) fn of(from: Option<&MessageFrom>) -> Side {
        match from {
            Some(MessageFrom::User) => Side::User,
            _ => Side::Operator,
        }
    }

    /// The other side.
    pub(super) fn other(self) -> Side {
        match self {
            Side::User => Side::Operator,
            Side::Operator => Side::User,
        }
    }
}

/// Whether `message` was sent by `side` and counts as unread-able (notes are internal).
pub(super) fn sent_by(message: &ConversationMessage, side: Side) -> bool {
    Side::of(message.from.as_ref()) == side && message.r#type != Some(MessageType::Note)
}

/// Crisp's numeric status of a state: 0 pending, 1 unresolved, 2 resolved.
pub(super) fn status_of(state: &ConversationState) -> u8 {
    match state {
        ConversationState::Pending => 0,
        ConversationState::Resolved => 2,
        _ => 1,
    }
}

/// Sets the conversation's state and its numeric status.
pub(super) fn set_state(conversation: &mut Conversation, state: ConversationState) {
    conversation.status = Some(status_of(&state));
    conversation.state = Some(state);
}

/// A short text for a message: its text, or `[type]` for other contents.
pub(super) fn excerpt(message: &ConversationMessage) -> String {
    match &message.content {
        Some(MessageContent::String(text)) => text.chars().take(200).collect(),
        _ => format!(
            "[{}]",
            message
                .r#type
                .as_ref()
                .map_or("message", MessageType::as_str)
        ),
    }
}

impl ConversationRecord {
    /// Recomputes what the conversation derives from its messages: unread counters, last
    /// message and preview.
    pub(super) fn refresh(&mut self) {
        let unread = |side: Side| {
            let count = self
                .messages
                .iter()
                .filter(|message| sent_by(message, side.other()) && message.read.is_none())
                .count();
            Some(u16::try_from(count).unwrap_or(u16::MAX))
        };
        let mut counters = ConversationUnread::default();
        counters.operator = unread(Side::Operator);
        counters.visitor = unread(Side::User);
        let last = self.messages.last();
        self.conversation.last_message = last.map(excerpt);
        self.conversation.preview_message = last.map(|message| {
            let mut preview = ConversationPreviewMessage::default();
            preview.r#type = message.r#type.clone();
            preview.from = message.from.clone();
            preview.excerpt = Some(excerpt(message));
            preview.fingerprint = message.fingerprint;
            preview
        });
        self.conversation.unread = Some(counters);
    }

    /// Adds a message at its place in time and updates the conversation.
    pub(super) fn push(&mut self, message: ConversationMessage, now: u64) {
        let timestamp = message.timestamp.unwrap_or(now);
        let side = Side::of(message.from.as_ref());
        let is_note = message.r#type == Some(MessageType::Note);
        let at = self
            .messages
            .partition_point(|other| other.timestamp.unwrap_or(0) <= timestamp);
        self.messages.insert(at, message);
        let conversation = &mut self.conversation;
        conversation.updated_at = Some(now);
        if !is_note {
            let state = conversation
                .state
                .clone()
                .unwrap_or(ConversationState::Pending);
            match side {
                Side::User => {
                    if state == ConversationState::Resolved {
                        set_state(conversation, ConversationState::Unresolved);
                    }
                    conversation.waiting_since.get_or_insert(now);
                    let active = conversation.active.get_or_insert_with(Default::default);
                    active.last = Some(now);
                }
                Side::Operator => {
                    if state == ConversationState::Pending {
                        set_state(conversation, ConversationState::Unresolved);
                    }
                    conversation.waiting_since = None;
                }
            }
        }
        self.refresh();
    }

    /// Marks the messages `reader` received (all, or those in `fingerprints`) with `mark`;
    /// returns the fingerprints of those that were not marked yet.
    pub(super) fn mark(
        &mut self,
        reader: Side,
        fingerprints: Option<&[i64]>,
        channel: &str,
        mark: fn(&mut ConversationMessage) -> &mut Option<String>,
    ) -> Vec<i64> {
        let mut marked = Vec::new();
        for message in &mut self.messages {
            let listed = fingerprints.is_none_or(|fingerprints| {
                message
                    .fingerprint
                    .is_some_and(|fingerprint| fingerprints.contains(&fingerprint))
            });
            let fingerprint = message.fingerprint;
            if sent_by(message, reader.other()) && listed {
                let was = mark(message);
                if was.is_none() {
                    *was = Some(channel.to_owned());
                    marked.extend(fingerprint);
                }
            }
        }
        self.refresh();
        marked
    }

    /// The message with `fingerprint`, to change.
    pub(super) fn message_mut(
        &mut self,
        fingerprint: i64,
    ) -> Result<&mut ConversationMessage, ApiError> {
        self.messages
            .iter_mut()
            .find(|message| message.fingerprint == Some(fingerprint))
            .ok_or_else(|| message_not_found(fingerprint))
    }
}

/// 404 for a fingerprint the conversation does not hold.
pub(super) fn message_not_found(fingerprint: i64) -> ApiError {
    ApiError::not_found(format!(
        "no message with fingerprint {fingerprint} in this conversation"
    ))
}

/// Builds the stored message from what was sent: the sent fields, plus the ids, a fingerprint
/// and a timestamp when the sender gave none.
pub(super) fn new_message(
    body: &ConversationMessageNew,
    website_id: &str,
    session_id: &str,
    now: u64,
) -> Result<ConversationMessage, ApiError> {
    let mut value = to_value(body)?;
    let Value::Object(fields) = &mut value else {
        return Err(ApiError::invalid_data("a message must be a JSON object"));
    };
    fields.remove("stealth");
    fields.insert("website_id".to_owned(), json!(website_id));
    fields.insert("session_id".to_owned(), json!(session_id));
    if !fields.get("fingerprint").is_some_and(Value::is_i64) {
        fields.insert("fingerprint".to_owned(), json!(ids::fingerprint()));
    }
    if !fields.get("timestamp").is_some_and(Value::is_u64) {
        fields.insert("timestamp".to_owned(), json!(now));
    }
    fields.insert("edited".to_owned(), json!(false));
    match from_value::<ConversationMessage>(value.clone()) {
        Ok(message) => Ok(message),
        // A field whose shape differs between a new and a stored message (such as
        // `original`): keep what every message has.
        Err(_) => {
            const KEPT: [&str; 12] = [
                "website_id",
                "session_id",
                "type",
                "from",
                "origin",
                "content",
                "mentions",
                "fingerprint",
                "timestamp",
                "user",
                "automated",
                "edited",
            ];
            if let Value::Object(fields) = &mut value {
                fields.retain(|key, _| KEPT.contains(&key.as_str()));
            }
            from_value(value)
        }
    }
}

/// Whether a conversation passes the filters and search of `listConversations`.
pub(super) fn listed(
    record: &ConversationRecord,
    options: &ListConversationsOptions,
    caller: &Caller,
) -> bool {
    let conversation = &record.conversation;
    let is_resolved = conversation.state == Some(ConversationState::Resolved);
    let unread_by_operator = conversation
        .unread
        .as_ref()
        .and_then(|unread| unread.operator)
        .unwrap_or(0);
    let assigned_to = conversation
        .assigned
        .as_ref()
        .and_then(|assigned| assigned.user_id.as_deref());
    let meta = conversation.meta.as_ref();
    let checks = [
        options.include_empty == Some(true) || !record.messages.is_empty(),
        options.filter_unread != Some(true) || unread_by_operator > 0,
        options.filter_resolved != Some(true) || is_resolved,
        options.filter_not_resolved != Some(true) || !is_resolved,
        options.filter_unassigned != Some(true) || assigned_to.is_none(),
        options
            .filter_assigned
            .as_deref()
            .is_none_or(|user_id| assigned_to == Some(user_id)),
        options
            .filter_inbox_id
            .as_deref()
            .is_none_or(|inbox_id| conversation.inbox_id.as_deref() == Some(inbox_id)),
        options.filter_mention != Some(true)
            || conversation
                .mentions
                .as_ref()
                .is_some_and(|mentions| mentions.contains(&caller.identifier)),
    ];
    if checks.contains(&false) {
        return false;
    }
    match (&options.search_type, &options.search_query) {
        (
            Some(ListConversationsSearchType::Segment),
            Some(ListConversationsSearchQuery::String(segment)),
        ) => meta
            .and_then(|meta| meta.segments.as_ref())
            .is_some_and(|segments| {
                segments
                    .iter()
                    .any(|candidate| candidate.eq_ignore_ascii_case(segment.trim()))
            }),
        (
            None | Some(ListConversationsSearchType::Text),
            Some(ListConversationsSearchQuery::String(text)),
        ) => {
            let text = text.trim().to_lowercase();
            text.is_empty()
                || contains_text(meta.and_then(|meta| meta.nickname.as_deref()), &text)
                || contains_text(meta.and_then(|meta| meta.email.as_deref()), &text)
                || contains_text(conversation.last_message.as_deref(), &text)
        }
        // Structured searches are not simulated.
        _ => true,
    }
}

/// The messages `getMessagesInConversation` answers, oldest first.
pub(super) fn window(
    messages: &[ConversationMessage],
    options: &GetMessagesInConversationOptions,
) -> Vec<ConversationMessage> {
    let timestamp = |message: &ConversationMessage| message.timestamp.unwrap_or(0);
    if let (Some(around), None, None) = (
        options.timestamp_around,
        options.timestamp_before,
        options.timestamp_after,
    ) {
        let at = messages.partition_point(|message| timestamp(message) < around);
        let start = at.saturating_sub(MESSAGES_PER_PAGE / 2);
        return messages
            .iter()
            .skip(start)
            .take(MESSAGES_PER_PAGE)
            .cloned()
            .collect();
    }
    let candidates: Vec<&ConversationMessage> = messages
        .iter()
        .filter(|message| {
            options
                .timestamp_before
                .is_none_or(|before| timestamp(message) < before)
        })
        .filter(|message| {
            options
                .timestamp_after
                .is_none_or(|after| timestamp(message) > after)
        })
        .collect();
    let selected = if options.timestamp_after.is_some() && options.timestamp_before.is_none() {
        // Paging forward: the oldest messages after the mark.
        candidates
            .into_iter()
            .take(MESSAGES_PER_PAGE)
            .collect::<Vec<_>>()
    } else {
        // The most recent messages (before the mark, if any).
        let skip = candidates.len().saturating_sub(MESSAGES_PER_PAGE);
        candidates.into_iter().skip(skip).collect()
    };
    selected.into_iter().cloned().collect()
}

/// Runs `read` on the conversation `session_id` of `website_id`.
pub(super) fn read_conversation<R>(
    store: &Store,
    website_id: &str,
    session_id: &str,
    read: impl FnOnce(&ConversationRecord) -> Result<R, ApiError>,
) -> Result<R, ApiError> {
    store.with(|state| read(state.website(website_id)?.conversation(session_id)?))
}

/// Runs `change` on the conversation `session_id` of `website_id`, with the current time and
/// the events to record, and stamps the conversation as updated.
pub(super) fn change_conversation<R>(
    store: &Store,
    website_id: &str,
    session_id: &str,
    change: impl FnOnce(&mut ConversationRecord, u64, &mut Events) -> Result<R, ApiError>,
) -> Result<R, ApiError> {
    store.change(|state: &mut State, events| {
        let now = state.now();
        let record = state
            .website_mut(website_id)?
            .conversation_mut(session_id)?;
        let answer = change(record, now, events)?;
        record.conversation.updated_at = Some(now);
        Ok(answer)
    })
}

/// The payload of `message:send` or `message:received`: the message as stored, with its
/// conversation's `inbox_id` and a `user` (for a visitor's message without one, the visitor:
/// their session id and nickname).
pub(super) fn message_payload(
    conversation: &Conversation,
    message: &ConversationMessage,
) -> Result<Value, ApiError> {
    let mut data = to_value(message)?;
    if let Value::Object(fields) = &mut data {
        fields.insert("inbox_id".to_owned(), json!(conversation.inbox_id));
        if !fields.get("user").is_some_and(Value::is_object) {
            let user = match Side::of(message.from.as_ref()) {
                Side::User => {
                    let nickname = conversation
                        .meta
                        .as_ref()
                        .and_then(|meta| meta.nickname.clone());
                    let mut user = json!({"user_id": conversation.session_id});
                    if let (Value::Object(user), Some(nickname)) = (&mut user, nickname) {
                        user.insert("nickname".to_owned(), json!(nickname));
                    }
                    user
                }
                Side::Operator => json!({}),
            };
            fields.insert("user".to_owned(), user);
        }
    }
    Ok(data)
}

/// Records the `session:set_*` events of a metas update, for the fields it set, with the
/// values the conversation now has.
pub(super) fn record_meta_events(
    conversation: &Conversation,
    body: &ConversationMeta,
    now: u64,
    events: &mut Events,
) {
    let texts: [(&'static str, &'static str, &Option<String>); 6] = [
        ("session:set_nickname", "nickname", &body.nickname),
        ("session:set_email", "email", &body.email),
        ("session:set_phone", "phone", &body.phone),
        ("session:set_address", "address", &body.address),
        ("session:set_subject", "subject", &body.subject),
        ("session:set_avatar", "avatar", &body.avatar),
    ];
    for (event, field, value) in texts {
        if let Some(value) = value {
            events.session(conversation, event, json!({ field: value }), now);
        }
    }
    let meta = conversation.meta.as_ref();
    if body.data.is_some() {
        let data = meta.and_then(|meta| meta.data.clone()).unwrap_or_default();
        events.session(
            conversation,
            "session:set_data",
            json!({ "data": data }),
            now,
        );
    }
    if body.segments.is_some() {
        let segments = meta
            .and_then(|meta| meta.segments.clone())
            .unwrap_or_default();
        events.session(
            conversation,
            "session:set_segments",
            json!({ "segments": segments }),
            now,
        );
    }
}
