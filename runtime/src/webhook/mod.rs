//! Crisp web hooks: signing and verifying deliveries, and (with the `webhook-server`
//! feature) an axum `Receiver` for them.
//!
//! Crisp delivers an event by POSTing a JSON body `{"website_id", "event", "data",
//! "timestamp"}` to the hook URL, with two headers that authenticate it (plugin hooks only;
//! website hooks are not signed):
//!
//! - `X-Crisp-Request-Timestamp` ([`TIMESTAMP_HEADER`]): when the delivery was emitted, in
//!   **milliseconds since the Unix epoch**, as a decimal string;
//! - `X-Crisp-Signature` ([`SIGNATURE_HEADER`]): the HMAC-SHA256 of
//!   `[` + timestamp header + `;` + raw body bytes + `]`, keyed with the plugin's signing
//!   secret, in hexadecimal.
//!
//! [`sign`] computes that signature; a [`Verifier`] checks it over the **raw bytes** of the
//! body, as the official Go client does (the Node client re-serializes the parsed body
//! instead, which only agrees when Crisp's bytes are already in `JSON.stringify` form), and
//! also refuses a delivery whose timestamp is outside its window ([`DEFAULT_WINDOW`], five
//! minutes either way), so a captured delivery cannot be replayed later. The signature is
//! compared in constant time.
//!
//! ```
//! use std::time::Duration;
//! use crisp_runtime::webhook::{Verifier, VerifyError, sign};
//!
//! let body = br#"{"website_id":"w","event":"session:removed","data":{},"timestamp":1}"#;
//! let timestamp = "1700000000000";
//! let signature = sign("my-signing-secret", timestamp, body);
//! let verifier = Verifier::new("my-signing-secret").with_window(Duration::from_secs(60));
//! let at = std::time::UNIX_EPOCH + Duration::from_millis(1_700_000_001_000);
//! assert_eq!(verifier.verify_at(timestamp, body, &signature, at), Ok(()));
//! assert_eq!(
//!     verifier.verify_at(timestamp, b"{}", &signature, at),
//!     Err(VerifyError::Mismatch)
//! );
//! ```

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

#[cfg(feature = "webhook-server")]
mod receiver;
#[cfg(feature = "webhook-server")]
pub use self::receiver::{DEFAULT_BODY_LIMIT, DEFAULT_REPLAY_CAPACITY, Receiver};

#[cfg(test)]
mod tests;

/// The header holding the signature: lowercase hex HMAC-SHA256 (64 digits).
pub const SIGNATURE_HEADER: &str = "x-crisp-signature";
/// The header holding the signed timestamp: milliseconds since the Unix epoch.
pub const TIMESTAMP_HEADER: &str = "x-crisp-request-timestamp";
/// The header counting delivery attempts: `1` for the first.
pub const ATTEMPT_COUNT_HEADER: &str = "x-delivery-attempt-count";
/// The header giving how many attempts will be made at most.
pub const ATTEMPT_LIMIT_HEADER: &str = "x-delivery-attempt-limit";
/// The header naming where the hook comes from (informative, not signed).
pub const HOOK_ORIGIN_HEADER: &str = "x-crisp-hook-origin";

/// How far a delivery's timestamp may be from the verifier's clock, in the past or in the
/// future: five minutes.
///
/// Neither official client checks freshness, so this is not Crisp's number: it is the
/// tolerance that signed web hook schemes commonly use, wide enough for ordinary clock skew
/// and network delay, short enough to make a captured delivery useless soon.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(5 * 60);

/// The length of an HMAC-SHA256 tag, in bytes.
const TAG_LEN: usize = 32;

/// HMAC-SHA256.
type HmacSha256 = Hmac<Sha256>;

