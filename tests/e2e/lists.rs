//! Lists: filters, multi-key sort, cursors that stay correct while items are inserted,
//! `fields`, and `expand` batched into one query per referenced type.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::harness::TestApp;

async fn list(t: &TestApp, q: &str) -> Value {
    let resp = t
        .get(&format!("/api/v1/content/practice_article?{q}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{q}");
    resp.json().await.unwrap()
}

fn article(n: usize, topics: &[&str], phase: &str) -> Value {
    json!({"fields": {"title": format!("Article {n:03}"), "slug": format!("article-{n}"),
        "topics": topics, "phase": phase, "author": if n.is_multiple_of(2) { "Amina Okafor" } else { "Tom Hughes" }}})
}

#[tokio::test]
async fn filters_and_sorts() {
    let t = TestApp::spawn().await;
    for n in 0..12usize {
        let topics: &[&str] = if n.is_multiple_of(3) {
            &["democracy", "equity"]
        } else {
            &["reading"]
        };
        t.publish_new(
            "practice_article",
            article(n, topics, if n < 6 { "primary" } else { "secondary" }),
        )
        .await;
        t.clock.advance(chrono::Duration::minutes(1));
    }
    let all = list(&t, "limit=100").await;
    assert_eq!(all["meta"]["total"], 12);
    // Default sort: newest first.
    assert_eq!(all["data"][0]["fields"]["title"], "Article 011");
    let r = list(&t, "filter[topics][eq]=democracy").await;
    assert_eq!(r["meta"]["total"], 4);
    let r = list(&t, "filter[phase][eq]=primary&filter[topics][eq]=reading").await;
    assert_eq!(r["meta"]["total"], 4);
    let r = list(&t, "filter[phase][ne]=primary").await;
    assert_eq!(r["meta"]["total"], 6);
    let r = list(&t, "filter[title][gte]=Article 010").await;
    assert_eq!(r["meta"]["total"], 2);
    let r = list(&t, "filter[title][lt]=Article 002").await;
    assert_eq!(r["meta"]["total"], 2);
    let r = list(&t, "filter[title][contains]=article 00").await;
    assert_eq!(r["meta"]["total"], 10);
    let r = list(&t, "filter[topics][in]=equity,reading").await;
    assert_eq!(r["meta"]["total"], 12);
    let r = list(&t, "filter[phase][in]=secondary").await;
    assert_eq!(r["meta"]["total"], 6);
    let r = list(&t, "filter[published_at][gt]=2025-01-01T09:05:30Z").await;
    assert_eq!(r["meta"]["total"], 6);
    // Multi-key sort: author ascending, then title descending.
    let r = list(&t, "sort=author,-title&limit=100").await;
    let got: Vec<(String, String)> = r["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["fields"]["author"].as_str().unwrap().to_owned(),
                i["fields"]["title"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let mut expected = got.clone();
    expected.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    assert_eq!(got, expected);
    assert_eq!(got[0].0, "Amina Okafor");
    // fields= restricts the fields returned.
    let r = list(&t, "fields=title&limit=1").await;
    assert_eq!(
        r["data"][0]["fields"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        vec!["title"]
    );
    // Bad values are 400s.
    for q in [
        "filter[phase][eq]=university",
        "filter[topics][gt]=x",
        "filter[nav_order][eq]=1",
        "sort=summary",
        "fields=nosuch",
        "expand=title",
    ] {
        let resp = t
            .get(&format!("/api/v1/content/practice_article?{q}"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400, "{q}");
    }
}

#[tokio::test]
async fn cursor_pages_stay_correct_while_items_are_inserted() {
    let t = TestApp::spawn().await;
    let mut originals = BTreeSet::new();
    for n in 0..15 {
        originals.insert(
            t.publish_new("practice_article", article(n * 2, &["reading"], "primary"))
                .await,
        );
    }
    let mut inserted = 0;
    for sort in ["title", "-title", "author,title"] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let q = match &cursor {
                Some(c) => format!("sort={sort}&limit=4&cursor={c}"),
                None => format!("sort={sort}&limit=4"),
            };
            let page = list(&t, &q).await;
            for item in page["data"].as_array().unwrap() {
                seen.push(item["sys"]["id"].as_str().unwrap().to_owned());
            }
            // Insert items that sort before and after the current position.
            inserted += 1;
            t.publish_new(
                "practice_article",
                article(1000 + inserted, &["reading"], "primary"),
            )
            .await;
            t.publish_new(
                "practice_article",
                article(inserted * 2 + 1, &["reading"], "primary"),
            )
            .await;
            match page["meta"]["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        let unique: BTreeSet<&String> = seen.iter().collect();
        assert_eq!(unique.len(), seen.len(), "no item twice ({sort})");
        for id in &originals {
            assert!(
                seen.contains(id),
                "item present before paging is never skipped ({sort})"
            );
        }
    }
}

#[tokio::test]
async fn expand_is_batched_per_referenced_type() {
    // Queries are counted: keep the scheduler's ticks and the search index's polls out of the
    // count (the index catches up before counting).
    let t = TestApp::spawn_with("[jobs]\ntick_ms = 3600000\n[search]\npoll_ms = 3600000\n").await;
    let mut schools = Vec::new();
    for n in 0..3 {
        schools.push(t.publish_new("school_profile", json!({"fields": {"name": format!("School {n}"), "slug": format!("school-{n}"), "town": "Hull"}})).await);
    }
    let hidden_school = t
        .create(
            "school_profile",
            json!({"fields": {"name": "Draft school", "slug": "draft-school"}}),
        )
        .await;
    let hidden_id = hidden_school["sys"]["id"].as_str().unwrap().to_owned();
    for n in 0..9 {
        let school = if n == 8 {
            hidden_id.clone()
        } else {
            schools[n % 3].clone()
        };
        let mut body = article(n, &["reading"], "primary");
        body["fields"]["school"] = json!(school);
        t.publish_new("practice_article", body).await;
    }
    t.app.search.catch_up().await.unwrap();
    // Wait for the follower to go idle (no query for 100 ms): it is woken by the last commits.
    let idle = crate::harness::eventually(std::time::Duration::from_secs(5), || async {
        let start = t.app.content.store().query_count();
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        (t.app.content.store().query_count() == start).then_some(())
    })
    .await;
    assert!(idle.is_some(), "the search follower goes idle");
    let before = t.app.content.store().query_count();
    let r = list(&t, "expand=school&limit=100").await;
    let queries = t.app.content.store().query_count() - before;
    assert_eq!(
        queries, 2,
        "one list query and one query for all referenced schools"
    );
    let items = r["data"].as_array().unwrap();
    assert_eq!(items.len(), 9);
    for item in items {
        let school = &item["fields"]["school"];
        if item["fields"]["title"] == "Article 008" {
            assert!(
                school.is_null(),
                "a draft reference is not leaked: {school}"
            );
        } else {
            assert!(
                school["fields"]["name"]
                    .as_str()
                    .unwrap()
                    .starts_with("School "),
                "{school}"
            );
        }
    }
}
