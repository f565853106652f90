//! Workflow actions on a working copy: which transitions are legal from which state.

use super::Error;
use super::model::{ItemDoc, Snapshot, State};
use crate::principal::{Principal, Role};

/// An action of `POST /manage/{type}/{id}/{action}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Submit,
    Approve,
    Publish,
    Unpublish,
    Archive,
    Unarchive,
    Untrash,
}

impl Action {
    pub fn parse(s: &str) -> Option<Action> {
        Some(match s {
            "submit" => Action::Submit,
            "approve" => Action::Approve,
            "publish" => Action::Publish,
            "unpublish" => Action::Unpublish,
            "archive" => Action::Archive,
            "unarchive" => Action::Unarchive,
            "untrash" => Action::Untrash,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Submit => "submit",
            Action::Approve => "approve",
            Action::Publish => "publish",
            Action::Unpublish => "unpublish",
            Action::Archive => "archive",
            Action::Unarchive => "unarchive",
            Action::Untrash => "untrash",
        }
    }

    /// The audit/outbox name of the action's effect.
    pub fn event(self) -> &'static str {
        match self {
            Action::Submit => "submitted",
            Action::Approve => "approved",
            Action::Publish => "published",
            Action::Unpublish => "unpublished",
            Action::Archive => "archived",
            Action::Unarchive => "unarchived",
            Action::Untrash => "untrashed",
        }
    }
}

/// Contributors are the only role whose writes depend on the item: their own drafts only.
fn is_contributor(who: &Principal) -> bool {
    who.role() == Some(Role::Contributor)
}

fn owns(doc: &ItemDoc, who: &Principal) -> bool {
    doc.created_by == who.actor()
}

/// May `who` change the working copy of `locale`? Contributors: only drafts they created
/// (a locale not written yet counts as a draft).
pub fn may_edit(doc: &ItemDoc, locale: &str, who: &Principal) -> Result<(), Error> {
    if !is_contributor(who) {
        return Ok(());
    }
    if !owns(doc, who) {
        return Err(Error::Forbidden(
            "contributors edit only the items they created".into(),
        ));
    }
    match doc.locales.get(locale) {
        Some(l) if l.state != State::Draft => Err(Error::Forbidden(format!(
            "contributors edit drafts only; this working copy is {}",
            l.state.as_str()
        ))),
        _ => Ok(()),
    }
}

/// Actions allowed now on `locale` of `doc` for `who`.
pub fn allowed(doc: &ItemDoc, locale: &str, who: &Principal) -> Vec<&'static str> {
    let mut out = Vec::new();
    if doc.trashed_at.is_some() {
        if who.can_publish() {
            out.push("untrash");
        }
        return out;
    }
    if doc.archived_at.is_some() {
        if who.can_publish() {
            out.push("unarchive");
        }
        return out;
    }
    let Some(l) = doc.locales.get(locale) else {
        return out;
    };
    if l.state == State::Draft && (!is_contributor(who) || owns(doc, who)) {
        out.push("submit");
    }
    if who.can_publish() {
        if l.state == State::InReview {
            out.push("approve");
        }
        if l.state != State::Published {
            out.push("publish");
        }
        if l.published.is_some() {
            out.push("unpublish");
        }
        out.push("archive");
    }
    out
}

/// Apply `action` to `doc` (already a copy); `now` stamps it.
pub fn apply(
    doc: &mut ItemDoc,
    locale: &str,
    action: Action,
    who: &Principal,
    now: &str,
) -> Result<(), Error> {
    if is_contributor(who) && !owns(doc, who) {
        return Err(Error::Forbidden(
            "contributors act only on the items they created".into(),
        ));
    }
    let allowed_now = allowed(doc, locale, who);
    if !allowed_now.contains(&action.as_str()) {
        if !who.can_publish()
            && matches!(
                action,
                Action::Approve
                    | Action::Publish
                    | Action::Unpublish
                    | Action::Archive
                    | Action::Unarchive
                    | Action::Untrash
            )
        {
            return Err(Error::Forbidden(format!(
                "`{}` needs an editor or admin",
                action.as_str()
            )));
        }
        return Err(Error::IllegalTransition {
            message: format!(
                "`{}` is not possible in the item's current state",
                action.as_str()
            ),
            allowed: allowed_now,
        });
    }
    match action {
        Action::Archive => doc.archived_at = Some(now.to_owned()),
        Action::Unarchive => doc.archived_at = None,
        Action::Untrash => doc.trashed_at = None,
        Action::Submit | Action::Approve | Action::Publish | Action::Unpublish => {
            let shared = doc.shared.clone();
            let Some(l) = doc.locales.get_mut(locale) else {
                return Err(Error::NotFound);
            };
            match action {
                Action::Submit => l.state = State::InReview,
                Action::Approve => l.state = State::Approved,
                Action::Publish => {
                    let mut fields = shared;
                    for (k, v) in &l.fields {
                        fields.insert(k.clone(), v.clone());
                    }
                    l.published = Some(Snapshot {
                        revision: l.revision,
                        published_at: now.to_owned(),
                        fields,
                        reads: None,
                    });
                    l.state = State::Published;
                    l.publish_at = None;
                }
                _ => {
                    l.published = None;
                    l.unpublish_at = None;
                    if l.state == State::Published {
                        l.state = State::Draft;
                    }
                }
            }
            l.updated_at = now.to_owned();
            l.updated_by = who.actor();
        }
    }
    Ok(())
}
