use std::path::Path;

use genesys_aht_contract::Dimension;

use super::*;
use crate::config::{SAMPLE, Signal};

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

/// The defaults, as the README and the sample state them; written out whole, so that
/// a key added to the settings cannot be left out of this test.
fn documented_defaults() -> Settings {
    let minutes = |m: u64| Duration::from_secs(60 * m);
    Settings {
        genesys: Genesys {
            api_url: "https://api.mypurecloud.com".into(),
            login_url: "https://login.mypurecloud.com".into(),
            client_id: "id-from-env".into(),
            client_secret: Secret::new("secret-from-env"),
            requests_per_minute: 200,
            request_timeout: Duration::from_secs(30),
            max_retries: 8,
            backoff_initial: Duration::from_secs(1),
            backoff_max: Duration::from_secs(30),
        },
        collect: Collect {
            source: Source::Aggregates,
            granularity: minutes(15),
            group_by: vec![Dimension::RequestedRoutingSkillId, Dimension::MediaType],
            metrics: [
                "tHandle",
                "tTalk",
                "tHeld",
                "tAcw",
                "tAnswered",
                "tAbandon",
                "nOffered",
                // The KPIs beside AHT (service level, abandonment, transfer rate).
                "nOverSla",
                "tShortAbandon",
                "tFlowOut",
                "nTransferred",
            ]
            .map(String::from)
            .into(),
            lookback_buckets: 4,
            include_open_bucket: false,
            flatten: false,
            media_types: Vec::new(),
            queue_ids: Vec::new(),
            details: Details {
                lookbehind: minutes(120),
                jobs_min_window: minutes(24 * 60),
            },
        },
        backfill: Backfill {
            state_file: None,
            max_buckets: 7 * 96,
            chunk_buckets: 24,
        },
        execd: ExecdConfig {
            signal: Signal::Stdin,
            interval: Duration::from_secs(60),
            poll_timeout: minutes(2),
            self_metrics: true,
        },
        observations: crate::observations::ObservationsConfig::default(),
    }
}

#[test]
fn the_sample_parses_and_states_the_defaults() {
    let sample = settings(SAMPLE).expect("the sample config is valid");
    assert_eq!(sample, documented_defaults());
    assert!(
        !format!("{sample:?}").contains("secret-from-env"),
        "Debug redacts the secret"
    );
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
    assert_eq!(explicit, documented_defaults());
    // And a file that sets only what must be set gets the same defaults.
    let minimal = settings(MINIMAL).expect("a minimal config is valid");
    let expected = documented_defaults();
    assert_eq!(minimal.collect, expected.collect);
    assert_eq!(minimal.backfill, expected.backfill);
    assert_eq!(minimal.execd, expected.execd);
    assert_eq!(
        minimal.genesys,
        Genesys {
            api_url: "https://api.mypurecloud.ie".into(),
            login_url: "https://login.mypurecloud.ie".into(),
            client_id: "c".into(),
            client_secret: Secret::new("s"),
            ..expected.genesys
        }
    );
    assert_eq!(minimal.collect.metrics.len(), 11);
    for metric in genesys_aht_contract::names::kpi_metrics::ALL {
        assert!(
            minimal.collect.metrics.iter().any(|m| m == metric),
            "{metric}"
        );
    }
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
fn view_only_metric_names_are_refused_at_config_time() {
    // Names of ConversationAggregationView.target that the aggregates query's own
    // metrics enum lacks: Genesys answers them 400, and a 400 is never retried.
    for name in [
        "nConversations",
        "tAgentVideoConnected",
        "tScreenMonitoring",
        "tSnippetRecord",
    ] {
        let err = error(&format!("{MINIMAL}[collect]\nmetrics = [\"{name}\"]\n"));
        assert!(
            err.contains("collect.metrics") && err.contains(name) && err.contains("400"),
            "{err}"
        );
    }
    let ok = settings(&format!(
        "{MINIMAL}[collect]\nmetrics = [\"tAlert\", \"tNotResponding\", \"nTransferred\"]\n"
    ))
    .expect("query metrics are accepted");
    assert_eq!(
        ok.collect.metrics,
        ["tAlert", "tNotResponding", "nTransferred"]
    );
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
        (s.genesys.api_url.as_str(), s.genesys.login_url.as_str()),
        ("http://127.0.0.1:9", "http://127.0.0.1:9")
    );
    let both = MINIMAL.replace(
        "region = \"eu-west-1\"",
        "region = \"eu-west-1\"\napi_url = \"https://x\"",
    );
    assert!(error(&both).contains("not both"));
    let login = format!("{MINIMAL}login_url = \"https://login.example\"\n");
    assert_eq!(
        settings(&login).expect("login_url").genesys.login_url,
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
    assert_eq!(s.collect.granularity, Duration::from_secs(1800));
    assert_eq!(
        s.collect.lookback_buckets, 2,
        "lookback rounds up to whole buckets"
    );
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
        assert_eq!(s.execd.signal, signal);
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
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let owner_only = std::fs::Permissions::from_mode(0o600);
        std::fs::set_permissions(&file, owner_only).expect("chmod");
    }
    let from_file = MINIMAL.replace(
        "client_secret = \"s\"",
        &format!("client_secret_file = {:?}", file.display().to_string()),
    );
    assert_eq!(
        settings(&from_file)
            .expect("file secret")
            .genesys
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
