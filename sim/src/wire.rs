//! Response bodies on the wire: whole JSON bodies, and bodies cut short of their
//! `Content-Length` for fault injection.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::Response;
use hyper::body::{Body, Frame};

/// The body type of every response.
pub(crate) type ResponseBody = BoxBody<Bytes, std::io::Error>;

/// A JSON response with `bytes` as its body and the correlation id header.
pub(crate) fn raw(status: u16, bytes: Bytes, context_id: &str) -> Response<ResponseBody> {
    let body = Full::new(bytes)
        .map_err(|never: Infallible| match never {})
        .boxed();
    let mut response = Response::new(body);
    *response.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(
        "content-type",
        hyper::header::HeaderValue::from_static("application/json"),
    );
    if let Ok(value) = context_id.parse() {
        headers.insert("inin-correlation-id", value);
    }
    response
}

/// `response` with its full `Content-Length` but only the first half of its body.
pub(crate) fn truncate(response: Response<ResponseBody>) -> Response<ResponseBody> {
    let (mut parts, body) = response.into_parts();
    let length = body.size_hint().exact().unwrap_or(0).max(2);
    parts
        .headers
        .insert(hyper::header::CONTENT_LENGTH, length.into());
    let body = Truncated {
        body: Some(body),
        sent: 0,
        limit: length / 2,
        pause: None,
    };
    Response::from_parts(parts, BoxBody::new(body))
}

/// A body that stops after `limit` bytes and then fails, so hyper closes the connection.
/// It pauses before failing: hyper flushes what it has while the body is pending, and
/// would otherwise discard the head and the partial body along with the connection.
struct Truncated {
    body: Option<ResponseBody>,
    sent: u64,
    limit: u64,
    pause: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Body for Truncated {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        if self.sent >= self.limit {
            self.body = None;
            let pause = self
                .pause
                .get_or_insert_with(|| Box::pin(tokio::time::sleep(Duration::from_millis(100))));
            return match pause.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Some(Err(std::io::Error::other(
                    "body truncated by fault injection",
                )))),
                Poll::Pending => Poll::Pending,
            };
        }
        let Some(body) = self.body.as_mut() else {
            self.sent = self.limit;
            return self.poll_frame(cx);
        };
        match Pin::new(body).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                Ok(mut data) => {
                    let room = usize::try_from(self.limit - self.sent).unwrap_or(usize::MAX);
                    data.truncate(room);
                    self.sent += data.len() as u64;
                    Poll::Ready(Some(Ok(Frame::data(data))))
                }
                Err(_) => Poll::Ready(None),
            },
            Poll::Ready(_) => {
                self.sent = self.limit;
                self.poll_frame(cx)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}
