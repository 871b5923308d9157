//! Each operation compiles on a client of its tier, on a dynamic client, and, when the
//! reference states no tier restriction, on every client.

use crisp_client::{Client, tier};

async fn user(client: &Client<tier::User>) {
    let _ = client.website_people().list_people_campaigns("website-id", "people-id", 1).await;
    let _ = client.website_conversation().get_conversation("website-id", "session-id").await;
}

async fn plugin(client: &Client<tier::Plugin>) {
    let _ = client.plugin_connect().get_connect_account().await;
    let _ = client.website_conversation().get_conversation("website-id", "session-id").await;
}

async fn dynamic(client: &Client<tier::Dynamic>) {
    let _ = client.website_people().list_people_campaigns("website-id", "people-id", 1).await;
    let _ = client.plugin_connect().get_connect_account().await;
}

fn main() {
    let _ = (user, plugin, dynamic);
}
