//! Async details jobs, for long windows (backfills): create the job (once: the
//! creation is not retried, so a lost answer cannot leave a second job behind), poll
//! its status with a growing wait until it is `FULFILLED`, read its results page by
//! page with the cursor, delete it. A job still running after a few seconds is left to
//! a later poll, which finds it in the [`JobBook`]; a failed one is deleted at once.
//!
//! Jobs read a data lake that lags behind: a window ending after
//! `dataAvailabilityDate` is not asked of a job (the caller pages the query instead),
//! so a job never claims data it cannot have.

use std::time::Duration;

use jiff::Timestamp;
use reqwest::Method;
use serde_json::json;

use super::accumulator::Accumulator;
use super::job_book::JobBook;
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

/// Folds `window` into `acc` through an async job: the one created for it by an
/// earlier poll, or a new one. A job not finished within [`WAIT_PER_POLL`] is left
/// running for a later poll ([`GenesysError::JobPending`]).
pub(crate) async fn fold_window(
    client: &Client,
    settings: &Collect,
    book: &JobBook,
    window: Window,
    acc: &mut Accumulator<'_>,
) -> Result<(), GenesysError> {
    let (from, to) = query_interval(settings, window);
    let interval = format!("{}/{}", iso_ms(from), iso_ms(to));
    let id = match book.find(&interval) {
        Some(id) => {
            crate::debug!("details job {id} for {interval}: asking again");
            id
        }
        None => {
            let body =
                json!({"interval": interval, "order": "asc", "orderBy": "conversationStart"});
            let created: JobCreated = client
                .call_once(Method::POST, PATH, Some(&body), PERMISSION)
                .await?;
            book.record(&interval, &created.job_id);
            created.job_id
        }
    };
    let job = Job { client, id };
    match job.wait_until_fulfilled().await {
        Ok(true) => {}
        Ok(false) => return Err(GenesysError::JobPending { id: job.id }),
        // Failed, cancelled or expired, or unknown to Genesys: nothing to wait for.
        Err(e @ (GenesysError::Job { .. } | GenesysError::Status { status: 404, .. })) => {
            book.delete(client, &job.id).await;
            return Err(e);
        }
        // Genesys did not answer: the job is kept, and asked for by the next poll.
        Err(e) => return Err(e),
    }
    job.fold_results(window, acc).await?;
    book.delete(client, &job.id).await;
    Ok(())
}

/// How long one poll waits for a job before leaving it to the next poll.
pub(crate) const WAIT_PER_POLL: Duration = Duration::from_secs(5);

/// A job on Genesys's side (its deletion is the [`JobBook`]'s).
struct Job<'a> {
    client: &'a Client,
    id: String,
}

impl Job<'_> {
    /// `true` once `FULFILLED`; `false` if still running after [`WAIT_PER_POLL`].
    async fn wait_until_fulfilled(&self) -> Result<bool, GenesysError> {
        let started = tokio::time::Instant::now();
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
                "FULFILLED" => return Ok(true),
                "QUEUED" | "PENDING" => {}
                state => {
                    return Err(GenesysError::Job {
                        state: state.to_owned(),
                        reason: status.error_message.unwrap_or_default(),
                    });
                }
            }
            if started.elapsed() + wait > WAIT_PER_POLL {
                return Ok(false);
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
}
