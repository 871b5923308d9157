//! [`Store`]: the shared, lockable state the stateful areas are implemented on, and the JSON
//! helpers they share (decoding a model from a value, merging a partial update into one).

use std::sync::{Arc, Mutex, PoisonError};

use crisp_server::ApiError;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::events::{Events, Publish};
use crate::state::State;

/// The sandbox's state behind one lock, cheap to clone (clones share the state).
///
/// It implements the area traits the sandbox serves with real behaviour
/// ([`WebsiteBase`](crisp_server::WebsiteBase),
/// [`WebsiteConversation`](crisp_server::WebsiteConversation),
/// [`WebsitePeople`](crisp_server::WebsitePeople),
/// [`WebsiteOperator`](crisp_server::WebsiteOperator) and
/// [`WebsiteVisitors`](crisp_server::WebsiteVisitors)), so it can also be given to a
/// [`RouterBuilder`](crisp_server::RouterBuilder) directly.
///
/// A store made by a stateful [`Sandbox`](crate::Sandbox) sends the events of its changes
/// to the sandbox's real-time (RTM) sockets and, when configured with web hooks, delivers
/// them as web hooks; one made with [`Store::new`] sends none.
#[derive(Clone, Debug, Default)]
pub struct Store {
    state: Arc<Mutex<State>>,
    publish: Publish,
}

impl Store {
    /// A store holding `state`.
    pub fn new(state: State) -> Store {
        Store::with_publish(state, Publish::default())
    }

    /// A store holding `state` that sends the events of its changes through `publish`.
    pub(crate) fn with_publish(state: State, publish: Publish) -> Store {
        Store {
            state: Arc::new(Mutex::new(state)),
            publish,
        }
    }

    /// Where this store sends the events of its changes.
    pub(crate) fn publishing(&self) -> &Publish {
        &self.publish
    }

    /// A copy of the current state, for saving or inspecting.
    pub fn snapshot(&self) -> State {
        self.with(|state| state.clone())
    }

    /// Replaces the whole state.
    pub fn replace(&self, state: State) {
        self.with(|current| *current = state);
    }

    /// Runs `change` with the state locked. No `.await` can happen inside, so the lock is
    /// never held across one; a panic elsewhere that poisoned the lock does not lock the
    /// sandbox up (the state is still consistent: every change is made in one step).
    pub fn with<R>(&self, change: impl FnOnce(&mut State) -> R) -> R {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        change(&mut state)
    }

    /// Runs `change` with the state locked, letting it record events; if it succeeds, hands
    /// them to the RTM sockets and the web hook queues before the lock is released, so both
    /// follow the order of the changes. Neither waits.
    pub(crate) fn change<R>(
        &self,
        change: impl FnOnce(&mut State, &mut Events) -> Result<R, ApiError>,
    ) -> Result<R, ApiError> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let mut events = Events::default();
        let answer = change(&mut state, &mut events)?;
        self.publish.publish(events.into_inner());
        Ok(answer)
    }
}

/// Encodes a model as a JSON value.
///
/// # Errors
///
/// 500 `internal_error` if it does not encode (models always do).
pub(crate) fn to_value<T: Serialize>(value: &T) -> Result<Value, ApiError> {
    serde_json::to_value(value)
        .map_err(|error| ApiError::internal(format!("a value could not be encoded: {error}")))
}

/// Decodes a model from a JSON value the sandbox built.
///
/// # Errors
///
/// 400 `invalid_data` if it does not decode: the value came from the request, which the
/// router decoded already, so this means a combination the model does not accept.
pub(crate) fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, ApiError> {
    serde_json::from_value(value)
        .map_err(|error| ApiError::invalid_data(format!("invalid data: {error}")))
}

/// Merges `patch` into `base`: objects merge key by key (recursively), `null` in the patch
/// removes the key, and any other value replaces the one in `base`.
pub(crate) fn merge(base: &mut Value, patch: Value) {
    match (base, patch) {
        (Value::Object(base), Value::Object(patch)) => {
            for (key, value) in patch {
                if value.is_null() {
                    base.remove(&key);
                } else {
                    merge(base.entry(key).or_insert(Value::Null), value);
                }
            }
        }
        (base, patch) => *base = patch,
    }
}

/// `base` with `patch` merged into it (see [`merge`]), decoded back into the model.
///
/// # Errors
///
/// As [`to_value`] and [`from_value`].
pub(crate) fn merged<T: Serialize + DeserializeOwned>(
    base: &T,
    patch: &impl Serialize,
) -> Result<T, ApiError> {
    let mut value = to_value(base)?;
    merge(&mut value, to_value(patch)?);
    from_value(value)
}

/// Answers one page of `items`: page `page_number` (from 1) of `per_page` items; an empty
/// page past the end.
pub(crate) fn page<T>(items: Vec<T>, page_number: u32, per_page: usize) -> Vec<T> {
    let per_page = per_page.max(1);
    let page_index = usize::try_from(page_number.saturating_sub(1)).unwrap_or(usize::MAX);
    let skip = page_index.saturating_mul(per_page);
    items.into_iter().skip(skip).take(per_page).collect()
}

/// Whether `haystack` contains `needle`, ignoring case.
pub(crate) fn contains_text(haystack: Option<&str>, needle: &str) -> bool {
    haystack.is_some_and(|haystack| haystack.to_lowercase().contains(needle))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn merging_is_deep_and_null_removes() {
        let mut base = json!({"a": 1, "b": {"c": 2, "d": 3}, "e": [1]});
        merge(
            &mut base,
            json!({"b": {"c": 4, "d": null}, "e": [2], "f": "new"}),
        );
        assert_eq!(base, json!({"a": 1, "b": {"c": 4}, "e": [2], "f": "new"}));
    }

    #[test]
    fn pages_past_the_end_are_empty() {
        let items: Vec<u32> = (1..=5).collect();
        assert_eq!(page(items.clone(), 1, 2), [1, 2]);
        assert_eq!(page(items.clone(), 3, 2), [5]);
        assert!(page(items.clone(), 4, 2).is_empty());
        assert_eq!(page(items.clone(), 0, 2), [1, 2]);
        assert!(page(items.clone(), u32::MAX, usize::MAX).is_empty());
        assert_eq!(page(items, 1, 0), [1]);
    }
}
