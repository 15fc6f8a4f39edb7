use std::path::Path;

use super::*;
use crate::config::SAMPLE;

fn env(name: &str) -> Option<String> {
    match name {
        "GENESYS_CLIENT_ID" => Some("id-from-env".into()),
        "GENESYS_CLIENT_SECRET" => Some("secret-from-env".into()),
        _ => None,
    }
}

fn settings(toml: &str) -> Result<Settings, ConfigError> {
    Settings::from_file(FileConfig::parse(toml, Path::new("test.toml"))?, &env)
}

fn error(toml: &str) -> String {
    settings(toml)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default()
}

const MINIMAL: &str =
    "[genesys]\nregion = \"eu-west-1\"\nclient_id = \"c\"\nclient_secret = \"s\"\n";

#[test]
fn the_sample_parses_and_states_the_defaults() {
    let sample = settings(SAMPLE).expect("the sample config is valid");
    let minimal = settings(MINIMAL).expect("a minimal config is valid");
    assert_eq!(sample.client_id, "id-from-env");
    assert_eq!(sample.client_secret.expose(), "secret-from-env");
    assert!(
        !format!("{sample:?}").contains("secret-from-env"),
        "Debug redacts the secret"
    );
    assert_eq!(sample.api_url, "https://api.mypurecloud.com");
    assert_eq!(sample.login_url, "https://login.mypurecloud.com");
    // Uncommenting every commented default must change nothing.
    let uncommented: String = SAMPLE
        .lines()
        .map(|l| {
            l.trim_start()
                .strip_prefix("# ")
                .filter(|r| r.contains(" = "))
                .unwrap_or(l)
        })
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        .replace("api_url = \"https://api.mypurecloud.com\"\n", "")
        .replace(
            "client_secret_file = \"/etc/genesys-aht/client_secret\"\n",
            "",
        )
        .replace("state_file = \"/var/lib/genesys-aht/state.json\"\n", "");
    let explicit = settings(&uncommented).expect("the uncommented sample is valid");
    for s in [&sample, &explicit] {
        assert_eq!(s.granularity, minimal.granularity);
        assert_eq!(s.group_by, minimal.group_by);
        assert_eq!(s.metrics, minimal.metrics);
        assert_eq!(s.lookback_buckets, minimal.lookback_buckets);
        assert_eq!(s.include_open_bucket, minimal.include_open_bucket);
        assert_eq!(s.flatten, minimal.flatten);
        assert_eq!(s.media_types, minimal.media_types);
        assert_eq!(s.signal, minimal.signal);
        assert_eq!(s.interval, minimal.interval);
        assert_eq!(s.requests_per_minute, minimal.requests_per_minute);
        assert_eq!(s.request_timeout, minimal.request_timeout);
        assert_eq!(s.retry, minimal.retry);
        assert_eq!(s.poll_timeout, minimal.poll_timeout);
        assert_eq!(s.self_metrics, minimal.self_metrics);
        assert_eq!(s.max_backfill_buckets, minimal.max_backfill_buckets);
        assert_eq!(s.backfill_chunk_buckets, minimal.backfill_chunk_buckets);
    }
    assert_eq!(minimal.max_backfill_buckets, 7 * 96);
    assert_eq!(minimal.backfill_chunk_buckets, 24);
    assert_eq!(minimal.state_file, None);
    assert_eq!(minimal.granularity, Duration::from_secs(900));
    assert_eq!(minimal.lookback_buckets, 4);
    assert_eq!(minimal.signal, Signal::Stdin);
    assert_eq!(
        minimal.group_by,
        [Dimension::RequestedRoutingSkillId, Dimension::MediaType]
    );
    assert_eq!(minimal.metrics.len(), 11);
    for metric in genesys_aht_contract::names::kpi_metrics::ALL {
        assert!(minimal.metrics.iter().any(|m| m == metric), "{metric}");
    }
    assert_eq!(minimal.requests_per_minute, 200);
}

#[test]
fn unknown_metrics_and_dimensions_list_the_known_ones() {
    let err = error(&format!("{MINIMAL}[collect]\nmetrics = [\"handleTime\"]\n"));
    assert!(
        err.contains("collect.metrics") && err.contains("handleTime"),
        "{err}"
    );
    assert!(err.contains("tHandle") && err.contains("nOffered"), "{err}");
    let err = error(&format!(
        "{MINIMAL}[collect]\nmetrics = [\"oServiceLevel\"]\n"
    ));
    assert!(err.contains("collect.metrics"), "{err}");
    let err = error(&format!("{MINIMAL}[collect]\ngroup_by = [\"userId\"]\n"));
    assert!(
        err.contains("collect.group_by") && err.contains("does not support"),
        "{err}"
    );
    assert!(
        err.contains("requestedRoutingSkillId, queueId, mediaType, direction"),
        "{err}"
    );
    let err = error(&format!("{MINIMAL}[collect]\ngroup_by = [\"skill\"]\n"));
    assert!(err.contains("not a Genesys dimension"), "{err}");
}

