//! The conversation-detail documents the simulator serves, with the JSON field names of
//! the SDK models `AnalyticsConversationWithoutAttributes`, `AnalyticsParticipantWithoutAttributes`,
//! `AnalyticsSession`, `AnalyticsConversationSegment` and `AnalyticsSessionMetric`.

use serde::Serialize;

use crate::time::Millis;

/// One conversation, as the details query and details jobs return it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Conversation {
    pub(crate) conversation_id: String,
    pub(crate) conversation_start: Millis,
    /// Absent while the conversation is in progress.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) conversation_end: Option<Millis>,
    pub(crate) originating_direction: &'static str,
    pub(crate) division_ids: Vec<String>,
    pub(crate) participants: Vec<Participant>,
    /// This conversation's ingestion delay in `[0, 1]` of the configured lag (not served).
    #[serde(skip)]
    pub(crate) lag_fraction: f64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Participant {
    pub(crate) participant_id: String,
    pub(crate) participant_name: String,
    pub(crate) purpose: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) user_id: Option<String>,
    pub(crate) sessions: Vec<Session>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Session {
    pub(crate) session_id: String,
    pub(crate) media_type: &'static str,
    pub(crate) direction: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) ani: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) dnis: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) requested_routings: Option<Vec<&'static str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) used_routing: Option<&'static str>,
    pub(crate) segments: Vec<Segment>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) metrics: Vec<Metric>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Segment {
    pub(crate) segment_start: Millis,
    /// Absent while the segment is in progress.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) segment_end: Option<Millis>,
    pub(crate) segment_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) queue_id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) requested_routing_skill_ids: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) disconnect_type: Option<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Metric {
    pub(crate) name: &'static str,
    pub(crate) value: i64,
    pub(crate) emit_date: Millis,
}

impl Conversation {
    /// When the conversation ends, or `now` while it is in progress.
    pub(crate) fn end_or(&self, now: i64) -> i64 {
        self.conversation_end.map_or(now, |end| end.0)
    }
}
