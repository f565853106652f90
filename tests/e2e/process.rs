//! The real binary on a temporary `surrealkv://` store: data survives a restart and a SIGKILL.

use serde_json::{Value, json};

use crate::harness::{ChildServer, TOKEN};

async fn create_and_publish(client: &reqwest::Client, url: &str, slug: &str) -> String {
    let resp = client
        .post(format!("{url}/api/v1/manage/page"))
        .bearer_auth(TOKEN)
        .json(&json!({"site": "csn", "fields": {"title": slug, "slug": slug}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let item: Value = resp.json().await.unwrap();
    let id = item["data"]["sys"]["id"].as_str().unwrap().to_owned();
    let resp = client
        .post(format!("{url}/api/v1/manage/page/{id}/publish"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    id
}

#[tokio::test]
async fn data_survives_restart_and_kill() {
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();
    let server = ChildServer::start(dir.path(), &[]);
    let first = create_and_publish(&client, &server.url, "before-restart").await;
    let status = server.terminate();
    assert!(status.success(), "graceful shutdown on SIGTERM: {status:?}");

    let server = ChildServer::start(dir.path(), &[]);
    let got = client
        .get(format!("{}/api/v1/content/page/{first}", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), 200, "survives a restart");
    let second = create_and_publish(&client, &server.url, "before-kill").await;
    server.kill();

    let server = ChildServer::start(dir.path(), &[]);
    for id in [&first, &second] {
        let got = client
            .get(format!("{}/api/v1/content/page/{id}", server.url))
            .send()
            .await
            .unwrap();
        assert_eq!(got.status(), 200, "committed writes survive SIGKILL");
    }
    server.kill();
}

#[test]
fn invalid_config_stops_start_up_naming_the_key() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cms"))
        .args([
            "serve",
            "--config",
            concat!(env!("CARGO_MANIFEST_DIR"), "/../config.toml"),
        ])
        .env("CMS_SERVER__BIND", "not-an-address")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("server.bind"), "{stderr}");
}

#[test]
fn check_reports_schema_errors_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("broken.toml"), "name = \"broken\"\nlabel = \"Broken\"\ntitle_field = \"title\"\n\n[[fields]]\nname = \"title\"\ntype = \"strang\"\nlabel = \"Title\"\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cms"))
        .args([
            "check",
            "--config",
            concat!(env!("CARGO_MANIFEST_DIR"), "/../config.toml"),
        ])
        .env("CMS_SCHEMAS__DIR", dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("broken.toml:7:"), "{stderr}");
    let ok = std::process::Command::new(env!("CARGO_BIN_EXE_cms"))
        .args([
            "check",
            "--config",
            concat!(env!("CARGO_MANIFEST_DIR"), "/../config.toml"),
        ])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
}

#[test]
fn server_refuses_to_start_on_an_invalid_schema() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("page.toml"), "name = \"page\"\nlabel = 3\n").unwrap();
    let data = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cms"))
        .args([
            "serve",
            "--config",
            concat!(env!("CARGO_MANIFEST_DIR"), "/../config.toml"),
        ])
        .env("CMS_SCHEMAS__DIR", dir.path())
        .env("CMS_DATA__DIR", data.path())
        .env("CMS_SERVER__BIND", "127.0.0.1:0")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("page.toml:2:"), "{stderr}");
}

fn cms(args: &[&str], envs: &[(&str, &std::path::Path)]) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_cms"));
    cmd.args(args)
        .args([
            "--config",
            concat!(env!("CARGO_MANIFEST_DIR"), "/../config.toml"),
        ])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

#[tokio::test]
async fn cli_import_and_export_through_the_server_and_offline() {
    let dir = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let input = files.path().join("in.jsonl");
    let demo: Vec<&str> = cms::app::DEMO_JSONL.lines().take(20).collect();
    std::fs::write(&input, demo.join("\n") + "\n{broken\n").unwrap();
    let server = ChildServer::start(dir.path(), &[]);
    let input_s = input.to_str().unwrap();
    let out = cms(
        &["import", input_s, "--server", &server.url, "--token", TOKEN],
        &[],
    );
    assert!(!out.status.success(), "a bad line makes the command fail");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("imported 20 item(s), 1 line(s) failed") && stderr.contains("line 21"),
        "{stderr}"
    );
    let online = files.path().join("online.jsonl");
    let out = cms(
        &[
            "export",
            online.to_str().unwrap(),
            "--server",
            &server.url,
            "--token",
            TOKEN,
        ],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let online = std::fs::read_to_string(&online).unwrap();
    assert_eq!(online.lines().count(), 20);
    server.kill();
    // With the server gone, --offline opens the data directory itself.
    let offline = files.path().join("offline.jsonl");
    let out = cms(
        &["export", offline.to_str().unwrap(), "--offline"],
        &[("CMS_DATA__DIR", dir.path())],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&offline).unwrap(), online);
    // `cms demo --offline` loads the whole demo into a fresh data directory.
    let fresh = tempfile::tempdir().unwrap();
    let out = cms(&["demo", "--offline"], &[("CMS_DATA__DIR", fresh.path())]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!(
        "imported {} item(s), 0 line(s) failed",
        cms::app::DEMO_JSONL.lines().count()
    )));
}

