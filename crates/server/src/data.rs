//! Where the server keeps what it remembers and for how long: the data directory
//! (`--data DIR`, `data = "DIR"`, or `none` for memory only) and the `[history]` table.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Deserializer};

/// The data directory `confab serve` uses when told nothing: `./confab-data`.
pub const DEFAULT_DATA_DIR: &str = "confab-data";

/// Where accounts and history live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataSetting {
    /// A directory holding `confab.db` (SQLite), created on first start.
    Dir(PathBuf),
    /// Nothing is kept: every restart begins empty (`--data none`).
    Memory,
}

impl Default for DataSetting {
    fn default() -> Self {
        DataSetting::Dir(PathBuf::from(DEFAULT_DATA_DIR))
    }
}

impl DataSetting {
    /// A relative directory taken from `base` (a config file's directory).
    pub fn relative_to(self, base: &Path) -> DataSetting {
        match self {
            DataSetting::Dir(dir) if dir.is_relative() => DataSetting::Dir(base.join(dir)),
            other => other,
        }
    }
}

impl FromStr for DataSetting {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "" => Err("the data directory is empty: give a directory, or none".into()),
            "none" => Ok(DataSetting::Memory),
            dir => Ok(DataSetting::Dir(PathBuf::from(dir))),
        }
    }
}

impl fmt::Display for DataSetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataSetting::Dir(dir) => write!(f, "{}", dir.display()),
            DataSetting::Memory => f.write_str("none"),
        }
    }
}

impl<'de> Deserialize<'de> for DataSetting {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// What history keeps and replays (the `[history]` table).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HistoryConfig {
    /// Days a message is kept; 0 keeps them forever.
    pub keep_days: u32,
    /// Messages kept per room or conversation, the newest; 0 for no cap.
    pub max_per_target: u64,
    /// Messages of a room replayed to a `rooms` or `broadcast` user who joins it, in that
    /// protocol's ordinary form, before live ones (0: none, so the seeds' runs stay
    /// byte for byte).
    pub replay_on_join: usize,
}

impl Default for HistoryConfig {
    fn default() -> Self {
        HistoryConfig {
            keep_days: 90,
            max_per_target: 100_000,
            replay_on_join: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn none_means_memory_and_anything_else_a_directory() {
        assert_eq!("none".parse(), Ok(DataSetting::Memory));
        assert_eq!(
            "/var/lib/confab".parse(),
            Ok(DataSetting::Dir(PathBuf::from("/var/lib/confab")))
        );
        assert!("  ".parse::<DataSetting>().is_err());
        assert_eq!(
            DataSetting::default(),
            DataSetting::Dir(PathBuf::from("confab-data"))
        );
    }

    #[test]
    fn a_relative_directory_is_taken_from_the_config_files_directory() {
        let base = Path::new("/etc/confab");
        let relative = DataSetting::Dir(PathBuf::from("data"));
        assert_eq!(
            relative.relative_to(base),
            DataSetting::Dir(PathBuf::from("/etc/confab/data"))
        );
        let absolute = DataSetting::Dir(PathBuf::from("/srv/d"));
        assert_eq!(absolute.clone().relative_to(base), absolute);
        assert_eq!(DataSetting::Memory.relative_to(base), DataSetting::Memory);
    }
}
