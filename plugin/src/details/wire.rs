//! The parts of the details answers the accumulator reads, and nothing else: serde
//! skips every other field, so a page costs little more than its bytes to parse.
//! Shapes from the SDK models `AnalyticsConversationQueryResponse`,
//! `AnalyticsConversationAsyncQueryResponse`, `AnalyticsSession`,
//! `AnalyticsConversationSegment` and `AnalyticsSessionMetric`.

use jiff::Timestamp;
use serde::Deserialize;

/// A page of the details query.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryPage {
    /// Absent past the last page.
    #[serde(default)]
    pub conversations: Vec<Conversation>,
    /// Approximate while the interval still receives data.
    pub total_hits: Option<u64>,
}

/// A page of an async job's results.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobPage {
    /// This page's conversations.
    #[serde(default)]
    pub conversations: Vec<Conversation>,
    /// Where the next page starts; absent on the last one.
    pub cursor: Option<String>,
}

/// One conversation.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Conversation {
    /// Its ID, for removing duplicates across pages.
    pub conversation_id: String,
    /// When it started: to tell conversations longer than the lookbehind.
    pub conversation_start: Option<Timestamp>,
    /// Its participants.
    #[serde(default)]
    pub participants: Vec<Participant>,
}

/// One participant.
#[derive(Debug, Deserialize)]
pub struct Participant {
    /// Its sessions.
    #[serde(default)]
    pub sessions: Vec<Session>,
}

/// One session: the unit that carries metrics and group values.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    /// `voice`, `chat`, ...
    pub media_type: Option<String>,
    /// `inbound` or `outbound`.
    pub direction: Option<String>,
    /// Its segments (queue and requested skills).
    #[serde(default)]
    pub segments: Vec<Segment>,
    /// Its metrics, each with its emit time.
    #[serde(default)]
    pub metrics: Vec<SessionMetric>,
}

/// One segment.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Segment {
    /// The queue, on ACD and agent segments.
    pub queue_id: Option<String>,
    /// The skills the conversation asked for.
    #[serde(default)]
    pub requested_routing_skill_ids: Vec<String>,
}

/// One metric emission.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionMetric {
    /// `tHandle`, `nOffered`, ...
    pub name: String,
    /// Milliseconds for `t*` metrics.
    pub value: i64,
    /// When it was emitted: the bucket it counts in.
    pub emit_date: Timestamp,
}

/// `GET .../details/jobs/{id}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobStatus {
    /// `QUEUED`, `PENDING`, `FULFILLED`, `FAILED`, `CANCELLED`, `EXPIRED`.
    pub state: String,
    /// Why a job failed.
    pub error_message: Option<String>,
}

/// `POST .../details/jobs`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobCreated {
    /// The job.
    pub job_id: String,
}

/// `GET .../details/jobs/availability`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Availability {
    /// Data before this instant is complete in the jobs' data lake.
    pub data_availability_date: Timestamp,
}
