//! The two harnesses: the app in this process on port 0 with `mem://` and a manual clock, and
//! the real `cms` binary as a child process on a temporary `surrealkv://` store.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::TimeZone;
use cms::app::{App, SpawnedApp};
use cms::clock::ManualClock;
use cms::config::Config;
use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use serde_json::Value;

pub const TOKEN: &str = "test-bootstrap-token-0123456789";
pub const ADMIN_EMAIL: &str = "admin@example.org";
pub const ADMIN_PASSWORD: &str = "admin-password-123";

/// The repo's config.toml with test overrides (in memory, port 0, no demo unless asked).
pub fn test_config(extra: &str) -> Config {
    let base = include_str!("../../config.toml");
    let overrides = format!(
        "[server]\nbind = \"127.0.0.1:0\"\n[storage]\nurl = \"mem://\"\n[auth]\nbootstrap_token = \"{TOKEN}\"\nadmin_email = \"{ADMIN_EMAIL}\"\nadmin_password = \"{ADMIN_PASSWORD}\"\nargon2_memory_kib = 64\nargon2_iterations = 1\n[demo]\nload_on_empty = false\n[jobs]\ntick_ms = 20\n[schemas]\ndir = \"{}\"\n",
        concat!(env!("CARGO_MANIFEST_DIR"), "/../schemas")
    );
    let figment = Figment::from(Serialized::defaults(Config::default()))
        .merge(Toml::string(base))
        .merge(Toml::string(&overrides))
        .merge(Toml::string(extra));
    Config::from_figment(figment).expect("test config is valid")
}

pub struct TestApp {
    pub app: SpawnedApp,
    pub clock: Arc<ManualClock>,
    pub http: reqwest::Client,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with("").await
    }

    pub async fn spawn_with(extra: &str) -> TestApp {
        let clock = Arc::new(ManualClock::new(
            chrono::Utc
                .with_ymd_and_hms(2025, 1, 1, 9, 0, 0)
                .single()
                .expect("valid date"),
        ));
        let app = App::spawn(test_config(extra), Some(clock.clone()))
            .await
            .expect("app starts");
        TestApp {
            app,
            clock,
            http: reqwest::Client::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.app.url, path)
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.get(self.url(path))
    }

    /// GET `path` anonymously and parse the JSON body.
    pub async fn json(&self, path: &str) -> Value {
        self.get(path)
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("json body")
    }

    /// GET `path` anonymously and return the status.
    pub async fn status(&self, path: &str) -> u16 {
        self.get(path)
            .send()
            .await
            .expect("request")
            .status()
            .as_u16()
    }

    pub fn admin(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, self.url(path)).bearer_auth(TOKEN)
    }

    /// Sign in and return the session token (asserts success).
    pub async fn login(&self, email: &str, password: &str) -> String {
        let resp = self
            .http
            .post(self.url("/api/v1/auth/login"))
            .json(&serde_json::json!({"email": email, "password": password}))
            .send()
            .await
            .expect("request");
        let status = resp.status();
        let body: Value = resp.json().await.expect("json");
        assert_eq!(status, 200, "login {email}: {body}");
        body["data"]["token"].as_str().expect("token").to_owned()
    }

    /// Create an account as the bootstrap admin; returns its session token.
    pub async fn user_session(&self, email: &str, role: &str) -> String {
        let password = format!("{role}-password-123");
        let resp = self
            .admin(reqwest::Method::POST, "/api/v1/users")
            .json(&serde_json::json!({"email": email, "role": role, "password": password}))
            .send()
            .await
            .expect("request");
        assert_eq!(resp.status(), 201, "create user {email}");
        self.login(email, &password).await
    }

    /// Create a draft through the API and return `data`.
    pub async fn create(&self, ctype: &str, body: Value) -> Value {
        let resp = self
            .admin(reqwest::Method::POST, &format!("/api/v1/manage/{ctype}"))
            .json(&body)
            .send()
            .await
            .expect("request");
        let status = resp.status();
        let json: Value = resp.json().await.expect("json");
        assert_eq!(status, 201, "create {ctype}: {json}");
        json["data"].clone()
    }

    pub async fn action(&self, ctype: &str, id: &str, action: &str, locale: &str) -> Value {
        let resp = self
            .admin(
                reqwest::Method::POST,
                &format!("/api/v1/manage/{ctype}/{id}/{action}?locale={locale}"),
            )
            .send()
            .await
            .expect("request");
        let status = resp.status();
        let json: Value = resp.json().await.expect("json");
        assert_eq!(status, 200, "{action} {ctype}/{id}: {json}");
        json["data"].clone()
    }

    /// Create and publish; returns the id.
    pub async fn publish_new(&self, ctype: &str, body: Value) -> String {
        let item = self.create(ctype, body).await;
        let id = item["sys"]["id"].as_str().expect("id").to_owned();
        self.action(ctype, &id, "publish", "en").await;
        id
    }

    /// Count rows of a table straight from the store.
    pub async fn count(&self, table: &str) -> u64 {
        let mut outcome = self
            .app
            .content
            .store()
            .run(
                &format!("SELECT count() AS n FROM {table} GROUP ALL;"),
                Value::Null,
            )
            .await
            .expect("count");
        outcome
            .rows(0)
            .expect("rows")
            .first()
            .and_then(|r| r["n"].as_u64())
            .unwrap_or(0)
    }
}

