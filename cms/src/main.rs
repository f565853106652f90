//! The `cms` command line: serve, check, demo, import, export.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use cms::app::App;
use cms::auth::NewUser;
use cms::clock::SystemClock;
use cms::config::Config;
use cms::principal::{Principal, Role};
use indicatif::{ProgressBar, ProgressStyle};
use tokio::io::AsyncWriteExt;

#[derive(Parser)]
#[command(
    name = "cms",
    version,
    about = "Headless CMS for networks of co-operative schools"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct Common {
    /// Configuration file.
    #[arg(long, short, default_value = "config.toml")]
    config: PathBuf,
}

#[derive(Args, Clone)]
struct Remote {
    #[command(flatten)]
    common: Common,
    /// Open the data directory directly instead of calling a running server.
    #[arg(long)]
    offline: bool,
    /// Base URL of the running server (default: from server.bind).
    #[arg(long)]
    server: Option<String>,
    /// Admin token (default: auth.bootstrap_token, or CMS_TOKEN).
    #[arg(long, env = "CMS_TOKEN", hide_env_values = true)]
    token: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve(Common),
    /// Validate the configuration and the content types; report every error with file and line.
    Check(Common),
    /// Load the built-in demo content.
    Demo(Remote),
    /// Import JSONL (one item per line).
    Import {
        file: PathBuf,
        #[command(flatten)]
        remote: Remote,
    },
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Rebuild the search index from the database, with a progress bar (a running server keeps
    /// answering searches from the current index until the new one is swapped in).
    Reindex(Remote),
    /// Plugins (WebAssembly content blocks).
    #[command(subcommand)]
    Plugin(PluginCommand),
    /// Export every item as JSONL (to FILE, or stdout when FILE is `-`).
    Export {
        #[arg(default_value = "-")]
        file: PathBuf,
        #[command(flatten)]
        remote: Remote,
    },
}

#[derive(Subcommand)]
enum PluginCommand {
    /// Create a plugin crate NAME in DIR that builds as it is (with the SDK and the WIT copied
    /// into it): `cargo build --release --target wasm32-wasip2`.
    New {
        name: String,
        #[arg(long, default_value = ".")]
        dir: PathBuf,
    },
    /// Install or upgrade a plugin from its component FILE (.wasm) and its manifest.
    Add {
        file: PathBuf,
        /// The manifest (JSON). Default: plugin.json beside FILE, else ./plugin.json.
        #[arg(long)]
        manifest: Option<PathBuf>,
        /// A capability to grant (repeat for several), e.g. --grant get-content.
        #[arg(long = "grant")]
        grants: Vec<String>,
        #[command(flatten)]
        remote: Remote,
    },
    /// List the installed plugins and their blocks.
    List(Remote),
    /// Remove a plugin (refused while content uses its blocks, unless --force).
    Remove {
        id: String,
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        remote: Remote,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account; without --password a one-time password is printed once.
    Add {
        #[arg(long)]
        email: String,
        /// admin, editor, contributor or member.
        #[arg(long)]
        role: String,
        #[arg(long, default_value = "")]
        name: String,
        /// At least 10 characters (or set CMS_USER_PASSWORD).
        #[arg(long, env = "CMS_USER_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        #[command(flatten)]
        remote: Remote,
    },
}

fn load_config(path: &Path) -> Result<Config> {
    let explicit = path != Path::new("config.toml");
    Config::load(path, explicit).map_err(|e| anyhow::anyhow!("{e}"))
}

fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log.level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}

fn server_url(remote: &Remote, config: &Config) -> String {
    remote.server.clone().unwrap_or_else(|| {
        let bind = config.server.bind.replace("0.0.0.0", "127.0.0.1");
        format!("http://{bind}")
    })
}

fn token(remote: &Remote, config: &Config) -> Result<String> {
    let token = remote
        .token
        .clone()
        .unwrap_or_else(|| config.auth.bootstrap_token.clone());
    if token.is_empty() {
        bail!("no admin token: set auth.bootstrap_token, CMS_TOKEN or --token");
    }
    Ok(token)
}

fn bytes_bar(len: Option<u64>, what: &str) -> ProgressBar {
    let bar = match len {
        Some(n) => ProgressBar::new(n),
        None => ProgressBar::new_spinner(),
    };
    let style = ProgressStyle::with_template(
        "{msg} [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_message(what.to_owned());
    bar
}

async fn offline_app(config: Config) -> Result<App> {
    let mut config = config;
    config.demo.load_on_empty = false;
    App::build(config, Arc::new(SystemClock))
        .await
        .context("opening the data directory (is a server running? then drop --offline)")
}

fn print_report(report: &serde_json::Value) -> Result<()> {
    let imported = report.get("imported").and_then(|v| v.as_u64()).unwrap_or(0);
    let failed = report.get("failed").and_then(|v| v.as_u64()).unwrap_or(0);
    eprintln!("imported {imported} item(s), {failed} line(s) failed");
    if let Some(errors) = report.get("errors").and_then(|v| v.as_array()) {
        for e in errors {
            eprintln!(
                "  line {}: {}: {}{}",
                e.get("line").and_then(|v| v.as_u64()).unwrap_or(0),
                e.get("code").and_then(|v| v.as_str()).unwrap_or(""),
                e.get("message").and_then(|v| v.as_str()).unwrap_or(""),
                e.get("details")
                    .and_then(|d| d.as_array())
                    .map(|d| d
                        .iter()
                        .map(|x| format!(
                            " [{} {}]",
                            x["path"].as_str().unwrap_or(""),
                            x["code"].as_str().unwrap_or("")
                        ))
                        .collect::<String>())
                    .unwrap_or_default()
            );
        }
    }
    if failed > 0 {
        bail!("{failed} line(s) were not imported");
    }
    Ok(())
}

async fn import(file: Option<&Path>, remote: &Remote) -> Result<()> {
    let config = load_config(&remote.common.config)?;
    init_logging(&config);
    let (reader, len): (Box<dyn tokio::io::AsyncRead + Unpin + Send>, Option<u64>) = match file {
        Some(path) => {
            let f = tokio::fs::File::open(path)
                .await
                .with_context(|| format!("opening {}", path.display()))?;
            let len = f.metadata().await.ok().map(|m| m.len());
            (Box::new(f), len)
        }
        None => (
            Box::new(cms::app::DEMO_JSONL.as_bytes()),
            Some(cms::app::DEMO_JSONL.len() as u64),
        ),
    };
    let bar = bytes_bar(len, "importing");
    let reader = bar.wrap_async_read(reader);
    let report = if remote.offline {
        let app = offline_app(config).await?;
        let report = app.content.import(&Principal::Bootstrap, reader).await;
        app.close().await?;
        let report = report?;
        serde_json::to_value(&report)?
    } else {
        let url = format!("{}/api/v1/admin/import", server_url(remote, &config));
        let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::new(reader));
        let resp = reqwest::Client::new()
            .post(&url)
            .bearer_auth(token(remote, &config)?)
            .header("content-type", "application/x-ndjson")
            .body(body)
            .send()
            .await
            .with_context(|| format!("calling {url} (no server running? use --offline)"))?;
        let status = resp.status();
        let json: serde_json::Value = resp.json().await.context("reading the import report")?;
        if !status.is_success() {
            bail!("import refused ({status}): {json}");
        }
        json.get("data").cloned().unwrap_or_default()
    };
    bar.finish_and_clear();
    print_report(&report)
}

async fn export(file: &Path, remote: &Remote) -> Result<()> {
    let config = load_config(&remote.common.config)?;
    init_logging(&config);
    let mut out: Box<dyn tokio::io::AsyncWrite + Unpin + Send> = if file == Path::new("-") {
        Box::new(tokio::io::stdout())
    } else {
        Box::new(
            tokio::fs::File::create(file)
                .await
                .with_context(|| format!("creating {}", file.display()))?,
        )
    };
    let bar = bytes_bar(None, "exporting");
    let mut count = 0u64;
    if remote.offline {
        let app = offline_app(config).await?;
        for line in app.content.export(&Principal::Bootstrap).await? {
            out.write_all(line.as_bytes()).await?;
            out.write_all(b"\n").await?;
            bar.inc(line.len() as u64 + 1);
            count += 1;
        }
        app.close().await?;
    } else {
        let url = format!("{}/api/v1/admin/export", server_url(remote, &config));
        let mut resp = reqwest::Client::new()
            .get(&url)
            .bearer_auth(token(remote, &config)?)
            .send()
            .await
            .with_context(|| format!("calling {url} (no server running? use --offline)"))?;
        if !resp.status().is_success() {
            bail!(
                "export refused ({}): {}",
                resp.status(),
                resp.text().await.unwrap_or_default()
            );
        }
        while let Some(chunk) = resp.chunk().await? {
            count += chunk.iter().filter(|b| **b == b'\n').count() as u64;
            bar.inc(chunk.len() as u64);
            out.write_all(&chunk).await?;
        }
    }
    out.flush().await?;
    bar.finish_and_clear();
    eprintln!("exported {count} item(s)");
    Ok(())
}

fn count_bar() -> ProgressBar {
    let bar = ProgressBar::new(0);
    let style =
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} rows ({per_sec}, {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_message("reindexing");
    bar
}

fn show_progress(bar: &ProgressBar, p: &serde_json::Value) {
    bar.set_length(p["total"].as_u64().unwrap_or(0));
    bar.set_position(p["done"].as_u64().unwrap_or(0));
}

async fn reindex(remote: &Remote) -> Result<()> {
    let config = load_config(&remote.common.config)?;
    init_logging(&config);
    let bar = count_bar();
    let started = std::time::Instant::now();
    let last = if remote.offline {
        let app = offline_app(config).await?;
        let search = app.search.clone();
        let watcher = {
            let (search, bar) = (search.clone(), bar.clone());
            tokio::spawn(async move {
                loop {
                    show_progress(
                        &bar,
                        &serde_json::to_value(search.progress()).unwrap_or_default(),
                    );
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            })
        };
        let result = search.rebuild().await;
        watcher.abort();
        app.close().await?;
        serde_json::to_value(result?)?
    } else {
        let url = format!("{}/api/v1/admin/reindex", server_url(remote, &config));
        let token = token(remote, &config)?;
        let client = reqwest::Client::new();
        let resp = client
            .post(&url)
            .bearer_auth(&token)
            .send()
            .await
            .with_context(|| format!("calling {url} (no server running? use --offline)"))?;
        if !resp.status().is_success() {
            bail!(
                "reindex refused ({}): {}",
                resp.status(),
                resp.text().await.unwrap_or_default()
            );
        }
        loop {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            let body: serde_json::Value = client
                .get(&url)
                .bearer_auth(&token)
                .send()
                .await?
                .json()
                .await
                .context("reading the reindex progress")?;
            let progress = body["data"].clone();
            show_progress(&bar, &progress);
            if progress["state"] != "running" {
                break progress;
            }
        }
    };
    bar.finish_and_clear();
    if last["state"] != "done" {
        bail!("reindex failed: {}", last["error"]);
    }
    eprintln!(
        "reindexed {} row(s) in {:.1} s",
        last["total"].as_u64().unwrap_or(0),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn user_add(
    email: String,
    role: String,
    name: String,
    password: Option<String>,
    remote: &Remote,
) -> Result<()> {
    let config = load_config(&remote.common.config)?;
    init_logging(&config);
    let user = if remote.offline {
        let role: Role = serde_json::from_value(serde_json::json!(role)).map_err(|_| {
            anyhow::anyhow!("unknown role `{role}` (admin, editor, contributor, member)")
        })?;
        let app = offline_app(config).await?;
        let new = NewUser {
            email,
            name,
            role,
            password,
        };
        let created = app.auth.create_user(&Principal::Bootstrap, new, None).await;
        app.close().await?;
        let (user, otp) = created?;
        let mut v = serde_json::to_value(&user)?;
        if let (Some(p), Some(obj)) = (otp, v.as_object_mut()) {
            obj.insert("one_time_password".into(), serde_json::json!(p));
        }
        v
    } else {
        let url = format!("{}/api/v1/users", server_url(remote, &config));
        let resp = reqwest::Client::new()
            .post(&url)
            .bearer_auth(token(remote, &config)?)
            .json(&serde_json::json!({"email": email, "role": role, "name": name, "password": password}))
            .send()
            .await
            .with_context(|| format!("calling {url} (no server running? use --offline)"))?;
        let status = resp.status();
        let json: serde_json::Value = resp.json().await.context("reading the answer")?;
        if !status.is_success() {
            bail!("user not created ({status}): {}", json["error"]["message"]);
        }
        json.get("data").cloned().unwrap_or_default()
    };
    println!(
        "created {} ({}) id {}",
        user["email"].as_str().unwrap_or_default(),
        user["role"].as_str().unwrap_or_default(),
        user["id"].as_str().unwrap_or_default()
    );
    if let Some(p) = user["one_time_password"].as_str() {
        println!("one-time password (shown only now): {p}");
    }
    Ok(())
}

/// The `data` of an API answer; an error answer fails with `what`, its status, code and message.
async fn api_data(resp: reqwest::Response, what: &str) -> Result<serde_json::Value> {
    let status = resp.status();
    let json: serde_json::Value = if status == reqwest::StatusCode::NO_CONTENT {
        serde_json::Value::Null
    } else {
        resp.json().await.context("reading the answer")?
    };
    if !status.is_success() {
        bail!(
            "{what} ({status}, {}): {}",
            json["error"]["code"].as_str().unwrap_or_default(),
            json["error"]["message"].as_str().unwrap_or_default()
        );
    }
    Ok(json.get("data").cloned().unwrap_or_default())
}

/// The manifest beside a component, or in the current directory.
fn find_manifest(file: &Path, given: Option<PathBuf>) -> Result<PathBuf> {
    if let Some(m) = given {
        return Ok(m);
    }
    let beside = file.parent().unwrap_or(Path::new(".")).join("plugin.json");
    [beside, PathBuf::from("plugin.json")]
        .into_iter()
        .find(|p| p.is_file())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "no plugin.json beside {} or here; pass --manifest",
                file.display()
            )
        })
}

async fn plugin_add(
    file: &Path,
    manifest: Option<PathBuf>,
    grants: Vec<String>,
    remote: &Remote,
) -> Result<()> {
    let config = load_config(&remote.common.config)?;
    init_logging(&config);
    let manifest_path = find_manifest(file, manifest)?;
    let manifest = std::fs::read_to_string(&manifest_path)
        .with_context(|| format!("reading {}", manifest_path.display()))?;
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let plugin = if remote.offline {
        let app = offline_app(config).await?;
        let installed = app
            .content
            .install_plugin(&Principal::Bootstrap, &manifest, &bytes, &grants)
            .await;
        app.close().await?;
        serde_json::to_value(installed?.0)?
    } else {
        let url = format!("{}/api/v1/plugins", server_url(remote, &config));
        let mut form = reqwest::multipart::Form::new()
            .part(
                "component",
                reqwest::multipart::Part::bytes(bytes).file_name("plugin.wasm"),
            )
            .text("manifest", manifest);
        for g in grants {
            form = form.text("grant", g);
        }
        let resp = reqwest::Client::new()
            .post(&url)
            .bearer_auth(token(remote, &config)?)
            .multipart(form)
            .send()
            .await
            .with_context(|| format!("calling {url} (no server running? use --offline)"))?;
        api_data(resp, "plugin not installed").await?
    };
    let blocks: Vec<&str> = plugin["blocks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|b| b["name"].as_str())
        .collect();
    println!(
        "installed {} {} (sha256 {}); blocks: {}",
        plugin["id"].as_str().unwrap_or_default(),
        plugin["version"].as_str().unwrap_or_default(),
        plugin["sha256"].as_str().unwrap_or_default(),
        blocks
            .iter()
            .map(|b| format!("plugin:{}/{b}", plugin["id"].as_str().unwrap_or_default()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}

async fn plugin_list_or_remove(remove: Option<(&str, bool)>, remote: &Remote) -> Result<()> {
    let config = load_config(&remote.common.config)?;
    init_logging(&config);
    let listed = if remote.offline {
        let app = offline_app(config).await?;
        let who = Principal::Bootstrap;
        let done = match remove {
            Some((id, force)) => app
                .content
                .remove_plugin(&who, id, force)
                .await
                .map(|()| serde_json::Value::Null),
            None => app
                .content
                .list_plugins(&who)
                .map(|l| serde_json::to_value(l).unwrap_or_default()),
        };
        app.close().await?;
        done?
    } else {
        let base = format!("{}/api/v1/plugins", server_url(remote, &config));
        let client = reqwest::Client::new();
        let req = match remove {
            Some((id, force)) => client.delete(format!("{base}/{id}?force={force}")),
            None => client.get(&base),
        };
        let resp = req
            .bearer_auth(token(remote, &config)?)
            .send()
            .await
            .with_context(|| format!("calling {base} (no server running? use --offline)"))?;
        api_data(resp, "refused").await?
    };
    match remove {
        Some((id, _)) => println!("removed {id}"),
        None => {
            for p in listed.as_array().into_iter().flatten() {
                println!(
                    "{} {} ({}) blocks: {}",
                    p["id"].as_str().unwrap_or_default(),
                    p["version"].as_str().unwrap_or_default(),
                    p["name"].as_str().unwrap_or_default(),
                    p["blocks"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|b| b["name"].as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
        }
    }
    Ok(())
}

fn check(common: &Common) -> Result<()> {
    let config = load_config(&common.config)?;
    match cms::app::load_schemas(&config) {
        Ok(registry) => {
            let names: Vec<String> = registry.types().map(|t| t.name.clone()).collect();
            println!(
                "config ok; {} content type(s): {}",
                names.len(),
                names.join(", ")
            );
            Ok(())
        }
        Err(errors) => {
            for e in &errors {
                eprintln!("{e}");
            }
            bail!("{} schema error(s)", errors.len());
        }
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(common) => {
            let config = load_config(&common.config)?;
            init_logging(&config);
            let app = App::build(config, Arc::new(SystemClock)).await?;
            app.serve(shutdown_signal(), None).await?;
            Ok(())
        }
        Command::Check(common) => check(&common),
        Command::Demo(remote) => import(None, &remote).await,
        Command::Import { file, remote } => import(Some(&file), &remote).await,
        Command::Export { file, remote } => export(&file, &remote).await,
        Command::Reindex(remote) => reindex(&remote).await,
        Command::User(UserCommand::Add {
            email,
            role,
            name,
            password,
            remote,
        }) => user_add(email, role, name, password, &remote).await,
        Command::Plugin(PluginCommand::Add {
            file,
            manifest,
            grants,
            remote,
        }) => plugin_add(&file, manifest, grants, &remote).await,
        Command::Plugin(PluginCommand::List(remote)) => plugin_list_or_remove(None, &remote).await,
        Command::Plugin(PluginCommand::Remove { id, force, remote }) => {
            plugin_list_or_remove(Some((&id, force)), &remote).await
        }
        Command::Plugin(PluginCommand::New { name, dir }) => {
            let dir = cms::plugins::scaffold(&dir, &name)?;
            println!(
                "created {}; build it with: cd {} && cargo build --release --target wasm32-wasip2",
                dir.display(),
                dir.display()
            );
            Ok(())
        }
    }
}
