//! The fake Crisp: an in-memory implementation of the `websiteBase` and `websiteConversation`
//! server traits that records every call the router hands it.
//!
//! It keeps what the round-trip tests read back (conversations, messages, metas, routing, open
//! state, relations) and no more; operations it leaves to their default answer 501.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crisp_models::{
    AssignConversationRoutingBody, ChangeConversationStateBody, Conversation, ConversationMessage,
    ConversationMessageMark, ConversationMessageNew, ConversationMeta, ConversationRelations,
    ConversationRelationsConversations, ConversationRoutingAssign, ConversationSearchFilter,
    ConversationState, CreateNewConversationData, DeleteWebsiteBody, GetConversationStateData,
    GetMessagesInConversationOptions, ListConversationsOptions, ListConversationsSearchQuery,
    ListConversationsSearchType, Patch, SendMessageInConversationData,
    UpdateConversationOpenStateBody, Website,
};
use crisp_server::{ApiError, Caller, WebsiteBase, WebsiteConversation};

use super::seed::{conversation, unread};
use super::{DOMAIN, VERIFY_SECRET, WEBSITE};

/// One operation the fake was called with, holding the inputs exactly as the router decoded them.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Call {
    CheckWebsiteExists {
        domain: String,
    },
    GetWebsite {
        website_id: String,
    },
    DeleteWebsite {
        website_id: String,
        body: DeleteWebsiteBody,
    },
    CreateNewConversation {
        website_id: String,
    },
    GetConversation {
        session_id: String,
    },
    CheckConversationExists {
        website_id: String,
        session_id: String,
    },
    RemoveConversation {
        session_id: String,
    },
    ListConversations {
        website_id: String,
        page_number: u32,
        options: ListConversationsOptions,
    },
    SendMessage {
        session_id: String,
        body: ConversationMessageNew,
    },
    GetMessages {
        session_id: String,
        options: GetMessagesInConversationOptions,
    },
    GetMessage {
        session_id: String,
        fingerprint: i64,
    },
    GetMetas {
        session_id: String,
    },
    UpdateMetas {
        session_id: String,
        body: ConversationMeta,
    },
    UpdateOpenState {
        session_id: String,
        body: UpdateConversationOpenStateBody,
    },
    MarkRead {
        session_id: String,
        body: ConversationMessageMark,
    },
    GetRelations {
        session_id: String,
    },
    GetRouting {
        session_id: String,
    },
    AssignRouting {
        session_id: String,
        body: AssignConversationRoutingBody,
    },
    GetState {
        session_id: String,
    },
    ChangeState {
        session_id: String,
        body: ChangeConversationStateBody,
    },
}

/// One HTTP request as it reached the router, before any decoding.
#[derive(Clone, Debug)]
pub(super) struct RawRequest {
    pub(super) method: String,
    /// Path and query, still percent-encoded.
    pub(super) uri: String,
    pub(super) body: String,
}

/// Everything the fake holds and everything it saw.
#[derive(Default)]
pub(super) struct State {
    pub(super) domains: Vec<String>,
    pub(super) website_deleted: bool,
    pub(super) conversations: BTreeMap<String, Conversation>,
    pub(super) messages: BTreeMap<String, Vec<ConversationMessage>>,
    pub(super) metas: BTreeMap<String, ConversationMeta>,
    pub(super) open: BTreeMap<String, bool>,
    /// The parent of each conversation: absent when unknown, `None` when it has none.
    pub(super) parents: BTreeMap<String, Option<String>>,
    pub(super) next_session: u32,
    pub(super) next_fingerprint: i64,
    /// What the router decoded and passed to the implementation, in order.
    pub(super) calls: Vec<Call>,
    /// Who the router said was calling, one entry per call.
    pub(super) callers: Vec<Caller>,
    /// Every request that reached the router, in order.
    pub(super) requests: Vec<RawRequest>,
}

pub(super) type Shared = Arc<Mutex<State>>;

pub(super) fn lock(state: &Shared) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// An in-memory Crisp implementing both areas. Every method records its call first.
#[derive(Clone)]
pub(super) struct Fake {
    pub(super) state: Shared,
}

