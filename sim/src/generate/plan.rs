//! The timeline of one conversation, drawn before its documents are built
//! ([`super::build`] turns it into participants).
//!
//! A conversation enters a queue after a short IVR, and then is abandoned (some of them
//! within the short-abandon threshold), flows out of the queue to a flow, or is answered:
//! before the agent who answers, up to two agents may be alerted who do not answer
//! within the queue's alerting timeout. Some answered conversations are transferred by
//! the first agent to a second one: blind, through another queue, or after a consult
//! (voice and callback), directly. Long digital conversations ([`Plan::draw_long`]) wait
//! or stay open for hours to days.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::org::Org;
use crate::targets::{MediaTarget, target};
use crate::time::{HOUR_MS, MINUTE_MS};

use super::MEDIA;

/// A stay in one queue: from entry to answer, abandon or flow-out.
#[derive(Debug, Clone)]
pub(super) struct QueueVisit {
    /// The queue's index in the org, ID and name (when the org was made).
    pub(super) queue: usize,
    pub(super) queue_id: String,
    pub(super) queue_name: String,
    pub(super) skills: Vec<String>,
    pub(super) entered: i64,
    pub(super) left: i64,
    pub(super) target: MediaTarget,
}

impl QueueVisit {
    pub(super) fn wait(&self) -> i64 {
        self.left - self.entered
    }
}

/// An agent's handling of the customer from its answer: alternating talk and hold
/// lengths (starting and ending with talk), then wrap-up.
#[derive(Debug, Clone)]
pub(super) struct Handling {
    pub(super) talk_hold: Vec<i64>,
    pub(super) wrapup_ms: i64,
}

/// Blind (through a queue) or after a consult.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TransferKind {
    Blind,
    Consult,
}

/// The first agent hands the customer over to a second one.
#[derive(Debug, Clone)]
pub(super) struct Transfer {
    pub(super) kind: TransferKind,
    /// Consult: when the first agent puts the customer on hold and calls the second.
    pub(super) consult_from: i64,
    /// When the first agent completes the transfer.
    pub(super) at: i64,
    /// Blind: the second queue, entered at `at`.
    pub(super) queue: Option<QueueVisit>,
    /// The second agent (index into the generator's agents).
    pub(super) agent: usize,
    /// The second agent's alert, ending at its answer.
    pub(super) alert_ms: i64,
    /// The second agent's handling from its answer.
    pub(super) handling: Handling,
}

impl Transfer {
    /// When the second agent answers.
    pub(super) fn answer(&self) -> i64 {
        match &self.queue {
            Some(visit) => visit.left,
            None => self.consult_from + self.alert_ms,
        }
    }
}

/// An answered conversation.
#[derive(Debug, Clone)]
pub(super) struct Answered {
    /// Agents alerted who did not answer: `(agent, alert start)`, each alerted for the
    /// queue's alerting timeout.
    pub(super) missed: Vec<(usize, i64)>,
    /// The agent who answers and its alert length (ending at the queue exit).
    pub(super) agent: usize,
    pub(super) alert_ms: i64,
    /// The first agent's handling from its answer (up to the transfer, if any).
    pub(super) handling: Handling,
    pub(super) transfer: Option<Transfer>,
}

/// How the first queue visit ends.
#[derive(Debug, Clone)]
pub(super) enum Outcome {
    Abandoned,
    /// The conversation leaves the queue to a flow, where the customer stays until `until`.
    FlowOut {
        until: i64,
    },
    Answered(Box<Answered>),
}

/// The timeline of one conversation.
#[derive(Debug, Clone)]
pub(super) struct Plan {
    pub(super) start: i64,
    pub(super) media: &'static str,
    pub(super) direction: &'static str,
    pub(super) visit: QueueVisit,
    pub(super) outcome: Outcome,
}

/// A choice among the org's agents that none of `taken` holds.
fn other_agent(rng: &mut ChaCha8Rng, agents: usize, taken: &[usize]) -> usize {
    loop {
        let agent = rng.random_range(0..agents);
        if !taken.contains(&agent) || taken.len() >= agents {
            return agent;
        }
    }
}

fn draw_skills(rng: &mut ChaCha8Rng, org: &Org, weights: &[(usize, u32)]) -> Vec<String> {
    let count = weighted(rng, weights);
    let mut skills: Vec<String> = Vec::new();
    while skills.len() < count.min(org.skills.len()) {
        let skill = &org.skills[rng.random_range(0..org.skills.len())];
        if !skills.contains(&skill.id) {
            skills.push(skill.id.clone());
        }
    }
    skills
}

