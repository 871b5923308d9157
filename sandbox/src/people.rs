//! The `website.people` operations the stateful sandbox implements for real.
//!
//! Profiles: create (one per e-mail address, `409 conflict` for a second), list (free-text
//! `search_text`, sort, pagination), get and check (by people id or by e-mail address), save
//! (replace), update (merge) and remove. Per profile: custom data (get, save, merge), events
//! (add, list newest first), the e-mail subscription, and the conversations of the profile
//! (those whose people id or meta e-mail is the profile's).
//!
//! Not simulated: `search_filter`, the date filters, imports, exports, statistics and the
//! suggestion lists, which answer their examples (or are accepted and ignored).
//!
//! Web hook events: `people:profile:created`, `people:profile:updated` (saved or updated;
//! `update` holds the fields sent, and `updated_at`) and `people:profile:removed`.

use std::cmp::Reverse;

use crisp_server::models::{
    ConversationState, ListPeopleConversationsOptions, ListPeopleProfilesOptions,
    ListPeopleProfilesSortOrder, PeopleData, PeopleEvent, PeopleProfile, PeopleProfileNew,
    PeopleProfileUpdate, PeopleSubscription,
};
use crisp_server::{ApiError, Caller, WebsitePeople};
use serde_json::{Value, json};

use crate::data::{PeopleRecord, WebsiteRecord};
use crate::ids;
use crate::json::{from_value, merge, merged, to_value};
use crate::listing::{contains_text, page};
use crate::store::Store;

/// Profiles per page of `listPeopleProfiles` when `per_page` is not given.
pub const PROFILES_PER_PAGE: usize = 20;
/// Items per page of the other paged people lists (events, conversations).
pub const ITEMS_PER_PAGE: usize = 20;

/// An update as profile fields: `active` (a timestamp in an update) becomes `{last}`.
fn profile_fields(update: &PeopleProfileUpdate) -> Result<Value, ApiError> {
    let mut value = to_value(update)?;
    if let Value::Object(fields) = &mut value {
        if let Some(active) = fields.remove("active") {
            fields.insert("active".to_owned(), json!({"last": active, "now": false}));
        }
        fields.remove("people_id");
        fields.remove("created_at");
        fields.remove("updated_at");
    }
    Ok(value)
}

/// The payload of `people:profile:updated`: the profile's ids and `update`, the fields the
/// request set (`person` always present) and the time of the update.
fn updated_payload(website_id: &str, profile: &PeopleProfile, fields: &Value, now: u64) -> Value {
    let mut update = fields.clone();
    if let Value::Object(update) = &mut update {
        update.retain(|_, value| !value.is_null());
        update.entry("person").or_insert_with(|| json!({}));
        update.insert("updated_at".to_owned(), json!(now));
    }
    json!({
        "website_id": website_id,
        "people_id": profile.people_id,
        "email": profile.email,
        "update": update,
    })
}

/// Refuses an e-mail address another profile of the website already has.
fn check_email_is_free(
    website: &WebsiteRecord,
    email: Option<&str>,
    people_id: Option<&str>,
) -> Result<(), ApiError> {
    let Some(email) = email else { return Ok(()) };
    let taken = website.people.iter().any(|(id, record)| {
        Some(id.as_str()) != people_id
            && record
                .profile
                .email
                .as_deref()
                .is_some_and(|other| other.eq_ignore_ascii_case(email))
    });
    if taken {
        return Err(ApiError::conflict(format!(
            "a people profile with the e-mail address `{email}` already exists"
        )));
    }
    Ok(())
}

/// Whether a profile matches a free-text search (already lower-cased).
fn matches_text(profile: &PeopleProfile, text: &str) -> bool {
    let person = profile.person.as_ref();
    text.is_empty()
        || contains_text(profile.email.as_deref(), text)
        || contains_text(profile.people_id.as_deref(), text)
        || contains_text(person.and_then(|person| person.nickname.as_deref()), text)
        || contains_text(person.and_then(|person| person.phone.as_deref()), text)
        || contains_text(
            profile
                .company
                .as_ref()
                .and_then(|company| company.name.as_deref()),
            text,
        )
        || profile
            .segments
            .iter()
            .flatten()
            .any(|segment| contains_text(Some(segment), text))
}

