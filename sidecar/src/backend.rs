//! The InfluxDB the sidecar reads: which bucket answers a request, the query for
//! it in the configured language, and the HTTP call. The languages are its children:
//! [`influxql`], [`sql`] and [`flux`].

pub mod flux;
pub mod influxql;
pub mod sql;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use genesys_aht_contract::names::{HANDLE_METRIC, count_field, sum_ms_field};
use serde_json::json;

use crate::answer::{AhtAnswer, SkillsAnswer, WindowSums, aht_answer};
use crate::config::{BackendKind, InfluxConfig, Secret};
use crate::identity::{self, Identity, NameIndex};
use crate::kpi::{KpiAnswer, KpiSums, ServiceLevelConfig, kpi_answer};
use crate::request::{AhtRequest, KpiRequest, Range, SkillsRequest};

/// `handle_sum_ms` and `handle_count`, as the contract spells them.
pub fn fields() -> (String, String) {
    (sum_ms_field(HANDLE_METRIC), count_field(HANDLE_METRIC))
}

/// A row as every backend reads it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Row {
    /// Window start, nanoseconds.
    pub time_ns: Option<i64>,
    /// Group tags with a value.
    pub tags: BTreeMap<String, String>,
    /// Numeric columns with a value.
    pub values: BTreeMap<String, f64>,
}

/// Why InfluxDB gave no usable answer; each maps to one HTTP status.
#[derive(Debug, Clone, thiserror::Error)]
pub enum UpstreamError {
    /// Connection refused, reset, DNS: 503.
    #[error("InfluxDB is unreachable: {0}")]
    Unreachable(String),
    /// No complete answer within `influx.timeout`: 504.
    #[error("InfluxDB did not answer within {0:?}")]
    Timeout(Duration),
    /// An HTTP error status: 429 and 503 are passed on (with `Retry-After`), 408,
    /// 499 (InfluxDB's own deadlines) and 504 become 504, others 502.
    #[error("InfluxDB answered HTTP {status}: {message}")]
    Status {
        /// The status InfluxDB sent.
        status: u16,
        /// What it says went wrong: the `message` of its JSON error (2.x), or its
        /// `error` (1.x), else the body; shortened.
        message: String,
        /// Its `Retry-After` (seconds or an HTTP date), when valid.
        retry_after: Option<String>,
    },
    /// The query failed inside a 200 (InfluxQL statement error, Flux error table): 502.
    #[error("InfluxDB could not run the query: {0}")]
    Query(String),
    /// An answer that is not what the API documents: 502.
    #[error("InfluxDB's answer could not be read: {0}")]
    Decode(String),
}

/// A query ready to send; its text is also the cache key.
#[derive(Debug, Clone, PartialEq)]
pub enum Query {
    /// InfluxQL over `/query`.
    InfluxQl(influxql::Statement),
    /// Flux over `/api/v2/query`.
    Flux(String),
    /// SQL over `/api/v3/query_sql`, built once the table's columns are known.
    Sql(sql::Query),
}

/// The configured InfluxDB and one HTTP client for it.
#[derive(Debug)]
pub struct Backend {
    kind: BackendKind,
    url: String,
    token: Option<Secret>,
    org: String,
    bucket: String,
    bucket_1h: Option<String>,
    bucket_1d: Option<String>,
    measurement: String,
    timeout: Duration,
    http: reqwest::Client,
    /// Name indexes by the whole days they cover (see [`Backend::names`]).
    names: moka::future::Cache<(i64, i64), Arc<NameIndex>>,
    /// SQL only: a table's columns by database and table, kept as long as names.
    columns: moka::future::Cache<(String, String), Arc<BTreeSet<String>>>,
}

/// How long a name index is used before it is read again: a rename in Genesys
/// shows in the answers within this (plus the plugin's own delay).
const NAMES_TTL: Duration = Duration::from_secs(60);
const DAY_NS: i64 = 86_400_000_000_000;

const HOUR: u64 = 3600;
const DAY: u64 = 86_400;
/// Upstream error bodies are shortened to this many characters in answers and logs.
const MAX_MESSAGE_CHARS: usize = 300;

