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
    pub(crate) name: String,
    pub(crate) state: State,
}

impl Routed {
    pub(crate) fn entity(&self) -> Entity {
        Entity {
            id: self.id.clone(),
            name: self.name.clone(),
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

/// Skills and queues of the org, in a fixed order (the generator indexes into them).
#[derive(Debug, Clone)]
pub(crate) struct Org {
    pub(crate) skills: Vec<Routed>,
    pub(crate) queues: Vec<Routed>,
}

impl Org {
    /// The org of `seed`: same names for every seed, UUIDs drawn from the seed;
    /// `skill_names`, in order, replace the first skills' names.
    pub(crate) fn new(seed: u64, skill_names: &[String]) -> Org {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6f72_675f_7369_6d31);
        let mut make = |(name, state): &(&str, State)| Routed {
            id: seeded_uuid(&mut rng),
            name: (*name).to_owned(),
            state: *state,
        };
        let mut skills: Vec<Routed> = SKILLS.iter().map(&mut make).collect();
        let queues = QUEUES.iter().map(&mut make).collect();
        for (skill, name) in skills.iter_mut().zip(skill_names) {
            skill.name.clone_from(name);
        }
        Org { skills, queues }
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
        let (a, b, c) = (Org::new(7, &[]), Org::new(7, &[]), Org::new(8, &[]));
        let ids = |o: &Org| o.skills.iter().map(|s| s.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&a), ids(&b));
        assert_ne!(ids(&a), ids(&c));
        assert!(a.skills.iter().any(|s| s.state == State::Deleted));
        assert!(a.queues.iter().any(|q| q.state == State::Deleted));
        assert!(uuid::Uuid::parse_str(&a.queues[0].id).is_ok());
    }
}
