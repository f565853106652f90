//! Publish cost in process (issue 6, point 10): a page with 10 paragraph blocks, edited and
//! published `ROUNDS` times through `Content` (no HTTP, no plugin), in a fresh embedded store.
//! Prints the publish p50/p90; under callgrind, `--toggle-collect='bench_publish::publish_once'`
//! counts the instructions of the publishes alone (the edits, the follower and the store's
//! background work are left out).
//!
//! `bench_publish [CONFIG] [ROUNDS] [PAUSE_MS]` (the data dir comes from the config:
//! `CMS_DATA__DIR`); PAUSE_MS waits between the edit and the publish, as an editor would (the
//! HTTP benchmark waits 50 ms).
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use cms::app::App;
use cms::clock::SystemClock;
use cms::config::Config;
use cms::content::{Action, Content};
use cms::principal::Principal;
use serde_json::json;

#[inline(never)]
async fn publish_once(content: &Content, uid: &str) {
    content
        .act(&Principal::Bootstrap, "page", uid, "en", Action::Publish)
        .await
        .unwrap();
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let config_path = args.next().unwrap_or_else(|| "config.toml".into());
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let pause_ms: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(0);
    let mut config = Config::load(std::path::Path::new(&config_path), true).unwrap();
    config.demo.load_on_empty = false;
    let app = App::build(config, Arc::new(SystemClock)).await.unwrap();
    let content = app.content.clone();
    let who = Principal::Bootstrap;
    let blocks: Vec<_> = (0..10)
        .map(|i| {
            json!({"type": "paragraph", "props": {"text": format!(
                "**Tip {i}** Block {i}: circle time, restorative questions and a student council vote."
            )}})
        })
        .collect();
    let fields = json!({"site": "csn", "fields": {"title": "Publish bench", "slug": "publish-bench", "body": blocks}});
    let created = content.create(&who, "page", fields).await.unwrap();
    let uid = created.item["sys"]["id"].as_str().unwrap().to_owned();
    let mut times = Vec::with_capacity(rounds);
    for n in 0..rounds + 5 {
        let summary = json!({"fields": {"summary": format!("Round {n}")}});
        content
            .patch(&who, "page", &uid, "en", Some("*"), summary)
            .await
            .unwrap();
        if pause_ms > 0 {
            tokio::time::sleep(Duration::from_millis(pause_ms)).await;
        }
        let started = Instant::now();
        publish_once(&content, &uid).await;
        if n >= 5 {
            times.push(started.elapsed());
        }
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "publish (10 paragraph blocks, in process): n={} p50 {:.2} ms, p90 {:.2} ms",
        times.len(),
        ms(times[times.len() / 2]),
        ms(times[times.len() * 9 / 10])
    );
}
