//! Async details jobs, for long windows (backfills): create the job, poll its status
//! with a growing wait until it is `FULFILLED`, read its results page by page with
//! the cursor, delete it. A job is deleted also when it fails, and when the poll is
//! dropped (a stop, the deadline) the deletion runs in the background, given a few
//! hundred milliseconds before the process exits.
//!
//! Jobs read a data lake that lags behind: a window ending after
//! `dataAvailabilityDate` is not asked of a job (the caller pages the query instead),
//! so a job never claims data it cannot have.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use jiff::Timestamp;
use reqwest::Method;
use serde_json::json;

use super::accumulator::Accumulator;
use super::wire::{Availability, JobCreated, JobPage, JobStatus};
use super::{PERMISSION, query_interval};
use crate::config::Collect;
use crate::genesys::aggregates::iso_ms;
use crate::genesys::{Client, GenesysError};
use crate::rows::Window;

/// The jobs endpoint.
pub(crate) const PATH: &str = "/api/v2/analytics/conversations/details/jobs";
/// Conversations per results page.
const RESULTS_PAGE_SIZE: u32 = 1000;
/// The first wait before asking a job's state again, and the longest.
const FIRST_WAIT: Duration = Duration::from_millis(200);
const LONGEST_WAIT: Duration = Duration::from_secs(3);

/// Until when the jobs' data is complete.
pub(crate) async fn available_until(client: &Client) -> Result<Timestamp, GenesysError> {
    let answer: Availability = client
        .call(
            Method::GET,
            &format!("{PATH}/availability"),
            None,
            PERMISSION,
        )
        .await?;
    Ok(answer.data_availability_date)
}

/// Folds `window` into `acc` through one async job.
pub(crate) async fn fold_window(
    client: &Client,
    settings: &Collect,
    window: Window,
    acc: &mut Accumulator<'_>,
) -> Result<(), GenesysError> {
    let (from, to) = query_interval(settings, window);
    let body = json!({
        "interval": format!("{}/{}", iso_ms(from), iso_ms(to)),
        "order": "asc",
        "orderBy": "conversationStart",
    });
    let created: JobCreated = client
        .call(Method::POST, PATH, Some(&body), PERMISSION)
        .await?;
    let job = Job {
        client,
        id: created.job_id,
        deleted: false,
    };
    let outcome = async {
        job.wait_until_fulfilled().await?;
        job.fold_results(window, acc).await
    }
    .await;
    job.delete().await;
    outcome
}

/// Deletions of jobs abandoned mid-way, still running in the background.
static CLEANUPS: AtomicUsize = AtomicUsize::new(0);

/// Gives background deletions of abandoned jobs up to `limit` to finish (at a stop).
pub(crate) async fn finish_cleanups(limit: Duration) {
    let _ = tokio::time::timeout(limit, async {
        while CLEANUPS.load(Ordering::SeqCst) > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
}

/// A job on Genesys's side; deleted when dropped unfinished.
struct Job<'a> {
    client: &'a Client,
    id: String,
    deleted: bool,
}

impl Job<'_> {
    async fn wait_until_fulfilled(&self) -> Result<(), GenesysError> {
        let mut wait = FIRST_WAIT;
        loop {
            let status: JobStatus = self
                .client
                .call(
                    Method::GET,
                    &format!("{PATH}/{}", self.id),
                    None,
                    PERMISSION,
                )
                .await?;
            match status.state.as_str() {
                "FULFILLED" => return Ok(()),
                "QUEUED" | "PENDING" => {}
                state => {
                    return Err(GenesysError::Job {
                        state: state.to_owned(),
                        reason: status.error_message.unwrap_or_default(),
                    });
                }
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 3 / 2).min(LONGEST_WAIT);
        }
    }

    async fn fold_results(
        &self,
        window: Window,
        acc: &mut Accumulator<'_>,
    ) -> Result<(), GenesysError> {
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("{PATH}/{}/results?pageSize={RESULTS_PAGE_SIZE}", self.id);
            if let Some(cursor) = &cursor {
                path.push_str("&cursor=");
                path.push_str(&crate::genesys::percent_encode(cursor));
            }
            let page: JobPage = self
                .client
                .call(Method::GET, &path, None, PERMISSION)
                .await?;
            acc.add_page(&page.conversations, window);
            match page.cursor {
                Some(next) => cursor = Some(next),
                None => return Ok(()),
            }
        }
    }

    async fn delete(mut self) {
        self.deleted = true;
        let path = format!("{PATH}/{}", self.id);
        if let Err(e) = self
            .client
            .call_empty(Method::DELETE, &path, PERMISSION)
            .await
        {
            crate::debug!("deleting details job {}: {e}", self.id);
        }
    }
}

impl Drop for Job<'_> {
    fn drop(&mut self) {
        if !self.deleted {
            // Dropped mid-way (an error, a stop, the deadline): cancel it in the
            // background, best effort; the process may be about to exit.
            let client = self.client.clone();
            let path = format!("{PATH}/{}", self.id);
            CLEANUPS.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let _ = client.call_empty(Method::DELETE, &path, PERMISSION).await;
                CLEANUPS.fetch_sub(1, Ordering::SeqCst);
            });
        }
    }
}
