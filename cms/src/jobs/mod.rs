//! Background jobs. The scheduler runs due `publish_at` / `unpublish_at` schedules through
//! `content/` once per tick (one node: several nodes would each run it; a lease comes with
//! scale-out).

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
