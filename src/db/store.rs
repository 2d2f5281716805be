//! The queries, written once and compiled for each backend by `store_impl!`;
//! the few that differ (row locks, the queue claim) differ inside it.

use diesel::prelude::*;
use diesel::result::QueryResult;
use diesel::sql_types::{BigInt, Text};

use super::models::{Dossier, Message, NewDossier, NewLookup, NewMessage};
use super::schema::{dossiers, lookups, messages};

/// Everything the commands ask of the database.
pub trait Store {
    /// Returns the dossier for `key`, creating an empty row first if there is
    /// none, and locks it for this transaction (PostgreSQL), so two
    /// overlapping syncs apply one after the other. `true` when it was new.
    fn lock_or_create_dossier(&mut self, key: &str, code: &str, now: i64) -> QueryResult<(Dossier, bool)>;
    /// Writes every column of a dossier back.
    fn save_dossier(&mut self, d: &Dossier) -> QueryResult<()>;
    /// Finds a dossier by its upper-cased receipt code.
    fn find_dossier(&mut self, key: &str) -> QueryResult<Option<Dossier>>;
    /// Finds the dossiers of many receipt keys at once (no locks).
    fn find_dossiers(&mut self, keys: &[String]) -> QueryResult<Vec<Dossier>>;
    /// Dossiers with a usable phone, not settled in the day, due in
    /// `[start, end)`.
    fn dossiers_due_between(&mut self, start: i64, end: i64) -> QueryResult<Vec<Dossier>>;
    /// Dossiers received, first seen or resolved in `[start, end)`.
    fn dossiers_for_report(&mut self, start: i64, end: i64) -> QueryResult<Vec<Dossier>>;

    /// Queues a message unless one with the same dedupe key exists; `true`
    /// when it was queued now.
    fn queue_message(&mut self, m: &NewMessage) -> QueryResult<bool>;
    /// Inserts a message and returns its id (for a reply sent at once).
    fn insert_message(&mut self, m: &NewMessage) -> QueryResult<i64>;
    /// Takes the oldest due queued message (of `kind`, when not empty) for
    /// this worker: marks it `sending` and counts the attempt. Another
    /// worker never gets the same message, and never waits for this one.
    fn claim_next(&mut self, now: i64, worker: &str, kind: &str) -> QueryResult<Option<Message>>;
    /// Records the gateway's acceptance.
    fn finish_sent(&mut self, id: i64, reply: &str, now: i64) -> QueryResult<()>;
    /// Records a failure: back to `queued` for `retry_at`, or `dead`.
    fn finish_failed(&mut self, id: i64, error: &str, retry_at: Option<i64>, now: i64) -> QueryResult<()>;
    /// Marks queued messages whose event is older than `cutoff` as expired.
    fn expire_queued(&mut self, cutoff: i64, now: i64) -> QueryResult<usize>;
    /// Marks messages stuck in `sending` since before `cutoff` (their run
    /// died) as interrupted: they are not retried, because the gateway may
    /// have accepted them.
    fn interrupt_stale(&mut self, cutoff: i64, now: i64) -> QueryResult<usize>;
    /// Queued messages due now, oldest first (for `--dry-run`).
    fn queued_due(&mut self, now: i64, kind: &str) -> QueryResult<Vec<Message>>;
    /// How many messages are queued in all (due or waiting for a retry).
    fn count_queued(&mut self) -> QueryResult<i64>;
    /// Messages sent or finished in `[start, end)`.
    fn messages_for_report(&mut self, start: i64, end: i64) -> QueryResult<Vec<Message>>;

    /// Records one inbound look-up.
    fn record_lookup(&mut self, at: i64, sender: &str, code: Option<&str>, outcome: &str) -> QueryResult<i64>;
    /// The outcomes of the look-ups received in `[start, end)`.
    fn lookup_outcomes(&mut self, start: i64, end: i64) -> QueryResult<Vec<String>>;
}

