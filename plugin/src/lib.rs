//! The genesys-aht Telegraf execd input (placeholder).
