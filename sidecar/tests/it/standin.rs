//! A stand-in for InfluxDB 2.x's `POST /api/v2/query`, which cannot run here.
//!
//! It speaks the documented wire format: JSON body with `type: "flux"` and the
//! `dialect.annotations` the sidecar asks for, `org` in the query string,
//! `Authorization: Token`, JSON errors `{"code", "message"}` before streaming, and
//! annotated CSV (CRLF, one table per group, a new annotation and header block when
//! the schema changes, `\r\n` for an empty result, an `error,reference` table
//! appended mid-stream with HTTP 200).
//!
//! It does not run Flux: it reads the bucket, range, window and tag filters out of
//! the script shapes the sidecar writes (string literals unescaped by Flux's rules,
//! so an escaping mistake changes what it matches) and answers from the test points.
//! It records every script and counts requests.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use salvo::conn::{Acceptor, TcpListener};
use salvo::prelude::*;
use salvo::server::ServerHandle;
use serde_json::{Value, json};

use crate::support::TestPoint;

pub(crate) const ORG: &str = "test-org";
pub(crate) const TOKEN: &str = "test-token";

#[derive(Debug, Default)]
pub(crate) struct Shared {
    buckets: BTreeMap<String, Vec<TestPoint>>,
    /// Every Flux script received, in order.
    pub(crate) scripts: Mutex<Vec<String>>,
    /// Requests received on `/api/v2/query`.
    pub(crate) requests: AtomicUsize,
    /// How long to wait before answering.
    pub(crate) delay: Mutex<Duration>,
    /// Append an error table after the first block of tables.
    pub(crate) fail_mid_stream: Mutex<bool>,
}

#[derive(Debug)]
pub(crate) struct StandIn {
    pub(crate) url: String,
    pub(crate) shared: Arc<Shared>,
    handle: ServerHandle,
}

impl StandIn {
    pub(crate) async fn start(buckets: BTreeMap<String, Vec<TestPoint>>) -> StandIn {
        let shared = Arc::new(Shared {
            buckets,
            ..Shared::default()
        });
        let acceptor = TcpListener::new("127.0.0.1:0").bind().await;
        let addr: SocketAddr = acceptor.holdings()[0]
            .local_addr
            .clone()
            .into_std()
            .unwrap();
        let router = Router::new()
            .push(Router::with_path("api/v2/query").post(Query(shared.clone())))
            .push(Router::with_path("ping").get(ping));
        let server = Server::new(acceptor);
        let handle = server.handle();
        tokio::spawn(server.serve(router));
        StandIn {
            url: format!("http://{addr}"),
            shared,
            handle,
        }
    }

    pub(crate) fn requests(&self) -> usize {
        self.shared.requests.load(Ordering::SeqCst)
    }

    pub(crate) fn scripts(&self) -> Vec<String> {
        self.shared.scripts.lock().unwrap().clone()
    }

    pub(crate) fn stop(&self) {
        self.handle.stop_forceful();
    }
}

#[handler]
async fn ping(res: &mut Response) {
    res.status_code(StatusCode::NO_CONTENT);
}

struct Query(Arc<Shared>);

fn platform_error(res: &mut Response, status: StatusCode, code: &str, message: &str) {
    res.status_code(status);
    res.add_header("X-Platform-Error-Code", code, true).unwrap();
    res.render(Json(json!({"code": code, "message": message})));
}

