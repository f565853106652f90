//! API tokens: shown once, stored as a digest, scoped by access, type, site, visibility and
//! expiry, listed and revoked by admins.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::TestApp;

fn article(slug: &str, visibility: &str) -> Value {
    json!({"fields": {"title": slug, "slug": slug, "summary": "A summary.", "topics": ["democracy"],
        "visibility": visibility, "body": [{"type": "paragraph", "props": {"text": "Text"}}]}})
}

async fn new_token(app: &TestApp, body: Value) -> (String, String) {
    let resp = app
        .admin(Method::POST, "/api/v1/tokens")
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let json: Value = resp.json().await.unwrap();
    assert_eq!(status, 201, "{json}");
    (
        json["data"]["token"].as_str().unwrap().to_owned(),
        json["data"]["id"].as_str().unwrap().to_owned(),
    )
}

async fn call(app: &TestApp, method: Method, path: &str, token: &str) -> (u16, Value, String) {
    let resp = app
        .http
        .request(method, app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let cache = resp
        .headers()
        .get("cache-control")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, resp.json().await.unwrap_or(Value::Null), cache)
}

#[tokio::test]
async fn read_tokens_see_what_their_scope_allows() {
    let app = TestApp::spawn().await;
    let public = app
        .publish_new("practice_article", article("open", "public"))
        .await;
    let members = app
        .publish_new("practice_article", article("closed", "members"))
        .await;
    let csn_page = app
        .publish_new(
            "page",
            json!({"site": "csn", "fields": {"title": "CSN", "slug": "home"}}),
        )
        .await;
    let coop_page = app
        .publish_new(
            "page",
            json!({"site": "coopschools", "fields": {"title": "Coop", "slug": "home"}}),
        )
        .await;

    let (public_token, _) = new_token(&app, json!({"name": "site build", "access": "read"})).await;
    assert!(public_token.starts_with("cms_t_") && public_token.len() >= 48);
    let (members_token, _) = new_token(
        &app,
        json!({"name": "member portal", "access": "read", "visibility": "members"}),
    )
    .await;
    let (csn_pages, _) = new_token(
        &app,
        json!({"name": "csn pages", "access": "read", "types": ["page"], "site": "csn"}),
    )
    .await;

    let path = |t: &str, id: &str| format!("/api/v1/content/{t}/{id}");
    // Public read token: like anonymous.
    assert_eq!(
        call(
            &app,
            Method::GET,
            &path("practice_article", &public),
            &public_token
        )
        .await
        .0,
        200
    );
    assert_eq!(
        call(
            &app,
            Method::GET,
            &path("practice_article", &members),
            &public_token
        )
        .await
        .0,
        404
    );
    let (_, list, _) = call(
        &app,
        Method::GET,
        "/api/v1/content/practice_article",
        &public_token,
    )
    .await;
    assert_eq!(list["meta"]["total"], 1);
    let (status, _, _) = call(&app, Method::GET, "/api/v1/manage/page", &public_token).await;
    assert_eq!(status, 403, "read tokens manage nothing");
    // Members read token: members-only content, privately cached.
    let (status, _, cache) = call(
        &app,
        Method::GET,
        &path("practice_article", &members),
        &members_token,
    )
    .await;
    assert_eq!((status, cache.as_str()), (200, "private, no-cache"));
    let (_, list, _) = call(
        &app,
        Method::GET,
        "/api/v1/content/practice_article",
        &members_token,
    )
    .await;
    assert_eq!(list["meta"]["total"], 2);
    // Type and site bound token.
    assert_eq!(
        call(&app, Method::GET, &path("page", &csn_page), &csn_pages)
            .await
            .0,
        200
    );
    assert_eq!(
        call(&app, Method::GET, &path("page", &coop_page), &csn_pages)
            .await
            .0,
        404
    );
    let (status, body, _) = call(
        &app,
        Method::GET,
        &path("practice_article", &public),
        &csn_pages,
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("forbidden"))
    );
    let (_, list, _) = call(&app, Method::GET, "/api/v1/content/page", &csn_pages).await;
    assert_eq!(list["meta"]["total"], 1, "only its site's pages: {list}");
    let (status, _, _) = call(
        &app,
        Method::GET,
        "/api/v1/content/page?site=coopschools",
        &csn_pages,
    )
    .await;
    assert_eq!(status, 403);
    // Anonymous, after a site-bound token's read of the same URL, still sees both sites' pages
    // (the response cache keeps the scopes apart).
    assert_eq!(app.json("/api/v1/content/page").await["meta"]["total"], 2);
}

