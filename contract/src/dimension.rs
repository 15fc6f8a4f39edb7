//! The Genesys `groupBy` dimensions the plugin supports, and their tags.

use crate::names::tags;

/// A Genesys aggregate dimension that becomes tags on every point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dimension {
    /// `requestedRoutingSkillId`: multi-valued (a conversation can request several skills).
    RequestedRoutingSkillId,
    /// `queueId`.
    QueueId,
    /// `mediaType`.
    MediaType,
    /// `direction`.
    Direction,
}

impl Dimension {
    /// Every supported dimension.
    pub const ALL: [Dimension; 4] = [
        Dimension::RequestedRoutingSkillId,
        Dimension::QueueId,
        Dimension::MediaType,
        Dimension::Direction,
    ];

    /// The dimension's name in the Genesys API (`groupBy`, `group` keys, filters).
    pub fn genesys_name(self) -> &'static str {
        match self {
            Dimension::RequestedRoutingSkillId => "requestedRoutingSkillId",
            Dimension::QueueId => "queueId",
            Dimension::MediaType => "mediaType",
            Dimension::Direction => "direction",
        }
    }

    /// Parses a Genesys dimension name; `None` for names the plugin does not support.
    pub fn from_genesys_name(name: &str) -> Option<Dimension> {
        Dimension::ALL
            .into_iter()
            .find(|d| d.genesys_name() == name)
    }

    /// The tag holding the dimension's value (for IDs: the resolved name).
    pub fn value_tag(self) -> &'static str {
        match self {
            Dimension::RequestedRoutingSkillId => tags::SKILL,
            Dimension::QueueId => tags::QUEUE,
            Dimension::MediaType => tags::MEDIA_TYPE,
            Dimension::Direction => tags::DIRECTION,
        }
    }

    /// The tag holding the raw ID, for dimensions whose values are IDs resolved to names.
    pub fn id_tag(self) -> Option<&'static str> {
        match self {
            Dimension::RequestedRoutingSkillId => Some(tags::SKILL_ID),
            Dimension::QueueId => Some(tags::QUEUE_ID),
            Dimension::MediaType | Dimension::Direction => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for d in Dimension::ALL {
            assert_eq!(Dimension::from_genesys_name(d.genesys_name()), Some(d));
        }
        assert_eq!(Dimension::from_genesys_name("userId"), None);
    }

    #[test]
    fn every_tag_is_in_the_tag_list() {
        for d in Dimension::ALL {
            assert!(tags::ALL.contains(&d.value_tag()));
            if let Some(id) = d.id_tag() {
                assert!(tags::ALL.contains(&id));
            }
        }
    }
}
