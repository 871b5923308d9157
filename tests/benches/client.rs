//! The generated client against hand-written `reqwest` code doing the same work, in the same
//! run, over 127.0.0.1 (a local axum server answering fixed bytes on a multi-thread runtime;
//! the calls are driven with `block_on` from the benchmark thread):
//!
//! - **call**: one `getConversation` (retries disabled) against the same request written by
//!   hand: basic auth, `X-Crisp-Tier`, `User-Agent`, `Accept`, read the body, check the
//!   status, `serde_json::from_slice` into `Envelope<Conversation>` and take its `data`; and a
//!   third time by hand with what the client adds to every call (a per-request timeout, the
//!   decode with path tracking), to tell those costs from the rest (span, retry machinery).
//! - **decode**: a page of 1,000 conversations (the spec's example conversation repeated with
//!   varied ids and times, about 2 MB) decoded four ways: a baseline into `serde_json::Value`;
//!   `crisp_runtime::Envelope<Vec<Conversation>>` with plain `serde_json` (the typed decode);
//!   the same through `serde_path_to_error` plus the trailing-data check, which is what the
//!   client's private decoding function (`crisp_runtime::json::from_slice`) does so it can name
//!   the failing path; and, end to end over the local server, `listConversations` with the
//!   generated client against the hand-written `reqwest` + `from_slice` of the same bytes.
//!
//! criterion times each variant in turn, so a machine that slows down between variants (a
//! shared one does) moves their ratio. The ratios are also printed from an interleaved
//! measurement: in each round every variant runs a batch, in a rotating order, and the ratio to
//! the baseline is taken per round; the figure is the median over the rounds.

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::Instant;

use axum::routing::get;
use crisp_client::models::{Conversation, ListConversationsOptions};
use crisp_client::{Client, RetryPolicy, tier};
use crisp_runtime::Envelope;
use crisp_runtime::Tier;
use crisp_runtime::server::Caller;
use crisp_server::WebsiteConversation;
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use serde_json::{Value, json};

const WEBSITE: &str = "8c842203-7ed8-4e29-a608-7cf78a7d2fcc";
const SESSION: &str = "session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881";
const PAGE_SIZE: usize = 1_000;

/// The spec's example conversation (what `crisp_server::examples::Examples` answers).
fn example_conversation(runtime: &tokio::runtime::Runtime) -> Conversation {
    let examples = crisp_server::examples::Examples::new();
    let page = runtime
        .block_on(examples.list_conversations(
            Caller::new("identifier", Tier::Plugin),
            WEBSITE.to_owned(),
            1,
            ListConversationsOptions::default(),
        ))
        .unwrap_or_else(|_| panic!("the example page"));
    page.into_iter().next().expect("one example conversation")
}

/// A success envelope around `data`, as bytes.
fn envelope(data: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({"error": false, "reason": "resolved", "data": data})).expect("JSON")
}

/// 1,000 copies of the example with their own ids, people, fingerprints and times.
fn page_of_conversations(example: &Conversation) -> Vec<u8> {
    let template = serde_json::to_value(example).expect("the example encodes");
    let conversations: Vec<Value> = (0..PAGE_SIZE)
        .map(|i| {
            let mut conversation = template.clone();
            let offset = u64::try_from(i).expect("small") * 60_000;
            conversation["session_id"] =
                json!(format!("session_{i:08x}-85e2-465a-b9ac-ecb5ec2c9881"));
            conversation["people_id"] = json!(format!("{i:08x}-f605-4648-b47f-8c39d4b03a50"));
            conversation["preview_message"]["fingerprint"] = json!(524_653_764_345_u64 + offset);
            for field in ["created_at", "updated_at", "waiting_since"] {
                if let Some(time) = conversation[field].as_u64() {
                    conversation[field] = json!(time - offset);
                }
            }
            conversation["unread"]["operator"] = json!(i % 5);
            conversation
        })
        .collect();
    envelope(Value::Array(conversations))
}

