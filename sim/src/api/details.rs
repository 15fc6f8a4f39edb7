//! `POST /api/v2/analytics/conversations/details/query` (`ConversationQuery`), and the
//! conversation selection and filters it shares with the async jobs.
//!
//! The SDK says results only include conversations that *started on a day touched by the
//! interval*: a conversation is selected when its span `[start, end or now]` overlaps the
//! interval and its UTC start day is one of the days the interval touches.

use std::sync::{Arc, Mutex, PoisonError};

use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::parse_body;
use crate::contract::enum_values;
use crate::filter::Filter;
use crate::model::Conversation;
use crate::reply::{ApiError, Reply};
use crate::state::State;
use crate::time::{DAY_MS, parse_interval};

/// Segment-filter dimensions the simulator evaluates.
const SEGMENT_DIMENSIONS: [&str; 7] = [
    "direction",
    "mediaType",
    "purpose",
    "queueId",
    "requestedRoutingSkillId",
    "segmentType",
    "userId",
];
/// Conversation-filter dimensions the simulator evaluates.
const CONVERSATION_DIMENSIONS: [&str; 3] =
    ["conversationEnd", "conversationId", "originatingDirection"];

/// `asc` (default), `desc`, `unordered` (served ascending).
#[derive(Debug, Clone, Copy, Deserialize, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub(crate) enum Order {
    #[default]
    Asc,
    Desc,
    Unordered,
}

/// What conversations are ordered by (segment orders use the conversation's bounds).
#[derive(Debug, Clone, Copy, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(crate) enum OrderBy {
    #[default]
    ConversationStart,
    ConversationEnd,
    SegmentStart,
    SegmentEnd,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Paging {
    page_size: i64,
    page_number: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Body {
    interval: String,
    #[serde(default)]
    order: Order,
    #[serde(default)]
    order_by: OrderBy,
    paging: Option<Paging>,
    #[serde(default)]
    segment_filters: Vec<Filter>,
    #[serde(default)]
    conversation_filters: Vec<Filter>,
    evaluation_filters: Option<Value>,
    survey_filters: Option<Value>,
    resolution_filters: Option<Value>,
    aggregations: Option<Value>,
}

/// The filters of a details query or job, validated.
#[derive(Debug, Clone, Default)]
pub(crate) struct Filters {
    segment: Vec<Filter>,
    conversation: Vec<Filter>,
}

impl Filters {
    /// Validates both filter lists against the dimensions the simulator evaluates.
    pub(crate) fn new(
        segment: Vec<Filter>,
        conversation: Vec<Filter>,
    ) -> Result<Filters, ApiError> {
        let known = |field| {
            enum_values(field, "dimension")
                .map(<[String]>::to_vec)
                .unwrap_or_default()
        };
        let segment_known = known("SegmentDetailQueryPredicate");
        let conversation_known = known("ConversationDetailQueryPredicate");
        for filter in &segment {
            filter
                .validate(&SEGMENT_DIMENSIONS, &segment_known)
                .map_err(ApiError::bad_request)?;
        }
        for filter in &conversation {
            filter
                .validate(&CONVERSATION_DIMENSIONS, &conversation_known)
                .map_err(ApiError::bad_request)?;
        }
        Ok(Filters {
            segment,
            conversation,
        })
    }

    /// Every conversation filter passes, and each segment filter passes on some segment.
    pub(crate) fn accept(&self, conversation: &Conversation) -> bool {
        self.conversation
            .iter()
            .all(|f| f.accepts(&|d| conversation_values(conversation, d)))
            && self.segment.iter().all(|f| segment_passes(f, conversation))
    }
}

fn conversation_values<'a>(conversation: &'a Conversation, dimension: &str) -> Vec<&'a str> {
    match dimension {
        "conversationId" => vec![conversation.conversation_id.as_str()],
        "originatingDirection" => vec![conversation.originating_direction],
        "conversationEnd" if conversation.conversation_end.is_some() => vec!["ended"],
        _ => Vec::new(),
    }
}

fn segment_passes(filter: &Filter, conversation: &Conversation) -> bool {
    conversation.participants.iter().any(|participant| {
        participant.sessions.iter().any(|session| {
            session.segments.iter().any(|segment| {
                filter.accepts(&|dimension| match dimension {
                    "queueId" => segment.queue_id.as_deref().into_iter().collect(),
                    "requestedRoutingSkillId" => segment
                        .requested_routing_skill_ids
                        .iter()
                        .map(String::as_str)
                        .collect(),
                    "segmentType" => vec![segment.segment_type],
                    "mediaType" => vec![session.media_type],
                    "direction" => vec![session.direction],
                    "purpose" => vec![participant.purpose],
                    "userId" => participant.user_id.as_deref().into_iter().collect(),
                    _ => Vec::new(),
                })
            })
        })
    })
}

