//! Scheduled publishing: `publish_at` / `unpublish_at` per (item, locale), kept in the `schedule`
//! table by the write transaction, and run by the scheduler job through the normal actions.

use serde_json::{Value, json};

use super::manage::{Stamp, finish, require_manager};
use super::{Action, Content, Error, ItemView, bad_request};
use crate::clock::{format_ts, parse_ts};
use crate::principal::Principal;

/// A change to a schedule: `None` keeps the time, `Some(None)` clears it, `Some(Some(t))` sets it.
#[derive(Debug, Clone, Default)]
pub struct ScheduleChange {
    pub publish_at: Option<Option<String>>,
    pub unpublish_at: Option<Option<String>>,
}

impl ScheduleChange {
    /// From `{"publish_at"?: time|null, "unpublish_at"?: time|null}`.
    pub fn from_body(body: Value) -> Result<ScheduleChange, Error> {
        let Value::Object(mut map) = body else {
            return Err(bad_request(
                "invalid_body",
                "the body must be a JSON object",
            ));
        };
        let mut take = |name: &str| -> Result<Option<Option<String>>, Error> {
            match map.remove(name) {
                None => Ok(None),
                Some(Value::Null) => Ok(Some(None)),
                Some(Value::String(t)) => {
                    parse_ts(&t).map(|t| Some(Some(format_ts(t)))).map_err(|_| {
                        bad_request("invalid_time", format!("`{name}` must be an RFC 3339 time"))
                    })
                }
                Some(_) => Err(bad_request(
                    "invalid_time",
                    format!("`{name}` must be an RFC 3339 time or null"),
                )),
            }
        };
        let change = ScheduleChange {
            publish_at: take("publish_at")?,
            unpublish_at: take("unpublish_at")?,
        };
        if let Some(key) = map.keys().next() {
            return Err(bad_request(
                "unknown_field",
                format!("unknown field `{key}` (publish_at, unpublish_at)"),
            ));
        }
        Ok(change)
    }
}

impl Content {
    /// `POST /manage/{type}/{id}/schedule?locale=` (editors and admins).
    pub async fn schedule(
        &self,
        who: &Principal,
        ctype: &str,
        uid: &str,
        locale: &str,
        change: ScheduleChange,
    ) -> Result<ItemView, Error> {
        require_manager(who, ctype)?;
        if !who.can_publish() {
            return Err(Error::Forbidden(
                "scheduling needs an editor or admin".into(),
            ));
        }
        self.check_locale(locale)?;
        let ct = self.content_type(ctype)?.clone();
        let now = self.now();
        let default = self.default_locale().to_owned();
        let stamp = Stamp {
            who,
            now: &now,
            default: &default,
        };
        let doc = self
            .write_item(uid, |current| {
                let mut doc = self.owned_doc(who, ctype, current)?;
                let Some(l) = doc.locales.get_mut(locale) else {
                    return Err(Error::NotFound);
                };
                if let Some(t) = &change.publish_at {
                    l.publish_at = t.clone();
                }
                if let Some(t) = &change.unpublish_at {
                    l.unpublish_at = t.clone();
                }
                if let (Some(p), Some(u)) = (&l.publish_at, &l.unpublish_at)
                    && u <= p
                {
                    return Err(bad_request(
                        "invalid_time",
                        "`unpublish_at` must come after `publish_at`",
                    ));
                }
                let expected = doc.version;
                Ok(finish(
                    &ct,
                    doc,
                    expected,
                    vec![locale.to_owned()],
                    "scheduled",
                    &stamp,
                ))
            })
            .await?;
        self.manage_view(&ct, &doc, locale)
    }

    /// Run every schedule that is due (one scheduler tick); returns how many ran.
    pub async fn run_due_schedules(&self) -> Result<usize, Error> {
        let now = self.now();
        let mut outcome = self
            .inner
            .store
            .run(
                "SELECT uid, ctype, locale, action, at FROM schedule WHERE at <= $now \
                 ORDER BY at LIMIT 100;",
                json!({ "now": now }),
            )
            .await?;
        let due = outcome
            .rows(0)
            .map_err(|e| Error::Storage(format!("{e:?}")))?;
        let system = Principal::System { job: "scheduler" };
        let mut ran = 0;
        for row in due {
            let text = |k: &str| row.get(k).and_then(Value::as_str).unwrap_or_default();
            let (uid, ctype, locale) = (text("uid"), text("ctype"), text("locale"));
            let action = if text("action") == "unpublish" {
                Action::Unpublish
            } else {
                Action::Publish
            };
            match self.act(&system, ctype, uid, locale, action).await {
                Ok(_) => ran += 1,
                Err(Error::WriteConflict | Error::Storage(_)) => {} // next tick tries again
                Err(e) => {
                    // The action is no longer possible (trashed, already published, invalid):
                    // drop the schedule so it does not fire forever, and say so in the log.
                    tracing::warn!(%uid, %locale, error = %e, "scheduled {} dropped", text("action"));
                    let clear = match action {
                        Action::Unpublish => ScheduleChange {
                            unpublish_at: Some(None),
                            ..Default::default()
                        },
                        _ => ScheduleChange {
                            publish_at: Some(None),
                            ..Default::default()
                        },
                    };
                    self.schedule(&system, ctype, uid, locale, clear).await?;
                }
            }
        }
        Ok(ran)
    }
}
