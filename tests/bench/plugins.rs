//! Plugin host benchmarks in process (issue 6, point 10, the parts that need no content):
//!
//! 1. the process's virtual memory before and after the engine is made (the pool's reservation);
//! 2. per example plugin: a cold load (compile, link, `describe`), and a load from the
//!    compiled-code cache by a second engine (what a restart does);
//! 3. one fresh `Store` + instantiate + `render` of the callout block, p50/p99 over many calls;
//! 4. RSS while 32 renders run at once, against idle (memory per concurrent instance).
//!
//! `bench_plugins WASM_DIR` (the `.wasm` files of `plugins/` built for wasm32-wasip2).
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use cms::plugins::{Limits, PluginHost, RenderContext, Runner};
use serde_json::json;

fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap_or(0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

#[tokio::main]
async fn main() {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).expect("WASM_DIR"));
    let cache = tempfile::tempdir().unwrap();
    let vm_before = status_kb("VmSize:");
    let host = PluginHost::new(Some(cache.path().to_owned()), Limits::default()).unwrap();
    let vm_after = status_kb("VmSize:");
    println!(
        "virtual memory: {:.1} GiB before the engine, {:.1} GiB after (+{:.2} GiB reserved)",
        vm_before as f64 / 1048576.0,
        vm_after as f64 / 1048576.0,
        (vm_after - vm_before) as f64 / 1048576.0
    );

    println!();
    println!("plugin|size KB|cold load (compile, link, describe) ms|load from cache ms");
    println!("---|---|---|---");
    let mut callout = None;
    for name in ["callout", "video_embed", "school_card", "related_practice"] {
        let bytes = std::fs::read(dir.join(format!("{name}.wasm"))).unwrap();
        let grants = if name == "related_practice" {
            vec![cms::plugins::Capability::GetContent]
        } else {
            vec![]
        };
        let t = Instant::now();
        let loaded = host.load(&bytes, &grants).unwrap();
        let cold = t.elapsed();
        // A second engine with the same cache: a restart.
        let restarted = PluginHost::new(Some(cache.path().to_owned()), Limits::default()).unwrap();
        let t = Instant::now();
        restarted.load(&bytes, &grants).unwrap();
        let cached = t.elapsed();
        println!(
            "{name}|{}|{:.1}|{:.2}",
            bytes.len() / 1024,
            ms(cold),
            ms(cached)
        );
        if name == "callout" {
            callout = Some(loaded);
        }
    }
    let callout = Arc::new(callout.unwrap());

    let props = json!({"tone": "tip", "title": "Try this", "body": "One.\n\nTwo."});
    let cx = RenderContext::default();
    for _ in 0..200 {
        host.render(&callout, "callout", &props, &cx, None).unwrap();
    }
    let mut times = Vec::new();
    for _ in 0..5000 {
        let t = Instant::now();
        host.render(&callout, "callout", &props, &cx, None).unwrap();
        times.push(t.elapsed().as_secs_f64() * 1e6);
    }
    times.sort_by(f64::total_cmp);
    println!();
    println!(
        "fresh Store + instantiate + render (callout), 5,000 calls: p50 {:.1} us, p99 {:.1} us",
        times[times.len() / 2],
        times[times.len() * 99 / 100]
    );

    // How late a looping render is stopped: the deadline (100 ms) plus at most an epoch tick.
    let hostile_default = host
        .load(&std::fs::read(dir.join("hostile.wasm")).unwrap(), &[])
        .unwrap();
    let mut stops = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let stopped = host.render(&hostile_default, "loop", &json!({}), &cx, None);
        assert_eq!(stopped.err().map(|e| e.code()), Some("plugin_timeout"));
        stops.push(ms(t.elapsed()));
    }
    stops.sort_by(f64::total_cmp);
    println!(
        "looping render stopped after: min {:.1} ms, median {:.1} ms, max {:.1} ms (deadline {} ms)",
        stops[0],
        stops[stops.len() / 2],
        stops[stops.len() - 1],
        host.limits.deadline.as_millis()
    );

    // Memory per concurrent instance: RSS while 32 renders hold their instances at once.
    let limits = Limits {
        deadline: Duration::from_millis(400),
        ..Limits::default()
    };
    let runner = Runner::new(PluginHost::new(None, limits).unwrap());
    let hostile = Arc::new(
        runner
            .host
            .load(&std::fs::read(dir.join("hostile.wasm")).unwrap(), &[])
            .unwrap(),
    );
    let idle = status_kb("VmRSS:");
    let calls: Vec<_> = (0..32)
        .map(|_| {
            let (runner, plugin) = (runner.clone(), hostile.clone());
            tokio::spawn(async move {
                runner
                    .render(
                        plugin,
                        "loop".into(),
                        json!({}),
                        RenderContext::default(),
                        None,
                    )
                    .await
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let busy = status_kb("VmRSS:");
    for c in calls {
        let _ = c.await.unwrap();
    }
    println!(
        "RSS: {:.1} MB idle, {:.1} MB with 32 instances running: {:.0} KB per instance",
        idle as f64 / 1024.0,
        busy as f64 / 1024.0,
        (busy.saturating_sub(idle)) as f64 / 32.0
    );
}