#[async_trait]
impl Handler for Query {
    async fn handle(&self, req: &mut Request, _: &mut Depot, res: &mut Response, _: &mut FlowCtrl) {
        self.0.requests.fetch_add(1, Ordering::SeqCst);
        if req.query::<String>("org").is_none() && req.query::<String>("orgID").is_none() {
            let message = "failed to decode request body: Please provide either orgID or org";
            return platform_error(res, StatusCode::BAD_REQUEST, "invalid", message);
        }
        let auth: Option<String> = req.header("authorization");
        if auth.as_deref() != Some(&format!("Token {TOKEN}")) {
            return platform_error(
                res,
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "unauthorized access",
            );
        }
        let body: Value = req.parse_json().await.unwrap_or(Value::Null);
        let annotations = json!(["group", "datatype", "default"]);
        if body["type"] != "flux" || body["dialect"]["annotations"] != annotations {
            return platform_error(
                res,
                StatusCode::BAD_REQUEST,
                "invalid",
                "unknown query type or dialect",
            );
        }
        let script = body["query"].as_str().unwrap_or_default().to_string();
        self.0.scripts.lock().unwrap().push(script.clone());
        let delay = *self.0.delay.lock().unwrap();
        tokio::time::sleep(delay).await;
        let plan = Plan::read(&script);
        let Some(points) = self.0.buckets.get(&plan.bucket) else {
            let message = format!("could not find bucket {:?}", plan.bucket);
            return platform_error(res, StatusCode::NOT_FOUND, "not found", &message);
        };
        let fail = *self.0.fail_mid_stream.lock().unwrap();
        res.add_header("content-type", "text/csv; charset=utf-8", true)
            .unwrap();
        res.write_body(plan.answer(points, fail)).unwrap();
    }
}

/// What a sidecar script asks for.
#[derive(Debug)]
struct Plan {
    bucket: String,
    start_ns: i64,
    stop_ns: i64,
    /// Window length; `None` for the skills script (no `aggregateWindow`).
    every_ns: Option<i64>,
    filters: BTreeMap<String, Vec<String>>,
}

impl Plan {
    fn read(script: &str) -> Plan {
        let after = |marker: &str, end: &str| -> String {
            let start = script
                .find(marker)
                .unwrap_or_else(|| panic!("no {marker} in {script}"))
                + marker.len();
            let rest = &script[start..];
            rest[..rest.find(end).unwrap()].to_string()
        };
        let time = |text: String| -> i64 {
            text.parse::<jiff::Timestamp>().unwrap().as_nanosecond() as i64
        };
        let bucket_line = script
            .lines()
            .find(|l| l.starts_with("from(bucket: "))
            .unwrap();
        let every_ns = script
            .contains("aggregateWindow")
            .then(|| after("every: ", "s,").parse::<i64>().unwrap() * 1_000_000_000);
        let mut filters = BTreeMap::new();
        for line in script.lines().filter(|l| l.contains("=> r[")) {
            let lits = literals(line);
            let values = lits.iter().skip(1).step_by(2).cloned().collect();
            filters.insert(lits[0].clone(), values);
        }
        Plan {
            bucket: literals(bucket_line)[0].clone(),
            start_ns: time(after("range(start: ", ",")),
            stop_ns: time(after(", stop: ", ")")),
            every_ns,
            filters,
        }
    }

    fn keeps(&self, p: &TestPoint) -> bool {
        let tag = |name: &str| match name {
            "skill" => p.skill,
            "queue" => p.queue,
            "media_type" => p.media_type,
            other => panic!("the sidecar filtered on {other}"),
        };
        p.ts_ns >= self.start_ns
            && p.ts_ns < self.stop_ns
            && self
                .filters
                .iter()
                .all(|(name, values)| values.iter().any(|v| v == tag(name)))
    }

    fn answer(&self, points: &[TestPoint], fail_mid_stream: bool) -> String {
        let kept: Vec<&TestPoint> = points.iter().filter(|p| self.keeps(p)).collect();
        if kept.is_empty() {
            return "\r\n".into();
        }
        match self.every_ns {
            Some(every) => self.aht_csv(&kept, every, fail_mid_stream),
            None => skills_csv(&kept),
        }
    }

