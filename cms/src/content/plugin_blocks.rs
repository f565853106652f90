//! Plugin blocks in content: their props checked by the plugin on save, rendered into the
//! snapshot at publish, re-rendered in the background (a plugin upgraded, content a block
//! read through `get-content` changed, an import), and `get-content` itself (public
//! published content only). Plugin administration goes through here too, so that an upgrade
//! queues its re-renders and a removal sees the content using the plugin.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::model::{Fields, ItemDoc, Snapshot};
use super::{Content, Error};
use crate::plugins::{self, ContentSource, PluginRecord, RenderContext};
use crate::principal::Principal;
use crate::schema::{ContentType, FieldError, FieldKind, plugin_block_type};

/// What a write does to plugin bookkeeping besides the item (see `commit.rs`).
#[derive(Debug, Clone, Default)]
pub(super) struct Effects {
    /// Items each rendered locale read through `get-content` (replaces that locale's reads).
    pub reads: Vec<(String, BTreeSet<String>)>,
    /// Locales of `reads` whose snapshot before this write stored no reads: they have no
    /// `plugin_read` rows to delete.
    pub no_rows: Vec<String>,
    /// The item's queued re-render is done.
    pub done: bool,
    /// Queue a re-render of the item (imported snapshots, a render that missed).
    pub enqueue: bool,
}

impl Effects {
    /// What rendering `locale`'s snapshot read: the reads replace the locale's `plugin_read`
    /// rows, and the snapshot records whether there were any. `stored` is what the snapshot
    /// this one replaces recorded: when it read nothing, there are no rows to delete.
    pub fn record_reads(
        &mut self,
        locale: &str,
        stored: Option<bool>,
        snapshot: &mut Snapshot,
        reads: BTreeSet<String>,
    ) {
        if stored == Some(false) {
            self.no_rows.push(locale.to_owned());
        }
        snapshot.reads = Some(!reads.is_empty());
        self.reads.push((locale.to_owned(), reads));
    }
}

/// Outcome of rendering one block, keyed by its type and props.
#[derive(Debug, Clone)]
struct Outcome {
    /// The sanitized HTML and the plain text, or why there are none (code, message).
    rendered: Result<(String, String), (String, String)>,
    /// Items read through `get-content`.
    reads: Vec<String>,
}

impl Outcome {
    fn failed(code: &str, message: impl Into<String>) -> Outcome {
        Outcome {
            rendered: Err((code.to_owned(), message.into())),
            reads: Vec::new(),
        }
    }
}

/// Renders of the plugin blocks of some fields: `type \u{1f} props` -> outcome.
#[derive(Debug, Default)]
pub(super) struct Renders(BTreeMap<String, Outcome>);

fn render_key(block_type: &str, props: &Value) -> String {
    format!("{block_type}\u{1f}{props}")
}

/// A plugin block of some fields.
struct PluginBlock<'a> {
    /// `fields.<name>[<i>]`.
    path: String,
    /// `plugin:<plugin>/<block>`.
    block_type: &'a str,
    /// The plugin's id.
    plugin: &'a str,
    block: &'a Value,
}

/// The plugin blocks of `fields`, in field order.
fn plugin_blocks<'a>(ct: &ContentType, fields: &'a Fields) -> Vec<PluginBlock<'a>> {
    let mut out = Vec::new();
    for field in ct.fields.iter().filter(|f| f.kind == FieldKind::Blocks) {
        let Some(blocks) = fields.get(&field.name).and_then(Value::as_array) else {
            continue;
        };
        for (i, block) in blocks.iter().enumerate() {
            let block_type = block.get("type").and_then(Value::as_str).unwrap_or("");
            if let Some((plugin, _)) = plugin_block_type(block_type) {
                out.push(PluginBlock {
                    path: format!("fields.{}[{i}]", field.name),
                    block_type,
                    plugin,
                    block,
                });
            }
        }
    }
    out
}

