//! Security headers on every response and CORS for the configured site origins.

use reqwest::Method;

use crate::harness::TestApp;

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::spawn().await;
    for (path, csp_part) in [
        ("/api/v1/content/page", "default-src 'none'"),
        ("/api/v1/content/nope", "default-src 'none'"),
        ("/no/such/path", "default-src 'none'"),
        ("/docs", "script-src 'self' 'unsafe-inline'"),
        ("/health/live", "default-src 'none'"),
    ] {
        let resp = app.get(path).send().await.unwrap();
        let h = resp.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains(csp_part) && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
    }
}

#[tokio::test]
async fn cors_answers_only_the_configured_origins() {
    let app = TestApp::spawn_with(
        "[[sites]]\nid = \"csn\"\nname = \"CSN\"\norigins = [\"https://www.example.org\"]\n[[sites]]\nid = \"coopschools\"\nname = \"Coop\"\n",
    )
    .await;
    let preflight = app
        .http
        .request(Method::OPTIONS, app.url("/api/v1/content/page"))
        .header("origin", "https://www.example.org")
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "authorization")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        "https://www.example.org"
    );
    let get = app
        .get("/api/v1/content/page")
        .header("origin", "https://www.example.org")
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 200);
    assert_eq!(
        get.headers()["access-control-allow-origin"],
        "https://www.example.org"
    );
    let expose = get.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(expose.contains("etag"), "{expose}");

    let evil = app
        .get("/api/v1/content/page")
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert!(evil.headers().get("access-control-allow-origin").is_none());
    assert!(evil.status().is_client_error(), "{}", evil.status());

    // Without configured origins no CORS header is ever sent.
    let plain = TestApp::spawn().await;
    let resp = plain
        .get("/api/v1/content/page")
        .header("origin", "https://www.example.org")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().get("access-control-allow-origin").is_none());
}
