//! What a person sees: every subcommand's `--help` (and `-h`) fits an 80-column terminal,
//! ends with examples, and shows the defaults; usage errors say what was expected.

use crate::util::*;

/// The subcommands a person reaches from `pfocr-etl --help`, and the top level.
fn commands() -> Vec<Vec<&'static str>> {
    let mut all = vec![
        vec![],
        vec!["convert"],
        vec!["run"],
        vec!["check"],
        vec!["export"],
        vec!["export", "gmt"],
        vec!["export", "jsonl"],
    ];
    if cfg!(feature = "delta") {
        all.extend([vec!["load"], vec!["maintain"]]);
    }
    all
}

#[test]
fn every_help_has_examples_fits_80_columns_and_shows_defaults() {
    for command in commands() {
        for flag in ["--help", "-h"] {
            let o = pfocr_etl().args(&command).arg(flag).output().unwrap();
            let name = format!("pfocr-etl {} {flag}", command.join(" "));
            assert_eq!(o.status.code(), Some(0), "{name}");
            let help = String::from_utf8(o.stdout).unwrap();
            assert!(help.contains("Example"), "{name} has no example:\n{help}");
            for line in help.lines() {
                assert!(
                    line.chars().count() <= 80,
                    "{name}: a line of {} columns:\n{line}",
                    line.chars().count()
                );
            }
        }
    }
    let help =
        |args: &[&str]| String::from_utf8(pfocr_etl().args(args).output().unwrap().stdout).unwrap();
    assert!(help(&["export", "gmt", "--help"]).contains("[default: 3]"));
    assert!(help(&["check", "--help"]).contains("[default: text]"));
    if cfg!(feature = "delta") {
        let load = help(&["load", "--help"]);
        assert!(load.contains("[default: 0/1]"), "{load}");
        assert!(load.contains("--storage-option <KEY=VALUE>"), "{load}");
        let maintain = help(&["maintain", "--help"]);
        assert!(maintain.contains("[default: 168]"), "{maintain}");
    }
}

#[test]
fn the_top_level_help_lists_every_exit_status() {
    let o = pfocr_etl().arg("--help").output().unwrap();
    let help = String::from_utf8(o.stdout).unwrap();
    for status in 0..=5 {
        assert!(
            help.contains(&format!("\n  {status}  ")),
            "{status}:\n{help}"
        );
    }
}
