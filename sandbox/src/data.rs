//! The plain data of the stateful sandbox: [`State`] and the records it is made of (websites,
//! their operators, conversations with their messages, people profiles), the seed of a fresh
//! sandbox, and saving and loading it as JSON.
//!
//! Nothing here is shared or locked: [`Store`](crate::Store) holds a `State` behind its lock.
//! The state is made of the API's own models, so it serializes to JSON as it is: `--state FILE`
//! writes it with [`State::save`] and reads it back with [`State::load`]. The crate publishes
//! this module as `crisp_sandbox::state`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crisp_server::ApiError;
use crisp_server::models::{
    Conversation, ConversationMessage, CustomData, Operator, OperatorMembership, PeopleEvent,
    PeopleProfile, PeopleSubscription, Website,
};
use serde::{Deserialize, Serialize};

/// The website a fresh sandbox holds: the id of the spec's examples, so example requests work.
pub const SEED_WEBSITE_ID: &str = "8c842203-7ed8-4e29-a608-7cf78a7d2fcc";
/// The operator of the seeded website.
pub const SEED_OPERATOR_ID: &str = "a4c32c68-be91-4e29-8a05-976e93abbe3f";

/// Everything the stateful sandbox knows.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// The websites, by id.
    #[serde(default)]
    pub websites: BTreeMap<String, WebsiteRecord>,
    /// The last timestamp handed out (milliseconds since the Unix epoch); see [`State::now`].
    #[serde(default)]
    pub clock: u64,
}

/// One website and everything that belongs to it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WebsiteRecord {
    /// The website itself.
    pub website: Website,
    /// Its operators, as `listWebsiteOperators` answers them.
    #[serde(default)]
    pub operators: Vec<OperatorMembership>,
    /// Its conversations, by session id.
    #[serde(default)]
    pub conversations: BTreeMap<String, ConversationRecord>,
    /// Its people profiles, by people id.
    #[serde(default)]
    pub people: BTreeMap<String, PeopleRecord>,
}

/// One conversation and its messages.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConversationRecord {
    /// The conversation, kept up to date as messages, state, metas and routing change.
    pub conversation: Conversation,
    /// Its messages, oldest first.
    #[serde(default)]
    pub messages: Vec<ConversationMessage>,
}

/// One people profile and what hangs off it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PeopleRecord {
    /// The profile.
    pub profile: PeopleProfile,
    /// Its custom data.
    #[serde(default)]
    pub data: CustomData,
    /// Its events, oldest first.
    #[serde(default)]
    pub events: Vec<PeopleEvent>,
    /// Its e-mail subscription.
    #[serde(default)]
    pub subscription: PeopleSubscription,
}

/// A state file that could not be read or written.
#[derive(Debug)]
pub enum StateError {
    /// Reading, writing or renaming the file failed.
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        error: std::io::Error,
    },
    /// The file is not a saved sandbox state.
    Json {
        /// The file.
        path: PathBuf,
        /// Why it does not decode (or, when saving, encode).
        error: serde_json::Error,
    },
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateError::Io { path, error } => write!(f, "{}: {error}", path.display()),
            StateError::Json { path, error } => {
                write!(f, "{}: not a sandbox state: {error}", path.display())
            }
        }
    }
}

impl std::error::Error for StateError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StateError::Io { error, .. } => Some(error),
            StateError::Json { error, .. } => Some(error),
        }
    }
}

impl State {
    /// A fresh sandbox: one website (id [`SEED_WEBSITE_ID`]) with one operator, no
    /// conversation and no profile.
    pub fn seeded() -> State {
        let mut website = Website::default();
        website.website_id = Some(SEED_WEBSITE_ID.to_owned());
        website.name = Some("Acme Inc.".to_owned());
        website.domain = Some("acme-inc.com".to_owned());
        website.logo = Some(format!(
            "https://image.crisp.chat/avatar/website/{SEED_WEBSITE_ID}/120/"
        ));
        website.verified = Some(true);
        website.institutional = Some(false);
        let mut operator = Operator::default();
        operator.user_id = Some(SEED_OPERATOR_ID.to_owned());
        operator.email = Some("jane.smith@acme-inc.com".to_owned());
        operator.first_name = Some("Jane".to_owned());
        operator.last_name = Some("Smith".to_owned());
        operator.role = Some("owner".to_owned());
        operator.title = Some("Head of Support".to_owned());
        operator.availability = Some("online".to_owned());
        operator.has_token = Some(false);
        let mut membership = OperatorMembership::default();
        membership.r#type = Some("operator".to_owned());
        membership.details = Some(operator);
        let record = WebsiteRecord {
            website,
            operators: vec![membership],
            ..WebsiteRecord::default()
        };
        State {
            websites: BTreeMap::from([(SEED_WEBSITE_ID.to_owned(), record)]),
            clock: 0,
        }
    }

    /// Reads a state saved by [`State::save`].
    ///
    /// # Errors
    ///
    /// [`StateError`] if the file cannot be read or does not decode.
    pub fn load(path: &Path) -> Result<State, StateError> {
        let bytes = std::fs::read(path).map_err(|error| StateError::Io {
            path: path.to_owned(),
            error,
        })?;
        serde_json::from_slice(&bytes).map_err(|error| StateError::Json {
            path: path.to_owned(),
            error,
        })
    }