impl Fake {
    /// Records the call and returns the locked state.
    fn record(&self, caller: Caller, call: Call) -> MutexGuard<'_, State> {
        let mut state = lock(&self.state);
        state.callers.push(caller);
        state.calls.push(call);
        state
    }
}

pub(super) fn website_must_exist(state: &State, website_id: &str) -> Result<(), ApiError> {
    if website_id == WEBSITE && !state.website_deleted {
        Ok(())
    } else {
        Err(ApiError::not_found(format!(
            "website `{website_id}` does not exist"
        )))
    }
}

pub(super) fn conversation_must_exist(
    state: &State,
    website_id: &str,
    session_id: &str,
) -> Result<(), ApiError> {
    website_must_exist(state, website_id)?;
    if state.conversations.contains_key(session_id) {
        Ok(())
    } else {
        Err(ApiError::not_found(format!(
            "conversation `{session_id}` does not exist"
        )))
    }
}

pub(super) fn conversation_mut<'a>(
    state: &'a mut State,
    website_id: &str,
    session_id: &str,
) -> Result<&'a mut Conversation, ApiError> {
    conversation_must_exist(state, website_id, session_id)?;
    state
        .conversations
        .get_mut(session_id)
        .ok_or_else(|| ApiError::internal("conversation vanished"))
}

/// Stores a new message the way Crisp would show it back.
pub(super) fn stored_message(
    state: &mut State,
    website_id: &str,
    session_id: &str,
    body: &ConversationMessageNew,
) -> Result<ConversationMessage, ApiError> {
    let value =
        serde_json::to_value(body).map_err(|error| ApiError::internal(error.to_string()))?;
    let mut message: ConversationMessage = serde_json::from_value(value)
        .map_err(|error| ApiError::invalid_data(format!("unusable message: {error}")))?;
    state.next_fingerprint += 1;
    let generated = state.next_fingerprint;
    message.fingerprint = Some(message.fingerprint.unwrap_or(generated));
    message.timestamp = Some(message.timestamp.unwrap_or(1_700_000_000_000));
    message.session_id = Some(session_id.to_owned());
    message.website_id = Some(website_id.to_owned());
    message.stamped = Some(true);
    Ok(message)
}

/// Applies a metadata update: fields left out keep their value, `data` is merged key by key.
///
/// `ConversationMeta` is `#[non_exhaustive]`, so the pattern needs `..`: a field the spec adds
/// later is not merged until it is listed here.
pub(super) fn merge_meta(current: &mut ConversationMeta, update: ConversationMeta) {
    let ConversationMeta {
        nickname,
        email,
        phone,
        ip,
        avatar,
        data,
        connection,
        device,
        segments,
        address,
        subject,
        origin,
        ..
    } = update;
    fn set<T>(slot: &mut Option<T>, value: Option<T>) {
        if value.is_some() {
            *slot = value;
        }
    }
    set(&mut current.nickname, nickname);
    set(&mut current.email, email);
    set(&mut current.phone, phone);
    set(&mut current.ip, ip);
    set(&mut current.avatar, avatar);
    set(&mut current.connection, connection);
    set(&mut current.device, device);
    set(&mut current.segments, segments);
    set(&mut current.address, address);
    set(&mut current.subject, subject);
    set(&mut current.origin, origin);
    if let Some(data) = data {
        current.data.get_or_insert_with(BTreeMap::new).extend(data);
    }
}

impl WebsiteBase for Fake {
    async fn check_website_exists(&self, caller: Caller, domain: String) -> Result<(), ApiError> {
        let state = self.record(
            caller,
            Call::CheckWebsiteExists {
                domain: domain.clone(),
            },
        );
        if state.domains.contains(&domain) {
            Ok(())
        } else {
            Err(ApiError::not_found(format!("no website uses `{domain}`")))
        }
    }

    async fn get_website(&self, caller: Caller, website_id: String) -> Result<Website, ApiError> {
        let state = self.record(
            caller,
            Call::GetWebsite {
                website_id: website_id.clone(),
            },
        );
        website_must_exist(&state, &website_id)?;
        let mut website = Website::default();
        website.website_id = Some(website_id);
        website.name = Some("Example Shop".to_owned());
        website.domain = Some(DOMAIN.to_owned());
        Ok(website)
    }

