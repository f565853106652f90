//! Users, sessions, login rate limits and account management over the API.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp};

async fn login_attempt(app: &TestApp, email: &str, password: &str) -> (u16, Value, Option<String>) {
    let resp = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let retry = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, resp.json().await.unwrap(), retry)
}

async fn with_token(app: &TestApp, method: Method, path: &str, token: &str) -> (u16, Value) {
    let resp = app
        .http
        .request(method, app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let body = resp.json().await.unwrap_or(Value::Null);
    (status, body)
}

#[tokio::test]
async fn the_first_admin_logs_in_uses_the_api_and_logs_out() {
    let app = TestApp::spawn().await;
    let resp = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": "Admin@Example.org ", "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    let token = body["data"]["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("cms_s_") && token.len() > 40, "{token}");
    assert_eq!(body["data"]["user"]["email"], ADMIN_EMAIL);
    assert_eq!(body["data"]["user"]["role"], "admin");
    assert!(body["data"]["user"].get("password_hash").is_none());
    assert!(body["data"]["expires_at"].as_str().unwrap() > "2025-01-01T09:00");

    let (status, me) = with_token(&app, Method::GET, "/api/v1/auth/me", &token).await;
    assert_eq!(
        (status, me["data"]["email"].as_str()),
        (200, Some(ADMIN_EMAIL))
    );
    let (status, _) = with_token(&app, Method::GET, "/api/v1/manage/page", &token).await;
    assert_eq!(status, 200);

    // Stored as a digest only: the token itself is nowhere in the store.
    let mut outcome = app
        .app
        .content
        .store()
        .run("SELECT * FROM session;", json!({}))
        .await
        .unwrap();
    let rows = outcome.rows(0).unwrap();
    assert_eq!(rows.len(), 1);
    assert!(!serde_json::to_string(&rows).unwrap().contains(&token[6..]));

    let (status, _) = with_token(&app, Method::POST, "/api/v1/auth/logout", &token).await;
    assert_eq!(status, 204);
    let (status, body) = with_token(&app, Method::GET, "/api/v1/auth/me", &token).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    let (status, _) = with_token(&app, Method::GET, "/api/v1/manage/page", &token).await;
    assert_eq!(status, 401);
    let (status, _) = with_token(&app, Method::GET, "/api/v1/auth/me", "cms_s_forged").await;
    assert_eq!(status, 401);
    assert_eq!(app.status("/api/v1/auth/me").await, 401);
}

#[tokio::test]
async fn sessions_expire() {
    let app = TestApp::spawn_with("[auth]\nsession_ttl_mins = 30\n").await;
    let token = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (status, _) = with_token(&app, Method::GET, "/api/v1/auth/me", &token).await;
    assert_eq!(status, 200);
    app.clock.advance(chrono::Duration::minutes(29));
    let (status, _) = with_token(&app, Method::GET, "/api/v1/auth/me", &token).await;
    assert_eq!(status, 200);
    app.clock.advance(chrono::Duration::minutes(2));
    let (status, _) = with_token(&app, Method::GET, "/api/v1/auth/me", &token).await;
    assert_eq!(status, 401, "an expired session is refused");
}

#[tokio::test]
async fn unknown_accounts_and_wrong_passwords_look_the_same_and_cost_the_same() {
    let app = TestApp::spawn().await;
    let before = app.app.auth.password_verifications();
    let (s1, b1, _) = login_attempt(&app, "nobody@example.org", "whatever-password").await;
    assert_eq!(
        app.app.auth.password_verifications(),
        before + 1,
        "an unknown account costs one argon2 verification"
    );
    let (s2, b2, _) = login_attempt(&app, ADMIN_EMAIL, "wrong-password-1").await;
    assert_eq!(app.app.auth.password_verifications(), before + 2);
    assert_eq!((s1, s2), (401, 401));
    assert_eq!(b1, b2, "same body for both");
    assert_eq!(b1["error"]["code"], "invalid_credentials");
    // Both failures are audited, with the address tried.
    let mut outcome = app
        .app
        .content
        .store()
        .run(
            "SELECT detail.email AS email FROM audit WHERE action = 'auth.login_failed' ORDER BY email;",
            json!({}),
        )
        .await
        .unwrap();
    let rows = outcome.rows(0).unwrap();
    assert_eq!(
        rows,
        vec![
            json!({"email": ADMIN_EMAIL}),
            json!({"email": "nobody@example.org"})
        ]
    );
}

#[tokio::test]
async fn logins_are_rate_limited_per_account_and_per_ip() {
    let app =
        TestApp::spawn_with("[auth]\nlogin_per_account_per_min = 3\nlogin_per_ip_per_min = 6\n")
            .await;
    for _ in 0..3 {
        let (status, _, _) = login_attempt(&app, ADMIN_EMAIL, "wrong-password-1").await;
        assert_eq!(status, 401);
    }
    let (status, body, retry) = login_attempt(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (429, Some("rate_limited"))
    );
    let retry: u64 = retry.expect("Retry-After").parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    // Another account from the same address still gets its turns, until the IP's limit.
    for _ in 0..2 {
        let (status, _, _) = login_attempt(&app, "other@example.org", "wrong-password-1").await;
        assert_eq!(status, 401);
    }
    let (status, _, _) = login_attempt(&app, "third@example.org", "wrong-password-1").await;
    assert_eq!(status, 429, "the IP's limit of 6 per minute is used up");
}

#[tokio::test]
async fn admins_manage_accounts_and_roles_limit_what_others_do() {
    let app = TestApp::spawn().await;
    // A generated one-time password is returned once and works.
    let resp = app
        .admin(Method::POST, "/api/v1/users")
        .json(&json!({"email": "ed@example.org", "name": "Ed", "role": "editor"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let body: Value = resp.json().await.unwrap();
    let otp = body["data"]["one_time_password"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(body["data"]["role"], "editor");
    let editor = app.login("ed@example.org", &otp).await;

    // Duplicate email: 409, whatever the case.
    let resp = app
        .admin(Method::POST, "/api/v1/users")
        .json(
            &json!({"email": "ED@example.org", "role": "member", "password": "member-password-1"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 409);
    // Bad input: unknown role, short password, unknown field, not an email.
    for bad in [
        json!({"email": "x@example.org", "role": "owner"}),
        json!({"email": "x@example.org", "role": "member", "password": "short"}),
        json!({"email": "x@example.org", "role": "member", "admin": true}),
        json!({"email": "not-an-email", "role": "member"}),
    ] {
        let resp = app
            .admin(Method::POST, "/api/v1/users")
            .json(&bad)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400, "{bad}");
    }

    let (status, users) = with_token(&app, Method::GET, "/api/v1/users", &editor).await;
    assert_eq!(
        (status, users["error"]["code"].as_str()),
        (403, Some("forbidden"))
    );
    let (status, users) = with_token(&app, Method::GET, "/api/v1/users", &app.app.token).await;
    assert_eq!(status, 200);
    let emails: Vec<&str> = users["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, vec![ADMIN_EMAIL, "ed@example.org"]);
    assert!(
        !users.to_string().contains("argon2"),
        "hashes never leave the server"
    );

    // A member can sign in but not manage content; anonymous gets 401.
    let member = app.user_session("m@example.org", "member").await;
    let (status, _) = with_token(&app, Method::GET, "/api/v1/manage/page", &member).await;
    assert_eq!(status, 403);
    assert_eq!(app.status("/api/v1/users").await, 401);
    let resp = app
        .http
        .post(app.url("/api/v1/users"))
        .bearer_auth(&member)
        .json(&json!({"email": "y@example.org", "role": "admin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403, "members cannot create accounts");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_answers_while_logins_hash() {
    // Costly hashes (32 MiB, 16 passes: a large fraction of a second each). If hashing ran on the
    // async workers, the two in flight would block both workers (this test's client included)
    // until the first finished, and no health answer could come back before that.
    let app = TestApp::spawn_with(
        "[auth]\nargon2_memory_kib = 32768\nargon2_iterations = 16\nlogin_per_account_per_min = 1000\nlogin_per_ip_per_min = 1000\n",
    )
    .await;
    let storm: Vec<_> = (0..4)
        .map(|i| {
            let http = app.http.clone();
            let url = app.url("/api/v1/auth/login");
            tokio::spawn(async move {
                http.post(url)
                    .json(&json!({"email": format!("u{i}@example.org"), "password": "wrong-password-1"}))
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
            })
        })
        .collect();
    let mut answered_before_first_login = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    while storm.iter().all(|h| !h.is_finished()) && tokio::time::Instant::now() < deadline {
        let live = app
            .http
            .get(app.url("/health/live"))
            .send()
            .await
            .expect("/health/live answers while logins hash");
        assert_eq!(live.status(), 200);
        if storm.iter().all(|h| !h.is_finished()) {
            answered_before_first_login += 1;
        }
    }
    for h in storm {
        assert_eq!(h.await.unwrap().unwrap(), 401);
    }
    assert!(
        answered_before_first_login >= 3,
        "health answered {answered_before_first_login} times before the first login finished"
    );
}