impl Backend {
    /// A backend for `[influx]`.
    pub fn new(config: &InfluxConfig) -> Result<Backend, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(5)))
            .build()?;
        Ok(Backend {
            kind: config.backend,
            url: config.url.trim_end_matches('/').to_owned(),
            token: config.token.clone(),
            org: config.org.clone().unwrap_or_default(),
            bucket: config.bucket.clone(),
            bucket_1h: config.bucket_1h.clone(),
            bucket_1d: config.bucket_1d.clone(),
            measurement: config.measurement.clone(),
            timeout: config.timeout,
            http,
            names: moka::future::Cache::builder()
                .time_to_live(NAMES_TTL)
                .max_capacity(64)
                .build(),
            columns: moka::future::Cache::builder()
                .time_to_live(NAMES_TTL)
                .max_capacity(8)
                .build(),
        })
    }

    /// `influx.timeout`: how long one upstream query may take.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The bucket for an interval: the daily roll-up for whole days, the hourly one
    /// for whole hours, when configured; the raw bucket otherwise.
    pub fn bucket_for(&self, interval_s: u64) -> &str {
        match (&self.bucket_1d, &self.bucket_1h) {
            (Some(daily), _) if interval_s.is_multiple_of(DAY) => daily,
            (_, Some(hourly)) if interval_s.is_multiple_of(HOUR) => hourly,
            _ => &self.bucket,
        }
    }

    /// The query answering `GET /metrics/aht`, its filters resolved through `names`.
    pub fn aht_query(&self, req: &AhtRequest, names: &NameIndex) -> Query {
        let (sum_ms, count) = fields();
        self.sums_query(vec![sum_ms, count], req, names)
    }

    /// The query answering `GET /metrics/kpi`: the sums of the KPI's fields.
    pub fn kpi_query(&self, req: &KpiRequest, names: &NameIndex) -> Query {
        self.sums_query(req.kpi.fields(), &req.window, names)
    }

    /// Sums of `fields` per window and series for `req`, from the bucket its
    /// interval reads.
    fn sums_query(&self, fields: Vec<String>, req: &AhtRequest, names: &NameIndex) -> Query {
        let bucket = self.bucket_for(req.interval_s);
        let conditions = identity::conditions(&req.filters, names);
        let m = &self.measurement;
        match self.kind {
            BackendKind::Influxql => {
                Query::InfluxQl(influxql::sums(&fields, req, &conditions, bucket, m))
            }
            BackendKind::Flux => Query::Flux(flux::sums(&fields, req, &conditions, bucket, m)),
            BackendKind::Sql => Query::Sql(sql::Query {
                db: bucket.into(),
                table: m.clone(),
                plan: sql::Plan::Aht {
                    fields,
                    range: req.range,
                    interval_s: req.interval_s,
                    conditions,
                },
            }),
        }
    }

    /// The query answering `GET /skills` (always the raw bucket: it has every skill).
    pub fn skills_query(&self, req: &SkillsRequest) -> Query {
        match self.kind {
            BackendKind::Influxql => {
                Query::InfluxQl(influxql::skills(req, &self.bucket, &self.measurement))
            }
            BackendKind::Flux => Query::Flux(flux::skills(req, &self.bucket, &self.measurement)),
            BackendKind::Sql => Query::Sql(sql::Query {
                db: self.bucket.clone(),
                table: self.measurement.clone(),
                plan: sql::Plan::Skills { range: req.range },
            }),
        }
    }

    /// The names the IDs carry in their newest points, from the start of `range` to
    /// the later of its end and now, in whole days; cached for [`NAMES_TTL`], and
    /// concurrent misses share one query. Also returns the upstream time, zero when
    /// cached.
    pub async fn names(&self, range: Range) -> Result<(Arc<NameIndex>, Duration), UpstreamError> {
        let now_ns = i64::try_from(jiff::Timestamp::now().as_nanosecond()).unwrap_or(i64::MAX);
        let start = range.start_ns.div_euclid(DAY_NS);
        let stop = range
            .end_ns
            .max(now_ns)
            .div_euclid(DAY_NS)
            .saturating_add(1);
        let mut took = Duration::ZERO;
        let index = self
            .names
            .try_get_with((start, stop), async {
                let days = Range {
                    start_ns: start.saturating_mul(DAY_NS),
                    end_ns: stop.saturating_mul(DAY_NS),
                };
                let query = match self.kind {
                    BackendKind::Influxql => {
                        Query::InfluxQl(influxql::names(days, &self.bucket, &self.measurement))
                    }
                    BackendKind::Flux => {
                        Query::Flux(flux::names(days, &self.bucket, &self.measurement))
                    }
                    BackendKind::Sql => Query::Sql(sql::Query {
                        db: self.bucket.clone(),
                        table: self.measurement.clone(),
                        plan: sql::Plan::Names { range: days },
                    }),
                };
                let (rows, upstream) = self.rows(&query).await?;
                took = upstream;
                Ok(Arc::new(NameIndex::from_rows(&rows)))
            })
            .await
            .map_err(|e: Arc<UpstreamError>| (*e).clone())?;
        Ok((index, took))
    }

    /// Runs an AHT query for `req`; returns the answer and the upstream latency.
    pub async fn aht(
        &self,
        query: &Query,
        req: &AhtRequest,
        names: &NameIndex,
    ) -> Result<(AhtAnswer, Duration), UpstreamError> {
        let (rows, took) = self.rows(query).await?;
        let (sum_ms, count) = fields();
        let windows = rows
            .into_iter()
            .filter_map(|mut row| {
                Some(WindowSums {
                    start_ns: row.time_ns?,
                    handle_sum_ms: row.values.remove(&sum_ms),
                    handle_count: row.values.remove(&count),
                    group: row.tags,
                })
            })
            .collect();
        Ok((aht_answer(windows, names, &req.filters), took))
    }

    /// Runs a KPI query for `req`; returns the answer and the upstream latency.
    pub async fn kpi(
        &self,
        query: &Query,
        req: &KpiRequest,
        names: &NameIndex,
        service_level: &ServiceLevelConfig,
    ) -> Result<(KpiAnswer, Duration), UpstreamError> {
        let (rows, took) = self.rows(query).await?;
        let fields = req.kpi.fields();
        let windows = rows
            .into_iter()
            .filter_map(|mut row| {
                Some(KpiSums {
                    start_ns: row.time_ns?,
                    sums: fields
                        .iter()
                        .filter_map(|f| Some((f.clone(), row.values.remove(f)?)))
                        .collect(),
                    group: row.tags,
                })
            })
            .collect();
        let answer = kpi_answer(windows, names, &req.window.filters, req.kpi, service_level);
        Ok((answer, took))
    }

    /// Runs a skills query; returns the current names of the skills with handled
    /// conversations, and the upstream latency. Skills whose counts add up to 0 are
    /// left out: the plugin writes `handle_count = 0` for groups that handled
    /// nothing, and neither query language can drop them alike (InfluxQL has no
    /// `HAVING`).
    pub async fn skills(
        &self,
        query: &Query,
        names: &NameIndex,
    ) -> Result<(SkillsAnswer, Duration), UpstreamError> {
        let (mut rows, took) = self.rows(query).await?;
        let (_, count) = fields();
        identity::relabel(names, rows.iter_mut().map(|r| (i64::MAX, &mut r.tags)));
        let mut handled: BTreeMap<Identity, (String, f64)> = BTreeMap::new();
        for row in rows {
            // InfluxQL names the sum `handle_count`; Flux's `sum()` leaves it in `_value`.
            let n = row.values.get(&count).or_else(|| row.values.get("_value"));
            let Some(name) = row.tags.get(genesys_aht_contract::names::tags::SKILL) else {
                continue;
            };
            let entry = handled
                .entry(Identity::of(&row.tags))
                .or_insert((name.clone(), 0.0));
            entry.1 += n.copied().unwrap_or(0.0);
        }
        let mut data: Vec<String> = handled
            .into_values()
            .filter(|(_, n)| *n > 0.0)
            .map(|(name, _)| name)
            .collect();
        data.sort();
        data.dedup();
        Ok((SkillsAnswer::new(data), took))
    }

    /// Runs the live-state query: the newest point of every series of
    /// `live.measurement` within `window` of now, which [`crate::live`] reduces to
    /// each queue's newest poll; returns the answer and the upstream latency.
    pub async fn queues(
        &self,
        req: &crate::live::QueuesRequest,
        live: &crate::config::LiveConfig,
    ) -> Result<(crate::live::QueuesAnswer, Duration), UpstreamError> {
        let now_ns = i64::try_from(jiff::Timestamp::now().as_nanosecond()).unwrap_or(i64::MAX);
        let window_ns = i64::try_from(live.window.as_nanos()).unwrap_or(i64::MAX);
        // Up to a window ahead too: a plugin whose clock is ahead is still live.
        let range = Range {
            start_ns: now_ns.saturating_sub(window_ns),
            end_ns: now_ns.saturating_add(window_ns),
        };
        let (bucket, m) = (&self.bucket, &live.measurement);
        let query = match self.kind {
            BackendKind::Influxql => {
                Query::InfluxQl(influxql::latest(&req.queues, range, bucket, m))
            }
            BackendKind::Flux => Query::Flux(flux::latest(&req.queues, range, bucket, m)),
            BackendKind::Sql => Query::Sql(sql::Query {
                db: bucket.clone(),
                table: m.clone(),
                plan: sql::Plan::Latest {
                    range,
                    queues: req.queues.clone(),
                },
            }),
        };
        let (rows, took) = self.rows(&query).await?;
        Ok((
            crate::live::queues_answer(rows, live.window.as_secs()),
            took,
        ))
    }

    /// `GET /ping` (204 on 1.x/2.x, 200 on 3.x): is InfluxDB there?
    pub async fn ping(&self) -> Result<(), UpstreamError> {
        let response = self
            .with_token(self.http.get(format!("{}/ping", self.url)))
            .send()
            .await
            .map_err(|e| self.transport(e))?;
        check_status(response).await.map(drop)
    }

    async fn rows(&self, query: &Query) -> Result<(Vec<Row>, Duration), UpstreamError> {
        let started = Instant::now();
        let rows = match query {
            Query::InfluxQl(statement) => {
                let body = self.send(self.influxql_request(statement)).await?;
                influxql::decode(&body).map_err(|e| match e {
                    influxql::DecodeError::Statement(m) => UpstreamError::Query(shorten(&m)),
                    other => UpstreamError::Decode(shorten(&other.to_string())),
                })?
            }
            Query::Flux(text) => {
                let body = self.send(self.flux_request(text)).await?;
                flux::decode(&body).map_err(|e| match e {
                    crate::csv::CsvError::QueryFailed(m) => UpstreamError::Query(shorten(&m)),
                    other => UpstreamError::Decode(shorten(&other.to_string())),
                })?
            }
            Query::Sql(query) => self.sql_rows(query).await?,
        };
        Ok((rows, started.elapsed()))
    }

    /// SQL: the table's columns (cached), then the statement built for them; a table
    /// that does not exist has no rows, as a measurement without points on 1.x.
    async fn sql_rows(&self, query: &sql::Query) -> Result<Vec<Row>, UpstreamError> {
        let columns = self
            .columns
            .try_get_with((query.db.clone(), query.table.clone()), async {
                let statement = sql::columns(&query.db, &query.table);
                let rows = self.sql_statement(&statement).await?;
                Ok(Arc::new(sql::column_names(&rows)))
            })
            .await
            .map_err(|e: Arc<UpstreamError>| (*e).clone())?;
        match query.render(&columns) {
            Some(statement) => self.sql_statement(&statement).await,
            None => Ok(Vec::new()),
        }
    }

    async fn sql_statement(&self, statement: &sql::Statement) -> Result<Vec<Row>, UpstreamError> {
        let request = self
            .http
            .post(format!("{}/api/v3/query_sql", self.url))
            .json(&json!({
                "db": statement.db,
                "q": statement.q,
                "params": statement.params,
                "format": "json",
            }));
        let body = self.send(request).await?;
        sql::decode(&body).map_err(|e| UpstreamError::Decode(shorten(&e.to_string())))
    }

    fn influxql_request(&self, s: &influxql::Statement) -> reqwest::RequestBuilder {
        // POST keeps the statement out of URLs and logs; SELECT is allowed over POST.
        self.http.post(format!("{}/query", self.url)).form(&[
            ("db", s.db.as_str()),
            ("q", s.q.as_str()),
            (
                "params",
                &serde_json::Value::Object(s.params.clone()).to_string(),
            ),
            ("epoch", "ns"),
        ])
    }

    fn flux_request(&self, text: &str) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{}/api/v2/query", self.url))
            .query(&[(org_parameter(&self.org), self.org.as_str())])
            .json(&json!({
                "query": text,
                "type": "flux",
                "dialect": {
                    "header": true,
                    "delimiter": ",",
                    "annotations": ["group", "datatype", "default"],
                    "commentPrefix": "#",
                    "dateTimeFormat": "RFC3339",
                },
            }))
    }

    /// Sends a request with the token; the body of a success, else the error.
    async fn send(&self, request: reqwest::RequestBuilder) -> Result<String, UpstreamError> {
        let response = self
            .with_token(request)
            .send()
            .await
            .map_err(|e| self.transport(e))?;
        let response = check_status(response).await?;
        response.text().await.map_err(|e| self.transport(e))
    }

    fn with_token(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        // InfluxDB 3 documents `Bearer`; 1.x and 2.x take `Token`.
        let scheme = match self.kind {
            BackendKind::Sql => "Bearer",
            _ => "Token",
        };
        match &self.token {
            Some(token) => request.header("Authorization", format!("{scheme} {}", token.expose())),
            None => request,
        }
    }

    fn transport(&self, error: reqwest::Error) -> UpstreamError {
        if error.is_timeout() {
            UpstreamError::Timeout(self.timeout)
        } else if error.is_connect() || error.is_request() {
            UpstreamError::Unreachable(shorten(&chain(&error.without_url())))
        } else {
            UpstreamError::Decode(shorten(&chain(&error.without_url())))
        }
    }
}

