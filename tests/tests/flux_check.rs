//! The Flux language server check: passes on the shipped tasks, fails with file, line
//! and column on broken Flux, and says clearly when it cannot run.

use std::path::{Path, PathBuf};

use genesys_aht_tests::flux::{self, Checker, Diagnostic, FluxError, Severity};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn shipped_tasks() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo().join("flux"))
        .expect("read flux/")
        .map(|entry| entry.expect("flux/ entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "flux"))
        .collect();
    files.sort();
    files
}

fn fixture(name: &str) -> PathBuf {
    repo().join("tests/fixtures/flux").join(name)
}

/// 1-based line and column of the first occurrence of `token` in `text`.
fn position_of(text: &str, token: &str) -> (u32, u32) {
    let at = text.find(token).expect("token in fixture");
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let column = at - before.rfind('\n').map_or(0, |nl| nl + 1) + 1;
    (line as u32, column as u32)
}

fn errors(result: Result<Vec<Diagnostic>, FluxError>) -> Vec<Diagnostic> {
    match result {
        Err(FluxError::Invalid(diagnostics)) => diagnostics
            .into_iter()
            .filter(|d| d.severity == Severity::Error)
            .collect(),
        other => panic!("expected the check to fail, got {other:?}"),
    }
}

/// The shipped tasks pass, formatted as the Flux formatter writes them.
#[test]
fn every_shipped_task_passes() {
    let tasks = shipped_tasks();
    let names: Vec<String> = tasks.iter().map(|p| p.display().to_string()).collect();
    assert!(
        names.iter().any(|n| n.ends_with("genesys_aht_1h.flux"))
            && names.iter().any(|n| n.ends_with("genesys_aht_1d.flux")),
        "both tasks are shipped: {names:?}"
    );
    let checker = Checker {
        format: true,
        ..Checker::default()
    };
    let notes = checker
        .check_files(&tasks)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(notes.iter().all(|d| d.severity != Severity::Error));
}

/// Each broken fixture fails with exactly one error, at the offending token.
#[test]
fn broken_tasks_fail_with_file_line_and_column() {
    let cases = [
        ("syntax_error.flux", "== )", 3, "invalid expression"),
        (
            "unknown_function.flux",
            "aggregateWindows",
            0,
            "undefined identifier aggregateWindows",
        ),
        (
            "wrong_argument_type.flux",
            "\"1h\"",
            0,
            "expected duration but found string",
        ),
    ];
    for (name, token, offset_in_token, message) in cases {
        let path = fixture(name);
        let text = std::fs::read_to_string(&path).expect("read fixture");
        let (line, column) = position_of(&text, token);
        let found = errors(flux::check_files(&[&path]));
        assert_eq!(found.len(), 1, "{name}: {found:#?}");
        let error = &found[0];
        assert_eq!(error.file, path.display().to_string());
        assert_eq!(
            (error.line, error.column),
            (line, column + offset_in_token),
            "{name}: {error}"
        );
        assert!(error.message.contains(message), "{name}: {error}");
    }
}

/// All files of one run are reported, each under its own name, and one bad file
/// fails the run.
#[test]
fn a_bad_file_among_good_ones_fails_the_run_and_names_itself() {
    let mut files = shipped_tasks();
    files.push(fixture("unknown_function.flux"));
    let found = errors(flux::check_files(&files));
    assert!(!found.is_empty());
    assert!(
        found
            .iter()
            .all(|d| d.file.ends_with("unknown_function.flux")),
        "{found:#?}"
    );
}

#[test]
fn texts_are_checked_under_their_own_name() {
    let good = r#"from(bucket: "genesys") |> range(start: -1h) |> sum()"#;
    flux::check_text("good query", good).unwrap_or_else(|e| panic!("{e}"));

    let bad = "x = 1\ny = x + \"a\"\n";
    let found = errors(flux::check_text("bad query", bad));
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].file, "bad query");
    assert_eq!(found[0].line, 2);
}

