//! Scheduled publishing: a job acts within one tick after the clock passes the time; schedules
//! survive a restart.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{ChildServer, TOKEN, TestApp, eventually};

async fn schedule(app: &TestApp, id: &str, body: Value) -> (u16, Value) {
    let resp = app
        .admin(Method::POST, &format!("/api/v1/manage/page/{id}/schedule"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

#[tokio::test]
async fn publish_and_unpublish_happen_when_the_clock_passes_their_time() {
    let app = TestApp::spawn().await;
    let id = app
        .create(
            "page",
            json!({"site": "csn", "fields": {"title": "Later", "slug": "later"}}),
        )
        .await["sys"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body) = schedule(
        &app,
        &id,
        json!({"publish_at": "2025-01-01T10:00:00Z", "unpublish_at": "2025-01-02T10:00:00Z"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"]["sys"]["publish_at"],
        "2025-01-01T10:00:00.000Z"
    );
    let path = format!("/api/v1/content/page/{id}");
    // The test clock stands at 09:00: a tick finds nothing due.
    assert_eq!(app.app.content.run_due_schedules().await.unwrap(), 0);
    assert_eq!(app.status(&path).await, 404);

    app.clock.advance(chrono::Duration::minutes(61));
    let published = eventually(Duration::from_secs(10), || async {
        (app.status(&path).await == 200).then_some(())
    })
    .await;
    assert!(published.is_some(), "published within a tick of 10:00");
    let (_, item) = {
        let resp = app
            .admin(Method::GET, &format!("/api/v1/manage/page/{id}"))
            .send()
            .await
            .unwrap();
        ((), resp.json::<Value>().await.unwrap())
    };
    assert_eq!(
        item["data"]["sys"]["publish_at"],
        Value::Null,
        "done schedules are cleared"
    );
    assert_eq!(
        item["data"]["sys"]["unpublish_at"],
        "2025-01-02T10:00:00.000Z"
    );

    app.clock.advance(chrono::Duration::days(1));
    let gone = eventually(Duration::from_secs(10), || async {
        (app.status(&path).await == 404).then_some(())
    })
    .await;
    assert!(gone.is_some(), "unpublished within a tick");
    // The scheduler is in the audit log as the actor.
    let log: Value = app
        .admin(
            Method::GET,
            &format!("/api/v1/audit?subject={id}&action=item.published"),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(log["data"][0]["actor"], "system:scheduler");

    for bad in [
        json!({"publish_at": "soon"}),
        json!({"publish_at": "2025-01-05T00:00:00Z", "unpublish_at": "2025-01-04T00:00:00Z"}),
        json!({"when": "2025-01-05T00:00:00Z"}),
    ] {
        assert_eq!(schedule(&app, &id, bad.clone()).await.0, 400, "{bad}");
    }
    let contributor = app.user_session("c@example.org", "contributor").await;
    let resp = app
        .http
        .post(app.url(&format!("/api/v1/manage/page/{id}/schedule")))
        .bearer_auth(&contributor)
        .json(&json!({"publish_at": "2025-01-05T00:00:00Z"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
}

#[tokio::test]
async fn a_schedule_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = ChildServer::start(dir.path(), &[("CMS_JOBS__TICK_MS", "50")]);
    let http = reqwest::Client::new();
    let created: Value = http
        .post(format!("{}/api/v1/manage/page", server.url))
        .bearer_auth(TOKEN)
        .json(&json!({"site": "csn", "fields": {"title": "Timed", "slug": "timed"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["data"]["sys"]["id"].as_str().unwrap().to_owned();
    let at = chrono::Utc::now() + chrono::Duration::seconds(4);
    let resp = http
        .post(format!("{}/api/v1/manage/page/{id}/schedule", server.url))
        .bearer_auth(TOKEN)
        .json(&json!({"publish_at": at.to_rfc3339()}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    server.kill();
    assert!(chrono::Utc::now() < at, "killed before the time came");

    let server = ChildServer::start(dir.path(), &[("CMS_JOBS__TICK_MS", "50")]);
    let url = format!("{}/api/v1/content/page/{id}", server.url);
    let published = eventually(Duration::from_secs(30), || async {
        let status = http.get(&url).send().await.ok()?.status();
        (status == 200).then_some(chrono::Utc::now())
    })
    .await
    .expect("published after the restart");
    assert!(published >= at);
    server.kill();
}