async fn check_status(response: reqwest::Response) -> Result<reqwest::Response, UpstreamError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|value| is_retry_after(value))
        .map(str::to_owned);
    let body = response.text().await.unwrap_or_default();
    let message = error_message(&body)
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned());
    Err(UpstreamError::Status {
        status: status.as_u16(),
        message,
        retry_after,
    })
}

/// The text of an error answer: `{"code", "message"}` (2.x, Cloud), `{"error"}`
/// (1.x, 3.x), or the body itself when it is not such JSON; `None` when empty.
fn error_message(body: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct ErrorJson {
        message: Option<String>,
        error: Option<String>,
    }
    let text = match serde_json::from_str::<ErrorJson>(body) {
        Ok(json) => json.message.or(json.error)?,
        Err(_) => body.to_owned(),
    };
    Some(shorten(&text)).filter(|t| !t.is_empty())
}

/// `Retry-After` as HTTP defines it: delta-seconds or an HTTP date.
fn is_retry_after(value: &str) -> bool {
    let seconds = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
    seconds || jiff::fmt::rfc2822::parse(value).is_ok()
}

/// `orgID` for an organisation ID, `org` for a name. InfluxDB 2.x takes an `org` of
/// 16 hex digits (not all zero) as an ID and then never looks it up as a name
/// (`http/requests.go`, `queryOrganization`); `orgID` says what it will do anyway.
fn org_parameter(org: &str) -> &'static str {
    let is_id = org.len() == 16
        && org.bytes().all(|b| b.is_ascii_hexdigit())
        && org.bytes().any(|b| b != b'0');
    if is_id { "orgID" } else { "org" }
}

