//! Search through the API: the index follows writes, permissions inside the query (hits,
//! totals, facets, suggestions), language handling, and bad queries.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{TestApp, eventually, string_pairs};

fn article(slug: &str, title: &str, body: &str, topics: &[&str], visibility: &str) -> Value {
    json!({"fields": {
        "title": title, "slug": slug, "summary": format!("About {title}."),
        "body": [{"type": "paragraph", "props": {"text": body}}],
        "topics": topics, "phase": "primary", "visibility": visibility,
    }})
}

/// Edit the working copy of the article `id` in `locale` with `body` (`{"fields": ...}`, a
/// merge patch).
async fn edit(app: &TestApp, id: &str, locale: &str, body: Value) {
    let path = format!("/api/v1/manage/practice_article/{id}?locale={locale}");
    let resp = app.admin(Method::GET, &path).send().await.unwrap();
    let etag = resp
        .headers()
        .get("etag")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let resp = app
        .admin(Method::PATCH, &path)
        .header("if-match", etag)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.text().await.unwrap());
}

async fn search(app: &TestApp, token: Option<&str>, query: &str) -> (u16, Value) {
    let mut req = app.get(&format!("/api/v1/search?{query}"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn slugs(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .map(|hits| {
            hits.iter()
                .map(|h| h["slug"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Three public articles, one members-only, one draft; the index caught up.
async fn seeded() -> TestApp {
    let app = TestApp::spawn().await;
    for (slug, title, body, topics, vis) in [
        (
            "talk",
            "Oracy across the school",
            "Work on oracy gave pupils structured opportunities to speak at length.",
            &["student-voice", "curriculum"][..],
            "public",
        ),
        (
            "allotment",
            "The school allotment",
            "A school allotment, run jointly with a local food co-operative, became a focus for science.",
            &["partnerships"][..],
            "public",
        ),
        (
            "governors",
            "Co-operative governance",
            "Members of the cooperative elect the governing body; democracy in practice.",
            &["governance", "democracy"][..],
            "public",
        ),
        (
            "members-oracy",
            "Oracy for members",
            "Members-only notes on oracy and the coop model.",
            &["student-voice"][..],
            "members",
        ),
    ] {
        app.publish_new("practice_article", article(slug, title, body, topics, vis))
            .await;
    }
    app.create(
        "practice_article",
        article(
            "draft",
            "Oracy draft",
            "Unpublished oracy plans.",
            &["curriculum"],
            "public",
        ),
    )
    .await;
    app.app.search.catch_up().await.unwrap();
    app
}

#[tokio::test]
async fn a_published_write_becomes_searchable_through_the_follower() {
    let app = TestApp::spawn().await;
    let (status, body) = search(&app, None, "q=mutualism").await;
    assert_eq!(
        (status, body["meta"]["total"].as_u64()),
        (200, Some(0)),
        "{body}"
    );
    let id = app
        .publish_new(
            "practice_article",
            article(
                "mutual",
                "Mutualism",
                "A form of mutualism between schools.",
                &["trusts"],
                "public",
            ),
        )
        .await;
    // No catch_up here: the follower woken by the commit must index it.
    let hit = eventually(Duration::from_secs(5), || async {
        let (_, body) = search(&app, None, "q=mutualism").await;
        (body["meta"]["total"] == 1).then_some(body)
    })
    .await
    .expect("the article is found within 5 s");
    let h = &hit["data"][0];
    assert_eq!(h["id"], id.as_str());
    assert_eq!(h["type"], "practice_article");
    assert_eq!(h["view"], "published");
    assert_eq!(h["locale"], "en");
    assert_eq!(h["slug"], "mutual");
    assert_eq!(h["title"], "Mutualism");
    assert!(h["score"].as_f64().unwrap() > 0.0);
    assert!(
        h["snippet"]
            .as_str()
            .unwrap()
            .contains("<mark>mutualism</mark>"),
        "{h}"
    );
    assert!(hit["meta"]["took_ms"].as_f64().is_some());
    // The metrics report the follower caught up.
    let metrics = app
        .get("/metrics")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("cms_search_index_lag_events 0"),
        "{metrics}"
    );
    // Trashing takes it out again.
    app.admin(
        Method::DELETE,
        &format!("/api/v1/manage/practice_article/{id}"),
    )
    .send()
    .await
    .unwrap();
    let gone = eventually(Duration::from_secs(5), || async {
        let (_, body) = search(&app, None, "q=mutualism").await;
        (body["meta"]["total"] == 0).then_some(())
    })
    .await;
    assert!(gone.is_some(), "a trashed item leaves the index");
}

#[tokio::test]
async fn an_edit_after_publishing_parts_the_working_copy_from_the_snapshot_in_search() {
    let app = seeded().await;
    let editor = app.user_session("e@example.org", "editor").await;
    let hits = |body: &Value| string_pairs(&body["data"], "slug", "view");
    let pair = |view: &str| vec![("talk".to_owned(), view.to_owned())];
    // Published and unchanged: found in both views, each reported as the view searched.
    let (_, published) = search(&app, None, "q=structured").await;
    assert_eq!(hits(&published), pair("published"));
    let id = published["data"][0]["id"].as_str().unwrap().to_owned();
    let (_, working) = search(&app, Some(&editor), "q=structured&view=working").await;
    assert_eq!(hits(&working), pair("working"));
    assert_eq!(working["meta"]["total"], 1);

    // An edit: the working copy has the new words, the snapshot keeps the old ones.
    let body = json!({"fields": {"body": [{"type": "paragraph",
        "props": {"text": "Debating clubs met weekly."}}]}});
    edit(&app, &id, "en", body).await;
    app.app.search.catch_up().await.unwrap();
    let find = |token: Option<String>, q: &'static str| {
        let app = &app;
        async move { hits(&search(app, token.as_deref(), q).await.1) }
    };
    let e = || Some(editor.clone());
    assert_eq!(find(e(), "q=debating&view=working").await, pair("working"));
    assert_eq!(find(None, "q=debating").await, []);
    assert_eq!(find(None, "q=structured").await, pair("published"));
    assert_eq!(find(e(), "q=structured&view=working").await, []);

    // Published again: one document answers for both views again.
    app.action("practice_article", &id, "publish", "en").await;
    app.app.search.catch_up().await.unwrap();
    assert_eq!(find(None, "q=debating").await, pair("published"));
    assert_eq!(find(e(), "q=debating&view=working").await, pair("working"));
    assert_eq!(find(None, "q=structured").await, []);
    // Its keys: the working copy and the English and Welsh snapshots, at the new revision.
    let keys = app.app.search.document_keys().unwrap();
    let talk: Vec<&String> = keys
        .iter()
        .map(|(k, _)| k)
        .filter(|k| k.starts_with(&id))
        .collect();
    assert_eq!(talk.len(), 3, "{talk:?}");
}

#[tokio::test]
async fn readers_see_only_what_they_may_in_hits_totals_facets_and_suggestions() {
    let app = seeded().await;
    let member = app.user_session("m@example.org", "member").await;
    let editor = app.user_session("e@example.org", "editor").await;
    let q = "q=oracy&facets=topics,visibility";

    let (status, anon) = search(&app, None, q).await;
    assert_eq!(status, 200, "{anon}");
    assert_eq!(slugs(&anon), ["talk"]);
    assert_eq!(anon["meta"]["total"], 1);
    assert_eq!(anon["meta"]["facets"]["visibility"], json!({"public": 1}));
    assert_eq!(
        anon["meta"]["facets"]["topics"],
        json!({"curriculum": 1, "student-voice": 1})
    );

    let (_, mem) = search(&app, Some(&member), q).await;
    let mut found = slugs(&mem);
    found.sort();
    assert_eq!(found, ["members-oracy", "talk"]);
    assert_eq!(
        mem["meta"]["facets"]["visibility"],
        json!({"members": 1, "public": 1})
    );
    assert_eq!(mem["meta"]["facets"]["topics"]["student-voice"], 2);

    // Working copies: editors only, drafts included; others are refused.
    let (_, work) = search(&app, Some(&editor), &format!("{q}&view=working")).await;
    let mut found = slugs(&work);
    found.sort();
    assert_eq!(found, ["draft", "members-oracy", "talk"]);
    assert!(
        work["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["view"] == "working")
    );
    let (status, body) = search(&app, Some(&member), "q=oracy&view=working").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("forbidden"))
    );
    let (status, _) = search(&app, None, "q=oracy&view=working").await;
    assert_eq!(status, 403);

    // A public-visibility API token is an anonymous reader; a members token a member.
    for (visibility, expected) in [("public", 1), ("members", 2)] {
        let resp = app
            .admin(Method::POST, "/api/v1/tokens")
            .json(&json!({"name": visibility, "access": "read", "visibility": visibility}))
            .send()
            .await
            .unwrap();
        let created: Value = resp.json().await.unwrap();
        let token = created["data"]["token"].as_str().expect("token").to_owned();
        let (_, body) = search(&app, Some(&token), q).await;
        assert_eq!(
            body["meta"]["total"], expected,
            "{visibility} token: {body}"
        );
    }

    // Suggestions follow the same rules.
    let suggest = |token: Option<String>| {
        let app = &app;
        async move {
            let mut req = app.get("/api/v1/search/suggest?q=orac");
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            let body: Value = req.send().await.unwrap().json().await.unwrap();
            let mut titles: Vec<String> = body["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["text"].as_str().unwrap().to_owned())
                .collect();
            titles.sort();
            titles
        }
    };
    assert_eq!(suggest(None).await, ["Oracy across the school"]);
    assert_eq!(
        suggest(Some(member.clone())).await,
        ["Oracy across the school", "Oracy for members"]
    );
}

#[tokio::test]
async fn spellings_stems_typos_phrases_and_filters() {
    let app = seeded().await;
    for q in [
        "co-op",
        "coop",
        "cooperative",
        "co-operative",
        "Co-operatives",
    ] {
        let (_, body) = search(&app, None, &format!("q={q}")).await;
        let mut found = slugs(&body);
        found.sort();
        assert_eq!(found, ["allotment", "governors"], "q={q}");
    }
    // Stems: "allotments" finds "allotment"; typos from five letters.
    let (_, body) = search(&app, None, "q=allotments").await;
    assert_eq!(slugs(&body), ["allotment"]);
    let (_, body) = search(&app, None, "q=alotment").await;
    assert_eq!(slugs(&body), ["allotment"], "a typo");
    assert!(
        body["data"][0]["snippet"]
            .as_str()
            .unwrap()
            .contains("<mark>allotment</mark>"),
        "the fuzzy match is highlighted: {body}"
    );
    // The admin sees both published oracy articles (public and members).
    let (_, body) = search(&app, Some(&app.app.token), "q=oracy").await;
    assert_eq!(body["meta"]["total"], 2);
    // Phrases.
    let (_, body) = search(&app, None, "q=%22governing%20body%22").await;
    assert_eq!(slugs(&body), ["governors"]);
    let (_, body) = search(&app, None, "q=%22body%20governing%22").await;
    assert_eq!(body["meta"]["total"], 0, "word order matters in a phrase");
    // AND by default, with a fallback to any word.
    let (_, body) = search(&app, None, "q=allotment%20democracy").await;
    assert_eq!(body["meta"]["matched"], "any");
    assert_eq!(body["meta"]["total"], 2);
    let (_, body) = search(&app, None, "q=cooperative%20democracy").await;
    assert_eq!(
        (body["meta"]["matched"].as_str(), slugs(&body)),
        (Some("all"), vec!["governors".to_owned()])
    );
    // Filters.
    let (_, body) = search(&app, None, "q=school&filter[topics]=partnerships").await;
    assert_eq!(slugs(&body), ["allotment"]);
    let (_, body) = search(
        &app,
        None,
        "q=oracy&filter[topics][in]=governance,curriculum",
    )
    .await;
    assert_eq!(slugs(&body), ["talk"]);
    // Snippets are escaped HTML with only <mark> added.
    let id = app
        .publish_new(
            "practice_article",
            article(
                "xss",
                "Escaping",
                "Oracy <script>alert(1)</script> & more",
                &[],
                "public",
            ),
        )
        .await;
    app.app.search.catch_up().await.unwrap();
    let (_, body) = search(&app, None, "q=escaping%20oracy").await;
    let hit = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == id.as_str())
        .unwrap()
        .clone();
    let snippet = hit["snippet"].as_str().unwrap();
    assert!(
        snippet.contains("&lt;script&gt;") && !snippet.contains("<script"),
        "{snippet}"
    );
}

#[tokio::test]
async fn welsh_is_searched_with_its_own_analyzer() {
    let app = TestApp::spawn().await;
    let item = app
        .create(
            "practice_article",
            article(
                "llais",
                "Student voice",
                "Pupils speak up.",
                &["student-voice"],
                "public",
            ),
        )
        .await;
    let id = item["sys"]["id"].as_str().unwrap().to_owned();
    edit(&app, &id, "cy", json!({"fields": {"title": "Llais y disgyblion", "summary": "Ysgolion cydweithredol yn gwrando.", "slug": "llais"}})).await;
    app.action("practice_article", &id, "publish", "en").await;
    app.action("practice_article", &id, "publish", "cy").await;
    app.app.search.catch_up().await.unwrap();
    let (_, body) = search(&app, None, "q=disgyblion&locale=cy").await;
    assert_eq!(slugs(&body), ["llais"]);
    assert_eq!(body["data"][0]["locale"], "cy");
    // "co-op" meets the Welsh word for co-operative.
    let (_, body) = search(&app, None, "q=co-op&locale=cy").await;
    assert_eq!(slugs(&body), ["llais"]);
    // The default locale is English: the Welsh words are not there.
    let (_, body) = search(&app, None, "q=disgyblion").await;
    assert_eq!(body["meta"]["total"], 0);
}

#[tokio::test]
async fn welsh_readers_find_english_snapshots_their_locale_falls_back_to() {
    let app = seeded().await;
    let member = app.user_session("m@example.org", "member").await;
    // No article has a Welsh snapshot: Welsh readers get the English ones, searched as the
    // English text they are ("speaking" meets "speak" by its stem), within their visibility.
    let (status, body) = search(&app, None, "q=speaking&locale=cy&facets=topics").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(slugs(&body), ["talk"]);
    assert_eq!(body["data"][0]["locale"], "cy");
    assert_eq!(body["data"][0]["view"], "published");
    assert!(
        body["data"][0]["snippet"]
            .as_str()
            .unwrap()
            .contains("<mark>speak</mark>"),
        "{body}"
    );
    assert_eq!(
        body["meta"]["facets"]["topics"],
        json!({"curriculum": 1, "student-voice": 1})
    );
    let (_, body) = search(&app, None, "q=oracy&locale=cy").await;
    assert_eq!(
        (slugs(&body), &body["meta"]["total"]),
        (vec!["talk".to_owned()], &json!(1))
    );
    let (_, body) = search(&app, Some(&member), "q=oracy&locale=cy").await;
    assert_eq!(body["meta"]["total"], 2, "{body}");
    // Welsh words find English text by what they mean ("cydweithredol": co-operative).
    let (_, body) = search(&app, None, "q=cydweithredol&locale=cy").await;
    let mut found = slugs(&body);
    found.sort();
    assert_eq!(found, ["allotment", "governors"]);
    let body = app.json("/api/v1/search/suggest?q=orac&locale=cy").await;
    assert_eq!(body["data"][0]["text"], "Oracy across the school", "{body}");
    assert_eq!(body["data"][0]["locale"], "cy");

    // Once "talk" has a Welsh snapshot of its own, Welsh readers find that one, once.
    let (_, body) = search(&app, None, "q=oracy&locale=cy").await;
    let id = body["data"][0]["id"].as_str().unwrap().to_owned();
    edit(
        &app,
        &id,
        "cy",
        json!({"fields": {"title": "Llafaredd ar draws yr ysgol", "slug": "talk"}}),
    )
    .await;
    app.action("practice_article", &id, "publish", "cy").await;
    app.app.search.catch_up().await.unwrap();
    let (_, body) = search(&app, None, "q=llafaredd&locale=cy").await;
    assert_eq!(slugs(&body), ["talk"]);
    // Its body falls back to English field by field, and is now analyzed as Welsh.
    let (_, body) = search(&app, None, "q=oracy&locale=cy").await;
    assert_eq!(
        (slugs(&body), &body["meta"]["total"]),
        (vec!["talk".to_owned()], &json!(1))
    );
    let (_, body) = search(&app, None, "q=speaking&locale=cy").await;
    assert_eq!(body["meta"]["total"], 0, "{body}");
    // English readers still find the English snapshot.
    let (_, body) = search(&app, None, "q=speaking").await;
    assert_eq!(slugs(&body), ["talk"]);
}

#[tokio::test]
async fn bad_queries_get_a_400_with_a_code_and_never_a_5xx() {
    let app = seeded().await;
    let long = "a".repeat(10_000);
    for (query, code) in [
        ("", "empty_query"),
        ("q=", "empty_query"),
        ("q=%20%20", "empty_query"),
        (&format!("q={long}")[..], "query_too_long"),
        ("q=oracy&facets=title", "unknown_facet"),
        ("q=oracy&facets=nope", "unknown_facet"),
        ("q=oracy&filter[nope]=x", "unknown_filter"),
        ("q=oracy&filter[topics][gt]=x", "unsupported_operator"),
        ("q=oracy&limit=101", "invalid_limit"),
        ("q=oracy&limit=0", "invalid_limit"),
        ("q=oracy&limit=x", "invalid_limit"),
        ("q=oracy&offset=-1", "invalid_offset"),
        ("q=oracy&type=nope", "unknown_type"),
        ("q=oracy&site=nope", "unknown_site"),
        ("q=oracy&locale=fr", "unknown_locale"),
        ("q=oracy&view=all", "invalid_view"),
        ("q=oracy&sort=title", "unknown_parameter"),
    ] {
        let (status, body) = search(&app, None, query).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (400, Some(code)),
            "{query}: {body}"
        );
    }
    // Syntax characters and unbalanced quotes are just text.
    for q in [
        "%22oracy",
        "oracy%22%22%22",
        "title:oracy",
        "(oracy",
        "oracy~2^3",
        "%2B-*%3F%5B%5D%7B%7D%5C%2F!",
        "AND%20OR%20NOT",
        &"x%20".repeat(300),
    ] {
        let (status, body) = search(&app, None, &format!("q={q}")).await;
        assert_eq!(status, 200, "q={q}: {body}");
    }
    let (_, body) = search(&app, None, "q=%22oracy").await;
    assert_eq!(slugs(&body), ["talk"]);
}

/// `GET /api/v1/admin/reindex` as the bootstrap admin: the rebuild's progress and the index's status.
async fn rebuild_status(client: &reqwest::Client, url: &str) -> Option<Value> {
    client
        .get(format!("{url}/api/v1/admin/reindex"))
        .bearer_auth(crate::harness::TOKEN)
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()
}

/// What the database implies the index holds: a working document per (item, locale) not in
/// the trash, a published one per delivery row, each with its revision.
async fn implied_documents(data_dir: &std::path::Path) -> Vec<(String, u64)> {
    let defaults = cms::config::Config::default();
    let store = cms::storage::Store::open(&cms::storage::StoreOptions {
        url: format!("surrealkv://{}", data_dir.join("db").display()),
        namespace: defaults.storage.namespace.clone(),
        database: defaults.storage.database.clone(),
        block_cache_bytes: 8 << 20,
        memtable_bytes: 8 << 20,
        username: String::new(),
        password: String::new(),
    })
    .await
    .unwrap();
    let mut outcome = store
        .run(
            "SELECT uid, locale, revision FROM working WHERE state != 'trashed';
             SELECT uid, locale, revision FROM delivery;",
            Value::Null,
        )
        .await
        .unwrap();
    let mut docs = Vec::new();
    for (i, view) in [(0, "working"), (1, "published")] {
        for row in outcome.rows(i).unwrap() {
            docs.push((
                format!(
                    "{}.{}.{view}",
                    row["uid"].as_str().unwrap(),
                    row["locale"].as_str().unwrap()
                ),
                row["revision"].as_u64().unwrap(),
            ));
        }
    }
    store.close().await.unwrap();
    docs.sort();
    docs
}

#[tokio::test]
async fn after_a_sigkill_during_writes_the_index_matches_the_database() {
    use crate::harness::{ChildServer, TOKEN};
    let dir = tempfile::tempdir().unwrap();
    let server = ChildServer::start(dir.path(), &[]);
    let url = server.url.clone();
    let writes = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = writes.clone();
    // A stream of creates, publishes and edits until the server dies.
    let writer = tokio::spawn(async move {
        let client = reqwest::Client::new();
        for i in 0.. {
            let body = article(
                &format!("a{i}"),
                &format!("Article {i}"),
                "Oracy and mutualism.",
                &["research"],
                "public",
            );
            let Ok(resp) = client
                .post(format!("{url}/api/v1/manage/practice_article"))
                .bearer_auth(TOKEN)
                .json(&body)
                .send()
                .await
            else {
                break;
            };
            let Ok(created) = resp.json::<Value>().await else {
                break;
            };
            let id = created["data"]["sys"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            if i % 2 == 0 {
                let _ = client
                    .post(format!("{url}/api/v1/manage/practice_article/{id}/publish"))
                    .bearer_auth(TOKEN)
                    .send()
                    .await;
            }
            counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    });
    let enough = eventually(Duration::from_secs(60), || async {
        (writes.load(std::sync::atomic::Ordering::Relaxed) >= 40).then_some(())
    })
    .await;
    assert!(enough.is_some(), "writes go through");
    server.kill();
    let _ = writer.await;

    let server = ChildServer::start(dir.path(), &[]);
    let client = reqwest::Client::new();
    let caught_up = eventually(Duration::from_secs(30), || async {
        let body = rebuild_status(&client, &server.url).await?;
        (body["meta"]["status"]["lag_events"] == 0).then_some(())
    })
    .await;
    assert!(caught_up.is_some(), "the restarted server catches up");
    assert!(server.terminate().success());
    let indexed = cms::search::inspect(&dir.path().join("search")).unwrap();
    let implied = implied_documents(dir.path()).await;
    assert!(implied.len() >= 60, "{} documents", implied.len());
    assert_eq!(
        indexed, implied,
        "the index holds exactly what the database implies"
    );
}

#[tokio::test]
async fn a_restart_keeps_the_index_and_a_schema_change_rebuilds_it() {
    use crate::harness::{ChildServer, TOKEN};
    let dir = tempfile::tempdir().unwrap();
    let schemas = dir.path().join("schemas");
    std::fs::create_dir(&schemas).unwrap();
    let source = concat!(env!("CARGO_MANIFEST_DIR"), "/../schemas");
    for entry in std::fs::read_dir(source).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), schemas.join(entry.file_name())).unwrap();
    }
    let data = dir.path().join("data");
    let schemas_env = schemas.display().to_string();
    let env = [("CMS_SCHEMAS__DIR", schemas_env.as_str())];
    let current = || std::fs::read_to_string(data.join("search/CURRENT")).unwrap();
    let server = ChildServer::start(&data, &env);
    let client = reqwest::Client::new();
    let resp = client
        .post(format!("{}/api/v1/manage/practice_article", server.url))
        .bearer_auth(TOKEN)
        .json(&article(
            "kept",
            "Kept",
            "Mutualism survives restarts.",
            &[],
            "public",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let first = current();
    assert!(server.terminate().success());

    let found = |url: String| {
        let client = client.clone();
        async move {
            let body: Value = client
                .get(format!("{url}/api/v1/search?q=mutualism&view=working"))
                .bearer_auth(TOKEN)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            body["meta"]["total"].as_u64()
        }
    };
    let server = ChildServer::start(&data, &env);
    assert_eq!(
        current(),
        first,
        "an unchanged schema reopens the same index"
    );
    assert_eq!(found(server.url.clone()).await, Some(1));
    assert!(server.terminate().success());

    // A changed boost is a new layout: the index is rebuilt from the database at start.
    let path = schemas.join("practice_article.toml");
    let toml = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        toml.replacen("searchable = 2.0", "searchable = 2.5", 1),
    )
    .unwrap();
    let server = ChildServer::start(&data, &env);
    assert_ne!(current(), first, "a schema change builds a new index");
    let log = server.log.lock().unwrap().join("\n");
    assert!(log.contains("rebuilding the search index"), "{log}");
    assert_eq!(
        found(server.url.clone()).await,
        Some(1),
        "rebuilt from the database"
    );
    server.kill();
}

#[tokio::test]
async fn reindex_is_for_admins_and_keeps_search_answering() {
    let app = seeded().await;
    let member = app.user_session("m@example.org", "member").await;
    for method in [Method::POST, Method::GET] {
        let anon = app
            .http
            .request(method.clone(), app.url("/api/v1/admin/reindex"))
            .send()
            .await
            .unwrap();
        assert_eq!(anon.status(), 401, "{method} anonymous");
        let resp = app
            .http
            .request(method.clone(), app.url("/api/v1/admin/reindex"))
            .bearer_auth(&member)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 403, "{method} member");
    }
    let resp = app
        .admin(Method::POST, "/api/v1/admin/reindex")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202);
    let done = eventually(Duration::from_secs(10), || async {
        let body = rebuild_status(&app.http, &app.app.url).await?;
        (body["data"]["state"] == "done").then_some(body)
    })
    .await
    .expect("the rebuild finishes");
    assert!(done["data"]["total"].as_u64().unwrap() > 0, "{done}");
    let (_, body) = search(&app, None, "q=oracy").await;
    assert_eq!(slugs(&body), ["talk"], "the rebuilt index answers the same");
    // The build's segments (one per indexing thread) are merged into one in the background.
    let merged = eventually(Duration::from_secs(10), || async {
        let body = rebuild_status(&app.http, &app.app.url).await?;
        (body["meta"]["status"]["merging"] == false).then_some(body)
    })
    .await
    .expect("the background merge ends");
    assert_eq!(merged["meta"]["status"]["segments"], 1, "{merged}");
}

#[tokio::test]
async fn typo_matches_rank_below_exact_ones_and_are_added_only_when_exact_ones_are_few() {
    let app = TestApp::spawn().await;
    let publish = |slug: String, text: &'static str| {
        let app = &app;
        async move {
            app.publish_new(
                "practice_article",
                article(&slug, &format!("Note {slug}"), text, &[], "public"),
            )
            .await;
        }
    };
    publish("typo".into(), "A zebrafsh swam past: a typo in the text.").await;
    publish("exact-0".into(), "One zebrafish in the pond.").await;
    app.app.search.catch_up().await.unwrap();
    let (_, body) = search(&app, None, "q=zebrafish").await;
    assert_eq!(slugs(&body), ["exact-0", "typo"], "exact first: {body}");
    let snippet = body["data"][1]["snippet"].as_str().unwrap();
    assert!(snippet.contains("<mark>zebrafsh</mark>"), "{snippet}");
    // With 20 exact matches, the words as typed are enough: no typo matches.
    for i in 1..20 {
        publish(format!("exact-{i}"), "One zebrafish in the pond.").await;
    }
    app.app.search.catch_up().await.unwrap();
    let (_, body) = search(&app, None, "q=zebrafish&limit=100").await;
    assert_eq!(body["meta"]["total"], 20, "{body}");
    assert!(!slugs(&body).contains(&"typo".to_owned()));
    // The typo is still found by its own spelling, and by a typo of it.
    let (_, body) = search(&app, None, "q=zebrafsh&limit=100").await;
    assert_eq!(slugs(&body)[0], "typo", "{body}");
    assert_eq!(body["meta"]["total"], 21, "exact then typos: {body}");
}
