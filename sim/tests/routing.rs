//! Routing listings and lookups: envelopes, paging, filters, deleted entities.
// Test code: a panic is a failed assertion (helpers too, not only #[test] bodies).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Api;
use serde_json::Value;

/// Follows `nextUri` from `first` and returns every entity and every page.
async fn all_pages(api: &Api, first: &str) -> (Vec<Value>, Vec<Value>) {
    let (mut entities, mut pages) = (Vec::new(), Vec::new());
    let mut next = Some(first.to_owned());
    while let Some(uri) = next {
        let page = api.get_ok(&uri).await;
        entities.extend(page["entities"].as_array().unwrap().iter().cloned());
        next = page["nextUri"].as_str().map(str::to_owned);
        pages.push(page);
        assert!(pages.len() < 50, "nextUri never ends");
    }
    (entities, pages)
}

#[tokio::test]
async fn skills_page_by_number_and_leave_deleted_skills_out() {
    let api = Api::start().await;
    let (entities, pages) = all_pages(&api, "/api/v2/routing/skills?pageSize=5").await;
    let listed: Vec<&str> = entities
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = api
        .sim
        .skills()
        .into_iter()
        .filter(|s| s.active)
        .map(|s| s.name)
        .collect();
    assert_eq!(listed, expected);
    assert!(
        listed.contains(&"日本語")
            && listed.contains(&"\"VIP\" Care")
            && listed.contains(&"O'Brien Desk")
    );
    assert_eq!(pages.len(), expected.len().div_ceil(5));
    let first = &pages[0];
    assert_eq!(first["total"], expected.len());
    assert_eq!(first["pageCount"], pages.len());
    assert_eq!(first["pageNumber"], 1);
    assert_eq!(
        first["firstUri"],
        "/api/v2/routing/skills?pageSize=5&pageNumber=1"
    );
    assert_eq!(
        first["lastUri"],
        format!(
            "/api/v2/routing/skills?pageSize=5&pageNumber={}",
            pages.len()
        )
    );
    assert!(first.get("previousUri").is_none());
    assert_eq!(
        pages[1]["previousUri"],
        "/api/v2/routing/skills?pageSize=5&pageNumber=1"
    );
    assert!(pages.last().unwrap().get("nextUri").is_none());
}

#[tokio::test]
async fn a_deleted_skill_resolves_by_id_only() {
    let api = Api::start().await;
    let deleted = api.sim.skills().into_iter().find(|s| !s.active).unwrap();
    let skill = api
        .get_ok(&format!("/api/v2/routing/skills/{}", deleted.id))
        .await;
    assert_eq!(skill["state"], "deleted");
    assert_eq!(skill["name"], deleted.name.as_str());
    let active = api.sim.skills().into_iter().find(|s| s.active).unwrap();
    let by_id = api
        .get_ok(&format!(
            "/api/v2/routing/skills?id={}&id={}",
            deleted.id, active.id
        ))
        .await;
    let ids: Vec<&str> = by_id["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    // Only the lookup by ID is evidenced to return a deleted skill; the listing's `id`
    // filter leaves it out like the plain listing.
    assert_eq!(ids, [active.id.as_str()]);
    api.get("/api/v2/routing/skills/00000000-0000-4000-8000-000000000000")
        .await
        .assert_error(404, "not.found");
}

#[tokio::test]
async fn skill_names_filter_by_prefix() {
    let api = Api::start().await;
    let page = api.get_ok("/api/v2/routing/skills?name=fran%C3%A7").await;
    let names: Vec<&str> = page["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Français"]);
    assert_eq!(
        page["selfUri"],
        "/api/v2/routing/skills?pageSize=25&pageNumber=1&name=fran%C3%A7"
    );
}

#[tokio::test]
async fn queues_hide_deleted_ones_and_filter_by_name() {
    let api = Api::start().await;
    let (entities, _) = all_pages(&api, "/api/v2/routing/queues?pageSize=2").await;
    let expected: Vec<String> = api
        .sim
        .queues()
        .into_iter()
        .filter(|q| q.active)
        .map(|q| q.name)
        .collect();
    let listed: Vec<&str> = entities
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(listed, expected);
    let deleted = api.sim.queues().into_iter().find(|q| !q.active).unwrap();
    api.get(&format!("/api/v2/routing/queues/{}", deleted.id))
        .await
        .assert_error(404, "not.found");
    let by_id = api
        .get_ok(&format!("/api/v2/routing/queues?id={}", deleted.id))
        .await;
    assert_eq!(by_id["total"], 0);
    let exact = api
        .get_ok("/api/v2/routing/queues?name=Billing%2C%20Tier%202")
        .await;
    assert_eq!(exact["entities"][0]["name"], "Billing, Tier 2");
    assert_eq!(exact["total"], 1);
    let wildcard = api.get_ok("/api/v2/routing/queues?name=*line").await;
    assert_eq!(wildcard["entities"][0]["name"], "\"Priority\" Line");
    let active = &expected[0];
    let id = &api.sim.queues()[0].id;
    assert_eq!(
        api.get_ok(&format!("/api/v2/routing/queues/{id}")).await["name"],
        active.as_str()
    );
}

#[tokio::test]
async fn bad_paging_parameters_are_400() {
    let api = Api::start().await;
    let over = api
        .get("/api/v2/routing/skills?pageSize=501")
        .await
        .assert_error(400, "bad.request");
    assert!(
        over["message"].as_str().unwrap().contains("at most 500"),
        "{over}"
    );
    api.get("/api/v2/routing/queues?pageNumber=0")
        .await
        .assert_error(400, "bad.request");
    api.get("/api/v2/routing/queues?pageSize=ten")
        .await
        .assert_error(400, "bad.request");
}

#[tokio::test]
async fn skill_groups_page_by_cursor() {
    let api = Api::start().await;
    let (entities, pages) = all_pages(&api, "/api/v2/routing/skillgroups?pageSize=2").await;
    assert_eq!(entities.len(), 3);
    assert_eq!(pages.len(), 2);
    assert!(pages[0].get("total").is_none() && pages[0].get("pageCount").is_none());
    api.get("/api/v2/routing/skillgroups?after=%%%")
        .await
        .assert_error(400, "bad.request");
}

/// Every listed queue states a service level and an alerting timeout per media type,
/// the ones the simulator measures `nOverSla` against, varied across queues.
#[tokio::test]
async fn queues_state_their_service_levels_per_media_type() {
    let api = Api::start().await;
    let (entities, _) = all_pages(&api, "/api/v2/routing/queues?pageSize=25").await;
    let mut voice_targets = std::collections::BTreeSet::new();
    for queue in &entities {
        let id = queue["id"].as_str().unwrap();
        for (key, media) in [
            ("call", "voice"),
            ("callback", "callback"),
            ("chat", "chat"),
            ("email", "email"),
            ("message", "message"),
        ] {
            let settings = &queue["mediaSettings"][key];
            let want = api.sim.service_level(id, media).unwrap();
            assert_eq!(settings["serviceLevel"]["durationMs"], want.duration_ms);
            assert_eq!(settings["serviceLevel"]["percentage"], want.percentage);
            assert_eq!(
                settings["alertingTimeoutSeconds"],
                want.alerting_timeout_secs
            );
            let percentage = want.percentage;
            assert!((0.0..=1.0).contains(&percentage), "{percentage}");
        }
        voice_targets.insert(queue["mediaSettings"]["call"]["serviceLevel"]["durationMs"].as_i64());
    }
    assert!(voice_targets.len() > 2, "{voice_targets:?}");
    assert!(api.sim.service_level("no such queue", "voice").is_none());
}
