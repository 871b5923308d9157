//! Round trips between the generated client and the generated server.
//!
//! Every test starts its own router on `127.0.0.1:0`, serving [`Fake`], an in-memory Crisp
//! that implements both server traits and records what the router decoded for it (and, through
//! a middleware, the raw request line and body). The generated client, or plain `reqwest` when
//! the wire itself is under test, talks to it; tests assert on what the client decoded and on
//! what the server received.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::extract::{Request, State as AxumState};
use axum::middleware::Next;
use axum::response::Response;
use crisp_client::{Client, Credentials, Error, Tier};
use crisp_models::{
    AssignConversationRoutingBody, ChangeConversationStateBody, Conversation, ConversationActive,
    ConversationAssigned, ConversationDevice, ConversationDeviceGeolocation,
    ConversationDeviceGeolocationCoordinates, ConversationDeviceSystem,
    ConversationDeviceSystemBrowser, ConversationDeviceSystemOs, ConversationFileMessageNew,
    ConversationFileMessageNewType, ConversationMessage, ConversationMessageMark,
    ConversationMessageNew, ConversationMeta, ConversationMetaConnection, ConversationRelations,
    ConversationRelationsConversations, ConversationRoutingAssign, ConversationSearchFilter,
    ConversationState, ConversationTextMessageNew, ConversationTextMessageNewType,
    ConversationUnread, CreateNewConversationData, CustomDataValue, DeleteWebsiteBody,
    DeleteWebsiteBodyVerify, GetConversationStateData, GetMessagesInConversationOptions,
    ListConversationsOptions, ListConversationsSearchOperator, ListConversationsSearchQuery,
    ListConversationsSearchType, MessageContent, MessageContentFile, MessageFrom, MessageType,
    MessageUser, Patch, SendMessageInConversationData, UpdateConversationOpenStateBody, Website,
};
use crisp_server::{
    ApiError, Caller, RouterBuilder, StaticTokens, WebsiteBase, WebsiteConversation,
};
use reqwest::Method;
use serde_json::{Value, json};

/// The token the server accepts.
const IDENTIFIER: &str = "plugin-identifier";
const KEY: &str = "s3cr3t-plugin-key-7f2a";
/// The only website the fake knows, and its domain.
const WEBSITE: &str = "website-1";
const DOMAIN: &str = "shop.example.com";
/// The secret `deleteWebsite` must be confirmed with.
const VERIFY_SECRET: &str = "hunter2";
/// A fingerprint above 2^53, which a detour through `f64` would corrupt.
const BIG_FINGERPRINT: i64 = 9_007_199_254_740_993;

// ---------------------------------------------------------------------------------------------
// The fake Crisp.
// ---------------------------------------------------------------------------------------------

