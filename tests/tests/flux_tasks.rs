//! What the Flux tasks say, read from their text: they name only what the plugin
//! writes (spelled as in `genesys-aht-contract`), use the README's buckets, and
//! compute every average from sums and counts.

use std::collections::BTreeSet;
use std::path::Path;

use genesys_aht_contract::MEASUREMENT;
use genesys_aht_contract::names::{self, AVG_HANDLE_TIME, HANDLE_METRIC, tags};

/// A task: its file name and its code without comments.
struct Task {
    file: &'static str,
    code: String,
}

fn task(file: &'static str) -> Task {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../flux")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Task {
        file,
        code: without_comments(&text),
    }
}

fn tasks() -> [Task; 2] {
    [task("genesys_aht_1h.flux"), task("genesys_aht_1d.flux")]
}

/// Flux code with `//` comments removed (a `//` inside a string literal is kept).
fn without_comments(text: &str) -> String {
    let mut code = String::new();
    for line in text.lines() {
        let (mut in_string, mut escaped, mut end) = (false, false, line.len());
        for (i, c) in line.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' if in_string => escaped = true,
                '"' => in_string = !in_string,
                '/' if !in_string && line[i..].starts_with("//") => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        code.push_str(&line[..end]);
        code.push('\n');
    }
    code
}

