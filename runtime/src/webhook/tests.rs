//! The test vectors of the web hook reference, and the verifier's refusals.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::*;

/// One delivery: secret, timestamp header, exact body, expected signature.
struct Vector {
    secret: &'static str,
    timestamp: &'static str,
    body: &'static str,
    signature: &'static str,
}

/// V1: an ASCII `message:send`.
const V1: Vector = Vector {
    secret: "whsec-test-0001",
    timestamp: "1700000000000",
    body: r#"{"website_id":"8c842203-7ed8-4e29-a608-7cf78a7d2fcc","event":"message:send","data":{"website_id":"8c842203-7ed8-4e29-a608-7cf78a7d2fcc","session_id":"session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881","inbox_id":null,"type":"text","from":"user","origin":"chat","content":"Hello there","fingerprint":170000000000001,"timestamp":1700000000000,"user":{"user_id":"session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881","nickname":"visitor1"}},"timestamp":1700000000000}"#,
    signature: "617b39d4bcc880ddd764c905631bf7ba0a25226c33cbd94e019ec38d6af267f2",
};

/// V2: a `message:received` with accents, an emoji and CJK as raw UTF-8.
const V2: Vector = Vector {
    secret: "whsec-test-0002",
    timestamp: "1712345678901",
    body: r#"{"website_id":"8c842203-7ed8-4e29-a608-7cf78a7d2fcc","event":"message:received","data":{"website_id":"8c842203-7ed8-4e29-a608-7cf78a7d2fcc","session_id":"session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881","inbox_id":null,"type":"text","from":"operator","origin":"chat","content":"Bonjour, ça va ? Très bien 👋 日本語","fingerprint":171234567890123,"timestamp":1712345678901,"user":{"user_id":"b2e5bb88-7e56-4a83-aa33-33a6e1c3c5a9","nickname":"Zoë Ångström"}},"timestamp":1712345678901}"#,
    signature: "2d7f7e9968fbd4c65e163d0450f0e505f88cd356196206366b36cdff8946e08f",
};

/// V3: a `session:set_state`.
const V3: Vector = Vector {
    secret: "0123456789abcdef0123456789abcdef",
    timestamp: "1735689600000",
    body: r#"{"website_id":"42286ab3-b29a-4fde-8538-da0ae501d825","event":"session:set_state","data":{"website_id":"42286ab3-b29a-4fde-8538-da0ae501d825","session_id":"session_36ba3566-9651-4790-afc8-ffedbccc317f","inbox_id":null,"state":"resolved"},"timestamp":1735689600000}"#,
    signature: "fb08ecb487448f1476f51fe6ad589be3114ec46ecec112ad15a4f7a0d7a55654",
};

/// The divergence example: V2's secret and timestamp, its body with every non-ASCII
/// character as a `\uXXXX` escape and a space after `"event":`; signed over these bytes.
const ESCAPED: Vector = Vector {
    secret: "whsec-test-0002",
    timestamp: "1712345678901",
    body: r#"{"website_id":"8c842203-7ed8-4e29-a608-7cf78a7d2fcc","event": "message:received","data":{"website_id":"8c842203-7ed8-4e29-a608-7cf78a7d2fcc","session_id":"session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881","inbox_id":null,"type":"text","from":"operator","origin":"chat","content":"Bonjour, \u00e7a va ? Tr\u00e8s bien \ud83d\udc4b \u65e5\u672c\u8a9e","fingerprint":171234567890123,"timestamp":1712345678901,"user":{"user_id":"b2e5bb88-7e56-4a83-aa33-33a6e1c3c5a9","nickname":"Zo\u00eb \u00c5ngstr\u00f6m"}},"timestamp":1712345678901}"#,
    signature: "7b1363f445e6e3b4941220ed31835fd01d2d058120363e8c15bd695b61d63d3f",
};

/// The time a vector's timestamp names, plus `offset_ms`.
fn at(timestamp: &str, offset_ms: i64) -> SystemTime {
    let base = UNIX_EPOCH + Duration::from_millis(timestamp.parse().expect("a vector timestamp"));
    let offset = Duration::from_millis(offset_ms.unsigned_abs());
    if offset_ms >= 0 {
        base + offset
    } else {
        base - offset
    }
}

/// Verifies `vector`'s body and timestamp against `signature`, one second after signing.
fn verify(vector: &Vector, body: &[u8], signature: &str) -> Result<(), VerifyError> {
    Verifier::new(vector.secret).verify_at(
        vector.timestamp,
        body,
        signature,
        at(vector.timestamp, 1000),
    )
}

