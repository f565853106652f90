//! Plugins through the API: upload checks, blocks in content (validate on save, render at
//! publish, errors inside a 200), re-rendering on upgrades and on changes to content read
//! through `get-content`, removal while in use, and hostile plugins contained while the
//! server keeps answering.

use std::time::{Duration, Instant};

use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::harness::{TestApp, eventually, string_pairs};

fn component(name: &str) -> Vec<u8> {
    std::fs::read(cms::plugins::repo_plugin(name).unwrap()).unwrap()
}

/// The manifest of `plugins/<dir>/plugin.json`, with its id replaced by `id`.
fn manifest(dir: &str, id: &str) -> String {
    let path = format!(
        "{}/../plugins/{dir}/plugin.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut m: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    m["id"] = json!(id);
    m.to_string()
}

async fn upload(
    t: &TestApp,
    token: &str,
    bytes: Vec<u8>,
    manifest: &str,
    grants: &[&str],
) -> (u16, Value) {
    let mut form = Form::new()
        .part("component", Part::bytes(bytes).file_name("plugin.wasm"))
        .text("manifest", manifest.to_owned());
    for g in grants {
        form = form.text("grant", g.to_string());
    }
    let resp = t
        .http
        .post(t.url("/api/v1/plugins"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// Upload the callout example with its own manifest, as `token`.
async fn upload_callout(t: &TestApp, token: &str) -> (u16, Value) {
    let manifest = manifest("examples/callout", "callout");
    upload(t, token, component("callout"), &manifest, &[]).await
}

/// Install `plugins/<dir>` as `id` (asserts success).
async fn install(t: &TestApp, dir: &str, package: &str, id: &str, grants: &[&str]) -> Value {
    let (status, body) = upload(
        t,
        &t.app.token,
        component(package),
        &manifest(dir, id),
        grants,
    )
    .await;
    assert!(
        status == 201 || status == 200,
        "install {id}: {status} {body}"
    );
    body["data"].clone()
}

async fn send(t: &TestApp, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = t.admin(method, path);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn page(slug: &str, body: Value) -> Value {
    json!({"site": "csn", "fields": {"title": format!("Page {slug}"), "slug": slug, "body": body}})
}

fn detail_codes(body: &Value) -> Vec<(String, String)> {
    string_pairs(&body["error"]["details"], "path", "code")
}

async fn delivered(t: &TestApp, id: &str) -> Value {
    t.json(&format!("/api/v1/content/page/{id}")).await["data"].clone()
}

#[tokio::test]
async fn upload_checks_list_show_try_and_remove() {
    let t = TestApp::spawn().await;
    let callout = component("callout");

    // Refused at upload, each with its reason, and nothing is stored.
    let bad = [
        (
            b"not wasm at all".to_vec(),
            manifest("examples/callout", "callout"),
            vec![],
            "not_a_component",
        ),
        (
            callout[..callout.len() / 2].to_vec(),
            manifest("examples/callout", "callout"),
            vec![],
            "not_a_component",
        ),
        (
            callout.clone(),
            "{\"id\": \"callout\"".into(),
            vec![],
            "invalid_manifest",
        ),
        (
            callout.clone(),
            manifest("examples/callout", "Bad Id"),
            vec![],
            "invalid_manifest",
        ),
        (
            callout.clone(),
            manifest("examples/callout", "callout"),
            vec!["get-content"],
            "invalid_manifest",
        ),
        (
            component("nosy"),
            manifest("fixtures/nosy", "nosy"),
            vec![],
            "capability_not_granted",
        ),
    ];
    for (bytes, manifest, grants, code) in bad {
        let (status, body) = upload(&t, &t.app.token, bytes, &manifest, &grants).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (400, Some(code)),
            "{body}"
        );
    }
    // The messages name what was wrong.
    for (package, dir, named) in [
        (
            "nosy",
            "fixtures/nosy",
            ["cms:block/content", "get-content"],
        ),
        (
            "future",
            "fixtures/future",
            ["cms:block@0.2.0", "cms:block@0.1.*"],
        ),
    ] {
        let (_, body) = upload(
            &t,
            &t.app.token,
            component(package),
            &manifest(dir, package),
            &[],
        )
        .await;
        let message = body["error"]["message"].as_str().unwrap();
        assert!(named.iter().all(|n| message.contains(n)), "{message}");
    }
    let resp = t
        .http
        .post(t.url("/api/v1/plugins"))
        .bearer_auth(&t.app.token)
        .multipart(Form::new().text("manifest", manifest("examples/callout", "callout")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(t.count("plugin").await, 0);

    // Only admins install; anonymous callers are asked to sign in.
    let editor = t.user_session("editor@example.org", "editor").await;
    let (status, _) = upload_callout(&t, &editor).await;
    assert_eq!(status, 403);
    let (status, _) = upload_callout(&t, "").await;
    assert_eq!(status, 401);

    // Installed: 201, then 200 for the same id again.
    let (status, body) = upload_callout(&t, &t.app.token).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["data"]["id"], "callout");
    assert_eq!(body["data"]["wit_version"], "0.1.0");
    assert_eq!(body["data"]["blocks"][0]["name"], "callout");
    assert_eq!(
        body["data"]["blocks"][0]["props_schema"]["required"],
        json!(["body"])
    );
    let (status, _) = upload_callout(&t, &t.app.token).await;
    assert_eq!(status, 200);
    let nosy = install(&t, "fixtures/nosy", "nosy", "nosy", &["get-content"]).await;
    assert_eq!(nosy["capabilities"], json!(["get-content"]));

    // Editors list and show them; the anonymous do not.
    let list = t
        .http
        .get(t.url("/api/v1/plugins"))
        .bearer_auth(&editor)
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), 200);
    let list: Value = list.json().await.unwrap();
    let ids: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["callout", "nosy"]);
    assert_eq!(t.status("/api/v1/plugins").await, 401);
    assert_eq!(
        send(&t, Method::GET, "/api/v1/plugins/callout", None)
            .await
            .0,
        200
    );
    assert_eq!(
        send(&t, Method::GET, "/api/v1/plugins/nothing", None)
            .await
            .0,
        404
    );

    // Trying a block: validated (422 with the plugin's paths), then rendered and sanitized.
    let (status, body) = send(
        &t,
        Method::POST,
        "/api/v1/plugins/callout/render",
        Some(json!({"block": "callout", "props": {"tone": "loud"}})),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        detail_codes(&body),
        [
            ("props.body".into(), "required".into()),
            ("props.tone".into(), "invalid_choice".into())
        ]
    );
    let (status, body) = send(&t, Method::POST, "/api/v1/plugins/callout/render",
        Some(json!({"block": "callout", "props": {"tone": "tip", "title": "<img src=x onerror=alert(1)>", "body": "Try it"}}))).await;
    assert_eq!(status, 200, "{body}");
    let html = body["data"]["html"].as_str().unwrap();
    assert!(
        html.starts_with("<aside class=\"callout callout-tip\">"),
        "{html}"
    );
    assert!(!html.contains("<img"), "{html}");
    assert!(body["data"]["text"].as_str().unwrap().contains("Try it"));
    let (status, body) = send(
        &t,
        Method::POST,
        "/api/v1/plugins/callout/render",
        Some(json!({"block": "nope", "props": {}})),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("unknown_block"))
    );
    let (status, _) = send(
        &t,
        Method::POST,
        "/api/v1/plugins/callout/render",
        Some(json!({"block": "callout", "props": {}, "extra": 1})),
    )
    .await;
    assert_eq!(status, 400);

    // Removed: 204, then gone.
    assert_eq!(
        send(&t, Method::DELETE, "/api/v1/plugins/nosy", None)
            .await
            .0,
        204
    );
    assert_eq!(
        send(&t, Method::GET, "/api/v1/plugins/nosy", None).await.0,
        404
    );
    assert_eq!(
        send(&t, Method::DELETE, "/api/v1/plugins/nosy", None)
            .await
            .0,
        404
    );
    assert_eq!(t.count("plugin").await, 1);
}

#[tokio::test]
async fn plugin_blocks_are_validated_on_save_rendered_at_publish_and_searchable() {
    let t = TestApp::spawn().await;
    install(&t, "examples/callout", "callout", "callout", &[]).await;
    install(
        &t,
        "examples/video-embed",
        "video-embed",
        "video-embed",
        &[],
    )
    .await;

    // Validation on save: the plugin's errors come back with paths into the fields.
    let (status, body) = send(&t, Method::POST, "/api/v1/manage/page", Some(page("blocks", json!([
        {"type": "paragraph", "props": {"text": "Intro"}},
        {"type": "plugin:video-embed/video", "props": {"url": "https://example.org/v", "title": "Film"}},
        {"type": "plugin:callout/callout", "props": {}},
        {"type": "plugin:maps/map", "props": {}},
    ])))).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        detail_codes(&body),
        [
            (
                "fields.body[1].props.url".into(),
                "unsupported_video".into()
            ),
            ("fields.body[2].props.body".into(), "required".into()),
            ("fields.body[3].type".into(), "unknown_block".into()),
        ]
    );
    assert_eq!(t.count("item").await, 0);

    let body = json!([
        {"type": "paragraph", "props": {"text": "Intro"}},
        {"type": "plugin:video-embed/video", "props": {"url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ", "title": "Film"}},
        {"type": "plugin:callout/callout", "props": {"tone": "tip", "body": "Quokkaberry circles work"}},
    ]);
    let item = t.create("page", page("blocks", body)).await;
    let id = item["sys"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        item["fields"]["body"][2]["html"],
        Value::Null,
        "working copies are not rendered"
    );

    // PATCH validates too.
    let resp = t
        .admin(Method::PATCH, &format!("/api/v1/manage/page/{id}"))
        .header("if-match", "*")
        .json(&json!({"fields": {"body": [{"type": "plugin:callout/callout", "props": {"tone": "x", "body": "b"}}]}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        detail_codes(&body),
        [("fields.body[0].props.tone".into(), "invalid_choice".into())]
    );

    // Plugins check props only for those allowed to edit the item: others get 403 / 404.
    let contributor = t.user_session("contrib@example.org", "contributor").await;
    let bad_blocks = json!({"fields": {"body": [{"type": "plugin:callout/callout", "props": {}}]}});
    for (path, expected) in [
        (format!("/api/v1/manage/page/{id}"), 403),
        (
            "/api/v1/manage/page/01JD0000000000000000000000".to_owned(),
            404,
        ),
    ] {
        let resp = t
            .http
            .patch(t.url(&path))
            .bearer_auth(&contributor)
            .header("if-match", "*")
            .json(&bad_blocks)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), expected, "{path}");
    }

    // Publish renders into the snapshot: sanitized HTML, an iframe only from the video host.
    t.action("page", &id, "publish", "en").await;
    let got = delivered(&t, &id).await;
    let blocks = got["fields"]["body"].as_array().unwrap();
    let video = blocks[1]["html"].as_str().unwrap();
    assert!(
        video.contains("https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        "{video}"
    );
    assert!(video.contains("sandbox="), "{video}");
    assert!(blocks[2]["html"].as_str().unwrap().contains("Quokkaberry"));
    assert_eq!(
        blocks[2]["text"].as_str().unwrap().trim(),
        "Quokkaberry circles work"
    );

    // The block's text is in the search index.
    let found = eventually(Duration::from_secs(10), || async {
        let body = t.json("/api/v1/search?q=quokkaberry").await;
        (body["meta"]["total"] == 1).then_some(body)
    })
    .await;
    assert!(found.is_some(), "the plugin block's text is searchable");

    // Removal is refused while content uses the plugin, unless forced; the snapshot keeps
    // its HTML, and a new render reports the plugin missing.
    let (status, body) = send(&t, Method::DELETE, "/api/v1/plugins/callout", None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("plugin_in_use")),
        "{body}"
    );
    assert_eq!(body["error"]["details"][0]["message"], id);
    assert_eq!(
        send(
            &t,
            Method::DELETE,
            "/api/v1/plugins/callout?force=true",
            None
        )
        .await
        .0,
        204
    );
    let got = delivered(&t, &id).await;
    assert!(
        got["fields"]["body"][2]["html"]
            .as_str()
            .unwrap()
            .contains("Quokkaberry")
    );
    let resp = t
        .admin(Method::PATCH, &format!("/api/v1/manage/page/{id}"))
        .header("if-match", "*")
        .json(&json!({"fields": {"title": "Renamed"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    t.action("page", &id, "publish", "en").await;
    let got = delivered(&t, &id).await;
    assert_eq!(got["fields"]["body"][2]["html"], Value::Null);
    assert_eq!(
        got["fields"]["body"][2]["error"]["code"],
        "plugin_not_installed"
    );
    assert!(got["fields"]["body"][1]["html"].is_string());
}

/// Installs `related` (granted `get-content`) and `box` (the callout), and publishes a public
/// article for `related` to read; its id.
async fn related_and_callout(t: &TestApp) -> String {
    install(
        t,
        "examples/related-practice",
        "related-practice",
        "related",
        &["get-content"],
    )
    .await;
    install(t, "examples/callout", "callout", "box", &[]).await;
    t.publish_new(
        "practice_article",
        json!({"fields": {"title": "Oracy first", "slug": "oracy-first",
        "summary": "S.", "topics": ["student-voice"], "visibility": "public"}}),
    )
    .await
}

#[tokio::test]
async fn upgrades_and_changes_to_content_read_re_render_snapshots() {
    let t = TestApp::spawn().await;
    let article = related_and_callout(&t).await;
    let id = t
        .publish_new(
            "page",
            page(
                "related",
                json!([
                    {"type": "plugin:related/related", "props": {"articles": [article]}},
                    {"type": "plugin:box/callout", "props": {"body": "Boxed"}},
                ]),
            ),
        )
        .await;
    let got = delivered(&t, &id).await;
    assert!(
        got["fields"]["body"][0]["html"]
            .as_str()
            .unwrap()
            .contains("Oracy first"),
        "{got}"
    );

    // The article's new title reaches the page once the article is published again.
    let resp = t
        .admin(
            Method::PATCH,
            &format!("/api/v1/manage/practice_article/{article}"),
        )
        .header("if-match", "*")
        .json(&json!({"fields": {"title": "Oracy always"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    t.action("practice_article", &article, "publish", "en")
        .await;
    let updated = eventually(Duration::from_secs(10), || async {
        let got = delivered(&t, &id).await;
        got["fields"]["body"][0]["html"]
            .as_str()
            .is_some_and(|h| h.contains("Oracy always"))
            .then_some(got)
    })
    .await;
    assert!(updated.is_some(), "the related block was re-rendered");
    // Unpublished: the article drops out of the block.
    t.action("practice_article", &article, "unpublish", "en")
        .await;
    let dropped = eventually(Duration::from_secs(10), || async {
        let got = delivered(&t, &id).await;
        got["fields"]["body"][0]["html"]
            .as_str()
            .is_some_and(|h| !h.contains("Oracy"))
            .then_some(())
    })
    .await;
    assert!(dropped.is_some(), "an unpublished article leaves the block");

    // An upgrade of `box` to a component without a `callout` block re-renders the page.
    let (status, body) = upload(
        &t,
        &t.app.token,
        component("hostile"),
        &manifest("fixtures/hostile", "box"),
        &[],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let rerendered = eventually(Duration::from_secs(10), || async {
        let got = delivered(&t, &id).await;
        (got["fields"]["body"][1]["error"]["code"] == "unknown_block").then_some(got)
    })
    .await;
    let got = rerendered.expect("the upgrade re-rendered the page");
    assert_eq!(got["fields"]["body"][1]["html"], Value::Null);
    assert_eq!(t.count("rerender").await, 0);
}

#[tokio::test]
async fn a_snapshot_that_stops_reading_content_drops_its_reads() {
    let t = TestApp::spawn().await;
    let article = related_and_callout(&t).await;
    let related = json!([{"type": "plugin:related/related", "props": {"articles": [article]}}]);
    let boxed = json!([{"type": "plugin:box/callout", "props": {"body": "Boxed"}}]);
    let id = t.publish_new("page", page("reads", related.clone())).await;
    assert_eq!(
        t.count("plugin_read").await,
        1,
        "the related block read the article"
    );
    // Each step edits the page, publishes it, and counts the reads left.
    for (fields, reads, why) in [
        (
            json!({"body": boxed}),
            0,
            "the replaced snapshot's reads are deleted",
        ),
        (
            json!({"summary": "Again"}),
            0,
            "a snapshot that read nothing has none",
        ),
        (
            json!({"body": related}),
            1,
            "reading again records the read",
        ),
        (
            json!({"summary": "Once more"}),
            1,
            "a read is replaced, not doubled",
        ),
        (
            json!({"body": [{"type": "paragraph", "props": {"text": "Plain"}}]}),
            0,
            "a snapshot without plugin blocks drops the reads",
        ),
        (json!({"body": related}), 1, "reading again"),
    ] {
        let resp = t
            .admin(Method::PATCH, &format!("/api/v1/manage/page/{id}"))
            .header("if-match", "*")
            .json(&json!({ "fields": fields }))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        t.action("page", &id, "publish", "en").await;
        assert_eq!(t.count("plugin_read").await, reads, "{why}");
    }
    t.action("page", &id, "unpublish", "en").await;
    assert_eq!(
        t.count("plugin_read").await,
        0,
        "an unpublished snapshot's reads are deleted"
    );
}

#[tokio::test]
async fn hostile_blocks_are_contained_and_the_server_keeps_answering() {
    let t = TestApp::spawn().await;
    install(&t, "fixtures/hostile", "hostile", "hostile", &[]).await;
    let blocks: Vec<Value> = ["loop", "memory", "recursion", "output", "panic"]
        .iter()
        .map(|b| json!({"type": format!("plugin:hostile/{b}"), "props": {"mb": 4}}))
        .collect();
    let id = t.publish_new("page", page("hostile", json!(blocks))).await;
    let got = delivered(&t, &id).await;
    let codes: Vec<&str> = got["fields"]["body"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            assert_eq!(b["html"], Value::Null, "{b}");
            b["error"]["code"].as_str().unwrap()
        })
        .collect();
    // Deep recursion ends in wasmtime's stack guard or, first, beyond the shadow stack in
    // linear memory: trapped either way.
    let recursion = ["plugin_stack_overflow", "plugin_trap"].contains(&codes[2]);
    assert!(recursion, "{got}");
    assert_eq!(
        [codes[0], codes[1], codes[3], codes[4]],
        [
            "plugin_timeout",
            "plugin_out_of_memory",
            "plugin_output_too_large",
            "plugin_trap"
        ],
        "{got}"
    );

    // 40 looping renders at once (more than the pool's 32 instances): health and reads keep
    // answering quickly while they run.
    let looping: Vec<_> = (0..40)
        .map(|_| {
            let req = t
                .admin(Method::POST, "/api/v1/plugins/hostile/render")
                .json(&json!({"block": "loop", "props": {}}));
            tokio::spawn(async move { req.send().await.unwrap().json::<Value>().await.unwrap() })
        })
        .collect();
    let start = Instant::now();
    let mut slowest = Duration::ZERO;
    let mut answered = 0;
    while looping.iter().any(|h| !h.is_finished()) && start.elapsed() < Duration::from_secs(30) {
        for path in [
            "/health/live".to_owned(),
            format!("/api/v1/content/page/{id}"),
        ] {
            let sent = Instant::now();
            assert_eq!(t.status(&path).await, 200);
            slowest = slowest.max(sent.elapsed());
            answered += 1;
        }
    }
    for h in looping {
        let body = h.await.unwrap();
        assert_eq!(body["data"]["error"]["code"], "plugin_timeout", "{body}");
    }
    assert!(
        answered >= 4,
        "requests answered while the loops ran: {answered}"
    );
    assert!(
        slowest < Duration::from_secs(1),
        "slowest answer during the loops: {slowest:?}"
    );
}

#[tokio::test]
async fn echoed_xss_payloads_are_sanitized_and_the_school_card_renders() {
    let t = TestApp::spawn().await;
    install(&t, "fixtures/hostile", "hostile", "echo", &[]).await;
    install(
        &t,
        "examples/school-card",
        "school-card",
        "school-card",
        &[],
    )
    .await;
    let payloads: Vec<&str> = include_str!("../fixtures/xss-payloads.txt")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert!(payloads.len() >= 30);
    let mut blocks: Vec<Value> = payloads
        .iter()
        .map(|p| json!({"type": "plugin:echo/echo", "props": {"html": p, "text": "t"}}))
        .collect();
    blocks.push(
        json!({"type": "plugin:school-card/school-card", "props": {"name": "Ashfield <Primary>",
        "phase": "primary", "region": "Yorkshire", "href": "/schools/ashfield"}}),
    );
    let id = t.publish_new("page", page("xss", json!(blocks))).await;
    let got = delivered(&t, &id).await;
    let body = got["fields"]["body"].as_array().unwrap();
    for (payload, block) in payloads.iter().zip(body) {
        let html = block["html"].as_str().unwrap();
        // What the API stores is the sanitizer's output (whose safety the unit tests check
        // payload by payload), never the plugin's raw HTML.
        assert_eq!(
            Some(html.to_owned()),
            cms::plugins::sanitize(payload, 256 << 10),
            "{payload}"
        );
        let lower = html.to_lowercase();
        for bad in ["<script", "onerror=", "onload=", "javascript:"] {
            assert!(!lower.contains(bad), "{payload} -> {html}");
        }
    }
    let card = body.last().unwrap();
    let html = card["html"].as_str().unwrap();
    assert!(
        html.contains("Ashfield &lt;Primary&gt;") && html.contains("href=\"/schools/ashfield\""),
        "{card}"
    );
    assert!(
        card["text"]
            .as_str()
            .unwrap()
            .contains("Ashfield <Primary>"),
        "{card}"
    );
}

async fn export(t: &TestApp) -> String {
    t.admin(Method::GET, "/api/v1/admin/export")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn imported_snapshots_are_rendered_again_and_export_round_trips() {
    let a = TestApp::spawn().await;
    install(&a, "examples/callout", "callout", "callout", &[]).await;
    let id = a
        .publish_new(
            "page",
            page(
                "imported",
                json!([
                    {"type": "plugin:callout/callout", "props": {"body": "Carried over"}},
                ]),
            ),
        )
        .await;
    let exported = export(&a).await;
    assert!(exported.contains("Carried over"));

    let b = TestApp::spawn().await;
    install(&b, "examples/callout", "callout", "callout", &[]).await;
    let resp = b
        .admin(Method::POST, "/api/v1/admin/import")
        .header("content-type", "application/x-ndjson")
        .body(exported.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let rendered = eventually(Duration::from_secs(10), || async {
        let got = delivered(&b, &id).await;
        got["fields"]["body"][0]["html"]
            .as_str()
            .is_some_and(|h| h.contains("Carried over"))
            .then_some(())
    })
    .await;
    assert!(rendered.is_some(), "the imported snapshot was rendered");
    assert_eq!(b.count("rerender").await, 0);
    assert_eq!(export(&b).await, exported);
}
