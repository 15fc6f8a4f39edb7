//! Skill and queue names: IDs resolved through the routing listings, cached in a
//! `moka` cache so that concurrent misses share one listing (`try_get_with`).
//!
//! A poll asks once per kind. When an ID is unknown, the listing is fetched again,
//! and each ID it still lacks is looked up: a skill by `GET /routing/skills/{id}`
//! (which still answers for a deleted skill), queues by the listing's `id` filter:
//! at most one refresh per kind and poll. IDs that stay
//! unknown are remembered until the cache entry expires, so a deleted queue does not
//! cost a refresh on every poll; their points carry the ID as the name. A listing
//! that fails is an error for the caller: an ID is never written for a name that
//! Genesys only failed to send this time.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use moka::future::Cache;

use crate::genesys::routing::{Entity, Kind};
use crate::genesys::{Client, GenesysError};

/// How long a listing is trusted before it is fetched again (renames show up then).
const LISTING_TTL: Duration = Duration::from_secs(3600);

/// The names of one kind: resolved IDs, and IDs known to be unresolvable.
#[derive(Debug, Default, Clone)]
pub(crate) struct NameMap {
    by_id: HashMap<String, String>,
    unresolvable: HashSet<String>,
}

impl NameMap {
    /// The name of `id`, if known.
    pub(crate) fn get(&self, id: &str) -> Option<&str> {
        self.by_id.get(id).map(String::as_str)
    }

    pub(crate) fn from_entities(entities: impl IntoIterator<Item = Entity>) -> NameMap {
        NameMap {
            by_id: entities.into_iter().map(|e| (e.id, e.name)).collect(),
            unresolvable: HashSet::new(),
        }
    }

    fn unknown<'a>(&self, ids: &'a BTreeSet<String>) -> Vec<&'a String> {
        ids.iter()
            .filter(|id| !self.by_id.contains_key(*id) && !self.unresolvable.contains(*id))
            .collect()
    }
}

/// The cache of skill and queue names.
#[derive(Debug, Clone)]
pub(crate) struct Names {
    cache: Cache<Kind, Arc<NameMap>>,
}

impl Default for Names {
    fn default() -> Self {
        Names {
            cache: Cache::builder()
                .time_to_live(LISTING_TTL)
                .max_capacity(2)
                .build(),
        }
    }
}

impl Names {
    /// Names for `ids` of `kind`; IDs Genesys does not know (deleted, unknown) are
    /// absent from the map. A listing that fails after its retries is an error.
    pub(crate) async fn resolve(
        &self,
        client: &Client,
        kind: Kind,
        ids: &BTreeSet<String>,
    ) -> Result<Arc<NameMap>, GenesysError> {
        if ids.is_empty() {
            return Ok(Arc::default());
        }
        let fetch = async {
            client
                .list(kind, &[])
                .await
                .map(|e| Arc::new(NameMap::from_entities(e)))
        };
        let map = self
            .cache
            .try_get_with(kind, fetch)
            .await
            .map_err(Arc::unwrap_or_clone)?;
        let unknown = map.unknown(ids);
        if unknown.is_empty() {
            return Ok(map);
        }
        let fresh = Arc::new(refresh(client, kind, &unknown).await?);
        self.cache.insert(kind, fresh.clone()).await;
        Ok(fresh)
    }
}

async fn refresh(
    client: &Client,
    kind: Kind,
    unknown: &[&String],
) -> Result<NameMap, GenesysError> {
    let mut map = NameMap::from_entities(client.list(kind, &[]).await?);
    let wanted: Vec<String> = unknown
        .iter()
        .filter(|id| !map.by_id.contains_key(id.as_str()))
        .map(|id| (*id).clone())
        .collect();
    match kind {
        // What is evidenced of deleted skills: `GET /routing/skills/{id}` still
        // returns them, with `state: "deleted"`.
        Kind::Skill => {
            for id in &wanted {
                if let Some(skill) = client.get_by_id(kind, id).await? {
                    map.by_id.insert(skill.id, skill.name);
                }
            }
        }
        Kind::Queue if !wanted.is_empty() => {
            let found = client.list(kind, &wanted).await?;
            map.by_id.extend(found.into_iter().map(|e| (e.id, e.name)));
        }
        Kind::Queue => {}
    }
    map.unresolvable = wanted
        .into_iter()
        .filter(|id| !map.by_id.contains_key(id))
        .collect();
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_skips_resolved_and_unresolvable_ids() {
        let mut map = NameMap::from_entities([Entity {
            id: "a".into(),
            name: "A".into(),
        }]);
        map.unresolvable.insert("gone".into());
        let ids: BTreeSet<String> = ["a", "gone", "new"].map(String::from).into();
        assert_eq!(map.unknown(&ids), [&"new".to_owned()]);
        assert_eq!(map.get("a"), Some("A"));
        assert_eq!(map.get("new"), None);
    }
}