/// The key a profile sorts on for `sort_field` (timestamps zero-padded to sort as text).
fn sort_key(profile: &PeopleProfile, field: Option<&str>) -> String {
    let timestamp = |value: Option<u64>| format!("{:020}", value.unwrap_or(0));
    match field {
        Some("nickname") => profile
            .person
            .as_ref()
            .and_then(|person| person.nickname.clone())
            .unwrap_or_default()
            .to_lowercase(),
        Some("email") => profile.email.clone().unwrap_or_default().to_lowercase(),
        Some("updated_at") => timestamp(profile.updated_at),
        _ => timestamp(profile.created_at),
    }
}

/// Runs `read` on the profile `people_id` (an id or an e-mail address) of `website_id`.
fn read_person<R>(
    store: &Store,
    website_id: &str,
    people_id: &str,
    read: impl FnOnce(&PeopleRecord) -> Result<R, ApiError>,
) -> Result<R, ApiError> {
    store.with(|state| read(state.website(website_id)?.person(people_id)?))
}

/// Runs `change` on the profile `people_id` of `website_id` with the current time, and stamps
/// the profile as updated.
fn change_person<R>(
    store: &Store,
    website_id: &str,
    people_id: &str,
    change: impl FnOnce(&mut PeopleRecord, u64) -> Result<R, ApiError>,
) -> Result<R, ApiError> {
    store.with(|state| {
        let now = state.now();
        let record = state.website_mut(website_id)?.person_mut(people_id)?;
        let answer = change(record, now)?;
        record.profile.updated_at = Some(now);
        Ok(answer)
    })
}

impl WebsitePeople for Store {
    async fn list_people_conversations(
        &self,
        _caller: Caller,
        website_id: String,
        people_id: String,
        page_number: u32,
        options: ListPeopleConversationsOptions,
    ) -> Result<Vec<String>, ApiError> {
        self.with(|state| {
            let website = state.website(&website_id)?;
            let person = website.person(&people_id)?;
            let id = person.profile.people_id.as_deref();
            let email = person.profile.email.as_deref();
            let mut conversations: Vec<_> = website
                .conversations
                .values()
                .map(|record| &record.conversation)
                .filter(|conversation| {
                    let by_id = id.is_some() && conversation.people_id.as_deref() == id;
                    let by_email = email.is_some_and(|email| {
                        conversation
                            .meta
                            .as_ref()
                            .and_then(|meta| meta.email.as_deref())
                            .is_some_and(|other| other.eq_ignore_ascii_case(email))
                    });
                    let resolved = conversation.state == Some(ConversationState::Resolved);
                    let unread = conversation
                        .unread
                        .as_ref()
                        .and_then(|unread| unread.operator)
                        .unwrap_or(0);
                    (by_id || by_email)
                        && (options.filter_resolved != Some(true) || resolved)
                        && (options.filter_not_resolved != Some(true) || !resolved)
                        && (options.filter_unread != Some(true) || unread > 0)
                })
                .collect();
            conversations.sort_by_key(|conversation| {
                (
                    Reverse(conversation.updated_at),
                    conversation.session_id.clone(),
                )
            });
            let sessions = conversations
                .into_iter()
                .map(|conversation| conversation.session_id.clone())
                .collect();
            Ok(page(sessions, page_number, ITEMS_PER_PAGE))
        })
    }

    async fn get_people_data(
        &self,
        _caller: Caller,
        website_id: String,
        people_id: String,
    ) -> Result<PeopleData, ApiError> {
        read_person(self, &website_id, &people_id, |record| {
            let mut data = PeopleData::default();
            data.data = Some(record.data.clone());
            Ok(data)
        })
    }

