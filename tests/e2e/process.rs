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