    async fn delete_website(
        &self,
        caller: Caller,
        website_id: String,
        body: DeleteWebsiteBody,
    ) -> Result<(), ApiError> {
        let mut state = self.record(
            caller,
            Call::DeleteWebsite {
                website_id: website_id.clone(),
                body: body.clone(),
            },
        );
        website_must_exist(&state, &website_id)?;
        if body.verify.method.as_deref() != Some("password")
            || body.verify.secret.as_deref() != Some(VERIFY_SECRET)
        {
            return Err(ApiError::not_allowed("the verification does not match"));
        }
        state.website_deleted = true;
        Ok(())
    }
}

impl WebsiteConversation for Fake {
    async fn create_new_conversation(
        &self,
        caller: Caller,
        website_id: String,
    ) -> Result<CreateNewConversationData, ApiError> {
        let mut state = self.record(
            caller,
            Call::CreateNewConversation {
                website_id: website_id.clone(),
            },
        );
        website_must_exist(&state, &website_id)?;
        state.next_session += 1;
        let session_id = format!("session_new_{}", state.next_session);
        let mut conversation = conversation(&session_id);
        conversation.state = Some(ConversationState::Pending);
        conversation.created_at = Some(5_000);
        state.conversations.insert(session_id.clone(), conversation);
        let mut created = CreateNewConversationData::default();
        created.session_id = Some(session_id);
        Ok(created)
    }

    async fn get_conversation(
        &self,
        caller: Caller,
        website_id: String,
        session_id: String,
    ) -> Result<Conversation, ApiError> {
        let mut state = self.record(
            caller,
            Call::GetConversation {
                session_id: session_id.clone(),
            },
        );
        conversation_mut(&mut state, &website_id, &session_id).map(|found| found.clone())
    }

    async fn check_conversation_exists(
        &self,
        caller: Caller,
        website_id: String,
        session_id: String,
    ) -> Result<(), ApiError> {
        let state = self.record(
            caller,
            Call::CheckConversationExists {
                website_id: website_id.clone(),
                session_id: session_id.clone(),
            },
        );
        conversation_must_exist(&state, &website_id, &session_id)
    }

    async fn remove_conversation(
        &self,
        caller: Caller,
        website_id: String,
        session_id: String,
    ) -> Result<(), ApiError> {
        let mut state = self.record(
            caller,
            Call::RemoveConversation {
                session_id: session_id.clone(),
            },
        );
        conversation_must_exist(&state, &website_id, &session_id)?;
        state.conversations.remove(&session_id);
        state.messages.remove(&session_id);
        state.metas.remove(&session_id);
        Ok(())
    }

    async fn send_message_in_conversation(
        &self,
        caller: Caller,
        website_id: String,
        session_id: String,
        body: ConversationMessageNew,
    ) -> Result<SendMessageInConversationData, ApiError> {
        let mut state = self.record(
            caller,
            Call::SendMessage {
                session_id: session_id.clone(),
                body: body.clone(),
            },
        );
        conversation_must_exist(&state, &website_id, &session_id)?;
        let message = stored_message(&mut state, &website_id, &session_id, &body)?;
        let fingerprint = message.fingerprint;
        state.messages.entry(session_id).or_default().push(message);
        let mut sent = SendMessageInConversationData::default();
        sent.fingerprint = fingerprint;
        Ok(sent)
    }

    async fn get_message_in_conversation(
        &self,
        caller: Caller,
        website_id: String,
        session_id: String,
        fingerprint: i64,
    ) -> Result<ConversationMessage, ApiError> {
        let state = self.record(
            caller,
            Call::GetMessage {
                session_id: session_id.clone(),
                fingerprint,
            },
        );
        conversation_must_exist(&state, &website_id, &session_id)?;
        state
            .messages
            .get(&session_id)
            .into_iter()
            .flatten()
            .find(|message| message.fingerprint == Some(fingerprint))
            .cloned()
            .ok_or_else(|| {
                ApiError::not_found(format!("no message with fingerprint {fingerprint}"))
            })
    }

