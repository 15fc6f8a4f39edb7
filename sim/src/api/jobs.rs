//! Async details jobs: `POST .../details/jobs` (`AsyncConversationQuery`), `GET .../jobs/{id}`
//! (`AsyncQueryStatus`), `GET .../jobs/{id}/results` (cursor pages), `DELETE .../jobs/{id}`
//! and `GET .../jobs/availability`.
//!
//! A job selects "all conversations that had activity during the interval" when it is
//! created, stays `QUEUED` for [`crate::SimConfig::job_delay`] (wall clock), then
//! `PENDING` until [`crate::SimConfig::job_latency`] has passed on the simulator's clock
//! since it was submitted, and is then `FULFILLED`, or `FAILED` when a test asked for it
//! ([`crate::Sim::fail_next_jobs`]).

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::details::{Filters, Order, OrderBy, sort};
use crate::api::{parse_body, positive};
use crate::filter::Filter;
use crate::model::Conversation;
use crate::reply::{ApiError, Reply};
use crate::request::Request;
use crate::state::{State, lock};
use crate::time::{DAY_MS, format_ms, parse_interval};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Body {
    interval: String,
    #[serde(default)]
    order: Order,
    #[serde(default)]
    order_by: OrderBy,
    limit: Option<i64>,
    #[serde(default)]
    start_of_day_interval_matching: bool,
    #[serde(default)]
    segment_filters: Vec<Filter>,
    #[serde(default)]
    conversation_filters: Vec<Filter>,
}

#[derive(Debug)]
struct Job {
    created: Instant,
    submitted_ms: i64,
    conversations: Vec<Conversation>,
    failure: Option<String>,
    cancelled: bool,
}

/// Every job created so far, and the failures tests asked for.
#[derive(Debug, Default)]
pub(crate) struct Jobs {
    jobs: HashMap<String, Job>,
    fail_next: VecDeque<String>,
}

impl Jobs {
    /// The IDs of the jobs not deleted (cancelled) yet.
    pub(crate) fn open(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .jobs
            .iter()
            .filter(|(_, job)| !job.cancelled)
            .map(|(id, _)| id.clone())
            .collect();
        ids.sort();
        ids
    }

    /// The next job created fails with `message`.
    pub(crate) fn fail_next(&mut self, message: String) {
        self.fail_next.push_back(message);
    }
}

/// `POST .../details/jobs`.
pub(crate) fn create(state: &State, body: &[u8]) -> Result<Reply, ApiError> {
    let body: Body = parse_body(body)?;
    let (start, end) = parse_interval(&body.interval).map_err(ApiError::bad_request)?;
    crate::api::details::check_length(start, end, state.config.jobs_max_interval)?;
    if let Some(limit) = body.limit.filter(|l| *l < 1) {
        return Err(ApiError::bad_request(format!(
            "limit must be a positive integer, got {limit}"
        )));
    }
    let filters = Filters::new(body.segment_filters, body.conversation_filters)?;
    let now = state.now_ms();
    let earliest = if body.start_of_day_interval_matching {
        start.div_euclid(DAY_MS) * DAY_MS
    } else {
        start - state.generator.longest_ms()
    };
    let mut conversations: Vec<Conversation> = state
        .generator
        .active(earliest, end, start, now)
        .into_iter()
        .filter(|c| filters.accept(c))
        .collect();
    sort(&mut conversations, body.order, body.order_by);
    if let Some(limit) = body.limit {
        conversations.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    }
    let id = uuid::Uuid::new_v4().to_string();
    let mut jobs = lock(&state.jobs);
    let failure = jobs.fail_next.pop_front();
    jobs.jobs.insert(
        id.clone(),
        Job {
            created: Instant::now(),
            submitted_ms: now,
            conversations,
            failure,
            cancelled: false,
        },
    );
    Ok(Reply {
        status: 202,
        ..Reply::ok(json!({ "jobId": id }), "AsyncQueryResponse")
    })
}

