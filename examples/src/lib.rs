//! Runnable examples of the generated Crisp client (`crisp-client`).
//!
//! The examples are the programs under `examples/examples/`, each a small, self-contained
//! program to read and copy from. This library holds the one piece the test suite also runs:
//! the [`bot`], over the real-time API or web hooks.
//!
//! | example | what it shows |
//! | --- | --- |
//! | `send_message` | create a conversation (or use `CRISP_SESSION_ID`), send a text message, mark the conversation resolved and read its state back |
//! | `walk_people` | every people profile of a website through `list_people_profiles_stream`, with optional search and sort flags |
//! | `bot` | a bot that answers each visitor message ([`bot`]), over the real-time API (`--endpoint` to name the socket) or, with `--webhooks`, from web hooks (`CRISP_WEBHOOK_SECRET`, `--listen`) |
//! | `export_conversations` | the conversations of a period, with their messages (`get_messages_in_conversation_stream`), to a JSON Lines file |
//!
//! Each one reads the token from the environment with `Client::<tier::Plugin>::from_env()`
//! (`CRISP_IDENTIFIER`, `CRISP_KEY`, `CRISP_TIER=plugin`, and `CRISP_BASE_URL` to point it at
//! another server) and the website from `CRISP_WEBSITE_ID`:
//!
//! ```sh
//! export CRISP_IDENTIFIER=… CRISP_KEY=… CRISP_TIER=plugin CRISP_WEBSITE_ID=…
//! cargo run -p crisp-examples --example walk_people -- --search acme
//! ```
//!
//! To try them without a Crisp account, run them against the local sandbox
//! (`crisp-sandbox`): `scripts/run-examples.sh` starts one, seeds it and runs the three
//! examples, checking what they print.

pub mod bot;
