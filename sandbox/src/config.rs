//! How a sandbox is configured: its [`Mode`], the [`Token`]s it accepts, and the [`Config`]
//! gathering them with the body limit, the state file, web hooks and the RTM URL (what the
//! command line sets).

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crisp_runtime::server::Scopes;
use crisp_server::{StaticTokens, Tier};

use crate::ids;
use crate::rtm::RtmUrl;
use crate::webhooks::WebhookConfig;

/// The request body limit when none is configured: 2 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 2 * 1024 * 1024;

/// How the sandbox answers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// An in-memory Crisp; what it does not simulate answers its example.
    #[default]
    Stateful,
    /// Every operation answers its example from the spec.
    Examples,
}

impl Mode {
    /// The mode's name on the command line: `stateful` or `examples`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Stateful => "stateful",
            Mode::Examples => "examples",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Parses `stateful` or `examples`.
impl FromStr for Mode {
    type Err = String;

    fn from_str(text: &str) -> Result<Mode, String> {
        match text.trim() {
            "stateful" => Ok(Mode::Stateful),
            "examples" => Ok(Mode::Examples),
            other => Err(format!("unknown mode `{other}` (use stateful or examples)")),
        }
    }
}

/// A token the sandbox accepts: tier, identifier, key and, for plugin tokens, scopes.
///
/// Written `TIER:IDENTIFIER:KEY[:SCOPES]`, e.g. `user:my-id:my-key` or
/// `plugin:my-id:my-key:website:conversation:sessions=write,website:people:profiles=read`.
/// Only the first three `:` separate (scopes contain `:` themselves); without scopes a token
/// holds every scope. The `Debug` output hides the key.
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    /// `user` or `plugin`.
    pub tier: Tier,
    /// The token identifier (the Basic user name).
    pub identifier: String,
    /// The token key (the Basic password).
    pub key: String,
    /// The plugin scopes the token holds (ignored for user tokens).
    pub scopes: Scopes,
}

impl Token {
    /// A fresh random plugin token holding every scope.
    pub fn generate() -> Token {
        Token {
            tier: Tier::Plugin,
            identifier: ids::uuid(),
            key: ids::hex(32),
            scopes: Scopes::all(),
        }
    }

    /// The token as `TIER:IDENTIFIER:KEY`, to hand to a client. It holds the key.
    pub fn credentials(&self) -> String {
        format!("{}:{}:{}", self.tier, self.identifier, self.key)
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("tier", &self.tier)
            .field("identifier", &self.identifier)
            .field("key", &"<redacted>")
            .field("scopes", &self.scopes.to_string())
            .finish()
    }
}

/// Parses `TIER:IDENTIFIER:KEY[:SCOPES]`.
impl FromStr for Token {
    type Err = String;

    fn from_str(text: &str) -> Result<Token, String> {
        let mut fields = text.splitn(4, ':');
        let (Some(tier), Some(identifier), Some(key)) =
            (fields.next(), fields.next(), fields.next())
        else {
            return Err("a token is written TIER:IDENTIFIER:KEY[:SCOPES]".to_owned());
        };
        let tier: Tier = tier
            .trim()
            .parse()
            .map_err(|_| format!("unknown tier `{tier}` (use user or plugin)"))?;
        if identifier.is_empty() || key.is_empty() {
            return Err("a token needs a non-empty identifier and key".to_owned());
        }
        let scopes = match fields.next() {
            None => Scopes::all(),
            Some(scopes) if scopes.trim().is_empty() => Scopes::all(),
            Some(scopes) => scopes.parse()?,
        };
        Ok(Token {
            tier,
            identifier: identifier.to_owned(),
            key: key.to_owned(),
            scopes,
        })
    }
}

/// What the sandbox serves and how.
#[derive(Clone, Debug)]
pub struct Config {
    /// Stateful or examples.
    pub mode: Mode,
    /// The accepted tokens; with none, every request gets `401 invalid_session`
    /// (see [`Config::ensure_token`]).
    pub tokens: Vec<Token>,
    /// The largest request body accepted, in bytes; larger ones get `413 payload_too_large`.
    pub body_limit: usize,
    /// Where [`run`](crate::run) loads the state from at start (if the file exists) and saves
    /// it to on a clean shutdown; stateful mode only.
    pub state_file: Option<PathBuf>,
    /// Where to deliver web hooks for what happens in the sandbox, and how; stateful mode
    /// only.
    pub webhooks: Option<WebhookConfig>,
    /// The socket URL the `connect/endpoints` operations answer, for a sandbox behind a proxy;
    /// by default, `ws://<Host of the request>/rtm/`. Stateful mode only (the real-time API is
    /// served at [`rtm::RTM_PATH`](crate::rtm::RTM_PATH) whatever this says).
    pub rtm_url: Option<RtmUrl>,
}

impl Default for Config {
    /// Stateful, no token, a 2 MiB body limit, no state file, no web hooks, the RTM URL
    /// following each request's `Host`.
    fn default() -> Self {
        Config {
            mode: Mode::Stateful,
            tokens: Vec::new(),
            body_limit: DEFAULT_BODY_LIMIT,
            state_file: None,
            webhooks: None,
            rtm_url: None,
        }
    }
}

impl Config {
    /// Makes sure there is a token: with none, adds a random plugin token and returns it (to
    /// print); with some, returns `None`.
    pub fn ensure_token(&mut self) -> Option<Token> {
        if !self.tokens.is_empty() {
            return None;
        }
        let token = Token::generate();
        self.tokens.push(token.clone());
        Some(token)
    }

    /// The authentication hook accepting the configured tokens.
    pub fn auth(&self) -> StaticTokens {
        self.tokens
            .iter()
            .fold(StaticTokens::new(), |tokens, token| {
                tokens.with_scoped_token(
                    token.tier,
                    token.identifier.clone(),
                    token.key.clone(),
                    token.scopes.clone(),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use crisp_runtime::server::Access;

    use super::*;

    #[test]
    fn tokens_parse_with_and_without_scopes() {
        let token: Token = "user:id-1:key-1".parse().expect("a user token");
        assert_eq!(token.tier, Tier::User);
        assert_eq!(token.credentials(), "user:id-1:key-1");
        assert_eq!(token.scopes, Scopes::all());

        let token: Token =
            "plugin:id:s3cr3t:website:conversation:sessions=write,website:people:profiles=read"
                .parse()
                .expect("a scoped plugin token");
        assert_eq!(token.key, "s3cr3t");
        assert!(
            token
                .scopes
                .allows("website:conversation:sessions", Access::Write)
        );
        assert!(token.scopes.allows("website:people:profiles", Access::Read));
        assert!(
            !token
                .scopes
                .allows("website:people:profiles", Access::Write)
        );
        assert!(!token.scopes.allows("website:campaigns", Access::Read));
        assert!(!format!("{token:?}").contains("s3cr3t"));

        for bad in [
            "",
            "plugin",
            "plugin:id",
            "admin:id:key",
            "user::key",
            "user:id:",
            "plugin:id:key:a=sometimes",
        ] {
            assert!(bad.parse::<Token>().is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn a_token_is_generated_only_when_none_is_given() {
        let mut config = Config::default();
        let token = config.ensure_token().expect("a generated token");
        assert_eq!(token.tier, Tier::Plugin);
        assert_eq!(config.tokens, [token]);
        assert!(config.ensure_token().is_none());
        assert_eq!("examples".parse::<Mode>(), Ok(Mode::Examples));
        assert!("other".parse::<Mode>().is_err());
    }
}