    async fn save_people_data(
        &self,
        _caller: Caller,
        website_id: String,
        people_id: String,
        body: PeopleData,
    ) -> Result<(), ApiError> {
        change_person(self, &website_id, &people_id, |record, _| {
            record.data = body.data.unwrap_or_default();
            Ok(())
        })
    }

    async fn update_people_data(
        &self,
        _caller: Caller,
        website_id: String,
        people_id: String,
        body: PeopleData,
    ) -> Result<(), ApiError> {
        change_person(self, &website_id, &people_id, |record, _| {
            record.data.extend(body.data.unwrap_or_default());
            Ok(())
        })
    }

    async fn add_people_event(
        &self,
        _caller: Caller,
        website_id: String,
        people_id: String,
        body: PeopleEvent,
    ) -> Result<(), ApiError> {
        change_person(self, &website_id, &people_id, |record, now| {
            let mut event = body;
            event.timestamp.get_or_insert(now);
            record.events.push(event);
            Ok(())
        })
    }

    async fn list_people_events(
        &self,
        _caller: Caller,
        website_id: String,
        people_id: String,
        page_number: u32,
    ) -> Result<Vec<PeopleEvent>, ApiError> {
        read_person(self, &website_id, &people_id, |record| {
            let newest_first: Vec<PeopleEvent> = record.events.iter().rev().cloned().collect();
            Ok(page(newest_first, page_number, ITEMS_PER_PAGE))
        })
    }

    async fn add_new_people_profile(
        &self,
        _caller: Caller,
        website_id: String,
        body: PeopleProfileUpdate,
    ) -> Result<PeopleProfileNew, ApiError> {
        let email = body
            .email
            .clone()
            .filter(|email| !email.trim().is_empty())
            .ok_or_else(|| ApiError::invalid_data("a new people profile needs an `email`"))?;
        let mut fields = profile_fields(&body)?;
        self.change(|state, events| {
            let now = state.now();
            let website = state.website_mut(&website_id)?;
            check_email_is_free(website, Some(&email), None)?;
            let people_id = ids::uuid();
            merge(
                &mut fields,
                json!({"people_id": people_id, "created_at": now, "updated_at": now}),
            );
            let profile: PeopleProfile = from_value(fields)?;
            let created = json!({"website_id": website_id, "people_id": people_id, "email": email});
            events.record(&website_id, "people:profile:created", created, now);
            let mut subscription = PeopleSubscription::default();
            subscription.email = Some(true);
            website.people.insert(
                people_id.clone(),
                PeopleRecord {
                    profile,
                    subscription,
                    ..PeopleRecord::default()
                },
            );
            let mut answer = PeopleProfileNew::default();
            answer.people_id = Some(people_id);
            Ok(answer)
        })
    }

    async fn get_people_profile(
        &self,
        _caller: Caller,
        website_id: String,
        people_id: String,
    ) -> Result<PeopleProfile, ApiError> {
        read_person(self, &website_id, &people_id, |record| {
            Ok(record.profile.clone())
        })
    }

    async fn check_people_profile_exists(
        &self,
        _caller: Caller,
        website_id: String,
        people_id: String,
    ) -> Result<(), ApiError> {
        read_person(self, &website_id, &people_id, |_| Ok(()))
    }

    async fn save_people_profile(
        &self,
        _caller: Caller,
        website_id: String,
        people_id: String,
        body: PeopleProfileUpdate,
    ) -> Result<(), ApiError> {
        let mut fields = profile_fields(&body)?;
        let sent = fields.clone();
        self.change(|state, events| {
            let now = state.now();
            let website = state.website_mut(&website_id)?;
            let id = website.people_id(&people_id)?;
            check_email_is_free(website, body.email.as_deref(), Some(&id))?;
            let record = website.person_mut(&id)?;
            // Replace every field but the identity and the creation date; keep the address
            // when the new profile has none, since a profile is known by it.
            let kept = json!({
                "people_id": id,
                "created_at": record.profile.created_at,
                "updated_at": now,
            });
            if body.email.is_none() {
                merge(&mut fields, json!({"email": record.profile.email}));
            }
            merge(&mut fields, kept);
            record.profile = from_value(fields)?;
            let updated = updated_payload(&website_id, &record.profile, &sent, now);
            events.record(&website_id, "people:profile:updated", updated, now);
            Ok(())
        })
    }

