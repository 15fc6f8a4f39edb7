//! The participant documents of a [`Plan`]: who Genesys attributes each segment and
//! metric to (see the crate README's "The generated org" for the sources).
//!
//! - the customer: its segments, none with metrics;
//! - an `acd` participant per queue visit: `nOffered`, `tAcd`, `tWait`, and `tAbandon`
//!   (+ `tShortAbandon`), `tFlowOut` or `nOverSla` by how the visit ends;
//! - an `agent` participant per agent alerted: `tAlert` + `tNotResponding` for one
//!   who does not answer; the handling metrics, and for the first agent of a transfer
//!   `nTransferred` with `nBlindTransferred` or `nConsult` + `nConsultTransferred`.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::model::{Metric, Participant, Segment, Session};
use crate::org::seeded_uuid;
use crate::targets::SHORT_ABANDON_MS;
use crate::time::Millis;

use super::plan::{Answered, Handling, Outcome, Plan, QueueVisit, Transfer, TransferKind};

/// Every participant of `plan`: customer, acd, agents (in order of their first segment).
pub(super) fn participants(
    rng: &mut ChaCha8Rng,
    plan: &Plan,
    agents: &[(String, String)],
) -> Vec<Participant> {
    let mut participants = vec![customer(rng, plan), acd(rng, plan, &plan.visit)];
    let Outcome::Answered(answered) = &plan.outcome else {
        return participants;
    };
    let agent = |index: usize| &agents[index % agents.len()];
    let timeout_ms = plan.visit.target.alerting_timeout_secs * 1_000;
    for (index, alerted) in &answered.missed {
        participants.push(missed_alert(rng, plan, agent(*index), *alerted, timeout_ms));
    }
    participants.push(first_agent(rng, plan, agent(answered.agent), answered));
    if let Some(transfer) = &answered.transfer {
        if let Some(visit) = &transfer.queue {
            participants.push(acd(rng, plan, visit));
        }
        participants.push(second_agent(rng, plan, agent(transfer.agent), transfer));
    }
    participants
}

fn metric(name: &'static str, value: i64, at: i64) -> Metric {
    Metric {
        name,
        value,
        emit_date: Millis(at),
    }
}

fn segment(kind: &'static str, start: i64, end: i64, route: Option<&QueueVisit>) -> Segment {
    Segment {
        segment_start: Millis(start),
        segment_end: Some(Millis(end)),
        segment_type: kind,
        queue_id: route.map(|v| v.queue_id.clone()),
        requested_routing_skill_ids: route.map(|v| v.skills.clone()).unwrap_or_default(),
        disconnect_type: None,
    }
}

fn session(
    rng: &mut ChaCha8Rng,
    plan: &Plan,
    segments: Vec<Segment>,
    metrics: Vec<Metric>,
) -> Session {
    let voice = plan.media == "voice";
    Session {
        session_id: seeded_uuid(rng),
        media_type: plan.media,
        direction: plan.direction,
        ani: voice.then(|| format!("tel:+3531555{:04}", rng.random_range(0..10_000))),
        dnis: voice.then(|| "tel:+35318001234".to_owned()),
        requested_routings: None,
        used_routing: None,
        segments,
        metrics,
    }
}

fn participant(
    rng: &mut ChaCha8Rng,
    name: String,
    purpose: &'static str,
    user_id: Option<&str>,
    session: Session,
) -> Participant {
    Participant {
        participant_id: seeded_uuid(rng),
        participant_name: name,
        purpose,
        user_id: user_id.map(str::to_owned),
        sessions: vec![session],
    }
}