/// Serves the single conversation and the page, as fixed bytes.
fn start_server(runtime: &tokio::runtime::Runtime, one: Vec<u8>, page: Vec<u8>) -> SocketAddr {
    let json = |bytes: Vec<u8>| {
        let bytes = axum::body::Bytes::from(bytes);
        move || {
            let bytes = bytes.clone();
            async move {
                (
                    [(axum::http::header::CONTENT_TYPE, "application/json")],
                    bytes,
                )
            }
        }
    };
    let app = axum::Router::new()
        .route(
            "/v1/website/{website_id}/conversation/{session_id}",
            get(json(one)),
        )
        .route(
            "/v1/website/{website_id}/conversations/{page_number}",
            get(json(page)),
        );
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let addr = listener.local_addr().expect("a local address");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        addr
    })
}

/// The hand-written call: the request the generated client sends, decoded the plain way.
async fn by_hand<T: serde::de::DeserializeOwned>(http: &reqwest::Client, url: &str) -> T {
    let response = http
        .get(url)
        .basic_auth("identifier", Some("key"))
        .header("x-crisp-tier", "plugin")
        .header("user-agent", "bench")
        .header("accept", "application/json")
        .send()
        .await
        .expect("an answer");
    assert!(response.status().is_success());
    let bytes = response.bytes().await.expect("a body");
    let envelope: Envelope<T> = serde_json::from_slice(&bytes).expect("an envelope");
    assert!(!envelope.error);
    envelope.data.expect("data")
}

/// The hand-written call again, with the two things the generated client adds on every call:
/// a per-request timeout (its default 30 s) and the decode with path tracking.
async fn by_hand_like_the_client<T: serde::de::DeserializeOwned>(
    http: &reqwest::Client,
    url: &str,
) -> T {
    let response = http
        .get(url)
        .basic_auth("identifier", Some("key"))
        .header("x-crisp-tier", "plugin")
        .header("user-agent", "bench")
        .header("accept", "application/json")
        .timeout(std::time::Duration::from_secs(30))
        .send()
        .await
        .expect("an answer");
    assert!(response.status().is_success());
    let bytes = response.bytes().await.expect("a body");
    let envelope: Envelope<T> = decode_with_path(&bytes);
    assert!(!envelope.error);
    envelope.data.expect("data")
}

