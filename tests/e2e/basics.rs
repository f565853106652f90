//! Health, the error envelope for every kind of error, body limits, authentication.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{TOKEN, TestApp};

async fn error_of(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.expect("error bodies are JSON");
    assert!(body["error"]["code"].is_string(), "envelope: {body}");
    assert!(body["error"]["message"].is_string(), "envelope: {body}");
    assert!(body["error"]["details"].is_array(), "envelope: {body}");
    (status, body)
}

#[tokio::test]
async fn health_endpoints_answer() {
    let t = TestApp::spawn().await;
    let live = t.get("/health/live").send().await.unwrap();
    assert_eq!(live.status(), 200);
    let ready = t.get("/health/ready").send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let metrics = t
        .get("/metrics")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("cms_http_requests_total"), "{metrics}");
    assert!(metrics.contains("cms_outbox_head"), "{metrics}");
    assert!(metrics.contains("cms_response_cache_hits"), "{metrics}");
}

#[tokio::test]
async fn every_error_uses_the_envelope() {
    let t = TestApp::spawn().await;
    // Unknown route: 404.
    let (s, b) = error_of(t.get("/nope").send().await.unwrap()).await;
    assert_eq!(
        (s, b["error"]["code"].as_str().unwrap()),
        (404, "not_found")
    );
    // Wrong method: 405.
    let (s, b) = error_of(t.http.put(t.url("/health/live")).send().await.unwrap()).await;
    assert_eq!(
        (s, b["error"]["code"].as_str().unwrap()),
        (405, "method_not_allowed")
    );
    // Malformed JSON: 400.
    let resp = t
        .admin(Method::POST, "/api/v1/manage/page")
        .header("content-type", "application/json")
        .body("{\"fields\": ")
        .send()
        .await
        .unwrap();
    let (s, b) = error_of(resp).await;
    assert_eq!(
        (s, b["error"]["code"].as_str().unwrap()),
        (400, "malformed_json")
    );
    // Unknown type: 404.
    let (s, b) = error_of(t.get("/api/v1/content/nosuch").send().await.unwrap()).await;
    assert_eq!(
        (s, b["error"]["code"].as_str().unwrap()),
        (404, "unknown_type")
    );
    // Unknown id: 404.
    let (s, _) = error_of(
        t.get("/api/v1/content/page/01JD0000000000000000000000")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 404);
    // Body over the limit: 413, declared or chunked.
    let big = "x".repeat(2 * 1024 * 1024);
    let resp = t
        .admin(Method::POST, "/api/v1/manage/page")
        .header("content-type", "application/json")
        .body(big.clone())
        .send()
        .await
        .unwrap();
    let (s, b) = error_of(resp).await;
    assert_eq!(
        (s, b["error"]["code"].as_str().unwrap()),
        (413, "body_too_large")
    );
    let stream = futures::stream::iter(vec![Ok::<_, std::io::Error>(bytes::Bytes::from(big))]);
    let resp = t
        .admin(Method::POST, "/api/v1/manage/page")
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    let (s, _) = error_of(resp).await;
    assert_eq!(s, 413);
    // Unknown filter operator and field: 400; limit over 100: 400.
    for q in [
        "filter[title][like]=x",
        "filter[nosuch][eq]=x",
        "limit=101",
        "sort=body",
        "cursor=garbage",
        "bogus=1",
    ] {
        let (s, b) = error_of(
            t.get(&format!("/api/v1/content/page?{q}"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(s, 400, "{q}: {b}");
    }
    // No credentials on management: 401; bad token: 401.
    let (s, _) = error_of(t.get("/api/v1/manage/page").send().await.unwrap()).await;
    assert_eq!(s, 401);
    let (s, _) = error_of(
        t.get("/api/v1/manage/page")
            .bearer_auth("wrong-token-wrong-token")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 401);
    // Validation: 422 listing every failing field.
    let resp = t
        .admin(Method::POST, "/api/v1/manage/page")
        .json(&json!({"fields": {"slug": "Not A Slug", "nav_order": -1, "colour": "red"}}))
        .send()
        .await
        .unwrap();
    let (s, b) = error_of(resp).await;
    assert_eq!(
        (s, b["error"]["code"].as_str().unwrap()),
        (422, "validation_failed")
    );
    let paths: Vec<&str> = b["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["path"].as_str().unwrap())
        .collect();
    for p in [
        "fields.title",
        "fields.slug",
        "fields.nav_order",
        "fields.colour",
    ] {
        assert!(paths.contains(&p), "{p} missing in {paths:?}");
    }
    assert_eq!(
        t.count("item").await,
        0,
        "nothing stored by failed requests"
    );
    let _ = TOKEN;
}
