//! Aggregation of session metrics into (bucket, group) statistics: the rules a client
//! computing aggregates from details must follow too (see the crate README).

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use crate::filter::Filter;
use crate::model::{Conversation, Session};
use crate::time::{from_ms, to_ms};

/// The statistics of one metric in one bucket and group (milliseconds for `t*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// Number of emissions.
    pub count: u64,
    /// Sum of values (ms for timers; equals `count` for `n*` metrics).
    pub sum: i64,
    /// Smallest value.
    pub min: i64,
    /// Largest value.
    pub max: i64,
}

impl Stats {
    fn add(&mut self, value: i64) {
        if self.count == 0 {
            self.min = value;
            self.max = value;
        }
        self.count += 1;
        self.sum += value;
        self.min = self.min.min(value);
        self.max = self.max.max(value);
    }
}

/// A ground-truth question: the aggregates query, in typed form.
#[derive(Debug, Clone)]
pub struct TruthQuery {
    /// Interval start (inclusive).
    pub start: jiff::Timestamp,
    /// Interval end (exclusive).
    pub end: jiff::Timestamp,
    /// Bucket length.
    pub granularity: Duration,
    /// Genesys dimension names.
    pub group_by: Vec<String>,
    /// Genesys metric names.
    pub metrics: Vec<String>,
    /// `flattenMultivaluedDimensions`.
    pub flatten: bool,
}

/// One group: dimension name → value, only for the dimensions that apply.
pub type Group = BTreeMap<String, String>;

/// The truth: (bucket start, group) → metric → stats; empty buckets and groups absent.
pub type GroundTruth = BTreeMap<(jiff::Timestamp, Group), BTreeMap<String, Stats>>;

/// The dimensions the simulator can group and filter aggregates by.
pub const SUPPORTED_DIMENSIONS: [&str; 4] = [
    "direction",
    "mediaType",
    "queueId",
    "requestedRoutingSkillId",
];

/// The metrics the generator emits (any other known metric is accepted and has no data).
pub const GENERATED_METRICS: [&str; 20] = [
    "nOffered",
    "tAcd",
    "tWait",
    "tAbandon",
    "tAlert",
    "tAnswered",
    "tTalk",
    "tHeld",
    "tTalkComplete",
    "tHeldComplete",
    "tAcw",
    "tHandle",
    "nOverSla",
    "tShortAbandon",
    "tFlowOut",
    "nTransferred",
    "nBlindTransferred",
    "nConsult",
    "nConsultTransferred",
    "tNotResponding",
];

/// A validated aggregation in milliseconds.
#[derive(Debug, Clone)]
pub(crate) struct Aggregation {
    pub(crate) start: i64,
    pub(crate) end: i64,
    /// Bucket starts followed by `end`.
    pub(crate) boundaries: Vec<i64>,
    pub(crate) group_by: Vec<String>,
    pub(crate) metrics: Vec<String>,
    pub(crate) flatten: bool,
    pub(crate) filter: Option<Filter>,
}

impl From<&TruthQuery> for Aggregation {
    fn from(query: &TruthQuery) -> Self {
        let (start, end) = (to_ms(query.start), to_ms(query.end));
        let step = i64::try_from(query.granularity.as_millis())
            .unwrap_or(i64::MAX)
            .max(1);
        let mut boundaries: Vec<i64> = (0..)
            .map(|k: i64| start.saturating_add(k.saturating_mul(step)))
            .take_while(|b| *b < end)
            .collect();
        boundaries.push(end);
        Aggregation {
            start,
            end,
            boundaries,
            group_by: query.group_by.clone(),
            metrics: query.metrics.clone(),
            flatten: query.flatten,
            filter: None,
        }
    }
}

impl Aggregation {
    /// The start of the bucket holding `at` (which lies in `[start, end)`).
    fn bucket_of(&self, at: i64) -> i64 {
        let index = self
            .boundaries
            .partition_point(|b| *b <= at)
            .saturating_sub(1);
        self.boundaries.get(index).copied().unwrap_or(self.start)
    }

    /// The end of the bucket starting at `start`.
    pub(crate) fn bucket_end(&self, start: i64) -> i64 {
        let index = self.boundaries.partition_point(|b| *b <= start);
        self.boundaries.get(index).copied().unwrap_or(self.end)
    }
}