fn state_of(state: &State, job: &Job) -> &'static str {
    if job.cancelled {
        "CANCELLED"
    } else if job.created.elapsed() < state.config.job_delay {
        "QUEUED"
    } else if state.now_ms().saturating_sub(job.submitted_ms)
        < i64::try_from(state.config.job_latency.as_millis()).unwrap_or(i64::MAX)
    {
        "PENDING"
    } else if job.failure.is_some() {
        "FAILED"
    } else {
        "FULFILLED"
    }
}

/// `GET .../details/jobs/{id}`.
pub(crate) fn status(state: &State, id: &str) -> Result<Reply, ApiError> {
    let jobs = lock(&state.jobs);
    let job = jobs.jobs.get(id).ok_or_else(ApiError::not_found)?;
    let delay = i64::try_from(state.config.job_delay.as_millis()).unwrap_or(i64::MAX);
    let completed = job.submitted_ms.saturating_add(delay);
    let mut body =
        json!({ "state": state_of(state, job), "submissionDate": format_ms(job.submitted_ms) });
    let fields = match state_of(state, job) {
        "QUEUED" | "PENDING" => vec![(
            "expirationDate",
            json!(format_ms(job.submitted_ms + DAY_MS)),
        )],
        "FAILED" => vec![
            (
                "errorMessage",
                json!(job.failure.clone().unwrap_or_default()),
            ),
            ("completionDate", json!(format_ms(completed))),
        ],
        "FULFILLED" => vec![
            ("completionDate", json!(format_ms(completed))),
            ("expirationDate", json!(format_ms(completed + DAY_MS))),
        ],
        _ => Vec::new(),
    };
    if let Some(object) = body.as_object_mut() {
        object.extend(fields.into_iter().map(|(k, v)| (k.to_owned(), v)));
    }
    Ok(Reply::ok(body, "AsyncQueryStatus"))
}

/// `GET .../details/jobs/{id}/results?cursor=&pageSize=` (default page size 1000).
pub(crate) fn results(state: &State, id: &str, request: &Request) -> Result<Reply, ApiError> {
    let page_size = positive("pageSize", request.param("pageSize"), 1000)? as usize;
    let offset = match request.param("cursor") {
        None => 0,
        Some(cursor) => decode_cursor(cursor)
            .ok_or_else(|| ApiError::bad_request(format!("invalid cursor {cursor:?}")))?,
    };
    let jobs = lock(&state.jobs);
    let job = jobs.jobs.get(id).ok_or_else(ApiError::not_found)?;
    let job_state = state_of(state, job);
    if job_state != "FULFILLED" {
        return Err(ApiError::bad_request(format!(
            "results are only available for a FULFILLED job; this one is {job_state}"
        )));
    }
    let page: Vec<&Conversation> = job
        .conversations
        .iter()
        .skip(offset)
        .take(page_size)
        .collect();
    let mut body = json!({
        "conversations": serde_json::to_value(page).unwrap_or_default(),
        "dataAvailabilityDate": availability_date(state),
    });
    if offset.saturating_add(page_size) < job.conversations.len()
        && let Some(object) = body.as_object_mut()
    {
        object.insert(
            "cursor".to_owned(),
            Value::from(URL_SAFE_NO_PAD.encode((offset.saturating_add(page_size)).to_string())),
        );
    }
    Ok(Reply::ok(body, "AnalyticsConversationAsyncQueryResponse"))
}

/// `DELETE .../details/jobs/{id}`: the job is cancelled (its status says so).
pub(crate) fn delete(state: &State, id: &str) -> Result<Reply, ApiError> {
    let mut jobs = lock(&state.jobs);
    let job = jobs.jobs.get_mut(id).ok_or_else(ApiError::not_found)?;
    job.cancelled = true;
    Ok(Reply::empty(204))
}

/// `GET .../details/jobs/availability`.
pub(crate) fn availability(state: &State) -> Reply {
    Reply::ok(
        json!({ "dataAvailabilityDate": availability_date(state) }),
        "DataAvailabilityResponse",
    )
}

fn availability_date(state: &State) -> String {
    let lag = i64::try_from(state.config.data_availability_lag.as_millis()).unwrap_or(i64::MAX);
    format_ms(state.now_ms().saturating_sub(lag))
}

fn decode_cursor(cursor: &str) -> Option<usize> {
    String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).ok()?)
        .ok()?
        .parse()
        .ok()
}
