//! What a handler answers: a status, an optional JSON body and the SDK model it follows,
//! and the platform `ErrorBody` errors ([`ApiError`]).

use serde_json::{Value, json};

/// The SDK model a JSON body follows, for the contract check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// A model of `genesys-models.json`.
    Model(&'static str),
    /// The OAuth token response (no SDK model; checked against its documented fields).
    OAuthToken,
    /// An OAuth error (no SDK model; checked against its documented fields).
    OAuthError,
}

/// A handler's answer.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) body: Option<(Value, Shape)>,
    pub(crate) headers: Vec<(&'static str, String)>,
}

impl Reply {
    /// `200` with `body` following `model`.
    pub(crate) fn ok(body: Value, model: &'static str) -> Reply {
        Reply {
            status: 200,
            body: Some((body, Shape::Model(model))),
            headers: Vec::new(),
        }
    }

    /// `status` with no body.
    pub(crate) fn empty(status: u16) -> Reply {
        Reply {
            status,
            body: None,
            headers: Vec::new(),
        }
    }
}

/// A platform error, answered as an `ErrorBody`.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub(crate) status: u16,
    pub(crate) code: &'static str,
    pub(crate) message: String,
    /// `messageWithParams` and `messageParams`.
    pub(crate) params: Option<Box<(String, String, String)>>,
    /// Seconds for `Retry-After` (429 only).
    pub(crate) retry_after: Option<u64>,
}

impl ApiError {
    fn new(status: u16, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            params: None,
            retry_after: None,
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "bad.request", message)
    }

    pub(crate) fn not_found() -> ApiError {
        ApiError::new(404, "not.found", "The requested resource was not found.")
    }

    pub(crate) fn authentication_required() -> ApiError {
        ApiError::new(
            401,
            "authentication.required",
            "No authentication bearer token specified in authorization header.",
        )
    }

    pub(crate) fn bad_credentials() -> ApiError {
        ApiError::new(401, "bad.credentials", "Invalid login credentials.")
    }

    pub(crate) fn credentials_expired() -> ApiError {
        ApiError::new(
            401,
            "credentials.expired",
            "The supplied credentials are expired and cannot be used.",
        )
    }

    pub(crate) fn missing_permission(permission: &str) -> ApiError {
        let mut error = ApiError::new(
            403,
            "missing.permissions",
            "You are not authorized to perform the requested action.",
        );
        error.params = Some(Box::new((
            "You are missing the following permission(s): {permissions}".to_owned(),
            "permissions".to_owned(),
            permission.to_owned(),
        )));
        error
    }

    pub(crate) fn rate_limited(seconds: u64) -> ApiError {
        let mut error = ApiError::new(
            429,
            "too.many.requests.retry.after",
            format!("Rate limit exceeded the maximum. Retry the request in [{seconds}] seconds"),
        );
        error.retry_after = Some(seconds);
        error
    }

    /// The same error with a `Retry-After: seconds` header.
    pub(crate) fn retry_after(mut self, seconds: u64) -> ApiError {
        self.retry_after = Some(seconds);
        self
    }

    /// A 5xx as the platform answers it.
    pub(crate) fn server(status: u16) -> ApiError {
        match status {
            502 => ApiError::new(
                502,
                "bad.gateway",
                "The server received an invalid response from an upstream server.",
            ),
            503 => ApiError::new(
                503,
                "service.unavailable",
                "Service Unavailable - The server is currently unavailable (because it is overloaded or down for maintenance).",
            ),
            504 => ApiError::new(504, "request.timeout", "The request timed out."),
            _ => ApiError::new(
                500,
                "internal.server.error",
                "The server encountered an unexpected condition which prevented it from fulfilling the request.",
            ),
        }
    }

    pub(crate) fn too_large() -> ApiError {
        ApiError::new(
            413,
            "request.entity.too.large",
            "The request is over the size limit. Maximum bytes: 512000",
        )
    }

    pub(crate) fn method_not_allowed() -> ApiError {
        ApiError::new(
            405,
            "method.not.allowed",
            "The requested method is not allowed on this resource.",
        )
    }

    /// The error as a reply whose body carries `context_id`.
    pub(crate) fn reply(&self, context_id: &str) -> Reply {
        let mut body = json!({
            "message": self.message,
            "code": self.code,
            "status": self.status,
            "contextId": context_id,
            "details": [],
            "errors": [],
        });
        if let (Some(params), Some(object)) = (&self.params, body.as_object_mut()) {
            let (with_params, key, value) = params.as_ref();
            object.insert("messageWithParams".to_owned(), json!(with_params));
            object.insert("messageParams".to_owned(), json!({ key: value }));
        }
        let headers = self
            .retry_after
            .map(|s| ("Retry-After", s.to_string()))
            .into_iter()
            .collect();
        Reply {
            status: self.status,
            body: Some((body, Shape::Model("ErrorBody"))),
            headers,
        }
    }
}
