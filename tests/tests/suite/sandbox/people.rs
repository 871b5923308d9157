//! People profiles in the stateful sandbox: one per e-mail address, found by id and by address,
//! listed, merged on update, with their data, events and subscription, and removed.

use crisp_client::WebsitePeople;
use crisp_client::tier::Dynamic;
use crisp_models::{
    CustomDataValue, ListPeopleProfilesOptions, PeopleData, PeopleEvent, PeopleProfilePerson,
    PeopleProfileUpdate, PeopleSubscription,
};
use crisp_sandbox::Mode;
use crisp_sandbox::state::SEED_WEBSITE_ID;

use super::harness::{Running, config, failure};

/// The website every profile here belongs to.
const WEBSITE: &str = SEED_WEBSITE_ID;

/// A new profile: an address, a nickname and the `lead` segment.
fn profile(email: &str, nickname: &str) -> PeopleProfileUpdate {
    let mut person = PeopleProfilePerson::default();
    person.nickname = Some(nickname.to_owned());
    let mut profile = PeopleProfileUpdate::default();
    profile.email = Some(email.to_owned());
    profile.person = Some(person);
    profile.segments = Some(vec!["lead".to_owned()]);
    profile
}

/// Adds John Doe, then Jane Roe, and returns their people ids.
async fn add_john_and_jane(people: &WebsitePeople<'_, Dynamic>) -> (String, String) {
    let john = people
        .add_new_people_profile(WEBSITE, &profile("john.doe@example.com", "John Doe"))
        .await
        .expect("create John")
        .people_id
        .expect("a people id");
    let jane = people
        .add_new_people_profile(WEBSITE, &profile("jane.roe@example.com", "Jane Roe"))
        .await
        .expect("create Jane")
        .people_id
        .expect("a people id");
    (john, jane)
}

/// The people ids on one page of profiles listed with `options`.
async fn listed(
    people: &WebsitePeople<'_, Dynamic>,
    options: &ListPeopleProfilesOptions,
    page: u32,
) -> Vec<String> {
    people
        .list_people_profiles(WEBSITE, page, options)
        .await
        .expect("a page of profiles")
        .into_iter()
        .filter_map(|profile| profile.people_id)
        .collect()
}

#[tokio::test]
async fn a_people_profile_is_the_only_one_with_its_email_address() {
    let sandbox = Running::start(config(Mode::Stateful)).await;
    let client = sandbox.plugin();
    let people = client.website_people();
    let (john, _) = add_john_and_jane(&people).await;

    // Each way of making a second profile with an address in use, and what it answered.
    let mut janes_address = PeopleProfileUpdate::default();
    janes_address.email = Some("jane.roe@example.com".to_owned());
    let conflicts = [
        (
            "adding John's address again, in another case",
            people
                .add_new_people_profile(WEBSITE, &profile("JOHN.DOE@example.com", "Another John"))
                .await
                .map(drop),
        ),
        (
            "giving John the address of Jane",
            people
                .update_people_profile(WEBSITE, &john, &janes_address)
                .await,
        ),
    ];
    for (case, answer) in conflicts {
        let refused = answer.expect_err(case);
        assert_eq!(failure(&refused), (409, "conflict"), "{case}");
    }
    sandbox.stop().await;
}

#[tokio::test]
async fn a_people_profile_is_found_by_id_and_by_email_address() {
    let sandbox = Running::start(config(Mode::Stateful)).await;
    let client = sandbox.plugin();
    let people = client.website_people();
    let (john, jane) = add_john_and_jane(&people).await;

    let by_id = people
        .get_people_profile(WEBSITE, &john)
        .await
        .expect("by id");
    assert_eq!(by_id.people_id.as_deref(), Some(john.as_str()));
    assert_eq!(by_id.email.as_deref(), Some("john.doe@example.com"));
    assert_eq!(
        by_id
            .person
            .as_ref()
            .and_then(|person| person.nickname.as_deref()),
        Some("John Doe")
    );
    assert!(by_id.created_at.is_some());
    // An `@` in the path.
    let by_email = people
        .get_people_profile(WEBSITE, "john.doe@example.com")
        .await
        .expect("by e-mail");
    assert_eq!(by_email, by_id);
    assert!(
        people
            .check_people_profile_exists(WEBSITE, &jane)
            .await
            .expect("HEAD")
    );
    sandbox.stop().await;
}

#[tokio::test]
async fn people_profiles_are_listed_newest_first_searched_and_paged() {
    let sandbox = Running::start(config(Mode::Stateful)).await;
    let client = sandbox.plugin();
    let people = client.website_people();
    let (john, jane) = add_john_and_jane(&people).await;

    let search = |text: &str| {
        let mut options = ListPeopleProfilesOptions::default();
        options.search_text = Some(text.to_owned());
        options
    };
    let mut one_per_page = ListPeopleProfilesOptions::default();
    one_per_page.per_page = Some(1);
    // What is listed, the options, the page, and the profiles it must list.
    let cases = [
        (
            "everyone",
            ListPeopleProfilesOptions::default(),
            1,
            vec![jane.as_str(), john.as_str()],
        ),
        (
            "everyone, past the end",
            ListPeopleProfilesOptions::default(),
            2,
            vec![],
        ),
        (
            "a search for a name",
            search("john"),
            1,
            vec![john.as_str()],
        ),
        (
            "a search for part of an address, in another case",
            search("ROE@"),
            1,
            vec![jane.as_str()],
        ),
        ("a search that matches nobody", search("nobody"), 1, vec![]),
        (
            "one per page, the second",
            one_per_page.clone(),
            2,
            vec![john.as_str()],
        ),
        ("one per page, past the end", one_per_page, 3, vec![]),
    ];
    for (case, options, page, expected) in cases {
        assert_eq!(listed(&people, &options, page).await, expected, "{case}");
    }
    sandbox.stop().await;
}