fn draw_handling(rng: &mut ChaCha8Rng, media: &str, max_holds: u32, max_talk: i64) -> Handling {
    let holds = if matches!(media, "voice" | "callback") {
        rng.random_range(0..=max_holds)
    } else {
        0
    };
    let mut talk_hold = vec![rng.random_range(20_000..max_talk)];
    for _ in 0..holds {
        talk_hold.push(rng.random_range(10_000..180_000));
        talk_hold.push(rng.random_range(20_000..max_talk));
    }
    Handling {
        talk_hold,
        wrapup_ms: rng.random_range(5_000..120_000),
    }
}

impl Plan {
    /// A conversation of the ordinary mix, shorter than
    /// [`super::MAX_CONVERSATION_MS`] by construction: IVR ≤ 15 s, queue ≤ 4.5 min,
    /// handling ≤ 38 min (see the bounds of each draw).
    pub(super) fn draw(rng: &mut ChaCha8Rng, org: &Org, agents: usize, start: i64) -> Plan {
        let media = weighted(rng, &MEDIA);
        let direction = if rng.random_bool(0.12) {
            "outbound"
        } else {
            "inbound"
        };
        let queue = rng.random_range(0..org.queues.len());
        let target = target(queue, media);
        let skills = draw_skills(rng, org, &[(0, 20), (1, 55), (2, 20), (3, 5)]);
        let entered = start + rng.random_range(0..15_000);
        let roll = rng.random_range(0..100);
        let mut visit = QueueVisit {
            queue,
            queue_id: org.queues[queue].id.clone(),
            queue_name: org.queues[queue].name.clone(),
            skills,
            entered,
            left: entered,
            target,
        };
        let outcome = if roll < 15 {
            // Abandoned; a third of them within the short-abandon threshold.
            visit.left += if rng.random_bool(0.3) {
                rng.random_range(1_000..10_000)
            } else {
                rng.random_range(10_000..180_000)
            };
            Outcome::Abandoned
        } else if roll < 21 {
            visit.left += rng.random_range(5_000..120_000);
            Outcome::FlowOut {
                until: visit.left + rng.random_range(10_000..120_000),
            }
        } else {
            let answered = draw_answered(rng, org, agents, media, &mut visit);
            Outcome::Answered(Box::new(answered))
        };
        Plan {
            start,
            media,
            direction,
            visit,
            outcome,
        }
    }

    /// A long digital conversation: an email waiting hours to two days in queue, a
    /// messaging conversation open for hours to over two days, or a callback made
    /// hours later; each answered, none longer than [`super::LONG_CONVERSATION_MS`].
    pub(super) fn draw_long(rng: &mut ChaCha8Rng, org: &Org, agents: usize, start: i64) -> Plan {
        let media = weighted(rng, &[("email", 45), ("message", 35), ("callback", 20)]);
        let queue = rng.random_range(0..org.queues.len());
        let skills = draw_skills(rng, org, &[(0, 30), (1, 60), (2, 10)]);
        let entered = start + rng.random_range(0..5_000);
        let (wait, talk) = match media {
            "email" => (
                rng.random_range(HOUR_MS..48 * HOUR_MS),
                rng.random_range(2 * MINUTE_MS..45 * MINUTE_MS),
            ),
            "message" => (
                rng.random_range(MINUTE_MS..30 * MINUTE_MS),
                rng.random_range(2 * HOUR_MS..60 * HOUR_MS),
            ),
            _ => (
                rng.random_range(30 * MINUTE_MS..24 * HOUR_MS),
                rng.random_range(MINUTE_MS..15 * MINUTE_MS),
            ),
        };
        let agent = rng.random_range(0..agents);
        let alert_ms = rng.random_range(1_000..target(queue, media).alerting_timeout_secs * 1_000);
        let visit = QueueVisit {
            queue,
            queue_id: org.queues[queue].id.clone(),
            queue_name: org.queues[queue].name.clone(),
            skills,
            entered,
            left: entered + wait,
            target: target(queue, media),
        };
        let answered = Answered {
            missed: Vec::new(),
            agent,
            alert_ms: alert_ms.min(wait),
            handling: Handling {
                talk_hold: vec![talk],
                wrapup_ms: rng.random_range(5_000..600_000),
            },
            transfer: None,
        };
        Plan {
            start,
            media,
            direction: "inbound",
            visit,
            outcome: Outcome::Answered(Box::new(answered)),
        }
    }