#[test]
fn many_texts_are_checked_in_one_run_each_under_its_name() {
    let texts = [
        (
            "by skill",
            r#"from(bucket: "genesys") |> range(start: -1h) |> sum()"#,
        ),
        (
            "by queue",
            "from(bucket: \"genesys\")\n    |> range(start: -1h)\n    |> summ()",
        ),
        (
            "by media",
            r#"from(bucket: "genesys") |> range(start: -1h) |> limit(n: "10")"#,
        ),
    ];
    let found = errors(flux::check_texts(&texts));
    let places: Vec<(&str, u32)> = found.iter().map(|d| (d.file.as_str(), d.line)).collect();
    assert_eq!(places, [("by queue", 3), ("by media", 1)], "{found:#?}");
    flux::check_texts(&texts[..1]).unwrap_or_else(|e| panic!("{e}"));
}

/// The command line reads Flux from stdin for `-`, and exits 1 on an error.
#[test]
fn the_command_line_checks_stdin() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new("node")
        .arg(repo().join("flux/check/check.js"))
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run node");
    let flux = "a = 1\nb = a + 2.0\n";
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(flux.as_bytes())
        .expect("write");
    let output = child.wait_with_output().expect("wait");
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().next().expect("a diagnostic");
    let (l, c) = position_of(flux, "2.0");
    assert!(
        line.starts_with(&format!("<stdin>:{l}:{c}: error: ")),
        "{stdout}"
    );
}

#[test]
fn dashboard_queries_get_the_ui_variables_and_keep_their_line_numbers() {
    let query = "// panel\n\nfrom(bucket: \"genesys\")\n    |> range(start: v.timeRangeStart, stop: v.timeRangeStop)\n    |> aggregateWindow(every: v.windowPeriod, fn: sum)\n";
    let notes = flux::check_dashboard_text("panel", query).unwrap_or_else(|e| panic!("{e}"));
    assert!(notes.is_empty(), "the prelude draws no note: {notes:#?}");

    let found = errors(flux::check_text("panel", query));
    assert!(
        found.iter().all(|d| d.message == "undefined identifier v"),
        "{found:#?}"
    );
    let lines: Vec<u32> = found.iter().map(|d| d.line).collect();
    assert!(lines.contains(&4) && lines.contains(&5), "{lines:?}");

    let unknown = "\n\nfrom(bucket: \"b\") |> nope()";
    let shifted = errors(flux::check_dashboard_text("panel", unknown));
    assert_eq!(shifted.len(), 1, "{shifted:#?}");
    assert_eq!(
        (shifted[0].line, shifted[0].column),
        position_of(unknown, "nope")
    );
}

#[test]
fn the_format_check_points_at_the_first_unformatted_line() {
    let checker = Checker {
        format: true,
        ..Checker::default()
    };
    let flux = "a = 1\nb  =  a\nc = b\n";
    let found = errors(checker.check_text("sloppy", flux));
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!((found[0].file.as_str(), found[0].line), ("sloppy", 2));
    assert!(
        found[0].message.ends_with("expected: \"b = a\""),
        "{}",
        found[0]
    );
    flux::check_text("sloppy", flux).expect("valid Flux when formatting is not checked");
}

#[test]
fn a_missing_node_is_a_clear_error() {
    let checker = Checker {
        node: PathBuf::from("/nonexistent/node"),
        ..Checker::default()
    };
    let error = checker.check_text("q", "1").expect_err("no node, no check");
    assert!(matches!(error, FluxError::NodeMissing { .. }), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains("/nonexistent/node") && message.contains("scripts/test"),
        "{message}"
    );
}

#[test]
fn a_missing_package_is_a_clear_error() {
    let empty = tempfile::tempdir().expect("temp dir");
    let checker = Checker {
        dir: empty.path().to_owned(),
        ..Checker::default()
    };
    let error = checker
        .check_text("q", "1")
        .expect_err("no package, no check");
    assert!(matches!(error, FluxError::PackageMissing(_)), "{error:?}");
    assert!(error.to_string().contains("npm ci"), "{error}");
}

#[test]
fn diagnostic_lines_parse_even_with_colons_in_the_message() {
    let d =
        flux::parse_line("a/b.flux:12:3: warning: Avoid using `task`: it is reserved: error: no")
            .expect("a diagnostic line");
    assert_eq!((d.file.as_str(), d.line, d.column), ("a/b.flux", 12, 3));
    assert_eq!(d.severity, Severity::Warning);
    assert_eq!(d.message, "Avoid using `task`: it is reserved: error: no");
    assert_eq!(flux::parse_line("a.flux: OK"), None);
}