#[test]
fn the_three_vectors_sign_and_verify() {
    assert_eq!(V1.body.len(), 451);
    assert_eq!(V2.body.len(), 490);
    assert_eq!(V3.body.len(), 263);
    for vector in [&V1, &V2, &V3] {
        assert_eq!(
            sign(vector.secret, vector.timestamp, vector.body.as_bytes()),
            vector.signature
        );
        assert_eq!(
            verify(vector, vector.body.as_bytes(), vector.signature),
            Ok(())
        );
    }
}

#[test]
fn raw_bytes_are_verified_not_their_json_meaning() {
    // The escaped body means the same JSON as V2 but is other bytes: it verifies against the
    // signature of its own bytes, not against V2's (the Node client would do the reverse).
    assert_eq!(
        sign(ESCAPED.secret, ESCAPED.timestamp, ESCAPED.body.as_bytes()),
        ESCAPED.signature
    );
    assert_eq!(
        verify(&ESCAPED, ESCAPED.body.as_bytes(), ESCAPED.signature),
        Ok(())
    );
    assert_eq!(
        verify(&ESCAPED, ESCAPED.body.as_bytes(), V2.signature),
        Err(VerifyError::Mismatch)
    );
    assert_eq!(
        verify(&V2, V2.body.as_bytes(), ESCAPED.signature),
        Err(VerifyError::Mismatch)
    );
    let same_meaning: serde_json::Value = serde_json::from_str(ESCAPED.body).expect("JSON");
    assert_eq!(
        same_meaning,
        serde_json::from_str::<serde_json::Value>(V2.body).expect("JSON")
    );
}

#[test]
fn upper_and_mixed_case_hex_are_accepted() {
    assert_eq!(
        verify(&V1, V1.body.as_bytes(), &V1.signature.to_ascii_uppercase()),
        Ok(())
    );
    let mixed: String = V3
        .signature
        .chars()
        .enumerate()
        .map(|(index, digit)| {
            if index % 2 == 0 {
                digit.to_ascii_uppercase()
            } else {
                digit
            }
        })
        .collect();
    assert_eq!(verify(&V3, V3.body.as_bytes(), &mixed), Ok(()));
}

#[test]
fn a_flipped_byte_anywhere_is_a_mismatch() {
    let body = V1.body.as_bytes();
    for index in [0, 1, body.len() / 2, body.len() - 1] {
        let mut altered = body.to_vec();
        altered[index] ^= 0x01;
        assert_eq!(
            verify(&V1, &altered, V1.signature),
            Err(VerifyError::Mismatch),
            "byte {index}"
        );
    }
    let mut signature = V1.signature.to_owned().into_bytes();
    signature[10] = if signature[10] == b'0' { b'1' } else { b'0' };
    let signature = String::from_utf8(signature).expect("ASCII");
    assert_eq!(verify(&V1, body, &signature), Err(VerifyError::Mismatch));
    // The timestamp is signed too: another one with the same body does not verify.
    let later = Verifier::new(V1.secret).verify_at(
        "1700000000001",
        body,
        V1.signature,
        at(V1.timestamp, 0),
    );
    assert_eq!(later, Err(VerifyError::Mismatch));
}

#[test]
fn the_wrong_secret_is_a_mismatch() {
    let verifier = Verifier::new("whsec-test-0002");
    assert_eq!(
        verifier.verify_at(
            V1.timestamp,
            V1.body.as_bytes(),
            V1.signature,
            at(V1.timestamp, 0)
        ),
        Err(VerifyError::Mismatch)
    );
    assert_eq!(
        Verifier::new("").verify_at(
            V1.timestamp,
            V1.body.as_bytes(),
            V1.signature,
            at(V1.timestamp, 0)
        ),
        Err(VerifyError::Mismatch)
    );
}

#[test]
fn malformed_or_missing_headers_are_named() {
    let body = V1.body.as_bytes();
    let now = at(V1.timestamp, 0);
    let verifier = Verifier::new(V1.secret);
    let check =
        |timestamp: &str, signature: &str| verifier.verify_at(timestamp, body, signature, now);
    assert_eq!(check("", V1.signature), Err(VerifyError::MissingTimestamp));
    assert_eq!(check(V1.timestamp, ""), Err(VerifyError::MissingSignature));
    for timestamp in [
        "abc",
        "+1700000000000",
        " 1700000000000",
        "1700000000000.0",
        "-1",
        "1e12",
        "123456789012345678901",
        "99999999999999999999",
    ] {
        assert_eq!(
            check(timestamp, V1.signature),
            Err(VerifyError::MalformedTimestamp),
            "{timestamp:?}"
        );
    }
    let too_short = &V1.signature[..62];
    let too_long = format!("{}00", V1.signature);
    let not_hex = format!("{}zz", &V1.signature[..62]);
    let prefixed = format!("sha256={}", V1.signature);
    let non_ascii = format!("{}é", &V1.signature[..62]);
    for signature in [too_short, &too_long, &not_hex, &prefixed, &non_ascii, "0"] {
        assert_eq!(
            check(V1.timestamp, signature),
            Err(VerifyError::MalformedSignature),
            "{signature:?}"
        );
    }
}

