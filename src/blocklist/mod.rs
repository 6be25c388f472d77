//! Abuse control: networks whose requests are refused, managed by administrators.
//!
//! The blocks live in PostgreSQL; every replica holds the active ones in memory and
//! checks each request's client address against them before anything else runs. A
//! change is recorded with a `blocklist.changed` event, which reaches every replica
//! over the event bus within the relay's poll, and every replica reloads on its own
//! every `security.blocklist_refresh_secs` besides, so a replica that missed an event
//! (Redis down) is never behind by more than that.

mod routes;
pub mod store;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};
use ipnet::IpNet;
use sqlx::PgPool;

pub use routes::{enforce, routes};

use crate::platform::events::EventBus;

/// The event a change of the blocks is recorded with.
pub const CHANGED: &str = "blocklist.changed";

/// A block in force: the network and when it lifts, if ever.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Block {
    network: IpNet,
    until: Option<DateTime<Utc>>,
}

/// The active blocks of this replica, swapped whole on each reload: a check never
/// waits for one.
#[derive(Clone, Default)]
pub struct Blocklist(Arc<ArcSwap<Vec<Block>>>);

impl Blocklist {
    /// Whether `ip` is blocked at `now`. An IPv4 address a dual-stack socket shows as
    /// IPv6 (`::ffff:a.b.c.d`) is checked as the IPv4 address it is.
    pub fn blocks(&self, ip: IpAddr, now: DateTime<Utc>) -> bool {
        let ip = ip.to_canonical();
        self.0.load().iter().any(|block| block.network.contains(&ip) && block.until.is_none_or(|until| now < until))
    }

    /// Replaces the blocks with those in force in the database.
    pub async fn reload(&self, db: &PgPool, now: DateTime<Utc>) -> sqlx::Result<usize> {
        let blocks: Vec<Block> = store::active(db, now)
            .await?
            .into_iter()
            .filter_map(|record| match record.network.parse() {
                Ok(network) => Some(Block { network, until: record.expires_at }),
                Err(_) => {
                    tracing::error!(network = %record.network, "a stored blocked network does not parse");
                    None
                }
            })
            .collect();
        let count = blocks.len();
        self.0.store(Arc::new(blocks));
        metrics::gauge!("blocked_networks").set(count as f64);
        Ok(count)
    }

    /// Keeps the blocks current: a reload on every `blocklist.changed` event and every
    /// `refresh` besides. Runs until the event bus closes.
    pub async fn keep_current(self, db: PgPool, events: EventBus, refresh: Duration) {
        use tokio::sync::broadcast::error::RecvError;
        let mut changes = events.subscribe();
        let mut tick = tokio::time::interval(refresh);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                received = changes.recv() => match received {
                    Ok(event) if event.topic != CHANGED => continue,
                    Ok(_) | Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => return,
                },
                _ = tick.tick() => {}
            }
            if let Err(error) = self.reload(&db, Utc::now()).await {
                tracing::warn!(%error, "reloading the blocked networks failed; the last ones stay in force");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(blocks: &[(&str, Option<DateTime<Utc>>)]) -> Blocklist {
        let blocks = blocks.iter().map(|(net, until)| Block { network: net.parse().unwrap(), until: *until }).collect();
        Blocklist(Arc::new(ArcSwap::from_pointee(blocks)))
    }

    #[test]
    fn an_address_in_a_blocked_network_is_blocked_until_the_block_lifts() {
        let now = Utc::now();
        let blocks = list(&[("203.0.113.0/24", None), ("2001:db8::/32", None), ("198.51.100.7/32", Some(now))]);
        assert!(blocks.blocks("203.0.113.200".parse().unwrap(), now));
        assert!(blocks.blocks("::ffff:203.0.113.9".parse().unwrap(), now), "IPv4 seen through IPv6");
        assert!(blocks.blocks("2001:db8::1".parse().unwrap(), now));
        assert!(!blocks.blocks("203.0.114.1".parse().unwrap(), now));
        assert!(blocks.blocks("198.51.100.7".parse().unwrap(), now - chrono::Duration::seconds(1)));
        assert!(!blocks.blocks("198.51.100.7".parse().unwrap(), now), "lifted at its end");
        assert!(!Blocklist::default().blocks("203.0.113.1".parse().unwrap(), now));
    }
}
