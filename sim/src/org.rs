//! The simulated org's routing entities: skills and queues with seeded UUIDs and
//! awkward names on purpose (spaces, commas, `=`, quotes, apostrophes, non-ASCII).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Lifecycle of a routing entity, as `RoutingSkill.state` spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    Active,
    Inactive,
    Deleted,
}

impl State {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            State::Active => "active",
            State::Inactive => "inactive",
            State::Deleted => "deleted",
        }
    }
}

/// A routing entity (skill or queue) of the simulated org.
#[derive(Debug, Clone)]
pub struct Entity {
    /// UUID.
    pub id: String,
    /// Display name (awkward on purpose for some).
    pub name: String,
    /// `false` once deleted (still present in history).
    pub active: bool,
}

/// A skill or queue with its lifecycle state.
#[derive(Debug, Clone)]
pub(crate) struct Routed {
    pub(crate) id: String,
    /// The name it had when the org was made.
    pub(crate) name: String,
    pub(crate) state: State,
    /// Renames by an admin: from this instant (Unix ms) on, this name; oldest first.
    pub(crate) renamed: Vec<(i64, String)>,
}

impl Routed {
    /// The name Genesys shows at `now_ms`: a rename counts from its instant on.
    pub(crate) fn name_at(&self, now_ms: i64) -> &str {
        self.renamed
            .iter()
            .rev()
            .find(|(at, _)| *at <= now_ms)
            .map_or(self.name.as_str(), |(_, name)| name.as_str())
    }

    pub(crate) fn entity_at(&self, now_ms: i64) -> Entity {
        Entity {
            id: self.id.clone(),
            name: self.name_at(now_ms).to_owned(),
            active: self.state != State::Deleted,
        }
    }
}

const SKILLS: [(&str, State); 12] = [
    ("Tech Support", State::Active),
    ("Billing, Tier 2", State::Active),
    ("a=b", State::Active),
    ("\"VIP\" Care", State::Active),
    ("O'Brien Desk", State::Active),
    ("Français", State::Active),
    ("日本語", State::Active),
    ("Sales", State::Active),
    ("Retention (old)", State::Inactive),
    ("Spanish", State::Active),
    ("Returns & Refunds", State::Active),
    ("Legacy Escalations", State::Deleted),
];

const QUEUES: [(&str, State); 6] = [
    ("Support FR", State::Active),
    ("Billing, Tier 2", State::Active),
    ("Sales = Growth", State::Active),
    ("\"Priority\" Line", State::Active),
    ("Ünïcødé Kø", State::Active),
    ("Closed Queue", State::Deleted),
];

/// Skills or queues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoutingKind {
    /// A routing skill.
    Skill,
    /// A queue.
    Queue,
}

/// An admin renaming a skill or a queue at an instant (see [`crate::SimConfig::renames`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rename {
    /// Skill or queue.
    pub kind: RoutingKind,
    /// The name it has just before `at` (an org name, or an earlier rename's `to`).
    pub from: String,
    /// Its name from `at` on.
    pub to: String,
    /// When the admin saves the new name.
    pub at: jiff::Timestamp,
}

impl Rename {
    /// `kind` named `from` is renamed `to` at `at`.
    pub fn new(kind: RoutingKind, from: &str, to: &str, at: jiff::Timestamp) -> Rename {
        Rename {
            kind,
            from: from.to_owned(),
            to: to.to_owned(),
            at,
        }
    }
}

/// Skills and queues of the org, in a fixed order (the generator indexes into them).
#[derive(Debug, Clone)]
pub(crate) struct Org {
    pub(crate) skills: Vec<Routed>,
    pub(crate) queues: Vec<Routed>,
}

