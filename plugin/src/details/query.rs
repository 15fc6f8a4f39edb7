//! The synchronous details query, paged: 100 conversations a page, page numbers from
//! 1, until a page comes back with fewer than 100 conversations (or none).
//!
//! Genesys refuses to page past 100 000 results ("Pagination may not exceed 100000
//! results."). A part of the window that would pass the cap is split in halves until
//! each half fits. The halves need no deduplication between them: each keeps only the
//! emissions inside its own half, so a conversation returned by both counts each of
//! its emissions once.

use jiff::{SignedDuration, Timestamp};
use reqwest::Method;
use serde_json::json;

use super::accumulator::Accumulator;
use super::wire::QueryPage;
use super::{PERMISSION, query_interval};
use crate::config::Collect;
use crate::genesys::aggregates::iso_ms;
use crate::genesys::{Client, GenesysError};
use crate::rows::Window;

/// The endpoint.
pub(crate) const PATH: &str = "/api/v2/analytics/conversations/details/query";
/// Conversations per page: the most Genesys is known to accept.
pub(crate) const PAGE_SIZE: u64 = 100;
/// The most results Genesys pages through for one query.
pub(crate) const MAX_RESULTS: u64 = 100_000;
/// Windows are not split below this: one minute of traffic never has 100 000 conversations.
const SMALLEST_PART: SignedDuration = SignedDuration::from_mins(1);

/// Folds every conversation that can emit into `window` into `acc`.
pub(crate) async fn fold_window(
    client: &Client,
    settings: &Collect,
    window: Window,
    acc: &mut Accumulator<'_>,
) -> Result<(), GenesysError> {
    let mut parts = vec![window];
    while let Some(part) = parts.pop() {
        let mut part_acc = Accumulator::new(settings);
        match fold_part(client, settings, part, &mut part_acc).await {
            Ok(()) => acc.merge(part_acc),
            Err(Split) if part.end.duration_since(part.start) > SMALLEST_PART => {
                let middle = midpoint(part);
                crate::debug!(
                    "details for {} to {} pass the result cap: splitting at {middle}",
                    part.start,
                    part.end
                );
                parts.push(Window {
                    start: middle,
                    end: part.end,
                });
                parts.push(Window {
                    start: part.start,
                    end: middle,
                });
            }
            Err(Split) => {
                return Err(GenesysError::Decode {
                    endpoint: format!("POST {PATH}"),
                    reason: format!(
                        "more than {MAX_RESULTS} conversations around {}",
                        part.start
                    ),
                });
            }
            Err(Failed(error)) => return Err(error),
        }
    }
    Ok(())
}

/// Why a part was not folded.
enum PartError {
    /// It has more results than Genesys pages through.
    Split,
    /// The request failed.
    Failed(GenesysError),
}
use PartError::{Failed, Split};

async fn fold_part(
    client: &Client,
    settings: &Collect,
    part: Window,
    acc: &mut Accumulator<'_>,
) -> Result<(), PartError> {
    let (from, to) = query_interval(settings, part);
    for page_number in 1.. {
        if page_number * PAGE_SIZE > MAX_RESULTS {
            return Err(Split);
        }
        let body = json!({
            "interval": format!("{}/{}", iso_ms(from), iso_ms(to)),
            "order": "asc",
            "orderBy": "conversationStart",
            "paging": {"pageSize": PAGE_SIZE, "pageNumber": page_number},
        });
        let page: QueryPage = match client
            .call(Method::POST, PATH, Some(&body), PERMISSION)
            .await
        {
            Ok(page) => page,
            Err(GenesysError::Status {
                status: 400,
                reason,
                ..
            }) if reason.contains("Pagination may not exceed") => {
                return Err(Split);
            }
            Err(error) => return Err(Failed(error)),
        };
        if page_number == 1 && page.total_hits.is_some_and(|hits| hits > MAX_RESULTS) {
            return Err(Split);
        }
        let duplicates = acc.add_page(&page.conversations, part);
        if duplicates > 0 {
            crate::debug!(
                "{duplicates} conversation(s) came again on page {page_number}; counted once"
            );
        }
        // A short page is the last. `totalHits` is not trusted to stop: while the
        // interval still receives data, pages shift and the last ones move further.
        if (page.conversations.len() as u64) < PAGE_SIZE {
            break;
        }
    }
    Ok(())
}

fn midpoint(part: Window) -> Timestamp {
    let half = part.end.duration_since(part.start) / 2;
    // Whole seconds keep the intervals readable in logs and requests.
    let half = SignedDuration::from_secs(half.as_secs().max(1));
    part.start.checked_add(half).unwrap_or(part.end)
}
