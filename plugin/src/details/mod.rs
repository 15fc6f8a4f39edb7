//! `source = "details"`: the sums and counts of the aggregates mode, computed from
//! conversation details, page by page.
//!
//! - [`wire`]: the few fields of a details page the computation reads.
//! - [`accumulator`]: folds pages into rows by the aggregates API's rules.
//! - [`query`]: the paged synchronous query, split below the 100 000-result cap.
//! - [`interval_cap`]: windows cut into parts whose query interval Genesys accepts.
//! - [`jobs`]: async details jobs, for windows of `details_jobs_min_window` or longer.
//! - [`job_book`]: the jobs still running, kept across polls and restarts.
//!
//! The details query selects conversations that *started* on a day the interval
//! touches, while a metric counts where it is *emitted*: each query reaches back
//! `details_lookbehind` before the window (the longest conversation to expect) and
//! keeps only the emissions inside the window.

pub mod accumulator;
pub(crate) mod interval_cap;
pub(crate) mod job_book;
pub(crate) mod jobs;
pub(crate) mod query;
pub mod wire;

use jiff::{SignedDuration, Timestamp};

use crate::config::Collect;
use crate::genesys::{Client, GenesysError};
use crate::rows::{Row, Window};
use accumulator::Accumulator;

/// The permission the details endpoints need.
pub const PERMISSION: &str = "analytics:conversationDetail:view";

/// The rows of `window`, as the aggregates query would give them.
pub(crate) async fn rows(
    client: &Client,
    settings: &Collect,
    book: &job_book::JobBook,
    window: Window,
) -> Result<Vec<Row>, GenesysError> {
    let mut acc = Accumulator::new(settings);
    for part in interval_cap::parts(settings, window) {
        // Its own accumulator: a conversation on both sides of a cut is no duplicate,
        // each part counts the emissions inside it.
        let mut part_acc = Accumulator::new(settings);
        if use_job(client, settings, part).await? {
            jobs::fold_window(client, settings, book, part, &mut part_acc).await?;
        } else {
            query::fold_window(client, settings, part, &mut part_acc).await?;
        }
        acc.merge(part_acc);
    }
    if acc.long_lived() > 0 {
        crate::warn!(
            "{} conversation(s) emitted into {} to {} more than collect.details_lookbehind \
             after they started; ones that started before the query reaches back are not \
             counted: raise details_lookbehind for media that stay open that long",
            acc.long_lived(),
            window.start,
            window.end
        );
    }
    Ok(acc.into_rows())
}

/// A job for long windows whose data the data lake already has.
async fn use_job(
    client: &Client,
    settings: &Collect,
    window: Window,
) -> Result<bool, GenesysError> {
    let long = window.end.duration_since(window.start)
        >= SignedDuration::try_from(settings.details.jobs_min_window)
            .unwrap_or(SignedDuration::MAX);
    if !long {
        return Ok(false);
    }
    let available = jobs::available_until(client).await?;
    if available < window.end {
        crate::debug!(
            "details jobs have data until {available} only: paging the query for {} to {}",
            window.start,
            window.end
        );
        return Ok(false);
    }
    Ok(true)
}

/// The interval to ask for: the window, reaching back by the longest conversation.
fn query_interval(settings: &Collect, window: Window) -> (Timestamp, Timestamp) {
    let back =
        SignedDuration::try_from(settings.details.lookbehind).unwrap_or(SignedDuration::ZERO);
    (
        window.start.checked_sub(back).unwrap_or(window.start),
        window.end,
    )
}
