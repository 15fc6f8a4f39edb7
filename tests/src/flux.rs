//! Checks Flux with InfluxData's Flux language server (`flux/check/check.js`, which
//! runs `@influxdata/flux-lsp-node` in node): syntax, undefined names, argument
//! types. No InfluxDB 2.x runs in the tests, so Flux is checked here, not executed.
//! [`functions_used`] lists the standard-library functions a Flux text calls, which
//! the tests hold to `flux/functions.toml` (the Flux version floor).
//!
//! ```no_run
//! use genesys_aht_tests::flux;
//!
//! // A query the code under test builds: fails with every error diagnostic.
//! flux::check_text("aht query", r#"from(bucket: "genesys") |> range(start: -1h)"#)?;
//! // Many queries in one run of the checker, each reported under its name.
//! flux::check_texts(&[("by skill", "1 + 1"), ("by queue", "2 + 2")])?;
//! // A dashboard query using `v.timeRangeStart`, `v.timeRangeStop`, `v.windowPeriod`.
//! flux::check_dashboard_text("panel", "from(bucket: \"b\") |> range(start: v.timeRangeStart)")?;
//! # Ok::<(), flux::FluxError>(())
//! ```

use std::collections::BTreeSet;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// How bad a diagnostic is, as the language server grades it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The Flux would not run; the check fails.
    Error,
    /// Runs, but the server advises against something (e.g. naming `task`).
    Warning,
    /// Informational.
    Info,
    /// A suggestion.
    Hint,
}

impl Severity {
    const ALL: [(Severity, &'static str); 4] = [
        (Severity::Error, "error"),
        (Severity::Warning, "warning"),
        (Severity::Info, "info"),
        (Severity::Hint, "hint"),
    ];

    fn name(self) -> &'static str {
        Severity::ALL
            .iter()
            .find(|(s, _)| *s == self)
            .map_or("error", |(_, name)| name)
    }
}

/// One diagnostic: where (1-based line and column, in the text as given) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file path, or the name given to a checked text.
    pub file: String,
    /// Line, from 1.
    pub line: u32,
    /// Column, from 1.
    pub column: u32,
    /// Error, warning, info or hint.
    pub severity: Severity,
    /// The server's message, e.g. `undefined identifier aggregateWindowz`.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (file, line, column) = (&self.file, self.line, self.column);
        write!(
            f,
            "{file}:{line}:{column}: {}: {}",
            self.severity.name(),
            self.message
        )
    }
}

/// Why Flux did not pass the check, or could not be checked.
#[derive(Debug, thiserror::Error)]
pub enum FluxError {
    /// The language server found errors (all diagnostics are kept, warnings too).
    #[error("Flux check failed:\n{}", lines(.0))]
    Invalid(Vec<Diagnostic>),
    /// `node` could not be started.
    #[error("cannot run `{node}` ({source}); scripts/test installs node and npm")]
    NodeMissing {
        /// The node executable tried.
        node: PathBuf,
        /// Why it did not start.
        source: std::io::Error,
    },
    /// The npm package is not installed next to the checker.
    #[error("{0} is missing; run `npm ci` in flux/check (scripts/test does)")]
    PackageMissing(PathBuf),
    /// The checker itself failed (exit status 2 or a crash), with its stderr.
    #[error("the Flux checker failed ({status}): {stderr}")]
    Checker {
        /// Exit status as text.
        status: String,
        /// What it printed on stderr.
        stderr: String,
    },
    /// Writing to or waiting for the checker.
    #[error("talking to the Flux checker: {0}")]
    Io(#[from] std::io::Error),
}

fn lines(diagnostics: &[Diagnostic]) -> String {
    let lines: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
    lines.join("\n")
}

/// The checker: which `node` runs `flux/check/check.js`. [`Checker::default`] uses
/// `node` from `PATH`; the free functions of this module use it.
#[derive(Debug, Clone)]
pub struct Checker {
    /// The node executable.
    pub node: PathBuf,
    /// The directory holding `check.js` and its `node_modules`.
    pub dir: PathBuf,
    /// Also fail Flux that differs from the Flux formatter's output (for files we ship).
    pub format: bool,
}

impl Default for Checker {
    fn default() -> Self {
        Checker {
            node: PathBuf::from("node"),
            dir: Path::new(env!("CARGO_MANIFEST_DIR")).join("../flux/check"),
            format: false,
        }
    }
}

impl Checker {
    /// Checks Flux files; on success returns the non-error diagnostics (warnings, hints).
    pub fn check_files<P: AsRef<Path>>(&self, files: &[P]) -> Result<Vec<Diagnostic>, FluxError> {
        let args: Vec<&Path> = files.iter().map(AsRef::as_ref).collect();
        self.run(&[], &args, None)
    }