impl Org {
    /// The org of `seed`: same names for every seed, UUIDs drawn from the seed;
    /// `skill_names`, in order, replace the first skills' names; then `renames`, each
    /// applied to the entity that has its `from` name just before it.
    pub(crate) fn new(seed: u64, skill_names: &[String], renames: &[Rename]) -> Org {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6f72_675f_7369_6d31);
        let mut make = |(name, state): &(&str, State)| Routed {
            id: seeded_uuid(&mut rng),
            name: (*name).to_owned(),
            state: *state,
            renamed: Vec::new(),
        };
        let mut org = Org {
            skills: SKILLS.iter().map(&mut make).collect(),
            queues: QUEUES.iter().map(&mut make).collect(),
        };
        for (skill, name) in org.skills.iter_mut().zip(skill_names) {
            skill.name.clone_from(name);
        }
        let mut renames: Vec<&Rename> = renames.iter().collect();
        renames.sort_by_key(|r| r.at);
        for rename in renames {
            let at = rename.at.as_millisecond();
            let entities = match rename.kind {
                RoutingKind::Skill => &mut org.skills,
                RoutingKind::Queue => &mut org.queues,
            };
            if let Some(entity) = entities
                .iter_mut()
                .find(|e| e.name_at(at - 1) == rename.from)
            {
                entity.renamed.push((at, rename.to.clone()));
            }
        }
        org
    }

    /// Appends `count` active queues named `Queue 001`, ..., their IDs drawn from `seed`.
    pub(crate) fn add_queues(&mut self, seed: u64, count: u32) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6578_7472_615f_7175);
        for n in 1..=count {
            self.queues.push(Routed {
                id: seeded_uuid(&mut rng),
                name: format!("Queue {n:03}"),
                state: State::Active,
                renamed: Vec::new(),
            });
        }
    }

    pub(crate) fn skill(&self, id: &str) -> Option<&Routed> {
        self.skills.iter().find(|s| s.id == id)
    }

    pub(crate) fn queue(&self, id: &str) -> Option<&Routed> {
        self.queues.iter().find(|q| q.id == id)
    }
}

/// A version-4 UUID made of random bytes from `rng` (deterministic for a seeded `rng`).
pub(crate) fn seeded_uuid(rng: &mut impl Rng) -> String {
    let mut bytes = [0u8; 16];
    rng.fill(&mut bytes);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_ids_and_other_seed_other_ids() {
        let (a, b, c) = (
            Org::new(7, &[], &[]),
            Org::new(7, &[], &[]),
            Org::new(8, &[], &[]),
        );
        let ids = |o: &Org| o.skills.iter().map(|s| s.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&a), ids(&b));
        assert_ne!(ids(&a), ids(&c));
        assert!(a.skills.iter().any(|s| s.state == State::Deleted));
        assert!(a.queues.iter().any(|q| q.state == State::Deleted));
        assert!(uuid::Uuid::parse_str(&a.queues[0].id).is_ok());
    }

    #[test]
    fn a_rename_shows_from_its_instant_and_chains() {
        let at = |s: &str| s.parse::<jiff::Timestamp>().expect("timestamp");
        let rename =
            |from: &str, to: &str, when: &str| Rename::new(RoutingKind::Skill, from, to, at(when));
        let org = Org::new(
            7,
            &[],
            &[
                rename("Sales & More", "Sales Team", "2025-03-10T12:00:00Z"),
                rename("Sales", "Sales & More", "2025-03-10T10:00:00Z"),
                rename("No such skill", "X", "2025-03-10T10:00:00Z"),
            ],
        );
        let sales = org
            .skills
            .iter()
            .find(|s| s.name == "Sales")
            .expect("Sales");
        let ms = |s: &str| at(s).as_millisecond();
        assert_eq!(sales.name_at(ms("2025-03-10T09:59:59.999Z")), "Sales");
        assert_eq!(sales.name_at(ms("2025-03-10T10:00:00Z")), "Sales & More");
        assert_eq!(sales.name_at(ms("2025-03-10T12:00:00Z")), "Sales Team");
        let renamed = org.skills.iter().filter(|s| !s.renamed.is_empty()).count();
        assert_eq!(renamed, 1, "a rename of an unknown name changes nothing");
    }
}