/// HMAC-SHA256 keyed with `secret`, fed `[timestamp;body]`.
fn signed_message(secret: &[u8], timestamp: &str, body: &[u8]) -> HmacSha256 {
    let mut mac = match HmacSha256::new_from_slice(secret) {
        Ok(mac) => mac,
        // HMAC takes a key of any length (RFC 2104 hashes long keys and pads short ones), so
        // `new_from_slice` has no error to report; `hmac`'s own `KeyInit::new` relies on it.
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    };
    mac.update(b"[");
    mac.update(timestamp.as_bytes());
    mac.update(b";");
    mac.update(body);
    mac.update(b"]");
    mac
}

/// Signs a delivery as Crisp does: the lowercase hex HMAC-SHA256 of
/// `[` + `timestamp` + `;` + `body` + `]`, keyed with `secret`.
///
/// `timestamp` is the exact `X-Crisp-Request-Timestamp` header string (milliseconds since
/// the Unix epoch) and `body` the exact bytes sent. Used by the sandbox to sign what it
/// delivers, and by tests.
pub fn sign(secret: impl AsRef<[u8]>, timestamp: &str, body: &[u8]) -> String {
    let tag = signed_message(secret.as_ref(), timestamp, body).finalize();
    hex::encode(tag.into_bytes())
}

/// Checks deliveries against a plugin's signing secret and a freshness window.
///
/// Its `Debug` output never shows the secret.
#[derive(Clone)]
pub struct Verifier {
    secret: Vec<u8>,
    window: Duration,
}

/// What a successful check learnt: the timestamp and the signature's bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Verified {
    /// The signed timestamp, in milliseconds since the Unix epoch.
    #[cfg_attr(not(feature = "webhook-server"), allow(dead_code))]
    pub(crate) timestamp_ms: u64,
    /// The decoded signature.
    #[cfg_attr(not(feature = "webhook-server"), allow(dead_code))]
    pub(crate) tag: [u8; TAG_LEN],
}

impl Verifier {
    /// A verifier for the plugin signing secret `secret`, with the [`DEFAULT_WINDOW`].
    pub fn new(secret: impl Into<Vec<u8>>) -> Self {
        Self {
            secret: secret.into(),
            window: DEFAULT_WINDOW,
        }
    }

    /// Sets how far a delivery's timestamp may be from now, in the past or in the future.
    #[must_use]
    pub fn with_window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    /// The freshness window.
    pub fn window(&self) -> Duration {
        self.window
    }

    /// Checks a delivery against the current time; see [`Verifier::verify_at`].
    ///
    /// # Errors
    ///
    /// As [`Verifier::verify_at`].
    pub fn verify(&self, timestamp: &str, body: &[u8], signature: &str) -> Result<(), VerifyError> {
        self.verify_at(timestamp, body, signature, SystemTime::now())
    }

    /// Checks a delivery as if the time were `now`.
    ///
    /// `timestamp` is the `X-Crisp-Request-Timestamp` header exactly as received (decimal
    /// milliseconds since the Unix epoch), `body` the raw request body, `signature` the
    /// `X-Crisp-Signature` header (hex, either case). The checks run in this order: the
    /// timestamp's form, the signature's form, the signature itself (in constant time), then
    /// the timestamp's freshness, so [`VerifyError::Stale`] and
    /// [`VerifyError::FromTheFuture`] are only reported for deliveries signed with the
    /// secret.
    ///
    /// # Errors
    ///
    /// - [`VerifyError::MissingTimestamp`] / [`VerifyError::MissingSignature`] for an empty
    ///   header value;
    /// - [`VerifyError::MalformedTimestamp`] unless the timestamp is 1 to 20 ASCII digits
    ///   naming a representable time;
    /// - [`VerifyError::MalformedSignature`] unless the signature is 64 hex digits;
    /// - [`VerifyError::Mismatch`] if the signature is not the one of this timestamp and body
    ///   under this secret;
    /// - [`VerifyError::Stale`] / [`VerifyError::FromTheFuture`] if the timestamp is more than
    ///   the window before / after `now`.
    pub fn verify_at(
        &self,
        timestamp: &str,
        body: &[u8],
        signature: &str,
        now: SystemTime,
    ) -> Result<(), VerifyError> {
        self.check(timestamp, body, signature, now).map(|_| ())
    }

