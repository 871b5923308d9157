//! The `website.conversation` operations the stateful sandbox implements for real.
//!
//! Conversations: create, list (filters, text and segment search, pagination), get, check,
//! remove. Messages: send, list by `timestamp_before` / `timestamp_after` /
//! `timestamp_around`, get, update, remove. Per conversation: state, metas (merged), routing,
//! block, read, unread, delivered and participants. A conversation keeps its counters up to
//! date as messages come in: `last_message`, `preview_message`, `unread`, `waiting_since`,
//! `updated_at`, and its state (a visitor message reopens a resolved conversation, an operator
//! reply takes a pending one to unresolved).
//!
//! Not simulated: the date filters and structured (`filter`) searches of `listConversations`
//! are accepted and ignored. Every other operation of the area answers its example.
//!
//! Web hook events: `session:request:initiated` (created), `message:send` (a visitor's
//! message) and `message:received` (an operator's), `message:updated`, `message:removed`,
//! `session:set_state` (set, or changed by a message), `session:set_nickname`,
//! `session:set_email`, `session:set_phone`, `session:set_address`, `session:set_subject`,
//! `session:set_avatar`, `session:set_data` and `session:set_segments` (metas),
//! `session:set_block`, `session:set_routing`, `message:acknowledge:read:send` (the visitor
//! read) and `message:acknowledge:read:received` (an operator read), `session:removed`.

use std::cmp::Reverse;

use crisp_server::models::{
    AssignConversationRoutingBody, BlockIncomingMessagesForConversationBody,
    ChangeConversationStateBody, Conversation, ConversationMessage, ConversationMessageMark,
    ConversationMessageNew, ConversationMeta, ConversationPreviewMessage,
    ConversationRoutingAssign, ConversationState, ConversationUnread, CreateNewConversationData,
    GetBlockStatusForConversationData, GetConversationParticipantsData, GetConversationStateData,
    GetMessagesInConversationOptions, ListConversationsOptions, ListConversationsSearchQuery,
    ListConversationsSearchType, MarkConversationAsUnreadBody, MessageContent, MessageFrom,
    MessageType, Patch, SaveConversationParticipantsBody, SendMessageInConversationData,
    UpdateMessageInConversationBody,
};
use crisp_server::{ApiError, Caller, WebsiteConversation};
use serde_json::{Value, json};

use crate::data::{ConversationRecord, State};
use crate::events::Events;
use crate::ids;
use crate::json::{from_value, merged, to_value};
use crate::listing::{contains_text, page};
use crate::store::Store;

/// Conversations per page of `listConversations` when `per_page` is not given.
pub const CONVERSATIONS_PER_PAGE: usize = 20;
/// Messages per answer of `getMessagesInConversation`.
pub const MESSAGES_PER_PAGE: usize = 40;

/// The side of a conversation: the visitor (`user`) or the team (`operator`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    User,
    Operator,
}

impl Side {
    /// The side named by a `from` field; anything but `user` is the operator side.
    fn of(from: Option<&MessageFrom>) -> Side {
        match from {
            Some(MessageFrom::User) => Side::User,
            _ => Side::Operator,
        }
    }

    /// The other side.
    fn other(self) -> Side {
        match self {
            Side::User => Side::Operator,
            Side::Operator => Side::User,
        }
    }
}

/// Whether `message` was sent by `side` and counts as unread-able (notes are internal).
fn sent_by(message: &ConversationMessage, side: Side) -> bool {
    Side::of(message.from.as_ref()) == side && message.r#type != Some(MessageType::Note)
}

/// Crisp's numeric status of a state: 0 pending, 1 unresolved, 2 resolved.
fn status_of(state: &ConversationState) -> u8 {
    match state {
        ConversationState::Pending => 0,
        ConversationState::Resolved => 2,
        _ => 1,
    }
}

/// Sets the conversation's state and its numeric status.
fn set_state(conversation: &mut Conversation, state: ConversationState) {
    conversation.status = Some(status_of(&state));
    conversation.state = Some(state);
}

