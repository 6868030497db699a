//! Diesel table definitions, written by hand so that they stay portable across SQLite and
//! PostgreSQL (only types both backends share: Text, Integer, BigInt, Bool, Date, Timestamp).

diesel::table! {
    settings (key) {
        key -> Text,
        value -> Text,
    }
}

diesel::table! {
    admin_units (code) {
        code -> Text,
        parent_code -> Nullable<Text>,
        level -> Text,
        name -> Text,
        name_folded -> Text,
        unit_type -> Text,
        path -> Text,
        created_at -> Timestamp,
        created_by -> Nullable<Text>,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        username -> Text,
        display_name -> Text,
        password_hash -> Text,
        active -> Bool,
        password_changed_at -> Timestamp,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    login_guards (username, client) {
        username -> Text,
        client -> Text,
        failures -> Integer,
        last_failure -> Timestamp,
        locked_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    grants (id) {
        id -> Text,
        user_id -> Text,
        role -> Text,
        unit_code -> Nullable<Text>,
        site_id -> Nullable<Text>,
        granted_by -> Nullable<Text>,
        granted_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        revoked_by -> Nullable<Text>,
        revoke_reason -> Nullable<Text>,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Text,
        user_id -> Text,
        family_id -> Text,
        token_hash -> Text,
        issued_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        replaced_by -> Nullable<Text>,
    }
}

diesel::table! {
    replies (operation, client_id, user_id) {
        operation -> Text,
        client_id -> Text,
        user_id -> Text,
        request_hash -> Text,
        status -> Integer,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    persons (id) {
        id -> Text,
        full_name -> Text,
        name_folded -> Text,
        birth_date -> Nullable<Date>,
        birth_year -> Nullable<Integer>,
        sex -> Nullable<Text>,
        national_id -> Nullable<Text>,
        passport_no -> Nullable<Text>,
        nationality -> Nullable<Text>,
        residence_address -> Nullable<Text>,
        residence_unit_code -> Text,
        unit_path -> Text,
        current_location -> Nullable<Text>,
        occupation -> Nullable<Text>,
        workplace -> Nullable<Text>,
        vaccination_doses -> Integer,
        source -> Text,
        merged_into -> Nullable<Text>,
        version -> Integer,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        updated_by -> Nullable<Text>,
        updated_at -> Timestamp,
        pending_national_id -> Nullable<Text>,
    }
}

diesel::table! {
    notices (id) {
        id -> Text,
        reason -> Text,
        state -> Text,
        from_unit_code -> Text,
        from_path -> Text,
        to_unit_code -> Text,
        to_path -> Text,
        person_json -> Text,
        contact_json -> Nullable<Text>,
        source_person_id -> Nullable<Text>,
        implied_level -> Nullable<Integer>,
        local_person_id -> Nullable<Text>,
        matched_person_id -> Nullable<Text>,
        linked_person_id -> Nullable<Text>,
        sent_by -> Text,
        sent_at -> Timestamp,
        resolved_by -> Nullable<Text>,
        resolved_at -> Nullable<Timestamp>,
        resolution_reason -> Nullable<Text>,
        version -> Integer,
    }
}

diesel::table! {
    lookup_counts (user_id, window_start) {
        user_id -> Text,
        window_start -> Timestamp,
        lookups -> Integer,
    }
}

diesel::table! {
    person_phones (person_id, phone) {
        person_id -> Text,
        phone -> Text,
    }
}

diesel::table! {
    duplicate_flags (id) {
        id -> Text,
        person_id -> Text,
        candidate_id -> Text,
        reason -> Text,
        flagged_at -> Timestamp,
        resolved_at -> Nullable<Timestamp>,
        resolution -> Nullable<Text>,
        resolved_by -> Nullable<Text>,
    }
}

diesel::table! {
    events (id) {
        id -> Text,
        entity_type -> Text,
        entity_id -> Text,
        action -> Text,
        actor_id -> Nullable<Text>,
        actor_role -> Nullable<Text>,
        at -> Timestamp,
        level -> Nullable<Integer>,
        via_id -> Nullable<Text>,
        state -> Nullable<Text>,
        recorded_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// The values an event's change carried, kept apart from the append-only log so that a
    /// purge can erase them (`erased_at`) and leave the event.
    event_changes (event_id) {
        event_id -> Text,
        before_json -> Nullable<Text>,
        after_json -> Nullable<Text>,
        reason -> Nullable<Text>,
        backdate_reason -> Nullable<Text>,
        erased_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    cases (id) {
        id -> Text,
        person_id -> Text,
        case_number -> Nullable<Text>,
        state -> Text,
        confirmation_test -> Text,
        test_ref -> Text,
        sample_date -> Date,
        onset_date -> Nullable<Date>,
        confirmed_at -> Timestamp,
        isolated_at -> Nullable<Timestamp>,
        treatment -> Nullable<Text>,
        window_start -> Timestamp,
        unit_path -> Text,
        version -> Integer,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    contacts (id) {
        id -> Text,
        person_a -> Text,
        person_b -> Text,
        first_at -> Timestamp,
        last_at -> Timestamp,
        place -> Nullable<Text>,
        setting -> Text,
        proximity -> Text,
        duration_minutes -> Nullable<Integer>,
        masked -> Bool,
        unit_path -> Text,
        retracted_at -> Nullable<Timestamp>,
        retract_reason -> Nullable<Text>,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        listed_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    exposures (person_id) {
        person_id -> Text,
        level -> Integer,
        status -> Text,
        window_start -> Timestamp,
        window_end -> Nullable<Timestamp>,
        via_person_id -> Nullable<Text>,
        case_id -> Nullable<Text>,
        unit_path -> Text,
        classified_at -> Timestamp,
        updated_at -> Timestamp,
        cleared_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    level_reviews (id) {
        id -> Text,
        person_id -> Text,
        current_level -> Integer,
        computed_level -> Nullable<Integer>,
        reason -> Text,
        unit_path -> Text,
        created_at -> Timestamp,
        resolved_at -> Nullable<Timestamp>,
        resolved_by -> Nullable<Text>,
        resolution -> Nullable<Text>,
    }
}

diesel::table! {
    investigations (id) {
        id -> Text,
        case_id -> Text,
        person_id -> Text,
        state -> Text,
        opened_at -> Timestamp,
        tracing_at -> Nullable<Timestamp>,
        isolating_at -> Nullable<Timestamp>,
        sampling_at -> Nullable<Timestamp>,
        monitoring_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
        tracing_due -> Timestamp,
        isolating_due -> Timestamp,
        sampling_due -> Timestamp,
        unit_path -> Text,
        version -> Integer,
        updated_at -> Timestamp,
        cordoning_at -> Nullable<Timestamp>,
        cordoning_due -> Nullable<Timestamp>,
    }
}

diesel::table! {
    landmarks (id) {
        id -> Text,
        case_id -> Text,
        place -> Text,
        address -> Nullable<Text>,
        unit_code -> Nullable<Text>,
        unit_path -> Text,
        from_at -> Timestamp,
        to_at -> Timestamp,
        public -> Bool,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        retracted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    trace_tasks (id) {
        id -> Text,
        case_id -> Text,
        person_id -> Text,
        assignee_id -> Nullable<Text>,
        team -> Nullable<Text>,
        state -> Text,
        due_at -> Timestamp,
        note -> Nullable<Text>,
        unit_path -> Text,
        version -> Integer,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    sync_batches (id) {
        id -> Text,
        user_id -> Text,
        item_count -> Integer,
        response -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    regimes (id) {
        id -> Text,
        code -> Text,
        version -> Integer,
        effective_from -> Date,
        document -> Text,
        province_code -> Nullable<Text>,
        rules -> Text,
        note -> Nullable<Text>,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    sites (id) {
        id -> Text,
        name -> Text,
        kind -> Text,
        address -> Text,
        unit_code -> Text,
        unit_path -> Text,
        capacity -> Integer,
        version -> Integer,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    site_areas (id) {
        id -> Text,
        site_id -> Text,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    rooms (id) {
        id -> Text,
        site_id -> Text,
        area_id -> Nullable<Text>,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    beds (id) {
        id -> Text,
        room_id -> Text,
        site_id -> Text,
        label -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    homes (id) {
        id -> Text,
        address -> Text,
        unit_code -> Text,
        unit_path -> Text,
        own_room -> Bool,
        own_toilet -> Bool,
        no_shared_air_conditioning -> Bool,
        officer_id -> Nullable<Text>,
        version -> Integer,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    episodes (id) {
        id -> Text,
        person_id -> Text,
        level -> Integer,
        mode -> Text,
        state -> Text,
        regime_id -> Text,
        day1 -> Date,
        days -> Integer,
        release_from -> Date,
        monitoring_days -> Integer,
        site_id -> Nullable<Text>,
        room_id -> Nullable<Text>,
        bed_id -> Nullable<Text>,
        home_id -> Nullable<Text>,
        household_role -> Text,
        admitted_at -> Nullable<Timestamp>,
        released_at -> Nullable<Timestamp>,
        monitoring_from -> Nullable<Date>,
        closed_at -> Nullable<Timestamp>,
        destination -> Nullable<Text>,
        next_episode_id -> Nullable<Text>,
        previous_episode_id -> Nullable<Text>,
        commitment_signed_at -> Nullable<Timestamp>,
        reason -> Nullable<Text>,
        unit_path -> Text,
        version -> Integer,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        ordered_at -> Timestamp,
        state_at -> Timestamp,
    }
}

diesel::table! {
    episode_tests (id) {
        id -> Text,
        episode_id -> Text,
        phase -> Text,
        day -> Integer,
        due_date -> Date,
        result -> Nullable<Text>,
        resulted_at -> Nullable<Timestamp>,
        recorded_by -> Nullable<Text>,
        superseded_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    warning_signs (id) {
        id -> Text,
        home_id -> Text,
        state -> Text,
        posted_by -> Nullable<Text>,
        posted_at -> Timestamp,
        photo_ref -> Nullable<Text>,
        removed_by -> Nullable<Text>,
        removed_at -> Nullable<Timestamp>,
        removed_reason -> Nullable<Text>,
        unit_path -> Text,
        version -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    daily_reports (id) {
        id -> Text,
        episode_id -> Text,
        report_date -> Date,
        temperature_c -> Nullable<Double>,
        symptoms -> Text,
        source -> Text,
        recorded_by -> Nullable<Text>,
        created_at -> Timestamp,
        reported_at -> Timestamp,
    }
}

diesel::table! {
    follow_ups (id) {
        id -> Text,
        episode_id -> Text,
        kind -> Text,
        for_date -> Date,
        state -> Text,
        note -> Nullable<Text>,
        unit_path -> Text,
        created_at -> Timestamp,
        resolved_at -> Nullable<Timestamp>,
        resolved_by -> Nullable<Text>,
    }
}

diesel::table! {
    violations (id) {
        id -> Text,
        episode_id -> Text,
        person_id -> Text,
        kind -> Text,
        occurred_at -> Timestamp,
        note -> Nullable<Text>,
        unit_path -> Text,
        reported_by -> Nullable<Text>,
        created_at -> Timestamp,
        handled_at -> Nullable<Timestamp>,
        handled_by -> Nullable<Text>,
        outcome -> Nullable<Text>,
    }
}

diesel::table! {
    zones (id) {
        id -> Text,
        name -> Text,
        level -> Text,
        area_name -> Nullable<Text>,
        state -> Text,
        start_at -> Nullable<Timestamp>,
        end_at -> Nullable<Timestamp>,
        reason -> Nullable<Text>,
        unit_path -> Text,
        version -> Integer,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    zone_units (zone_id, unit_code) {
        zone_id -> Text,
        unit_code -> Text,
        unit_path -> Text,
    }
}

diesel::table! {
    zone_investigations (zone_id, investigation_id) {
        zone_id -> Text,
        investigation_id -> Text,
    }
}

diesel::table! {
    unit_risk_levels (id) {
        id -> Text,
        unit_code -> Text,
        unit_path -> Text,
        scale -> Text,
        level -> Text,
        effective_at -> Timestamp,
        reason -> Text,
        set_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    labs (id) {
        id -> Text,
        name -> Text,
        unit_code -> Text,
        unit_path -> Text,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    pools (id) {
        id -> Text,
        barcode -> Text,
        state -> Text,
        max_size -> Integer,
        lab_id -> Nullable<Text>,
        result -> Nullable<Text>,
        note -> Nullable<Text>,
        unit_path -> Text,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        received_at -> Nullable<Timestamp>,
        resulted_at -> Nullable<Timestamp>,
        version -> Integer,
    }
}

diesel::table! {
    sampling_rounds (id) {
        id -> Text,
        zone_id -> Text,
        round_date -> Date,
        kind -> Text,
        ordered -> Integer,
        unit_path -> Text,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    samples (id) {
        id -> Text,
        person_id -> Text,
        kind -> Text,
        state -> Text,
        origin -> Text,
        episode_test_id -> Nullable<Text>,
        round_id -> Nullable<Text>,
        replaces_sample_id -> Nullable<Text>,
        due_date -> Date,
        barcode -> Nullable<Text>,
        pool_id -> Nullable<Text>,
        lab_id -> Nullable<Text>,
        collected_at -> Nullable<Timestamp>,
        received_at -> Nullable<Timestamp>,
        resulted_at -> Nullable<Timestamp>,
        result -> Nullable<Text>,
        note -> Nullable<Text>,
        unit_path -> Text,
        version -> Integer,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    access_records (id) {
        id -> Text,
        actor_id -> Text,
        actor_role -> Text,
        grant_id -> Nullable<Text>,
        operation -> Text,
        request_id -> Nullable<Text>,
        purpose -> Nullable<Text>,
        at -> Timestamp,
    }
}

diesel::table! {
    access_people (person_id, access_id) {
        access_id -> Text,
        person_id -> Text,
    }
}

diesel::table! {
    access_queue (part) {
        part -> Text,
        access_id -> Text,
        people -> Text,
    }
}

diesel::table! {
    retention_policies (id) {
        id -> Text,
        version -> Integer,
        rules -> Text,
        note -> Nullable<Text>,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    purged_people (person_id) {
        person_id -> Text,
        purged_at -> Timestamp,
        policy_id -> Text,
        rule -> Text,
        run_id -> Text,
    }
}

diesel::joinable!(event_changes -> events (event_id));
diesel::joinable!(grants -> users (user_id));
diesel::joinable!(grants -> admin_units (unit_code));
diesel::joinable!(grants -> sites (site_id));
diesel::joinable!(person_phones -> persons (person_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(cases -> persons (person_id));
diesel::joinable!(exposures -> persons (person_id));
diesel::joinable!(episodes -> persons (person_id));
diesel::joinable!(beds -> rooms (room_id));
diesel::joinable!(samples -> persons (person_id));
diesel::joinable!(zone_units -> zones (zone_id));
diesel::joinable!(zone_investigations -> zones (zone_id));
diesel::joinable!(zone_investigations -> investigations (investigation_id));
diesel::joinable!(access_people -> access_records (access_id));
diesel::joinable!(access_queue -> access_records (access_id));

diesel::allow_tables_to_appear_in_same_query!(
    settings,
    admin_units,
    users,
    login_guards,
    grants,
    refresh_tokens,
    replies,
    persons,
    notices,
    lookup_counts,
    person_phones,
    duplicate_flags,
    events,
    event_changes,
    cases,
    contacts,
    exposures,
    level_reviews,
    investigations,
    landmarks,
    trace_tasks,
    sync_batches,
    regimes,
    sites,
    site_areas,
    rooms,
    beds,
    homes,
    episodes,
    episode_tests,
    warning_signs,
    daily_reports,
    follow_ups,
    violations,
    zones,
    zone_units,
    zone_investigations,
    unit_risk_levels,
    labs,
    pools,
    sampling_rounds,
    samples,
    access_records,
    access_people,
    access_queue,
    retention_policies,
    purged_people,
);