    /// Writes the state as JSON: to a temporary file beside `path`, then renamed over it, so a
    /// crash half-way never leaves a truncated state.
    ///
    /// # Errors
    ///
    /// [`StateError`] if the file cannot be written.
    pub fn save(&self, path: &Path) -> Result<(), StateError> {
        let json = serde_json::to_vec_pretty(self).map_err(|error| StateError::Json {
            path: path.to_owned(),
            error,
        })?;
        let mut temporary = path.as_os_str().to_owned();
        temporary.push(".tmp");
        let temporary = PathBuf::from(temporary);
        let io = |error| StateError::Io {
            path: path.to_owned(),
            error,
        };
        std::fs::write(&temporary, json).map_err(io)?;
        std::fs::rename(&temporary, path).map_err(io)
    }

    /// The current time in milliseconds since the Unix epoch, strictly later than any time
    /// handed out before (so messages sent in the same millisecond still have an order).
    pub fn now(&mut self) -> u64 {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| {
                u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
            });
        self.clock = wall.max(self.clock.saturating_add(1));
        self.clock
    }

    /// The website `website_id`.
    ///
    /// # Errors
    ///
    /// 404 `not_found` if there is no such website.
    pub fn website(&self, website_id: &str) -> Result<&WebsiteRecord, ApiError> {
        self.websites
            .get(website_id)
            .ok_or_else(|| website_not_found(website_id))
    }

    /// The website `website_id`, to change.
    ///
    /// # Errors
    ///
    /// 404 `not_found` if there is no such website.
    pub fn website_mut(&mut self, website_id: &str) -> Result<&mut WebsiteRecord, ApiError> {
        self.websites
            .get_mut(website_id)
            .ok_or_else(|| website_not_found(website_id))
    }
}

impl WebsiteRecord {
    /// The conversation `session_id`.
    ///
    /// # Errors
    ///
    /// 404 `not_found` if there is no such conversation.
    pub fn conversation(&self, session_id: &str) -> Result<&ConversationRecord, ApiError> {
        self.conversations
            .get(session_id)
            .ok_or_else(|| conversation_not_found(session_id))
    }

    /// The conversation `session_id`, to change.
    ///
    /// # Errors
    ///
    /// 404 `not_found` if there is no such conversation.
    pub fn conversation_mut(
        &mut self,
        session_id: &str,
    ) -> Result<&mut ConversationRecord, ApiError> {
        self.conversations
            .get_mut(session_id)
            .ok_or_else(|| conversation_not_found(session_id))
    }

    /// The id of the profile `people_id` names: a people id, or an e-mail address (any case).
    ///
    /// # Errors
    ///
    /// 404 `not_found` if no profile matches.
    pub fn people_id(&self, people_id: &str) -> Result<String, ApiError> {
        if self.people.contains_key(people_id) {
            return Ok(people_id.to_owned());
        }
        if people_id.contains('@') {
            let found = self.people.iter().find(|(_, record)| {
                record
                    .profile
                    .email
                    .as_deref()
                    .is_some_and(|email| email.eq_ignore_ascii_case(people_id))
            });
            if let Some((id, _)) = found {
                return Ok(id.clone());
            }
        }
        Err(ApiError::not_found(format!(
            "no people profile `{people_id}` on this website"
        )))
    }

    /// The profile `people_id` names (an id or an e-mail address).
    ///
    /// # Errors
    ///
    /// 404 `not_found` if no profile matches.
    pub fn person(&self, people_id: &str) -> Result<&PeopleRecord, ApiError> {
        let id = self.people_id(people_id)?;
        self.people
            .get(&id)
            .ok_or_else(|| ApiError::not_found(format!("no people profile `{people_id}`")))
    }

    /// The profile `people_id` names (an id or an e-mail address), to change.
    ///
    /// # Errors
    ///
    /// 404 `not_found` if no profile matches.
    pub fn person_mut(&mut self, people_id: &str) -> Result<&mut PeopleRecord, ApiError> {
        let id = self.people_id(people_id)?;
        self.people
            .get_mut(&id)
            .ok_or_else(|| ApiError::not_found(format!("no people profile `{people_id}`")))
    }
}

/// 404 for a website id the sandbox does not know.
fn website_not_found(website_id: &str) -> ApiError {
    ApiError::not_found(format!("no website `{website_id}` in this sandbox"))
}

/// 404 for a session id the website does not know.
fn conversation_not_found(session_id: &str) -> ApiError {
    ApiError::not_found(format!("no conversation `{session_id}` on this website"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_only_moves_forward() {
        let mut state = State {
            clock: u64::MAX - 1,
            ..State::default()
        };
        assert_eq!(state.now(), u64::MAX);
        assert_eq!(state.now(), u64::MAX);
        let mut state = State::default();
        let first = state.now();
        assert!(state.now() > first);
    }

    #[test]
    fn the_seed_has_the_example_website_and_round_trips_as_json() {
        let state = State::seeded();
        let website = state.website(SEED_WEBSITE_ID).expect("the seeded website");
        assert_eq!(website.operators.len(), 1);
        assert_eq!(
            state
                .website("nope")
                .expect_err("unknown")
                .status()
                .as_u16(),
            404
        );
        let json = serde_json::to_string(&state).expect("encodes");
        let back: State = serde_json::from_str(&json).expect("decodes");
        assert_eq!(back, state);
    }
}
