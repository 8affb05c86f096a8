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

diesel::table! {
    proposals (id) {
        id -> Text,
        position -> Integer,
        title -> Text,
        category -> Text,
        cpv -> Text,
        spec -> Text,
        budget_year -> Integer,
        unit_ids -> Text,
        lead_entity_id -> Text,
        total_quantity -> BigInt,
        estimated_value_chf -> BigInt,
        procedure -> Text,
        treaty_area -> Bool,
        needed_by -> Date,
        tender_start_by -> Date,
        estimated_savings_chf -> BigInt,
        savings_breakdown -> Text,
        warnings -> Text,
        status -> Text,
        decision -> Nullable<Text>,
        tender_reference -> Nullable<Text>,
        awarded_supplier -> Nullable<Text>,
        awarded_value_chf -> Nullable<BigInt>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    proposal_lines (proposal_id, demand_id) {
        proposal_id -> Text,
        demand_id -> Text,
        position -> Integer,
        unit_id -> Text,
        quantity -> BigInt,
        unit_price_chf -> BigInt,
        needed_by -> Date,
        demand_version -> BigInt,
        live -> Bool,
    }
}

diesel::joinable!(proposal_lines -> proposals (proposal_id));
diesel::joinable!(proposal_lines -> demands (demand_id));
diesel::table! {
    webhooks (id) {
        id -> Text,
        url -> Text,
        events -> Text,
        secret -> Text,
        active -> Bool,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    webhook_events (id) {
        id -> Text,
        event_type -> Text,
        payload -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    webhook_jobs (id) {
        id -> Text,
        webhook_id -> Text,
        event_id -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    webhook_attempts (id) {
        id -> Text,
        job_id -> Text,
        webhook_id -> Text,
        event_id -> Text,
        attempt -> Integer,
        status_code -> Nullable<Integer>,
        error -> Nullable<Text>,
        at -> Timestamp,
    }
}

diesel::joinable!(webhook_jobs -> webhook_events (event_id));
diesel::joinable!(webhook_jobs -> webhooks (webhook_id));
diesel::allow_tables_to_appear_in_same_query!(
    units,
    demands,
    audit_log,
    idempotency_keys,
    proposals,
    proposal_lines,
    webhooks,
    webhook_events,
    webhook_jobs,
    webhook_attempts
);
