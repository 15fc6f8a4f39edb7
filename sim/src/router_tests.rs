//! The router without a socket: paths and methods of the Genesys Cloud Platform API
//! (as the official SDKs call them) to routes, and the refusals in Genesys's shape.

use bytes::Bytes;
use hyper::Method;

use super::*;
use crate::config::SimConfig;

fn parsed(method: Method, path: &str) -> Result<String, u16> {
    Route::parse(&method, path)
        .map(|route| format!("{route:?}"))
        .map_err(|error| error.reply("test").status)
}

#[test]
fn every_served_path_and_method_has_its_route() {
    let jobs = "/api/v2/analytics/conversations/details/jobs";
    for (method, path, route) in [
        (Method::POST, "/oauth/token", "Token"),
        (
            Method::POST,
            "/api/v2/analytics/conversations/aggregates/query",
            "Aggregates",
        ),
        (
            Method::POST,
            "/api/v2/analytics/conversations/details/query",
            "Details",
        ),
        (Method::POST, jobs, "JobCreate"),
        (
            Method::GET,
            &format!("{jobs}/availability"),
            "JobAvailability",
        ),
        (Method::GET, &format!("{jobs}/j-1"), "JobStatus(\"j-1\")"),
        (Method::DELETE, &format!("{jobs}/j-1"), "JobDelete(\"j-1\")"),
        (
            Method::GET,
            &format!("{jobs}/j-1/results"),
            "JobResults(\"j-1\")",
        ),
        (Method::GET, "/api/v2/routing/skills", "Skills"),
        (Method::GET, "/api/v2/routing/skills/s-1", "Skill(\"s-1\")"),
        (Method::GET, "/api/v2/routing/queues", "Queues"),
        (Method::GET, "/api/v2/routing/queues/q-1", "Queue(\"q-1\")"),
        (Method::GET, "/api/v2/routing/skillgroups", "SkillGroups"),
    ] {
        assert_eq!(
            parsed(method.clone(), path),
            Ok(route.to_owned()),
            "{method} {path}"
        );
    }
}

#[test]
fn unknown_paths_are_404_and_wrong_methods_405() {
    for path in [
        "/",
        "/oauth",
        "/api/v2",
        "/api/v1/routing/skills",
        "/api/v2/routing/skills/s-1/extra",
        "/api/v2/analytics/conversations/aggregates",
    ] {
        assert_eq!(parsed(Method::GET, path), Err(404), "{path}");
    }
    for (method, path) in [
        (Method::GET, "/oauth/token"),
        (
            Method::GET,
            "/api/v2/analytics/conversations/aggregates/query",
        ),
        (Method::POST, "/api/v2/routing/skills"),
        (
            Method::PUT,
            "/api/v2/analytics/conversations/details/jobs/j-1",
        ),
    ] {
        assert_eq!(parsed(method.clone(), path), Err(405), "{method} {path}");
    }
}

#[test]
fn each_route_needs_the_permission_genesys_documents() {
    let permission = |method, path| {
        Route::parse(&method, path)
            .map(|route| route.permission())
            .ok()
            .flatten()
    };
    assert_eq!(
        permission(
            Method::POST,
            "/api/v2/analytics/conversations/aggregates/query"
        ),
        Some("analytics:conversationAggregate:view")
    );
    assert_eq!(
        permission(
            Method::POST,
            "/api/v2/analytics/conversations/details/query"
        ),
        Some("analytics:conversationDetail:view")
    );
    assert_eq!(
        permission(Method::GET, "/api/v2/routing/queues"),
        Some("routing:queue:view")
    );
    assert_eq!(permission(Method::GET, "/api/v2/routing/skills"), None);
}

fn request(method: Method, path: &str, authorization: Option<&str>) -> Request {
    Request {
        method,
        path: path.to_owned(),
        query: Vec::new(),
        authorization: authorization.map(str::to_owned),
        body: Bytes::new(),
    }
}

#[test]
fn a_token_from_the_token_route_opens_the_others() {
    let state = State::new(SimConfig::default());
    let skills = "/api/v2/routing/skills";
    let (reply, caller) = route(&state, &request(Method::GET, skills, None), "c");
    assert_eq!(reply.status, 401);
    assert!(caller.is_none());
    let mut login = request(Method::POST, "/oauth/token", None);
    login.body = Bytes::from(format!(
        "grant_type=client_credentials&client_id={}&client_secret={}",
        crate::config::DEFAULT_CLIENT_ID,
        crate::config::DEFAULT_CLIENT_SECRET
    ));
    let (reply, caller) = route(&state, &login, "c");
    assert_eq!(reply.status, 200);
    assert_eq!(caller.and_then(|c| c.token_id), Some(1));
    let token = reply
        .body
        .and_then(|(body, _)| body["access_token"].as_str().map(str::to_owned))
        .unwrap_or_default();
    let bearer = format!("Bearer {token}");
    let (reply, caller) = route(&state, &request(Method::GET, skills, Some(&bearer)), "c");
    assert_eq!(reply.status, 200);
    assert_eq!(
        caller.map(|c| c.client_id).as_deref(),
        Some(crate::config::DEFAULT_CLIENT_ID)
    );
    let wrong = request(Method::GET, skills, Some("Bearer not-a-token"));
    assert_eq!(route(&state, &wrong, "c").0.status, 401);
}
