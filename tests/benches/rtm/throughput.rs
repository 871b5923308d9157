//! The throughput phase: calls fired back to back while a task drains the stream, timed to
//! the last answer and to the last event.

use std::time::{Duration, Instant};

use crisp_client::models::Event;
use crisp_client::rtm::Subscription;

use crate::SETUP_TIMEOUT;
use crate::sandbox::{Calls, check, next_item};

/// What the throughput phase measured, over every round.
#[derive(Default)]
pub(crate) struct Throughput {
    /// From each round's first call's start to its last event.
    pub(crate) to_last_event: Duration,
    /// From each round's first call's start to its last call's answer.
    pub(crate) to_last_answer: Duration,
}

/// `count` calls back to back while a task drains the stream; the subscription ends with it.
pub(crate) async fn throughput(
    calls: &mut Calls,
    mut subscription: Subscription<Event>,
    count: usize,
    throughput: &mut Throughput,
) {
    let session = calls.session.clone();
    let first = calls.made;
    let consumer = tokio::spawn(async move {
        let mut last = None;
        for index in first..first + count {
            check(
                next_item(&mut subscription).await,
                &session,
                &Calls::state(index),
            );
            last = Some(Instant::now());
        }
        last
    });
    let start = Instant::now();
    for _ in 0..count {
        calls.next().await;
    }
    throughput.to_last_answer += start.elapsed();
    let last_event = tokio::time::timeout(SETUP_TIMEOUT, consumer)
        .await
        .expect("every event arrives in time")
        .expect("the consumer does not panic");
    if let Some(last_event) = last_event {
        throughput.to_last_event += last_event - start;
    }
}