#[tokio::test]
async fn write_tokens_manage_within_their_scope() {
    let app = TestApp::spawn().await;
    let (writer, _) = new_token(
        &app,
        json!({"name": "importer", "access": "write", "types": ["page"], "site": "csn"}),
    )
    .await;
    let create = |site: &str, slug: &str| {
        app.http
            .post(app.url("/api/v1/manage/page"))
            .bearer_auth(&writer)
            .json(&json!({"site": site, "fields": {"title": slug, "slug": slug}}))
    };
    let resp = create("csn", "ok").send().await.unwrap();
    assert_eq!(resp.status(), 201);
    let id = resp.json::<Value>().await.unwrap()["data"]["sys"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        create("coopschools", "no").send().await.unwrap().status(),
        403
    );
    let (status, _, _) = call(
        &app,
        Method::POST,
        &format!("/api/v1/manage/page/{id}/publish"),
        &writer,
    )
    .await;
    assert_eq!(status, 200, "write tokens publish like editors");
    let (status, _, _) = call(
        &app,
        Method::GET,
        "/api/v1/manage/practice_article",
        &writer,
    )
    .await;
    assert_eq!(status, 403);
    // An item of the other site is hidden from it.
    let other = app
        .create(
            "page",
            json!({"site": "coopschools", "fields": {"title": "X", "slug": "x"}}),
        )
        .await["sys"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _, _) = call(
        &app,
        Method::GET,
        &format!("/api/v1/manage/page/{other}"),
        &writer,
    )
    .await;
    assert_eq!(status, 404);
    // Tokens are not admins.
    let (status, _, _) = call(&app, Method::GET, "/api/v1/tokens", &writer).await;
    assert_eq!(status, 403);
    let (status, _, _) = call(&app, Method::GET, "/api/v1/admin/export", &writer).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn tokens_are_listed_without_secrets_revoked_at_once_and_expire() {
    let app = TestApp::spawn().await;
    let (token, id) = new_token(
        &app,
        json!({"name": "short-lived", "access": "read", "expires_at": "2025-01-01T10:00:00Z"}),
    )
    .await;
    let (keep, _) = new_token(&app, json!({"name": "kept", "access": "read"})).await;
    let listed = app
        .admin(Method::GET, "/api/v1/tokens")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        listed.contains("short-lived") && listed.contains("kept"),
        "{listed}"
    );
    assert!(
        !listed.contains(&token[6..]) && !listed.contains("cms_t_"),
        "no secrets listed"
    );
    let stored = app
        .app
        .content
        .store()
        .run("SELECT * FROM api_token;", json!({}))
        .await
        .unwrap()
        .rows(0)
        .unwrap();
    assert!(
        !serde_json::to_string(&stored)
            .unwrap()
            .contains(&token[6..]),
        "stored as a digest"
    );

    assert_eq!(
        call(&app, Method::GET, "/api/v1/content/page", &token)
            .await
            .0,
        200
    );
    app.clock.advance(chrono::Duration::hours(2));
    assert_eq!(
        call(&app, Method::GET, "/api/v1/content/page", &token)
            .await
            .0,
        401,
        "expired"
    );

    assert_eq!(
        call(&app, Method::GET, "/api/v1/content/page", &keep)
            .await
            .0,
        200
    );
    let (_, keep_id) = {
        let all: Value = app
            .admin(Method::GET, "/api/v1/tokens")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let kept = all["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == "kept")
            .unwrap()
            .clone();
        (kept.clone(), kept["id"].as_str().unwrap().to_owned())
    };
    let resp = app
        .admin(Method::DELETE, &format!("/api/v1/tokens/{keep_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    assert_eq!(
        call(&app, Method::GET, "/api/v1/content/page", &keep)
            .await
            .0,
        401,
        "revoked at once"
    );
    let resp = app
        .admin(Method::DELETE, &format!("/api/v1/tokens/{keep_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert_ne!(id, keep_id);

    // Bad requests.
    for bad in [
        json!({"name": "x", "access": "admin"}),
        json!({"name": "x", "access": "read", "types": ["nope"]}),
        json!({"name": "x", "access": "read", "site": "nowhere"}),
        json!({"name": "x", "access": "read", "visibility": "secret"}),
        json!({"name": "x", "access": "read", "expires_at": "2020-01-01T00:00:00Z"}),
        json!({"name": "x", "access": "read", "owner": "me"}),
        json!({"name": "", "access": "read"}),
    ] {
        let resp = app
            .admin(Method::POST, "/api/v1/tokens")
            .json(&bad)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400, "{bad}");
    }
}