/// The group-relevant values of one session (from the session and its segments).
#[derive(Debug)]
pub(crate) struct SessionDimensions<'a> {
    queue_id: Option<&'a str>,
    /// In the order the segments request them, each once: a flattened group joins
    /// them in this order, since Genesys documents `['a','b','c'] -> 'a,b,c'` but no
    /// sorting, so one skill set may come as `a,b` and as `b,a`.
    skills: Vec<&'a str>,
    media_type: &'a str,
    direction: &'a str,
}

impl<'a> SessionDimensions<'a> {
    pub(crate) fn of(session: &'a Session) -> Self {
        let segments = &session.segments;
        SessionDimensions {
            queue_id: segments.iter().find_map(|s| s.queue_id.as_deref()),
            skills: segments
                .iter()
                .flat_map(|s| s.requested_routing_skill_ids.iter().map(String::as_str))
                .fold(Vec::new(), |mut skills, skill| {
                    if !skills.contains(&skill) {
                        skills.push(skill);
                    }
                    skills
                }),
            media_type: session.media_type,
            direction: session.direction,
        }
    }

    /// Every value the session has for `dimension` (several for a multi-skill session).
    pub(crate) fn values(&self, dimension: &str) -> Vec<&'a str> {
        match dimension {
            "queueId" => self.queue_id.into_iter().collect(),
            "requestedRoutingSkillId" => self.skills.clone(),
            "mediaType" => vec![self.media_type],
            "direction" => vec![self.direction],
            _ => Vec::new(),
        }
    }

    /// The groups one emission of this session counts in.
    fn groups(&self, group_by: &[String], flatten: bool) -> Vec<Group> {
        let mut groups = vec![Group::new()];
        for dimension in group_by {
            let values = self.values(dimension);
            if values.is_empty() {
                continue;
            }
            if flatten || values.len() == 1 {
                let joined = values.join(",");
                groups.iter_mut().for_each(|g| {
                    g.insert(dimension.clone(), joined.clone());
                });
            } else {
                groups = groups
                    .iter()
                    .flat_map(|g| {
                        values.iter().map(move |v| {
                            let mut g = g.clone();
                            g.insert(dimension.clone(), (*v).to_owned());
                            g
                        })
                    })
                    .collect();
            }
        }
        groups
    }
}

/// Aggregates the metrics of `conversations` (already seen at "now") per bucket and group.
pub(crate) fn aggregate(conversations: &[Conversation], query: &Aggregation) -> GroundTruth {
    // Groups are interned and metric names borrowed, so that an emission costs no copy.
    let mut groups: HashMap<Group, usize> = HashMap::new();
    let mut cells: HashMap<(i64, usize), BTreeMap<&'static str, Stats>> = HashMap::new();
    let sessions = conversations
        .iter()
        .flat_map(|c| &c.participants)
        .flat_map(|p| &p.sessions);
    for session in sessions {
        let dimensions = SessionDimensions::of(session);
        if let Some(filter) = &query.filter
            && !filter.accepts(&|d| dimensions.values(d))
        {
            continue;
        }
        let session_groups: Vec<usize> = dimensions
            .groups(&query.group_by, query.flatten)
            .into_iter()
            .map(|group| {
                let next = groups.len();
                *groups.entry(group).or_insert(next)
            })
            .collect();
        for metric in &session.metrics {
            let at = metric.emit_date.0;
            if at < query.start
                || at >= query.end
                || !query.metrics.iter().any(|m| m == metric.name)
            {
                continue;
            }
            let bucket = query.bucket_of(at);
            for group in &session_groups {
                let stats = cells.entry((bucket, *group)).or_default();
                stats.entry(metric.name).or_default().add(metric.value);
            }
        }
    }
    let mut by_index: Vec<Option<Group>> = vec![None; groups.len()];
    for (group, index) in groups {
        by_index[index] = Some(group);
    }
    cells
        .into_iter()
        .filter_map(|((bucket, group), stats)| {
            let group = by_index.get(group)?.clone()?;
            let stats = stats
                .into_iter()
                .map(|(name, s)| (name.to_owned(), s))
                .collect();
            Some(((from_ms(bucket), group), stats))
        })
        .collect()
}

#[cfg(test)]
mod tests;