/// Orders `conversations` as a query asked.
pub(crate) fn sort(conversations: &mut [Conversation], order: Order, order_by: OrderBy) {
    let key = |c: &Conversation| match order_by {
        OrderBy::ConversationStart | OrderBy::SegmentStart => c.conversation_start.0,
        OrderBy::ConversationEnd | OrderBy::SegmentEnd => {
            c.conversation_end.map_or(i64::MAX, |e| e.0)
        }
    };
    conversations.sort_by(|a, b| (key(a), &a.conversation_id).cmp(&(key(b), &b.conversation_id)));
    if order == Order::Desc {
        conversations.reverse();
    }
}

/// The query without its paging: pages of one query share one selection.
fn selection_key(body: &[u8]) -> String {
    let mut value: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    if let Some(object) = value.as_object_mut() {
        object.remove("paging");
    }
    value.to_string()
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Answers a details query.
pub(crate) fn query(state: &State, body: &[u8]) -> Result<Reply, ApiError> {
    let selection_key = selection_key(body);
    let body: Body = parse_body(body)?;
    if body.evaluation_filters.is_some()
        || body.survey_filters.is_some()
        || body.resolution_filters.is_some()
    {
        return Err(ApiError::bad_request(
            "evaluation, survey and resolution filters are not supported by the simulator",
        ));
    }
    if body.aggregations.is_some() {
        return Err(ApiError::bad_request(
            "aggregations are not supported by the simulator",
        ));
    }
    let (start, end) = parse_interval(&body.interval).map_err(ApiError::bad_request)?;
    check_length(start, end, state.config.details_max_interval)?;
    let (page_size, page_number) = paging(state, body.paging.as_ref())?;
    let filters = Filters::new(body.segment_filters, body.conversation_filters)?;
    let now = state.now_ms();
    let key = format!("{now}\n{selection_key}");
    let cached = lock(&state.details_selection)
        .as_ref()
        .filter(|(k, _)| *k == key)
        .map(|(_, selected)| selected.clone());
    let selected = match cached {
        Some(selected) => selected,
        None => {
            let first_day = start.div_euclid(DAY_MS) * DAY_MS;
            let mut selected: Vec<Conversation> = state
                .generator
                .active(first_day, end, start, now)
                .into_iter()
                .filter(|c| filters.accept(c))
                .collect();
            sort(&mut selected, body.order, body.order_by);
            let selected = Arc::new(selected);
            *lock(&state.details_selection) = Some((key, selected.clone()));
            selected
        }
    };
    let total = selected.len();
    let overlap = usize::try_from(state.config.details_page_overlap).unwrap_or(0);
    let skip =
        ((page_number - 1) * page_size).saturating_sub(if page_number > 1 { overlap } else { 0 });
    let page: Vec<&Conversation> = selected.iter().skip(skip).take(page_size).collect();
    let mut response = json!({ "totalHits": total });
    if !page.is_empty()
        && let Some(object) = response.as_object_mut()
    {
        object.insert(
            "conversations".to_owned(),
            serde_json::to_value(page).unwrap_or_default(),
        );
    }
    Ok(Reply::ok(response, "AnalyticsConversationQueryResponse"))
}

fn paging(state: &State, paging: Option<&Paging>) -> Result<(usize, usize), ApiError> {
    let (size, number) = paging.map_or((25, 1), |p| (p.page_size, p.page_number));
    let cap = i64::from(state.config.details_max_page_size);
    if size < 1 || size > cap {
        return Err(ApiError::bad_request(format!(
            "paging.pageSize must be between 1 and {cap}, got {size}"
        )));
    }
    if number < 1 {
        return Err(ApiError::bad_request(format!(
            "paging.pageNumber must be at least 1, got {number}"
        )));
    }
    let max = state.config.details_max_results;
    if number.saturating_mul(size) > i64::from(max) {
        return Err(ApiError::bad_request(format!(
            "Pagination may not exceed {max} results."
        )));
    }
    Ok((
        usize::try_from(size).unwrap_or(1),
        usize::try_from(number).unwrap_or(1),
    ))
}

/// Refuses an interval longer than `max` (peers report that Genesys caps the details
/// interval: 7 days for the query, about a month for jobs).
pub(crate) fn check_length(start: i64, end: i64, max: std::time::Duration) -> Result<(), ApiError> {
    let max_ms = i64::try_from(max.as_millis()).unwrap_or(i64::MAX);
    if end.saturating_sub(start) > max_ms {
        return Err(ApiError::bad_request(format!(
            "the interval may not be longer than {} hours",
            max.as_secs() / 3600
        )));
    }
    Ok(())
}