/// A short text for a message: its text, or `[type]` for other contents.
fn excerpt(message: &ConversationMessage) -> String {
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
    fn refresh(&mut self) {
        let unread = |side: Side| {
            let count = self
                .messages
                .iter()
                .filter(|message| sent_by(message, side.other()) && message.read.is_none())
                .count();
            Some(u16::try_from(count).unwrap_or(u16::MAX))
        };
        let unread = ConversationUnread {
            operator: unread(Side::Operator),
            visitor: unread(Side::User),
        };
        let last = self.messages.last();
        self.conversation.last_message = last.map(excerpt);
        self.conversation.preview_message = last.map(|message| ConversationPreviewMessage {
            r#type: message.r#type.clone(),
            from: message.from.clone(),
            excerpt: Some(excerpt(message)),
            fingerprint: message.fingerprint,
        });
        self.conversation.unread = Some(unread);
    }

    /// Adds a message at its place in time and updates the conversation.
    fn push(&mut self, message: ConversationMessage, now: u64) {
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
    fn mark(
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
    fn message_mut(&mut self, fingerprint: i64) -> Result<&mut ConversationMessage, ApiError> {
        self.messages
            .iter_mut()
            .find(|message| message.fingerprint == Some(fingerprint))
            .ok_or_else(|| message_not_found(fingerprint))
    }
}

/// 404 for a fingerprint the conversation does not hold.
fn message_not_found(fingerprint: i64) -> ApiError {
    ApiError::not_found(format!(
        "no message with fingerprint {fingerprint} in this conversation"
    ))
}

/// Builds the stored message from what was sent: the sent fields, plus the ids, a fingerprint
/// and a timestamp when the sender gave none.
fn new_message(
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
fn listed(
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
fn window(
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
fn read_conversation<R>(
    store: &Store,
    website_id: &str,
    session_id: &str,
    read: impl FnOnce(&ConversationRecord) -> Result<R, ApiError>,
) -> Result<R, ApiError> {
    store.with(|state| read(state.website(website_id)?.conversation(session_id)?))
}

/// Runs `change` on the conversation `session_id` of `website_id`, with the current time and
/// the events to record, and stamps the conversation as updated.
fn change_conversation<R>(
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
fn message_payload(
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
fn record_meta_events(
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

impl WebsiteConversation for Store {
    async fn create_new_conversation(
        &self,
        _caller: Caller,
        website_id: String,
    ) -> Result<CreateNewConversationData, ApiError> {
        self.change(|state, events| {
            let now = state.now();
            let website = state.website_mut(&website_id)?;
            let session_id = ids::session_id();
            let conversation: Conversation = from_value(json!({
                "session_id": session_id,
                "website_id": website_id,
                "state": "pending",
                "status": 0,
                "is_verified": false,
                "is_blocked": false,
                "availability": "offline",
                "active": {"now": false},
                "participants": [],
                "mentions": [],
                "unread": {"operator": 0, "visitor": 0},
                "meta": {},
                "created_at": now,
                "updated_at": now,
            }))?;
            events.session(&conversation, "session:request:initiated", json!({}), now);
            website.conversations.insert(
                session_id.clone(),
                ConversationRecord {
                    conversation,
                    messages: Vec::new(),
                },
            );
            Ok(CreateNewConversationData {
                session_id: Some(session_id),
            })
        })
    }

    async fn get_conversation(
        &self,
        _caller: Caller,
        website_id: String,
        session_id: String,
    ) -> Result<Conversation, ApiError> {
        read_conversation(self, &website_id, &session_id, |record| {
            Ok(record.conversation.clone())
        })
    }

    async fn check_conversation_exists(
        &self,
        _caller: Caller,
        website_id: String,
        session_id: String,
    ) -> Result<(), ApiError> {
        read_conversation(self, &website_id, &session_id, |_| Ok(()))
    }

    async fn remove_conversation(
        &self,
        _caller: Caller,
        website_id: String,
        session_id: String,
    ) -> Result<(), ApiError> {
        self.change(|state, events| {
            let now = state.now();
            let website = state.website_mut(&website_id)?;
            let record = website.conversation(&session_id)?;
            events.session(&record.conversation, "session:removed", json!({}), now);
            website.conversations.remove(&session_id);
            Ok(())
        })
    }

    async fn get_block_status_for_conversation(
        &self,
        _caller: Caller,
        website_id: String,
        session_id: String,
    ) -> Result<GetBlockStatusForConversationData, ApiError> {
        read_conversation(self, &website_id, &session_id, |record| {
            Ok(GetBlockStatusForConversationData {
                blocked: Some(record.conversation.is_blocked.unwrap_or(false)),
            })
        })
    }

    async fn block_incoming_messages_for_conversation(
        &self,
        _caller: Caller,
        website_id: String,
        session_id: String,
        body: BlockIncomingMessagesForConversationBody,
    ) -> Result<(), ApiError> {
        change_conversation(self, &website_id, &session_id, |record, now, events| {
            record.conversation.is_blocked = Some(body.blocked);
            events.session(
                &record.conversation,
                "session:set_block",
                json!({"is_blocked": body.blocked}),
                now,
            );
            Ok(())
        })
    }

    async fn mark_messages_delivered_in_conversation(
        &self,
        _caller: Caller,
        website_id: String,
        session_id: String,
        body: ConversationMessageMark,
    ) -> Result<(), ApiError> {
        let reader = Side::of(body.from.as_ref());
        let channel = body.origin.clone().unwrap_or_else(|| "chat".to_owned());
        change_conversation(self, &website_id, &session_id, |record, _, _| {
            record.mark(reader, body.fingerprints.as_deref(), &channel, |message| {
                &mut message.delivered
            });
            Ok(())
        })
    }

    async fn send_message_in_conversation(
        &self,
        _caller: Caller,
        website_id: String,
        session_id: String,
        body: ConversationMessageNew,
    ) -> Result<SendMessageInConversationData, ApiError> {
        self.change(|state, events| {
            let now = state.now();
            let record = state
                .website_mut(&website_id)?
                .conversation_mut(&session_id)?;
            let message = new_message(&body, &website_id, &session_id, now)?;
            if record.conversation.is_blocked == Some(true)
                && Side::of(message.from.as_ref()) == Side::User
            {
                return Err(ApiError::not_allowed(
                    "incoming messages from this visitor are blocked",
                ));
            }
            let fingerprint = message.fingerprint;
            let name = match Side::of(message.from.as_ref()) {
                Side::User => "message:send",
                Side::Operator => "message:received",
            };
            let data = message_payload(&record.conversation, &message)?;
            events.record(&website_id, name, data, now);
            let state_before = record.conversation.state.clone();
            record.push(message, now);
            if record.conversation.state != state_before {
                let state = json!({"state": record.conversation.state});
                events.session(&record.conversation, "session:set_state", state, now);
            }
            Ok(SendMessageInConversationData { fingerprint })
        })
    }

    async fn get_message_in_conversation(
        &self,
        _caller: Caller,
        website_id: String,
        session_id: String,
        fingerprint: i64,
    ) -> Result<ConversationMessage, ApiError> {
        read_conversation(self, &website_id, &session_id, |record| {
            record
                .messages
                .iter()
                .find(|message| message.fingerprint == Some(fingerprint))
                .cloned()
                .ok_or_else(|| message_not_found(fingerprint))
        })
    }

    async fn update_message_in_conversation(
        &self,
        _caller: Caller,
        website_id: String,
        session_id: String,
        fingerprint: i64,
        body: UpdateMessageInConversationBody,
    ) -> Result<(), ApiError> {
        change_conversation(self, &website_id, &session_id, |record, now, events| {
            let message = record.message_mut(fingerprint)?;
            let content = to_value(&body.content)?;
            message.content = Some(body.content);
            message.edited = Some(true);
            record.refresh();
            events.session(
                &record.conversation,
                "message:updated",
                json!({"fingerprint": fingerprint, "content": content}),
                now,
            );
            Ok(())
        })
    }

    async fn remove_message_in_conversation(
        &self,
        _caller: Caller,
        website_id: String,
        session_id: String,
        fingerprint: i64,
    ) -> Result<(), ApiError> {
        change_conversation(self, &website_id, &session_id, |record, now, events| {
            record.message_mut(fingerprint)?;
            record
                .messages
                .retain(|message| message.fingerprint != Some(fingerprint));
            record.refresh();
            events.session(
                &record.conversation,
                "message:removed",
                json!({"fingerprint": fingerprint}),
                now,
            );
            Ok(())
        })
    }

    async fn get_messages_in_conversation(
        &self,
        _caller: Caller,
        website_id: String,
        session_id: String,
        options: GetMessagesInConversationOptions,
    ) -> Result<Vec<ConversationMessage>, ApiError> {
        read_conversation(self, &website_id, &session_id, |record| {
            Ok(window(&record.messages, &options))
        })
    }

    async fn get_conversation_metas(
        &self,
        _caller: Caller,
        website_id: String,
        session_id: String,
    ) -> Result<ConversationMeta, ApiError> {
        read_conversation(self, &website_id, &session_id, |record| {
            Ok(record.conversation.meta.clone().unwrap_or_default())
        })
    }

    async fn update_conversation_metas(
        &self,
        _caller: Caller,
        website_id: String,
        session_id: String,
        body: ConversationMeta,
    ) -> Result<(), ApiError> {
        change_conversation(self, &website_id, &session_id, |record, now, events| {
            let meta = record.conversation.meta.clone().unwrap_or_default();
            record.conversation.meta = Some(merged(&meta, &body)?);
            record_meta_events(&record.conversation, &body, now, events);
            Ok(())
        })
    }

    async fn get_conversation_participants(
        &self,
        _caller: Caller,
        website_id: String,
        session_id: String,
    ) -> Result<GetConversationParticipantsData, ApiError> {
        read_conversation(self, &website_id, &session_id, |record| {
            Ok(GetConversationParticipantsData {
                participants: Some(record.conversation.participants.clone().unwrap_or_default()),
            })
        })
    }

    async fn save_conversation_participants(
        &self,
        _caller: Caller,
        website_id: String,
        session_id: String,
        body: SaveConversationParticipantsBody,
    ) -> Result<(), ApiError> {
        change_conversation(self, &website_id, &session_id, |record, _, _| {
            record.conversation.participants = Some(body.participants.unwrap_or_default());
            Ok(())
        })
    }

    async fn mark_messages_read_in_conversation(
        &self,
        _caller: Caller,
        website_id: String,
        session_id: String,
        body: ConversationMessageMark,
    ) -> Result<(), ApiError> {
        let reader = Side::of(body.from.as_ref());
        let channel = body.origin.clone().unwrap_or_else(|| "chat".to_owned());
        change_conversation(self, &website_id, &session_id, |record, now, events| {
            let marked = record.mark(reader, body.fingerprints.as_deref(), &channel, |message| {
                &mut message.read
            });
            if !marked.is_empty() {
                // `send` for what the visitor does, `received` for what the team does, as
                // with `message:send` and `message:received`.
                let name = match reader {
                    Side::User => "message:acknowledge:read:send",
                    Side::Operator => "message:acknowledge:read:received",
                };
                let acknowledged = json!({"origin": channel, "fingerprints": marked});
                events.session(&record.conversation, name, acknowledged, now);
            }
            Ok(())
        })
    }

    async fn get_conversation_routing_assign(
        &self,
        _caller: Caller,
        website_id: String,
        session_id: String,
    ) -> Result<ConversationRoutingAssign, ApiError> {
        read_conversation(self, &website_id, &session_id, |record| {
            Ok(ConversationRoutingAssign {
                assigned: record.conversation.assigned.clone(),
            })
        })
    }

    async fn assign_conversation_routing(
        &self,
        _caller: Caller,
        website_id: String,
        session_id: String,
        body: AssignConversationRoutingBody,
    ) -> Result<(), ApiError> {
        change_conversation(self, &website_id, &session_id, |record, now, events| {
            let assigned_to = |conversation: &Conversation| {
                conversation
                    .assigned
                    .as_ref()
                    .and_then(|assigned| assigned.user_id.clone())
            };
            let previous = assigned_to(&record.conversation);
            match body.assigned {
                Patch::Value(assigned) => record.conversation.assigned = Some(assigned),
                Patch::Null => record.conversation.assigned = None,
                Patch::Absent => return Ok(()),
            }
            let routing = json!({
                "routing_id": assigned_to(&record.conversation),
                "previous_routing_id": previous,
            });
            events.session(&record.conversation, "session:set_routing", routing, now);
            Ok(())
        })
    }

    async fn get_conversation_state(
        &self,
        _caller: Caller,
        website_id: String,
        session_id: String,
    ) -> Result<GetConversationStateData, ApiError> {
        read_conversation(self, &website_id, &session_id, |record| {
            Ok(GetConversationStateData {
                state: record.conversation.state.clone(),
            })
        })
    }

    async fn change_conversation_state(
        &self,
        _caller: Caller,
        website_id: String,
        session_id: String,
        body: ChangeConversationStateBody,
    ) -> Result<(), ApiError> {
        change_conversation(self, &website_id, &session_id, |record, now, events| {
            let state = json!({"state": body.state});
            set_state(&mut record.conversation, body.state);
            events.session(&record.conversation, "session:set_state", state, now);
            Ok(())
        })
    }

    async fn mark_conversation_as_unread(
        &self,
        _caller: Caller,
        website_id: String,
        session_id: String,
        body: MarkConversationAsUnreadBody,
    ) -> Result<(), ApiError> {
        let reader = Side::of(body.from.as_ref());
        change_conversation(self, &website_id, &session_id, |record, _, _| {
            if let Some(message) = record
                .messages
                .iter_mut()
                .rev()
                .find(|message| sent_by(message, reader.other()))
            {
                message.read = None;
            }
            record.refresh();
            let unread = record
                .conversation
                .unread
                .get_or_insert_with(Default::default);
            let counter = match reader {
                Side::Operator => &mut unread.operator,
                Side::User => &mut unread.visitor,
            };
            *counter = Some(counter.unwrap_or(0).max(1));
            Ok(())
        })
    }

    async fn list_conversations(
        &self,
        caller: Caller,
        website_id: String,
        page_number: u32,
        options: ListConversationsOptions,
    ) -> Result<Vec<Conversation>, ApiError> {
        self.with(|state| {
            let website = state.website(&website_id)?;
            let mut conversations: Vec<&Conversation> = website
                .conversations
                .values()
                .filter(|record| listed(record, &options, &caller))
                .map(|record| &record.conversation)
                .collect();
            // Most recent first; ties by session id, so pages are stable.
            if options.order_date_created == Some(true) {
                conversations.sort_by_key(|conversation| {
                    (
                        Reverse(conversation.created_at),
                        conversation.session_id.clone(),
                    )
                });
            } else if options.order_date_waiting == Some(true) {
                conversations.sort_by_key(|conversation| {
                    (
                        conversation.waiting_since.unwrap_or(u64::MAX),
                        conversation.session_id.clone(),
                    )
                });
            } else {
                conversations.sort_by_key(|conversation| {
                    (
                        Reverse(conversation.updated_at),
                        conversation.session_id.clone(),
                    )
                });
            }
            let per_page = options.per_page.map_or(CONVERSATIONS_PER_PAGE, usize::from);
            Ok(page(conversations, page_number, per_page)
                .into_iter()
                .cloned()
                .collect())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(timestamp: u64) -> ConversationMessage {
        ConversationMessage {
            timestamp: Some(timestamp),
            fingerprint: i64::try_from(timestamp).ok(),
            ..ConversationMessage::default()
        }
    }

    fn timestamps(messages: &[ConversationMessage]) -> Vec<u64> {
        messages
            .iter()
            .filter_map(|message| message.timestamp)
            .collect()
    }

    #[test]
    fn windows_page_back_forward_and_around() {
        let messages: Vec<ConversationMessage> = (1..=100).map(message).collect();
        let latest = window(&messages, &GetMessagesInConversationOptions::default());
        assert_eq!(timestamps(&latest), (61..=100).collect::<Vec<_>>());
        let older = window(
            &messages,
            &GetMessagesInConversationOptions {
                timestamp_before: Some(61),
                ..Default::default()
            },
        );
        assert_eq!(timestamps(&older), (21..=60).collect::<Vec<_>>());
        let oldest = window(
            &messages,
            &GetMessagesInConversationOptions {
                timestamp_before: Some(21),
                ..Default::default()
            },
        );
        assert_eq!(timestamps(&oldest), (1..=20).collect::<Vec<_>>());
        let newer = window(
            &messages,
            &GetMessagesInConversationOptions {
                timestamp_after: Some(10),
                ..Default::default()
            },
        );
        assert_eq!(timestamps(&newer), (11..=50).collect::<Vec<_>>());
        let around = window(
            &messages,
            &GetMessagesInConversationOptions {
                timestamp_around: Some(50),
                ..Default::default()
            },
        );
        assert_eq!(timestamps(&around), (30..=69).collect::<Vec<_>>());
    }
}
