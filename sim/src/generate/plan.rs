//! The timeline of one conversation and the participant documents built from it.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::model::{Metric, Participant, Segment, Session};
use crate::org::{Org, seeded_uuid};
use crate::time::Millis;

use super::MEDIA;

/// The timeline of one conversation, drawn before its documents are built.
pub(super) struct Plan {
    pub(super) start: i64,
    media: &'static str,
    pub(super) direction: &'static str,
    queue_id: String,
    queue_name: String,
    skills: Vec<String>,
    /// Queue entry (after IVR / flow).
    entered: i64,
    /// Queue exit: answer or abandon.
    left: i64,
    pub(super) answered: bool,
    alert_ms: i64,
    /// Alternating talk and hold lengths, starting and ending with talk.
    talk_hold: Vec<i64>,
    wrapup_ms: i64,
}

impl Plan {
    pub(super) fn draw(rng: &mut ChaCha8Rng, org: &Org, start: i64) -> Plan {
        let media = weighted(rng, &MEDIA);
        let direction = if rng.random_bool(0.12) {
            "outbound"
        } else {
            "inbound"
        };
        let queue = &org.queues[rng.random_range(0..org.queues.len())];
        let skill_count = weighted(rng, &[(0usize, 20), (1, 55), (2, 20), (3, 5)]);
        let mut skills: Vec<String> = Vec::new();
        while skills.len() < skill_count {
            let skill = &org.skills[rng.random_range(0..org.skills.len())];
            if !skills.contains(&skill.id) {
                skills.push(skill.id.clone());
            }
        }
        let entered = start + rng.random_range(0..15_000);
        let answered = !rng.random_bool(0.15);
        let wait = if answered {
            rng.random_range(1_000..120_000)
        } else {
            rng.random_range(3_000..180_000)
        };
        let holds = if matches!(media, "voice" | "callback") {
            rng.random_range(0..=2)
        } else {
            0
        };
        let mut talk_hold = vec![rng.random_range(20_000..600_000)];
        for _ in 0..holds {
            talk_hold.push(rng.random_range(10_000..180_000));
            talk_hold.push(rng.random_range(20_000..600_000));
        }
        Plan {
            start,
            media,
            direction,
            queue_id: queue.id.clone(),
            queue_name: queue.name.clone(),
            skills,
            entered,
            left: entered + wait,
            answered,
            alert_ms: rng.random_range(1_000..15_000_i64).min(wait),
            talk_hold,
            wrapup_ms: rng.random_range(5_000..120_000),
        }
    }

    fn talk_end(&self) -> i64 {
        self.left + self.talk_hold.iter().sum::<i64>()
    }

    pub(super) fn customer_end(&self) -> i64 {
        if self.answered {
            self.talk_end()
        } else {
            self.left
        }
    }

    pub(super) fn end(&self) -> i64 {
        if self.answered {
            self.talk_end() + self.wrapup_ms
        } else {
            self.left
        }
    }

    fn session(
        &self,
        rng: &mut ChaCha8Rng,
        segments: Vec<Segment>,
        metrics: Vec<Metric>,
    ) -> Session {
        let voice = self.media == "voice";
        Session {
            session_id: seeded_uuid(rng),
            media_type: self.media,
            direction: self.direction,
            ani: voice.then(|| format!("tel:+3531555{:04}", rng.random_range(0..10_000))),
            dnis: voice.then(|| "tel:+35318001234".to_owned()),
            requested_routings: None,
            used_routing: None,
            segments,
            metrics,
        }
    }

    fn segment(&self, kind: &'static str, start: i64, end: i64, routed: bool) -> Segment {
        Segment {
            segment_start: Millis(start),
            segment_end: Some(Millis(end)),
            segment_type: kind,
            queue_id: routed.then(|| self.queue_id.clone()),
            requested_routing_skill_ids: if routed {
                self.skills.clone()
            } else {
                Vec::new()
            },
            disconnect_type: None,
        }
    }
}

fn metric(name: &'static str, value: i64, at: i64) -> Metric {
    Metric {
        name,
        value,
        emit_date: Millis(at),
    }
}

pub(super) fn customer(rng: &mut ChaCha8Rng, plan: &Plan, end: i64) -> Participant {
    let mut segment = plan.segment("interact", plan.start, end, false);
    segment.disconnect_type = Some("peer");
    Participant {
        participant_id: seeded_uuid(rng),
        participant_name: "Customer".to_owned(),
        purpose: "customer",
        user_id: None,
        sessions: vec![plan.session(rng, vec![segment], Vec::new())],
    }
}

pub(super) fn acd(rng: &mut ChaCha8Rng, plan: &Plan) -> Participant {
    let wait = plan.left - plan.entered;
    let mut segment = plan.segment("interact", plan.entered, plan.left, true);
    segment.disconnect_type = Some(if plan.answered { "transfer" } else { "peer" });
    let mut metrics = vec![
        metric("nOffered", 1, plan.entered),
        metric("tAcd", wait, plan.left),
        metric("tWait", wait, plan.left),
    ];
    if !plan.answered {
        metrics.push(metric("tAbandon", wait, plan.left));
    }
    let mut session = plan.session(rng, vec![segment], metrics);
    session.requested_routings = Some(vec!["Standard"]);
    session.used_routing = Some("Standard");
    Participant {
        participant_id: seeded_uuid(rng),
        participant_name: plan.queue_name.clone(),
        purpose: "acd",
        user_id: None,
        sessions: vec![session],
    }
}

pub(super) fn agent(rng: &mut ChaCha8Rng, plan: &Plan, user_id: &str, name: &str) -> Participant {
    let mut segments = vec![plan.segment("alert", plan.left - plan.alert_ms, plan.left, true)];
    let mut metrics = vec![
        metric("tAlert", plan.alert_ms, plan.left),
        metric("tAnswered", plan.left - plan.entered, plan.left),
    ];
    let (mut at, mut talk, mut held) = (plan.left, 0, 0);
    for (i, length) in plan.talk_hold.iter().enumerate() {
        let (kind, name) = if i % 2 == 0 {
            ("interact", "tTalk")
        } else {
            ("hold", "tHeld")
        };
        segments.push(plan.segment(kind, at, at + length, true));
        at += length;
        metrics.push(metric(name, *length, at));
        if i % 2 == 0 {
            talk += length
        } else {
            held += length
        }
    }
    metrics.push(metric("tTalkComplete", talk, at));
    if held > 0 {
        metrics.push(metric("tHeldComplete", held, at));
    }
    segments.push(plan.segment("wrapup", at, at + plan.wrapup_ms, true));
    at += plan.wrapup_ms;
    metrics.push(metric("tAcw", plan.wrapup_ms, at));
    metrics.push(metric("tHandle", talk + held + plan.wrapup_ms, at));
    Participant {
        participant_id: seeded_uuid(rng),
        participant_name: name.to_owned(),
        purpose: "agent",
        user_id: Some(user_id.to_owned()),
        sessions: vec![plan.session(rng, segments, metrics)],
    }
}

fn weighted<T: Copy>(rng: &mut ChaCha8Rng, choices: &[(T, u32)]) -> T {
    let total: u32 = choices.iter().map(|(_, w)| w).sum();
    let mut pick = rng.random_range(0..total.max(1));
    for (choice, weight) in choices {
        if pick < *weight {
            return *choice;
        }
        pick -= weight;
    }
    choices[0].0
}
