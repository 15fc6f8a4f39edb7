//! Requests both backends must answer the same way, with their expected answers
//! computed from the points the tests wrote.

use genesys_aht_sidecar::Running;
use serde_json::Value;

use crate::support::*;

/// A request and the `data` it must produce.
#[derive(Debug)]
pub(crate) struct Case {
    pub(crate) name: &'static str,
    pub(crate) query: String,
    pub(crate) want: Vec<Value>,
}

fn range(start_ns: i64, end_ns: i64) -> [(&'static str, String); 2] {
    [
        ("start_date", rfc3339(start_ns)),
        ("end_date", rfc3339(end_ns)),
    ]
}

fn aht_query(start_ns: i64, end_ns: i64, extra: &[(&str, &str)]) -> String {
    let [s, e] = range(start_ns, end_ns);
    let mut pairs: Vec<(&str, &str)> = vec![(s.0, &s.1), (e.0, &e.1)];
    pairs.extend_from_slice(extra);
    format!("/metrics/aht?{}", query(&pairs))
}

/// The raw points in the raw bucket; the roll-up buckets hold less (see
/// `hourly_bucket`, `daily_bucket`), so an answer read from them is recognisable.
pub(crate) fn cases() -> Vec<Case> {
    let raw = points();
    let six_h = T0_NS + 6 * HOUR_NS;
    let two_skills = Filter {
        skills: vec!["a,b", "O'Brien \"Q\""],
        ..Filter::default()
    };
    let queue_and_media = Filter {
        queue: Some("Q,2"),
        media_type: Some("chat"),
        ..Filter::default()
    };
    let awkward = Filter {
        skills: vec!["Süßwaren ☎", "back$lash ${x}", "x=y"],
        ..Filter::default()
    };
    vec![
        Case {
            name: "every group, 15m",
            query: aht_query(T0_NS, six_h, &[("interval", "15m")]),
            want: expected(&raw, T0_NS, six_h, 15 * MINUTE_NS, &Filter::default()),
        },
        Case {
            name: "two skills, 30m, range widened to whole windows",
            query: aht_query(
                T0_NS + 10 * MINUTE_NS,
                T0_NS + 2 * HOUR_NS + 5 * MINUTE_NS,
                &[
                    ("interval", "30m"),
                    ("skill", "a,b"),
                    ("skill", "O'Brien \"Q\""),
                ],
            ),
            want: expected(
                &raw,
                T0_NS,
                T0_NS + 150 * MINUTE_NS,
                30 * MINUTE_NS,
                &two_skills,
            ),
        },
        Case {
            name: "queue and media type, 45m",
            query: aht_query(
                T0_NS,
                six_h,
                &[
                    ("interval", "45m"),
                    ("queue", "Q,2"),
                    ("media_type", "chat"),
                ],
            ),
            want: expected(&raw, T0_NS, six_h, 45 * MINUTE_NS, &queue_and_media),
        },
        Case {
            name: "non-ASCII, $ and ${ in skills, 90m from the raw bucket",
            query: aht_query(
                T0_NS,
                six_h,
                &[("interval", "90m")]
                    .into_iter()
                    .chain(awkward.skills.iter().map(|s| ("skill", *s)))
                    .collect::<Vec<_>>(),
            ),
            want: expected(&raw, T0_NS, six_h, 90 * MINUTE_NS, &awkward),
        },
        Case {
            name: "Grafana's queryparam form: var-skill values are exact (a comma, quotes)",
            query: aht_query(
                T0_NS,
                six_h,
                &[
                    ("interval", "30m"),
                    ("var-skill", "a,b"),
                    ("var-skill", "O'Brien \"Q\""),
                ],
            ),
            want: expected(&raw, T0_NS, six_h, 30 * MINUTE_NS, &two_skills),
        },
        Case {
            name: "Grafana's glob form, epoch-millisecond dates and a 500ms $__interval",
            query: format!(
                "/metrics/aht?{}",
                query(&[
                    ("start_date", &(T0_NS / 1_000_000).to_string()),
                    ("end_date", &((T0_NS + HOUR_NS) / 1_000_000).to_string()),
                    ("interval", "500ms"),
                    ("skill", "{x=y,Süßwaren ☎}"),
                ])
            ),
            want: expected(
                &raw,
                T0_NS,
                T0_NS + HOUR_NS,
                MINUTE_NS,
                &Filter {
                    skills: vec!["Süßwaren ☎", "x=y"],
                    ..Filter::default()
                },
            ),
        },
        Case {
            name: "Grafana's All ($__all) is no filter, for every variable",
            query: aht_query(
                T0_NS,
                six_h,
                &[
                    ("interval", "15m"),
                    ("var-skill", "$__all"),
                    ("var-queue", "$__all"),
                    ("media_type", "$__all"),
                ],
            ),
            want: expected(&raw, T0_NS, six_h, 15 * MINUTE_NS, &Filter::default()),
        },
        Case {
            name: "1h reads the hourly bucket",
            query: aht_query(T0_NS, six_h, &[("interval", "1h")]),
            want: expected(&hourly_bucket(), T0_NS, six_h, HOUR_NS, &Filter::default()),
        },
        Case {
            name: "1d reads the daily bucket",
            query: aht_query(T0_NS, six_h, &[("interval", "1d"), ("skill", "Billing")]),
            want: expected(
                &daily_bucket(),
                T0_NS,
                T0_NS + DAY_NS,
                DAY_NS,
                &Filter {
                    skills: vec!["Billing"],
                    ..Filter::default()
                },
            ),
        },
        Case {
            name: "a renamed skill is one series under its new name, over its whole history",
            query: aht_query(T0_NS, six_h, &[("interval", "30m"), ("skill", NEW_NAME)]),
            want: expected(
                &raw,
                T0_NS,
                six_h,
                30 * MINUTE_NS,
                &Filter {
                    skills: vec![NEW_NAME],
                    ..Filter::default()
                },
            ),
        },
        Case {
            name: "a renamed skill's old name: without a skill that has it now, no data",
            query: aht_query(T0_NS, six_h, &[("interval", "30m"), ("skill", OLD_NAME)]),
            want: Vec::new(),
        },
        Case {
            name: "a range without data",
            query: aht_query(T0_NS - 24 * HOUR_NS, T0_NS, &[("interval", "15m")]),
            want: Vec::new(),
        },
    ]
}

/// Runs every case against a sidecar; returns the bodies (to compare backends).
pub(crate) async fn check_cases(sidecar: &Running) -> Vec<Value> {
    let mut bodies = Vec::new();
    for case in cases() {
        let (status, body) = get(sidecar, &case.query).await;
        assert_eq!(status, 200, "{}: {body}", case.name);
        assert!(
            !case.want.is_empty() || case.name.contains("without"),
            "{}: nothing expected",
            case.name
        );
        assert_same_data(&body, &case.want);
        bodies.push(body);
    }
    bodies
}

/// Every skill that handled something over the whole range (not `IDLE_SKILL`, whose
/// points all count 0); none before it.
pub(crate) async fn check_skills(sidecar: &Running) {
    let (s, e) = (rfc3339(T0_NS), rfc3339(T0_NS + 6 * HOUR_NS));
    let (status, body) = get(
        sidecar,
        &format!("/skills?{}", query(&[("start_date", &s), ("end_date", &e)])),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // Current names only: the renamed skill under its new name, `Billing` once
    // although two skills are so named.
    let mut want: Vec<&str> = SKILLS.to_vec();
    want.push(NEW_NAME);
    want.sort();
    assert_eq!(body["data"], serde_json::json!(want));
    let rows: Vec<_> = want
        .iter()
        .map(|s| serde_json::json!({ "skill": s }))
        .collect();
    assert_eq!(body["skills"], serde_json::json!(rows));
    assert!(
        points().iter().any(|p| p.skill == IDLE_SKILL),
        "the idle skill has points"
    );
    let before = rfc3339(T0_NS - HOUR_NS);
    let (status, body) = get(
        sidecar,
        &format!(
            "/skills?{}",
            query(&[("start_date", &before), ("end_date", &s)])
        ),
    )
    .await;
    assert_eq!((status, body["data"].clone()), (200, serde_json::json!([])));
}

/// Hostile values: each is a 400 or an empty answer, never data and never a 5xx
/// (`/metrics/queues` too, where the backend answers it).
pub(crate) async fn check_hostile(sidecar: &Running) {
    let long = "ü".repeat(300);
    let hostile = [
        "' OR '1'='1",
        "\") or true or (\"",
        "x\" or r.skill != \"",
        "Billing\nBilling",
        "back\\slash",
        "${skill}",
        "\\",
        "\"",
        "'",
        "Tech Support' OR skill =~ /.*/ --",
        long.as_str(),
        "Tech%20Support",
    ];
    let end = T0_NS + 6 * HOUR_NS;
    for value in hostile {
        let q = format!("/metrics/queues?{}", query(&[("queue", value)]));
        check_hostile_answer(sidecar, &q, "queue", value).await;
        for name in ["skill", "queue", "media_type"] {
            let extra = [("interval", "1h"), (name, value)];
            let aht = aht_query(T0_NS, end, &extra);
            let kpi = aht_query(T0_NS, end, &[extra[0], extra[1], ("kpi", "service_level")])
                .replacen("/metrics/aht", "/metrics/kpi", 1);
            for q in [aht, kpi] {
                check_hostile_answer(sidecar, &q, name, value).await;
            }
        }
        // A hostile KPI name is a 400 that lists the known ones.
        let q =
            aht_query(T0_NS, end, &[("kpi", value)]).replacen("/metrics/aht", "/metrics/kpi", 1);
        let (status, body) = get(sidecar, &q).await;
        assert_eq!(status, 400, "kpi={value:?}: {body}");
        let reason = body["reason"].as_str().unwrap_or_default();
        for known in ["service_level", "asa", "abandonment", "transfer_rate"] {
            assert!(reason.contains(known), "kpi={value:?}: {reason}");
        }
    }
}

/// One hostile request: a 400 with a reason, or an empty answer.
async fn check_hostile_answer(sidecar: &Running, q: &str, name: &str, value: &str) {
    let (status, body) = get(sidecar, q).await;
    match status {
        200 => assert_eq!(
            body["data"],
            serde_json::json!([]),
            "{name}={value:?} gave data"
        ),
        400 => assert!(body["reason"].is_string(), "{body}"),
        other => panic!("{name}={value:?} gave {other}: {body}"),
    }
}
