//! The `website.visitors` operations the stateful sandbox implements for real: list and
//! count a website's visitors, one per conversation (its session, with the identity from the
//! conversation's metas). Every other operation of the area answers its example.

use std::cmp::Reverse;

use crisp_server::models::{Visitor, VisitorCount};
use crisp_server::{ApiError, Caller, WebsiteVisitors};

use crate::data::WebsiteRecord;
use crate::listing::page;
use crate::store::Store;

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
            let mut visitor = Visitor::default();
            visitor.session_id = Some(conversation.session_id.clone());
            visitor.inbox_id = conversation.inbox_id.clone();
            visitor.nickname = meta.and_then(|meta| meta.nickname.clone());
            visitor.email = meta.and_then(|meta| meta.email.clone());
            visitor.avatar = meta.and_then(|meta| meta.avatar.clone());
            visitor.initiated = Some(!record.messages.is_empty());
            visitor.active = Some(
                conversation
                    .active
                    .as_ref()
                    .and_then(|active| active.now)
                    .unwrap_or(false),
            );
            visitor
        })
        .collect()
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
            let mut visitor_count = VisitorCount::default();
            visitor_count.count = count(visitors.len());
            visitor_count.active = count(active);
            visitor_count.limited = Some(false);
            Ok(visitor_count)
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