/// Ids of the plugins whose blocks `doc` uses anywhere (working copies and snapshots).
pub(super) fn plugins_used(ct: &ContentType, doc: &ItemDoc) -> Vec<String> {
    let mut ids = BTreeSet::new();
    let mut add = |fields: &Fields| {
        ids.extend(
            plugin_blocks(ct, fields)
                .into_iter()
                .map(|b| b.plugin.to_owned()),
        );
    };
    add(&doc.shared);
    for l in doc.locales.values() {
        add(&l.fields);
        if let Some(p) = &l.published {
            add(&p.fields);
        }
    }
    ids.into_iter().collect()
}

/// `/a/0/b` (a JSON Pointer from a plugin) as `.a[0].b`, after the props path.
fn pointer_path(pointer: &str) -> String {
    let mut out = String::new();
    for part in pointer.split('/').skip(1).filter(|p| !p.is_empty()) {
        let part = part.replace("~1", "/").replace("~0", "~");
        if part.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(&format!("[{part}]"));
        } else {
            out.push('.');
            out.push_str(&part);
        }
    }
    out
}

/// A plugin's field errors as the API's, under `prefix` (the props' path).
fn field_errors(
    prefix: &str,
    errors: Vec<plugins::FieldError>,
) -> impl Iterator<Item = FieldError> {
    errors.into_iter().map(move |e| FieldError {
        path: format!("{prefix}{}", pointer_path(&e.path)),
        code: e.code,
        message: e.message,
    })
}

/// `get-content` for plugins: the delivery JSON of a public published item, as an anonymous
/// reader gets it. Called on the plugin call's blocking thread.
struct PublicReader {
    content: Content,
    runtime: tokio::runtime::Handle,
}

impl ContentSource for PublicReader {
    fn public_item(&self, content_type: &str, id: &str, locale: &str) -> Option<String> {
        if !crate::schema::is_ulid(id) || locale.len() > 16 || content_type.len() > 64 {
            return None;
        }
        let query = format!("locale={locale}");
        let request = super::ReadRequest::ById {
            ctype: content_type,
            id,
            query: &query,
        };
        let read = self
            .runtime
            .block_on(self.content.read_published(&Principal::Anonymous, request))
            .ok()?;
        let body: Value = serde_json::from_slice(&read.bytes).ok()?;
        body.get("data").map(Value::to_string)
    }
}

const NOT_RENDERED: &str = "the block was not rendered";

impl Content {
    /// Install the plugin registry (done once by `app.rs`).
    pub fn set_plugins(&self, registry: Arc<plugins::Registry>) {
        let _ = self.inner.plugins.set(registry);
    }

    /// Plugin calls since start (for `/metrics`).
    pub fn plugin_calls(&self) -> plugins::CallTotals {
        self.inner
            .plugins
            .get()
            .map(|r| r.runner.host.totals())
            .unwrap_or_default()
    }

    fn plugins(&self) -> Result<&Arc<plugins::Registry>, Error> {
        self.inner
            .plugins
            .get()
            .ok_or_else(|| Error::Storage("plugins are not available".into()))
    }

    /// The installed plugin of a block type, and the block's name; or the error's code and
    /// message (no such plugin, or it has no such block).
    fn installed_block(
        &self,
        block_type: &str,
    ) -> Result<(Arc<plugins::Installed>, String), (&'static str, String)> {
        let Some((plugin, block)) = plugin_block_type(block_type) else {
            return Err((
                "unknown_block",
                format!("`{block_type}` is not a plugin block type"),
            ));
        };
        let installed = self
            .inner
            .plugins
            .get()
            .and_then(|r| r.get(plugin))
            .ok_or_else(|| {
                (
                    "plugin_not_installed",
                    format!("no plugin `{plugin}` is installed"),
                )
            })?;
        if !installed.record.blocks.iter().any(|b| b.name == block) {
            return Err((
                "unknown_block",
                format!("the plugin `{plugin}` has no block `{block}`"),
            ));
        }
        Ok((installed, block.to_owned()))
    }

