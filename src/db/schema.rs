//! The tables, as diesel sees them (kept by hand in step with migrations/).

diesel::table! {
    dossiers (id) {
        id -> BigInt,
        receipt_key -> Text,
        receipt_code -> Text,
        phone -> Nullable<Text>,
        phone_raw -> Text,
        procedure_name -> Text,
        received_at -> Nullable<BigInt>,
        due_at -> Nullable<BigInt>,
        same_day -> Bool,
        step -> Text,
        status -> Text,
        updated_at -> Nullable<BigInt>,
        resolved_at -> Nullable<BigInt>,
        result_entries -> Integer,
        supplement_entries -> Integer,
        first_seen_at -> BigInt,
        last_synced_at -> BigInt,
    }
}

diesel::table! {
    messages (id) {
        id -> BigInt,
        dossier_id -> Nullable<BigInt>,
        kind -> Text,
        dedupe_key -> Text,
        phone -> Text,
        body -> Text,
        segments -> Integer,
        event_at -> BigInt,
        created_at -> BigInt,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> BigInt,
        claimed_by -> Nullable<Text>,
        claimed_at -> Nullable<BigInt>,
        sent_at -> Nullable<BigInt>,
        gateway_reply -> Nullable<Text>,
        last_error -> Nullable<Text>,
        finished_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    lookups (id) {
        id -> BigInt,
        received_at -> BigInt,
        sender -> Text,
        receipt_code -> Nullable<Text>,
        outcome -> Text,
    }
}

diesel::joinable!(messages -> dossiers (dossier_id));
diesel::allow_tables_to_appear_in_same_query!(dossiers, messages, lookups);
