//! `listPeopleCampaigns` admits user tokens only.

use crisp_client::{Client, tier};

async fn campaigns(client: &Client<tier::Plugin>) {
    let _ = client
        .website_people()
        .list_people_campaigns("website-id", "people-id", 1)
        .await;
}

fn main() {
    let _ = campaigns;
}
