//! Background jobs. The scheduler runs due `publish_at` / `unpublish_at` schedules through
//! `content/` once per tick (one node: several nodes would each run it; a lease comes with
//! scale-out). The re-renderer renders the snapshots queued for it (plugin upgrades,
//! changes to content that plugin blocks read, imports) through `content/`.

use std::time::Duration;

use crate::content::Content;

/// Run due schedules every `tick` until the returned handle is aborted.
pub fn spawn_scheduler(content: Content, tick: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(tick);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            interval.tick().await;
            match content.run_due_schedules().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(actions = n, "scheduled actions ran"),
                Err(e) => tracing::warn!(error = %e, "scheduler tick failed"),
            }
        }
    })
}

/// Items re-rendered per pass.
const RERENDER_BATCH: usize = 50;

/// Re-render queued snapshots, and queue those that read content the outbox says changed,
/// when woken by a commit that may have queued some, and every `poll` (other nodes' writes, or
/// an item left queued by a write conflict), until aborted.
pub fn spawn_rerenderer(content: Content, poll: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match content.rerender_pending(RERENDER_BATCH).await {
                Ok(n) if n >= RERENDER_BATCH => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "re-rendering plugin blocks failed"),
            }
            if tokio::time::timeout(poll, content.rerender_queued())
                .await
                .is_ok()
            {
                // Woken by a commit: let its request answer before this takes the core.
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    })
}
