#![allow(clippy::unwrap_used)]

use super::*;
use serde_json::json;

/// The component of package `name` of the `plugins/` workspace, built for wasm32-wasip2.
pub fn plugin_wasm(name: &str) -> Vec<u8> {
    std::fs::read(repo_plugin(name).unwrap()).unwrap()
}

fn build_for_wasm(manifest: &Path) -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(|d| PathBuf::from(format!("{d}-plugins")))
        .unwrap_or_else(|_| std::env::temp_dir().join("cms-plugins-target"));
    super::scaffold::build_for_wasm(manifest, &target).unwrap()
}

fn host() -> PluginHost {
    PluginHost::new(None, Limits::default()).unwrap()
}

#[test]
fn a_wit_bindgen_guest_built_for_wasip2_describes_validates_and_renders() {
    let host = host();
    let plugin = host.load(&plugin_wasm("callout"), &[]).unwrap();
    assert_eq!(plugin.wit_version, "0.1.0");
    assert_eq!(plugin.blocks.len(), 1);
    assert_eq!(plugin.blocks[0].name, "callout");
    assert_eq!(plugin.blocks[0].props_schema["required"], json!(["body"]));
    assert!(
        plugin
            .imports
            .iter()
            .all(|i| !i.starts_with("wasi:filesystem")),
        "{:?}",
        plugin.imports
    );

    let errors = host
        .validate(&plugin, "callout", &json!({"tone": "loud"}))
        .unwrap();
    let paths: Vec<_> = errors
        .iter()
        .map(|e| (e.path.as_str(), e.code.as_str()))
        .collect();
    assert_eq!(paths, [("/body", "required"), ("/tone", "invalid_choice")]);
    assert!(
        host.validate(&plugin, "callout", &json!({"body": "Hi"}))
            .unwrap()
            .is_empty()
    );

    let r = host
        .render(
            &plugin,
            "callout",
            &json!({"tone": "tip", "title": "Try <this>", "body": "One.\n\nTwo."}),
            &RenderContext::default(),
            None,
        )
        .unwrap();
    assert_eq!(
        r.html,
        "<aside class=\"callout callout-tip\"><p class=\"callout-title\"><strong>Try &lt;this&gt;</strong></p><p>One.</p><p>Two.</p></aside>"
    );
    assert_eq!(r.text, "Try <this>\nOne.\n\nTwo.");
}

#[test]
fn bytes_that_are_not_a_component_are_refused_with_what_they_are() {
    let host = host();
    let err = |bytes: &[u8]| host.load(bytes, &[]).err().unwrap();
    assert_eq!(err(b"not wasm at all").code(), "not_a_component");
    let core = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    assert!(err(&core).to_string().contains("core module"));
    let whole = plugin_wasm("callout");
    let truncated = err(&whole[..whole.len() / 2]);
    assert_eq!(truncated.code(), "not_a_component", "{truncated}");
}

#[test]
fn only_the_0_1_line_of_the_interface_runs_here() {
    assert!(supported("0.1.0"));
    assert!(supported("0.1.7"));
    assert!(!supported("0.2.0"));
    assert!(!supported("1.1.0"));
    assert!(!supported("x"));
}

#[test]
fn imports_need_their_capability_and_files_and_sockets_are_never_given() {
    let refused = check_import("cms:block/content@0.1.0", &[]).err().unwrap();
    assert_eq!(refused.code(), "capability_not_granted");
    assert!(refused.to_string().contains("get-content"), "{refused}");
    assert!(check_import("cms:block/content@0.1.0", &[Capability::GetContent]).is_ok());
    assert!(check_import("cms:block/host@0.1.0", &[]).is_ok());
    let fs = check_import("wasi:filesystem/preopens@0.2.6", &Capability::ALL);
    assert_eq!(fs.err().unwrap().code(), "forbidden_import");
    assert!(check_import("wasi:io/streams@0.2.6", &[]).is_ok());
}