    /// [`Verifier::verify_at`], returning what the receiver needs to spot replays.
    pub(crate) fn check(
        &self,
        timestamp: &str,
        body: &[u8],
        signature: &str,
        now: SystemTime,
    ) -> Result<Verified, VerifyError> {
        if timestamp.is_empty() {
            return Err(VerifyError::MissingTimestamp);
        }
        let timestamp_ms = parse_timestamp(timestamp).ok_or(VerifyError::MalformedTimestamp)?;
        let signed_at = UNIX_EPOCH
            .checked_add(Duration::from_millis(timestamp_ms))
            .ok_or(VerifyError::MalformedTimestamp)?;
        if signature.is_empty() {
            return Err(VerifyError::MissingSignature);
        }
        let mut tag = [0_u8; TAG_LEN];
        hex::decode_to_slice(signature, &mut tag).map_err(|_| VerifyError::MalformedSignature)?;
        signed_message(&self.secret, timestamp, body)
            .verify_slice(&tag)
            .map_err(|_| VerifyError::Mismatch)?;
        match now.duration_since(signed_at) {
            Ok(age) if age > self.window => Err(VerifyError::Stale {
                age,
                window: self.window,
            }),
            Err(early) if early.duration() > self.window => Err(VerifyError::FromTheFuture {
                ahead: early.duration(),
                window: self.window,
            }),
            _ => Ok(Verified { timestamp_ms, tag }),
        }
    }
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("secret", &"<redacted>")
            .field("window", &self.window)
            .finish()
    }
}

/// Reads a timestamp of 1 to 20 ASCII digits (no sign, no spaces) as milliseconds.
fn parse_timestamp(timestamp: &str) -> Option<u64> {
    let digits_only = !timestamp.is_empty()
        && timestamp.len() <= 20
        && timestamp.bytes().all(|byte| byte.is_ascii_digit());
    if digits_only {
        timestamp.parse().ok()
    } else {
        None
    }
}

/// Why a delivery was refused. Its messages name headers and durations, never the secret,
/// the signature or the body.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The `X-Crisp-Request-Timestamp` header is missing or empty.
    #[error("the X-Crisp-Request-Timestamp header is missing")]
    MissingTimestamp,
    /// The timestamp is not a number of milliseconds since the Unix epoch.
    #[error(
        "the X-Crisp-Request-Timestamp header is not a number of milliseconds since the Unix epoch"
    )]
    MalformedTimestamp,
    /// The `X-Crisp-Signature` header is missing or empty.
    #[error("the X-Crisp-Signature header is missing")]
    MissingSignature,
    /// The signature is not 64 hexadecimal digits.
    #[error("the X-Crisp-Signature header is not 64 hexadecimal digits")]
    MalformedSignature,
    /// The signature is not the one of this timestamp and body under the secret: the
    /// delivery was forged or altered, or the secret is not the plugin's.
    #[error("the signature does not match the timestamp and body")]
    Mismatch,
    /// The delivery is authentic but was signed longer ago than the window allows: a replay,
    /// a long delay, or a slow clock on one side.
    #[error(
        "the delivery was signed {} ms ago, more than the {} ms allowed",
        .age.as_millis(),
        .window.as_millis()
    )]
    Stale {
        /// How long ago it was signed.
        age: Duration,
        /// The verifier's window.
        window: Duration,
    },
    /// The delivery is authentic but dated further in the future than the window allows:
    /// a clock running ahead on one side.
    #[error(
        "the delivery is dated {} ms in the future, more than the {} ms allowed",
        .ahead.as_millis(),
        .window.as_millis()
    )]
    FromTheFuture {
        /// How far ahead of the verifier's clock it is dated.
        ahead: Duration,
        /// The verifier's window.
        window: Duration,
    },
}
