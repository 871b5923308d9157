//! The `--state` file: written when the sandbox stops, read when it starts again, so a
//! conversation outlives a restart; a file that is not a state is refused, not overwritten.

use std::path::PathBuf;

use crisp_models::MessageContent;
use crisp_sandbox::state::SEED_WEBSITE_ID;
use crisp_sandbox::{Config, Mode, State};

use super::harness::{Running, config, text_message};

/// A state file path of its own for one test, removed when dropped.
struct StateFile(PathBuf);

impl StateFile {
    fn new(name: &str) -> StateFile {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_nanos());
        StateFile(std::env::temp_dir().join(format!(
            "crisp-sandbox-{name}-{}-{nanos}.json",
            std::process::id()
        )))
    }
}

impl Drop for StateFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[tokio::test]
async fn the_state_file_carries_a_conversation_across_restarts() {
    let file = StateFile::new("round-trip");
    let with_file = || Config {
        state_file: Some(file.0.clone()),
        ..config(Mode::Stateful)
    };
    let website = SEED_WEBSITE_ID;

    // First run: no file yet, so the seeded state; a conversation is made.
    let first = Running::start(with_file()).await;
    let client = first.plugin();
    let session = client
        .website_conversation()
        .create_new_conversation(website)
        .await
        .expect("a conversation")
        .session_id
        .expect("a session id");
    let fingerprint = client
        .website_conversation()
        .send_message_in_conversation(
            website,
            &session,
            &text_message("user", "Still there after a restart?"),
        )
        .await
        .expect("a message")
        .fingerprint
        .expect("a fingerprint");
    let before = client
        .website_conversation()
        .get_conversation(website, &session)
        .await
        .expect("the conversation");
    drop(client);
    let saved = first.stop().await;
    assert_eq!(State::load(&file.0).expect("the saved state"), saved);

    // Second run: the same conversation, message and all.
    let second = Running::start(with_file()).await;
    let client = second.plugin();
    let after = client
        .website_conversation()
        .get_conversation(website, &session)
        .await
        .expect("the conversation");
    assert_eq!(after, before);
    let message = client
        .website_conversation()
        .get_message_in_conversation(website, &session, fingerprint)
        .await
        .expect("the message");
    assert_eq!(
        message.content,
        Some(MessageContent::String(
            "Still there after a restart?".to_owned()
        ))
    );
    // New timestamps still come after the saved ones.
    client
        .website_conversation()
        .send_message_in_conversation(website, &session, &text_message("operator", "Yes."))
        .await
        .expect("a reply");
    drop(client);
    let resaved = second.stop().await;
    let messages = &resaved
        .website(website)
        .expect("the website")
        .conversation(&session)
        .expect("the conversation")
        .messages;
    assert_eq!(messages.len(), 2);
    assert!(messages[0].timestamp < messages[1].timestamp);

    // A file that is not a state is refused, not overwritten.
    std::fs::write(&file.0, b"not a state").expect("write a broken state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let refused = crisp_sandbox::run(with_file(), listener, async {})
        .await
        .expect_err("a broken state file");
    assert!(
        matches!(refused, crisp_sandbox::Error::State(_)),
        "{refused}"
    );
    assert_eq!(std::fs::read(&file.0).expect("the file"), b"not a state");
}