#[test]
fn compiled_code_is_cached_by_sha256_and_engine_key_and_reused() {
    let dir = tempfile::tempdir().unwrap();
    let host = PluginHost::new(Some(dir.path().to_owned()), Limits::default()).unwrap();
    let bytes = plugin_wasm("callout");
    let sha = hex::encode(Sha256::digest(&bytes));
    let (_, cached) = host.component(&bytes, &sha).unwrap();
    assert!(!cached, "the first load compiles");
    let path = host.cache_path(&sha).unwrap();
    assert!(path.is_file(), "{}", path.display());
    // A second engine (a restart) deserializes the same file instead of compiling.
    let restarted = PluginHost::new(Some(dir.path().to_owned()), Limits::default()).unwrap();
    assert_eq!(restarted.engine_key(), host.engine_key());
    let (_, cached) = restarted.component(&bytes, &sha).unwrap();
    assert!(cached, "the restart loads the compiled code");
    assert!(restarted.load(&bytes, &[]).is_ok());
    // A damaged cache file is compiled again, not trusted.
    std::fs::write(&path, b"garbage").unwrap();
    let (_, cached) = restarted.component(&bytes, &sha).unwrap();
    assert!(!cached);
}

fn render_err(host: &PluginHost, plugin: &Loaded, block: &str, props: serde_json::Value) -> Error {
    host.render(plugin, block, &props, &RenderContext::default(), None)
        .err()
        .unwrap()
}

#[test]
fn hostile_blocks_are_contained_and_the_host_keeps_working() {
    let host = host();
    let plugin = host.load(&plugin_wasm("hostile"), &[]).unwrap();
    let code = |block: &str, props| render_err(&host, &plugin, block, props).code();
    assert_eq!(code("loop", json!({})), "plugin_timeout");
    assert_eq!(code("memory", json!({})), "plugin_out_of_memory");
    assert!(
        ["plugin_stack_overflow", "plugin_trap"].contains(&code("recursion", json!({}))),
        "{}",
        render_err(&host, &plugin, "recursion", json!({}))
    );
    assert_eq!(code("output", json!({"mb": 8})), "plugin_output_too_large");
    assert_eq!(code("output", json!({"mb": 100})), "plugin_out_of_memory");
    assert_eq!(code("panic", json!({})), "plugin_trap");
    // Every call has its own store: the next one starts clean.
    let ok = host
        .render(
            &plugin,
            "echo",
            &json!({"html": "<b>fine</b>"}),
            &RenderContext::default(),
            None,
        )
        .unwrap();
    assert_eq!(ok.html, "<b>fine</b>");
}

struct OneItem;

impl ContentSource for OneItem {
    fn public_item(&self, content_type: &str, id: &str, _locale: &str) -> Option<String> {
        (content_type == "page" && id == "p1")
            .then(|| json!({"id": "p1", "fields": {"title": "Our <values>"}}).to_string())
    }
}

#[test]
fn get_content_is_refused_at_load_unless_granted_and_reads_are_recorded() {
    let host = host();
    let bytes = plugin_wasm("nosy");
    let refused = host.load(&bytes, &[]).err().unwrap();
    assert_eq!(refused.code(), "capability_not_granted");
    let message = refused.to_string();
    assert!(
        message.contains("cms:block/content@0.1.0") && message.contains("get-content"),
        "{message}"
    );

    let plugin = host.load(&bytes, &[Capability::GetContent]).unwrap();
    let source: Arc<dyn ContentSource> = Arc::new(OneItem);
    let cx = RenderContext {
        locale: "en".into(),
        ..RenderContext::default()
    };
    let r = host
        .render(
            &plugin,
            "peek",
            &json!({"type": "page", "id": "p1"}),
            &cx,
            Some(source),
        )
        .unwrap();
    assert_eq!(r.html, "<p>Our &lt;values&gt;</p>");
    assert_eq!(
        r.reads,
        [("page".to_owned(), "p1".to_owned(), "en".to_owned())]
    );
}

