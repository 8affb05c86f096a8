//! The tables, by hand and with portable types only, so one schema serves SQLite and PostgreSQL.

diesel::table! {
    units (id) {
        id -> Text,
        name -> Text,
        kind -> Text,
        parent_id -> Nullable<Text>,
        legal_entity_id -> Text,
        active -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    demands (id) {
        id -> Text,
        unit_id -> Text,
        category -> Text,
        spec -> Text,
        cpv -> Text,
        quantity -> BigInt,
        unit_price_chf -> BigInt,
        needed_by -> Date,
        budget_year -> Integer,
        delivery_site -> Nullable<Text>,
        justification -> Nullable<Text>,
        status -> Text,
        proposal_id -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (seq) {
        seq -> BigInt,
        id -> Text,
        at -> Timestamp,
        actor -> Text,
        actor_role -> Text,
        action -> Text,
        entity_type -> Text,
        entity_id -> Text,
        detail -> Text,
    }
}

diesel::table! {
    idempotency_keys (scope, key) {
        scope -> Text,
        key -> Text,
        request_hash -> Text,
        status_code -> Integer,
        location -> Text,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(demands -> units (unit_id));
diesel::allow_tables_to_appear_in_same_query!(units, demands, audit_log, idempotency_keys);
