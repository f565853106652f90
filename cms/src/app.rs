//! Building the application from config and wiring its parts; `App::spawn` for tests.

use std::net::SocketAddr;
use std::sync::Arc;

use poem::listener::{Acceptor, Listener, TcpListener};

use crate::auth::{Auth, AuthOptions, Cost};
use crate::clock::{SharedClock, SystemClock};
use crate::config::Config;
use crate::content::{Content, ContentOptions, ImportReport};
use crate::http::{self, ApiState, HttpLimits, HttpOptions, Metrics};
use crate::principal::Principal;
use crate::schema::{Registry, SchemaError};
use crate::search::{Search, SearchOptions};
use crate::storage::{Store, StoreOptions};

/// The demo content (both seed sites, a school profile, generated articles), built into the binary.
pub const DEMO_JSONL: &str = include_str!("../demo/demo.jsonl");

/// The content types built into the binary (used when `schemas.dir` is empty).
const BUILTIN_SCHEMAS: [(&str, &str); 4] = [
    ("page.toml", include_str!("../../schemas/page.toml")),
    (
        "practice_article.toml",
        include_str!("../../schemas/practice_article.toml"),
    ),
    (
        "school_profile.toml",
        include_str!("../../schemas/school_profile.toml"),
    ),
    (
        "testimonial.toml",
        include_str!("../../schemas/testimonial.toml"),
    ),
];

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("invalid schema:\n{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Schema(Vec<SchemaError>),
    #[error(transparent)]
    Storage(#[from] crate::storage::Error),
    #[error("content: {0}")]
    Content(#[from] crate::content::Error),
    #[error("auth: {0}")]
    Auth(#[from] crate::auth::Error),
    #[error("search: {0}")]
    Search(#[from] crate::search::Error),
    #[error("plugins: {0}")]
    Plugins(#[from] crate::plugins::Error),
    #[error("cannot listen on {addr}: {reason}")]
    Bind { addr: String, reason: String },
    #[error("server: {0}")]
    Server(String),
}

/// Load the content types named by the configuration.
pub fn load_schemas(config: &Config) -> Result<Registry, Vec<SchemaError>> {
    if config.schemas.dir.as_os_str().is_empty() {
        let sources: Vec<(String, String)> = BUILTIN_SCHEMAS
            .iter()
            .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()))
            .collect();
        Registry::from_sources(&sources)
    } else {
        Registry::load_dir(&config.schemas.dir)
    }
}

/// The application: configuration, store and services, ready to serve.
pub struct App {
    pub config: Config,
    pub content: Content,
    pub auth: Auth,
    pub search: Search,
    pub metrics: Arc<Metrics>,
}

/// A server running in this process (tests).
pub struct SpawnedApp {
    pub addr: SocketAddr,
    pub url: String,
    pub content: Content,
    pub auth: Auth,
    pub search: Search,
    pub token: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), AppError>>,
}

impl SpawnedApp {
    /// Stop the server and wait for it.
    pub async fn stop(mut self) -> Result<(), AppError> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        (&mut self.task)
            .await
            .map_err(|e| AppError::Server(e.to_string()))?
    }
}

impl App {
    /// Open the store, load schemas, wire the services; loads demo content when configured.
    pub async fn build(config: Config, clock: SharedClock) -> Result<App, AppError> {
        let schemas = Arc::new(load_schemas(&config).map_err(AppError::Schema)?);
        let store = Store::open(&StoreOptions {
            url: config.storage_url(),
            namespace: config.storage.namespace.clone(),
            database: config.storage.database.clone(),
            block_cache_bytes: config.storage.block_cache_mb * 1024 * 1024,
            memtable_bytes: config.storage.memtable_mb * 1024 * 1024,
            username: config.storage.username.clone(),
            password: config.storage.password.clone(),
        })
        .await?;
        let a = &config.auth;
        let auth = Auth::new(
            store.clone(),
            clock.clone(),
            AuthOptions {
                bootstrap_token: a.bootstrap_token.clone(),
                admin_email: a.admin_email.clone(),
                admin_password: a.admin_password.clone(),
                session_ttl: chrono::Duration::minutes(a.session_ttl_mins as i64),
                recheck: chrono::Duration::seconds(a.session_recheck_secs as i64),
                cost: Cost {
                    memory_kib: a.argon2_memory_kib,
                    iterations: a.argon2_iterations,
                    parallelism: a.argon2_parallelism,
                },
                login_per_account_per_min: a.login_per_account_per_min,
                login_per_ip_per_min: a.login_per_ip_per_min,
                types: schemas.types().map(|t| t.name.clone()).collect(),
                sites: config.sites.iter().map(|s| s.id.clone()).collect(),
                signup_domains: config
                    .sites
                    .iter()
                    .flat_map(|s| {
                        s.signup_domains
                            .iter()
                            .map(|d| (s.id.clone(), d.to_lowercase()))
                    })
                    .collect(),
                invitation_ttl: chrono::Duration::hours(config.email.invitation_ttl_hours as i64),
                reset_ttl: chrono::Duration::minutes(config.email.reset_ttl_mins as i64),
                mail: crate::auth::MailOptions {
                    smtp_host: config.email.smtp_host.clone(),
                    smtp_port: config.email.smtp_port,
                    tls: config.email.tls.clone(),
                    username: config.email.username.clone(),
                    password: config.email.password.clone(),
                    from: config.email.from.clone(),
                    public_url: if config.email.public_url.is_empty() {
                        format!("http://{}", config.server.bind)
                    } else {
                        config.email.public_url.clone()
                    },
                },
            },
        )?;
        let content = Content::new(
            store.clone(),
            schemas.clone(),
            clock,
            ContentOptions {
                default_locale: config.locales.default.clone(),
                locales: config.locales.available.clone(),
                sites: config.sites.iter().map(|s| s.id.clone()).collect(),
                write_retries: config.storage.write_retries,
                import_batch: config.import.batch_size,
                response_cache_bytes: config.cache.responses_mb * 1024 * 1024,
            },
        );
        let p = &config.plugins;
        let host = crate::plugins::PluginHost::new(
            config.plugin_cache_dir(),
            crate::plugins::Limits {
                memory_bytes: (p.memory_mb as usize) << 20,
                deadline: std::time::Duration::from_millis(p.deadline_ms),
                html_bytes: (p.html_kb as usize) << 10,
                ..Default::default()
            },
        )?;
        let runner = crate::plugins::Runner::new(host)
            .with_render_cache(config.plugins.render_cache_mb * 1024 * 1024);
        let registry = crate::plugins::Registry::open(store.clone(), runner).await?;
        content.set_plugins(Arc::new(registry));
        let search = Search::open(
            store,
            schemas,
            SearchOptions {
                dir: config.search_dir(),
                locales: config.locales.available.clone(),
                default_locale: config.locales.default.clone(),
                sites: config.sites.iter().map(|s| s.id.clone()).collect(),
                batch: config.search.batch,
                poll: std::time::Duration::from_millis(config.search.poll_ms),
                concurrency: match config.search.concurrency {
                    0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
                    n => n,
                },
            },
            content.commit_signal(),
        )
        .await?;
        if let Some((admin, password)) = auth.ensure_first_admin().await? {
            match password {
                Some(p) => tracing::warn!(
                    "created the first admin {}; one-time password (shown only now): {p}",
                    admin.email
                ),
                None => tracing::info!("created the first admin {}", admin.email),
            }
        }
        let app = App {
            config,
            content,
            auth,
            search,
            metrics: Metrics::new(),
        };
        if app.config.demo.load_on_empty && app.content.is_empty().await? {
            let report = app.load_demo().await?;
            tracing::info!(
                imported = report.imported,
                failed = report.failed,
                "loaded demo content"
            );
        }
        Ok(app)
    }

    /// Import the built-in demo content.
    pub async fn load_demo(&self) -> Result<ImportReport, AppError> {
        Ok(self
            .content
            .import(&Principal::Bootstrap, DEMO_JSONL.as_bytes())
            .await?)
    }

    fn endpoint(&self) -> impl poem::Endpoint<Output = poem::Response> + use<> {
        let state = ApiState {
            content: self.content.clone(),
            auth: self.auth.clone(),
            search: self.search.clone(),
            metrics: self.metrics.clone(),
            public_max_age: self.config.cache.public_max_age_secs,
            default_locale: self.config.locales.default.clone(),
        };
        http::routes(
            state,
            HttpLimits {
                body_bytes: self.config.server.body_limit_bytes,
                import_bytes: (self.config.import.max_body_mb * 1024 * 1024) as usize,
                plugin_bytes: (self.config.plugins.max_upload_mb * 1024 * 1024) as usize,
            },
            HttpOptions {
                cors_origins: self
                    .config
                    .sites
                    .iter()
                    .flat_map(|s| s.origins.iter().cloned())
                    .collect(),
            },
        )
    }

    /// Bind, log the URL, serve until `shutdown` resolves, then drain for the grace period.
    pub async fn serve<F>(
        self,
        shutdown: F,
        ready: Option<tokio::sync::oneshot::Sender<SocketAddr>>,
    ) -> Result<(), AppError>
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        let addr = self.config.server.bind.clone();
        let acceptor = TcpListener::bind(addr.clone())
            .into_acceptor()
            .await
            .map_err(|e| AppError::Bind {
                addr: addr.clone(),
                reason: e.to_string(),
            })?;
        let local = acceptor
            .local_addr()
            .first()
            .and_then(|a| a.as_socket_addr().copied())
            .ok_or_else(|| AppError::Bind {
                addr: addr.clone(),
                reason: "no local address".into(),
            })?;
        tracing::info!("listening on http://{local} (API docs: http://{local}/docs)");
        if let Some(tx) = ready {
            let _ = tx.send(local);
        }
        let grace = std::time::Duration::from_secs(self.config.server.shutdown_grace_secs);
        let scheduler = crate::jobs::spawn_scheduler(
            self.content.clone(),
            std::time::Duration::from_millis(self.config.jobs.tick_ms),
        );
        let follower = self.search.spawn_follower();
        let rerenderer = crate::jobs::spawn_rerenderer(
            self.content.clone(),
            std::time::Duration::from_millis(self.config.jobs.tick_ms),
        );
        let served = poem::Server::new_with_acceptor(acceptor)
            .run_with_graceful_shutdown(self.endpoint(), shutdown, Some(grace))
            .await
            .map_err(|e| AppError::Server(e.to_string()));
        tracing::info!("connections closed; closing the store");
        scheduler.abort();
        follower.abort();
        rerenderer.abort();
        self.close().await?;
        tracing::info!("store closed");
        served
    }

    /// Flush and close the store (after serving, and after offline CLI commands).
    pub async fn close(&self) -> Result<(), AppError> {
        Ok(self.content.store().close().await?)
    }

    /// Build and serve on the configured address (use port 0) in this process (tests).
    pub async fn spawn(config: Config, clock: Option<SharedClock>) -> Result<SpawnedApp, AppError> {
        let clock = clock.unwrap_or_else(|| Arc::new(SystemClock));
        let token = config.auth.bootstrap_token.clone();
        let app = App::build(config, clock).await?;
        let content = app.content.clone();
        let auth = app.auth.clone();
        let search = app.search.clone();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(app.serve(
            async move {
                let _ = stop_rx.await;
            },
            Some(ready_tx),
        ));
        let addr = ready_rx
            .await
            .map_err(|_| AppError::Server("the server stopped before listening".into()))?;
        Ok(SpawnedApp {
            addr,
            url: format!("http://{addr}"),
            content,
            auth,
            search,
            token,
            shutdown: Some(stop_tx),
            task,
        })
    }

    /// The OpenAPI document this build serves.
    pub fn openapi(&self) -> serde_json::Value {
        let state = ApiState {
            content: self.content.clone(),
            auth: self.auth.clone(),
            search: self.search.clone(),
            metrics: self.metrics.clone(),
            public_max_age: 0,
            default_locale: self.config.locales.default.clone(),
        };
        http::openapi_document(&state)
    }
}
