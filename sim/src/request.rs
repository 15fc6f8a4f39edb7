//! [`Request`]: a parsed request, as the router and the handlers see it.

use bytes::Bytes;
use hyper::Method;

/// A parsed request, as handlers see it.
#[derive(Debug)]
pub(crate) struct Request {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) authorization: Option<String>,
    pub(crate) body: Bytes,
}

impl Request {
    /// Every value of query parameter `name`.
    pub(crate) fn params(&self, name: &str) -> Vec<&str> {
        self.query
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The first value of query parameter `name`.
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.params(name).into_iter().next()
    }
}