    /// One table per group; voice tables share one block, chat tables get a second
    /// block with a different column order and `handle_sum_ms` as a double.
    fn aht_csv(&self, kept: &[&TestPoint], every: i64, fail_mid_stream: bool) -> String {
        type Group<'a> = (&'a str, &'a str, &'a str);
        let mut tables: BTreeMap<Group<'_>, BTreeMap<i64, (i64, i64)>> = BTreeMap::new();
        for p in kept {
            let window = p.ts_ns.div_euclid(every) * every;
            let sums = tables
                .entry((p.media_type, p.queue, p.skill))
                .or_default()
                .entry(window)
                .or_default();
            sums.0 += p.count;
            sums.1 += p.sum_ms;
        }
        let (start, stop) = (
            crate::support::rfc3339(self.start_ns),
            crate::support::rfc3339(self.stop_ns),
        );
        let mut out = String::new();
        let mut block = None;
        for (table, ((media, queue, skill), windows)) in tables.into_iter().enumerate() {
            let voice = media == "voice";
            if block != Some(voice) {
                if block.is_some() {
                    if fail_mid_stream {
                        out.push_str("\r\n#datatype,string,string\r\n#group,true,true\r\n#default,,\r\n,error,reference\r\n,\"panic: runtime error, index out of range\",\r\n\r\n");
                        return out;
                    }
                    out.push_str("\r\n");
                }
                out.push_str(if voice { VOICE_HEADER } else { CHAT_HEADER });
                block = Some(voice);
            }
            for (window, (count, sum)) in windows {
                let time = crate::support::rfc3339(window);
                let (media, queue, skill) = (cell(media), cell(queue), cell(skill));
                let row = if voice {
                    format!(
                        ",,{table},{start},{stop},{time},{media},{queue},{skill},{count},{sum}\r\n"
                    )
                } else {
                    format!(
                        ",,{table},{skill},{queue},{media},{start},{stop},{time},{sum},{count}\r\n"
                    )
                };
                out.push_str(&row);
            }
        }
        out.push_str("\r\n");
        out
    }
}

const VOICE_HEADER: &str = "#group,false,false,true,true,false,true,true,true,false,false\r\n\
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,string,string,string,long,long\r\n\
#default,aht,,,,,,,,,\r\n\
,result,table,_start,_stop,_time,media_type,queue,skill,handle_count,handle_sum_ms\r\n";

const CHAT_HEADER: &str = "#group,false,false,true,true,true,true,true,false,false,false\r\n\
#datatype,string,long,string,string,string,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,double,long\r\n\
#default,aht,,,,,,,,,\r\n\
,result,table,skill,queue,media_type,_start,_stop,_time,handle_sum_ms,handle_count\r\n";

fn skills_csv(kept: &[&TestPoint]) -> String {
    let mut sums: BTreeMap<&str, i64> = BTreeMap::new();
    for p in kept {
        *sums.entry(p.skill).or_default() += p.count;
    }
    let mut out = String::from(
        "#group,false,false,true,false\r\n#datatype,string,long,string,long\r\n#default,skills,,,\r\n,result,table,skill,_value\r\n",
    );
    for (table, (skill, sum)) in sums.into_iter().enumerate() {
        out.push_str(&format!(",,{table},{},{sum}\r\n", cell(skill)));
    }
    out.push_str("\r\n");
    out
}

/// A CSV cell: quoted when it holds a comma, a quote or a line break.
fn cell(value: &str) -> String {
    if value.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

/// The string literals of a line of Flux, unescaped by the language's rules; any
/// other escape is a Flux parse error, so it fails the test.
fn literals(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c != '"' {
            continue;
        }
        // Bytes, because `\xHH` escapes are bytes of UTF-8.
        let mut lit: Vec<u8> = Vec::new();
        let push = |lit: &mut Vec<u8>, c: char| {
            lit.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
        };
        loop {
            match chars.next().expect("unterminated string literal") {
                '"' => break,
                '\\' => match chars.next().expect("dangling escape") {
                    'n' => push(&mut lit, '\n'),
                    'r' => push(&mut lit, '\r'),
                    't' => push(&mut lit, '\t'),
                    'x' => {
                        let hex: String = chars.by_ref().take(2).collect();
                        lit.push(u8::from_str_radix(&hex, 16).expect("bad \\x escape"));
                    }
                    c @ ('\\' | '"' | '$') => push(&mut lit, c),
                    other => panic!("invalid Flux escape \\{other} in {line}"),
                },
                '$' if chars.clone().next() == Some('{') => {
                    panic!("unescaped interpolation in {line}")
                }
                c => push(&mut lit, c),
            }
        }
        out.push(String::from_utf8(lit).expect("\\x escapes must form UTF-8"));
    }
    out
}
