//! The write path end to end: drafts, publish, If-Match, locales with fallback, visibility,
//! trash, ETags, and the all-or-nothing transaction.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::TestApp;

fn article(title: &str, slug: &str, visibility: &str) -> Value {
    json!({"fields": {"title": title, "slug": slug, "summary": "A summary.", "topics": ["democracy"],
        "visibility": visibility, "body": [{"type": "paragraph", "props": {"text": "Hello **world** <script>x</script>"}}]}})
}

#[tokio::test]
async fn draft_publish_edit_and_visibility() {
    let t = TestApp::spawn().await;
    let item = t
        .create(
            "practice_article",
            article("Oracy in practice", "oracy-in-practice", "public"),
        )
        .await;
    let id = item["sys"]["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 26, "ULID ids");
    assert_eq!(item["sys"]["state"], "draft");
    assert_eq!(item["sys"]["revision"], 1);
    let html = item["fields"]["body"][0]["html"].as_str().unwrap();
    assert!(
        html.contains("<strong>world</strong>") && !html.contains("<script"),
        "{html}"
    );

    // A draft is invisible to delivery: by id, by slug, in lists and totals.
    let by_id = format!("/api/v1/content/practice_article/{id}");
    assert_eq!(t.status(&by_id).await, 404);
    assert_eq!(
        t.status("/api/v1/content/practice_article/by-slug/oracy-in-practice")
            .await,
        404
    );
    let list: Value = t.json("/api/v1/content/practice_article").await;
    assert_eq!(list["meta"]["total"], 0);
    assert_eq!(list["data"].as_array().unwrap().len(), 0);

    t.action("practice_article", &id, "publish", "en").await;
    let resp = t.get(&by_id).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["cache-control"]
            .to_str()
            .unwrap()
            .starts_with("public")
    );
    let etag = resp.headers()["etag"].to_str().unwrap().to_owned();
    let got: Value = resp.json().await.unwrap();
    assert_eq!(got["data"]["sys"]["state"], "published");
    assert_eq!(got["data"]["fields"]["title"], "Oracy in practice");
    let slug: Value = t
        .json("/api/v1/content/practice_article/by-slug/oracy-in-practice")
        .await;
    assert_eq!(slug["data"]["sys"]["id"], id.as_str());

    // If-None-Match -> 304.
    let resp = t
        .get(&by_id)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 304);

    // PATCH needs If-Match: missing 428, stale 412.
    let manage = format!("/api/v1/manage/practice_article/{id}");
    let resp = t
        .admin(Method::PATCH, &manage)
        .json(&json!({"fields": {"title": "Changed"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 428);
    let resp = t
        .admin(Method::PATCH, &manage)
        .header("if-match", "\"v1\"")
        .json(&json!({"fields": {"title": "Changed"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 412);
    let current = t.admin(Method::GET, &manage).send().await.unwrap();
    let current_etag = current.headers()["etag"].to_str().unwrap().to_owned();
    let resp = t
        .admin(Method::PATCH, &manage)
        .header("if-match", &current_etag)
        .json(&json!({"fields": {"title": "Changed"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let patched: Value = resp.json().await.unwrap();
    assert_eq!(patched["data"]["fields"]["title"], "Changed");
    assert_eq!(
        patched["data"]["fields"]["slug"], "oracy-in-practice",
        "merge patch keeps other fields"
    );
    assert_eq!(patched["data"]["sys"]["state"], "draft");

    // Delivery still serves the snapshot until the next publish.
    let got: Value = t.json(&by_id).await;
    assert_eq!(got["data"]["fields"]["title"], "Oracy in practice");
    t.action("practice_article", &id, "publish", "en").await;
    let got: Value = t.json(&by_id).await;
    assert_eq!(got["data"]["fields"]["title"], "Changed");

    // Unpublish hides it again.
    t.action("practice_article", &id, "unpublish", "en").await;
    assert_eq!(t.status(&by_id).await, 404);
}

#[tokio::test]
async fn members_only_items_are_hidden_from_anonymous_readers() {
    let t = TestApp::spawn().await;
    let public = t
        .publish_new(
            "practice_article",
            article("Open one", "open-one", "public"),
        )
        .await;
    let members = t
        .publish_new(
            "practice_article",
            article("Members one", "members-one", "members"),
        )
        .await;
    assert_eq!(
        t.status(&format!("/api/v1/content/practice_article/{members}"))
            .await,
        404
    );
    assert_eq!(
        t.status("/api/v1/content/practice_article/by-slug/members-one")
            .await,
        404
    );
    let list: Value = t.json("/api/v1/content/practice_article").await;
    assert_eq!(list["meta"]["total"], 1);
    assert_eq!(list["data"][0]["sys"]["id"], public.as_str());
    // A reader with the right sees both, privately cached.
    let resp = t
        .admin(Method::GET, "/api/v1/content/practice_article")
        .send()
        .await
        .unwrap();
    assert!(
        resp.headers()["cache-control"]
            .to_str()
            .unwrap()
            .starts_with("private")
    );
    let list: Value = resp.json().await.unwrap();
    assert_eq!(list["meta"]["total"], 2);
}

#[tokio::test]
async fn welsh_falls_back_field_by_field_and_patch_creates_the_locale() {
    let t = TestApp::spawn().await;
    let id = t.publish_new("page", json!({"site": "csn", "fields": {"title": "Home", "slug": "home", "summary": "Welcome", "nav_order": 0}})).await;
    // No Welsh yet: reading cy falls back to English for every localized field.
    let got: Value = t
        .json(&format!("/api/v1/content/page/{id}?locale=cy"))
        .await;
    assert_eq!(got["data"]["sys"]["locale"], "cy");
    assert_eq!(got["data"]["fields"]["title"], "Home");
    let fallback: Vec<&str> = got["data"]["sys"]["fallback_fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        fallback.contains(&"title") && fallback.contains(&"summary"),
        "{fallback:?}"
    );
    // A PATCH to the missing locale creates it.
    let manage = format!("/api/v1/manage/page/{id}");
    let resp = t
        .admin(Method::GET, &format!("{manage}?locale=cy"))
        .send()
        .await
        .unwrap();
    let etag = resp.headers()["etag"].to_str().unwrap().to_owned();
    let shown: Value = resp.json().await.unwrap();
    assert_eq!(shown["data"]["sys"]["revision"], 0);
    let resp = t
        .admin(Method::PATCH, &format!("{manage}?locale=cy"))
        .header("if-match", etag)
        .json(&json!({"fields": {"title": "Hafan", "slug": "hafan"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    t.action("page", &id, "publish", "cy").await;
    let got: Value = t
        .json(&format!("/api/v1/content/page/{id}?locale=cy"))
        .await;
    assert_eq!(got["data"]["fields"]["title"], "Hafan");
    assert_eq!(got["data"]["fields"]["summary"], "Welcome");
    assert_eq!(got["data"]["sys"]["fallback_fields"], json!(["summary"]));
    // The English snapshot is untouched, and the shared field is the same in both.
    let en: Value = t.json(&format!("/api/v1/content/page/{id}")).await;
    assert_eq!(en["data"]["fields"]["title"], "Home");
    assert_eq!(
        en["data"]["fields"]["nav_order"],
        got["data"]["fields"]["nav_order"]
    );
    let by_slug: Value = t
        .json("/api/v1/content/page/by-slug/hafan?site=csn&locale=cy")
        .await;
    assert_eq!(by_slug["data"]["sys"]["id"], id.as_str());
}

#[tokio::test]
async fn trash_and_untrash() {
    let t = TestApp::spawn().await;
    let id = t
        .publish_new(
            "page",
            json!({"site": "csn", "fields": {"title": "About", "slug": "about"}}),
        )
        .await;
    let resp = t
        .admin(Method::DELETE, &format!("/api/v1/manage/page/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    assert_eq!(t.status(&format!("/api/v1/content/page/{id}")).await, 404);
    let trashed: Value = t
        .admin(Method::GET, "/api/v1/manage/page?state=trashed")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(trashed["meta"]["total"], 1);
    let resp = t
        .admin(Method::POST, &format!("/api/v1/manage/page/{id}/publish"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 409, "illegal transition while trashed");
    t.action("page", &id, "untrash", "en").await;
    assert_eq!(t.status(&format!("/api/v1/content/page/{id}")).await, 200);
}

#[tokio::test]
async fn a_failed_write_leaves_nothing_behind() {
    let t = TestApp::spawn().await;
    t.create(
        "page",
        json!({"site": "csn", "fields": {"title": "One", "slug": "same"}}),
    )
    .await;
    let before: Vec<u64> = futures::future::join_all(
        ["item", "working", "revision", "audit", "outbox"].map(|tb| t.count(tb)),
    )
    .await;
    // The audit log also holds the creation of the first admin at start.
    assert_eq!(before, vec![1, 1, 1, 2, 1]);
    // The second item fails inside the transaction (unique slug index), after the item statement ran.
    let resp = t
        .admin(Method::POST, "/api/v1/manage/page")
        .json(&json!({"site": "csn", "fields": {"title": "Two", "slug": "same"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["details"][0]["code"], "unique");
    assert_eq!(body["error"]["details"][0]["path"], "fields.slug");
    let after: Vec<u64> = futures::future::join_all(
        ["item", "working", "revision", "audit", "outbox"].map(|tb| t.count(tb)),
    )
    .await;
    assert_eq!(
        after, before,
        "no document, revision, audit entry or outbox event of the failed write"
    );
    assert_eq!(t.app.content.outbox_head().await.unwrap(), 1);
    // The same slug on another site is fine.
    t.create(
        "page",
        json!({"site": "coopschools", "fields": {"title": "Two", "slug": "same"}}),
    )
    .await;
}

#[tokio::test]
async fn cached_responses_are_exact() {
    let t = TestApp::spawn().await;
    let id = t
        .publish_new(
            "practice_article",
            article("Cached title", "cached", "public"),
        )
        .await;
    let path = format!("/api/v1/content/practice_article/{id}");
    let first = t.get(&path).send().await.unwrap();
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let second: Value = t.json(&path).await;
    assert_eq!(second["data"]["fields"]["title"], "Cached title");
    let (hits, _, bytes) = t.app.content.cache_stats();
    assert!(hits >= 1 && bytes > 0, "the second read is a cache hit");
    // A publish is visible to the very next read, with a new ETag.
    let manage = format!("/api/v1/manage/practice_article/{id}");
    let resp = t
        .admin(Method::PATCH, &manage)
        .header("if-match", "*")
        .json(&json!({"fields": {"title": "New title", "visibility": "members"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    t.action("practice_article", &id, "publish", "en").await;
    // Now members-only: the anonymous reader gets 404, never the cached public body.
    assert_eq!(t.status(&path).await, 404);
    let list: Value = t.json("/api/v1/content/practice_article").await;
    assert_eq!(list["meta"]["total"], 0);
    let member = t.admin(Method::GET, &path).send().await.unwrap();
    assert_ne!(member.headers()["etag"].to_str().unwrap(), etag);
    let body: Value = member.json().await.unwrap();
    assert_eq!(body["data"]["fields"]["title"], "New title");
    // A cached members' response is not served to anonymous readers.
    let again = t.admin(Method::GET, &path).send().await.unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(t.status(&path).await, 404);
}
