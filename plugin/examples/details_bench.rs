//! How fast details mode turns pages into sums, next to its ceiling: parsing the
//! same bytes into `serde_json::Value` and nothing else. Pages of 100 conversations
//! are fetched from the simulator first and kept in memory; then each side goes over
//! all of them. The fold's peak resident memory above the stored pages is read from
//! Linux's VmHWM (reset first). One size per process, so that one run's freed memory
//! does not hide in the next one's numbers:
//!
//!     cargo build --release -p genesys-aht --example details_bench
//!     for n in 100000 200000; do target/release/examples/details_bench $n; done
//!
//! Prints one table row per size; nothing is asserted.

use std::path::Path;
use std::time::{Duration, Instant};

use genesys_aht::config::{Collect, FileConfig, Settings};
use genesys_aht::details::accumulator::Accumulator;
use genesys_aht::details::wire::QueryPage;
use genesys_aht::rows::Window;
use genesys_sim::{Clock, Sim, SimConfig};

/// A field of `/proc/self/status`, in KiB.
fn status_kib(field: &str) -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Runs `work` and returns its time and how far the resident memory peaked above
/// where it was before (Linux: writing 5 to clear_refs resets the peak, VmHWM).
fn measure(work: impl FnOnce()) -> (Duration, usize) {
    let base = status_kib("VmRSS:");
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let started = Instant::now();
    work();
    let took = started.elapsed();
    (took, status_kib("VmHWM:").saturating_sub(base))
}

const HOURS: i64 = 24;

#[tokio::main]
#[allow(clippy::print_stdout)] // the report is the program's output
async fn main() -> anyhow::Result<()> {
    let sizes: Vec<u32> = std::env::args()
        .skip(1)
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    let sizes = if sizes.is_empty() {
        vec![100_000, 200_000]
    } else {
        sizes
    };
    for size in sizes {
        let pages = fetch_pages(size).await?;
        let conversations: usize = pages.iter().map(|p| p.1).sum();
        let settings = settings()?;
        let window = Window {
            start: jiff::Timestamp::UNIX_EPOCH,
            end: jiff::Timestamp::MAX,
        };
        let mut rows = 0;
        let (fold_time, fold_peak) = measure(|| {
            let mut acc = Accumulator::new(&settings);
            for (bytes, _) in &pages {
                if let Ok(page) = serde_json::from_slice::<QueryPage>(bytes) {
                    acc.add_page(&page.conversations, window);
                }
            }
            rows = acc.into_rows().len();
        });
        // Measured second, in memory the fold already used and freed: its time is
        // fair, its peak would not be, so it is not reported.
        let (value_time, _) = measure(|| {
            for (bytes, _) in &pages {
                let value: serde_json::Value = serde_json::from_slice(bytes).unwrap_or_default();
                std::hint::black_box(&value);
            }
        });
        let rate = |d: Duration| conversations as f64 / d.as_secs_f64();
        println!(
            "| {conversations} in {} pages | {:.0} conv/s ({rows} rows) | {:.0} conv/s | {:.0} % | +{:.1} MiB |",
            pages.len(),
            rate(fold_time),
            rate(value_time),
            100.0 * value_time.as_secs_f64() / fold_time.as_secs_f64(),
            fold_peak as f64 / 1024.0,
        );
    }
    Ok(())
}

/// The plugin's settings for a skill × media type grouping of every default metric.
fn settings() -> anyhow::Result<Collect> {
    let toml = "[genesys]\napi_url = \"http://127.0.0.1:1\"\nclient_id = \"x\"\nclient_secret = \"y\"\n\
                [collect]\nsource = \"details\"\n";
    let file = FileConfig::parse(toml, Path::new("bench"))?;
    Ok(Settings::from_file(file, &|_| None)?.collect)
}

/// Every details page (bytes, conversations) of `HOURS` hours holding about `size`
/// conversations, queried in six-hour parts to stay under the result cap.
async fn fetch_pages(size: u32) -> anyhow::Result<Vec<(Vec<u8>, usize)>> {
    let now: jiff::Timestamp = "2026-03-10T00:00:00Z".parse()?;
    let sim = Sim::start(SimConfig {
        clock: Clock::Fixed(now),
        conversations_per_hour: u32::try_from(i64::from(size) / HOURS)?,
        history: Duration::from_secs(3 * 86_400),
        // Fetching the input is not what is measured: no rate limit.
        requests_per_minute: u32::MAX,
        ..SimConfig::default()
    })
    .await?;
    let http = reqwest::Client::new();
    let token: serde_json::Value = http
        .post(format!("{}/oauth/token", sim.base_url()))
        .basic_auth(
            genesys_sim::config::DEFAULT_CLIENT_ID,
            Some(genesys_sim::config::DEFAULT_CLIENT_SECRET),
        )
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await?
        .json()
        .await?;
    let token = token["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut pages = Vec::new();
    for part in 0..HOURS / 6 {
        let from = now - jiff::SignedDuration::from_hours(HOURS - part * 6);
        let to = from + jiff::SignedDuration::from_hours(6);
        for number in 1.. {
            let body = serde_json::json!({
                "interval": format!("{from}/{to}"),
                "paging": {"pageSize": 100, "pageNumber": number},
            });
            let bytes = http
                .post(format!(
                    "{}/api/v2/analytics/conversations/details/query",
                    sim.base_url()
                ))
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await?
                .error_for_status()?
                .bytes()
                .await?
                .to_vec();
            let page: QueryPage = serde_json::from_slice(&bytes)?;
            if page.conversations.is_empty() {
                break;
            }
            pages.push((bytes, page.conversations.len()));
        }
    }
    Ok(pages)
}
