//! The plugin's configuration file for a test, built key by key ([`PluginConfig`]):
//! the plugin's own tests and the end-to-end tests write it in one way.

use std::path::{Path, PathBuf};

use genesys_aht_contract::Dimension;

/// The plugin configuration of a test, built key by key: the one place that writes
/// the TOML. It starts at `api_url` with the simulator's default client; each
/// setter adds or replaces a key of its section, the value in TOML's types
/// (`"15m"`, `8`, `true`, `vec!["queueId"]`).
#[derive(Debug, Clone)]
pub struct PluginConfig {
    sections: [(&'static str, Vec<(String, toml::Value)>); 4],
}

impl PluginConfig {
    /// For the API at `api_url`, with the simulator's default client.
    pub fn new(api_url: &str) -> PluginConfig {
        let config = PluginConfig {
            sections: [
                ("genesys", Vec::new()),
                ("collect", Vec::new()),
                ("execd", Vec::new()),
                ("observations", Vec::new()),
            ],
        };
        config
            .genesys("api_url", api_url)
            .genesys("client_id", "sim-client")
            .genesys("client_secret", "sim-secret")
    }

    /// Sets `key` of `[genesys]`.
    pub fn genesys(self, key: &str, value: impl Into<toml::Value>) -> PluginConfig {
        self.set(0, key, value.into())
    }

    /// Sets `key` of `[collect]`.
    pub fn collect(self, key: &str, value: impl Into<toml::Value>) -> PluginConfig {
        self.set(1, key, value.into())
    }

    /// Sets `key` of `[execd]`.
    pub fn execd(self, key: &str, value: impl Into<toml::Value>) -> PluginConfig {
        self.set(2, key, value.into())
    }

    /// Sets `key` of `[observations]`.
    pub fn observations(self, key: &str, value: impl Into<toml::Value>) -> PluginConfig {
        self.set(3, key, value.into())
    }

    /// `collect.group_by` as Genesys names the dimensions.
    pub fn group_by(self, dimensions: &[Dimension]) -> PluginConfig {
        let names: Vec<&str> = dimensions.iter().map(|d| d.genesys_name()).collect();
        self.collect("group_by", names)
    }

    /// Leaves `key` of `[genesys]` out.
    pub fn without_genesys(mut self, key: &str) -> PluginConfig {
        self.sections[0].1.retain(|(k, _)| k != key);
        self
    }

    fn set(mut self, section: usize, key: &str, value: toml::Value) -> PluginConfig {
        let keys = &mut self.sections[section].1;
        keys.retain(|(k, _)| k != key);
        keys.push((key.to_owned(), value));
        self
    }

    /// The file's text.
    pub fn toml(&self) -> String {
        let mut text = String::new();
        for (name, keys) in &self.sections {
            text.push_str(&format!("[{name}]\n"));
            for (key, value) in keys {
                text.push_str(&format!("{key} = {value}\n"));
            }
        }
        text
    }

    /// Writes `plugin.toml` in `dir`; returns its path.
    pub fn write(&self, dir: &tempfile::TempDir) -> PathBuf {
        self.write_to(&dir.path().join("plugin.toml"))
    }

    /// Writes the file at `path`; returns it.
    pub fn write_to(&self, path: &Path) -> PathBuf {
        std::fs::write(path, self.toml()).expect("config written");
        path.to_owned()
    }
}