#[test]
fn regions_urls_and_login_derivation() {
    let err = error(&MINIMAL.replace("eu-west-1", "mars-1"));
    assert!(
        err.contains("genesys.region") && err.contains("mars-1") && err.contains("us-east-1"),
        "{err}"
    );
    let api = MINIMAL.replace(
        "region = \"eu-west-1\"",
        "api_url = \"http://127.0.0.1:9/\"",
    );
    let s = settings(&api).expect("api_url config");
    assert_eq!(
        (s.api_url.as_str(), s.login_url.as_str()),
        ("http://127.0.0.1:9", "http://127.0.0.1:9")
    );
    let both = MINIMAL.replace(
        "region = \"eu-west-1\"",
        "region = \"eu-west-1\"\napi_url = \"https://x\"",
    );
    assert!(error(&both).contains("not both"));
    let login = format!("{MINIMAL}login_url = \"https://login.example\"\n");
    assert_eq!(
        settings(&login).expect("login_url").login_url,
        "https://login.example"
    );
    assert!(
        error(&MINIMAL.replace("region = \"eu-west-1\"", "api_url = \"ftp://x\""))
            .contains("genesys.api_url")
    );
}

#[test]
fn durations_accept_humantime_and_iso() {
    let s = settings(&format!(
        "{MINIMAL}[collect]\ngranularity = \"PT30M\"\nlookback = \"45m\"\n"
    ))
    .expect("iso");
    assert_eq!(s.granularity, Duration::from_secs(1800));
    assert_eq!(s.lookback_buckets, 2, "lookback rounds up to whole buckets");
    let err = error(&format!(
        "{MINIMAL}[collect]\ngranularity = \"fortnight\"\n"
    ));
    assert!(
        err.contains("collect.granularity") && err.contains("PT15M"),
        "{err}"
    );
    assert!(
        error(&format!("{MINIMAL}[collect]\ngranularity = \"30s\"\n"))
            .contains("collect.granularity")
    );
    assert!(error(&format!("{MINIMAL}[execd]\ninterval = \"0s\"\n")).contains("execd.interval"));
    let wrong = error(&format!("{MINIMAL}[execd]\nsignal = \"stdin\"\n"));
    assert!(
        wrong.contains("execd.signal") && wrong.contains("\"SIGUSR2\""),
        "{wrong}"
    );
}

#[test]
fn telegraf_signal_names_are_accepted_exactly() {
    for (name, signal) in [
        ("STDIN", Signal::Stdin),
        ("none", Signal::None),
        ("SIGHUP", Signal::Sighup),
        ("SIGUSR1", Signal::Sigusr1),
        ("SIGUSR2", Signal::Sigusr2),
    ] {
        let s = settings(&format!("{MINIMAL}[execd]\nsignal = \"{name}\"\n")).unwrap();
        assert_eq!(s.signal, signal);
        assert_eq!(signal.name(), name);
    }
    for wrong in ["sighup", "HUP", "SIGTERM", "NONE"] {
        let err = error(&format!("{MINIMAL}[execd]\nsignal = \"{wrong}\"\n"));
        assert!(err.contains("execd.signal"), "{wrong}: {err}");
    }
}

#[test]
fn secrets_come_from_one_place_and_are_never_empty() {
    let unset = MINIMAL.replace(
        "client_secret = \"s\"",
        "client_secret = \"${NOT_SET_ANYWHERE}\"",
    );
    let err = error(&unset);
    assert!(
        err.contains("genesys.client_secret") && err.contains("NOT_SET_ANYWHERE"),
        "{err}"
    );
    assert!(error(&MINIMAL.replace("\"s\"", "\"  \"")).contains("non-empty"));
    let none = MINIMAL.replace("client_secret = \"s\"\n", "");
    assert!(error(&none).contains("genesys.client_secret"));

    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("secret");
    std::fs::write(&file, "from-file\n").expect("write secret");
    let from_file = MINIMAL.replace(
        "client_secret = \"s\"",
        &format!("client_secret_file = {:?}", file.display().to_string()),
    );
    assert_eq!(
        settings(&from_file)
            .expect("file secret")
            .client_secret
            .expose(),
        "from-file"
    );
    let missing = from_file.replace("secret\"", "nope\"");
    assert!(error(&missing).contains("genesys.client_secret_file"));
}

#[test]
fn toml_mistakes_name_the_key_without_quoting_the_line() {
    let err = error(&format!("{MINIMAL}[collect]\ngranularty = \"15m\"\n"));
    assert!(
        err.contains("granularty") && err.contains("line 6"),
        "{err}"
    );
    let typed = MINIMAL.replace("client_secret = \"s\"", "client_secret = 12345678");
    let err = error(&typed);
    assert!(err.contains("line 4") && !err.contains("12345678"), "{err}");
    assert!(error(&format!("{MINIMAL}[collect]\nsource = \"raw\"\n")).contains("collect.source"));
}

#[test]
fn a_state_file_in_a_missing_directory_is_named() {
    let err = error(&format!(
        "{MINIMAL}[collect]\nstate_file = \"/nonexistent-dir/state.json\"\n"
    ));
    assert!(
        err.contains("collect.state_file") && err.contains("existing directory"),
        "{err}"
    );
    let err = error(&format!("{MINIMAL}[execd]\npoll_timeout = \"0s\"\n"));
    assert!(err.contains("execd.poll_timeout"), "{err}");
}
