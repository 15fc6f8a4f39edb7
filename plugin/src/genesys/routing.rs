//! `GET /api/v2/routing/skills` and `/routing/queues`: every page, following `nextUri`;
//! and one entity by ID.

use serde::Deserialize;

use super::{Client, GenesysError, percent_encode};

/// Which routing listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Requested routing skills.
    Skill,
    /// Queues.
    Queue,
}

impl Kind {
    /// The listing's path.
    pub fn path(self) -> &'static str {
        match self {
            Kind::Skill => "/api/v2/routing/skills",
            Kind::Queue => "/api/v2/routing/queues",
        }
    }

    /// The permission the listing needs. Listing skills needs none; Genesys only
    /// restricts skills assigned to divisions the client cannot see.
    pub fn permission(self) -> &'static str {
        match self {
            Kind::Skill => "view access to the skills' divisions",
            Kind::Queue => "routing:queue:view",
        }
    }
}

/// One entity: ID and display name.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Entity {
    /// UUID.
    pub id: String,
    /// Display name.
    pub name: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page {
    #[serde(default)]
    entities: Vec<Entity>,
    next_uri: Option<String>,
}

/// Page size asked for: 100 is the size every peer uses safely.
const PAGE_SIZE: u32 = 100;
/// A guard against a server whose `nextUri` never ends.
const MAX_PAGES: usize = 1000;

impl Client {
    /// Every entity of `kind`; with `ids`, only those (Genesys then also lists deleted skills).
    pub async fn list(&self, kind: Kind, ids: &[String]) -> Result<Vec<Entity>, GenesysError> {
        let mut uri = format!("{}?pageSize={PAGE_SIZE}&pageNumber=1", kind.path());
        for id in ids {
            uri.push_str("&id=");
            uri.push_str(&percent_encode(id));
        }
        let mut all = Vec::new();
        for _ in 0..MAX_PAGES {
            let page: Page = self
                .call(reqwest::Method::GET, &uri, None, kind.permission())
                .await?;
            all.extend(page.entities);
            match page.next_uri.filter(|next| !next.is_empty()) {
                // `nextUri` is a path with its query, relative to the API host.
                Some(next) if next.starts_with('/') && next != uri => uri = next,
                _ => return Ok(all),
            }
        }
        Ok(all)
    }
}

impl Client {
    /// One entity by ID (`GET {path}/{id}`), `None` when Genesys answers 404. A deleted
    /// skill is still found this way, with `state: "deleted"`.
    pub async fn get_by_id(&self, kind: Kind, id: &str) -> Result<Option<Entity>, GenesysError> {
        let path = format!("{}/{}", kind.path(), percent_encode(id));
        match self
            .call(reqwest::Method::GET, &path, None, kind.permission())
            .await
        {
            Ok(entity) => Ok(Some(entity)),
            Err(GenesysError::Status { status: 404, .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_parse_with_and_without_next() {
        let page: Page = serde_json::from_str(
            r#"{"entities": [{"id": "a", "name": "French", "state": "active"}],
                "pageSize": 1, "pageNumber": 1, "nextUri": "/api/v2/routing/skills?pageSize=1&pageNumber=2"}"#,
        )
        .expect("page");
        assert_eq!(page.entities[0].name, "French");
        assert_eq!(
            page.next_uri.as_deref(),
            Some("/api/v2/routing/skills?pageSize=1&pageNumber=2")
        );
        let last: Page =
            serde_json::from_str(r#"{"entities": [], "pageNumber": 2}"#).expect("last");
        assert!(last.next_uri.is_none());
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(percent_encode("ab-9"), "ab-9");
        assert_eq!(percent_encode("a&b c"), "a%26b%20c");
    }
}