    /// Run each plugin block's `validate` on `fields` (new values of a save): the errors, with
    /// paths into the fields, are a 422 like the schema's own.
    pub(super) async fn check_plugin_blocks(
        &self,
        ct: &ContentType,
        fields: &Fields,
    ) -> Result<(), Error> {
        let mut errors = Vec::new();
        for PluginBlock {
            path,
            block_type,
            block,
            ..
        } in plugin_blocks(ct, fields)
        {
            let (installed, name) = match self.installed_block(block_type) {
                Ok(found) => found,
                Err((_, message)) => {
                    errors.push(FieldError::new(
                        format!("{path}.type"),
                        "unknown_block",
                        message,
                    ));
                    continue;
                }
            };
            let props = match block.get("props") {
                None | Some(Value::Null) => Value::Object(Map::new()),
                Some(p) => p.clone(),
            };
            if !props.is_object() {
                continue; // the schema reports it
            }
            let registry = self.plugins()?;
            match registry
                .runner
                .validate(installed.loaded.clone(), name, props)
                .await
            {
                Ok(found) => errors.extend(field_errors(&format!("{path}.props"), found)),
                Err(e) => errors.push(FieldError::new(path, e.code(), e.to_string())),
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Error::Validation(errors))
        }
    }

    /// Render the plugin blocks of `fields` (what `locale` of `doc` publishes).
    pub(super) async fn render_blocks(
        &self,
        ct: &ContentType,
        doc: &ItemDoc,
        locale: &str,
        fields: &Fields,
    ) -> Renders {
        let context = RenderContext {
            item_type: doc.ctype.clone(),
            item_id: doc.uid.clone(),
            locale: locale.to_owned(),
            site: doc.site.clone(),
        };
        let mut blocks: BTreeMap<String, (String, Value)> = BTreeMap::new();
        for b in plugin_blocks(ct, fields) {
            let props = b.block.get("props").cloned().unwrap_or(Value::Null);
            blocks
                .entry(render_key(b.block_type, &props))
                .or_insert_with(|| (b.block_type.to_owned(), props));
        }
        let (keys, blocks): (Vec<String>, Vec<(String, Value)>) = blocks.into_iter().unzip();
        let outcomes = self.render_many(blocks, &context).await;
        Renders(keys.into_iter().zip(outcomes).collect())
    }

    /// Render `blocks` (type, props) in one call off the async workers; one outcome each.
    async fn render_many(
        &self,
        blocks: Vec<(String, Value)>,
        context: &RenderContext,
    ) -> Vec<Outcome> {
        let mut outcomes: Vec<Option<Outcome>> = Vec::with_capacity(blocks.len());
        let mut jobs = Vec::new();
        for (block_type, props) in blocks {
            match self.installed_block(&block_type) {
                Ok((installed, block)) => {
                    outcomes.push(None);
                    jobs.push(plugins::RenderJob {
                        plugin: installed.loaded.clone(),
                        block,
                        props,
                        context: context.clone(),
                    });
                }
                Err((code, message)) => outcomes.push(Some(Outcome::failed(code, message))),
            }
        }
        if jobs.is_empty() {
            return outcomes.into_iter().flatten().collect();
        }
        let source: Arc<dyn ContentSource> = Arc::new(PublicReader {
            content: self.clone(),
            runtime: tokio::runtime::Handle::current(),
        });
        let rendered = match self.plugins() {
            Ok(registry) => registry.runner.render_sanitized(jobs, Some(source)).await,
            Err(_) => Err(plugins::Error::Busy),
        };
        let mut rendered = match rendered {
            Ok(all) => all.into_iter(),
            Err(e) => {
                return outcomes
                    .into_iter()
                    .map(|o| o.unwrap_or_else(|| Outcome::failed(e.code(), e.to_string())))
                    .collect();
            }
        };
        outcomes
            .into_iter()
            .map(|o| match o {
                Some(done) => done,
                None => match rendered.next() {
                    Some(Ok(r)) => Outcome {
                        rendered: Ok((r.html, r.text)),
                        reads: r.reads.into_iter().map(|(_, id, _)| id).collect(),
                    },
                    Some(Err(e)) => Outcome::failed(e.code(), e.to_string()),
                    None => Outcome::failed("plugin_error", NOT_RENDERED),
                },
            })
            .collect()
    }

