//! Assembly of the generated router: what every handler of an area shares ([`Ctx`]), and the
//! joining of every area's routes into one router with Crisp's fallbacks and the hardening.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::routing::MethodRouter;

use super::harden::{Limits, harden};
use super::response::{method_not_allowed_fallback, not_found_fallback};

/// The routes of one area, each path with the method router of its operations.
pub type Routes = Vec<(&'static str, MethodRouter)>;

/// What every handler of one area shares: the authentication hook and the implementation.
pub struct Ctx<A, T: ?Sized> {
    /// The hook that authenticates each request.
    pub auth: Arc<A>,
    /// The implementation of the area's trait.
    pub service: Arc<T>,
}

impl<A, T: ?Sized> Clone for Ctx<A, T> {
    fn clone(&self) -> Self {
        Ctx {
            auth: self.auth.clone(),
            service: self.service.clone(),
        }
    }
}

/// Joins the routes of all areas into one router: one method router per path (areas may
/// share a path with different methods), `404 not_found` for an unknown path,
/// `405 method_not_allowed` for a known path with another method, all inside the limits, the
/// panic guard and the per-request span of [`harden`].
pub fn assemble(routes: Routes, limits: Limits) -> Router {
    // A BTreeMap gives one registration order whatever the order of the areas.
    let mut by_path: BTreeMap<&'static str, MethodRouter> = BTreeMap::new();
    for (path, route) in routes {
        let merged = match by_path.remove(path) {
            Some(previous) => previous.merge(route),
            None => route,
        };
        by_path.insert(path, merged);
    }
    let mut router = Router::new();
    for (path, route) in by_path {
        router = router.route(path, route);
    }
    let router = router
        .fallback(not_found_fallback)
        .method_not_allowed_fallback(method_not_allowed_fallback);
    harden(router, limits)
}