/// What must never reach a reader, found in the tags of sanitized HTML (escaped text such as
/// `&lt;script&gt;` is harmless and allowed).
fn dangerous(html: &str) -> Option<String> {
    let tag = regex::Regex::new(r"<[^>]*>").unwrap();
    let handler = regex::Regex::new(r"(?i)\son[a-z]+\s*=").unwrap();
    let scheme = regex::Regex::new(r"(?i)(javascript|vbscript|data):").unwrap();
    // Browsers decode character references and skip tabs and newlines inside URLs.
    let entity = regex::Regex::new(r"&#(x?)([0-9a-fA-F]+);?").unwrap();
    let decoded = |t: &str| -> String {
        entity
            .replace_all(t, |c: &regex::Captures| {
                let n = if &c[1] == "x" {
                    u32::from_str_radix(&c[2], 16).ok()
                } else {
                    c[2].parse().ok()
                };
                n.and_then(char::from_u32).unwrap_or(' ').to_string()
            })
            .chars()
            .filter(|c| !c.is_ascii_whitespace() && !c.is_control())
            .collect()
    };
    for t in tag.find_iter(html).map(|m| m.as_str()) {
        let lower = t.to_ascii_lowercase();
        if [
            "<script", "<style", "<object", "<embed", "<base", "<meta", "<link", "<form",
        ]
        .iter()
        .any(|bad| lower.starts_with(bad))
            || handler.is_match(t)
            || scheme.is_match(&decoded(t))
            || lower.contains("srcdoc")
        {
            return Some(t.to_owned());
        }
        if lower.starts_with("<iframe") {
            let src_ok = !lower.contains("src=")
                || IFRAME_SOURCES
                    .iter()
                    .any(|s| lower.contains(&format!("src=\"{s}")));
            if !src_ok || !lower.contains("sandbox=") {
                return Some(t.to_owned());
            }
        }
    }
    None
}

#[test]
fn xss_payloads_echoed_by_a_plugin_come_out_harmless() {
    let host = host();
    let plugin = host.load(&plugin_wasm("hostile"), &[]).unwrap();
    let payloads = include_str!("../../../tests/fixtures/xss-payloads.txt");
    let mut checked = 0;
    for payload in payloads.lines().filter(|l| !l.trim().is_empty()) {
        // The check itself must see the raw payload as dangerous, or it proves nothing.
        assert!(dangerous(payload).is_some(), "{payload}");
        let r = host
            .render(
                &plugin,
                "echo",
                &json!({ "html": payload }),
                &RenderContext::default(),
                None,
            )
            .unwrap();
        assert_eq!(r.html, payload, "the plugin echoes its props unchanged");
        let clean = sanitize(&r.html, host.limits.html_bytes).unwrap();
        assert_eq!(dangerous(&clean), None, "{payload} -> {clean}");
        checked += 1;
    }
    assert!(checked >= 30, "{checked} payloads");
}

#[test]
fn a_scaffolded_plugin_builds_as_it_is_and_renders() {
    assert!(valid_name("hello-block") && valid_name("x2"));
    for bad in ["Hello", "a/b", "-x", "x-", "", "../up", "a b"] {
        assert!(!valid_name(bad), "{bad:?}");
    }
    let parent = tempfile::tempdir().unwrap();
    let dir = scaffold(parent.path(), "hello-block").unwrap();
    assert!(
        scaffold(parent.path(), "hello-block").is_err(),
        "an existing directory is left alone"
    );
    let out = build_for_wasm(&dir.join("Cargo.toml"));
    let host = host();
    let plugin = host
        .load(&std::fs::read(out.join("hello_block.wasm")).unwrap(), &[])
        .unwrap();
    assert_eq!(plugin.blocks[0].name, "hello-block");
    assert_eq!(plugin.blocks[0].label, "Hello Block");
    let errors = host.validate(&plugin, "hello-block", &json!({})).unwrap();
    assert_eq!(errors[0].path, "/text");
    let r = host
        .render(
            &plugin,
            "hello-block",
            &json!({"text": "Hi <you>"}),
            &RenderContext::default(),
            None,
        )
        .unwrap();
    assert_eq!(r.html, "<p class=\"hello-block\">Hi &lt;you&gt;</p>");
    // Its manifest is ready to upload.
    let manifest =
        Manifest::parse(&std::fs::read_to_string(dir.join("plugin.json")).unwrap()).unwrap();
    assert_eq!(
        (manifest.id.as_str(), manifest.version.as_str()),
        ("hello-block", "0.1.0")
    );
    assert!(manifest.grants(&[]).unwrap().is_empty());
}

struct Articles;

impl ContentSource for Articles {
    fn public_item(&self, content_type: &str, id: &str, _locale: &str) -> Option<String> {
        (content_type == "practice_article" && id == "a1").then(|| {
            json!({"id": "a1", "fields": {"title": "Oracy & voice", "slug": "oracy-voice"}})
                .to_string()
        })
    }
}