    /// Try a block without storing anything (`POST /plugins/{id}/render`): validate, then
    /// render; the HTML sanitized as it would be stored.
    pub async fn try_plugin_block(
        &self,
        who: &Principal,
        plugin: &str,
        block: &str,
        props: Value,
        locale: &str,
    ) -> Result<Value, PluginAdminError> {
        require_manager(who)?;
        let registry = self.plugins().map_err(PluginAdminError::Content)?;
        if registry.get(plugin).is_none() {
            return Err(PluginAdminError::NotFound);
        }
        let block_type = format!("plugin:{plugin}/{block}");
        let (installed, block) = self
            .installed_block(&block_type)
            .map_err(|(code, message)| {
                PluginAdminError::Content(super::bad_request(code, message))
            })?;
        if !props.is_object() {
            return Err(PluginAdminError::Content(super::bad_request(
                "invalid_props",
                "`props` must be an object",
            )));
        }
        self.check_locale(locale)
            .map_err(PluginAdminError::Content)?;
        let errors = registry
            .runner
            .validate(installed.loaded.clone(), block, props.clone())
            .await
            .unwrap_or_else(|e| {
                vec![plugins::FieldError {
                    path: String::new(),
                    code: e.code().to_owned(),
                    message: e.to_string(),
                }]
            });
        if !errors.is_empty() {
            return Err(PluginAdminError::Content(Error::Validation(
                field_errors("props", errors).collect(),
            )));
        }
        let context = RenderContext {
            item_type: String::new(),
            item_id: String::new(),
            locale: locale.to_owned(),
            site: self.inner.options.sites[0].clone(),
        };
        let outcome = self
            .render_many(vec![(block_type.clone(), props.clone())], &context)
            .await
            .pop()
            .unwrap_or_else(|| Outcome::failed("plugin_error", NOT_RENDERED));
        Ok(block_json("preview", &block_type, &props, &outcome))
    }

    /// Resolves when a commit has queued re-renders.
    pub async fn rerender_queued(&self) {
        self.inner.rerender.notified().await;
    }

    /// Queue, from the outbox events after the re-renderer's cursor, the snapshots that read
    /// (through `get-content`) an item whose public view those events changed, and move the
    /// cursor, in one transaction: nothing is lost or queued twice by a crash in between. A
    /// re-render (`item.rerendered`) is not such a change, so blocks that read each other
    /// cannot loop. Off the write path: a publish pays nothing for it.
    async fn queue_readers_of_changes(&self, limit: usize) -> Result<usize, Error> {
        let mut outcome = self
            .inner
            .store
            .run("RETURN meta:rerender.seq;", Value::Null)
            .await?;
        let cursor = match outcome.take(0).ok().and_then(|v| v.as_u64()) {
            Some(seq) => seq,
            None => {
                // First start: nothing before now was read by a rendered block of this node's
                // making that is not queued already (imports and upgrades queue themselves).
                let head = self.outbox_head().await?;
                self.set_rerender_cursor(head).await?;
                head
            }
        };
        let events = self.outbox_after(cursor, limit).await?;
        let Some(last) = events.last().map(|e| e.seq) else {
            return Ok(0);
        };
        let changed: BTreeSet<&str> = events
            .iter()
            .filter(|e| {
                e.kind
                    .strip_prefix("item.")
                    .is_some_and(|k| super::commit::PUBLIC_CHANGES.contains(&k))
            })
            .map(|e| e.uid.as_str())
            .collect();
        // The cursor exists (set above at first start): `UPDATE`, as an `UPSERT` of an existing
        // record tries a create first (commit.rs); created again if it went missing.
        let cursor = "IF (UPDATE meta:rerender SET seq = $last RETURN VALUE id) = [] { \
               CREATE meta:rerender SET seq = $last RETURN NONE; };";
        let sql = if changed.is_empty() {
            cursor.to_owned()
        } else {
            format!(
                "BEGIN TRANSACTION; \
                 FOR $r IN (SELECT VALUE reader FROM plugin_read WHERE read INSIDE $changed) {{ \
                   UPSERT type::record('rerender', $r) CONTENT {{ uid: $r }} RETURN NONE; }}; \
                 {cursor} COMMIT TRANSACTION;"
            )
        };
        self.run_checked(&sql, json!({ "changed": changed, "last": last }))
            .await?;
        Ok(events.len())
    }