/// The customer: before the queue (IVR), in each queue (with its ID and skills, from
/// entry to the customer's last moment in it), and in a flow after a flow-out.
fn customer(rng: &mut ChaCha8Rng, plan: &Plan) -> Participant {
    let end = plan.customer_end();
    let visit = &plan.visit;
    let mut parts: Vec<(i64, i64, Option<&QueueVisit>)> = Vec::new();
    if visit.entered > plan.start {
        parts.push((plan.start, visit.entered, None));
    }
    let disconnect = match &plan.outcome {
        Outcome::Abandoned => {
            parts.push((visit.entered, visit.left, Some(visit)));
            "endpoint"
        }
        Outcome::FlowOut { until } => {
            parts.push((visit.entered, visit.left, Some(visit)));
            parts.push((visit.left, *until, None));
            "endpoint"
        }
        Outcome::Answered(answered) => {
            match answered
                .transfer
                .as_ref()
                .and_then(|t| t.queue.as_ref().map(|q| (t, q)))
            {
                Some((transfer, second)) => {
                    parts.push((visit.entered, transfer.at, Some(visit)));
                    parts.push((transfer.at, end, Some(second)));
                }
                None => parts.push((visit.entered, end, Some(visit))),
            }
            "peer"
        }
    };
    let segments: Vec<Segment> = parts
        .iter()
        .map(|(from, to, route)| segment("interact", *from, *to, *route))
        .collect();
    let mut session = session(rng, plan, segments, Vec::new());
    if let Some(last) = session.segments.last_mut() {
        last.disconnect_type = Some(disconnect);
    }
    participant(rng, "Customer".to_owned(), "customer", None, session)
}

/// The queue's participant for one visit.
fn acd(rng: &mut ChaCha8Rng, plan: &Plan, visit: &QueueVisit) -> Participant {
    let wait = visit.wait();
    let (left, entered) = (visit.left, visit.entered);
    let mut metrics = vec![
        metric("nOffered", 1, entered),
        metric("tAcd", wait, left),
        metric("tWait", wait, left),
    ];
    let first = std::ptr::eq(visit, &plan.visit);
    let disconnect = match (&plan.outcome, first) {
        (Outcome::Abandoned, true) => {
            metrics.push(metric("tAbandon", wait, left));
            if wait < SHORT_ABANDON_MS {
                metrics.push(metric("tShortAbandon", wait, left));
            }
            "peer"
        }
        (Outcome::FlowOut { .. }, true) => {
            metrics.push(metric("tFlowOut", wait, left));
            "transfer"
        }
        _ => {
            if wait > visit.target.duration_ms {
                metrics.push(metric("nOverSla", 1, left));
            }
            "transfer"
        }
    };
    let mut segments = vec![segment("interact", entered, left, Some(visit))];
    segments[0].disconnect_type = Some(disconnect);
    let mut session = session(rng, plan, segments, metrics);
    session.requested_routings = Some(vec!["Standard"]);
    session.used_routing = Some("Standard");
    participant(rng, visit.queue_name.clone(), "acd", None, session)
}

/// An agent alerted for the whole alerting timeout who does not answer.
fn missed_alert(
    rng: &mut ChaCha8Rng,
    plan: &Plan,
    (id, name): &(String, String),
    from: i64,
    timeout_ms: i64,
) -> Participant {
    let mut alert = segment("alert", from, from + timeout_ms, Some(&plan.visit));
    alert.disconnect_type = Some("noAnswerTransfer");
    let metrics = vec![
        metric("tAlert", timeout_ms, from + timeout_ms),
        metric("tNotResponding", timeout_ms, from + timeout_ms),
    ];
    let session = session(rng, plan, vec![alert], metrics);
    participant(rng, name.clone(), "agent", Some(id), session)
}

/// The segments and metrics of `handling` from `from` in `route`; returns the end of
/// the last talk or hold.
fn handle(
    handling: &Handling,
    from: i64,
    route: &QueueVisit,
    segments: &mut Vec<Segment>,
    metrics: &mut Vec<Metric>,
) -> (i64, i64, i64) {
    let (mut at, mut talk, mut held) = (from, 0, 0);
    for (i, length) in handling.talk_hold.iter().enumerate() {
        let (kind, name) = if i % 2 == 0 {
            ("interact", "tTalk")
        } else {
            ("hold", "tHeld")
        };
        segments.push(segment(kind, at, at + length, Some(route)));
        at += length;
        metrics.push(metric(name, *length, at));
        if i % 2 == 0 {
            talk += length;
        } else {
            held += length;
        }
    }
    metrics.push(metric("tTalkComplete", talk, at));
    if held > 0 {
        metrics.push(metric("tHeldComplete", held, at));
    }
    (at, talk, held)
}

