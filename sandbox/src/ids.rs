//! Random identifiers: website, session and people ids, message fingerprints and generated keys.
//!
//! The randomness comes from the standard library's `RandomState`, whose keys the operating
//! system seeds once per process, mixed with a counter, the time and the process id. That is
//! plenty for a sandbox's ids and its throw-away token; it is not meant for real secrets.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Returns 64 random bits.
pub fn random_u64() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.write_u128(nanos);
    hasher.write_u32(std::process::id());
    hasher.finish()
}

/// Returns a random version-4 UUID in its usual text form, e.g.
/// `700c65e1-85e2-465a-b9ac-ecb5ec2c9881`.
pub fn uuid() -> String {
    let high = random_u64();
    let low = random_u64();
    // Version 4 in the 13th hex digit, variant 10xx in the 17th.
    let high = (high & 0xffff_ffff_ffff_0fff) | 0x0000_0000_0000_4000;
    let low = (low & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        high >> 32,
        (high >> 16) & 0xffff,
        high & 0xffff,
        low >> 48,
        low & 0xffff_ffff_ffff
    )
}

/// Returns a new conversation session id, `session_<uuid>` as Crisp makes them.
pub fn session_id() -> String {
    format!("session_{}", uuid())
}

/// Returns a new message fingerprint: a positive number of 12 digits, like Crisp's.
pub fn fingerprint() -> i64 {
    const LOW: u64 = 100_000_000_000;
    const SPAN: u64 = 900_000_000_000;
    // Both bounds fit in an i64 by a wide margin.
    i64::try_from(LOW + random_u64() % SPAN).unwrap_or(i64::MAX)
}

/// Returns `bytes` random bytes as lower-case hex.
pub fn hex(bytes: usize) -> String {
    let mut text = String::with_capacity(bytes * 2);
    while text.len() < bytes * 2 {
        text.push_str(&format!("{:016x}", random_u64()));
    }
    text.truncate(bytes * 2);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_have_the_usual_shape_and_differ() {
        let first = uuid();
        let second = uuid();
        assert_ne!(first, second);
        let groups: Vec<usize> = first.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12]);
        assert_eq!(first.chars().nth(14), Some('4'));
        assert!(session_id().starts_with("session_"));
    }

    #[test]
    fn fingerprints_have_twelve_digits_and_keys_the_asked_length() {
        for _ in 0..100 {
            let fingerprint = fingerprint();
            assert_eq!(fingerprint.to_string().len(), 12);
        }
        assert_eq!(hex(32).len(), 64);
        assert_eq!(hex(3).len(), 6);
    }
}