#[test]
fn stale_and_future_deliveries_are_refused_at_the_window() {
    let verifier = Verifier::new(V3.secret);
    let check = |offset_ms: i64| {
        verifier.verify_at(
            V3.timestamp,
            V3.body.as_bytes(),
            V3.signature,
            at(V3.timestamp, offset_ms),
        )
    };
    let window_ms = 5 * 60 * 1000;
    assert_eq!(verifier.window(), DEFAULT_WINDOW);
    assert_eq!(check(0), Ok(()));
    assert_eq!(check(window_ms), Ok(()));
    assert_eq!(check(-window_ms), Ok(()));
    assert_eq!(
        check(window_ms + 1),
        Err(VerifyError::Stale {
            age: Duration::from_millis(300_001),
            window: DEFAULT_WINDOW
        })
    );
    assert_eq!(
        check(-window_ms - 1),
        Err(VerifyError::FromTheFuture {
            ahead: Duration::from_millis(300_001),
            window: DEFAULT_WINDOW
        })
    );
    // A year-old delivery, and one signed "now" by a forger, are both refused; the forgery
    // as a mismatch, since freshness is only judged for authentic deliveries.
    assert!(matches!(
        check(365 * 24 * 3600 * 1000),
        Err(VerifyError::Stale { .. })
    ));
    assert_eq!(
        verifier.verify_at(
            V3.timestamp,
            V3.body.as_bytes(),
            V1.signature,
            at(V3.timestamp, 10 * window_ms)
        ),
        Err(VerifyError::Mismatch)
    );
}

#[test]
fn the_window_is_configurable() {
    let narrow = Verifier::new(V2.secret).with_window(Duration::from_secs(2));
    assert_eq!(narrow.window(), Duration::from_secs(2));
    let check = |verifier: &Verifier, offset_ms: i64| {
        verifier.verify_at(
            V2.timestamp,
            V2.body.as_bytes(),
            V2.signature,
            at(V2.timestamp, offset_ms),
        )
    };
    assert_eq!(check(&narrow, 2000), Ok(()));
    assert!(matches!(
        check(&narrow, 2001),
        Err(VerifyError::Stale { .. })
    ));
    assert!(matches!(
        check(&narrow, -2001),
        Err(VerifyError::FromTheFuture { .. })
    ));
    let wide = Verifier::new(V2.secret).with_window(Duration::from_secs(24 * 3600));
    assert_eq!(check(&wide, 23 * 3600 * 1000), Ok(()));
    // The current time is used by `verify`: a vector from 2024 is long stale.
    assert!(matches!(
        Verifier::new(V2.secret).verify(V2.timestamp, V2.body.as_bytes(), V2.signature),
        Err(VerifyError::Stale { .. })
    ));
}

#[test]
fn the_secret_never_shows() {
    let secret = "whsec-very-secret-value";
    let verifier = Verifier::new(secret);
    let debug = format!("{verifier:?}");
    assert!(!debug.contains(secret), "{debug}");
    assert!(debug.contains("<redacted>"), "{debug}");
    let timestamp = "1700000000000";
    let body = br#"{"event":"session:removed"}"#;
    let signature = sign(secret, timestamp, body);
    let errors = [
        verifier.verify_at("", body, &signature, at(timestamp, 0)),
        verifier.verify_at("x", body, &signature, at(timestamp, 0)),
        verifier.verify_at(timestamp, body, "", at(timestamp, 0)),
        verifier.verify_at(timestamp, body, "zz", at(timestamp, 0)),
        verifier.verify_at(timestamp, b"{}", &signature, at(timestamp, 0)),
        verifier.verify_at(timestamp, body, &signature, at(timestamp, 3_600_000)),
        verifier.verify_at(timestamp, body, &signature, at(timestamp, -3_600_000)),
    ];
    for error in errors {
        let error = error.expect_err("refused");
        for shown in [error.to_string(), format!("{error:?}")] {
            assert!(!shown.contains(secret), "{shown}");
            assert!(!shown.contains(&signature), "{shown}");
            assert!(!shown.contains("session:removed"), "{shown}");
        }
    }
    assert_eq!(
        VerifyError::Stale {
            age: Duration::from_millis(301_000),
            window: DEFAULT_WINDOW
        }
        .to_string(),
        "the delivery was signed 301000 ms ago, more than the 300000 ms allowed"
    );
}
