//! The `website.operator` operations the stateful sandbox implements for real: list a
//! website's operators and get one, from its memberships. Every other operation of the area
//! answers its example.

use crisp_server::models::{Operator, OperatorMembership};
use crisp_server::{ApiError, Caller, WebsiteOperator};

use crate::store::Store;

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
