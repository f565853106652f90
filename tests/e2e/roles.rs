//! Contributors, editors and the audit log: own drafts, review, approval, and who did what.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{TestApp, string_pairs};

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
    if_match: Option<&str>,
) -> (u16, Value) {
    let mut req = app.http.request(method, app.url(path)).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    if let Some(m) = if_match {
        req = req.header("if-match", m);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn contributors_edit_their_own_drafts_and_editors_review() {
    let app = TestApp::spawn().await;
    let alice = app.user_session("alice@example.org", "contributor").await;
    let bob = app.user_session("bob@example.org", "contributor").await;
    let ed = app.user_session("ed@example.org", "editor").await;
    let page = json!({"site": "csn", "fields": {"title": "Draft", "slug": "draft"}});

    let (status, created) = send(
        &app,
        Method::POST,
        "/api/v1/manage/page",
        &alice,
        Some(page),
        None,
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["data"]["sys"]["id"].as_str().unwrap().to_owned();
    let item = format!("/api/v1/manage/page/{id}");
    let patch = json!({"fields": {"title": "Draft 2"}});
    let (status, _) = send(
        &app,
        Method::PATCH,
        &item,
        &alice,
        Some(patch.clone()),
        Some("\"v1\""),
    )
    .await;
    assert_eq!(status, 200, "the author edits her draft");
    let (status, body) = send(
        &app,
        Method::PATCH,
        &item,
        &bob,
        Some(patch.clone()),
        Some("\"v2\""),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("forbidden")),
        "not his item"
    );
    let (status, _) = send(
        &app,
        Method::POST,
        &format!("{item}/submit"),
        &bob,
        None,
        None,
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = send(
        &app,
        Method::POST,
        &format!("{item}/publish"),
        &alice,
        None,
        None,
    )
    .await;
    assert_eq!(status, 403, "contributors never publish");
    let (status, body) = send(
        &app,
        Method::POST,
        &format!("{item}/approve"),
        &ed,
        None,
        None,
    )
    .await;
    assert_eq!(status, 409, "nothing to approve before submission: {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("publish"),
        "{body}"
    );

    let (status, _) = send(
        &app,
        Method::POST,
        &format!("{item}/submit"),
        &alice,
        None,
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = send(
        &app,
        Method::PATCH,
        &item,
        &alice,
        Some(patch),
        Some("\"v3\""),
    )
    .await;
    assert_eq!(status, 403, "in review: no longer hers to edit: {body}");
    let (status, _) = send(
        &app,
        Method::POST,
        &format!("{item}/approve"),
        &ed,
        None,
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = send(
        &app,
        Method::POST,
        &format!("{item}/publish"),
        &ed,
        None,
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(app.status(&format!("/api/v1/content/page/{id}")).await, 200);
    let (status, _) = send(&app, Method::DELETE, &item, &alice, None, None).await;
    assert_eq!(status, 403, "contributors cannot trash");

    // The audit log tells the story, newest first, for admins only.
    let (status, log) = send(
        &app,
        Method::GET,
        &format!("/api/v1/audit?subject={id}"),
        &app.app.token,
        None,
        None,
    )
    .await;
    assert_eq!(status, 200, "{log}");
    let story = string_pairs(&log["data"], "action", "actor");
    let actions: Vec<&str> = story.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        actions,
        [
            "item.published",
            "item.approved",
            "item.submitted",
            "item.updated",
            "item.created"
        ]
    );
    assert_eq!(story[0].1, story[1].1, "the editor approved and published");
    assert_eq!(story[2].1, story[4].1, "the author created and submitted");
    assert_ne!(story[0].1, story[4].1);
    assert!(
        log["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["ip"] == "127.0.0.1"),
        "every write says where it came from: {log}"
    );
    for token in [&ed, &alice] {
        let (status, _) = send(&app, Method::GET, "/api/v1/audit", token, None, None).await;
        assert_eq!(status, 403);
    }
    assert_eq!(app.status("/api/v1/audit").await, 401);
}

#[tokio::test]
async fn the_audit_log_pages_and_filters() {
    let app = TestApp::spawn().await;
    for i in 0..5 {
        app.create(
            "page",
            json!({"site": "csn", "fields": {"title": "P", "slug": format!("p{i}")}}),
        )
        .await;
    }
    app.login(crate::harness::ADMIN_EMAIL, crate::harness::ADMIN_PASSWORD)
        .await;
    let admin = app.app.token.clone();
    let (_, auth) = send(
        &app,
        Method::GET,
        "/api/v1/audit?action=auth.",
        &admin,
        None,
        None,
    )
    .await;
    let actions: Vec<&str> = auth["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["auth.login"]);
    assert_eq!(auth["data"][0]["ip"], "127.0.0.1");

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/audit?action=item.created&limit=2&cursor={c}"),
            None => "/api/v1/audit?action=item.created&limit=2".to_owned(),
        };
        let (status, page) = send(&app, Method::GET, &path, &admin, None, None).await;
        assert_eq!(status, 200, "{page}");
        for e in page["data"].as_array().unwrap() {
            seen.push(e["uid"].as_str().unwrap().to_owned());
        }
        match page["meta"]["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        (seen.len(), unique.len()),
        (5, 5),
        "every entry once: {seen:?}"
    );
    for bad in ["limit=0", "limit=501", "since=yesterday", "cursor=abc"] {
        let (status, _) = send(
            &app,
            Method::GET,
            &format!("/api/v1/audit?{bad}"),
            &admin,
            None,
            None,
        )
        .await;
        assert_eq!(status, 400, "{bad}");
    }
}