    async fn set_rerender_cursor(&self, seq: u64) -> Result<(), Error> {
        self.run_checked(
            "UPSERT meta:rerender SET seq = $seq RETURN NONE;",
            json!({ "seq": seq }),
        )
        .await
    }

    /// Run statements that return nothing; the first failing one is the error.
    async fn run_checked(&self, sql: &str, vars: Value) -> Result<(), Error> {
        let outcome = self.inner.store.run(sql, vars).await?;
        match outcome.first_error() {
            Some(e) => Err(Error::Storage(format!("{e:?}"))),
            None => Ok(()),
        }
    }

    /// Re-render the snapshots of up to `limit` queued items (after queueing the readers of
    /// changed items from the outbox); how many items and events were looked at.
    pub async fn rerender_pending(&self, limit: usize) -> Result<usize, Error> {
        let events = self.queue_readers_of_changes(limit).await?;
        Ok(events + self.rerender_queued_items(limit).await?)
    }

    async fn rerender_queued_items(&self, limit: usize) -> Result<usize, Error> {
        let mut outcome = self
            .inner
            .store
            .run(
                "SELECT VALUE uid FROM rerender LIMIT $n;",
                json!({ "n": limit }),
            )
            .await?;
        let uids: Vec<String> = outcome
            .rows(0)
            .map_err(|e| Error::Storage(format!("{e:?}")))?
            .into_iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        for uid in &uids {
            self.rerender_item(uid).await?;
        }
        Ok(uids.len())
    }

    async fn dequeue(&self, uid: &str) -> Result<(), Error> {
        self.run_checked(
            "DELETE type::record('rerender', $u) RETURN NONE;",
            json!({ "u": uid }),
        )
        .await
    }

    /// Render the plugin blocks of every snapshot of `uid` again; commit when the output
    /// changed (a re-render keeps the revision; it is audited as `item.rerendered`). A write
    /// conflict leaves the item queued for the next pass.
    async fn rerender_item(&self, uid: &str) -> Result<(), Error> {
        let doc = self.load_item(uid).await?;
        let Some((doc, ct)) = doc.and_then(|d| {
            let ct = self.inner.schemas.get(&d.ctype)?.clone();
            Some((d, ct))
        }) else {
            return self.dequeue(uid).await;
        };
        let mut new = doc.clone();
        let mut effects = Effects {
            done: true,
            ..Default::default()
        };
        let mut changed = Vec::new();
        for (locale, l) in new.locales.iter_mut() {
            let Some(snapshot) = l.published.as_mut() else {
                continue;
            };
            if !has_plugin_blocks(&ct, &snapshot.fields) {
                continue;
            }
            let renders = self
                .render_blocks(&ct, &doc, locale, &snapshot.fields)
                .await;
            let before = snapshot.fields.clone();
            let (reads, _) = renders.fill(&ct, &mut snapshot.fields);
            effects.record_reads(locale, snapshot.reads, snapshot, reads);
            if snapshot.fields != before {
                changed.push(locale.clone());
            }
        }
        if changed.is_empty() {
            return self.dequeue(uid).await;
        }
        new.version = doc.version + 1;
        let change = super::commit::Change {
            expected_version: doc.version,
            doc: new,
            revisions: Vec::new(),
            action: "rerendered",
            actor: Principal::System { job: "plugins" }.actor(),
            locales: changed,
            effects,
            before: None,
        };
        match self.commit(std::slice::from_ref(&change)).await {
            Ok(()) | Err(super::commit::CommitError::Retry) => Ok(()),
            Err(super::commit::CommitError::Unique { .. }) => self.dequeue(uid).await,
            Err(super::commit::CommitError::Fatal(e)) => Err(Error::Storage(e)),
        }
    }