/// One operation the fake was called with, holding the inputs exactly as the router decoded them.
#[derive(Clone, Debug, PartialEq)]
enum Call {
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
struct RawRequest {
    method: String,
    /// Path and query, still percent-encoded.
    uri: String,
    body: String,
}

/// Everything the fake holds and everything it saw.
#[derive(Default)]
struct State {
    domains: Vec<String>,
    website_deleted: bool,
    conversations: BTreeMap<String, Conversation>,
    messages: BTreeMap<String, Vec<ConversationMessage>>,
    metas: BTreeMap<String, ConversationMeta>,
    open: BTreeMap<String, bool>,
    /// The parent of each conversation: absent when unknown, `None` when it has none.
    parents: BTreeMap<String, Option<String>>,
    next_session: u32,
    next_fingerprint: i64,
    /// What the router decoded and passed to the implementation, in order.
    calls: Vec<Call>,
    /// Who the router said was calling, one entry per call.
    callers: Vec<Caller>,
    /// Every request that reached the router, in order.
    requests: Vec<RawRequest>,
}

type Shared = Arc<Mutex<State>>;

fn lock(state: &Shared) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// An in-memory Crisp implementing both areas. Every method records its call first.
#[derive(Clone)]
struct Fake {
    state: Shared,
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

fn website_must_exist(state: &State, website_id: &str) -> Result<(), ApiError> {
    if website_id == WEBSITE && !state.website_deleted {
        Ok(())
    } else {
        Err(ApiError::not_found(format!(
            "website `{website_id}` does not exist"
        )))
    }
}

fn conversation_must_exist(
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

fn conversation_mut<'a>(
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
fn stored_message(
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
fn merge_meta(current: &mut ConversationMeta, update: ConversationMeta) {
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
        Ok(Website {
            website_id: Some(website_id),
            name: Some("Example Shop".to_owned()),
            domain: Some(DOMAIN.to_owned()),
            ..Website::default()
        })
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
        let conversation = Conversation {
            state: Some(ConversationState::Pending),
            created_at: Some(5_000),
            ..conversation(&session_id)
        };
        state.conversations.insert(session_id.clone(), conversation);
        Ok(CreateNewConversationData {
            session_id: Some(session_id),
        })
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
        Ok(SendMessageInConversationData { fingerprint })
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
            conversation.unread = Some(ConversationUnread {
                operator: Some(0),
                visitor: Some(0),
            });
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
        Ok(ConversationRelations {
            conversations: Some(ConversationRelationsConversations {
                parent,
                children: Some(children),
            }),
        })
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
        Ok(ConversationRoutingAssign {
            assigned: found.assigned.clone(),
        })
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
        Ok(GetConversationStateData {
            state: found.state.clone(),
        })
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

// ---------------------------------------------------------------------------------------------
// Seed data.
// ---------------------------------------------------------------------------------------------

/// A bare conversation of the fake's website.
fn conversation(session_id: &str) -> Conversation {
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

fn meta_with_segments(nickname: &str, email: &str, segments: &[&str]) -> ConversationMeta {
    ConversationMeta {
        nickname: Some(nickname.to_owned()),
        email: Some(email.to_owned()),
        segments: Some(segments.iter().map(|&segment| segment.to_owned()).collect()),
        ..ConversationMeta::default()
    }
}

fn unread(operator: u16) -> Option<ConversationUnread> {
    Some(ConversationUnread {
        operator: Some(operator),
        visitor: Some(0),
    })
}

/// The fake's initial content: four conversations of [`WEBSITE`], one known domain.
fn seeded_state() -> State {
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

// ---------------------------------------------------------------------------------------------
// The harness.
// ---------------------------------------------------------------------------------------------

/// A running server and a client of it.
struct Harness {
    /// `http://127.0.0.1:<port>`, without `/v1`.
    origin: String,
    client: Client<crisp_client::tier::Dynamic>,
    state: Shared,
    http: reqwest::Client,
}

/// How a raw request authenticates.
#[derive(Clone, Copy)]
enum Auth {
    /// The accepted token and the `plugin` tier.
    Valid,
    /// No `Authorization` and no `X-Crisp-Tier`.
    Nothing,
    /// The accepted token but no `X-Crisp-Tier`.
    NoTier,
}

/// A raw answer: status, headers and the body as JSON (`Null` when empty).
struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("HTTP client")
}

fn tokens() -> StaticTokens {
    StaticTokens::new()
        .with_token(Tier::Plugin, IDENTIFIER, KEY)
        .with_token(Tier::User, USER_IDENTIFIER, USER_KEY)
}

/// A user token, for the operations only user tokens may call (`deleteWebsite`).
const USER_IDENTIFIER: &str = "a-user-identifier";
const USER_KEY: &str = "a-user-key";

/// Records the request line and the body, then hands the request on unchanged.
async fn record_request(
    AxumState(state): AxumState<Shared>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20)
        .await
        .expect("request body");
    lock(&state).requests.push(RawRequest {
        method: parts.method.to_string(),
        uri: parts
            .uri
            .path_and_query()
            .map(ToString::to_string)
            .unwrap_or_default(),
        body: String::from_utf8_lossy(&bytes).into_owned(),
    });
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await
}

/// Starts a router whose two areas are served by the fake (the others answer 501).
async fn start() -> Harness {
    start_with(|auth, fake| {
        crisp_server::RouterBuilder::new(auth)
            .website_base(fake.clone())
            .website_conversation(fake)
            .build()
    })
    .await
}

/// Starts the router `build` makes from the accepted tokens and a seeded fake, on a free port.
async fn start_with(build: impl FnOnce(StaticTokens, Fake) -> axum::Router) -> Harness {
    let state: Shared = Arc::new(Mutex::new(seeded_state()));
    let router = build(
        tokens(),
        Fake {
            state: state.clone(),
        },
    )
    .layer(axum::middleware::from_fn_with_state(
        state.clone(),
        record_request,
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let origin = format!("http://{}", listener.local_addr().expect("local address"));
    tokio::spawn(async move {
        axum::serve(listener, router).await.expect("serve");
    });
    let http = http_client();
    let client = crate::support::client(
        Credentials::new(IDENTIFIER, KEY, Tier::Plugin),
        &format!("{origin}/v1"),
    );
    Harness {
        origin,
        client,
        state,
        http,
    }
}

impl Harness {
    fn conversations(&self) -> crisp_client::WebsiteConversation<'_, crisp_client::tier::Dynamic> {
        self.client.website_conversation()
    }

    /// A client of the same server with other credentials.
    fn client_as(
        &self,
        identifier: &str,
        key: &str,
        tier: Tier,
    ) -> Client<crisp_client::tier::Dynamic> {
        crate::support::client(
            Credentials::new(identifier, key, tier),
            &format!("{}/v1", self.origin),
        )
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    fn calls(&self) -> Vec<Call> {
        self.state().calls.clone()
    }

    fn last_call(&self) -> Call {
        self.state()
            .calls
            .last()
            .cloned()
            .expect("the server was called")
    }

    fn last_request(&self) -> RawRequest {
        self.state()
            .requests
            .last()
            .cloned()
            .expect("a request reached the server")
    }

    /// Sends a request without the generated client.
    async fn raw(&self, method: Method, path: &str, auth: Auth, body: Option<&str>) -> Answer {
        let mut request = self.http.request(method, format!("{}{path}", self.origin));
        match auth {
            Auth::Valid => {
                request = request
                    .basic_auth(IDENTIFIER, Some(KEY))
                    .header("X-Crisp-Tier", "plugin");
            }
            Auth::NoTier => request = request.basic_auth(IDENTIFIER, Some(KEY)),
            Auth::Nothing => {}
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_owned());
        }
        let response = request.send().await.expect("raw request");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("raw body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|error| {
                panic!("not JSON ({error}): {}", String::from_utf8_lossy(&bytes))
            })
        };
        Answer {
            status,
            headers,
            body,
        }
    }
}

/// Checks a Crisp error envelope and returns its message.
#[track_caller]
fn error_message(answer: &Answer, status: u16, reason: &str) -> String {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert_eq!(answer.body["error"], json!(true), "{}", answer.body);
    assert_eq!(answer.body["reason"], json!(reason), "{}", answer.body);
    assert_eq!(
        answer
            .headers
            .get("content-type")
            .and_then(|value| value.to_str().ok()),
        Some("application/json")
    );
    answer.body["data"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("no message in {}", answer.body))
        .to_owned()
}

/// Checks a client error: an API error with this status and reason.
#[track_caller]
fn assert_api_error(error: &Error, status: u16, reason: &str) {
    assert!(matches!(error, Error::Api { .. }), "{error:?}");
    assert_eq!(
        error.status().map(|status| status.as_u16()),
        Some(status),
        "{error}"
    );
    assert_eq!(
        error.reason().map(crisp_client::Reason::as_str),
        Some(reason),
        "{error}"
    );
}

fn operator() -> MessageUser {
    MessageUser {
        r#type: Some("website".to_owned()),
        user_id: Some("operator-1".to_owned()),
        nickname: Some("Ada from support".to_owned()),
        avatar: None,
    }
}

fn text_message(content: &str, timestamp: u64) -> ConversationTextMessageNew {
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

fn invoice() -> MessageContentFile {
    MessageContentFile {
        name: "invoice 42.pdf".to_owned(),
        url: "https://files.example.com/invoice%2042.pdf".to_owned(),
        r#type: "application/pdf".to_owned(),
    }
}

fn file_message(timestamp: u64) -> ConversationFileMessageNew {
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

// ---------------------------------------------------------------------------------------------
// Tests.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn head_check_conversation_exists_is_true_for_known_and_false_for_unknown() {
    let harness = start().await;
    let conversations = harness.conversations();

    assert!(
        conversations
            .check_conversation_exists(WEBSITE, "session_alpha")
            .await
            .unwrap()
    );
    assert!(
        !conversations
            .check_conversation_exists(WEBSITE, "session_nope")
            .await
            .unwrap()
    );
    assert!(
        !conversations
            .check_conversation_exists("website-x", "session_alpha")
            .await
            .unwrap()
    );

    // A path parameter with reserved characters reaches the server exactly as given.
    let odd = "a/b c?d#e%f+g";
    assert!(
        !conversations
            .check_conversation_exists(WEBSITE, odd)
            .await
            .unwrap()
    );
    assert_eq!(harness.last_request().method, "HEAD");

    assert_eq!(
        harness.calls(),
        [
            Call::CheckConversationExists {
                website_id: WEBSITE.to_owned(),
                session_id: "session_alpha".to_owned()
            },
            Call::CheckConversationExists {
                website_id: WEBSITE.to_owned(),
                session_id: "session_nope".to_owned()
            },
            Call::CheckConversationExists {
                website_id: "website-x".to_owned(),
                session_id: "session_alpha".to_owned()
            },
            Call::CheckConversationExists {
                website_id: WEBSITE.to_owned(),
                session_id: odd.to_owned()
            },
        ]
    );
    // The router tells the implementation who is calling.
    let callers = harness.state().callers.clone();
    assert!(
        callers
            .iter()
            .all(|caller| caller == &Caller::new(IDENTIFIER, Tier::Plugin))
    );
}

#[tokio::test]
async fn head_check_website_exists_sends_the_exact_domain() {
    let harness = start().await;
    let base = harness.client.website_base();

    assert!(base.check_website_exists(DOMAIN).await.unwrap());
    // Characters that mean something in a query string survive the trip.
    let tricky = "a b+c&d=é.example.com";
    assert!(!base.check_website_exists(tricky).await.unwrap());

    assert_eq!(
        harness.calls(),
        [
            Call::CheckWebsiteExists {
                domain: DOMAIN.to_owned()
            },
            Call::CheckWebsiteExists {
                domain: tricky.to_owned()
            },
        ]
    );
    let request = harness.last_request();
    assert_eq!(request.method, "HEAD");
    assert!(
        request.uri.starts_with("/v1/website?domain="),
        "{}",
        request.uri
    );

    // The parameter is required: without it the router answers 400 naming it (no body on HEAD).
    let answer = harness
        .raw(Method::HEAD, "/v1/website", Auth::Valid, None)
        .await;
    assert_eq!(answer.status, 400);
    assert_eq!(harness.calls().len(), 2);
}

#[tokio::test]
async fn delete_website_sends_its_json_body() {
    let harness = start().await;
    let user = harness.client_as(USER_IDENTIFIER, USER_KEY, Tier::User);
    let base = user.website_base();
    let body = DeleteWebsiteBody {
        verify: DeleteWebsiteBodyVerify {
            method: Some("password".to_owned()),
            secret: Some(VERIFY_SECRET.to_owned()),
        },
    };

    base.delete_website(WEBSITE, &body).await.unwrap();
    assert_eq!(
        harness.last_call(),
        Call::DeleteWebsite {
            website_id: WEBSITE.to_owned(),
            body: body.clone()
        }
    );
    let request = harness.last_request();
    assert_eq!(request.method, "DELETE");
    assert_eq!(request.uri, format!("/v1/website/{WEBSITE}"));
    assert_eq!(
        serde_json::from_str::<Value>(&request.body).unwrap(),
        json!({"verify": {"method": "password", "secret": VERIFY_SECRET}})
    );
    assert!(harness.state().website_deleted);

    // The website is gone now: reading it is a 404.
    let error = base.get_website(WEBSITE).await.unwrap_err();
    assert_api_error(&error, 404, "not_found");

    // A wrong secret reaches the implementation too, and its 403 reaches the caller.
    let harness = start().await;
    let wrong = DeleteWebsiteBody {
        verify: DeleteWebsiteBodyVerify {
            method: Some("password".to_owned()),
            secret: None,
        },
    };
    let error = harness
        .client_as(USER_IDENTIFIER, USER_KEY, Tier::User)
        .website_base()
        .delete_website(WEBSITE, &wrong)
        .await
        .unwrap_err();
    assert_api_error(&error, 403, "not_allowed");
    assert_eq!(error.message(), Some("the verification does not match"));

    // A plugin token may not delete a website: refused before the implementation runs.
    let calls_before = harness.calls().len();
    let error = harness
        .client
        .website_base()
        .delete_website(WEBSITE, &wrong)
        .await
        .unwrap_err();
    assert_api_error(&error, 403, "not_allowed");
    assert_eq!(
        error.message(),
        Some("`deleteWebsite` is not available to plugin tokens")
    );
    assert_eq!(
        harness.calls().len(),
        calls_before,
        "the implementation did not run"
    );
    assert_eq!(
        harness.last_call(),
        Call::DeleteWebsite {
            website_id: WEBSITE.to_owned(),
            body: wrong
        }
    );
    assert!(!harness.state().website_deleted);
}

#[tokio::test]
async fn list_conversations_sends_the_page_and_typed_filters() {
    let harness = start().await;
    let filters = vec![ConversationSearchFilter {
        criterion: "meta.segments".to_owned(),
        query: vec!["vip".to_owned(), "gold & silver".to_owned()],
        model: "session".to_owned(),
        operator: "has".to_owned(),
    }];
    let options = ListConversationsOptions {
        per_page: Some(10),
        filter_unread: Some(true),
        filter_resolved: Some(false),
        order_date_updated: Some(true),
        search_type: Some(ListConversationsSearchType::Filter),
        search_query: Some(ListConversationsSearchQuery::List(filters.clone())),
        search_operator: Some(ListConversationsSearchOperator::And),
        ..ListConversationsOptions::default()
    };

    let page = harness
        .conversations()
        .list_conversations(WEBSITE, 1, &options)
        .await
        .unwrap();

    // The server decoded every parameter back to the typed value the client started from.
    let Call::ListConversations {
        website_id,
        page_number,
        options: received,
    } = harness.last_call()
    else {
        panic!("unexpected call {:?}", harness.last_call());
    };
    assert_eq!(website_id, WEBSITE);
    assert_eq!(page_number, 1);
    assert_eq!(received.per_page, Some(10));
    assert_eq!(received.filter_unread, Some(true));
    assert_eq!(received.filter_resolved, Some(false));
    assert_eq!(received.order_date_updated, Some(true));
    assert_eq!(
        received.search_type,
        Some(ListConversationsSearchType::Filter)
    );
    assert_eq!(
        received.search_query,
        Some(ListConversationsSearchQuery::List(filters))
    );
    assert_eq!(
        received.search_operator,
        Some(ListConversationsSearchOperator::And)
    );
    assert_eq!(received.include_empty, None);
    assert_eq!(received.filter_assigned, None);
    assert_eq!(received, options);

    // On the wire, booleans are 1/0 and the structured query is JSON text.
    let uri = harness.last_request().uri;
    assert!(
        uri.starts_with(&format!("/v1/website/{WEBSITE}/conversations/1?")),
        "{uri}"
    );
    for expected in [
        "per_page=10",
        "filter_unread=1",
        "filter_resolved=0",
        "order_date_updated=1",
        "search_type=filter",
        "search_query=%5B%7B%22criterion%22%3A%22meta.segments%22",
        "search_operator=and",
    ] {
        assert!(uri.contains(expected), "`{expected}` missing from {uri}");
    }
    assert!(!uri.contains("include_empty"), "{uri}");

    // Unread, not resolved, with a `vip` segment, most recently updated first.
    let ids: Vec<&str> = page.iter().map(|found| found.session_id.as_str()).collect();
    assert_eq!(ids, ["session_gamma", "session_alpha"]);
    let gamma = &page[0];
    assert_eq!(gamma.website_id, WEBSITE);
    assert_eq!(gamma.state, Some(ConversationState::Pending));
    assert_eq!(gamma.status, Some(0));
    assert_eq!(gamma.updated_at, Some(4_000));
    assert_eq!(gamma.unread, unread(1));
    let alpha = &page[1];
    assert_eq!(alpha.state, Some(ConversationState::Unresolved));
    assert_eq!(alpha.is_verified, Some(true));
    assert_eq!(
        alpha.active,
        Some(ConversationActive {
            now: Some(true),
            last: Some(1_999)
        })
    );
    assert_eq!(alpha.last_message.as_deref(), Some("Where is my order?"));
    assert_eq!(
        alpha.assigned.as_ref().and_then(|a| a.user_id.as_deref()),
        Some("operator-1")
    );
    let meta = alpha.meta.as_ref().expect("meta");
    assert_eq!(meta.email.as_deref(), Some("ada@example.com"));
    assert_eq!(
        meta.segments.as_deref(),
        Some(&["vip".to_owned(), "returning".to_owned()][..])
    );

    // The next page is empty, and the server saw page 2.
    let next = harness
        .conversations()
        .list_conversations(WEBSITE, 2, &options)
        .await
        .unwrap();
    assert!(next.is_empty());
    assert!(matches!(
        harness.last_call(),
        Call::ListConversations { page_number: 2, .. }
    ));

    // Without options, no query string at all, and every conversation comes back.
    let all = harness
        .conversations()
        .list_conversations(WEBSITE, 1, &ListConversationsOptions::default())
        .await
        .unwrap();
    assert_eq!(all.len(), 4);
    assert_eq!(
        harness.last_request().uri,
        format!("/v1/website/{WEBSITE}/conversations/1")
    );
    assert!(matches!(
        harness.last_call(),
        Call::ListConversations { options, .. } if options == ListConversationsOptions::default()
    ));
}

#[tokio::test]
async fn list_conversations_text_search_round_trips() {
    let harness = start().await;
    let options = ListConversationsOptions {
        filter_resolved: Some(true),
        search_type: Some(ListConversationsSearchType::Text),
        search_query: Some(ListConversationsSearchQuery::String(
            "order #42 & co".to_owned(),
        )),
        ..ListConversationsOptions::default()
    };
    let page = harness
        .conversations()
        .list_conversations(WEBSITE, 1, &options)
        .await
        .unwrap();
    let ids: Vec<&str> = page.iter().map(|found| found.session_id.as_str()).collect();
    assert_eq!(ids, ["session_beta"]);
    // A text query travels as plain text, not as a JSON string.
    let uri = harness.last_request().uri;
    assert!(uri.contains("search_query=order+%2342+%26+co"), "{uri}");
    assert!(uri.contains("filter_resolved=1"), "{uri}");
    let Call::ListConversations {
        options: received, ..
    } = harness.last_call()
    else {
        panic!("unexpected call");
    };
    assert_eq!(received.filter_resolved, Some(true));
    assert_eq!(
        received.search_type,
        Some(ListConversationsSearchType::Text)
    );
    assert_eq!(
        received.search_query,
        Some(ListConversationsSearchQuery::String(
            "order #42 & co".to_owned()
        ))
    );
}

#[tokio::test]
async fn list_conversations_text_search_for_a_number_round_trips() {
    // Searching for an order or phone number is an ordinary text search; its text must reach
    // the server unchanged even though, sent unquoted, it is also valid JSON.
    let harness = start().await;
    for text in ["12345", "true"] {
        let options = ListConversationsOptions {
            search_type: Some(ListConversationsSearchType::Text),
            search_query: Some(ListConversationsSearchQuery::String(text.to_owned())),
            ..ListConversationsOptions::default()
        };
        let result = harness
            .conversations()
            .list_conversations(WEBSITE, 1, &options)
            .await;
        assert!(
            result.is_ok(),
            "text search for `{text}`: {:?}",
            result.err()
        );
        let Call::ListConversations {
            options: received, ..
        } = harness.last_call()
        else {
            panic!("unexpected call");
        };
        assert_eq!(
            received.search_query,
            Some(ListConversationsSearchQuery::String(text.to_owned()))
        );
    }
}

#[tokio::test]
async fn assign_routing_tells_absent_from_null() {
    let harness = start().await;
    let conversations = harness.conversations();
    let routing = conversations
        .get_conversation_routing_assign(WEBSITE, "session_alpha")
        .await
        .unwrap();
    assert_eq!(
        routing.assigned,
        Some(ConversationAssigned {
            user_id: Some("operator-1".to_owned())
        })
    );

    // `assigned` set to null, `silent` left out.
    let unassign = AssignConversationRoutingBody {
        assigned: Patch::Null,
        silent: None,
    };
    conversations
        .assign_conversation_routing(WEBSITE, "session_alpha", &unassign)
        .await
        .unwrap();
    let Call::AssignRouting { session_id, body } = harness.last_call() else {
        panic!("unexpected call");
    };
    assert_eq!(session_id, "session_alpha");
    assert_eq!(body.assigned, Patch::Null);
    assert_eq!(body.silent, None);
    let request = harness.last_request();
    assert_eq!(request.method, "PATCH");
    assert_eq!(request.body, r#"{"assigned":null}"#);
    let routing = conversations
        .get_conversation_routing_assign(WEBSITE, "session_alpha")
        .await
        .unwrap();
    assert_eq!(routing.assigned, None);

    // A value, with `silent` set.
    let assign = AssignConversationRoutingBody {
        assigned: Patch::Value(ConversationAssigned {
            user_id: Some("operator-2".to_owned()),
        }),
        silent: Some(true),
    };
    conversations
        .assign_conversation_routing(WEBSITE, "session_alpha", &assign)
        .await
        .unwrap();
    assert_eq!(
        harness.last_call(),
        Call::AssignRouting {
            session_id: "session_alpha".to_owned(),
            body: assign
        }
    );
    let routing = conversations
        .get_conversation_routing_assign(WEBSITE, "session_alpha")
        .await
        .unwrap();
    assert_eq!(
        routing.assigned.and_then(|a| a.user_id).as_deref(),
        Some("operator-2")
    );

    // Both left out: an empty object on the wire, nothing changes.
    conversations
        .assign_conversation_routing(
            WEBSITE,
            "session_alpha",
            &AssignConversationRoutingBody::default(),
        )
        .await
        .unwrap();
    assert_eq!(harness.last_request().body, "{}");
    let routing = conversations
        .get_conversation_routing_assign(WEBSITE, "session_alpha")
        .await
        .unwrap();
    assert_eq!(
        routing.assigned.and_then(|a| a.user_id).as_deref(),
        Some("operator-2")
    );
}

#[tokio::test]
async fn assign_routing_raw_json_has_three_states() {
    let harness = start().await;
    let path = format!("/v1/website/{WEBSITE}/conversation/session_alpha/routing");
    let received = |harness: &Harness| match harness.last_call() {
        Call::AssignRouting { body, .. } => body.assigned,
        other => panic!("unexpected call {other:?}"),
    };
    let assigned_user = |harness: &Harness| {
        harness.state().conversations["session_alpha"]
            .assigned
            .as_ref()
            .and_then(|assigned| assigned.user_id.clone())
    };

    let answer = harness
        .raw(Method::PATCH, &path, Auth::Valid, Some("{}"))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body, json!({"error": false, "reason": "resolved"}));
    assert_eq!(received(&harness), Patch::Absent);
    assert_eq!(assigned_user(&harness).as_deref(), Some("operator-1"));

    let answer = harness
        .raw(
            Method::PATCH,
            &path,
            Auth::Valid,
            Some(r#"{"assigned": null}"#),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(received(&harness), Patch::Null);
    assert_eq!(assigned_user(&harness), None);

    let answer = harness
        .raw(
            Method::PATCH,
            &path,
            Auth::Valid,
            Some(r#"{"assigned": {"user_id": "operator-3"}}"#),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        received(&harness),
        Patch::Value(ConversationAssigned {
            user_id: Some("operator-3".to_owned())
        })
    );
    assert_eq!(assigned_user(&harness).as_deref(), Some("operator-3"));

    // The client decodes what the server now answers.
    let routing = harness
        .conversations()
        .get_conversation_routing_assign(WEBSITE, "session_alpha")
        .await
        .unwrap();
    assert_eq!(
        routing.assigned.and_then(|a| a.user_id).as_deref(),
        Some("operator-3")
    );
}

#[tokio::test]
async fn get_unknown_conversation_is_a_typed_404() {
    let harness = start().await;
    let found = harness
        .conversations()
        .get_conversation(WEBSITE, "session_alpha")
        .await
        .unwrap();
    assert_eq!(found.session_id, "session_alpha");
    assert_eq!(
        found.meta.and_then(|meta| meta.nickname).as_deref(),
        Some("Ada")
    );

    let error = harness
        .conversations()
        .get_conversation(WEBSITE, "session_nope")
        .await
        .unwrap_err();
    assert_api_error(&error, 404, "not_found");
    assert_eq!(
        error.message(),
        Some("conversation `session_nope` does not exist")
    );
    assert_eq!(error.operation(), Some("getConversation"));
    assert!(error.is_not_found());
    assert_eq!(
        error.to_string(),
        "getConversation: not_found (404): conversation `session_nope` does not exist"
    );
    assert_eq!(
        harness.last_call(),
        Call::GetConversation {
            session_id: "session_nope".to_owned()
        }
    );
}

#[tokio::test]
async fn requests_without_valid_credentials_are_rejected_with_401() {
    let harness = start().await;
    let path = format!("/v1/website/{WEBSITE}/conversation/session_alpha");

    // No credentials at all.
    let answer = harness.raw(Method::GET, &path, Auth::Nothing, None).await;
    let message = error_message(&answer, 401, "invalid_session");
    assert_eq!(message, "missing Authorization header");

    // A good token without its tier.
    let answer = harness.raw(Method::GET, &path, Auth::NoTier, None).await;
    let message = error_message(&answer, 401, "invalid_session");
    assert!(message.contains("X-Crisp-Tier"), "{message}");

    // A body does not get decoded before authentication.
    let state_path = format!("{path}/state");
    let answer = harness
        .raw(Method::PATCH, &state_path, Auth::Nothing, Some("{not json"))
        .await;
    error_message(&answer, 401, "invalid_session");

    // The wrong key through the client.
    let wrong_key = "definitely-not-the-key";
    let intruder = harness.client_as(IDENTIFIER, wrong_key, Tier::Plugin);
    let error = intruder
        .website_conversation()
        .get_conversation(WEBSITE, "session_alpha")
        .await
        .unwrap_err();
    assert_api_error(&error, 401, "invalid_session");
    assert_eq!(error.message(), Some("the credentials are not valid"));
    assert!(!error.to_string().contains(wrong_key));
    assert!(!format!("{error:?}").contains(wrong_key));

    // The right key for another tier.
    let user = harness.client_as(IDENTIFIER, KEY, Tier::User);
    let error = user
        .website_conversation()
        .get_conversation_state(WEBSITE, "session_alpha")
        .await
        .unwrap_err();
    assert_api_error(&error, 401, "invalid_session");

    // A HEAD route answers 401 too, which is an error, not "does not exist".
    let error = intruder
        .website_conversation()
        .check_conversation_exists(WEBSITE, "session_alpha")
        .await
        .unwrap_err();
    assert_api_error(&error, 401, "invalid_session");

    // None of these reached the implementation.
    assert!(harness.calls().is_empty(), "{:?}", harness.calls());
    assert_eq!(harness.state().requests.len(), 6);
}

#[tokio::test]
async fn messages_are_sent_stored_and_read_back_typed() {
    let harness = start().await;
    let conversations = harness.conversations();
    let session = "session_alpha";

    let mut text = text_message("Hello **there**", 1_000);
    text.properties = Some(BTreeMap::from([
        ("lang".to_owned(), CustomDataValue::String("en".to_owned())),
        ("priority".to_owned(), CustomDataValue::Number(2.5)),
    ]));
    text.stealth = Some(true);
    let text = ConversationMessageNew::Text(text);
    let file = ConversationMessageNew::File(file_message(2_000));
    let later = ConversationMessageNew::Text(text_message("Anything else?", 3_000));

    let sent_text = conversations
        .send_message_in_conversation(WEBSITE, session, &text)
        .await
        .unwrap();
    let sent_file = conversations
        .send_message_in_conversation(WEBSITE, session, &file)
        .await
        .unwrap();
    conversations
        .send_message_in_conversation(WEBSITE, session, &later)
        .await
        .unwrap();
    assert_eq!(sent_file.fingerprint, Some(BIG_FINGERPRINT));
    let text_fingerprint = sent_text.fingerprint.expect("a generated fingerprint");

    // The server decoded the tagged union into the right variants, field for field.
    let received: Vec<ConversationMessageNew> = harness
        .calls()
        .into_iter()
        .filter_map(|call| match call {
            Call::SendMessage { body, .. } => Some(body),
            _ => None,
        })
        .collect();
    assert_eq!(received, [text.clone(), file.clone(), later]);
    let ConversationMessageNew::File(received_file) = &received[1] else {
        panic!("not a file message: {:?}", received[1]);
    };
    assert_eq!(received_file.content, invoice());
    assert_eq!(received_file.origin, "email");
    // `type` is on the wire next to the other fields.
    let wire: Value = serde_json::from_str(&harness.state().requests[0].body).unwrap();
    assert_eq!(wire["type"], json!("text"));
    assert_eq!(wire["content"], json!("Hello **there**"));
    assert_eq!(wire["stealth"], json!(true));

    // Older than 2.5 s: the first two, oldest first, with `content` decoded per shape.
    let older = conversations
        .get_messages_in_conversation(
            WEBSITE,
            session,
            &GetMessagesInConversationOptions {
                timestamp_before: Some(2_500),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        harness.last_call(),
        Call::GetMessages {
            session_id: session.to_owned(),
            options: GetMessagesInConversationOptions {
                timestamp_before: Some(2_500),
                timestamp_after: None,
                timestamp_around: None,
            },
        }
    );
    assert!(
        harness
            .last_request()
            .uri
            .ends_with("/messages?timestamp_before=2500")
    );
    assert_eq!(older.len(), 2);
    let (first, second) = (&older[0], &older[1]);
    assert_eq!(first.r#type, Some(MessageType::Text));
    assert_eq!(first.from, Some(MessageFrom::Operator));
    assert_eq!(
        first.content,
        Some(MessageContent::String("Hello **there**".to_owned()))
    );
    assert_eq!(first.fingerprint, Some(text_fingerprint));
    assert_eq!(first.timestamp, Some(1_000));
    assert_eq!(
        first
            .user
            .as_ref()
            .and_then(|user| user.nickname.as_deref()),
        Some("Ada from support")
    );
    assert_eq!(
        first
            .properties
            .as_ref()
            .and_then(|properties| properties.get("priority")),
        Some(&CustomDataValue::Number(2.5))
    );
    assert_eq!(first.session_id.as_deref(), Some(session));
    assert_eq!(second.r#type, Some(MessageType::File));
    assert_eq!(second.from, Some(MessageFrom::User));
    assert_eq!(second.origin.as_deref(), Some("email"));
    assert_eq!(
        second.content,
        Some(MessageContent::MessageContentFile(invoice()))
    );
    assert_eq!(second.fingerprint, Some(BIG_FINGERPRINT));

    // Without a window, the whole history.
    let all = conversations
        .get_messages_in_conversation(
            WEBSITE,
            session,
            &GetMessagesInConversationOptions::default(),
        )
        .await
        .unwrap();
    let stamps: Vec<Option<u64>> = all.iter().map(|message| message.timestamp).collect();
    assert_eq!(stamps, [Some(1_000), Some(2_000), Some(3_000)]);
    assert!(harness.last_request().uri.ends_with("/messages"));
}

#[tokio::test]
async fn get_message_by_fingerprint() {
    let harness = start().await;
    let conversations = harness.conversations();
    let file = ConversationMessageNew::File(file_message(2_000));
    conversations
        .send_message_in_conversation(WEBSITE, "session_gamma", &file)
        .await
        .unwrap();

    let message = conversations
        .get_message_in_conversation(WEBSITE, "session_gamma", BIG_FINGERPRINT)
        .await
        .unwrap();
    assert_eq!(
        harness.last_call(),
        Call::GetMessage {
            session_id: "session_gamma".to_owned(),
            fingerprint: BIG_FINGERPRINT
        }
    );
    assert_eq!(message.fingerprint, Some(BIG_FINGERPRINT));
    assert_eq!(message.r#type, Some(MessageType::File));
    let Some(MessageContent::MessageContentFile(content)) = message.content else {
        panic!("not a file: {:?}", message.content);
    };
    assert_eq!(content.name, "invoice 42.pdf");
    assert_eq!(content.r#type, "application/pdf");

    // Negative fingerprints are valid path integers.
    let error = conversations
        .get_message_in_conversation(WEBSITE, "session_gamma", -7)
        .await
        .unwrap_err();
    assert_api_error(&error, 404, "not_found");
    assert_eq!(error.message(), Some("no message with fingerprint -7"));
    assert_eq!(
        harness.last_call(),
        Call::GetMessage {
            session_id: "session_gamma".to_owned(),
            fingerprint: -7
        }
    );
}

#[tokio::test]
async fn conversation_state_round_trips_including_unknown_values() {
    let harness = start().await;
    let conversations = harness.conversations();
    let session = "session_gamma";

    let state = conversations
        .get_conversation_state(WEBSITE, session)
        .await
        .unwrap();
    assert_eq!(state.state, Some(ConversationState::Pending));

    let resolve = ChangeConversationStateBody {
        state: ConversationState::Resolved,
        user: Some(operator()),
        origin: Some("urn:crisp.im:slack:0".to_owned()),
    };
    conversations
        .change_conversation_state(WEBSITE, session, &resolve)
        .await
        .unwrap();
    assert_eq!(
        harness.last_call(),
        Call::ChangeState {
            session_id: session.to_owned(),
            body: resolve
        }
    );
    let state = conversations
        .get_conversation_state(WEBSITE, session)
        .await
        .unwrap();
    assert_eq!(state.state, Some(ConversationState::Resolved));

    // A state this version does not know travels both ways and is kept.
    let snooze = ChangeConversationStateBody {
        state: ConversationState::Other("snoozed".to_owned()),
        user: None,
        origin: None,
    };
    conversations
        .change_conversation_state(WEBSITE, session, &snooze)
        .await
        .unwrap();
    assert_eq!(harness.last_request().body, r#"{"state":"snoozed"}"#);
    assert_eq!(
        harness.last_call(),
        Call::ChangeState {
            session_id: session.to_owned(),
            body: snooze
        }
    );
    let state = conversations
        .get_conversation_state(WEBSITE, session)
        .await
        .unwrap();
    assert_eq!(
        state.state,
        Some(ConversationState::Other("snoozed".to_owned()))
    );
    let found = conversations
        .get_conversation(WEBSITE, session)
        .await
        .unwrap();
    assert_eq!(
        found.state,
        Some(ConversationState::Other("snoozed".to_owned()))
    );
    assert_eq!(
        found.state.as_ref().map(ConversationState::as_str),
        Some("snoozed")
    );
}

#[tokio::test]
async fn conversation_metas_round_trip_nested_objects_and_custom_data() {
    let harness = start().await;
    let conversations = harness.conversations();
    let session = "session_delta";
    let meta = ConversationMeta {
        nickname: Some("Dana Ó'Brien".to_owned()),
        email: Some("dana@example.com".to_owned()),
        ip: Some("203.0.113.7".to_owned()),
        data: Some(BTreeMap::from([
            ("plan".to_owned(), CustomDataValue::String("pro".to_owned())),
            ("seats".to_owned(), CustomDataValue::Number(12.0)),
            ("trial".to_owned(), CustomDataValue::Bool(false)),
        ])),
        connection: Some(ConversationMetaConnection {
            isp: Some("Example Telecom".to_owned()),
            asn: Some("AS64500".to_owned()),
        }),
        device: Some(ConversationDevice {
            capabilities: Some(vec!["browsing".to_owned(), "call".to_owned()]),
            geolocation: Some(ConversationDeviceGeolocation {
                country: Some("FR".to_owned()),
                region: Some("Bretagne".to_owned()),
                city: Some("Nantes".to_owned()),
                coordinates: Some(ConversationDeviceGeolocationCoordinates {
                    latitude: Some(47.218_1),
                    longitude: Some(-1.553_6),
                }),
            }),
            system: Some(ConversationDeviceSystem {
                os: Some(ConversationDeviceSystemOs {
                    version: Some("14".to_owned()),
                    name: Some("macOS".to_owned()),
                }),
                engine: None,
                browser: Some(ConversationDeviceSystemBrowser {
                    major: Some("126".to_owned()),
                    version: Some("126.0.1".to_owned()),
                    name: Some("Firefox".to_owned()),
                }),
                useragent: Some("Mozilla/5.0".to_owned()),
            }),
            timezone: Some(-120),
            locales: Some(vec!["fr".to_owned(), "en".to_owned()]),
        }),
        segments: Some(vec!["vip".to_owned()]),
        subject: Some("Billing".to_owned()),
        ..ConversationMeta::default()
    };

    conversations
        .update_conversation_metas(WEBSITE, session, &meta)
        .await
        .unwrap();
    assert_eq!(
        harness.last_call(),
        Call::UpdateMetas {
            session_id: session.to_owned(),
            body: meta.clone()
        }
    );
    let read = conversations
        .get_conversation_metas(WEBSITE, session)
        .await
        .unwrap();
    assert_eq!(read, meta);
    assert_eq!(
        read.data.as_ref().and_then(|data| data.get("seats")),
        Some(&CustomDataValue::Number(12.0))
    );
    assert_eq!(
        read.device.as_ref().and_then(|device| device.timezone),
        Some(-120)
    );

    // A partial update: the server sees only the field sent, the rest is kept.
    let phone_only = ConversationMeta {
        phone: Some("+33 6 00 00 00 00".to_owned()),
        data: Some(BTreeMap::from([(
            "trial".to_owned(),
            CustomDataValue::Bool(true),
        )])),
        ..ConversationMeta::default()
    };
    conversations
        .update_conversation_metas(WEBSITE, session, &phone_only)
        .await
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&harness.last_request().body).unwrap(),
        json!({"phone": "+33 6 00 00 00 00", "data": {"trial": true}})
    );
    let Call::UpdateMetas { body, .. } = harness.last_call() else {
        panic!("unexpected call");
    };
    assert_eq!(body.nickname, None);
    assert_eq!(body.device, None);
    let read = conversations
        .get_conversation_metas(WEBSITE, session)
        .await
        .unwrap();
    assert_eq!(read.phone.as_deref(), Some("+33 6 00 00 00 00"));
    assert_eq!(read.nickname.as_deref(), Some("Dana Ó'Brien"));
    assert_eq!(read.device, meta.device);
    let data = read.data.expect("data");
    assert_eq!(data.get("trial"), Some(&CustomDataValue::Bool(true)));
    assert_eq!(
        data.get("plan"),
        Some(&CustomDataValue::String("pro".to_owned()))
    );
    assert_eq!(
        harness
            .calls()
            .iter()
            .filter(|call| matches!(call, Call::GetMetas { .. }))
            .count(),
        2
    );
}

#[tokio::test]
async fn created_conversation_is_used_then_removed() {
    let harness = start().await;
    let conversations = harness.conversations();

    let created = conversations
        .create_new_conversation(WEBSITE)
        .await
        .unwrap();
    let session = created.session_id.expect("a session id");
    assert_eq!(
        harness.last_call(),
        Call::CreateNewConversation {
            website_id: WEBSITE.to_owned()
        }
    );
    assert_eq!(harness.last_request().method, "POST");

    assert!(
        conversations
            .check_conversation_exists(WEBSITE, &session)
            .await
            .unwrap()
    );
    let found = conversations
        .get_conversation(WEBSITE, &session)
        .await
        .unwrap();
    assert_eq!(found.session_id, session);
    assert_eq!(found.state, Some(ConversationState::Pending));
    assert_eq!(found.created_at, Some(5_000));
    let message = ConversationMessageNew::Text(text_message("Welcome!", 10));
    conversations
        .send_message_in_conversation(WEBSITE, &session, &message)
        .await
        .unwrap();
    assert_eq!(harness.state().messages[&session].len(), 1);

    conversations
        .remove_conversation(WEBSITE, &session)
        .await
        .unwrap();
    assert_eq!(
        harness.last_call(),
        Call::RemoveConversation {
            session_id: session.clone()
        }
    );
    assert_eq!(harness.last_request().method, "DELETE");
    assert!(!harness.state().messages.contains_key(&session));
    assert!(
        !conversations
            .check_conversation_exists(WEBSITE, &session)
            .await
            .unwrap()
    );
    let error = conversations
        .remove_conversation(WEBSITE, &session)
        .await
        .unwrap_err();
    assert_api_error(&error, 404, "not_found");

    // Creating on an unknown website is a 404 from the implementation.
    let error = conversations
        .create_new_conversation("website-x")
        .await
        .unwrap_err();
    assert_api_error(&error, 404, "not_found");
    assert_eq!(error.message(), Some("website `website-x` does not exist"));
}

#[tokio::test]
async fn unknown_route_is_404_and_wrong_method_is_405() {
    let harness = start().await;

    let answer = harness
        .raw(Method::GET, "/v1/nope", Auth::Valid, None)
        .await;
    let message = error_message(&answer, 404, "not_found");
    assert!(message.contains("/v1/nope"), "{message}");

    // Outside `/v1` too, and the query string is never repeated.
    let answer = harness
        .raw(
            Method::GET,
            "/website/w/conversations/1?secret=x",
            Auth::Valid,
            None,
        )
        .await;
    let message = error_message(&answer, 404, "not_found");
    assert!(!message.contains("secret"), "{message}");

    let path = format!("/v1/website/{WEBSITE}/conversation/session_alpha/state");
    let answer = harness
        .raw(
            Method::PUT,
            &path,
            Auth::Valid,
            Some(r#"{"state":"resolved"}"#),
        )
        .await;
    let message = error_message(&answer, 405, "method_not_allowed");
    assert!(message.contains("PUT"), "{message}");
    // RFC 9110 §15.5.6: a 405 lists the methods the resource supports.
    let allow = answer
        .headers
        .get("allow")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        allow.contains("GET") && allow.contains("PATCH"),
        "Allow: `{allow}`"
    );

    let answer = harness
        .raw(
            Method::POST,
            "/v1/website/w/conversations/1",
            Auth::Valid,
            None,
        )
        .await;
    error_message(&answer, 405, "method_not_allowed");

    assert!(harness.calls().is_empty());
}

#[tokio::test]
async fn malformed_and_mistyped_bodies_are_invalid_data_naming_the_field() {
    let harness = start().await;
    let base = format!("/v1/website/{WEBSITE}/conversation/session_alpha");
    let state_path = format!("{base}/state");

    let answer = harness
        .raw(
            Method::PATCH,
            &state_path,
            Auth::Valid,
            Some(r#"{"state": "resolved""#),
        )
        .await;
    let message = error_message(&answer, 400, "invalid_data");
    assert!(message.starts_with("invalid request body"), "{message}");

    let answer = harness
        .raw(
            Method::PATCH,
            &state_path,
            Auth::Valid,
            Some(r#"{"state": 42}"#),
        )
        .await;
    let message = error_message(&answer, 400, "invalid_data");
    assert!(message.contains("`state`"), "{message}");

    let answer = harness
        .raw(Method::PATCH, &state_path, Auth::Valid, Some("{}"))
        .await;
    let message = error_message(&answer, 400, "invalid_data");
    assert!(message.contains("missing field `state`"), "{message}");

    let answer = harness
        .raw(Method::PATCH, &state_path, Auth::Valid, None)
        .await;
    let message = error_message(&answer, 400, "invalid_data");
    assert_eq!(message, "missing request body");

    let answer = harness
        .raw(
            Method::PATCH,
            &format!("{base}/open"),
            Auth::Valid,
            Some(r#"{"opened": "yes"}"#),
        )
        .await;
    let message = error_message(&answer, 400, "invalid_data");
    assert!(message.contains("`opened`"), "{message}");

    let answer = harness
        .raw(
            Method::PATCH,
            &format!("{base}/meta"),
            Auth::Valid,
            Some(r#"{"device": {"timezone": "UTC"}}"#),
        )
        .await;
    let message = error_message(&answer, 400, "invalid_data");
    assert!(message.contains("`device.timezone`"), "{message}");

    let answer = harness
        .raw(
            Method::PATCH,
            &format!("{base}/routing"),
            Auth::Valid,
            Some(r#"{"assigned": "operator-1"}"#),
        )
        .await;
    let message = error_message(&answer, 400, "invalid_data");
    assert!(message.contains("`assigned`"), "{message}");

    // None of these reached the implementation.
    assert!(harness.calls().is_empty(), "{:?}", harness.calls());
}

#[tokio::test]
async fn invalid_message_content_names_the_nested_field() {
    let harness = start().await;
    let path = format!("/v1/website/{WEBSITE}/conversation/session_alpha/message");
    let body = r#"{"type": "file", "from": "operator", "origin": "chat",
                   "content": {"name": "a.pdf", "url": 1, "type": "application/pdf"}}"#;
    let answer = harness
        .raw(Method::POST, &path, Auth::Valid, Some(body))
        .await;
    let message = error_message(&answer, 400, "invalid_data");
    assert!(harness.calls().is_empty(), "{:?}", harness.calls());
    // The runtime documents exactly this message shape for message content
    // (`runtime/src/server/body.rs`): the path inside the tagged union must survive.
    assert!(message.contains("`content.url`"), "{message}");
}

#[tokio::test]
async fn bad_path_and_query_values_are_invalid_data_naming_the_parameter() {
    let harness = start().await;
    let list = format!("/v1/website/{WEBSITE}/conversations/1");
    // Each bad value, and what the message must name: the parameter and the value.
    let cases = [
        (
            "/v1/website/w/conversations/abc".to_owned(),
            "page_number",
            "abc",
        ),
        (
            "/v1/website/w/conversations/-1".to_owned(),
            "page_number",
            "-1",
        ),
        (
            format!("/v1/website/{WEBSITE}/conversation/s/message/x1"),
            "fingerprint",
            "x1",
        ),
        (
            format!("{list}?filter_unread=maybe"),
            "filter_unread",
            "maybe",
        ),
        (format!("{list}?per_page=70000"), "per_page", "70000"),
        (
            format!("/v1/website/{WEBSITE}/conversation/s/messages?timestamp_before=yesterday"),
            "timestamp_before",
            "yesterday",
        ),
    ];
    for (path, parameter, value) in cases {
        let answer = harness.raw(Method::GET, &path, Auth::Valid, None).await;
        let message = error_message(&answer, 400, "invalid_data");
        assert!(message.contains(parameter), "{path}: {message}");
        assert!(message.contains(value), "{path}: {message}");
    }
    assert!(harness.calls().is_empty(), "{:?}", harness.calls());

    // Accepted spellings of booleans decode to the same value.
    let answer = harness
        .raw(
            Method::GET,
            &format!("{list}?filter_unread=true&filter_resolved=0"),
            Auth::Valid,
            None,
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let Call::ListConversations { options, .. } = harness.last_call() else {
        panic!("unexpected call");
    };
    assert_eq!(
        (options.filter_unread, options.filter_resolved),
        (Some(true), Some(false))
    );
}

#[tokio::test]
async fn operation_left_to_its_default_answers_501() {
    let harness = start().await;
    let error = harness
        .conversations()
        .get_block_status_for_conversation(WEBSITE, "session_alpha")
        .await
        .unwrap_err();
    assert_api_error(&error, 501, "not_implemented");
    assert_eq!(error.operation(), Some("getBlockStatusForConversation"));
    assert!(
        error
            .message()
            .is_some_and(|message| message.contains("getBlockStatusForConversation")),
        "{error}"
    );
    assert!(harness.calls().is_empty());
}

#[tokio::test]
async fn area_left_out_of_the_builder_answers_501() {
    let harness =
        start_with(|auth, fake| RouterBuilder::new(auth).website_conversation(fake).build()).await;

    let error = harness
        .client
        .website_base()
        .get_website(WEBSITE)
        .await
        .unwrap_err();
    assert_api_error(&error, 501, "not_implemented");
    assert!(
        error
            .message()
            .is_some_and(|message| message.contains("getWebsite")),
        "{error}"
    );

    // HEAD answers carry no body: the reason comes from the status.
    let error = harness
        .client
        .website_base()
        .check_website_exists(DOMAIN)
        .await
        .unwrap_err();
    assert_api_error(&error, 501, "not_implemented");

    // Authentication still applies to the missing area.
    let intruder = harness.client_as(IDENTIFIER, "nope", Tier::Plugin);
    let error = intruder
        .website_base()
        .get_website(WEBSITE)
        .await
        .unwrap_err();
    assert_api_error(&error, 401, "invalid_session");

    // The area that was given is served.
    let found = harness
        .conversations()
        .get_conversation(WEBSITE, "session_beta")
        .await
        .unwrap();
    assert_eq!(found.state, Some(ConversationState::Resolved));
    assert_eq!(
        harness.calls(),
        [Call::GetConversation {
            session_id: "session_beta".to_owned()
        }]
    );
}

#[tokio::test]
async fn mark_read_and_open_state_reach_the_server() {
    let harness = start().await;
    let conversations = harness.conversations();
    let session = "session_alpha";
    let visitor = ConversationTextMessageNew {
        from: MessageFrom::User,
        user: None,
        ..text_message("Hi", 100)
    };
    let first = conversations
        .send_message_in_conversation(
            WEBSITE,
            session,
            &ConversationMessageNew::Text(visitor.clone()),
        )
        .await
        .unwrap()
        .fingerprint
        .expect("fingerprint");
    let second = conversations
        .send_message_in_conversation(
            WEBSITE,
            session,
            &ConversationMessageNew::Text(ConversationTextMessageNew {
                timestamp: Some(200),
                ..visitor
            }),
        )
        .await
        .unwrap()
        .fingerprint
        .expect("fingerprint");

    let mark = ConversationMessageMark {
        from: Some(MessageFrom::Operator),
        origin: Some("urn:crisp.im:slack:0".to_owned()),
        fingerprints: Some(vec![first]),
    };
    conversations
        .mark_messages_read_in_conversation(WEBSITE, session, &mark)
        .await
        .unwrap();
    assert_eq!(
        harness.last_call(),
        Call::MarkRead {
            session_id: session.to_owned(),
            body: mark
        }
    );
    let read = conversations
        .get_message_in_conversation(WEBSITE, session, first)
        .await
        .unwrap();
    assert_eq!(read.read.as_deref(), Some("urn:crisp.im:slack:0"));
    let unread_message = conversations
        .get_message_in_conversation(WEBSITE, session, second)
        .await
        .unwrap();
    assert_eq!(unread_message.read, None);

    // Left out fingerprints mean "all pending messages".
    let all = ConversationMessageMark {
        from: Some(MessageFrom::Operator),
        origin: None,
        fingerprints: None,
    };
    conversations
        .mark_messages_read_in_conversation(WEBSITE, session, &all)
        .await
        .unwrap();
    assert_eq!(harness.last_request().body, r#"{"from":"operator"}"#);
    let unread_message = conversations
        .get_message_in_conversation(WEBSITE, session, second)
        .await
        .unwrap();
    assert_eq!(unread_message.read.as_deref(), Some("chat"));
    let found = conversations
        .get_conversation(WEBSITE, session)
        .await
        .unwrap();
    assert_eq!(
        found.unread,
        Some(ConversationUnread {
            operator: Some(0),
            visitor: Some(0)
        })
    );

    for opened in [true, false] {
        let body = UpdateConversationOpenStateBody { opened };
        conversations
            .update_conversation_open_state(WEBSITE, session, &body)
            .await
            .unwrap();
        assert_eq!(
            harness.last_call(),
            Call::UpdateOpenState {
                session_id: session.to_owned(),
                body
            }
        );
        assert_eq!(harness.state().open.get(session), Some(&opened));
    }
}

#[tokio::test]
async fn relations_decode_absent_null_and_value_parents() {
    let harness = start().await;
    let conversations = harness.conversations();

    let root = conversations
        .get_conversation_relations(WEBSITE, "session_alpha")
        .await
        .unwrap();
    let root = root.conversations.expect("conversations");
    assert_eq!(root.parent, Patch::Null);
    assert_eq!(root.children, Some(vec!["session_beta".to_owned()]));

    let child = conversations
        .get_conversation_relations(WEBSITE, "session_beta")
        .await
        .unwrap();
    let child = child.conversations.expect("conversations");
    assert_eq!(child.parent, Patch::Value("session_alpha".to_owned()));
    assert_eq!(child.children, Some(Vec::new()));

    let unknown = conversations
        .get_conversation_relations(WEBSITE, "session_gamma")
        .await
        .unwrap();
    assert_eq!(
        unknown.conversations.expect("conversations").parent,
        Patch::Absent
    );

    assert_eq!(
        harness.calls(),
        [
            Call::GetRelations {
                session_id: "session_alpha".to_owned()
            },
            Call::GetRelations {
                session_id: "session_beta".to_owned()
            },
            Call::GetRelations {
                session_id: "session_gamma".to_owned()
            },
        ]
    );
}

#[tokio::test]
async fn client_debug_and_errors_never_show_the_key() {
    let harness = start().await;
    let debug = format!("{:?}", harness.client);
    assert!(!debug.contains(KEY), "{debug}");
    assert!(debug.contains(IDENTIFIER), "{debug}");
    assert!(debug.contains("<redacted>"), "{debug}");
    let debug = format!("{:?}", harness.conversations());
    assert!(!debug.contains(KEY), "{debug}");

    // Neither does anything the server recorded besides the Authorization header itself.
    harness
        .conversations()
        .get_conversation(WEBSITE, "session_nope")
        .await
        .unwrap_err();
    let request = harness.last_request();
    assert!(!request.uri.contains(KEY) && !request.body.contains(KEY));
    let error = harness
        .conversations()
        .get_conversation(WEBSITE, "session_nope")
        .await
        .unwrap_err();
    assert!(!format!("{error:?}").contains(KEY));
    assert!(!error.to_string().contains(KEY));
}