    /// Checks one Flux text, reported under `name`.
    pub fn check_text(&self, name: &str, flux: &str) -> Result<Vec<Diagnostic>, FluxError> {
        self.check_texts(&[(name, flux)])
    }

    /// Checks named Flux texts in one run of the checker (faster than one by one);
    /// each diagnostic carries the name of its text.
    pub fn check_texts(&self, texts: &[(&str, &str)]) -> Result<Vec<Diagnostic>, FluxError> {
        self.run(&["--json"], &[], Some(texts_json(texts)))
    }

    /// Checks one dashboard query, which may use `v.timeRangeStart`, `v.timeRangeStop`
    /// and `v.windowPeriod` as InfluxDB's UI provides them.
    pub fn check_dashboard_text(
        &self,
        name: &str,
        flux: &str,
    ) -> Result<Vec<Diagnostic>, FluxError> {
        self.check_dashboard_texts(&[(name, flux)])
    }

    /// [`Checker::check_texts`] for dashboard queries.
    pub fn check_dashboard_texts(
        &self,
        texts: &[(&str, &str)],
    ) -> Result<Vec<Diagnostic>, FluxError> {
        self.run(&["--dashboard", "--json"], &[], Some(texts_json(texts)))
    }

    fn run(
        &self,
        flags: &[&str],
        files: &[&Path],
        stdin: Option<String>,
    ) -> Result<Vec<Diagnostic>, FluxError> {
        let package = self.dir.join("node_modules/@influxdata/flux-lsp-node");
        if !package.is_dir() {
            return Err(FluxError::PackageMissing(package));
        }
        let mut child = Command::new(&self.node)
            .arg(self.dir.join("check.js"))
            .args(flags)
            .args(self.format.then_some("--format"))
            .args(files)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| FluxError::NodeMissing {
                node: self.node.clone(),
                source,
            })?;
        // The pipe closes when dropped, so the checker sees the end of its input.
        if let (Some(mut pipe), Some(input)) = (child.stdin.take(), stdin) {
            pipe.write_all(input.as_bytes())?;
        }
        interpret(&child.wait_with_output()?)
    }
}

/// The checker's `--json` input: `[{"name": ..., "flux": ...}, ...]`.
fn texts_json(texts: &[(&str, &str)]) -> String {
    let texts: Vec<_> = texts
        .iter()
        .map(|(name, flux)| serde_json::json!({"name": name, "flux": flux}))
        .collect();
    serde_json::Value::Array(texts).to_string()
}

/// Turns the checker's exit status and output into diagnostics or an error.
fn interpret(output: &Output) -> Result<Vec<Diagnostic>, FluxError> {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let diagnostics: Vec<Diagnostic> = stdout.lines().filter_map(parse_line).collect();
    match output.status.code() {
        Some(0) => Ok(diagnostics),
        Some(1) => Err(FluxError::Invalid(diagnostics)),
        _ => Err(FluxError::Checker {
            status: output.status.to_string(),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        }),
    }
}

