//! [`Store`]: the handle to the sandbox's [`State`] that the router and the stateful areas
//! share, behind one lock, and through which every change publishes its events.

use std::sync::{Arc, Mutex, PoisonError};

use crisp_server::ApiError;

use crate::data::State;
use crate::events::{Events, Publish};

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