    async fn get_messages_in_conversation(
        &self,
        caller: Caller,
        website_id: String,
        session_id: String,
        options: GetMessagesInConversationOptions,
    ) -> Result<Vec<ConversationMessage>, ApiError> {
        let state = self.record(
            caller,
            Call::GetMessages {
                session_id: session_id.clone(),
                options: options.clone(),
            },
        );
        conversation_must_exist(&state, &website_id, &session_id)?;
        let mut messages: Vec<ConversationMessage> = state
            .messages
            .get(&session_id)
            .into_iter()
            .flatten()
            .filter(|message| {
                let timestamp = message.timestamp.unwrap_or_default();
                options
                    .timestamp_before
                    .is_none_or(|before| timestamp < before)
                    && options
                        .timestamp_after
                        .is_none_or(|after| timestamp > after)
            })
            .cloned()
            .collect();
        messages.sort_by_key(|message| message.timestamp);
        Ok(messages)
    }

    async fn get_conversation_metas(
        &self,
        caller: Caller,
        website_id: String,
        session_id: String,
    ) -> Result<ConversationMeta, ApiError> {
        let state = self.record(
            caller,
            Call::GetMetas {
                session_id: session_id.clone(),
            },
        );
        conversation_must_exist(&state, &website_id, &session_id)?;
        Ok(state.metas.get(&session_id).cloned().unwrap_or_default())
    }

    async fn update_conversation_metas(
        &self,
        caller: Caller,
        website_id: String,
        session_id: String,
        body: ConversationMeta,
    ) -> Result<(), ApiError> {
        let mut state = self.record(
            caller,
            Call::UpdateMetas {
                session_id: session_id.clone(),
                body: body.clone(),
            },
        );
        conversation_must_exist(&state, &website_id, &session_id)?;
        merge_meta(state.metas.entry(session_id).or_default(), body);
        Ok(())
    }

    async fn update_conversation_open_state(
        &self,
        caller: Caller,
        website_id: String,
        session_id: String,
        body: UpdateConversationOpenStateBody,
    ) -> Result<(), ApiError> {
        let mut state = self.record(
            caller,
            Call::UpdateOpenState {
                session_id: session_id.clone(),
                body: body.clone(),
            },
        );
        conversation_must_exist(&state, &website_id, &session_id)?;
        state.open.insert(session_id, body.opened);
        Ok(())
    }

    async fn mark_messages_read_in_conversation(
        &self,
        caller: Caller,
        website_id: String,
        session_id: String,
        body: ConversationMessageMark,
    ) -> Result<(), ApiError> {
        let mut state = self.record(
            caller,
            Call::MarkRead {
                session_id: session_id.clone(),
                body: body.clone(),
            },
        );
        conversation_must_exist(&state, &website_id, &session_id)?;
        let channel = body.origin.clone().unwrap_or_else(|| "chat".to_owned());
        for message in state.messages.entry(session_id.clone()).or_default() {
            let listed = body.fingerprints.as_ref().is_none_or(|fingerprints| {
                message
                    .fingerprint
                    .is_some_and(|fingerprint| fingerprints.contains(&fingerprint))
            });
            // A side reads the messages the other side sent.
            if listed && message.from.is_some() && message.from != body.from {
                message.read = Some(channel.clone());
            }
        }
        if let Some(conversation) = state.conversations.get_mut(&session_id) {
            conversation.unread = unread(0);
        }
        Ok(())
    }

    async fn get_conversation_relations(
        &self,
        caller: Caller,
        website_id: String,
        session_id: String,
    ) -> Result<ConversationRelations, ApiError> {
        let state = self.record(
            caller,
            Call::GetRelations {
                session_id: session_id.clone(),
            },
        );
        conversation_must_exist(&state, &website_id, &session_id)?;
        let parent = match state.parents.get(&session_id) {
            None => Patch::Absent,
            Some(None) => Patch::Null,
            Some(Some(parent)) => Patch::Value(parent.clone()),
        };
        let children = state
            .parents
            .iter()
            .filter(|(_, parent)| parent.as_deref() == Some(session_id.as_str()))
            .map(|(child, _)| child.clone())
            .collect();
        let mut conversations = ConversationRelationsConversations::default();
        conversations.parent = parent;
        conversations.children = Some(children);
        let mut relations = ConversationRelations::default();
        relations.conversations = Some(conversations);
        Ok(relations)
    }