/// What the client's decoding does before it looks at the envelope: decode with path tracking,
/// then refuse anything but whitespace after the document.
fn decode_with_path<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Envelope<T> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let envelope = serde_path_to_error::deserialize(&mut deserializer).expect("an envelope");
    deserializer.end().expect("nothing after the document");
    envelope
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let example = example_conversation(&runtime);
    let one = envelope(serde_json::to_value(&example).expect("the example encodes"));
    let page = page_of_conversations(&example);
    let addr = start_server(&runtime, one, page.clone());
    let base_url = format!("http://{addr}/v1");
    let client: Client<tier::Plugin> = Client::builder()
        .plugin("identifier", "key")
        .base_url(&base_url)
        .retry(RetryPolicy::disabled())
        .user_agent("bench")
        .build()
        .expect("a client");
    let http = reqwest::Client::builder().build().expect("an HTTP client");
    let one_url = format!("{base_url}/website/{WEBSITE}/conversation/{SESSION}");
    let page_url = format!("{base_url}/website/{WEBSITE}/conversations/1");
    let options = ListConversationsOptions::default();

    // Both sides must decode the same thing before they are timed.
    let generated = runtime
        .block_on(
            client
                .website_conversation()
                .get_conversation(WEBSITE, SESSION),
        )
        .expect("the generated call");
    let hand_written: Conversation = runtime.block_on(by_hand(&http, &one_url));
    assert_eq!(generated, hand_written);
    let hand_written_like_the_client: Conversation =
        runtime.block_on(by_hand_like_the_client(&http, &one_url));
    assert_eq!(generated, hand_written_like_the_client);
    assert_eq!(generated, example);
    let listed = runtime
        .block_on(
            client
                .website_conversation()
                .list_conversations(WEBSITE, 1, &options),
        )
        .expect("the generated list");
    let listed_by_hand: Vec<Conversation> = runtime.block_on(by_hand(&http, &page_url));
    assert_eq!(listed.len(), PAGE_SIZE);
    assert_eq!(listed, listed_by_hand);
    assert_eq!(
        decode_with_path::<Vec<Conversation>>(&page).data.as_ref(),
        Some(&listed)
    );

    let mut group = c.benchmark_group("call");
    group.bench_function("getConversation: hand-written reqwest", |b| {
        b.iter(|| runtime.block_on(by_hand::<Conversation>(&http, &one_url)))
    });
    group.bench_function(
        "getConversation: hand-written reqwest + 30 s timeout + path tracking",
        |b| b.iter(|| runtime.block_on(by_hand_like_the_client::<Conversation>(&http, &one_url))),
    );
    group.bench_function("getConversation: generated client", |b| {
        b.iter(|| {
            runtime
                .block_on(
                    client
                        .website_conversation()
                        .get_conversation(WEBSITE, SESSION),
                )
                .expect("an answer")
        })
    });
    group.finish();

    interleaved(
        "call/getConversation",
        51,
        100,
        &mut [
            ("hand-written reqwest", &mut || {
                runtime.block_on(by_hand::<Conversation>(&http, &one_url));
            }),
            (
                "hand-written reqwest + 30 s timeout + path tracking",
                &mut || {
                    runtime.block_on(by_hand_like_the_client::<Conversation>(&http, &one_url));
                },
            ),
            ("generated client", &mut || {
                runtime
                    .block_on(
                        client
                            .website_conversation()
                            .get_conversation(WEBSITE, SESSION),
                    )
                    .expect("an answer");
            }),
        ],
    );

    let mut group = c.benchmark_group("decode");
    group.sampling_mode(SamplingMode::Flat).sample_size(30);
    group.bench_function("1000 conversations: serde_json::Value", |b| {
        b.iter(|| serde_json::from_slice::<Value>(black_box(&page)).expect("JSON"))
    });
    group.bench_function("1000 conversations: Envelope<Vec<Conversation>>", |b| {
        b.iter(|| {
            serde_json::from_slice::<Envelope<Vec<Conversation>>>(black_box(&page))
                .expect("an envelope")
        })
    });
    group.bench_function(
        "1000 conversations: Envelope<Vec<Conversation>> with path tracking",
        |b| b.iter(|| decode_with_path::<Vec<Conversation>>(black_box(&page))),
    );
    group.bench_function(
        "1000 conversations over 127.0.0.1: hand-written reqwest",
        |b| b.iter(|| runtime.block_on(by_hand::<Vec<Conversation>>(&http, &page_url))),
    );
    group.bench_function("1000 conversations over 127.0.0.1: generated client", |b| {
        b.iter(|| {
            runtime
                .block_on(
                    client
                        .website_conversation()
                        .list_conversations(WEBSITE, 1, &options),
                )
                .expect("a page")
        })
    });
    group.finish();
    interleaved(
        "decode/1000 conversations over 127.0.0.1",
        31,
        3,
        &mut [
            ("hand-written reqwest", &mut || {
                runtime.block_on(by_hand::<Vec<Conversation>>(&http, &page_url));
            }),
            ("generated client", &mut || {
                runtime
                    .block_on(
                        client
                            .website_conversation()
                            .list_conversations(WEBSITE, 1, &options),
                    )
                    .expect("a page");
            }),
        ],
    );
}

/// Runs `variants` in alternation for `rounds` rounds of `batch` calls each (the order rotating
/// every round) and prints each one's median time per call and the median over the rounds of
/// its time divided by the first variant's time in the same round.
fn interleaved(name: &str, rounds: usize, batch: usize, variants: &mut [(&str, &mut dyn FnMut())]) {
    let mut times = vec![Vec::with_capacity(rounds); variants.len()];
    for round in 0..rounds {
        for turn in 0..variants.len() {
            let index = (round + turn) % variants.len();
            let started = Instant::now();
            for _ in 0..batch {
                (variants[index].1)();
            }
            times[index].push(started.elapsed().as_secs_f64() / batch as f64);
        }
    }
    let baseline = times[0].clone();
    for ((label, _), times) in variants.iter().zip(&times) {
        let ratios = times
            .iter()
            .zip(&baseline)
            .map(|(time, base)| time / base)
            .collect();
        println!(
            "{name}: {label}: {:.1} µs per call, {:.2}× the first (interleaved, median of {rounds} rounds)",
            median(times.clone()) * 1e6,
            median(ratios),
        );
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

criterion_group!(benches, bench);
criterion_main!(benches);
