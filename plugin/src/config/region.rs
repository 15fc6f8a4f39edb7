//! Genesys Cloud regions and their API and login hosts.
//!
//! The 18 regions of the official SDKs (`purecloud_region_hosts.py` of the Python SDK
//! PureCloudPlatformClientV2 269.0.0; `PureCloudRegionHosts.js` of the JavaScript SDK).

/// Region name → domain; the API host is `api.<domain>`, the login host `login.<domain>`.
pub const REGIONS: [(&str, &str); 18] = [
    ("us-east-1", "mypurecloud.com"),
    ("us-east-2", "use2.us-gov-pure.cloud"),
    ("us-west-2", "usw2.pure.cloud"),
    ("ca-central-1", "cac1.pure.cloud"),
    ("sa-east-1", "sae1.pure.cloud"),
    ("mx-central-1", "mxc1.pure.cloud"),
    ("eu-west-1", "mypurecloud.ie"),
    ("eu-west-2", "euw2.pure.cloud"),
    ("eu-central-1", "mypurecloud.de"),
    ("eu-central-2", "euc2.pure.cloud"),
    ("eusc-de-east-1", "edee1.eusc-pure.cloud"),
    ("me-central-1", "mec1.pure.cloud"),
    ("ap-south-1", "aps1.pure.cloud"),
    ("ap-southeast-1", "apse1.pure.cloud"),
    ("ap-southeast-2", "mypurecloud.com.au"),
    ("ap-northeast-1", "mypurecloud.jp"),
    ("ap-northeast-2", "apne2.pure.cloud"),
    ("ap-northeast-3", "apne3.pure.cloud"),
];

/// The API base URL of a region, `None` for an unknown name.
pub fn api_url(region: &str) -> Option<String> {
    REGIONS
        .iter()
        .find(|(name, _)| *name == region)
        .map(|(_, domain)| format!("https://api.{domain}"))
}

/// Every region name, comma-separated, for error messages.
pub fn known_names() -> String {
    REGIONS.map(|(name, _)| name).join(", ")
}

/// The login URL the official SDKs derive from an API URL: `//api.` becomes
/// `//login.`; any other host (a proxy, the simulator) serves both.
pub fn login_url_for(api_url: &str) -> String {
    api_url.replacen("//api.", "//login.", 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_map_to_api_hosts() {
        assert_eq!(
            api_url("us-east-1").as_deref(),
            Some("https://api.mypurecloud.com")
        );
        assert_eq!(
            api_url("eu-central-1").as_deref(),
            Some("https://api.mypurecloud.de")
        );
        assert_eq!(api_url("mars-1"), None);
        assert_eq!(REGIONS.len(), 18);
        assert!(known_names().contains("ap-northeast-3"));
    }

    #[test]
    fn login_urls_are_derived_like_the_sdks() {
        assert_eq!(
            login_url_for("https://api.usw2.pure.cloud"),
            "https://login.usw2.pure.cloud"
        );
        assert_eq!(
            login_url_for("http://127.0.0.1:8080"),
            "http://127.0.0.1:8080"
        );
    }
}