/// Wrap-up from `at`, `tAcw` and `tHandle` at its end.
fn wrap_up(
    handling: &Handling,
    (at, talk, held): (i64, i64, i64),
    route: &QueueVisit,
    segments: &mut Vec<Segment>,
    metrics: &mut Vec<Metric>,
) {
    let end = at + handling.wrapup_ms;
    segments.push(segment("wrapup", at, end, Some(route)));
    metrics.push(metric("tAcw", handling.wrapup_ms, end));
    metrics.push(metric("tHandle", talk + held + handling.wrapup_ms, end));
}

fn alert_and_answer(
    route: &QueueVisit,
    answer: i64,
    alert_ms: i64,
    answered_wait: Option<i64>,
) -> (Vec<Segment>, Vec<Metric>) {
    let alert = segment("alert", answer - alert_ms, answer, Some(route));
    let mut metrics = vec![metric("tAlert", alert_ms, answer)];
    if let Some(wait) = answered_wait {
        metrics.push(metric("tAnswered", wait, answer));
    }
    (vec![alert], metrics)
}

/// The agent who answers the queue: the whole handling, or up to the transfer.
fn first_agent(
    rng: &mut ChaCha8Rng,
    plan: &Plan,
    (id, name): &(String, String),
    answered: &Answered,
) -> Participant {
    let visit = &plan.visit;
    let (mut segments, mut metrics) =
        alert_and_answer(visit, visit.left, answered.alert_ms, Some(visit.wait()));
    let done = handle(
        &answered.handling,
        visit.left,
        visit,
        &mut segments,
        &mut metrics,
    );
    let last = segments.last_mut().map(|s| &mut s.disconnect_type);
    match &answered.transfer {
        None => {
            if let Some(d) = last {
                *d = Some("peer");
            }
        }
        Some(transfer) => {
            let at = transfer.at;
            metrics.push(metric("nTransferred", 1, at));
            match transfer.kind {
                TransferKind::Blind => {
                    if let Some(d) = last {
                        *d = Some("transfer");
                    }
                    metrics.push(metric("nBlindTransferred", 1, at));
                }
                TransferKind::Consult => {
                    if let Some(d) = last {
                        *d = Some("consultTransfer");
                    }
                    metrics.push(metric("nConsult", 1, transfer.consult_from));
                    metrics.push(metric("nConsultTransferred", 1, at));
                }
            }
        }
    }
    wrap_up(&answered.handling, done, visit, &mut segments, &mut metrics);
    metrics.sort_by_key(|m| m.emit_date);
    let session = session(rng, plan, segments, metrics);
    participant(rng, name.clone(), "agent", Some(id), session)
}

/// The agent a transfer reaches: through the second queue (answered from it) or
/// directly after the consult (in the first queue's context, not an ACD answer).
fn second_agent(
    rng: &mut ChaCha8Rng,
    plan: &Plan,
    (id, name): &(String, String),
    transfer: &Transfer,
) -> Participant {
    let route = transfer.queue.as_ref().unwrap_or(&plan.visit);
    let answer = transfer.answer();
    let wait = transfer.queue.as_ref().map(QueueVisit::wait);
    let (mut segments, mut metrics) = alert_and_answer(route, answer, transfer.alert_ms, wait);
    let done = handle(
        &transfer.handling,
        answer,
        route,
        &mut segments,
        &mut metrics,
    );
    if let Some(last) = segments.last_mut() {
        last.disconnect_type = Some("peer");
    }
    wrap_up(&transfer.handling, done, route, &mut segments, &mut metrics);
    let session = session(rng, plan, segments, metrics);
    participant(rng, name.clone(), "agent", Some(id), session)
}
