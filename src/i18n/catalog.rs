//! The shape of a message catalog. Deserialising with `deny_unknown_fields` makes a key that
//! is missing from, or unknown to, either catalog fail the catalog test.

use serde::Deserialize;

macro_rules! catalog {
    ($($key:ident,)+) => {
        /// Every user-facing message, in one language.
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct Messages {
            $(pub $key: String,)+
        }
    };
}

catalog! {
    help_about,
    help_template,
    help_help,
    help_version,
    help_db,
    help_config,
    help_lang,
    help_json,
    help_period,
    help_import,
    help_import_files,
    help_import_sheet,
    help_import_rejects,
    help_list,
    help_list_period,
    help_list_state,
    help_config_cmd,
    help_config_path,
    help_config_init,
    help_demo,
    config_unreadable,
    config_invalid,
    config_unknown_key,
    config_bad_key,
    config_bad_value,
    config_init_exists,
    config_init_failed,
    config_init_done,
    expected_window,
    path_config,
    path_database,
    path_keys,
    path_logs,
    path_missing,
    store_not_database,
    store_too_new,
    store_period_reported,
    store_no_such_school,
    store_busy,
    store_failed,
    store_empty_hint,
    no_such_period,
    import_unreadable,
    import_empty_file,
    import_not_text,
    import_bad_encoding,
    import_damaged_workbook,
    import_no_such_sheet,
    import_several_sheets,
    import_no_header,
    import_missing_columns,
    import_duplicate_column,
    import_no_data_rows,
    import_rejected,
    import_refused,
    import_rejects_more,
    import_rejects_written,
    import_rejects_unwritable,
    import_done,
    import_done_counts,
    import_format_workbook,
    import_source,
    import_extra_columns,
    import_odd_codes,
    reject_required,
    reject_found_expected,
    reject_duplicate_code,
    reject_duplicate_code_in,
    expected_whole_number,
    expected_bandwidth,
    expected_yes_no,
    expected_wifi,
    expected_fill_status,
    expected_date,
    expected_county_code,
    expected_one_of,
    expected_code_as_text,
    rejects_col_file,
    rejects_col_row,
    rejects_col_column,
    rejects_col_value,
    rejects_col_problem,
    col_school_code,
    col_name,
    col_school_type,
    col_county,
    col_state,
    col_findings,
    list_footer,
    list_bad_state,
    overview,
    overview_empty,
    demo_intro,
    demo_failed,
}

/// Parses an embedded catalog. A broken catalog is a build defect, caught by the i18n tests.
pub(super) fn load(text: &str) -> Messages {
    toml::from_str(text).unwrap_or_else(|e| panic!("message catalog: {e}"))
}
