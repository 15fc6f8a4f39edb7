//! `GET /api/v2/routing/skills`, `/routing/queues` (page-number envelope), their `{id}`
//! lookups and `/routing/skillgroups` (cursor envelope).
//!
//! A deleted skill is absent from every listing (the `id` filter included: nothing
//! shows that Genesys lists it there) and resolvable at `/skills/{id}` with
//! `state: "deleted"`, which is what is evidenced of Genesys. A deleted queue is absent
//! from every listing and `/queues/{id}` answers 404: a client falls back to the ID.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::api::positive;
use crate::generate::{DIVISION_ID, MEDIA};
use crate::org::{Routed, State as Lifecycle};
use crate::reply::{ApiError, Reply};
use crate::request::Request;
use crate::state::State;
use crate::targets::{settings_key, target};

const MODIFIED: &str = "2025-01-20T16:40:12.000Z";
const CREATED: &str = "2023-02-01T09:00:00.000Z";

fn division() -> Value {
    json!({ "id": DIVISION_ID, "name": "Home", "selfUri": format!("/api/v2/authorization/divisions/{DIVISION_ID}") })
}

fn skill_json(skill: &Routed, now_ms: i64) -> Value {
    json!({
        "id": skill.id,
        "name": skill.name_at(now_ms),
        "division": division(),
        "dateModified": MODIFIED,
        "state": skill.state.as_str(),
        "version": "1",
        "selfUri": format!("/api/v2/routing/skills/{}", skill.id),
    })
}

/// `mediaSettings`: per media type, the alerting timeout and the service level.
fn media_settings(index: usize) -> Value {
    let mut settings = serde_json::Map::new();
    for (media, _) in MEDIA {
        let t = target(index, media);
        settings.insert(
            settings_key(media).to_owned(),
            json!({
                "alertingTimeoutSeconds": t.alerting_timeout_secs,
                "serviceLevel": { "percentage": t.percentage, "durationMs": t.duration_ms },
            }),
        );
    }
    Value::Object(settings)
}

fn queue_json(queue: &Routed, index: usize, now_ms: i64) -> Value {
    json!({
        "id": queue.id,
        "name": queue.name_at(now_ms),
        "division": division(),
        "dateCreated": CREATED,
        "dateModified": MODIFIED,
        "memberCount": 24,
        "userMemberCount": 24,
        "joinedMemberCount": 18,
        "mediaSettings": media_settings(index),
        "acwSettings": { "wrapupPrompt": "MANDATORY_TIMEOUT", "timeoutMs": 30000 },
        "skillEvaluationMethod": "BEST",
        "selfUri": format!("/api/v2/routing/queues/{}", queue.id),
    })
}

/// `GET /api/v2/routing/skills`: `name` matches a prefix (case-insensitive), `id` repeats.
pub(crate) fn skills(state: &State, request: &Request) -> Result<Reply, ApiError> {
    let ids = request.params("id");
    let now = state.now_ms();
    let name = request.param("name").map(str::to_lowercase);
    let chosen: Vec<&Routed> = state
        .org
        .skills
        .iter()
        .filter(|s| s.state != Lifecycle::Deleted)
        .filter(|s| ids.is_empty() || ids.contains(&s.id.as_str()))
        .filter(|s| {
            name.as_ref()
                .is_none_or(|n| s.name_at(now).to_lowercase().starts_with(n.as_str()))
        })
        .collect();
    let page = listing(state, request, "/api/v2/routing/skills", &chosen, &|s| {
        skill_json(s, now)
    })?;
    Ok(Reply::ok(page, "SkillEntityListing"))
}

/// `GET /api/v2/routing/skills/{id}`, deleted skills included.
pub(crate) fn skill(state: &State, id: &str) -> Result<Reply, ApiError> {
    let skill = state.org.skill(id).ok_or_else(ApiError::not_found)?;
    Ok(Reply::ok(skill_json(skill, state.now_ms()), "RoutingSkill"))
}

/// `GET /api/v2/routing/queues`: `name` is exact (case-insensitive) or uses a leading
/// and/or trailing `*`; `id` repeats. Deleted queues are never listed.
pub(crate) fn queues(state: &State, request: &Request) -> Result<Reply, ApiError> {
    let ids = request.params("id");
    let now = state.now_ms();
    let name = request.param("name");
    let chosen: Vec<&Routed> = state
        .org
        .queues
        .iter()
        .filter(|q| q.state != Lifecycle::Deleted)
        .filter(|q| ids.is_empty() || ids.contains(&q.id.as_str()))
        .filter(|q| name.is_none_or(|n| wildcard_match(n, q.name_at(now))))
        .collect();
    let page = listing(state, request, "/api/v2/routing/queues", &chosen, &|q| {
        queue_json(q, index_of(state, q), now)
    })?;
    Ok(Reply::ok(page, "QueueEntityListing"))
}