/// Parses `file:line:col: severity: message`; `None` for other lines (`file: OK`).
pub fn parse_line(line: &str) -> Option<Diagnostic> {
    // The first `: <severity>: ` ends the place; the message may contain the same words.
    let (at, severity, separator) = Severity::ALL
        .iter()
        .filter_map(|&(severity, name)| {
            let separator = format!(": {name}: ");
            Some((line.find(&separator)?, severity, separator))
        })
        .min_by_key(|(at, _, _)| *at)?;
    let mut place = line[..at].rsplitn(3, ':');
    let column = place.next()?.parse().ok()?;
    let line_number = place.next()?.parse().ok()?;
    let file = place.next()?.to_owned();
    let message = line[at + separator.len()..].to_owned();
    Some(Diagnostic {
        file,
        line: line_number,
        column,
        severity,
        message,
    })
}

/// [`Checker::check_files`] with the default checker.
pub fn check_files<P: AsRef<Path>>(files: &[P]) -> Result<Vec<Diagnostic>, FluxError> {
    Checker::default().check_files(files)
}

/// [`Checker::check_text`] with the default checker.
pub fn check_text(name: &str, flux: &str) -> Result<Vec<Diagnostic>, FluxError> {
    Checker::default().check_text(name, flux)
}

/// [`Checker::check_texts`] with the default checker.
pub fn check_texts(texts: &[(&str, &str)]) -> Result<Vec<Diagnostic>, FluxError> {
    Checker::default().check_texts(texts)
}

/// [`Checker::check_dashboard_texts`] with the default checker.
pub fn check_dashboard_texts(texts: &[(&str, &str)]) -> Result<Vec<Diagnostic>, FluxError> {
    Checker::default().check_dashboard_texts(texts)
}

/// [`Checker::check_dashboard_text`] with the default checker.
pub fn check_dashboard_text(name: &str, flux: &str) -> Result<Vec<Diagnostic>, FluxError> {
    Checker::default().check_dashboard_text(name, flux)
}

/// Flux's keywords: a keyword before `(` (`not (a)`, `if (b)`) is no call.
const KEYWORDS: [&str; 14] = [
    "and", "builtin", "else", "exists", "fn", "if", "import", "not", "option", "or", "package",
    "return", "then", "with",
];

/// The functions a Flux text calls (`filter(`, `date.truncate(`) or passes by name as
/// a function argument (`fn: sum`), spelled as in the text; comments and string
/// literals are skipped. Templates work too (`r[{}] == {}` has no call).
pub fn functions_used(flux: &str) -> BTreeSet<String> {
    let code = code_only(flux);
    let mut used = BTreeSet::new();
    let mut rest = code.as_str();
    let mut before = "";
    while let Some(start) = rest.find(|c: char| c.is_ascii_alphabetic() || c == '_') {
        let tail = &rest[start..];
        let len = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(tail.len());
        let name = tail[..len].trim_end_matches('.');
        let preceded = before.to_owned() + &rest[..start];
        let is_number_suffix = preceded.ends_with(|c: char| c.is_ascii_digit());
        let called = tail[len..].trim_start().starts_with('(');
        let passed = preceded.trim_end().ends_with("fn:");
        if !is_number_suffix && !KEYWORDS.contains(&name) && (called || passed) {
            used.insert(name.to_owned());
        }
        before = &tail[..len];
        rest = &tail[len..];
    }
    used
}

/// The text with comments removed and every string literal emptied (`""`).
fn code_only(flux: &str) -> String {
    let mut out = String::with_capacity(flux.len());
    let mut chars = flux.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                out.push_str("\"\"");
                let mut escaped = false;
                for s in chars.by_ref() {
                    match s {
                        _ if escaped => escaped = false,
                        '\\' => escaped = true,
                        '"' => break,
                        _ => {}
                    }
                }
            }
            '/' if chars.peek() == Some(&'/') => {
                for s in chars.by_ref() {
                    if s == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            c => out.push(c),
        }
    }
    out
}