#[test]
fn the_example_plugins_validate_and_render() {
    let host = host();
    let cx = RenderContext {
        locale: "en".into(),
        ..RenderContext::default()
    };
    let render = |plugin: &Loaded, block: &str, props: serde_json::Value| {
        let source: Arc<dyn ContentSource> = Arc::new(Articles);
        let r = host
            .render(plugin, block, &props, &cx, Some(source))
            .unwrap();
        (
            sanitize(&r.html, host.limits.html_bytes).unwrap(),
            r.text,
            r.reads,
        )
    };

    let video = host.load(&plugin_wasm("video-embed"), &[]).unwrap();
    let bad = host
        .validate(
            &video,
            "video",
            &json!({"url": "https://evil.example/v", "title": "x"}),
        )
        .unwrap();
    assert_eq!(bad[0].code, "unsupported_video");
    let (html, ..) = render(
        &video,
        "video",
        json!({"url": "https://www.youtube.com/watch?v=abc123", "title": "Assembly"}),
    );
    assert!(
        html.contains(r#"src="https://www.youtube-nocookie.com/embed/abc123""#)
            && html.contains("sandbox="),
        "{html}"
    );

    let card = host.load(&plugin_wasm("school-card"), &[]).unwrap();
    let bad = host
        .validate(
            &card,
            "school-card",
            &json!({"name": "A", "href": "javascript:x"}),
        )
        .unwrap();
    assert_eq!(bad[0].path, "/href");
    let (html, text, _) = render(
        &card,
        "school-card",
        json!({"name": "Harbour View", "phase": "primary", "href": "/schools/harbour-view"}),
    );
    assert!(
        html.contains(r#"<a href="/schools/harbour-view""#),
        "{html}"
    );
    assert_eq!(text, "Harbour View\nprimary");

    let related = host.load(&plugin_wasm("related-practice"), &[Capability::GetContent]);
    let related = related.unwrap();
    let (html, text, reads) = render(&related, "related", json!({"articles": ["a1", "gone"]}));
    assert!(
        html.contains(r#"<a href="/practice/oracy-voice""#)
            && html.contains(">Oracy &amp; voice</a>"),
        "{html}"
    );
    assert_eq!(text, "Related practice\nOracy & voice");
    assert_eq!(
        reads.len(),
        2,
        "both reads are recorded, the missing one too"
    );
    assert_eq!(
        host.load(&plugin_wasm("related-practice"), &[])
            .err()
            .unwrap()
            .code(),
        "capability_not_granted"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn more_looping_renders_than_the_pool_holds_wait_their_turn_off_the_async_workers() {
    // One async worker (this thread). A render on it would stall everything for at least the
    // whole deadline; off it, the worker's other tasks keep running while the renders loop
    // (allowing for a busy machine: 40 looping threads share its cores with this one).
    let deadline = Duration::from_millis(500);
    let limits = Limits {
        deadline,
        ..Limits::default()
    };
    let runner = Runner::new(PluginHost::new(None, limits).unwrap());
    let plugin = Arc::new(runner.host.load(&plugin_wasm("hostile"), &[]).unwrap());
    let ticker = tokio::spawn(async move {
        let (mut last, mut longest) = (std::time::Instant::now(), Duration::ZERO);
        for _ in 0..100 {
            tokio::time::sleep(Duration::from_millis(5)).await;
            longest = longest.max(last.elapsed());
            last = std::time::Instant::now();
        }
        longest
    });
    let calls = (MAX_INSTANCES + 8) as usize;
    let renders: Vec<_> = (0..calls)
        .map(|_| {
            let (runner, plugin) = (runner.clone(), plugin.clone());
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
    let mut codes = Vec::new();
    for r in renders {
        codes.push(r.await.unwrap().err().unwrap().code());
    }
    // Every call got an instance in turn: all stopped at the deadline, none refused as busy.
    assert!(codes.iter().all(|c| *c == "plugin_timeout"), "{codes:?}");
    let longest = ticker.await.unwrap();
    assert!(
        longest < deadline,
        "the async worker stalled for {longest:?}"
    );
    let ok = runner
        .render(
            plugin,
            "echo".into(),
            json!({"html": "ok"}),
            RenderContext::default(),
            None,
        )
        .await
        .unwrap();
    assert_eq!(ok.html, "ok");
}

#[tokio::test]
async fn installed_plugins_are_stored_and_loaded_again_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("surrealkv://{}", dir.path().join("db").display());
    let manifest = r#"{"id": "related", "name": "Related", "version": "1.0.0", "capabilities": ["get-content"]}"#;
    let bytes = plugin_wasm("related-practice");
    {
        let store = crate::storage::Store::open_for_test(&url).await;
        let registry = Registry::open(store.clone(), Runner::new(host()))
            .await
            .unwrap();
        // Not granted what it imports: refused, and nothing is stored.
        let refused = registry
            .install(manifest, &bytes, &[], "admin", "2026-11-26T00:00:00.000Z")
            .await
            .err()
            .unwrap();
        assert_eq!(refused.code(), "capability_not_granted");
        assert!(registry.list().is_empty());
        let record = registry
            .install(
                manifest,
                &bytes,
                &["get-content".into()],
                "admin",
                "2026-11-26T00:00:00.000Z",
            )
            .await
            .unwrap();
        assert_eq!(record.blocks[0].name, "related");
        assert_eq!(record.capabilities, [Capability::GetContent]);
        store.close().await.unwrap();
    }
    let store = crate::storage::Store::open_for_test(&url).await;
    let registry = Registry::open(store, Runner::new(host())).await.unwrap();
    let listed = registry.list();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].id, "related");
    assert_eq!(listed[0].sha256, hex::encode(Sha256::digest(&bytes)));
    assert!(registry.get("related").is_some());
    assert!(registry.remove("related").await.unwrap());
    assert!(!registry.remove("related").await.unwrap());
    assert!(registry.list().is_empty());
}

#[test]
fn the_engine_key_is_the_same_in_another_process() {
    let key = host().engine_key();
    if std::env::var_os("CMS_ENGINE_KEY_CHILD").is_some() {
        println!("engine-key={key}");
        return;
    }
    // The cache is only worth having if a restarted server finds its files again.
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "plugins::tests::the_engine_key_is_the_same_in_another_process",
            "--nocapture",
        ])
        .env("CMS_ENGINE_KEY_CHILD", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let child = stdout
        .lines()
        .find_map(|l| l.strip_prefix("engine-key="))
        .unwrap_or_else(|| panic!("no key from the child: {stdout}"));
    assert_eq!(child, key);
}

#[tokio::test]
async fn renders_are_reused_unless_they_read_content() {
    let runner = Runner::new(host()).with_render_cache(1 << 20);
    let callout = Arc::new(runner.host.load(&plugin_wasm("callout"), &[]).unwrap());
    let job = |body: &str| RenderJob {
        plugin: callout.clone(),
        block: "callout".into(),
        props: json!({"body": body}),
        context: RenderContext::default(),
    };
    let first = runner
        .render_sanitized(vec![job("Hi <b>there</b>")], None)
        .await
        .unwrap();
    let first = first.into_iter().next().unwrap().unwrap();
    let calls = runner.host.totals().calls;
    let again = runner
        .render_sanitized(vec![job("Hi <b>there</b>"), job("Hi <b>there</b>")], None)
        .await
        .unwrap();
    assert_eq!(runner.host.totals().calls, calls, "served from the cache");
    for r in again {
        assert_eq!(r.unwrap(), first);
    }
    runner
        .render_sanitized(vec![job("Other")], None)
        .await
        .unwrap();
    assert_eq!(
        runner.host.totals().calls,
        calls + 1,
        "other props are rendered"
    );

    // A render that read content through get-content is done again every time.
    let related = Arc::new(
        runner
            .host
            .load(&plugin_wasm("related-practice"), &[Capability::GetContent])
            .unwrap(),
    );
    let source: Arc<dyn ContentSource> = Arc::new(Articles);
    let job = || RenderJob {
        plugin: related.clone(),
        block: "related".into(),
        props: json!({"articles": ["a1"]}),
        context: RenderContext::default(),
    };
    let before = runner.host.totals().calls;
    for _ in 0..2 {
        let out = runner
            .render_sanitized(vec![job()], Some(source.clone()))
            .await
            .unwrap();
        assert!(out[0].as_ref().unwrap().html.contains("Oracy &amp; voice"));
    }
    assert_eq!(runner.host.totals().calls, before + 2);
}
