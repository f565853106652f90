//! Authorization, table-driven: role x endpoint x content state, every cell asserting the exact
//! status, and that hidden items leak nothing (bodies, ETags, list totals).

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp};

const STATES: [&str; 8] = [
    "draft",
    "in_review",
    "approved",
    "published",
    "members",
    "archived",
    "trashed",
    "other_draft",
];
const ROLES: [&str; 5] = ["anonymous", "member", "contributor", "editor", "admin"];

/// Expected status per state (rows in `STATES` order), per role (columns in `ROLES` order).
type Table = [[u16; 5]; 8];

const DELIVERY_GET: Table = [
    [404; 5],
    [404; 5],
    [404; 5],
    [200; 5],
    [404, 200, 200, 200, 200],
    [404; 5],
    [404; 5],
    [404; 5],
];
const MANAGE_GET: Table = [[401, 403, 200, 200, 200]; 8];
const REVISIONS: Table = [[401, 403, 200, 200, 200]; 8];
const PATCH: Table = [
    [401, 403, 200, 200, 200],
    [401, 403, 403, 200, 200],
    [401, 403, 403, 200, 200],
    [401, 403, 403, 200, 200],
    [401, 403, 403, 200, 200],
    [401, 403, 403, 200, 200],
    [401, 403, 403, 409, 409],
    [401, 403, 403, 200, 200],
];
const PUBLISH: Table = [
    [401, 403, 403, 200, 200],
    [401, 403, 403, 200, 200],
    [401, 403, 403, 200, 200],
    [401, 403, 403, 409, 409],
    [401, 403, 403, 409, 409],
    [401, 403, 403, 409, 409],
    [401, 403, 403, 409, 409],
    [401, 403, 403, 200, 200],
];

struct Item {
    ctype: &'static str,
    id: String,
}

async fn ok(app: &TestApp, method: Method, path: &str, token: &str, body: Option<Value>) -> Value {
    let mut req = app.http.request(method, app.url(path)).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let json: Value = resp.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{path}: {status} {json}");
    json
}

/// One item in each state: the first three by the contributor, the rest by the admin.
async fn build(app: &TestApp, n: usize, contributor: &str, editor: &str) -> Vec<Item> {
    let admin = app.app.token.clone();
    let mut items = Vec::new();
    for state in STATES {
        let owner = if matches!(state, "draft" | "in_review" | "approved") {
            contributor.to_owned()
        } else {
            admin.clone()
        };
        let (ctype, body) = if state == "members" {
            (
                "practice_article",
                json!({"fields": {"title": "M", "slug": format!("m{n}"), "summary": "S",
                "topics": ["democracy"], "visibility": "members"}}),
            )
        } else {
            (
                "page",
                json!({"site": "csn", "fields": {"title": state, "slug": format!("{}-{n}", state.replace('_', "-"))}}),
            )
        };
        let created = ok(
            app,
            Method::POST,
            &format!("/api/v1/manage/{ctype}"),
            &owner,
            Some(body),
        )
        .await;
        let id = created["data"]["sys"]["id"].as_str().unwrap().to_owned();
        let act = |a: &str| format!("/api/v1/manage/{ctype}/{id}/{a}");
        match state {
            "in_review" => {
                ok(app, Method::POST, &act("submit"), contributor, None).await;
            }
            "approved" => {
                ok(app, Method::POST, &act("submit"), contributor, None).await;
                ok(app, Method::POST, &act("approve"), editor, None).await;
            }
            "published" | "members" => {
                ok(app, Method::POST, &act("publish"), &admin, None).await;
            }
            "archived" => {
                ok(app, Method::POST, &act("publish"), &admin, None).await;
                ok(app, Method::POST, &act("archive"), &admin, None).await;
            }
            "trashed" => {
                ok(app, Method::POST, &act("publish"), &admin, None).await;
                let resp = app
                    .admin(Method::DELETE, &format!("/api/v1/manage/{ctype}/{id}"))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(resp.status(), 204);
            }
            _ => {}
        }
        items.push(Item { ctype, id });
    }
    items
}

