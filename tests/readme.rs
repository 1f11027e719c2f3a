//! The README stays true: every rule and every flag is documented there.

use clap::CommandFactory;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap()
}

#[test]
fn every_rule_has_a_row_in_the_rules_table() {
    let r = readme();
    for m in dopt::transforms::metas() {
        let hadolint = if m.hadolint.is_empty() { "-".to_string() } else { m.hadolint.join(", ") };
        let row = format!("| {} | {} | {} | {} |", m.code, m.name, m.fix.label(), hadolint);
        assert!(r.contains(&row), "README lacks the row starting `{row}`");
    }
    let rows = r.lines().filter(|l| l.starts_with("| DP")).count();
    assert_eq!(rows, dopt::transforms::metas().len(), "README lists rules that do not exist");
}

#[test]
fn every_flag_is_documented() {
    let r = readme();
    for a in dopt::cli::Cli::command().get_arguments() {
        if let Some(l) = a.get_long() {
            if l == "help" || l == "version" {
                continue;
            }
            assert!(r.contains(&format!("`--{l}")), "README does not document --{l}");
        }
    }
}

#[test]
fn the_ci_script_runs_the_readme_test_command() {
    let r = readme();
    let ci = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/run")).unwrap();
    let cmd = r.lines().find(|l| l.contains("# run the tests")).expect("README names the test command");
    let cmd = cmd.split('#').next().unwrap().trim();
    assert!(ci.lines().any(|l| l.trim() == cmd), "`{cmd}` is not a line of .ci/run");
}
