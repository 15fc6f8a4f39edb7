//! A model of Grafana's variable interpolation, written from Grafana's documented
//! formats and checked against the vectors of its own tests (cited at each test), so
//! that the shipped dashboards' URLs and queries can be expanded as Grafana would
//! and sent to real peers. Grafana itself does not run here.
//!
//! Modelled: `$name`, `${name}`, `${name:format}` with the formats `glob`, `csv`,
//! `pipe`, `regex`, `queryparam`, `customqueryparam[:name]`, `raw`; `$__from`,
//! `$__to` (epoch milliseconds) with `:date:iso` / `:date:seconds`; `$__interval`;
//! "All" (a custom all value, or every option); InfluxDB's `$timeFilter`; and the
//! interval Grafana picks for a range (`calculate_interval`).

/// One dashboard variable and what is selected.
#[derive(Debug, Clone)]
pub struct Variable {
    /// Its name (`skill`).
    pub name: String,
    /// The selected values (ignored when `all`).
    pub values: Vec<String>,
    /// "All" is selected.
    pub all: bool,
    /// The variable's custom all value, if any.
    pub all_value: Option<String>,
    /// Every option (what "All" means without a custom all value).
    pub options: Vec<String>,
    /// Multi-value or with an "All" option (InfluxDB then regex-escapes its values).
    pub multi_or_all: bool,
}

/// How a datasource formats a variable used without an explicit format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultFormat {
    /// Grafana's fallback, which Infinity uses.
    Glob,
    /// The InfluxDB datasource: regex-escaped when multi-value or with All, else raw.
    InfluxDb,
}

/// Everything an interpolation needs.
#[derive(Debug, Clone)]
pub struct Scope {
    /// The dashboard's variables.
    pub variables: Vec<Variable>,
    /// Range start, epoch milliseconds.
    pub from_ms: i64,
    /// Range end, epoch milliseconds.
    pub to_ms: i64,
    /// `$__interval`, as Grafana writes it.
    pub interval: String,
    /// The datasource's default format.
    pub default_format: DefaultFormat,
}

/// Grafana's "All" in URLs (`ALL_VARIABLE_VALUE`).
pub const ALL_VARIABLE_VALUE: &str = "$__all";