#[tokio::test]
async fn graceful_shutdown_keeps_writes_after_memtable_flushes() {
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();
    // A tiny memtable makes the demo import rotate and flush it several times.
    let env = [("CMS_STORAGE__MEMTABLE_MB", "4")];
    let server = ChildServer::start(dir.path(), &env);
    let resp = client
        .post(format!("{}/api/v1/admin/import", server.url))
        .bearer_auth(TOKEN)
        .header("content-type", "application/x-ndjson")
        .body(cms::app::DEMO_JSONL)
        .send()
        .await
        .unwrap();
    let report: Value = resp.json().await.unwrap();
    assert_eq!(report["data"]["failed"], 0, "{report}");
    let exported = |url: String| {
        let client = client.clone();
        async move {
            let body = client
                .get(format!("{url}/api/v1/admin/export"))
                .bearer_auth(TOKEN)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            body.lines().count()
        }
    };
    let before = exported(server.url.clone()).await;
    assert_eq!(before, cms::app::DEMO_JSONL.lines().count());
    assert!(server.terminate().success());
    let server = ChildServer::start(dir.path(), &env);
    assert_eq!(
        exported(server.url.clone()).await,
        before,
        "every item is back after a restart"
    );
    server.kill();
}

async fn login_status(url: &str, email: &str, password: &str) -> u16 {
    reqwest::Client::new()
        .post(format!("{url}/api/v1/auth/login"))
        .json(&serde_json::json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn one_time_password(text: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.split("one-time password (shown only now): ").nth(1))
        .map(|p| p.trim().to_owned())
}

#[tokio::test]
async fn first_admin_gets_a_one_time_password_and_cli_adds_users() {
    let dir = tempfile::tempdir().unwrap();
    let server = ChildServer::start(dir.path(), &[]);
    // config.toml leaves the admin password empty: one is generated and logged once.
    let logged = server.log.lock().unwrap().join("\n");
    let otp = one_time_password(&logged).expect("the first start logs a one-time password");
    assert_eq!(
        login_status(&server.url, "admin@localhost", &otp).await,
        200
    );

    let out = cms(
        &[
            "user",
            "add",
            "--email",
            "ed@example.org",
            "--role",
            "editor",
            "--server",
            &server.url,
            "--token",
            TOKEN,
        ],
        &[],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let editor_otp = one_time_password(&stdout).expect("a generated password is printed");
    assert_eq!(
        login_status(&server.url, "ed@example.org", &editor_otp).await,
        200
    );
    let out = cms(
        &[
            "user",
            "add",
            "--email",
            "ED@example.org",
            "--role",
            "member",
            "--server",
            &server.url,
            "--token",
            TOKEN,
        ],
        &[],
    );
    assert!(!out.status.success(), "a duplicate email is refused");
    server.kill();

    // Offline, on the data directory; a restart keeps every account and logs no new password.
    let data = dir.path();
    let out = cms(
        &[
            "user",
            "add",
            "--offline",
            "--email",
            "m@example.org",
            "--role",
            "member",
            "--password",
            "member-password-1",
        ],
        &[
            ("CMS_DATA__DIR", data),
            ("CMS_AUTH__ARGON2_MEMORY_KIB", std::path::Path::new("64")),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let server = ChildServer::start(dir.path(), &[]);
    assert_eq!(
        login_status(&server.url, "m@example.org", "member-password-1").await,
        200
    );
    assert_eq!(
        login_status(&server.url, "admin@localhost", &otp).await,
        200
    );
    assert!(one_time_password(&server.log.lock().unwrap().join("\n")).is_none());
    server.kill();
}

#[tokio::test]
async fn cli_plugin_add_list_and_remove_through_the_server_and_offline() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = |name: &str| cms::plugins::repo_plugin(name).unwrap();
    let manifest = |dir: &str| {
        format!(
            "{}/../plugins/{dir}/plugin.json",
            env!("CARGO_MANIFEST_DIR")
        )
    };
    let (callout, nosy) = (wasm("callout"), wasm("nosy"));
    let server = ChildServer::start(dir.path(), &[]);
    let remote = ["--server", server.url.as_str(), "--token", TOKEN];
    let add = |file: &std::path::Path, manifest: &str, extra: &[&str]| {
        let mut args = vec![
            "plugin",
            "add",
            file.to_str().unwrap(),
            "--manifest",
            manifest,
        ];
        args.extend_from_slice(extra);
        args.extend_from_slice(&remote);
        cms(&args, &[])
    };
    let out = add(&callout, &manifest("examples/callout"), &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("installed callout 0.1.0") && stdout.contains("plugin:callout/callout"),
        "{stdout}"
    );
    let out = add(&nosy, &manifest("fixtures/nosy"), &[]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("capability_not_granted") && stderr.contains("get-content"),
        "{stderr}"
    );
    let out = add(
        &nosy,
        &manifest("fixtures/nosy"),
        &["--grant", "get-content"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    server.kill();

    // Compiled once, at upload, into the data dir's cache.
    let cached = std::fs::read_dir(dir.path().join("plugins/cache"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "cwasm")
        })
        .count();
    assert_eq!(cached, 2);
    let envs = [("CMS_DATA__DIR", dir.path())];
    let out = cms(&["plugin", "list", "--offline"], &envs);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("callout 0.1.0") && stdout.contains("nosy 0.1.0"),
        "{stdout}"
    );
    let out = cms(&["plugin", "remove", "nosy", "--offline"], &envs);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The server starts with what is stored.
    let server = ChildServer::start(dir.path(), &[]);
    let listed: Value = reqwest::Client::new()
        .get(format!("{}/api/v1/plugins", server.url))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["callout"]);
    server.kill();
}
