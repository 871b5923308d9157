//! `getConnectAccount` admits plugin tokens only.

use crisp_client::{Client, tier};

async fn account(client: &Client<tier::User>) {
    let _ = client.plugin_connect().get_connect_account().await;
}

fn main() {
    let _ = account;
}