/// The contents of every string literal (the tasks need no escapes).
fn string_literals(code: &str) -> Vec<String> {
    code.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// The string literal right after each occurrence of `prefix` (e.g. `bucket: `).
fn literals_after(code: &str, prefix: &str) -> Vec<String> {
    code.match_indices(prefix)
        .filter_map(|(at, _)| {
            string_literals(code[at + prefix.len()..].split_once('\n')?.0)
                .into_iter()
                .next()
        })
        .collect()
}

/// The string literals of each list that starts right after `prefix`.
fn list_after(code: &str, prefix: &str) -> Vec<String> {
    code.match_indices(prefix)
        .filter_map(|(at, _)| code[at + prefix.len()..].split_once(']'))
        .flat_map(|(list, _)| string_literals(list))
        .collect()
}

/// Every identifier in the code (names of functions, variables, record members).
fn identifiers(code: &str) -> BTreeSet<String> {
    let outside_strings: String = code.split('"').step_by(2).collect::<Vec<_>>().join(" ");
    outside_strings
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|word| word.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_'))
        .map(str::to_owned)
        .collect()
}

/// Record members read as `r.name`.
fn members_of_r(code: &str) -> BTreeSet<String> {
    code.match_indices("r.")
        .filter(|(at, _)| !code[..*at].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_'))
        .map(|(at, _)| {
            code[at + 2..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        })
        .collect()
}

fn contract_fields() -> Vec<String> {
    let mut fields = names::fields_of(HANDLE_METRIC);
    fields.push(AVG_HANDLE_TIME.to_owned());
    fields
}

fn one_line(code: &str) -> String {
    code.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn tasks_name_only_the_contract_measurement_and_fields() {
    let fields = contract_fields();
    for Task { file, code } in tasks() {
        let buckets = literals_after(&code, "bucket: ");
        let task_name = literals_after(&code, "name: ");
        let imports = literals_after(&code, "import ");
        for literal in string_literals(&code) {
            let known = literal == MEASUREMENT
                || fields.contains(&literal)
                || buckets.contains(&literal)
                || task_name.contains(&literal)
                || imports.contains(&literal)
                || literal.starts_with('_') // Flux's own columns: _time, _start, _field ...
                || literal == "int"; // the type name in types.isType
            assert!(
                known,
                "{file}: \"{literal}\" is not a contract name, bucket or Flux column"
            );
        }
        for member in members_of_r(&code) {
            assert!(
                member.starts_with('_') || fields.contains(&member),
                "{file}: r.{member} is not a contract field or Flux column"
            );
        }
        let measurement = format!("r._measurement == \"{MEASUREMENT}\"");
        assert!(
            code.contains(&measurement),
            "{file} reads only {MEASUREMENT}"
        );
        for field in &fields {
            assert!(
                code.contains(&format!("\"{field}\"")),
                "{file} names {field}"
            );
        }
        assert_eq!(
            task_name,
            [file.trim_end_matches(".flux")],
            "{file}: task named after its file"
        );
    }
}

/// Tags are never named: they are the group key, carried from the input series to
/// `to()`, which writes every string column as a tag.
#[test]
fn tasks_keep_every_tag_of_the_series() {
    for Task { file, code } in tasks() {
        let words = identifiers(&code);
        for regrouping in ["group", "keep", "rename", "window"] {
            assert!(
                !words.contains(regrouping),
                "{file} calls {regrouping}(), which can lose tags"
            );
        }
        for tag in tags::ALL {
            assert!(
                !words.contains(tag) && !string_literals(&code).iter().any(|l| l == tag),
                "{file} names tag {tag}"
            );
        }
        for dropped in list_after(&code, "drop(columns: [") {
            assert!(
                contract_fields().contains(&dropped),
                "{file} drops {dropped}"
            );
        }
    }
}

#[test]
fn averages_come_only_from_sums_and_counts() {
    let sum = names::sum_ms_field(HANDLE_METRIC);
    let count = names::count_field(HANDLE_METRIC);
    // avg = sum of milliseconds / count / 1000, in floats (Flux has no int → float promotion).
    let weighted = format!("_value: float(v: r.{sum}) / float(v: r.{count}) / 1000.0");
    for Task { file, code } in tasks() {
        let words = identifiers(&code);
        let averaging = [
            "mean",
            "median",
            "quantile",
            "reduce",
            "integral",
            "timeWeightedAvg",
            "movingAverage",
        ];
        for f in averaging {
            assert!(!words.contains(f), "{file} uses {f}()");
        }
        let fns: Vec<&str> = code
            .match_indices("fn: ")
            .map(|(at, _)| &code[at + 4..at + 7])
            .collect();
        assert!(
            fns.iter().all(|f| *f == "sum" || *f == "(r)"),
            "{file}: windows are summed: {fns:?}"
        );

        // The input average is never read, only written, and only as the weighted mean.
        assert!(
            !members_of_r(&code).contains(AVG_HANDLE_TIME),
            "{file} reads r.{AVG_HANDLE_TIME}"
        );
        assert!(
            !code.contains(&format!("== \"{AVG_HANDLE_TIME}\"")),
            "{file} filters on {AVG_HANDLE_TIME}"
        );
        assert!(
            code.contains("types.isType(v: r._value, type: \"int\")"),
            "{file} sums integers only"
        );
        let flat = one_line(&code);
        let written = format!("_field: \"{AVG_HANDLE_TIME}\", {weighted}");
        assert!(
            flat.contains(&written),
            "{file} writes {AVG_HANDLE_TIME} as {weighted}"
        );
        assert!(
            flat.contains(&format!("r.{count} > 0")),
            "{file} skips windows without handled conversations"
        );
    }
}

/// Windows are stamped at their start (like the raw points and InfluxQL), end at the
/// run's scheduled time, and empty windows write nothing.
#[test]
fn windows_start_at_their_start_and_are_not_created_empty() {
    for (Task { file, code }, every) in tasks().into_iter().zip(["1h", "1d"]) {
        let flat = one_line(&code);
        let window = format!(
            "aggregateWindow(every: {every}, fn: sum, createEmpty: false, timeSrc: \"_start\")"
        );
        assert!(flat.contains(&window), "{file}: {window}");
        assert!(
            flat.contains("range(start: start, stop: now())"),
            "{file} stops at now()"
        );
        assert!(flat.contains(&format!(
            "date.truncate(t: if lastRun < recent then lastRun else recent, unit: {every})"
        )));
    }
}

/// The buckets the README tells users to create, in order (raw, hourly, daily).
fn readme_buckets() -> Vec<String> {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .expect("README");
    readme
        .lines()
        .filter_map(|line| line.trim().strip_prefix("influx bucket create -n "))
        .filter_map(|rest| rest.split_whitespace().next().map(str::to_owned))
        .collect()
}

#[test]
fn buckets_chain_raw_to_hourly_to_daily_as_the_readme_creates_them() {
    let buckets = readme_buckets();
    assert_eq!(
        buckets.len(),
        3,
        "README creates three buckets: {buckets:?}"
    );
    let [hourly, daily] = tasks();
    let read_write = |t: &Task| {
        (
            literals_after(&t.code, "from(bucket: "),
            literals_after(&t.code, "to(bucket: "),
        )
    };
    assert_eq!(
        read_write(&hourly),
        (vec![buckets[0].clone()], vec![buckets[1].clone()])
    );
    assert_eq!(
        read_write(&daily),
        (vec![buckets[1].clone()], vec![buckets[2].clone()])
    );

    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .expect("README");
    for Task { file, .. } in tasks() {
        let import = format!("influx task create --org <org> --file flux/{file}");
        assert!(readme.contains(&import), "README imports {file}: {import}");
    }
}