    /// Queue a re-render of every item using `plugin` (after an upgrade).
    async fn queue_plugin_rerender(&self, plugin: &str) -> Result<(), Error> {
        self.run_checked(
            "FOR $u IN (SELECT VALUE uid FROM item WHERE plugins CONTAINS $p) { \
             UPSERT type::record('rerender', $u) CONTENT { uid: $u } RETURN NONE; };",
            json!({ "p": plugin }),
        )
        .await?;
        self.inner.rerender.notify_one();
        Ok(())
    }

    /// Items (ids, at most `limit`) whose working copies or snapshots use blocks of `plugin`.
    pub async fn items_using_plugin(
        &self,
        plugin: &str,
        limit: usize,
    ) -> Result<Vec<String>, Error> {
        let mut outcome = self
            .inner
            .store
            .run(
                "SELECT VALUE uid FROM item WHERE plugins CONTAINS $p LIMIT $n;",
                json!({ "p": plugin, "n": limit }),
            )
            .await?;
        let rows = outcome
            .rows(0)
            .map_err(|e| Error::Storage(format!("{e:?}")))?;
        Ok(rows
            .into_iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect())
    }

    /// `POST /plugins`: check, compile, store; an upgrade re-renders the snapshots using it.
    pub async fn install_plugin(
        &self,
        who: &Principal,
        manifest: &str,
        component: &[u8],
        grants: &[String],
    ) -> Result<(PluginRecord, bool), PluginAdminError> {
        require_admin(who)?;
        let registry = self.plugins().map_err(PluginAdminError::Content)?;
        let previous = plugins::Manifest::parse(manifest)
            .ok()
            .and_then(|m| registry.get(&m.id));
        let record = registry
            .install(manifest, component, grants, &who.actor(), &self.now())
            .await
            .map_err(PluginAdminError::Plugin)?;
        let upgraded = previous.is_some();
        if previous.is_some_and(|p| {
            p.record.sha256 != record.sha256 || p.record.capabilities != record.capabilities
        }) {
            self.queue_plugin_rerender(&record.id)
                .await
                .map_err(PluginAdminError::Content)?;
        }
        Ok((record, upgraded))
    }

    pub fn list_plugins(&self, who: &Principal) -> Result<Vec<PluginRecord>, PluginAdminError> {
        require_manager(who)?;
        Ok(self.plugins().map_err(PluginAdminError::Content)?.list())
    }

    pub fn get_plugin(&self, who: &Principal, id: &str) -> Result<PluginRecord, PluginAdminError> {
        require_manager(who)?;
        self.plugins()
            .map_err(PluginAdminError::Content)?
            .get(id)
            .map(|i| i.record.clone())
            .ok_or(PluginAdminError::NotFound)
    }

    /// `DELETE /plugins/{id}`: refused while content uses its blocks, unless `force`.
    /// Snapshots keep the HTML they were rendered with; later renders report the block's
    /// plugin as not installed.
    pub async fn remove_plugin(
        &self,
        who: &Principal,
        id: &str,
        force: bool,
    ) -> Result<(), PluginAdminError> {
        require_admin(who)?;
        let registry = self.plugins().map_err(PluginAdminError::Content)?;
        if registry.get(id).is_none() {
            return Err(PluginAdminError::NotFound);
        }
        if !force {
            let users = self
                .items_using_plugin(id, 10)
                .await
                .map_err(PluginAdminError::Content)?;
            if !users.is_empty() {
                return Err(PluginAdminError::InUse(users));
            }
        }
        match registry.remove(id).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(PluginAdminError::NotFound),
            Err(e) => Err(PluginAdminError::Plugin(e)),
        }
    }
}

