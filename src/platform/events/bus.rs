//! The event bus of one process: what the relay publishes reaches every replica's bus
//! through a Redis channel (or directly, without Redis), and each bus hands it to its
//! local subscribers once, whatever number of times it arrived.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use redis::aio::ConnectionManager;
use tokio::sync::broadcast;

use super::StoredEvent;

/// Events a bus remembers having delivered, to drop the ones published again.
const REMEMBERED: usize = 4096;
/// Events a slow local subscriber may fall behind before it misses some.
const BACKLOG: usize = 1024;

/// This process's bus; clones share it.
#[derive(Clone)]
pub struct EventBus {
    sender: broadcast::Sender<Arc<StoredEvent>>,
    seen: Arc<Mutex<Seen>>,
    /// Where replicas meet, when there is Redis.
    redis: Option<SharedChannel>,
}

#[derive(Clone)]
struct SharedChannel {
    /// Publishes; reconnects on its own.
    connection: ConnectionManager,
    /// Subscribes: a subscription needs a connection of its own.
    client: redis::Client,
    channel: String,
}

#[derive(Default)]
struct Seen {
    order: VecDeque<i64>,
    ids: HashSet<i64>,
}

impl Seen {
    /// True the first time `id` comes.
    fn first(&mut self, id: i64) -> bool {
        if !self.ids.insert(id) {
            return false;
        }
        self.order.push_back(id);
        if self.order.len() > REMEMBERED
            && let Some(old) = self.order.pop_front()
        {
            self.ids.remove(&old);
        }
        true
    }
}

impl EventBus {
    /// A bus of this process alone.
    pub fn local() -> EventBus {
        let (sender, _) = broadcast::channel(BACKLOG);
        EventBus { sender, seen: Arc::default(), redis: None }
    }

    /// A bus joined to the other replicas' through `channel` on Redis at `url`,
    /// publishing on `connection`.
    pub fn shared(connection: ConnectionManager, url: &str, channel: String) -> anyhow::Result<EventBus> {
        let client = redis::Client::open(url)?;
        Ok(EventBus { redis: Some(SharedChannel { connection, client, channel }), ..EventBus::local() })
    }

    /// Events from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<StoredEvent>> {
        self.sender.subscribe()
    }

    /// Sends `events` to every replica's bus: on Redis when there is one, else here.
    pub(super) async fn publish(&self, events: &[StoredEvent]) -> anyhow::Result<()> {
        match &self.redis {
            Some(shared) => {
                let mut connection = shared.connection.clone();
                let mut pipeline = redis::pipe();
                for event in events {
                    pipeline.cmd("PUBLISH").arg(&shared.channel).arg(serde_json::to_string(event)?).ignore();
                }
                let () = pipeline.query_async(&mut connection).await?;
            }
            None => events.iter().for_each(|event| self.deliver(event.clone())),
        }
        Ok(())
    }

    fn deliver(&self, event: StoredEvent) {
        let first = self.seen.lock().unwrap_or_else(|e| e.into_inner()).first(event.id);
        if first {
            metrics::counter!("events_received_total").increment(1);
            // No receiver is not an error: nobody here listens for events right now.
            let _ = self.sender.send(Arc::new(event));
        }
    }

    /// Listens on the replicas' channel for as long as the process runs, reconnecting
    /// after a failure. Without Redis there is nothing to listen to.
    pub async fn listen(self) {
        let Some(shared) = self.redis.clone() else { return };
        loop {
            if let Err(error) = self.listen_once(&shared.client, &shared.channel).await {
                tracing::warn!(%error, "event bus: Redis subscription lost; reconnecting");
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    async fn listen_once(&self, client: &redis::Client, channel: &str) -> anyhow::Result<()> {
        let mut pubsub = client.get_async_pubsub().await?;
        pubsub.subscribe(channel).await?;
        let mut messages = pubsub.on_message();
        while let Some(message) = messages.next().await {
            let payload: String = message.get_payload()?;
            match serde_json::from_str::<StoredEvent>(&payload) {
                Ok(event) => self.deliver(event),
                Err(error) => tracing::warn!(%error, "event bus: a message that is not an event"),
            }
        }
        anyhow::bail!("the subscription ended")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: i64) -> StoredEvent {
        StoredEvent {
            id,
            topic: "order.paid".into(),
            subject_id: uuid::Uuid::nil(),
            payload: serde_json::json!({}),
            occurred_at: chrono::Utc::now(),
        }
    }

    #[tokio::test]
    async fn an_event_published_twice_is_delivered_once() {
        let bus = EventBus::local();
        let mut received = bus.subscribe();
        bus.publish(&[event(1), event(2)]).await.unwrap();
        bus.publish(&[event(2), event(3)]).await.unwrap();
        let ids: Vec<i64> = std::iter::from_fn(|| received.try_recv().ok()).map(|e| e.id).collect();
        assert_eq!(ids, [1, 2, 3]);
    }

    #[test]
    fn the_memory_of_delivered_events_is_bounded() {
        let mut seen = Seen::default();
        for id in 0..(REMEMBERED as i64 + 10) {
            assert!(seen.first(id));
        }
        assert_eq!(seen.ids.len(), REMEMBERED);
        assert!(seen.first(0), "the oldest are forgotten");
        assert!(!seen.first(REMEMBERED as i64 + 9));
    }
}