#[tokio::test]
async fn a_people_profile_update_merges_into_the_profile() {
    let sandbox = Running::start(config(Mode::Stateful)).await;
    let client = sandbox.plugin();
    let people = client.website_people();
    let (john, _) = add_john_and_jane(&people).await;

    // The nickname changes and a phone number comes; the segments and the address stay.
    let mut person = PeopleProfilePerson::default();
    person.nickname = Some("Johnny Doe".to_owned());
    person.phone = Some("+33612345678".to_owned());
    let mut update = PeopleProfileUpdate::default();
    update.person = Some(person);
    update.notepad = Some("Prefers e-mail.".to_owned());
    people
        .update_people_profile(WEBSITE, &john, &update)
        .await
        .expect("update John");
    let updated = people
        .get_people_profile(WEBSITE, &john)
        .await
        .expect("John");
    let person = updated.person.expect("a person");
    assert_eq!(person.nickname.as_deref(), Some("Johnny Doe"));
    assert_eq!(person.phone.as_deref(), Some("+33612345678"));
    assert_eq!(updated.segments, Some(vec!["lead".to_owned()]));
    assert_eq!(updated.notepad.as_deref(), Some("Prefers e-mail."));
    assert_eq!(updated.email.as_deref(), Some("john.doe@example.com"));
    // Found by the new name.
    let mut johnny = ListPeopleProfilesOptions::default();
    johnny.search_text = Some("johnny".to_owned());
    assert_eq!(listed(&people, &johnny, 1).await, [john.as_str()]);
    sandbox.stop().await;
}

#[tokio::test]
async fn people_data_is_saved_then_merged_key_by_key() {
    let sandbox = Running::start(config(Mode::Stateful)).await;
    let client = sandbox.plugin();
    let people = client.website_people();
    let (john, _) = add_john_and_jane(&people).await;

    let mut saved = PeopleData::default();
    saved.data = Some(
        [(
            "plan".to_owned(),
            CustomDataValue::String("free".to_owned()),
        )]
        .into(),
    );
    people
        .save_people_data(WEBSITE, &john, &saved)
        .await
        .expect("save data");
    let mut added = PeopleData::default();
    added.data = Some([("seats".to_owned(), CustomDataValue::Number(3.0))].into());
    people
        .update_people_data(WEBSITE, &john, &added)
        .await
        .expect("update data");
    let data = people
        .get_people_data(WEBSITE, "john.doe@example.com")
        .await
        .expect("data")
        .data
        .expect("data");
    assert_eq!(data.len(), 2);
    assert_eq!(
        data.get("plan"),
        Some(&CustomDataValue::String("free".to_owned()))
    );
    assert_eq!(data.get("seats"), Some(&CustomDataValue::Number(3.0)));
    sandbox.stop().await;
}

#[tokio::test]
async fn people_events_are_listed_newest_first_with_their_time() {
    let sandbox = Running::start(config(Mode::Stateful)).await;
    let client = sandbox.plugin();
    let people = client.website_people();
    let (john, _) = add_john_and_jane(&people).await;

    for text in ["Signed up", "Upgraded"] {
        let mut event = PeopleEvent::default();
        event.text = Some(text.to_owned());
        people
            .add_people_event(WEBSITE, &john, &event)
            .await
            .expect("add an event");
    }
    let events = people
        .list_people_events(WEBSITE, &john, 1)
        .await
        .expect("events");
    let texts: Vec<Option<&str>> = events.iter().map(|event| event.text.as_deref()).collect();
    assert_eq!(texts, [Some("Upgraded"), Some("Signed up")]);
    assert!(events.iter().all(|event| event.timestamp.is_some()));
    assert!(
        people
            .list_people_events(WEBSITE, &john, 2)
            .await
            .expect("page 2")
            .is_empty()
    );
    sandbox.stop().await;
}

#[tokio::test]
async fn the_email_subscription_is_on_until_turned_off() {
    let sandbox = Running::start(config(Mode::Stateful)).await;
    let client = sandbox.plugin();
    let people = client.website_people();
    let (john, _) = add_john_and_jane(&people).await;

    assert_eq!(
        people
            .get_people_subscription_status(WEBSITE, &john)
            .await
            .expect("subscription")
            .email,
        Some(true)
    );
    let mut unsubscribed = PeopleSubscription::default();
    unsubscribed.email = Some(false);
    people
        .update_people_subscription_status(WEBSITE, &john, &unsubscribed)
        .await
        .expect("unsubscribe");
    assert_eq!(
        people
            .get_people_subscription_status(WEBSITE, &john)
            .await
            .expect("subscription")
            .email,
        Some(false)
    );
    sandbox.stop().await;
}

#[tokio::test]
async fn a_removed_people_profile_is_gone_by_id_and_by_email_address() {
    let sandbox = Running::start(config(Mode::Stateful)).await;
    let client = sandbox.plugin();
    let people = client.website_people();
    let (john, jane) = add_john_and_jane(&people).await;

    people
        .remove_people_profile(WEBSITE, &john)
        .await
        .expect("remove John");
    for reference in [john.as_str(), "john.doe@example.com"] {
        let gone = people
            .get_people_profile(WEBSITE, reference)
            .await
            .expect_err("removed");
        assert_eq!(failure(&gone), (404, "not_found"), "{reference}");
    }
    assert!(
        !people
            .check_people_profile_exists(WEBSITE, &john)
            .await
            .expect("HEAD")
    );
    assert_eq!(
        listed(&people, &ListPeopleProfilesOptions::default(), 1).await,
        [jane.as_str()]
    );
    sandbox.stop().await;
}
