//! [`Secret`]: the client secret and tokens, redacted whenever formatted (shared
//! with the sidecar through `genesys-aht-config`).

pub use genesys_aht_config::Secret;
