//! Configuration: `config.toml` layered with `CMS_<SECTION>__<KEY>` environment overrides, validated at start.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// A configuration problem: the key it concerns and why it is refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config key `{key}`: {reason}")]
    Invalid { key: String, reason: String },
    #[error("config file {path}: {reason}")]
    File { path: String, reason: String },
}

fn invalid(key: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: key.to_owned(),
        reason: reason.into(),
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub server: ServerConfig,
    pub data: DataConfig,
    pub storage: StorageConfig,
    pub cache: CacheConfig,
    pub auth: AuthConfig,
    pub demo: DemoConfig,
    pub locales: LocalesConfig,
    pub schemas: SchemasConfig,
    pub import: ImportConfig,
    pub log: LogConfig,
    pub jobs: JobsConfig,
    pub search: SearchConfig,
    pub plugins: PluginsConfig,
    pub email: EmailConfig,
    pub sites: Vec<SiteConfig>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address to listen on; port 0 picks a free port.
    pub bind: String,
    /// Largest request body accepted by ordinary endpoints, in bytes.
    pub body_limit_bytes: usize,
    /// Seconds to let in-flight requests finish on SIGTERM.
    pub shutdown_grace_secs: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DataConfig {
    pub dir: PathBuf,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// `surrealkv://PATH`, `mem://` or `ws://HOST:PORT`; empty means `surrealkv://<data.dir>/db`.
    pub url: String,
    pub namespace: String,
    pub database: String,
    /// SurrealKV block cache (embedded store only), in MiB.
    pub block_cache_mb: u64,
    /// SurrealKV memtable arena (embedded store only), in MiB.
    pub memtable_mb: u64,
    /// Retries of a write transaction that lost an optimistic conflict, before 503.
    pub write_retries: u32,
    /// Username/password for a `ws://` server (ignored for embedded stores).
    pub username: String,
    pub password: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct CacheConfig {
    /// Size of the published-response cache, in MiB (0 disables it).
    pub responses_mb: u64,
    /// `max-age` of public delivery responses, in seconds.
    pub public_max_age_secs: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// A token that always acts as admin (automation, CLI). Empty disables it.
    pub bootstrap_token: String,
    /// First admin, created when no user exists; empty email means `admin@localhost`,
    /// empty password means a one-time password printed to the log.
    pub admin_email: String,
    pub admin_password: String,
    /// Lifetime of a login session, in minutes.
    pub session_ttl_mins: u64,
    /// How long this node trusts a cached session or token before checking the store again
    /// (revocations on this node are immediate; other nodes see them within this time).
    pub session_recheck_secs: u64,
    /// argon2id cost: memory in KiB, iterations, lanes.
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub argon2_parallelism: u32,
    /// Login attempts allowed per account and per client IP, per minute (then 429).
    pub login_per_account_per_min: u32,
    pub login_per_ip_per_min: u32,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            bootstrap_token: String::new(),
            admin_email: String::new(),
            admin_password: String::new(),
            session_ttl_mins: 12 * 60,
            session_recheck_secs: 30,
            argon2_memory_kib: 19 * 1024,
            argon2_iterations: 2,
            argon2_parallelism: 1,
            login_per_account_per_min: 10,
            login_per_ip_per_min: 30,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DemoConfig {
    /// Load the built-in demo content when the store holds no content.
    pub load_on_empty: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct JobsConfig {
    /// How often the scheduler looks for due `publish_at` / `unpublish_at`, in milliseconds.
    pub tick_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SearchConfig {
    /// Outbox events applied to the index per commit, at most.
    pub batch: usize,
    /// How often the index looks at the outbox when no local write woke it (writes of other
    /// nodes), in milliseconds.
    pub poll_ms: u64,
    /// Searches running at once, each on a blocking thread; 0 means one per core.
    pub concurrency: usize,
}

impl Default for SearchConfig {
    fn default() -> Self {
        SearchConfig {
            batch: 500,
            poll_ms: 500,
            concurrency: 0,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PluginsConfig {
    /// Largest plugin upload (component plus manifest), in MiB.
    pub max_upload_mb: u64,
    /// Wall time one plugin call may take, in milliseconds.
    pub deadline_ms: u64,
    /// Linear memory one plugin instance may use, in MiB (at most 64, the pool's slot).
    pub memory_mb: u64,
    /// Largest HTML (and text) one render may return, in KiB.
    pub html_kb: u64,
    /// Memory for renders kept for reuse (same plugin build, block, props and item), in MiB;
    /// 0 renders every block at every publish.
    pub render_cache_mb: u64,
}

impl Default for PluginsConfig {
    fn default() -> Self {
        PluginsConfig {
            max_upload_mb: 16,
            deadline_ms: 100,
            memory_mb: 32,
            html_kb: 256,
            render_cache_mb: 16,
        }
    }
}

impl Default for JobsConfig {
    fn default() -> Self {
        JobsConfig { tick_ms: 1000 }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LocalesConfig {
    pub default: String,
    pub available: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SchemasConfig {
    /// Directory of `*.toml` content types; empty means the schemas built into the binary.
    pub dir: PathBuf,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ImportConfig {
    /// Items written per transaction during import.
    pub batch_size: usize,
    /// Largest import body, in MiB.
    pub max_body_mb: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct EmailConfig {
    /// SMTP server; empty: no mail is sent, and each message is written to the log instead.
    pub smtp_host: String,
    pub smtp_port: u16,
    /// `starttls`, `tls` or `none` (only for a relay on this machine or a test sink).
    pub tls: String,
    pub username: String,
    pub password: String,
    /// Sender, e.g. `Co-operative Schools CMS <no-reply@example.org>`.
    pub from: String,
    /// Base URL that links in messages point to (the admin UI); empty: `http://<server.bind>`.
    pub public_url: String,
    /// Hours an invitation link stays valid.
    pub invitation_ttl_hours: u64,
    /// Minutes a password-reset link stays valid.
    pub reset_ttl_mins: u64,
}

impl Default for EmailConfig {
    fn default() -> Self {
        EmailConfig {
            smtp_host: String::new(),
            smtp_port: 587,
            tls: "starttls".into(),
            username: String::new(),
            password: String::new(),
            from: "Co-operative Schools CMS <no-reply@localhost>".into(),
            public_url: String::new(),
            invitation_ttl_hours: 7 * 24,
            reset_ttl_mins: 60,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// `tracing` filter, e.g. `info` or `cms=debug,info`.
    pub level: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub url: String,
    /// Browser origins of the site's front end allowed to call the API (CORS), e.g.
    /// `https://www.example.org`.
    #[serde(default)]
    pub origins: Vec<String>,
    /// Email domains whose owners may sign up as members of this site (the account becomes
    /// active when the emailed link is followed); empty: members join by invitation only.
    #[serde(default)]
    pub signup_domains: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            server: ServerConfig::default(),
            data: DataConfig::default(),
            storage: StorageConfig::default(),
            cache: CacheConfig::default(),
            auth: AuthConfig::default(),
            demo: DemoConfig::default(),
            locales: LocalesConfig::default(),
            schemas: SchemasConfig::default(),
            import: ImportConfig::default(),
            log: LogConfig::default(),
            jobs: JobsConfig::default(),
            search: SearchConfig::default(),
            plugins: PluginsConfig::default(),
            email: EmailConfig::default(),
            sites: vec![SiteConfig {
                id: "default".into(),
                name: "Default site".into(),
                url: String::new(),
                origins: Vec::new(),
                signup_domains: Vec::new(),
            }],
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            body_limit_bytes: 1024 * 1024,
            shutdown_grace_secs: 10,
        }
    }
}

impl Default for DataConfig {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("./data"),
        }
    }
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            namespace: "cms".into(),
            database: "main".into(),
            block_cache_mb: 32,
            memtable_mb: 32,
            write_retries: 8,
            username: String::new(),
            password: String::new(),
        }
    }
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            responses_mb: 32,
            public_max_age_secs: 30,
        }
    }
}

impl Default for LocalesConfig {
    fn default() -> Self {
        Self {
            default: "en".into(),
            available: vec!["en".into(), "cy".into()],
        }
    }
}

impl Default for ImportConfig {
    fn default() -> Self {
        Self {
            batch_size: 200,
            max_body_mb: 512,
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            level: "info".into(),
        }
    }
}

impl Config {
    /// Load `path` (when it exists, or when `required`), then the `CMS_*` environment, then validate.
    pub fn load(path: &Path, required: bool) -> Result<Config, ConfigError> {
        if required && !path.exists() {
            return Err(ConfigError::File {
                path: path.display().to_string(),
                reason: "not found".into(),
            });
        }
        let figment = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::file(path))
            // Only `CMS_<SECTION>__<KEY>` is configuration; `CMS_TOKEN` and
            // `CMS_USER_PASSWORD` are the CLI's own.
            .merge(
                Env::prefixed("CMS_")
                    .filter(|key| key.as_str().contains("__"))
                    .split("__")
                    .lowercase(true),
            );
        Self::from_figment(figment)
    }

    /// Validate an in-memory configuration (tests, `App::spawn`).
    pub fn from_figment(figment: Figment) -> Result<Config, ConfigError> {
        let config: Config = figment.extract().map_err(|e| {
            let key = e.path.join(".");
            ConfigError::Invalid {
                key: if key.is_empty() { "(file)".into() } else { key },
                reason: e.kind.to_string(),
            }
        })?;
        config.validate()?;
        Ok(config)
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        self.bind_addr()?;
        if self.server.body_limit_bytes < 1024 {
            return Err(invalid("server.body_limit_bytes", "must be at least 1024"));
        }
        let url = self.storage_url();
        let scheme = url.split("://").next().unwrap_or_default();
        if !["mem", "memory", "surrealkv", "ws", "wss"].contains(&scheme) || !url.contains("://") {
            return Err(invalid(
                "storage.url",
                format!("`{url}`: expected surrealkv://PATH, mem:// or ws://HOST:PORT"),
            ));
        }
        if self.storage.namespace.is_empty() || self.storage.database.is_empty() {
            return Err(invalid(
                "storage.namespace",
                "namespace and database must be set",
            ));
        }
        if self.storage.block_cache_mb == 0 || self.storage.block_cache_mb > 64 * 1024 {
            return Err(invalid(
                "storage.block_cache_mb",
                "must be between 1 and 65536",
            ));
        }
        if self.storage.memtable_mb < 4 || self.storage.memtable_mb > 4096 {
            return Err(invalid("storage.memtable_mb", "must be between 4 and 4096"));
        }
        if self.search.batch == 0 || self.search.batch > 10_000 {
            return Err(invalid("search.batch", "must be between 1 and 10000"));
        }
        let p = &self.plugins;
        if p.max_upload_mb == 0 || p.max_upload_mb > 256 {
            return Err(invalid(
                "plugins.max_upload_mb",
                "must be between 1 and 256",
            ));
        }
        if p.deadline_ms == 0 || p.deadline_ms > 10_000 {
            return Err(invalid(
                "plugins.deadline_ms",
                "must be between 1 and 10000",
            ));
        }
        if p.memory_mb == 0 || p.memory_mb > 64 {
            return Err(invalid("plugins.memory_mb", "must be between 1 and 64"));
        }
        if p.html_kb == 0 || p.html_kb > 4096 {
            return Err(invalid("plugins.html_kb", "must be between 1 and 4096"));
        }
        if p.render_cache_mb > 4096 {
            return Err(invalid("plugins.render_cache_mb", "must be at most 4096"));
        }
        if self.search.poll_ms == 0 {
            return Err(invalid("search.poll_ms", "must be at least 1"));
        }
        if self.cache.responses_mb > 16 * 1024 {
            return Err(invalid("cache.responses_mb", "must be at most 16384"));
        }
        let token = &self.auth.bootstrap_token;
        if !token.is_empty() && token.len() < 16 {
            return Err(invalid(
                "auth.bootstrap_token",
                "must be empty (disabled) or at least 16 characters",
            ));
        }
        let a = &self.auth;
        if a.session_ttl_mins == 0 {
            return Err(invalid("auth.session_ttl_mins", "must be at least 1"));
        }
        if a.argon2_parallelism == 0 || a.argon2_parallelism > 16 {
            return Err(invalid(
                "auth.argon2_parallelism",
                "must be between 1 and 16",
            ));
        }
        if a.argon2_memory_kib < 8 * a.argon2_parallelism || a.argon2_memory_kib > 4 * 1024 * 1024 {
            return Err(invalid(
                "auth.argon2_memory_kib",
                "must be at least 8 x argon2_parallelism and at most 4194304",
            ));
        }
        if a.argon2_iterations == 0 || a.argon2_iterations > 100 {
            return Err(invalid(
                "auth.argon2_iterations",
                "must be between 1 and 100",
            ));
        }
        if a.login_per_account_per_min == 0 {
            return Err(invalid(
                "auth.login_per_account_per_min",
                "must be at least 1",
            ));
        }
        if a.login_per_ip_per_min == 0 {
            return Err(invalid("auth.login_per_ip_per_min", "must be at least 1"));
        }
        if !a.admin_password.is_empty() && a.admin_password.chars().count() < 10 {
            return Err(invalid(
                "auth.admin_password",
                "must be empty (a one-time password is printed) or at least 10 characters",
            ));
        }
        if !self.locales.available.contains(&self.locales.default) {
            return Err(invalid(
                "locales.default",
                format!("`{}` is not in locales.available", self.locales.default),
            ));
        }
        let mut seen = BTreeSet::new();
        for locale in &self.locales.available {
            if !is_code(locale, 2, 10) || !seen.insert(locale) {
                return Err(invalid(
                    "locales.available",
                    format!("`{locale}` is not a distinct lowercase locale code"),
                ));
            }
        }
        if self.sites.is_empty() {
            return Err(invalid("sites", "at least one [[sites]] entry is required"));
        }
        let mut seen = BTreeSet::new();
        for (i, site) in self.sites.iter().enumerate() {
            if !is_code(&site.id, 1, 40) || !seen.insert(&site.id) {
                return Err(invalid(
                    &format!("sites[{i}].id"),
                    format!("`{}` must be a distinct id of a-z, 0-9, - and _", site.id),
                ));
            }
            for origin in &site.origins {
                if !is_origin(origin) {
                    return Err(invalid(
                        &format!("sites[{i}].origins"),
                        format!("`{origin}` must be an origin: http(s)://host[:port], no path"),
                    ));
                }
            }
        }
        if !matches!(self.email.tls.as_str(), "starttls" | "tls" | "none") {
            return Err(invalid("email.tls", "must be `starttls`, `tls` or `none`"));
        }
        if self.email.from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(invalid(
                "email.from",
                "must be an address, e.g. `CMS <cms@example.org>`",
            ));
        }
        if self.email.invitation_ttl_hours == 0 || self.email.reset_ttl_mins == 0 {
            return Err(invalid(
                "email.invitation_ttl_hours",
                "link lifetimes (invitation_ttl_hours, reset_ttl_mins) must be at least 1",
            ));
        }
        if self.jobs.tick_ms < 10 || self.jobs.tick_ms > 3_600_000 {
            return Err(invalid("jobs.tick_ms", "must be between 10 and 3600000"));
        }
        if self.import.batch_size == 0 || self.import.batch_size > 10_000 {
            return Err(invalid("import.batch_size", "must be between 1 and 10000"));
        }
        if self.import.max_body_mb == 0 {
            return Err(invalid("import.max_body_mb", "must be at least 1"));
        }
        if tracing_subscriber::EnvFilter::try_new(&self.log.level).is_err() {
            return Err(invalid(
                "log.level",
                format!("`{}` is not a valid filter", self.log.level),
            ));
        }
        Ok(())
    }

    pub fn bind_addr(&self) -> Result<SocketAddr, ConfigError> {
        self.server
            .bind
            .parse()
            .map_err(|e| invalid("server.bind", format!("`{}`: {e}", self.server.bind)))
    }

    /// The effective storage URL (`storage.url`, or the embedded store under `data.dir`).
    pub fn storage_url(&self) -> String {
        if self.storage.url.is_empty() {
            format!("surrealkv://{}", self.data.dir.join("db").display())
        } else {
            self.storage.url.clone()
        }
    }

    /// Where the search index lives: `<data.dir>/search`, or None (RAM) for `mem://` stores.
    pub fn search_dir(&self) -> Option<PathBuf> {
        let url = self.storage_url();
        if url.starts_with("mem://") || url.starts_with("memory") {
            None
        } else {
            Some(self.data.dir.join("search"))
        }
    }

    /// Where compiled plugin code is cached: `<data.dir>/plugins/cache`, or None (compile at
    /// every start) for `mem://` stores.
    pub fn plugin_cache_dir(&self) -> Option<PathBuf> {
        self.search_dir()
            .map(|_| self.data.dir.join("plugins").join("cache"))
    }

    pub fn site(&self, id: &str) -> Option<&SiteConfig> {
        self.sites.iter().find(|s| s.id == id)
    }

    pub fn has_locale(&self, locale: &str) -> bool {
        self.locales.available.iter().any(|l| l == locale)
    }
}

/// `http(s)://host[:port]` and nothing else (browsers send origins in exactly this form).
fn is_origin(s: &str) -> bool {
    let Some(rest) = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
    else {
        return false;
    };
    !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
}

fn is_code(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn from_toml(text: &str) -> Result<Config, ConfigError> {
        Config::from_figment(
            Figment::from(Serialized::defaults(Config::default())).merge(Toml::string(text)),
        )
    }

    #[test]
    fn repo_config_is_valid() {
        let text = include_str!("../../config.toml");
        let config = from_toml(text).unwrap();
        assert!(config.demo.load_on_empty);
        assert_eq!(
            config
                .sites
                .iter()
                .map(|s| s.id.as_str())
                .collect::<Vec<_>>(),
            ["csn", "coopschools"]
        );
    }

    #[test]
    fn bad_values_name_the_key() {
        let err = from_toml("[server]\nbind = \"nowhere\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("server.bind"), "{err}");
        let err = from_toml("[storage]\nblock_cache_mb = \"lots\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("storage.block_cache_mb"), "{err}");
        let err = from_toml("[server]\nunknown_key = 1")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown_key"), "{err}");
        let err = from_toml("[locales]\ndefault = \"fr\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("locales.default"), "{err}");
        let err = from_toml("[storage]\nurl = \"postgres://x\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("storage.url"), "{err}");
        for (text, key) in [
            ("[auth]\nargon2_memory_kib = 4", "auth.argon2_memory_kib"),
            (
                "[auth]\nlogin_per_ip_per_min = 0",
                "auth.login_per_ip_per_min",
            ),
            ("[auth]\nadmin_password = \"short\"", "auth.admin_password"),
            (
                "[[sites]]\nid = \"a\"\nname = \"A\"\norigins = [\"https://a.org/path\"]",
                "sites[0].origins",
            ),
        ] {
            let err = from_toml(text).unwrap_err().to_string();
            assert!(err.contains(key), "{text}: {err}");
        }
        let ok = from_toml(
            "[[sites]]\nid = \"a\"\nname = \"A\"\norigins = [\"https://www.a.org\", \"http://localhost:3000\"]",
        );
        assert!(ok.is_ok(), "{ok:?}");
    }

    #[test]
    fn env_overrides_file() {
        let figment = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::string("[server]\nbind = \"127.0.0.1:1\""))
            .merge(Serialized::default("server.bind", "127.0.0.1:2"));
        let config = Config::from_figment(figment).unwrap();
        assert_eq!(config.server.bind, "127.0.0.1:2");
    }

    #[test]
    fn default_storage_is_embedded_under_data_dir() {
        let config = Config::default();
        assert_eq!(config.storage_url(), "surrealkv://./data/db");
    }
}
