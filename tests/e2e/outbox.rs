//! The outbox under concurrent writers: a follower resuming from its cursor misses nothing.

use std::collections::BTreeSet;
use std::time::Duration;

use cms::principal::Principal;
use serde_json::json;

use crate::harness::{TestApp, eventually};

#[tokio::test]
async fn concurrent_writers_and_a_follower_skip_nothing() {
    let t = TestApp::spawn().await;
    let content = t.app.content.clone();
    let writers = 4;
    let per_writer = 25;
    // The follower reads in small pages while the writers run.
    let follower_content = content.clone();
    let total = (writers * per_writer) as u64;
    let follower = tokio::spawn(async move {
        let mut cursor = 0u64;
        let mut seen = Vec::new();
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        while (seen.len() as u64) < total && std::time::Instant::now() < deadline {
            let events = follower_content.outbox_after(cursor, 7).await.unwrap();
            for e in events {
                cursor = e.seq;
                seen.push(e);
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        seen
    });
    let mut handles = Vec::new();
    for w in 0..writers {
        let content = content.clone();
        handles.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in 0..per_writer {
                let body = json!({"site": "csn", "fields": {"title": format!("W{w} item {i}"), "slug": format!("w{w}-item-{i}")}});
                let view = content.create(&Principal::Bootstrap, "page", body).await.unwrap();
                ids.push(view.item["sys"]["id"].as_str().unwrap().to_owned());
            }
            ids
        }));
    }
    let mut written = BTreeSet::new();
    for h in handles {
        written.extend(h.await.unwrap());
    }
    let seen = follower.await.unwrap();
    let seqs: Vec<u64> = seen.iter().map(|e| e.seq).collect();
    assert_eq!(
        seqs,
        (1..=total).collect::<Vec<_>>(),
        "gap-free, in order, each once"
    );
    let seen_ids: BTreeSet<String> = seen.iter().map(|e| e.uid.clone()).collect();
    assert_eq!(seen_ids, written, "every committed write has its event");
    assert_eq!(content.outbox_head().await.unwrap(), total);
    // A follower starting late from a durable cursor gets the rest.
    let rest = eventually(Duration::from_secs(5), || {
        let c = content.clone();
        async move { c.outbox_after(total / 2, 1000).await.ok() }
    })
    .await
    .unwrap();
    assert_eq!(rest.len() as u64, total - total / 2);
}
