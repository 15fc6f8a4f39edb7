//! What the Flux tasks and backfill scripts say, read from their text: they name only
//! what the plugin writes (spelled as in `genesys-aht-contract`), use the README's
//! buckets, compute every average from sums and counts, read whole windows only, and
//! the backfill scripts roll up exactly as the tasks do.

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
                || literal.starts_with('_'); // Flux's own columns: _time, _start, _field ...
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
        // Every field but the average is an integer (the contract's fixed types).
        assert!(
            code.contains(&format!("r._field != \"{AVG_HANDLE_TIME}\"")),
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

/// Windows are stamped at their start (like the raw points and InfluxQL) and empty
/// windows write nothing. The range covers whole windows only, even in a run started
/// by hand (whose now() is the wall clock, not a whole hour): it stops at the last
/// whole hour and starts `horizon` before now(), truncated to the window.
#[test]
fn windows_start_at_their_start_and_are_whole() {
    for (Task { file, code }, every) in tasks().into_iter().zip(["1h", "1d"]) {
        let flat = one_line(&code);
        let window = format!(
            "aggregateWindow(every: {every}, fn: sum, createEmpty: false, timeSrc: \"_start\")"
        );
        assert!(flat.contains(&window), "{file}: {window}");
        for line in [
            "range(start: start, stop: stop)",
            "stop = date.truncate(t: now(), unit: 1h)",
            &format!("start = date.truncate(t: -horizon, unit: {every})"),
        ] {
            assert!(flat.contains(line), "{file}: {line}");
        }
        assert!(
            !flat.contains("stop: now()"),
            "{file} never stops at an untruncated now()"
        );
    }
}

/// The filters between `range()` and `aggregateWindow()` compare columns with
/// literals and call no function, so that InfluxDB pushes them down to storage
/// (influxdata/influxdb `query/stdlib/influxdata/influxdb/rules.go`,
/// `isPushableExpr`) and reads only the series the roll-up sums.
#[test]
fn the_filters_before_the_window_can_be_pushed_down() {
    for Task { file, code } in tasks().into_iter().chain(backfills()) {
        let read = code
            .split_once("|> range(")
            .and_then(|(_, after)| after.split_once("|> aggregateWindow("))
            .map(|(filters, _)| filters.to_owned())
            .unwrap_or_else(|| panic!("{file}: range() then aggregateWindow()"));
        let predicates: Vec<&str> = read.split("fn: (r) =>").skip(1).collect();
        assert_eq!(predicates.len(), 1, "{file}: one filter: {read}");
        let calls = genesys_aht_tests::flux::functions_used(predicates[0]);
        assert!(calls.is_empty(), "{file}: the filter calls {calls:?}");
        let flat = one_line(predicates[0]);
        assert!(
            flat.starts_with(&format!(
                "r._measurement == \"{MEASUREMENT}\" and r._field != \"{AVG_HANDLE_TIME}\""
            )),
            "{file}: {flat}"
        );
    }
}

/// The backfill scripts, hourly then daily.
fn backfills() -> [Task; 2] {
    [
        task("genesys_aht_backfill_1h.flux"),
        task("genesys_aht_backfill_1d.flux"),
    ]
}

/// From the first stream (`sums =`) to the end: the roll-up itself.
fn roll_up_of(task: &Task) -> &str {
    let at = task
        .code
        .find("sums =")
        .unwrap_or_else(|| panic!("{}: sums =", task.file));
    &task.code[at..]
}

/// A backfill is its task with another range: the same roll-up, character for
/// character, no task option, and a range of whole days from `since` (so that the
/// daily backfill finds every hour of the days the hourly one rewrote) to the last
/// whole hour. The daily one always runs to now(), so that its last day is never cut
/// short at the hourly backfill's `until`.
#[test]
fn backfills_roll_up_as_their_tasks_do_over_whole_days() {
    for (task, backfill) in tasks().iter().zip(backfills().iter()) {
        assert_eq!(roll_up_of(backfill), roll_up_of(task), "{}", backfill.file);
        assert!(!backfill.code.contains("option task"), "{}", backfill.file);
        let flat = one_line(&backfill.code);
        assert!(
            flat.contains("start = date.truncate(t: since, unit: 1d)"),
            "{}",
            backfill.file
        );
        assert!(
            flat.contains("since = -7d"),
            "{}: a default range",
            backfill.file
        );
    }
    let [hourly, daily] = backfills();
    assert!(one_line(&hourly.code).contains("stop = date.truncate(t: until, unit: 1h)"));
    assert!(one_line(&daily.code).contains("stop = date.truncate(t: now(), unit: 1h)"));
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
    for Task { file, .. } in backfills() {
        let run = format!("influx query --org <org> --file flux/{file}");
        assert!(readme.contains(&run), "README runs {file}: {run}");
    }
}