/// 401 for anonymous callers, 403 for the others without the right.
fn require(who: &Principal, allowed: bool, what: &'static str) -> Result<(), PluginAdminError> {
    match (allowed, who) {
        (true, _) => Ok(()),
        (false, Principal::Anonymous) => Err(PluginAdminError::Content(Error::Unauthorized)),
        (false, _) => Err(PluginAdminError::Forbidden(what)),
    }
}

fn require_admin(who: &Principal) -> Result<(), PluginAdminError> {
    require(
        who,
        who.is_admin(),
        "only admins install and remove plugins",
    )
}

/// Whoever edits content sees the installed plugins and may try their blocks.
fn require_manager(who: &Principal) -> Result<(), PluginAdminError> {
    require(who, who.can_manage(), "plugins are for editors and admins")
}

/// Errors of plugin administration.
#[derive(Debug, thiserror::Error)]
pub enum PluginAdminError {
    #[error("no such plugin")]
    NotFound,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("content still uses this plugin's blocks: {}", .0.join(", "))]
    InUse(Vec<String>),
    #[error(transparent)]
    Plugin(plugins::Error),
    #[error(transparent)]
    Content(Error),
}

/// A stored plugin block after rendering.
fn block_json(id: &str, block_type: &str, props: &Value, outcome: &Outcome) -> Value {
    match &outcome.rendered {
        Ok((html, text)) => json!({"id": id, "type": block_type, "props": props,
            "html": html, "text": text}),
        Err((code, message)) => json!({"id": id, "type": block_type, "props": props,
            "html": null, "error": {"code": code, "message": message}}),
    }
}

impl Renders {
    /// Put the renders into the plugin blocks of `fields`; the ids of the items they read.
    /// A block with no render (its props changed after rendering) gets an error and
    /// `missed` is set: the caller queues a re-render.
    pub(super) fn fill(&self, ct: &ContentType, fields: &mut Fields) -> (BTreeSet<String>, bool) {
        let mut reads = BTreeSet::new();
        let mut missed = false;
        for field in ct.fields.iter().filter(|f| f.kind == FieldKind::Blocks) {
            let Some(Value::Array(blocks)) = fields.get_mut(&field.name) else {
                continue;
            };
            for block in blocks.iter_mut() {
                let Some(block_type) = block
                    .get("type")
                    .and_then(Value::as_str)
                    .filter(|t| plugin_block_type(t).is_some())
                    .map(str::to_owned)
                else {
                    continue;
                };
                let id = block
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned();
                let props = block.get("props").cloned().unwrap_or(Value::Null);
                let outcome = match self.0.get(&render_key(&block_type, &props)) {
                    Some(o) => o.clone(),
                    None => {
                        missed = true;
                        Outcome::failed(
                            "plugin_not_rendered",
                            "the block is being rendered; try again shortly",
                        )
                    }
                };
                reads.extend(outcome.reads.iter().cloned());
                *block = block_json(&id, &block_type, &props, &outcome);
            }
        }
        (reads, missed)
    }

    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Does `fields` hold plugin blocks?
pub(super) fn has_plugin_blocks(ct: &ContentType, fields: &Fields) -> bool {
    !plugin_blocks(ct, fields).is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugin_pointers_become_field_paths() {
        assert_eq!(pointer_path(""), "");
        assert_eq!(pointer_path("/url"), ".url");
        assert_eq!(pointer_path("/items/2/title"), ".items[2].title");
        assert_eq!(pointer_path("/a~1b/c~0d"), ".a/b.c~d");
    }
}