    async fn update_people_profile(
        &self,
        _caller: Caller,
        website_id: String,
        people_id: String,
        body: PeopleProfileUpdate,
    ) -> Result<(), ApiError> {
        let fields = profile_fields(&body)?;
        self.change(|state, events| {
            let now = state.now();
            let website = state.website_mut(&website_id)?;
            let id = website.people_id(&people_id)?;
            check_email_is_free(website, body.email.as_deref(), Some(&id))?;
            let record = website.person_mut(&id)?;
            let mut profile: PeopleProfile = merged(&record.profile, &fields)?;
            profile.updated_at = Some(now);
            record.profile = profile;
            let updated = updated_payload(&website_id, &record.profile, &fields, now);
            events.record(&website_id, "people:profile:updated", updated, now);
            Ok(())
        })
    }

    async fn remove_people_profile(
        &self,
        _caller: Caller,
        website_id: String,
        people_id: String,
    ) -> Result<(), ApiError> {
        self.change(|state, events| {
            let now = state.now();
            let website = state.website_mut(&website_id)?;
            let id = website.people_id(&people_id)?;
            if let Some(removed) = website.people.remove(&id) {
                let removed = json!({
                    "website_id": website_id,
                    "people_id": id,
                    "email": removed.profile.email,
                });
                events.record(&website_id, "people:profile:removed", removed, now);
            }
            Ok(())
        })
    }

    async fn list_people_profiles(
        &self,
        _caller: Caller,
        website_id: String,
        page_number: u32,
        options: ListPeopleProfilesOptions,
    ) -> Result<Vec<PeopleProfile>, ApiError> {
        self.with(|state| {
            let website = state.website(&website_id)?;
            let text = options
                .search_text
                .as_deref()
                .unwrap_or("")
                .trim()
                .to_lowercase();
            let field = options.sort_field.as_deref();
            let mut profiles: Vec<(String, &PeopleProfile)> = website
                .people
                .values()
                .map(|record| &record.profile)
                .filter(|profile| matches_text(profile, &text))
                .map(|profile| (sort_key(profile, field), profile))
                .collect();
            profiles.sort_by(|(a_key, a), (b_key, b)| {
                (a_key, &a.people_id).cmp(&(b_key, &b.people_id))
            });
            // Newest first unless asked otherwise; a named field sorts ascending by default.
            let descending = match &options.sort_order {
                Some(ListPeopleProfilesSortOrder::Descending) => true,
                Some(ListPeopleProfilesSortOrder::Ascending) => false,
                _ => field.is_none(),
            };
            if descending {
                profiles.reverse();
            }
            let per_page = options.per_page.map_or(PROFILES_PER_PAGE, usize::from);
            let profiles = profiles
                .into_iter()
                .map(|(_, profile)| profile.clone())
                .collect();
            Ok(page(profiles, page_number, per_page))
        })
    }

    async fn get_people_subscription_status(
        &self,
        _caller: Caller,
        website_id: String,
        people_id: String,
    ) -> Result<PeopleSubscription, ApiError> {
        read_person(self, &website_id, &people_id, |record| {
            Ok(record.subscription.clone())
        })
    }

    async fn update_people_subscription_status(
        &self,
        _caller: Caller,
        website_id: String,
        people_id: String,
        body: PeopleSubscription,
    ) -> Result<(), ApiError> {
        change_person(self, &website_id, &people_id, |record, _| {
            record.subscription = merged(&record.subscription, &body)?;
            Ok(())
        })
    }
}
