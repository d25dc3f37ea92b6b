//! The command line (clap derive only; no IO). Help texts come from the i18n catalogs, see
//! [`localized_command`].

use std::path::PathBuf;

use clap::{Args, CommandFactory, Parser, Subcommand};

use crate::domain::Period;
use crate::i18n::Lang;

#[derive(Debug, Parser)]
#[command(name = "shenhe", version, disable_help_subcommand = true)]
pub struct Cli {
    /// The database file.
    #[arg(long, global = true, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// The config file.
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// The language of messages.
    #[arg(long, global = true, value_enum)]
    pub lang: Option<Lang>,
    /// The period the review screen opens on (without a command).
    #[arg(long, value_parser = parse_period, value_name = "PERIOD")]
    pub period: Option<Period>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Import(ImportArgs),
    List(ListArgs),
    Check(CheckArgs),
    Approve(ApproveArgs),
    Return(ReturnArgs),
    CancelReturn(CancelReturnArgs),
    /// Same arguments as `return`: the schools and why.
    Drop(ReturnArgs),
    Flag(FlagArgs),
    Stats(StatsArgs),
    Dispatch(DispatchArgs),
    Export(ExportArgs),
    Verify(VerifyArgs),
    Reopen(ReopenArgs),
    Notices(NoticesArgs),
    Backup(BackupArgs),
    Restore(RestoreArgs),
    CheckStore(CheckStoreArgs),
    #[command(subcommand)]
    Config(ConfigCommand),
    #[command(subcommand)]
    Key(KeyCommand),
    #[command(subcommand)]
    City(CityCommand),
    Receive(ReceiveArgs),
    Status(StatusArgs),
    Report(ReportArgs),
    SendBack(SendBackArgs),
    Demo,
}

/// `check-store`: the database file checked whole.
#[derive(Debug, Args)]
pub struct CheckStoreArgs {
    #[arg(long)]
    pub json: bool,
}

/// `receive`: at a city the counties' bundles, at a province the cities'.
#[derive(Debug, Args)]
pub struct ReceiveArgs {
    #[arg(required = true, value_name = "BUNDLE")]
    pub bundles: Vec<PathBuf>,
    #[arg(long, value_name = "FILE")]
    pub allowed_signers: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[arg(long, value_parser = parse_period, value_name = "PERIOD", required = true)]
    pub period: Period,
    #[arg(long)]
    pub json: bool,
}

/// `report`: the level's workbook, and at a province the circular's text.
#[derive(Debug, Args)]
pub struct ReportArgs {
    #[arg(long, value_parser = parse_period, value_name = "PERIOD", required = true)]
    pub period: Period,
    #[arg(long, value_name = "FILE.xlsx", required = true)]
    pub out: PathBuf,
    #[arg(long, value_name = "FILE.txt")]
    pub text: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

/// `send-back`: a signed return notice to a unit below, or with `--cancel` its cancellation.
#[derive(Debug, Args)]
pub struct SendBackArgs {
    #[arg(long, value_parser = parse_period, value_name = "PERIOD", required = true)]
    pub period: Period,
    #[arg(long, value_name = "CODE", required = true)]
    pub unit: String,
    #[arg(long, value_name = "TEXT", required_unless_present = "cancel", conflicts_with = "cancel")]
    pub reason: Option<String>,
    #[arg(long)]
    pub cancel: bool,
    #[arg(long, value_name = "TEXT", requires = "cancel")]
    pub note: Option<String>,
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    #[arg(long, value_parser = parse_period, value_name = "PERIOD")]
    pub period: Period,
    #[arg(long = "sheet", value_name = "NAME")]
    pub sheets: Vec<String>,
    #[arg(long, value_name = "FILE.csv")]
    pub rejects: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(long, value_parser = parse_period, value_name = "PERIOD")]
    pub period: Option<Period>,
    #[arg(long, value_name = "STATE")]
    pub state: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    #[arg(long, value_parser = parse_period, value_name = "PERIOD")]
    pub period: Option<Period>,
    #[arg(long, value_enum, value_name = "GROUP")]
    pub by: Option<StatsGroup>,
    #[arg(long)]
    pub json: bool,
}

/// How `stats --by` groups the schools.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StatsGroup {
    County,
    /// By the unit below whose report carries the school: at a province its city.
    City,
    #[value(name = "school_type")]
    SchoolType,
}

