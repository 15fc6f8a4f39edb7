//! `match (method, path)`: which endpoint answers, and the permission it needs.

use hyper::Method;

use crate::api;
use crate::auth::Caller;
use crate::reply::{ApiError, Reply};
use crate::request::Request;
use crate::state::{State, lock};

const AGGREGATE_VIEW: &str = "analytics:conversationAggregate:view";
const DETAIL_VIEW: &str = "analytics:conversationDetail:view";
const OBSERVATION_VIEW: &str = "analytics:queueObservation:view";
const QUEUE_VIEW: &str = "routing:queue:view";
const SKILL_GROUP_VIEW: &str = "routing:skillGroup:view";

/// The endpoints the simulator serves.
#[derive(Debug)]
enum Route<'a> {
    Token,
    Aggregates,
    Observations,
    Details,
    JobCreate,
    JobAvailability,
    JobStatus(&'a str),
    JobResults(&'a str),
    JobDelete(&'a str),
    Skills,
    Skill(&'a str),
    Queues,
    Queue(&'a str),
    SkillGroups,
}

impl<'a> Route<'a> {
    fn parse(method: &Method, path: &'a str) -> Result<Route<'a>, ApiError> {
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let route = match segments.as_slice() {
            ["oauth", "token"] => (Method::POST, Route::Token),
            ["api", "v2", rest @ ..] => match rest {
                ["analytics", "conversations", "aggregates", "query"] => {
                    (Method::POST, Route::Aggregates)
                }
                ["analytics", "queues", "observations", "query"] => {
                    (Method::POST, Route::Observations)
                }
                ["analytics", "conversations", "details", "query"] => {
                    (Method::POST, Route::Details)
                }
                ["analytics", "conversations", "details", "jobs"] => {
                    (Method::POST, Route::JobCreate)
                }
                [
                    "analytics",
                    "conversations",
                    "details",
                    "jobs",
                    "availability",
                ] => (Method::GET, Route::JobAvailability),
                ["analytics", "conversations", "details", "jobs", id]
                    if *method == Method::DELETE =>
                {
                    (Method::DELETE, Route::JobDelete(id))
                }
                ["analytics", "conversations", "details", "jobs", id] => {
                    (Method::GET, Route::JobStatus(id))
                }
                [
                    "analytics",
                    "conversations",
                    "details",
                    "jobs",
                    id,
                    "results",
                ] => (Method::GET, Route::JobResults(id)),
                ["routing", "skills"] => (Method::GET, Route::Skills),
                ["routing", "skills", id] => (Method::GET, Route::Skill(id)),
                ["routing", "queues"] => (Method::GET, Route::Queues),
                ["routing", "queues", id] => (Method::GET, Route::Queue(id)),
                ["routing", "skillgroups"] => (Method::GET, Route::SkillGroups),
                _ => return Err(ApiError::not_found()),
            },
            _ => return Err(ApiError::not_found()),
        };
        if *method != route.0 {
            return Err(ApiError::method_not_allowed());
        }
        Ok(route.1)
    }

    fn permission(&self) -> Option<&'static str> {
        match self {
            Route::Token | Route::Skills | Route::Skill(_) => None,
            Route::Aggregates => Some(AGGREGATE_VIEW),
            Route::Observations => Some(OBSERVATION_VIEW),
            Route::Queues | Route::Queue(_) => Some(QUEUE_VIEW),
            Route::SkillGroups => Some(SKILL_GROUP_VIEW),
            _ => Some(DETAIL_VIEW),
        }
    }
}

/// Answers `request`; also returns the OAuth client and token behind it, when known.
pub(crate) fn route(state: &State, request: &Request, context_id: &str) -> (Reply, Option<Caller>) {
    let route = match Route::parse(&request.method, &request.path) {
        Ok(route) => route,
        Err(error) => return (error.reply(context_id), None),
    };
    if let Route::Token = route {
        return lock(&state.tokens).grant(request.authorization.as_deref(), &request.body);
    }
    let (caller, allowed) =
        lock(&state.tokens).authorize(request.authorization.as_deref(), route.permission());
    let answer = allowed.and_then(|()| dispatch(state, request, &route));
    (
        answer.unwrap_or_else(|error| error.reply(context_id)),
        caller,
    )
}

fn dispatch(state: &State, request: &Request, route: &Route<'_>) -> Result<Reply, ApiError> {
    match route {
        Route::Token => Err(ApiError::not_found()),
        Route::Aggregates => api::aggregates::query(state, &request.body),
        Route::Details => api::details::query(state, &request.body),
        Route::Observations => api::observations::query(state, &request.body),
        Route::JobCreate => api::jobs::create(state, &request.body),
        Route::JobAvailability => Ok(api::jobs::availability(state)),
        Route::JobStatus(id) => api::jobs::status(state, id),
        Route::JobResults(id) => api::jobs::results(state, id, request),
        Route::JobDelete(id) => api::jobs::delete(state, id),
        Route::Skills => api::routing::skills(state, request),
        Route::Skill(id) => api::routing::skill(state, id),
        Route::Queues => api::routing::queues(state, request),
        Route::Queue(id) => api::routing::queue(state, id),
        Route::SkillGroups => api::routing::skill_groups(state, request),
    }
}

#[cfg(test)]
#[path = "router_tests.rs"]
mod tests;