    async fn get_conversation_routing_assign(
        &self,
        caller: Caller,
        website_id: String,
        session_id: String,
    ) -> Result<ConversationRoutingAssign, ApiError> {
        let mut state = self.record(
            caller,
            Call::GetRouting {
                session_id: session_id.clone(),
            },
        );
        let found = conversation_mut(&mut state, &website_id, &session_id)?;
        let mut routing = ConversationRoutingAssign::default();
        routing.assigned = found.assigned.clone();
        Ok(routing)
    }

    async fn assign_conversation_routing(
        &self,
        caller: Caller,
        website_id: String,
        session_id: String,
        body: AssignConversationRoutingBody,
    ) -> Result<(), ApiError> {
        let mut state = self.record(
            caller,
            Call::AssignRouting {
                session_id: session_id.clone(),
                body: body.clone(),
            },
        );
        let found = conversation_mut(&mut state, &website_id, &session_id)?;
        match body.assigned {
            Patch::Absent => {}
            Patch::Null => found.assigned = None,
            Patch::Value(assigned) => found.assigned = Some(assigned),
        }
        Ok(())
    }

    async fn get_conversation_state(
        &self,
        caller: Caller,
        website_id: String,
        session_id: String,
    ) -> Result<GetConversationStateData, ApiError> {
        let mut state = self.record(
            caller,
            Call::GetState {
                session_id: session_id.clone(),
            },
        );
        let found = conversation_mut(&mut state, &website_id, &session_id)?;
        let mut data = GetConversationStateData::default();
        data.state = found.state.clone();
        Ok(data)
    }

    async fn change_conversation_state(
        &self,
        caller: Caller,
        website_id: String,
        session_id: String,
        body: ChangeConversationStateBody,
    ) -> Result<(), ApiError> {
        let mut state = self.record(
            caller,
            Call::ChangeState {
                session_id: session_id.clone(),
                body: body.clone(),
            },
        );
        let found = conversation_mut(&mut state, &website_id, &session_id)?;
        found.state = Some(body.state);
        Ok(())
    }

    async fn list_conversations(
        &self,
        caller: Caller,
        website_id: String,
        page_number: u32,
        options: ListConversationsOptions,
    ) -> Result<Vec<Conversation>, ApiError> {
        let state = self.record(
            caller,
            Call::ListConversations {
                website_id: website_id.clone(),
                page_number,
                options: options.clone(),
            },
        );
        website_must_exist(&state, &website_id)?;
        if page_number == 0 {
            return Err(ApiError::invalid_data("pages start at 1"));
        }
        let segment_filters: Vec<&ConversationSearchFilter> =
            match (&options.search_type, &options.search_query) {
                (
                    Some(ListConversationsSearchType::Filter),
                    Some(ListConversationsSearchQuery::List(filters)),
                ) => filters
                    .iter()
                    .filter(|filter| filter.criterion == "meta.segments")
                    .collect(),
                _ => Vec::new(),
            };
        let mut found: Vec<Conversation> = state
            .conversations
            .values()
            .filter(|conversation| {
                let unread = conversation
                    .unread
                    .as_ref()
                    .and_then(|unread| unread.operator)
                    .unwrap_or_default();
                let resolved = conversation.state == Some(ConversationState::Resolved);
                let segments = conversation
                    .meta
                    .as_ref()
                    .and_then(|meta| meta.segments.clone())
                    .unwrap_or_default();
                options
                    .filter_unread
                    .is_none_or(|wanted| (unread > 0) == wanted)
                    && options
                        .filter_resolved
                        .is_none_or(|wanted| resolved == wanted)
                    && segment_filters.iter().all(|filter| {
                        filter
                            .query
                            .iter()
                            .any(|segment| segments.contains(segment))
                    })
            })
            .cloned()
            .collect();
        if options.order_date_updated == Some(true) {
            found.sort_by_key(|found| std::cmp::Reverse(found.updated_at));
        }
        let per_page = usize::from(options.per_page.unwrap_or(20));
        let skip = usize::try_from(page_number - 1)
            .unwrap_or(usize::MAX)
            .saturating_mul(per_page);
        Ok(found.into_iter().skip(skip).take(per_page).collect())
    }

    // `getBlockStatusForConversation` and the other operations keep their default body, which
    // answers 501 `not_implemented`.
}
