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
    ConversationMessageNew, ConversationMeta, ConversationRoutingAssign, CreateNewConversationData,
    GetBlockStatusForConversationData, GetConversationParticipantsData, GetConversationStateData,
    GetMessagesInConversationOptions, ListConversationsOptions, MarkConversationAsUnreadBody,
    Patch, SaveConversationParticipantsBody, SendMessageInConversationData,
    UpdateMessageInConversationBody,
};
use crisp_server::{ApiError, Caller, WebsiteConversation};
use serde_json::json;

use crate::data::ConversationRecord;
use crate::ids;
use crate::json::{from_value, merged, to_value};
use crate::listing::page;
use crate::store::Store;

mod records;

use records::{
    Side, change_conversation, listed, message_not_found, message_payload, new_message,
    read_conversation, record_meta_events, sent_by, set_state, window,
};

/// Conversations per page of `listConversations` when `per_page` is not given.
pub const CONVERSATIONS_PER_PAGE: usize = 20;
/// Messages per answer of `getMessagesInConversation`.
pub const MESSAGES_PER_PAGE: usize = 40;
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
            let mut created = CreateNewConversationData::default();
            created.session_id = Some(session_id);
            Ok(created)
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
            let mut status = GetBlockStatusForConversationData::default();
            status.blocked = Some(record.conversation.is_blocked.unwrap_or(false));
            Ok(status)
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
            let mut sent = SendMessageInConversationData::default();
            sent.fingerprint = fingerprint;
            Ok(sent)
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
            let mut data = GetConversationParticipantsData::default();
            data.participants = Some(record.conversation.participants.clone().unwrap_or_default());
            Ok(data)
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
            let mut routing = ConversationRoutingAssign::default();
            routing.assigned = record.conversation.assigned.clone();
            Ok(routing)
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
            let mut data = GetConversationStateData::default();
            data.state = record.conversation.state.clone();
            Ok(data)
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
        let mut message = ConversationMessage::default();
        message.timestamp = Some(timestamp);
        message.fingerprint = i64::try_from(timestamp).ok();
        message
    }

    /// Options of `getMessagesInConversation`, the defaults changed by `set`.
    fn options(
        set: impl FnOnce(&mut GetMessagesInConversationOptions),
    ) -> GetMessagesInConversationOptions {
        let mut options = GetMessagesInConversationOptions::default();
        set(&mut options);
        options
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
            &options(|options| options.timestamp_before = Some(61)),
        );
        assert_eq!(timestamps(&older), (21..=60).collect::<Vec<_>>());
        let oldest = window(
            &messages,
            &options(|options| options.timestamp_before = Some(21)),
        );
        assert_eq!(timestamps(&oldest), (1..=20).collect::<Vec<_>>());
        let newer = window(
            &messages,
            &options(|options| options.timestamp_after = Some(10)),
        );
        assert_eq!(timestamps(&newer), (11..=50).collect::<Vec<_>>());
        let around = window(
            &messages,
            &options(|options| options.timestamp_around = Some(50)),
        );
        assert_eq!(timestamps(&around), (30..=69).collect::<Vec<_>>());
    }
}
