//! Answers the client cannot take at face value: HTML where JSON belongs, a field of the wrong
//! type, and the statuses a `HEAD` operation turns into a boolean or an error.

use axum::http::StatusCode;
use crisp_client::models::ListPeopleProfilesOptions;
use crisp_client::{Error, Reason};
use serde_json::{Value, json};

use super::harness::{
    Reply, SESSION, WEBSITE, assert_error_secret_free, fast, plugin_client, profile, serve,
};

#[tokio::test]
async fn html_instead_of_json_is_a_decode_error() {
    let page =
        "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>";
    let server = serve(move |_, _| Reply::raw(200, "text/html; charset=utf-8", page)).await;
    let client = plugin_client(&server.base_url(), fast(3));
    let error = client
        .website_conversation()
        .get_conversation(WEBSITE, SESSION)
        .await
        .expect_err("not JSON");
    let Error::Decode {
        operation,
        status,
        path,
        message,
        excerpt,
    } = &error
    else {
        panic!("expected a decode error, got {error:?}");
    };
    assert_eq!(*operation, "getConversation");
    assert_eq!(*status, StatusCode::OK);
    assert_eq!(path, ".");
    assert!(message.contains("text/html"), "{message}");
    assert_eq!(excerpt, page);
    assert!(!error.is_retryable());
    assert!(
        error
            .to_string()
            .starts_with("getConversation: could not decode the response (200) at `.`"),
        "{error}"
    );
    assert_eq!(server.count(), 1);
    assert_error_secret_free(&error);
}

#[tokio::test]
async fn a_wrong_field_type_names_its_json_path() {
    // A long page, so the excerpt is cut.
    let mut profiles: Vec<Value> = (0..6).map(|i| profile(&format!("people-{i}"))).collect();
    profiles[1]["people_id"] = json!(42);
    let body = json!({"error": false, "reason": "resolved", "data": profiles}).to_string();
    let served = body.clone();
    let server = serve(move |_, _| Reply::raw(200, "application/json", served.clone())).await;
    let client = plugin_client(&server.base_url(), fast(3));
    let error = client
        .website_people()
        .list_people_profiles(WEBSITE, 1, &ListPeopleProfilesOptions::default())
        .await
        .expect_err("a number where a string belongs");
    let Error::Decode {
        operation,
        path,
        message,
        excerpt,
        ..
    } = &error
    else {
        panic!("expected a decode error, got {error:?}");
    };
    assert_eq!(*operation, "listPeopleProfiles");
    assert_eq!(path, "data[1].people_id");
    assert!(message.contains("invalid type: integer `42`"), "{message}");
    let start = excerpt.strip_suffix('…').expect("a long body is cut");
    assert_eq!(start.chars().count(), 200);
    assert!(body.starts_with(start), "{excerpt}");
    assert!(
        error.to_string().contains("at `data[1].people_id`"),
        "{error}"
    );
    assert_eq!(server.count(), 1);
    assert_error_secret_free(&error);
}

#[tokio::test]
async fn head_operations_answer_booleans() {
    let server = serve(|_, request| {
        if request.path.ends_with("/known") {
            Reply::raw(200, "application/json", "")
        } else if request.path.ends_with("/unknown") {
            Reply::raw(404, "application/json", "")
        } else {
            Reply::raw(403, "application/json", "")
        }
    })
    .await;
    let client = plugin_client(&server.base_url(), fast(3));
    let people = client.website_people();
    assert!(
        people
            .check_people_profile_exists(WEBSITE, "known")
            .await
            .expect("200")
    );
    assert!(
        !people
            .check_people_profile_exists(WEBSITE, "unknown")
            .await
            .expect("404")
    );
    let error = people
        .check_people_profile_exists(WEBSITE, "forbidden")
        .await
        .expect_err("403");
    assert_eq!(error.status(), Some(StatusCode::FORBIDDEN));
    assert_eq!(error.reason(), Some(&Reason::NotAllowed));
    assert!(!error.is_retryable());
    assert_error_secret_free(&error);
    let seen = server.seen();
    assert_eq!(seen.len(), 3);
    assert!(
        seen.iter().all(|request| request.method == "HEAD"),
        "{seen:?}"
    );
    assert_eq!(
        seen[0].path,
        format!("/v1/website/{WEBSITE}/people/profile/known")
    );
}
