//! Rows as Rust values.

use diesel::prelude::*;

use super::schema::{dossiers, lookups, messages};

/// A dossier as last synced from the case software.
#[derive(Queryable, Selectable, QueryableByName, AsChangeset, Identifiable, Clone, Debug, PartialEq)]
#[diesel(table_name = dossiers, treat_none_as_null = true)]
pub struct Dossier {
    pub id: i64,
    pub receipt_key: String,
    pub receipt_code: String,
    pub phone: Option<String>,
    pub phone_raw: String,
    pub procedure_name: String,
    pub received_at: Option<i64>,
    pub due_at: Option<i64>,
    pub same_day: bool,
    pub step: String,
    pub status: String,
    pub updated_at: Option<i64>,
    pub resolved_at: Option<i64>,
    pub result_entries: i32,
    pub supplement_entries: i32,
    pub first_seen_at: i64,
    pub last_synced_at: i64,
}

/// The columns a brand-new dossier row starts with.
#[derive(Insertable)]
#[diesel(table_name = dossiers)]
pub struct NewDossier<'a> {
    pub receipt_key: &'a str,
    pub receipt_code: &'a str,
    pub first_seen_at: i64,
    pub last_synced_at: i64,
}

/// One outgoing SMS and where it is in its life. Every column is loaded,
/// though not every one is read by the code.
#[derive(Queryable, Selectable, QueryableByName, Clone, Debug)]
#[diesel(table_name = messages)]
#[allow(dead_code)]
pub struct Message {
    pub id: i64,
    pub dossier_id: Option<i64>,
    pub kind: String,
    pub dedupe_key: String,
    pub phone: String,
    pub body: String,
    pub segments: i32,
    pub event_at: i64,
    pub created_at: i64,
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: i64,
    pub claimed_by: Option<String>,
    pub claimed_at: Option<i64>,
    pub sent_at: Option<i64>,
    pub gateway_reply: Option<String>,
    pub last_error: Option<String>,
    pub finished_at: Option<i64>,
}

/// A message to queue.
#[derive(Insertable, Clone, Debug)]
#[diesel(table_name = messages, treat_none_as_default_value = false)]
pub struct NewMessage {
    pub dossier_id: Option<i64>,
    pub kind: String,
    pub dedupe_key: String,
    pub phone: String,
    pub body: String,
    pub segments: i32,
    pub event_at: i64,
    pub created_at: i64,
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: i64,
    pub claimed_by: Option<String>,
    pub claimed_at: Option<i64>,
}

impl NewMessage {
    /// A message ready for `notify`: queued, due now, never tried. Its part
    /// count is worked out from the text, so it is always what is billed.
    pub fn queued(
        dossier_id: Option<i64>,
        kind: &str,
        dedupe_key: String,
        phone: &str,
        body: String,
        event_at: i64,
        now: i64,
    ) -> Self {
        NewMessage {
            dossier_id,
            kind: kind.into(),
            dedupe_key,
            phone: phone.into(),
            segments: crate::domain::sms::segments(&body) as i32,
            body,
            event_at,
            created_at: now,
            state: "queued".into(),
            attempts: 0,
            next_attempt_at: now,
            claimed_by: None,
            claimed_at: None,
        }
    }
}

/// One inbound look-up, for the report.
#[derive(Insertable)]
#[diesel(table_name = lookups, treat_none_as_default_value = false)]
pub struct NewLookup<'a> {
    pub received_at: i64,
    pub sender: &'a str,
    pub receipt_code: Option<&'a str>,
    pub outcome: &'a str,
}