/// `text` with every variable reference replaced as Grafana would.
pub fn interpolate(text: &str, scope: &Scope) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (name, format, used) = if let Some(inner) = after.strip_prefix('{') {
            match inner.find('}') {
                Some(end) => {
                    let body = &inner[..end];
                    let (name, format) = match body.split_once(':') {
                        Some((n, f)) => (n, Some(f)),
                        None => (body, None),
                    };
                    (name, format, end + 2)
                }
                None => ("", None, 0),
            }
        } else {
            let len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..len], None, len)
        };
        match expand(name, format, scope) {
            Some(value) if used > 0 => {
                out.push_str(&value);
                rest = &after[used..];
            }
            _ => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn expand(name: &str, format: Option<&str>, scope: &Scope) -> Option<String> {
    match name {
        "__from" => return Some(date(scope.from_ms, format)),
        "__to" => return Some(date(scope.to_ms, format)),
        "__interval" => return Some(scope.interval.clone()),
        "timeFilter" => {
            return Some(format!(
                "time >= {}ms and time <= {}ms",
                scope.from_ms, scope.to_ms
            ));
        }
        _ => {}
    }
    let var = scope.variables.iter().find(|v| v.name == name)?;
    Some(format_variable(var, format, scope.default_format))
}

fn date(ms: i64, format: Option<&str>) -> String {
    match format {
        None | Some("date:ms") => ms.to_string(),
        Some("date") | Some("date:iso") => {
            let t = jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
            t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
        }
        Some("date:seconds") => ((ms as f64 / 1000.0).round() as i64).to_string(),
        Some(other) => panic!("date format {other} is not modelled"),
    }
}

/// One variable in `format` (`None`: the datasource's default).
pub fn format_variable(var: &Variable, format: Option<&str>, default: DefaultFormat) -> String {
    let (id, args) = match format {
        Some(f) => match f.split_once(':') {
            Some((id, args)) => (id, Some(args)),
            None => (f, None),
        },
        None => match default {
            DefaultFormat::Glob => ("glob", None),
            DefaultFormat::InfluxDb if var.multi_or_all => ("regex", None),
            DefaultFormat::InfluxDb => ("raw", None),
        },
    };
    if var.all {
        if id == "queryparam" {
            // What the variable's URL state holds for All.
            return format!("var-{}={ALL_VARIABLE_VALUE}", var.name);
        }
        if let Some(all) = &var.all_value {
            // A custom all value is used as it is (not escaped) by every format but
            // text, percentencode and queryparam.
            return all.clone();
        }
        return format_values(&var.name, &var.options, id, args);
    }
    format_values(&var.name, &var.values, id, args)
}

fn format_values(name: &str, values: &[String], id: &str, args: Option<&str>) -> String {
    match id {
        "glob" if values.len() > 1 => format!("{{{}}}", values.join(",")),
        "glob" | "csv" | "raw" => values.join(","),
        "pipe" => values.join("|"),
        "regex" => {
            let escaped: Vec<String> = values.iter().map(|v| escape_regex(v)).collect();
            if escaped.len() == 1 {
                escaped[0].clone()
            } else {
                format!("({})", escaped.join("|"))
            }
        }
        "queryparam" => values
            .iter()
            .map(|v| format!("var-{name}={}", encode_uri_component_strict(v)))
            .collect::<Vec<_>>()
            .join("&"),
        "customqueryparam" => {
            let mut args = args.unwrap_or("").splitn(2, ':');
            let key = args.next().filter(|k| !k.is_empty()).unwrap_or(name);
            let prefix = encode_uri_component_strict(args.next().unwrap_or(""));
            let key = encode_uri_component_strict(key);
            values
                .iter()
                .map(|v| format!("{key}={prefix}{}", encode_uri_component_strict(v)))
                .collect::<Vec<_>>()
                .join("&")
        }
        other => panic!("variable format {other} is not modelled"),
    }
}

/// Grafana's `escapeRegex` (`@grafana/data`): `[\^$*+?.()|[\]{}/]` get a backslash.
pub fn escape_regex(value: &str) -> String {
    let mut out = String::new();
    for c in value.chars() {
        if "\\^$*+?.()|[]{}/".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// JavaScript's `encodeURIComponent`, plus `!'()*` (Grafana's
/// `encodeURIComponentStrict`).
pub fn encode_uri_component_strict(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        let keep = b.is_ascii_alphanumeric() || b"-_.~".contains(&b);
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Grafana's `roundInterval` (`@grafana/data` rangeutil): a "nice" interval in
/// milliseconds.
pub fn round_interval(ms: i64) -> i64 {
    const STEPS: [(i64, i64); 29] = [
        (15, 10),
        (35, 20),
        (75, 50),
        (150, 100),
        (350, 200),
        (750, 500),
        (1_500, 1_000),
        (3_500, 2_000),
        (7_500, 5_000),
        (12_500, 10_000),
        (17_500, 15_000),
        (25_000, 20_000),
        (45_000, 30_000),
        (90_000, 60_000),
        (210_000, 120_000),
        (450_000, 300_000),
        (750_000, 600_000),
        (1_050_000, 900_000),
        (1_500_000, 1_200_000),
        (2_700_000, 1_800_000),
        (5_400_000, 3_600_000),
        (9_000_000, 7_200_000),
        (16_200_000, 10_800_000),
        (32_400_000, 21_600_000),
        (86_400_000, 43_200_000),
        (604_800_000, 86_400_000),
        (1_814_400_000, 604_800_000),
        (3_628_800_000, 2_592_000_000),
        (i64::MAX, 31_536_000_000),
    ];
    STEPS
        .iter()
        .find(|(below, _)| ms < *below)
        .map_or(31_536_000_000, |(_, nice)| *nice)
}

/// Grafana's `secondsToHms`: the largest whole unit (`y`, `d`, `h`, `m`, `s`, `ms`).
pub fn seconds_to_hms(ms: i64) -> String {
    let s = ms / 1000;
    let in_year = s % 31_536_000;
    let parts = [
        (s / 31_536_000, "y"),
        (in_year / 86_400, "d"),
        (in_year % 86_400 / 3_600, "h"),
        (in_year % 3_600 / 60, "m"),
        (in_year % 60, "s"),
    ];
    match parts.iter().find(|(n, _)| *n > 0) {
        Some((n, unit)) => format!("{n}{unit}"),
        None => format!("{ms}ms"),
    }
}

/// The interval Grafana uses for a range: `roundInterval(range / resolution)`,
/// raised to `min_ms` (a panel's min interval, or an interval variable's auto_min).
pub fn calculate_interval(range_ms: i64, resolution: i64, min_ms: i64) -> i64 {
    round_interval(range_ms / resolution.max(1)).max(min_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn var(name: &str, values: &[&str]) -> Variable {
        Variable {
            name: name.into(),
            values: values.iter().map(|v| v.to_string()).collect(),
            all: false,
            all_value: None,
            options: Vec::new(),
            multi_or_all: true,
        }
    }

    fn fmt(values: &[&str], format: &str) -> String {
        format_variable(&var("server", values), Some(format), DefaultFormat::Glob)
    }

    // Vectors from grafana/scenes packages/scenes/src/variables/interpolation/
    // formatRegistry.test.ts and grafana/grafana
    // public/app/features/templating/formatVariableValue.test.ts.
    #[test]
    fn formats_match_grafanas_own_tests() {
        assert_eq!(fmt(&["foo"], "glob"), "foo");
        assert_eq!(fmt(&["AA", "BB", "C.*"], "glob"), "{AA,BB,C.*}");
        assert_eq!(fmt(&["test", "test2"], "csv"), "test,test2");
        assert_eq!(fmt(&["test", "test2"], "pipe"), "test|test2");
        assert_eq!(fmt(&["test."], "regex"), "test\\.");
        assert_eq!(fmt(&["test.", "test2"], "regex"), "(test\\.|test2)");
        assert_eq!(fmt(&["Gi3/14"], "regex"), "Gi3\\/14");
        assert_eq!(
            fmt(&["helloAZ%="], "queryparam"),
            "var-server=helloAZ%25%3D"
        );
        assert_eq!(
            fmt(&["test1", "test2"], "queryparam"),
            "var-server=test1&var-server=test2"
        );
        assert_eq!(
            fmt(&["api", "database"], "customqueryparam"),
            "server=api&server=database"
        );
        assert_eq!(
            fmt(&["api", "database"], "customqueryparam:p-server"),
            "p-server=api&p-server=database"
        );
        assert_eq!(
            fmt(
                &["mysql&postgres", "databases!"],
                "customqueryparam:p-server:v-"
            ),
            "p-server=v-mysql%26postgres&p-server=v-databases%21"
        );
        assert_eq!(
            date(1_594_671_549_254, Some("date:iso")),
            "2020-07-13T20:19:09.254Z"
        );
        assert_eq!(date(1_594_671_549_254, Some("date:seconds")), "1594671549");
        assert_eq!(date(1_594_671_549_254, None), "1594671549254");
    }

    #[test]
    fn all_follows_the_custom_all_value_and_the_url_form() {
        let mut v = var("skill", &[]);
        v.all = true;
        v.options = vec!["a".into(), "b".into()];
        assert_eq!(format_variable(&v, None, DefaultFormat::Glob), "{a,b}");
        assert_eq!(
            format_variable(&v, Some("queryparam"), DefaultFormat::Glob),
            "var-skill=$__all"
        );
        v.all_value = Some(".*".into());
        assert_eq!(format_variable(&v, None, DefaultFormat::InfluxDb), ".*");
    }

    // Grafana's rangeutil: roundInterval's table and secondsToHms's units.
    #[test]
    fn intervals_are_grafanas() {
        assert_eq!(seconds_to_hms(calculate_interval(300_000, 100, 0)), "2s");
        assert_eq!(seconds_to_hms(round_interval(600)), "500ms");
        assert_eq!(
            seconds_to_hms(calculate_interval(300_000, 100, 900_000)),
            "15m"
        );
        assert_eq!(
            seconds_to_hms(calculate_interval(90 * 86_400_000, 100, 900_000)),
            "12h"
        );
        assert_eq!(seconds_to_hms(round_interval(1_000_000_000)), "7d");
        assert_eq!(seconds_to_hms(31_536_000_000), "1y");
    }

    #[test]
    fn references_expand_in_place() {
        let scope = Scope {
            variables: vec![var("skill", &["Tech Support", "Billing, Tier 2"])],
            from_ms: 1_594_671_549_254,
            to_ms: 1_594_671_849_254,
            interval: "15m".into(),
            default_format: DefaultFormat::InfluxDb,
        };
        assert_eq!(
            interpolate(
                "a=${__from:date:iso}&b=$__to&i=$__interval&$skill x",
                &scope
            ),
            "a=2020-07-13T20:19:09.254Z&b=1594671849254&i=15m&(Tech Support|Billing, Tier 2) x"
        );
        assert_eq!(interpolate("$unknown ${x", &scope), "$unknown ${x");
        assert_eq!(
            interpolate("$timeFilter", &scope),
            "time >= 1594671549254ms and time <= 1594671849254ms"
        );
    }
}
