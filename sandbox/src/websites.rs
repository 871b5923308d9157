//! The `website.base` operations the stateful sandbox implements for real: check a website
//! (by domain), create one (a user token becomes its owner), get and delete one. Every other
//! operation of the area answers its example.

use crisp_server::models::{
    CreateWebsiteBody, DeleteWebsiteBody, Operator, OperatorMembership, Website,
};
use crisp_server::{ApiError, Caller, Tier, WebsiteBase};

use crate::data::WebsiteRecord;
use crate::ids;
use crate::store::Store;

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
            let mut website = Website::default();
            website.website_id = Some(website_id.clone());
            website.name = Some(name);
            website.domain = Some(domain);
            website.verified = Some(false);
            website.institutional = Some(false);
            // A user token acts as its user, who owns the website it creates.
            let operators = match caller.tier {
                Tier::User => {
                    let mut owner = Operator::default();
                    owner.user_id = Some(caller.identifier);
                    owner.role = Some("owner".to_owned());
                    owner.availability = Some("online".to_owned());
                    owner.has_token = Some(true);
                    let mut membership = OperatorMembership::default();
                    membership.r#type = Some("operator".to_owned());
                    membership.details = Some(owner);
                    vec![membership]
                }
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