async fn status(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
) -> (u16, Value, bool) {
    let mut req = app.http.request(method.clone(), app.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if method == Method::PATCH {
        req = req
            .header("if-match", "*")
            .json(&json!({"fields": {"title": "Edited"}}));
    }
    let resp = req.send().await.unwrap();
    let code = resp.status().as_u16();
    let etag = resp.headers().get("etag").is_some();
    (code, resp.json().await.unwrap_or(Value::Null), etag)
}

#[tokio::test]
async fn every_role_gets_the_status_the_design_gives_for_every_state() {
    let app = TestApp::spawn().await;
    let member = app.user_session("member@example.org", "member").await;
    let contributor = app.user_session("alice@example.org", "contributor").await;
    let editor = app.user_session("ed@example.org", "editor").await;
    let admin = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let tokens: [Option<&str>; 5] = [
        None,
        Some(&member),
        Some(&contributor),
        Some(&editor),
        Some(&admin),
    ];

    let readable = build(&app, 0, &contributor, &editor).await;
    // The 404 of an id that never existed: every hidden item must answer exactly this.
    let (_, unknown_body, _) = status(
        &app,
        Method::GET,
        "/api/v1/content/page/01ARZ3NDEKTSV4RRFFQ69G5FAV",
        None,
    )
    .await;
    let mut failures = Vec::new();
    for (r, role) in ROLES.iter().enumerate() {
        let token = tokens[r];
        let mut visible = [0u64; 2];
        for (s, state) in STATES.iter().enumerate() {
            let item = &readable[s];
            let d = format!("/api/v1/content/{}/{}", item.ctype, item.id);
            let m = format!("/api/v1/manage/{}/{}", item.ctype, item.id);
            for (name, table, method, path) in [
                ("delivery GET", &DELIVERY_GET, Method::GET, d.clone()),
                ("manage GET", &MANAGE_GET, Method::GET, m.clone()),
                (
                    "revisions",
                    &REVISIONS,
                    Method::GET,
                    format!("{m}/revisions"),
                ),
            ] {
                let (got, body, etag) = status(&app, method, &path, token).await;
                let want = table[s][r];
                if got != want {
                    failures.push(format!(
                        "{name} {state} as {role}: {got}, want {want}: {body}"
                    ));
                }
                if got == 404 && (body != unknown_body || etag) {
                    failures.push(format!(
                        "{name} {state} as {role}: a hidden item's 404 differs: {body}"
                    ));
                }
                if name == "delivery GET" && got == 200 {
                    visible[usize::from(item.ctype == "practice_article")] += 1;
                }
            }
        }
        // Totals count exactly what this role may read.
        for (t, ctype) in ["page", "practice_article"].iter().enumerate() {
            let (_, list, _) = status(
                &app,
                Method::GET,
                &format!("/api/v1/content/{ctype}"),
                token,
            )
            .await;
            if list["meta"]["total"] != json!(visible[t])
                || list["data"].as_array().map(Vec::len) != Some(visible[t] as usize)
            {
                failures.push(format!(
                    "list {ctype} as {role}: {list}, want {} items",
                    visible[t]
                ));
            }
        }
    }
    // Writes change state: each role acts on fresh items.
    for (r, role) in ROLES.iter().enumerate() {
        let token = tokens[r];
        for (name, table, set) in [
            ("PATCH", &PATCH, 1 + 2 * r),
            ("publish", &PUBLISH, 2 + 2 * r),
        ] {
            let items = build(&app, set, &contributor, &editor).await;
            for (s, state) in STATES.iter().enumerate() {
                let item = &items[s];
                let m = format!("/api/v1/manage/{}/{}", item.ctype, item.id);
                let (method, path) = if name == "PATCH" {
                    (Method::PATCH, m)
                } else {
                    (Method::POST, format!("{m}/publish"))
                };
                let (got, body, _) = status(&app, method, &path, token).await;
                let want = table[s][r];
                if got != want {
                    failures.push(format!(
                        "{name} {state} as {role}: {got}, want {want}: {body}"
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} cell(s) wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
