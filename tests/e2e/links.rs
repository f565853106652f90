//! Emailed links through a local SMTP sink: invitations, password resets, member sign-up.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{ADMIN_EMAIL, ADMIN_PASSWORD, SmtpSink, TestApp};

async fn with_mail() -> (TestApp, SmtpSink) {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_with(&format!(
        "[email]\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {}\ntls = \"none\"\n\
         [[sites]]\nid = \"csn\"\nname = \"CSN\"\nsignup_domains = [\"school.org.uk\"]\n\
         [[sites]]\nid = \"coopschools\"\nname = \"Coop\"\n",
        sink.port
    ))
    .await;
    (app, sink)
}

async fn post(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    let resp = app
        .http
        .post(app.url(path))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn login_status(app: &TestApp, email: &str, password: &str) -> u16 {
    post(
        app,
        "/api/v1/auth/login",
        json!({"email": email, "password": password}),
    )
    .await
    .0
}

#[tokio::test]
async fn an_invitation_link_sets_the_password_once() {
    let (app, sink) = with_mail().await;
    let resp = app
        .admin(Method::POST, "/api/v1/users/invitations")
        .json(&json!({"email": "new.editor@example.org", "role": "editor", "name": "New"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let user: Value = resp.json().await.unwrap();
    assert_eq!(user["data"]["status"], "invited");
    let token = sink.link_token(0).await;
    let mail = &sink.received()[0];
    assert!(
        mail.contains("new.editor@example.org") && mail.contains("invited"),
        "{mail}"
    );
    assert_eq!(
        login_status(&app, "new.editor@example.org", "anything-at-all").await,
        401
    );

    let (status, _) = post(
        &app,
        "/api/v1/auth/accept",
        json!({"token": token, "password": "short"}),
    )
    .await;
    assert_eq!(status, 400);
    let (status, body) = post(
        &app,
        "/api/v1/auth/accept",
        json!({"token": token, "password": "editor-password-1"}),
    )
    .await;
    assert_eq!(
        (status, body["data"]["status"].as_str()),
        (200, Some("active")),
        "{body}"
    );
    assert_eq!(
        login_status(&app, "new.editor@example.org", "editor-password-1").await,
        200
    );
    let (status, body) = post(
        &app,
        "/api/v1/auth/accept",
        json!({"token": token, "password": "another-password-1"}),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("invalid_link")),
        "used once"
    );

    // Only admins invite.
    let editor = app
        .login("new.editor@example.org", "editor-password-1")
        .await;
    let resp = app
        .http
        .post(app.url("/api/v1/users/invitations"))
        .bearer_auth(&editor)
        .json(&json!({"email": "x@example.org", "role": "admin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
}

#[tokio::test]
async fn a_password_reset_ends_old_sessions_and_links_expire() {
    let (app, sink) = with_mail().await;
    let (status, unknown) = post(
        &app,
        "/api/v1/auth/reset",
        json!({"email": "nobody@example.org"}),
    )
    .await;
    let (status2, known) = post(&app, "/api/v1/auth/reset", json!({"email": ADMIN_EMAIL})).await;
    assert_eq!((status, status2), (202, 202));
    assert_eq!(
        unknown, known,
        "the same answer whether or not the account exists"
    );
    let token = sink.link_token(0).await;
    assert_eq!(
        sink.received().len(),
        1,
        "no message for an unknown address"
    );

    let old_session = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (status, _) = post(
        &app,
        "/api/v1/auth/reset/confirm",
        json!({"token": token, "password": "brand-new-password"}),
    )
    .await;
    assert_eq!(status, 200);
    let resp = app
        .http
        .get(app.url("/api/v1/auth/me"))
        .bearer_auth(&old_session)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401, "sessions end with a reset");
    assert_eq!(login_status(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await, 401);
    assert_eq!(
        login_status(&app, ADMIN_EMAIL, "brand-new-password").await,
        200
    );

    post(&app, "/api/v1/auth/reset", json!({"email": ADMIN_EMAIL})).await;
    let late = sink.link_token(1).await;
    app.clock.advance(chrono::Duration::minutes(61));
    let (status, body) = post(
        &app,
        "/api/v1/auth/reset/confirm",
        json!({"token": late, "password": "too-late-password"}),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("invalid_link"))
    );
}

#[tokio::test]
async fn members_sign_up_from_allowed_school_domains_and_confirm_by_email() {
    let (app, sink) = with_mail().await;
    let body = |email: &str, site: &str| json!({"email": email, "password": "member-password-1", "name": "Sam", "site": site});
    let (status, _) = post(&app, "/api/v1/auth/signup", body("sam@gmail.com", "csn")).await;
    assert_eq!(status, 403, "not a school domain of the site");
    let (status, _) = post(
        &app,
        "/api/v1/auth/signup",
        body("sam@school.org.uk", "coopschools"),
    )
    .await;
    assert_eq!(status, 403, "that site has no sign-up");
    let (status, _) = post(
        &app,
        "/api/v1/auth/signup",
        body("Sam@School.org.uk", "csn"),
    )
    .await;
    assert_eq!(status, 202);
    let token = sink.link_token(0).await;
    assert_eq!(
        login_status(&app, "sam@school.org.uk", "member-password-1").await,
        401,
        "not active yet"
    );
    let (status, again) = post(
        &app,
        "/api/v1/auth/signup",
        body("sam@school.org.uk", "csn"),
    )
    .await;
    assert_eq!(
        (status, again["data"]["status"].as_str()),
        (202, Some("accepted"))
    );
    assert_eq!(
        sink.received().len(),
        1,
        "no second account, no second message"
    );

    let (status, user) = post(&app, "/api/v1/auth/verify", json!({"token": token})).await;
    assert_eq!(
        (status, user["data"]["role"].as_str()),
        (200, Some("member"))
    );
    assert_eq!(
        login_status(&app, "sam@school.org.uk", "member-password-1").await,
        200
    );
    let (status, _) = post(
        &app,
        "/api/v1/auth/verify",
        json!({"token": "cms_l_forged"}),
    )
    .await;
    assert_eq!(status, 400);
}
