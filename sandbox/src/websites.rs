//! The `website.base`, `website.operator` and `website.visitors` operations the stateful
//! sandbox implements for real.
//!
//! Websites: check (by domain), create (a user token becomes its owner), get and delete.
//! Operators: list and get, from the website's memberships. Visitors: list and count, one
//! visitor per conversation (its session, with the identity from the conversation's metas).
//! Every other operation of these areas answers its example.

use std::cmp::Reverse;

use crisp_server::models::{
    CreateWebsiteBody, DeleteWebsiteBody, Operator, OperatorMembership, Visitor, VisitorCount,
    Website,
};
use crisp_server::{ApiError, Caller, Tier, WebsiteBase, WebsiteOperator, WebsiteVisitors};

use crate::ids;
use crate::state::WebsiteRecord;
use crate::store::{Store, page};

/// Visitors per page of `listVisitors`.
pub const VISITORS_PER_PAGE: usize = 20;

/// The visitor behind each conversation of a website, most recently active first.
fn visitors(website: &WebsiteRecord) -> Vec<Visitor> {
    let mut records: Vec<_> = website.conversations.values().collect();
    records.sort_by_key(|record| {
        (
            Reverse(record.conversation.updated_at),
            record.conversation.session_id.clone(),
        )
    });
    records
        .into_iter()
        .map(|record| {
            let conversation = &record.conversation;
            let meta = conversation.meta.as_ref();
            Visitor {
                session_id: Some(conversation.session_id.clone()),
                inbox_id: conversation.inbox_id.clone(),
                nickname: meta.and_then(|meta| meta.nickname.clone()),
                email: meta.and_then(|meta| meta.email.clone()),
                avatar: meta.and_then(|meta| meta.avatar.clone()),
                initiated: Some(!record.messages.is_empty()),
                active: Some(
                    conversation
                        .active
                        .as_ref()
                        .and_then(|active| active.now)
                        .unwrap_or(false),
                ),
                ..Visitor::default()
            }
        })
        .collect()
}

impl WebsiteBase for Store {
    async fn check_website_exists(&self, _caller: Caller, domain: String) -> Result<(), ApiError> {
        self.with(|state| {
            let exists = state.websites.values().any(|record| {
                record
                    .website
                    .domain
                    .as_deref()
                    .is_some_and(|other| other.eq_ignore_ascii_case(&domain))
            });
            if exists {
                Ok(())
            } else {
                Err(ApiError::not_found(format!(
                    "no website runs on `{domain}`"
                )))
            }
        })
    }

    async fn create_website(
        &self,
        caller: Caller,
        body: CreateWebsiteBody,
    ) -> Result<Website, ApiError> {
        let name = body
            .name
            .filter(|name| !name.trim().is_empty())
            .ok_or_else(|| ApiError::invalid_data("a new website needs a `name`"))?;
        let domain = body
            .domain
            .filter(|domain| !domain.trim().is_empty())
            .ok_or_else(|| ApiError::invalid_data("a new website needs a `domain`"))?;
        self.with(|state| {
            let taken = state.websites.values().any(|record| {
                record
                    .website
                    .domain
                    .as_deref()
                    .is_some_and(|other| other.eq_ignore_ascii_case(&domain))
            });
            if taken {
                return Err(ApiError::conflict(format!(
                    "a website already runs on `{domain}`"
                )));
            }
            let website_id = ids::uuid();
            let website = Website {
                website_id: Some(website_id.clone()),
                name: Some(name),
                domain: Some(domain),
                logo: None,
                verified: Some(false),
                institutional: Some(false),
            };
            // A user token acts as its user, who owns the website it creates.
            let operators = match caller.tier {
                Tier::User => vec![OperatorMembership {
                    r#type: Some("operator".to_owned()),
                    details: Some(Operator {
                        user_id: Some(caller.identifier),
                        role: Some("owner".to_owned()),
                        availability: Some("online".to_owned()),
                        has_token: Some(true),
                        ..Operator::default()
                    }),
                }],
                _ => Vec::new(),
            };
            state.websites.insert(
                website_id,
                WebsiteRecord {
                    website: website.clone(),
                    operators,
                    ..WebsiteRecord::default()
                },
            );
            Ok(website)
        })
    }

    async fn get_website(&self, _caller: Caller, website_id: String) -> Result<Website, ApiError> {
        self.with(|state| Ok(state.website(&website_id)?.website.clone()))
    }

    async fn delete_website(
        &self,
        _caller: Caller,
        website_id: String,
        _body: DeleteWebsiteBody,
    ) -> Result<(), ApiError> {
        self.with(|state| {
            state.website(&website_id)?;
            state.websites.remove(&website_id);
            Ok(())
        })
    }
}

impl WebsiteOperator for Store {
    async fn get_website_operator(
        &self,
        _caller: Caller,
        website_id: String,
        user_id: String,
    ) -> Result<Operator, ApiError> {
        self.with(|state| {
            state
                .website(&website_id)?
                .operators
                .iter()
                .filter_map(|membership| membership.details.as_ref())
                .find(|operator| operator.user_id.as_deref() == Some(user_id.as_str()))
                .cloned()
                .ok_or_else(|| {
                    ApiError::not_found(format!("no operator `{user_id}` on this website"))
                })
        })
    }

    async fn list_website_operators(
        &self,
        _caller: Caller,
        website_id: String,
    ) -> Result<Vec<OperatorMembership>, ApiError> {
        self.with(|state| Ok(state.website(&website_id)?.operators.clone()))
    }
}

impl WebsiteVisitors for Store {
    async fn count_visitors(
        &self,
        _caller: Caller,
        website_id: String,
    ) -> Result<VisitorCount, ApiError> {
        self.with(|state| {
            let visitors = visitors(state.website(&website_id)?);
            let count = |n: usize| Some(u32::try_from(n).unwrap_or(u32::MAX));
            let active = visitors
                .iter()
                .filter(|visitor| visitor.active == Some(true))
                .count();
            Ok(VisitorCount {
                count: count(visitors.len()),
                active: count(active),
                limited: Some(false),
            })
        })
    }

    async fn list_visitors(
        &self,
        _caller: Caller,
        website_id: String,
        page_number: u32,
    ) -> Result<Vec<Visitor>, ApiError> {
        self.with(|state| {
            let visitors = visitors(state.website(&website_id)?);
            Ok(page(visitors, page_number, VISITORS_PER_PAGE))
        })
    }
}