/// The row lock of `lock_or_create_dossier`: SQLite's write transaction
/// already excludes every other writer.
macro_rules! locked {
    (pg, $q:expr) => {
        $q.for_update()
    };
    (sqlite, $q:expr) => {
        $q
    };
}

/// The queue claim: one statement, so the message is taken atomically.
/// PostgreSQL skips rows another worker has locked instead of waiting.
macro_rules! claim_sql {
    (pg) => {
        "UPDATE messages SET state = 'sending', claimed_by = $2, claimed_at = $1, attempts = attempts + 1 \
         WHERE id = (SELECT id FROM messages WHERE state = 'queued' AND next_attempt_at <= $1 \
                     AND ($3 = '' OR kind = $3) ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) \
         RETURNING *"
    };
    (sqlite) => {
        "UPDATE messages SET state = 'sending', claimed_by = ?2, claimed_at = ?1, attempts = attempts + 1 \
         WHERE id = (SELECT id FROM messages WHERE state = 'queued' AND next_attempt_at <= ?1 \
                     AND (?3 = '' OR kind = ?3) ORDER BY id LIMIT 1) \
         RETURNING *"
    };
}

/// Implements [`Store`] for one connection type.
macro_rules! store_impl {
    ($conn:ty, $backend:ident) => {
        impl Store for $conn {
            fn lock_or_create_dossier(&mut self, key: &str, code: &str, now: i64) -> QueryResult<(Dossier, bool)> {
                let created = diesel::insert_into(dossiers::table)
                    .values(&NewDossier {
                        receipt_key: key,
                        receipt_code: code,
                        first_seen_at: now,
                        last_synced_at: now,
                    })
                    .on_conflict(dossiers::receipt_key)
                    .do_nothing()
                    .execute(self)?
                    == 1;
                let q = dossiers::table.filter(dossiers::receipt_key.eq(key)).select(Dossier::as_select());
                let d = locked!($backend, q).first(self)?;
                Ok((d, created))
            }

            fn save_dossier(&mut self, d: &Dossier) -> QueryResult<()> {
                diesel::update(dossiers::table.find(d.id)).set(d).execute(self).map(|_| ())
            }

            fn find_dossier(&mut self, key: &str) -> QueryResult<Option<Dossier>> {
                dossiers::table
                    .filter(dossiers::receipt_key.eq(key))
                    .select(Dossier::as_select())
                    .first(self)
                    .optional()
            }

            fn find_dossiers(&mut self, keys: &[String]) -> QueryResult<Vec<Dossier>> {
                dossiers::table.filter(dossiers::receipt_key.eq_any(keys)).select(Dossier::as_select()).load(self)
            }

            fn dossiers_due_between(&mut self, start: i64, end: i64) -> QueryResult<Vec<Dossier>> {
                dossiers::table
                    .filter(dossiers::due_at.ge(start))
                    .filter(dossiers::due_at.lt(end))
                    .filter(dossiers::phone.is_not_null())
                    .filter(dossiers::same_day.eq(false))
                    .order(dossiers::id)
                    .select(Dossier::as_select())
                    .load(self)
            }

            fn dossiers_for_report(&mut self, start: i64, end: i64) -> QueryResult<Vec<Dossier>> {
                dossiers::table
                    .filter(
                        dossiers::received_at
                            .ge(start)
                            .and(dossiers::received_at.lt(end))
                            .or(dossiers::received_at
                                .is_null()
                                .and(dossiers::first_seen_at.ge(start))
                                .and(dossiers::first_seen_at.lt(end)))
                            .or(dossiers::resolved_at.ge(start).and(dossiers::resolved_at.lt(end))),
                    )
                    .select(Dossier::as_select())
                    .load(self)
            }

            fn queue_message(&mut self, m: &NewMessage) -> QueryResult<bool> {
                diesel::insert_into(messages::table)
                    .values(m)
                    .on_conflict(messages::dedupe_key)
                    .do_nothing()
                    .execute(self)
                    .map(|n| n == 1)
            }

            fn insert_message(&mut self, m: &NewMessage) -> QueryResult<i64> {
                diesel::insert_into(messages::table).values(m).returning(messages::id).get_result(self)
            }

            fn claim_next(&mut self, now: i64, worker: &str, kind: &str) -> QueryResult<Option<Message>> {
                diesel::sql_query(claim_sql!($backend))
                    .bind::<BigInt, _>(now)
                    .bind::<Text, _>(worker)
                    .bind::<Text, _>(kind)
                    .get_result::<Message>(self)
                    .optional()
            }

            fn finish_sent(&mut self, id: i64, reply: &str, now: i64) -> QueryResult<()> {
                diesel::update(messages::table.find(id))
                    .set((
                        messages::state.eq("sent"),
                        messages::sent_at.eq(now),
                        messages::finished_at.eq(now),
                        messages::gateway_reply.eq(reply),
                        messages::last_error.eq(None::<String>),
                    ))
                    .execute(self)
                    .map(|_| ())
            }

            fn finish_failed(&mut self, id: i64, error: &str, retry_at: Option<i64>, now: i64) -> QueryResult<()> {
                let q = diesel::update(messages::table.find(id));
                match retry_at {
                    Some(at) => q
                        .set((
                            messages::state.eq("queued"),
                            messages::next_attempt_at.eq(at),
                            messages::last_error.eq(error),
                        ))
                        .execute(self),
                    None => q
                        .set((
                            messages::state.eq("dead"),
                            messages::finished_at.eq(now),
                            messages::last_error.eq(error),
                        ))
                        .execute(self),
                }
                .map(|_| ())
            }

            fn expire_queued(&mut self, cutoff: i64, now: i64) -> QueryResult<usize> {
                diesel::update(
                    messages::table.filter(messages::state.eq("queued")).filter(messages::event_at.lt(cutoff)),
                )
                .set((messages::state.eq("expired"), messages::finished_at.eq(now)))
                .execute(self)
            }

            fn interrupt_stale(&mut self, cutoff: i64, now: i64) -> QueryResult<usize> {
                diesel::update(
                    messages::table.filter(messages::state.eq("sending")).filter(messages::claimed_at.lt(cutoff)),
                )
                .set((
                    messages::state.eq("interrupted"),
                    messages::finished_at.eq(now),
                    messages::last_error.eq("the sending run stopped before the gateway's answer was recorded"),
                ))
                .execute(self)
            }

            fn queued_due(&mut self, now: i64, kind: &str) -> QueryResult<Vec<Message>> {
                let mut q = messages::table
                    .filter(messages::state.eq("queued"))
                    .filter(messages::next_attempt_at.le(now))
                    .order(messages::id)
                    .select(Message::as_select())
                    .into_boxed();
                if !kind.is_empty() {
                    q = q.filter(messages::kind.eq(kind.to_string()));
                }
                q.load(self)
            }

            fn count_queued(&mut self) -> QueryResult<i64> {
                messages::table.filter(messages::state.eq("queued")).count().get_result(self)
            }

            fn messages_for_report(&mut self, start: i64, end: i64) -> QueryResult<Vec<Message>> {
                messages::table
                    .filter(
                        messages::sent_at
                            .ge(start)
                            .and(messages::sent_at.lt(end))
                            .or(messages::finished_at.ge(start).and(messages::finished_at.lt(end))),
                    )
                    .select(Message::as_select())
                    .load(self)
            }

            fn record_lookup(&mut self, at: i64, sender: &str, code: Option<&str>, outcome: &str) -> QueryResult<i64> {
                diesel::insert_into(lookups::table)
                    .values(&NewLookup { received_at: at, sender, receipt_code: code, outcome })
                    .returning(lookups::id)
                    .get_result(self)
            }

            fn lookup_outcomes(&mut self, start: i64, end: i64) -> QueryResult<Vec<String>> {
                lookups::table
                    .filter(lookups::received_at.ge(start))
                    .filter(lookups::received_at.lt(end))
                    .select(lookups::outcome)
                    .load(self)
            }
        }
    };
}

store_impl!(diesel::sqlite::SqliteConnection, sqlite);
store_impl!(diesel::pg::PgConnection, pg);