    /// When the customer leaves.
    pub(super) fn customer_end(&self) -> i64 {
        match &self.outcome {
            Outcome::Abandoned => self.visit.left,
            Outcome::FlowOut { until } => *until,
            Outcome::Answered(answered) => match &answered.transfer {
                Some(transfer) => {
                    transfer.answer() + transfer.handling.talk_hold.iter().sum::<i64>()
                }
                None => self.visit.left + answered.handling.talk_hold.iter().sum::<i64>(),
            },
        }
    }

    /// When the last participant leaves (after the last wrap-up).
    pub(super) fn end(&self) -> i64 {
        let customer = self.customer_end();
        match &self.outcome {
            Outcome::Answered(answered) => {
                let first = match &answered.transfer {
                    Some(transfer) => transfer.at + answered.handling.wrapup_ms,
                    None => customer + answered.handling.wrapup_ms,
                };
                let second = answered
                    .transfer
                    .as_ref()
                    .map_or(0, |t| customer + t.handling.wrapup_ms);
                first.max(second)
            }
            _ => customer,
        }
    }
}

/// The agents alerted until one answers, the handling, and perhaps a transfer; sets
/// `visit.left` to the answer.
fn draw_answered(
    rng: &mut ChaCha8Rng,
    org: &Org,
    agents: usize,
    media: &'static str,
    visit: &mut QueueVisit,
) -> Answered {
    let timeout_ms = visit.target.alerting_timeout_secs * 1_000;
    // Most answer within the target, the others up to three times it (at most 3 min).
    let target = visit.target.duration_ms;
    let before_alert = if rng.random_bool(0.8) {
        rng.random_range(0..(target * 4 / 5).clamp(1_000, 180_000))
    } else {
        let from = target.min(179_000);
        rng.random_range(from..(3 * target).clamp(from + 1_000, 180_000))
    };
    let missed_count = weighted(rng, &[(0usize, 85), (1, 12), (2, 3)]);
    let mut at = visit.entered + before_alert;
    let mut missed = Vec::new();
    let mut taken = Vec::new();
    for _ in 0..missed_count {
        let agent = other_agent(rng, agents, &taken);
        taken.push(agent);
        missed.push((agent, at));
        at += timeout_ms;
    }
    let agent = other_agent(rng, agents, &taken);
    taken.push(agent);
    let alert_ms = rng.random_range(1_000..timeout_ms.max(2_000));
    visit.left = at + alert_ms;
    let transferred = rng.random_bool(0.12);
    if !transferred {
        return Answered {
            missed,
            agent,
            alert_ms,
            handling: draw_handling(rng, media, 2, 600_000),
            transfer: None,
        };
    }
    let consult = matches!(media, "voice" | "callback") && rng.random_bool(0.4);
    let first_talk = rng.random_range(20_000..300_000);
    let second = other_agent(rng, agents, &taken);
    let second_alert = rng.random_range(1_000..15_000);
    let wrapup_ms = rng.random_range(5_000..120_000);
    let transfer = if consult {
        let consult_from = visit.left + first_talk;
        let consult_ms = second_alert + rng.random_range(10_000..120_000);
        let mut handling = draw_handling(rng, media, 1, 600_000);
        // The second agent talks from its answer: with the first agent, then the customer.
        handling.talk_hold[0] += consult_ms - second_alert;
        Transfer {
            kind: TransferKind::Consult,
            consult_from,
            at: consult_from + consult_ms,
            queue: None,
            agent: second,
            alert_ms: second_alert,
            handling,
        }
    } else {
        let at = visit.left + first_talk;
        let mut queue = rng.random_range(0..org.queues.len());
        if queue == visit.queue {
            queue = (queue + 1) % org.queues.len();
        }
        let wait = rng.random_range(second_alert + 1_000..120_000);
        Transfer {
            kind: TransferKind::Blind,
            consult_from: at,
            at,
            queue: Some(QueueVisit {
                queue,
                queue_id: org.queues[queue].id.clone(),
                queue_name: org.queues[queue].name.clone(),
                skills: draw_skills(rng, org, &[(0, 40), (1, 60)]),
                entered: at,
                left: at + wait,
                target: crate::targets::target(queue, media),
            }),
            agent: second,
            alert_ms: second_alert,
            handling: draw_handling(rng, media, 1, 600_000),
        }
    };
    let talk_hold = match transfer.kind {
        TransferKind::Blind => vec![first_talk],
        TransferKind::Consult => vec![first_talk, transfer.at - transfer.consult_from],
    };
    Answered {
        missed,
        agent,
        alert_ms,
        handling: Handling {
            talk_hold,
            wrapup_ms,
        },
        transfer: Some(transfer),
    }
}

pub(super) fn weighted<T: Copy>(rng: &mut ChaCha8Rng, choices: &[(T, u32)]) -> T {
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
