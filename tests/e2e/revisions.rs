//! Revisions: every write stores one; list, read, diff, restore; delivery keeps serving the
//! snapshot until the next publish.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::TestApp;

async fn admin_json(
    app: &TestApp,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = app.admin(method, path);
    if let Some(b) = body {
        req = req.json(&b).header("if-match", "*");
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn delivered(app: &TestApp, id: &str) -> Value {
    app.json(&format!("/api/v1/content/page/{id}")).await["data"]["fields"]["title"].clone()
}

#[tokio::test]
async fn revisions_list_diff_and_restore_while_delivery_keeps_the_snapshot() {
    let app = TestApp::spawn().await;
    let item = app
        .create(
            "page",
            json!({"site": "csn", "fields": {"title": "First", "slug": "p", "summary": "S"}}),
        )
        .await;
    let id = item["sys"]["id"].as_str().unwrap().to_owned();
    let base = format!("/api/v1/manage/page/{id}");
    let title = |t: &str| Some(json!({"fields": {"title": t}}));
    assert_eq!(
        admin_json(&app, Method::PATCH, &base, title("Second"))
            .await
            .0,
        200
    );
    app.action("page", &id, "publish", "en").await;
    assert_eq!(
        admin_json(&app, Method::PATCH, &base, title("Third"))
            .await
            .0,
        200
    );
    assert_eq!(
        delivered(&app, &id).await,
        "Second",
        "editing a published item changes only its working copy"
    );

    let (status, list) = admin_json(&app, Method::GET, &format!("{base}/revisions"), None).await;
    assert_eq!(status, 200, "{list}");
    let ns: Vec<u64> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["n"].as_u64().unwrap())
        .collect();
    let ops: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["op"].as_str().unwrap())
        .collect();
    assert_eq!(ns, [4, 3, 2, 1]);
    assert_eq!(ops, ["updated", "published", "updated", "created"]);
    assert!(
        list["data"][0].get("fields").is_none(),
        "the list leaves fields out"
    );

    let (_, first) = admin_json(&app, Method::GET, &format!("{base}/revisions/1"), None).await;
    assert_eq!(first["data"]["fields"]["title"], "First");
    let (_, diff) = admin_json(
        &app,
        Method::GET,
        &format!("{base}/revisions/1/diff/4"),
        None,
    )
    .await;
    assert_eq!(
        diff["data"]["changes"],
        json!([{"field": "title", "change": "changed", "before": "First", "after": "Third"}])
    );
    let (_, same) = admin_json(
        &app,
        Method::GET,
        &format!("{base}/revisions/2/diff/3"),
        None,
    )
    .await;
    assert_eq!(
        same["data"]["changes"],
        json!([]),
        "publishing changes no field"
    );

    let (status, restored) = admin_json(
        &app,
        Method::POST,
        &format!("{base}/revisions/1/restore"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{restored}");
    assert_eq!(restored["data"]["fields"]["title"], "First");
    assert_eq!(restored["data"]["sys"]["revision"], 5);
    assert_eq!(restored["data"]["sys"]["state"], "draft");
    let (_, list) = admin_json(&app, Method::GET, &format!("{base}/revisions"), None).await;
    assert_eq!(list["data"][0]["op"], "restored");
    assert_eq!(
        delivered(&app, &id).await,
        "Second",
        "a restore is a working-copy change"
    );
    app.action("page", &id, "publish", "en").await;
    assert_eq!(delivered(&app, &id).await, "First");

    assert_eq!(
        admin_json(&app, Method::GET, &format!("{base}/revisions/99"), None)
            .await
            .0,
        404
    );
    assert_eq!(
        admin_json(&app, Method::GET, &format!("{base}/revisions/0"), None)
            .await
            .0,
        400
    );
    assert_eq!(app.status(&format!("{base}/revisions")).await, 401);
    let member = app.user_session("m@example.org", "member").await;
    let resp = app
        .http
        .get(app.url(&format!("{base}/revisions")))
        .bearer_auth(&member)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    let other = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
    let (status, _) = admin_json(
        &app,
        Method::GET,
        &format!("/api/v1/manage/page/{other}/revisions"),
        None,
    )
    .await;
    assert_eq!(status, 404);
}