#[derive(Debug, Args)]
pub struct DispatchArgs {
    #[arg(long, value_parser = parse_period, value_name = "PERIOD")]
    pub period: Option<Period>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[arg(long, value_parser = parse_period, value_name = "PERIOD")]
    pub period: Option<Period>,
    #[arg(long)]
    pub all: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["schools", "all_clean"])))]
pub struct ApproveArgs {
    #[arg(long, value_parser = parse_period, value_name = "PERIOD")]
    pub period: Option<Period>,
    #[arg(long = "school", value_name = "CODE", num_args = 1..)]
    pub schools: Vec<String>,
    #[arg(long)]
    pub all_clean: bool,
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ReturnArgs {
    #[arg(long, value_parser = parse_period, value_name = "PERIOD")]
    pub period: Option<Period>,
    #[arg(long = "school", value_name = "CODE", num_args = 1.., required = true)]
    pub schools: Vec<String>,
    #[arg(long, value_name = "TEXT", required = true)]
    pub reason: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CancelReturnArgs {
    #[arg(long, value_parser = parse_period, value_name = "PERIOD", conflicts_with = "from")]
    pub period: Option<Period>,
    #[arg(long = "school", value_name = "CODE", num_args = 1.., required_unless_present = "from")]
    pub schools: Vec<String>,
    /// The city's signed cancellation of its return notice.
    #[arg(long, value_name = "NOTICE", conflicts_with_all = ["schools", "note"])]
    pub from: Option<PathBuf>,
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct FlagArgs {
    #[arg(long, value_parser = parse_period, value_name = "PERIOD")]
    pub period: Option<Period>,
    #[arg(long = "school", value_name = "CODE", required = true)]
    pub school: String,
    #[arg(long, value_name = "TEXT", required = true)]
    pub note: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[arg(long, value_parser = parse_period, value_name = "PERIOD")]
    pub period: Option<Period>,
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[arg(long, requires = "reason")]
    pub force: bool,
    #[arg(long, value_name = "TEXT", requires = "force")]
    pub reason: Option<String>,
    #[arg(long, value_name = "FILE")]
    pub report_text: Option<PathBuf>,
    #[arg(long = "to", value_name = "RECIPIENTS", conflicts_with = "plain")]
    pub to: Vec<String>,
    #[arg(long)]
    pub plain: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[arg(required = true, value_name = "BUNDLE")]
    pub bundles: Vec<PathBuf>,
    #[arg(long, value_name = "FILE")]
    pub allowed_signers: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The copy; default: a dated file in the data directory's `backups` folder.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// A copy made by `shenhe backup`.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ReopenArgs {
    #[arg(long, value_parser = parse_period, value_name = "PERIOD", required_unless_present = "from")]
    pub period: Option<Period>,
    #[arg(long, value_name = "TEXT", required_unless_present = "from", conflicts_with = "from")]
    pub reason: Option<String>,
    /// The city's signed return notice.
    #[arg(long, value_name = "NOTICE")]
    pub from: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct NoticesArgs {
    #[arg(long, value_parser = parse_period, value_name = "PERIOD")]
    pub period: Option<Period>,
    #[arg(long, value_name = "DIR", required = true)]
    pub out: PathBuf,
    #[arg(long)]
    pub json: bool,
}

/// The city's commands (config `level = "city"`).
#[derive(Debug, Subcommand)]
pub enum CityCommand {
    Import {
        #[arg(required = true, value_name = "BUNDLE")]
        bundles: Vec<PathBuf>,
        #[arg(long, value_name = "FILE")]
        allowed_signers: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    Status {
        #[arg(long, value_parser = parse_period, value_name = "PERIOD", required = true)]
        period: Period,
        #[arg(long)]
        json: bool,
    },
    Report {
        #[arg(long, value_parser = parse_period, value_name = "PERIOD", required = true)]
        period: Period,
        #[arg(long, value_name = "FILE.xlsx", required = true)]
        out: PathBuf,
        #[arg(long)]
        json: bool,
    },
    Return {
        #[arg(long, value_parser = parse_period, value_name = "PERIOD", required = true)]
        period: Period,
        #[arg(long, value_name = "CODE", required = true)]
        county: String,
        #[arg(long, value_name = "TEXT", required = true)]
        reason: String,
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    CancelReturn {
        #[arg(long, value_parser = parse_period, value_name = "PERIOD", required = true)]
        period: Period,
        #[arg(long, value_name = "CODE", required = true)]
        county: String,
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    ReportText {
        #[arg(long, value_parser = parse_period, value_name = "PERIOD", required = true)]
        period: Period,
        #[arg(long, value_name = "CODE", required = true)]
        county: String,
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    Init,
    Show {
        #[arg(long)]
        allowed_signers: bool,
        #[arg(long)]
        json: bool,
    },
    Rotate {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    Path {
        #[arg(long)]
        json: bool,
    },
    Init,
}

fn parse_period(s: &str) -> Result<Period, String> {
    s.parse().map_err(|_| format!("{s:?}: 2026Q3 | 2026-09"))
}

/// The clap command with every help text in `lang`.
pub fn localized_command(lang: Lang) -> clap::Command {
    let h: &'static crate::i18n::Messages = lang.msg();
    fn args(cmd: clap::Command, pairs: &[(&'static str, &'static String)]) -> clap::Command {
        pairs.iter().fold(cmd, |c, (id, text)| c.mut_arg(*id, |a| a.help(text.as_str())))
    }
    let cmd = Cli::command()
        .about(h.help_about.as_str())
        .help_template(h.help_template.as_str())
        .disable_help_flag(true)
        .disable_version_flag(true)
        .arg(
            clap::Arg::new("help")
                .short('h')
                .long("help")
                .action(clap::ArgAction::Help)
                .help(h.help_help.as_str())
                .global(true),
        )
        .arg(
            clap::Arg::new("version")
                .short('V')
                .long("version")
                .action(clap::ArgAction::Version)
                .help(h.help_version.as_str()),
        );
    // `verify`, the receiving levels' `receive` and the city's older names take the same.
    let receive_help = [
        ("bundles", &h.help_verify_bundles),
        ("allowed_signers", &h.help_verify_allowed_signers),
        ("json", &h.help_json),
    ];
    let status_help = [("period", &h.help_period), ("json", &h.help_json)];
    let cmd = args(
        cmd,
        &[("db", &h.help_db), ("config", &h.help_config), ("lang", &h.help_lang), ("period", &h.help_screen_period)],
    );
    cmd.mut_subcommand("import", |c| {
        args(
            c.about(h.help_import.as_str()).help_template(h.help_template.as_str()),
            &[
                ("files", &h.help_import_files),
                ("period", &h.help_period),
                ("sheets", &h.help_import_sheet),
                ("rejects", &h.help_import_rejects),
                ("json", &h.help_json),
            ],
        )
    })
    .mut_subcommand("list", |c| {
        args(
            c.about(h.help_list.as_str()).help_template(h.help_template.as_str()),
            &[("period", &h.help_list_period), ("state", &h.help_list_state), ("json", &h.help_json)],
        )
    })
    .mut_subcommand("stats", |c| {
        args(
            c.about(h.help_stats.as_str()).help_template(h.help_template.as_str()),
            &[("period", &h.help_list_period), ("by", &h.help_stats_by), ("json", &h.help_json)],
        )
    })
    .mut_subcommand("dispatch", |c| {
        args(
            c.about(h.help_dispatch.as_str()).help_template(h.help_template.as_str()),
            &[("period", &h.help_list_period), ("json", &h.help_json)],
        )
    })
    .mut_subcommand("export", |c| {
        args(
            c.about(h.help_export.as_str()).help_template(h.help_template.as_str()),
            &[
                ("period", &h.help_list_period),
                ("out", &h.help_export_out),
                ("force", &h.help_export_force),
                ("reason", &h.help_export_reason),
                ("report_text", &h.help_export_report_text),
                ("to", &h.help_export_to),
                ("plain", &h.help_export_plain),
                ("json", &h.help_json),
            ],
        )
    })
    .mut_subcommand("verify", |c| {
        args(c.about(h.help_verify.as_str()).help_template(h.help_template.as_str()), &receive_help)
    })
    .mut_subcommand("reopen", |c| {
        args(
            c.about(h.help_reopen.as_str()).help_template(h.help_template.as_str()),
            &[
                ("period", &h.help_period),
                ("reason", &h.help_reopen_reason),
                ("from", &h.help_reopen_from),
                ("json", &h.help_json),
            ],
        )
    })
    .mut_subcommand("notices", |c| {
        args(
            c.about(h.help_notices.as_str()).help_template(h.help_template.as_str()),
            &[("period", &h.help_list_period), ("out", &h.help_notices_out), ("json", &h.help_json)],
        )
    })
    .mut_subcommand("backup", |c| {
        args(
            c.about(h.help_backup.as_str()).help_template(h.help_template.as_str()),
            &[("out", &h.help_backup_out), ("json", &h.help_json)],
        )
    })
    .mut_subcommand("check-store", |c| {
        args(c.about(h.help_check_store.as_str()).help_template(h.help_template.as_str()), &[("json", &h.help_json)])
    })
    .mut_subcommand("restore", |c| {
        args(
            c.about(h.help_restore.as_str()).help_template(h.help_template.as_str()),
            &[("file", &h.help_restore_file), ("json", &h.help_json)],
        )
    })
    .mut_subcommand("check", |c| {
        args(
            c.about(h.help_check.as_str()).help_template(h.help_template.as_str()),
            &[("period", &h.help_check_period), ("all", &h.help_check_all), ("json", &h.help_json)],
        )
    })
    .mut_subcommand("approve", |c| {
        args(
            c.about(h.help_approve.as_str()).help_template(h.help_template.as_str()),
            &[
                ("period", &h.help_check_period),
                ("schools", &h.help_decide_school),
                ("all_clean", &h.help_approve_all_clean),
                ("note", &h.help_approve_note),
                ("json", &h.help_json),
            ],
        )
    })
    .mut_subcommand("return", |c| {
        args(
            c.about(h.help_return.as_str()).help_template(h.help_template.as_str()),
            &[
                ("period", &h.help_check_period),
                ("schools", &h.help_decide_school),
                ("reason", &h.help_return_reason),
                ("json", &h.help_json),
            ],
        )
    })
    .mut_subcommand("cancel-return", |c| {
        args(
            c.about(h.help_cancel_return.as_str()).help_template(h.help_template.as_str()),
            &[
                ("period", &h.help_check_period),
                ("schools", &h.help_decide_school),
                ("note", &h.help_cancel_return_note),
                ("from", &h.help_cancel_return_from),
                ("json", &h.help_json),
            ],
        )
    })
    .mut_subcommand("drop", |c| {
        args(
            c.about(h.help_drop.as_str()).help_template(h.help_template.as_str()),
            &[
                ("period", &h.help_check_period),
                ("schools", &h.help_decide_school),
                ("reason", &h.help_drop_reason),
                ("json", &h.help_json),
            ],
        )
    })
    .mut_subcommand("flag", |c| {
        args(
            c.about(h.help_flag.as_str()).help_template(h.help_template.as_str()),
            &[
                ("period", &h.help_check_period),
                ("school", &h.help_decide_school),
                ("note", &h.help_flag_note),
                ("json", &h.help_json),
            ],
        )
    })
    .mut_subcommand("config", |c| {
        c.about(h.help_config_cmd.as_str())
            .help_template(h.help_template.as_str())
            .mut_subcommand("path", |p| {
                args(
                    p.about(h.help_config_path.as_str()).help_template(h.help_template.as_str()),
                    &[("json", &h.help_json)],
                )
            })
            .mut_subcommand("init", |p| p.about(h.help_config_init.as_str()).help_template(h.help_template.as_str()))
    })
    .mut_subcommand("key", |c| {
        c.about(h.help_key.as_str())
            .help_template(h.help_template.as_str())
            .mut_subcommand("init", |p| p.about(h.help_key_init.as_str()).help_template(h.help_template.as_str()))
            .mut_subcommand("show", |p| {
                args(
                    p.about(h.help_key_show.as_str()).help_template(h.help_template.as_str()),
                    &[("allowed_signers", &h.help_key_allowed_signers), ("json", &h.help_json)],
                )
            })
            .mut_subcommand("rotate", |p| {
                args(
                    p.about(h.help_key_rotate.as_str()).help_template(h.help_template.as_str()),
                    &[("json", &h.help_json)],
                )
            })
    })
    .mut_subcommand("receive", |c| {
        args(c.about(h.help_receive.as_str()).help_template(h.help_template.as_str()), &receive_help)
    })
    .mut_subcommand("status", |c| {
        args(c.about(h.help_status.as_str()).help_template(h.help_template.as_str()), &status_help)
    })
    .mut_subcommand("report", |c| {
        args(
            c.about(h.help_report.as_str()).help_template(h.help_template.as_str()),
            &[
                ("period", &h.help_period),
                ("out", &h.help_city_report_out),
                ("text", &h.help_report_text_file),
                ("json", &h.help_json),
            ],
        )
    })
    .mut_subcommand("send-back", |c| {
        args(
            c.about(h.help_send_back.as_str()).help_template(h.help_template.as_str()),
            &[
                ("period", &h.help_period),
                ("unit", &h.help_send_back_unit),
                ("reason", &h.help_city_return_reason),
                ("cancel", &h.help_send_back_cancel),
                ("note", &h.help_city_cancel_return_note),
                ("out", &h.help_city_return_out),
                ("json", &h.help_json),
            ],
        )
    })
    .mut_subcommand("city", |c| {
        c.about(h.help_city.as_str())
            .help_template(h.help_template.as_str())
            .mut_subcommand("import", |p| {
                args(p.about(h.help_city_import.as_str()).help_template(h.help_template.as_str()), &receive_help)
            })
            .mut_subcommand("status", |p| {
                args(p.about(h.help_city_status.as_str()).help_template(h.help_template.as_str()), &status_help)
            })
            .mut_subcommand("report", |p| {
                args(
                    p.about(h.help_city_report.as_str()).help_template(h.help_template.as_str()),
                    &[("period", &h.help_period), ("out", &h.help_city_report_out), ("json", &h.help_json)],
                )
            })
            .mut_subcommand("return", |p| {
                args(
                    p.about(h.help_city_return.as_str()).help_template(h.help_template.as_str()),
                    &[
                        ("period", &h.help_period),
                        ("county", &h.help_city_return_county),
                        ("reason", &h.help_city_return_reason),
                        ("out", &h.help_city_return_out),
                        ("json", &h.help_json),
                    ],
                )
            })
            .mut_subcommand("cancel-return", |p| {
                args(
                    p.about(h.help_city_cancel_return.as_str()).help_template(h.help_template.as_str()),
                    &[
                        ("period", &h.help_period),
                        ("county", &h.help_city_return_county),
                        ("note", &h.help_city_cancel_return_note),
                        ("out", &h.help_city_return_out),
                        ("json", &h.help_json),
                    ],
                )
            })
            .mut_subcommand("report-text", |p| {
                args(
                    p.about(h.help_city_report_text.as_str()).help_template(h.help_template.as_str()),
                    &[
                        ("period", &h.help_period),
                        ("county", &h.help_city_report_text_county),
                        ("out", &h.help_city_report_text_out),
                        ("json", &h.help_json),
                    ],
                )
            })
    })
    .mut_subcommand("demo", |c| c.about(h.help_demo.as_str()).help_template(h.help_template.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::FromArgMatches;

    fn parse(args: &[&str]) -> Cli {
        let m = localized_command(Lang::Zh).try_get_matches_from(args).unwrap();
        Cli::from_arg_matches(&m).unwrap()
    }

    #[test]
    fn command_definition_is_consistent() {
        localized_command(Lang::Zh).debug_assert();
        localized_command(Lang::En).debug_assert();
    }

    #[test]
    fn global_options_go_before_or_after_the_subcommand() {
        let a = parse(&["shenhe", "--lang", "en", "--db", "x.db", "list"]);
        let b = parse(&["shenhe", "list", "--lang", "en", "--db", "x.db"]);
        assert_eq!(a.lang, Some(Lang::En));
        assert_eq!(b.lang, Some(Lang::En));
        assert_eq!(b.db, Some(PathBuf::from("x.db")));
    }

    #[test]
    fn import_needs_files_and_a_valid_period() {
        let c = parse(&["shenhe", "import", "a.csv", "b.xlsx", "--period", "2026Q3", "--sheet", "小学"]);
        let Some(Command::Import(a)) = c.command else { panic!() };
        assert_eq!(a.files.len(), 2);
        assert_eq!(a.period.to_string(), "2026Q3");
        assert_eq!(a.sheets, ["小学"]);
        let cmd = || localized_command(Lang::Zh);
        assert!(cmd().try_get_matches_from(["shenhe", "import", "--period", "2026Q3"]).is_err());
        assert!(cmd().try_get_matches_from(["shenhe", "import", "a.csv", "--period", "2026Q5"]).is_err());
    }
}