/// The string values of fields `a` and `b` of each object of the JSON array `items` (panics
/// when `items` is not an array or a value is not a string).
pub fn string_pairs(items: &Value, a: &str, b: &str) -> Vec<(String, String)> {
    items
        .as_array()
        .expect("an array")
        .iter()
        .map(|item| {
            let field = |k: &str| item[k].as_str().expect("a string").to_owned();
            (field(a), field(b))
        })
        .collect()
}

/// Poll `check` until it returns Some or the deadline passes.
pub async fn eventually<T, F, Fut>(deadline: Duration, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = check().await {
            return Some(v);
        }
        if start.elapsed() > deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The `cms` binary running as a child process.
pub struct ChildServer {
    pub child: Child,
    pub url: String,
    /// Every log line so far.
    pub log: Arc<std::sync::Mutex<Vec<String>>>,
}

impl ChildServer {
    /// Start `cms serve` on `data_dir` (port 0) and wait for its "listening on" log line.
    pub fn start(data_dir: &Path, extra_env: &[(&str, &str)]) -> ChildServer {
        let config = concat!(env!("CARGO_MANIFEST_DIR"), "/../config.toml");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_cms"));
        cmd.args(["serve", "--config", config])
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
            .env("CMS_SERVER__BIND", "127.0.0.1:0")
            .env("CMS_DATA__DIR", data_dir)
            .env("CMS_AUTH__BOOTSTRAP_TOKEN", TOKEN)
            .env("CMS_AUTH__ARGON2_MEMORY_KIB", "64")
            .env("CMS_AUTH__ARGON2_ITERATIONS", "1")
            .env("CMS_DEMO__LOAD_ON_EMPTY", "false")
            .env("CMS_LOG__LEVEL", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("cms starts");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = std::sync::mpsc::channel();
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Ok(mut lines) = sink.lock() {
                    lines.push(line.clone());
                }
                if let Some(rest) = line.split("listening on ").nth(1) {
                    let url = rest
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_owned();
                    let _ = tx.send(url);
                }
            }
        });
        let url = rx
            .recv_timeout(Duration::from_secs(120))
            .expect("server logs its URL");
        ChildServer { child, url, log }
    }

    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM and wait for a clean exit: the shutdown grace (10 s) plus closing the store must
    /// fit in 45 s; a server that hangs on shutdown is killed and its last log lines reported.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            if start.elapsed() > Duration::from_secs(45) {
                let _ = self.child.kill();
                let _ = self.child.wait();
                let log = self.log.lock().map(|l| l.clone()).unwrap_or_default();
                let tail = log[log.len().saturating_sub(30)..].join("\n");
                panic!("the server did not stop within 45 s of SIGTERM; last log lines:\n{tail}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A local SMTP sink on 127.0.0.1: accepts every message and keeps its text (headers and body).
pub struct SmtpSink {
    pub port: u16,
    pub messages: Arc<std::sync::Mutex<Vec<String>>>,
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the sink");
        let port = listener.local_addr().expect("addr").port();
        let messages = Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = messages.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let sink = sink.clone();
                tokio::spawn(async move {
                    let _ = smtp_session(stream, sink).await;
                });
            }
        });
        SmtpSink { port, messages }
    }

    /// The messages received so far.
    pub fn received(&self) -> Vec<String> {
        self.messages.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// Wait for message number `n` (0-based) and return the link token in it.
    pub async fn link_token(&self, n: usize) -> String {
        let message = eventually(Duration::from_secs(10), || async {
            self.received().get(n).cloned()
        })
        .await
        .expect("the message arrives");
        // Undo quoted-printable soft breaks and `=` escapes, then take the token.
        let text = message.replace("=\n", "").replace("=3D", "=");
        let start = text.find("cms_l_").expect("a link token in the message");
        text[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
            .collect()
    }
}

async fn smtp_session(
    stream: tokio::net::TcpStream,
    sink: Arc<std::sync::Mutex<Vec<String>>>,
) -> std::io::Result<()> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
    let (read, mut write) = stream.into_split();
    let mut lines = tokio::io::BufReader::new(read).lines();
    write.write_all(b"220 sink ESMTP\r\n").await?;
    let mut data: Option<String> = None;
    while let Some(line) = lines.next_line().await? {
        if let Some(buf) = data.as_mut() {
            if line == "." {
                if let Ok(mut m) = sink.lock() {
                    m.push(std::mem::take(buf));
                }
                data = None;
                write.write_all(b"250 OK\r\n").await?;
            } else {
                buf.push_str(&line);
                buf.push('\n');
            }
            continue;
        }
        let command = line.to_ascii_uppercase();
        if command.starts_with("EHLO") {
            write.write_all(b"250-sink\r\n250 8BITMIME\r\n").await?;
        } else if command.starts_with("DATA") {
            data = Some(String::new());
            write.write_all(b"354 go ahead\r\n").await?;
        } else if command.starts_with("QUIT") {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            write.write_all(b"250 OK\r\n").await?;
        }
    }
    Ok(())
}