/// An error and its causes on one line (reqwest hides the interesting part in the source).
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn shorten(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn backend(extra: &str) -> Backend {
        let text = format!(
            "[influx]\nbackend = \"influxql\"\nurl = \"http://127.0.0.1:1\"\nbucket = \"raw\"\n{extra}"
        );
        Backend::new(&Config::parse(&text).unwrap().influx).unwrap()
    }

    #[test]
    fn rolled_up_buckets_answer_whole_hours_and_days() {
        let b = backend("bucket_1h = \"hourly\"\nbucket_1d = \"daily\"\n");
        assert_eq!(b.bucket_for(900), "raw");
        assert_eq!(b.bucket_for(3600), "hourly");
        assert_eq!(b.bucket_for(7200), "hourly");
        assert_eq!(b.bucket_for(5400), "raw");
        assert_eq!(b.bucket_for(86_400), "daily");
        let only_hourly = backend("bucket_1h = \"hourly\"\n");
        assert_eq!(only_hourly.bucket_for(86_400), "hourly");
        assert_eq!(backend("").bucket_for(86_400), "raw");
    }

    #[test]
    fn error_messages_come_from_the_json_influxdb_answers() {
        let v2 = r#"{"code":"unavailable","message":"try later"}"#;
        assert_eq!(error_message(v2).as_deref(), Some("try later"));
        let v1 = r#"{"error":"authorization failed"}"#;
        assert_eq!(error_message(v1).as_deref(), Some("authorization failed"));
        assert_eq!(
            error_message("bad gateway\n").as_deref(),
            Some("bad gateway")
        );
        assert_eq!(error_message(""), None);
        assert_eq!(error_message(r#"{"code":"x"}"#), None);
    }

    #[test]
    fn retry_after_is_seconds_or_an_http_date() {
        assert!(is_retry_after("120"));
        assert!(is_retry_after("Wed, 21 Oct 2026 07:28:00 GMT"));
        for bad in [
            "",
            "-1",
            "1.5",
            "soon",
            "120 s",
            "Wed, 32 Oct 2026 07:28:00 GMT",
        ] {
            assert!(!is_retry_after(bad), "{bad}");
        }
    }

    #[test]
    fn sixteen_hex_digits_are_an_org_id() {
        assert_eq!(org_parameter("0123456789abcDEF"), "orgID");
        assert_eq!(org_parameter("my-org"), "org");
        assert_eq!(org_parameter("0123456789abcdeg"), "org");
        assert_eq!(org_parameter("0123456789abcde"), "org");
        assert_eq!(org_parameter("0123456789abcdef0"), "org");
        // The zero ID is not a valid ID to InfluxDB: it is looked up as a name.
        assert_eq!(org_parameter("0000000000000000"), "org");
    }

    #[test]
    fn long_messages_are_shortened() {
        let long = "é".repeat(1000);
        assert_eq!(shorten(&long).chars().count(), MAX_MESSAGE_CHARS + 1);
        assert_eq!(shorten(" short "), "short");
    }
}