/// `GET /api/v2/routing/queues/{id}`; 404 for a deleted queue.
pub(crate) fn queue(state: &State, id: &str) -> Result<Reply, ApiError> {
    let queue = state
        .org
        .queue(id)
        .filter(|q| q.state != Lifecycle::Deleted)
        .ok_or_else(ApiError::not_found)?;
    Ok(Reply::ok(
        queue_json(queue, index_of(state, queue), state.now_ms()),
        "Queue",
    ))
}

/// The position of `queue` in the org (which fixes its targets).
fn index_of(state: &State, queue: &Routed) -> usize {
    state
        .org
        .queues
        .iter()
        .position(|q| q.id == queue.id)
        .unwrap_or(0)
}

fn wildcard_match(pattern: &str, name: &str) -> bool {
    let (pattern, name) = (pattern.to_lowercase(), name.to_lowercase());
    let leading = pattern.starts_with('*');
    let trailing = pattern.len() > 1 && pattern.ends_with('*');
    let core = pattern.trim_matches('*');
    match (leading, trailing) {
        (true, true) => name.contains(core),
        (true, false) => name.ends_with(core),
        (false, true) => name.starts_with(core),
        (false, false) => name == core,
    }
}

/// The page-number envelope (`entities`, `pageSize`, `pageNumber`, `total`, `pageCount`, URIs).
fn listing(
    state: &State,
    request: &Request,
    base: &str,
    all: &[&Routed],
    render: &dyn Fn(&Routed) -> Value,
) -> Result<Value, ApiError> {
    let page_size = positive("pageSize", request.param("pageSize"), 25)?;
    let page_number = positive("pageNumber", request.param("pageNumber"), 1)?;
    let cap = state.config.routing_max_page_size;
    if page_size > cap {
        return Err(ApiError::bad_request(format!(
            "pageSize must be at most {cap}, got {page_size}"
        )));
    }
    let total = all.len();
    let size = page_size as usize;
    let page_count = total.div_ceil(size);
    let skip = (page_number as usize - 1).saturating_mul(size);
    let entities: Vec<Value> = all
        .iter()
        .skip(skip)
        .take(size)
        .map(|e| render(e))
        .collect();
    let filters: String = request
        .query
        .iter()
        .filter(|(k, _)| k == "id" || k == "name")
        .map(|(k, v)| {
            format!(
                "&{k}={}",
                form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()
            )
        })
        .collect();
    let uri = |n: usize| format!("{base}?pageSize={page_size}&pageNumber={n}{filters}");
    let mut page = json!({
        "entities": entities,
        "pageSize": page_size,
        "pageNumber": page_number,
        "total": total,
        "pageCount": page_count,
        "firstUri": uri(1),
        "selfUri": uri(page_number as usize),
        "lastUri": uri(page_count.max(1)),
    });
    if let Some(object) = page.as_object_mut() {
        if (page_number as usize) < page_count {
            object.insert("nextUri".to_owned(), json!(uri(page_number as usize + 1)));
        }
        if page_number > 1 {
            object.insert(
                "previousUri".to_owned(),
                json!(uri(page_number as usize - 1)),
            );
        }
    }
    Ok(page)
}

/// The skill groups of the org (defined over the skills; names awkward on purpose too).
const SKILL_GROUPS: [&str; 3] = [
    "French speakers level 3+",
    "Billing, all tiers",
    "VIP \"gold\"",
];

/// `GET /api/v2/routing/skillgroups`: cursor envelope (`entities`, `nextUri`, `selfUri`,
/// `previousUri`), cursors in `after`.
pub(crate) fn skill_groups(state: &State, request: &Request) -> Result<Reply, ApiError> {
    let page_size = positive("pageSize", request.param("pageSize"), 25)? as usize;
    let start = match request.param("after") {
        None => 0,
        Some(cursor) => decode_cursor(cursor)
            .ok_or_else(|| ApiError::bad_request(format!("invalid cursor {cursor:?}")))?,
    };
    let entities: Vec<Value> = SKILL_GROUPS
        .iter()
        .zip(state.org.skills.iter().map(|s| &s.id))
        .enumerate()
        .skip(start)
        .take(page_size)
        .map(|(i, (name, id))| {
            let id = format!("{}{i}", id.get(..35).unwrap_or(id));
            json!({ "id": id, "name": name, "division": division(), "memberCount": 8,
                    "dateCreated": CREATED, "dateModified": MODIFIED,
                    "selfUri": format!("/api/v2/routing/skillgroups/{id}") })
        })
        .collect();
    let base = "/api/v2/routing/skillgroups";
    let mut page =
        json!({ "entities": entities, "selfUri": format!("{base}?pageSize={page_size}") });
    if start.saturating_add(page_size) < SKILL_GROUPS.len()
        && let Some(object) = page.as_object_mut()
    {
        let after = URL_SAFE_NO_PAD.encode((start.saturating_add(page_size)).to_string());
        object.insert(
            "nextUri".to_owned(),
            json!(format!("{base}?pageSize={page_size}&after={after}")),
        );
    }
    Ok(Reply::ok(page, "SkillGroupEntityListing"))
}

fn decode_cursor(cursor: &str) -> Option<usize> {
    String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).ok()?)
        .ok()?
        .parse()
        .ok()
}
