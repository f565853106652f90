//! Demo content, import with a per-line report, and export -> import -> export identity.

use reqwest::Method;
use serde_json::Value;

use crate::harness::TestApp;

async fn import(t: &TestApp, body: String) -> Value {
    let resp = t
        .admin(Method::POST, "/api/v1/admin/import")
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let json: Value = resp.json().await.unwrap();
    json["data"].clone()
}

async fn export(t: &TestApp) -> String {
    let resp = t
        .admin(Method::GET, "/api/v1/admin/export")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.text().await.unwrap()
}

#[tokio::test]
async fn demo_content_is_served_over_the_api() {
    let t = TestApp::spawn_with("[demo]\nload_on_empty = true").await;
    assert_eq!(
        t.count("item").await as usize,
        cms::app::DEMO_JSONL.lines().count(),
        "every demo line loads"
    );
    let csn_home: Value = t.json("/api/v1/content/page/by-slug/home?site=csn").await;
    let text = csn_home["data"].to_string();
    for needle in [
        "Professional Support",
        "co-operative values",
        "best practice",
    ] {
        assert!(text.contains(needle), "csn home mentions {needle}");
    }
    let pages: Value = t.json("/api/v1/content/page?site=csn&limit=100").await;
    let all = pages.to_string();
    for needle in ["Stone King", "Foundation Trust", "Co-operative Academ"] {
        assert!(all.contains(needle), "csn pages mention {needle}");
    }
    let coop: Value = t
        .json("/api/v1/content/page?site=coopschools&limit=100")
        .await;
    let coop = coop.to_string();
    for needle in [
        "We are strong",
        "We are supportive",
        "We are many voices",
        "2009",
        "Lee Phillips",
        "clusters of 20",
    ] {
        assert!(coop.contains(needle), "coopschools pages mention {needle}");
    }
    let welsh: Value = t
        .json("/api/v1/content/page/by-slug/hafan?site=coopschools&locale=cy")
        .await;
    assert_eq!(welsh["data"]["sys"]["locale"], "cy");
    let testimonial: Value = t.json("/api/v1/content/testimonial?site=coopschools").await;
    assert!(testimonial.to_string().contains("Ben Stephenson"));
    let school: Value = t
        .json("/api/v1/content/school_profile?filter[postcode][eq]=HU5 4QH")
        .await;
    assert_eq!(school["meta"]["total"], 1);
    assert!(
        school.to_string().contains("01482 347264")
            && school.to_string().contains("Bricknell Avenue")
    );
    let articles: Value = t.json("/api/v1/content/practice_article?limit=1").await;
    assert!(
        articles["meta"]["total"].as_u64().unwrap() > 150,
        "a few hundred generated articles, public ones visible"
    );
    let members: Value = t
        .admin(
            Method::GET,
            "/api/v1/content/practice_article?filter[visibility][eq]=members&limit=1",
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(members["meta"]["total"].as_u64().unwrap() > 30);
    let welsh_articles: Value = t.json("/api/v1/content/practice_article?locale=cy&limit=100&filter[title][contains]=cydweithredol").await;
    assert!(
        welsh_articles["meta"]["total"].as_u64().unwrap() >= 1,
        "a Welsh article"
    );
}

#[tokio::test]
async fn export_import_export_is_identical() {
    let source = TestApp::spawn_with("[demo]\nload_on_empty = true").await;
    let first = export(&source).await;
    assert!(first.lines().count() > 300);
    let target = TestApp::spawn().await;
    let report = import(&target, first.clone()).await;
    assert_eq!(report["failed"], 0, "{report}");
    assert_eq!(
        report["imported"].as_u64().unwrap() as usize,
        first.lines().count()
    );
    let second = export(&target).await;
    assert!(first == second, "export -> import -> export is identical");
    // The imported content is served.
    let home: Value = target
        .json("/api/v1/content/page/by-slug/home?site=csn")
        .await;
    assert_eq!(home["data"]["sys"]["state"], "published");
}

#[tokio::test]
async fn bad_lines_are_reported_and_good_ones_kept() {
    let t = TestApp::spawn().await;
    let good = |id: &str, slug: &str| {
        format!(
            r#"{{"sys":{{"id":"{id}","type":"page","site":"csn"}},"locales":{{"en":{{"sys":{{"revision":1,"state":"draft"}},"fields":{{"title":"T {slug}","slug":"{slug}"}}}}}}}}"#
        )
    };
    let lines = [
        good("01JD0000000000000000000001", "one"),
        "{not json".to_owned(),
        good("01JD0000000000000000000002", "two"),
        r#"{"sys":{"id":"01JD0000000000000000000003","type":"page","site":"csn"},"locales":{"en":{"fields":{"slug":"NO SLUG"}}}}"#.to_owned(),
        r#"{"sys":{"id":"01JD0000000000000000000004","type":"nosuch"},"locales":{"en":{"fields":{}}}}"#.to_owned(),
        good("01JD0000000000000000000005", "one"),
        good("01JD0000000000000000000006", "three"),
    ];
    let report = import(&t, lines.join("\n")).await;
    assert_eq!(report["imported"], 3, "{report}");
    assert_eq!(report["failed"], 4, "{report}");
    let failed: Vec<u64> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(failed, vec![2, 4, 5, 6]);
    let codes: Vec<&str> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        vec![
            "malformed_json",
            "validation_failed",
            "unknown_type",
            "validation_failed"
        ]
    );
    let listed: Value = t
        .admin(Method::GET, "/api/v1/manage/page?limit=100")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["meta"]["total"], 3);
}
