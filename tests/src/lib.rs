//! Support for the cross-component tests: real peers started on loopback.
//!
//! - [`influxdb`]: a throwaway InfluxDB 1.x server (Debian's `influxd`), started on a
//!   free port with its own data directory and stopped when dropped.
//!
//! A test that needs a peer fails when the peer is missing; the project's test
//! command (`scripts/test`) installs every peer first.

pub mod influxdb;
