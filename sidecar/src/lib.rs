//! The genesys-aht query sidecar (placeholder).
