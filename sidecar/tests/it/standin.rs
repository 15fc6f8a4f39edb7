//! A stand-in for InfluxDB 2.x's `POST /api/v2/query`, which cannot run here.
//!
//! It speaks the documented wire format: JSON body with `type: "flux"` and the
//! `dialect.annotations` the sidecar asks for, `org` in the query string,
//! `Authorization: Token`, JSON errors `{"code", "message"}` before streaming, and
//! annotated CSV (CRLF, one table per group, a new annotation and header block when
//! the schema changes, `\r\n` for an empty result, an `error,reference` table
//! appended mid-stream with HTTP 200).
//!
//! It is not Flux: it reads the stages of the script shapes the sidecar writes
//! (`script`: string literals unescaped by Flux's rules, so an escaping mistake
//! changes what it matches; any other stage or argument is refused with a 400) and
//! runs them in order over the test points on a small model of Flux tables
//! (`tables`), so the order of the stages matters as it does in Flux. It does not
//! know InfluxDB's planner: whether storage would run a stage is checked against
//! InfluxDB's rules by reading the script, not here. It records every script and
//! counts requests.

mod script;
mod tables;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use salvo::prelude::*;
use salvo::server::ServerHandle;
use serde_json::{Value, json};

use crate::support::{TestPoint, serve_on_loopback};
use tables::RunError;

pub(crate) const ORG: &str = "test-org";
/// The InfluxDB token the sidecar must send: one of the test run's known secrets.
pub(crate) const TOKEN: &str = genesys_aht_tests::secrets::INFLUX_TOKEN;

/// A point as the stand-in stores it: measurement, tags, integer fields, time.
#[derive(Debug, Clone)]
pub(crate) struct StoredPoint {
    pub(crate) measurement: String,
    pub(crate) tags: Vec<(String, String)>,
    pub(crate) fields: Vec<(String, i64)>,
    pub(crate) t: i64,
}

impl From<&TestPoint> for StoredPoint {
    /// A conversation point with its handle fields, as the plugin writes them.
    fn from(p: &TestPoint) -> StoredPoint {
        let tags = [
            ("skill", p.skill),
            ("skill_id", p.skill_id),
            ("queue", p.queue),
            ("media_type", p.media_type),
        ];
        StoredPoint {
            measurement: genesys_aht_contract::MEASUREMENT.into(),
            tags: tags.map(|(k, v)| (k.into(), v.into())).into(),
            fields: vec![
                ("handle_count".into(), p.count),
                ("handle_sum_ms".into(), p.sum_ms),
            ],
            t: p.ts_ns,
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct Shared {
    buckets: BTreeMap<String, Vec<StoredPoint>>,
    /// Every Flux script received, in order.
    pub(crate) scripts: Mutex<Vec<String>>,
    /// The organisation of every request, as `org=<value>` or `orgID=<value>`.
    pub(crate) orgs: Mutex<Vec<String>>,
    /// Requests received on `/api/v2/query`.
    pub(crate) requests: AtomicUsize,
    /// Those of them that asked for the sidecar's name index (`yield(name: "names")`).
    pub(crate) name_queries: AtomicUsize,
    /// How long to wait before answering.
    pub(crate) delay: Mutex<Duration>,
    /// Append an error table after the first block of tables.
    pub(crate) fail_mid_stream: Mutex<bool>,
    /// When set, each request waits for a permit of this gate before answering.
    pub(crate) gate: Mutex<Option<Arc<tokio::sync::Semaphore>>>,
}

#[derive(Debug)]
pub(crate) struct StandIn {
    pub(crate) url: String,
    pub(crate) shared: Arc<Shared>,
    handle: ServerHandle,
}

impl StandIn {
    pub(crate) async fn start(buckets: BTreeMap<String, Vec<TestPoint>>) -> StandIn {
        let stored = buckets
            .into_iter()
            .map(|(name, points)| (name, points.iter().map(StoredPoint::from).collect()))
            .collect();
        StandIn::start_stored(stored).await
    }

    /// A stand-in holding any points.
    pub(crate) async fn start_stored(buckets: BTreeMap<String, Vec<StoredPoint>>) -> StandIn {
        let shared = Arc::new(Shared {
            buckets,
            ..Shared::default()
        });
        let router = Router::new()
            .push(Router::with_path("api/v2/query").post(Query(shared.clone())))
            .push(Router::with_path("ping").get(ping));
        let (url, handle) = serve_on_loopback(router).await;
        StandIn {
            url,
            shared,
            handle,
        }
    }

    /// Requests other than the sidecar's name-index queries, which it caches apart.
    pub(crate) fn requests(&self) -> usize {
        self.shared.requests.load(Ordering::SeqCst) - self.name_queries()
    }

    /// The sidecar's name-index queries.
    pub(crate) fn name_queries(&self) -> usize {
        self.shared.name_queries.load(Ordering::SeqCst)
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
        for name in ["org", "orgID"] {
            if let Some(value) = req.query::<String>(name) {
                self.0.orgs.lock().unwrap().push(format!("{name}={value}"));
            }
        }
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
        if script.ends_with("yield(name: \"names\")\n") {
            self.0.name_queries.fetch_add(1, Ordering::SeqCst);
        }
        let delay = *self.0.delay.lock().unwrap();
        tokio::time::sleep(delay).await;
        let gate = self.0.gate.lock().unwrap().clone();
        if let Some(gate) = gate {
            let _ = gate.acquire().await.unwrap();
        }
        let answer = script::stages(&script)
            .map_err(RunError::Invalid)
            .and_then(|stages| tables::run(&stages, &self.0.buckets));
        let answer = match answer {
            Ok(answer) => answer,
            Err(RunError::NoBucket(bucket)) => {
                let message = format!("could not find bucket {bucket:?}");
                return platform_error(res, StatusCode::NOT_FOUND, "not found", &message);
            }
            Err(RunError::Invalid(message)) => {
                let message = format!("the stand-in cannot run this script: {message}");
                return platform_error(res, StatusCode::BAD_REQUEST, "invalid", &message);
            }
        };
        let fail = *self.0.fail_mid_stream.lock().unwrap();
        res.add_header("content-type", "text/csv; charset=utf-8", true)
            .unwrap();
        res.write_body(answer.csv(fail)).unwrap();
    }
}
