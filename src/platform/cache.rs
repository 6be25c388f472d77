//! A two-layer read cache for what many shoppers read and rarely changes (a listing's
//! page): in process (moka) over Redis, cache-aside.
//!
//! Entries are the serialized JSON answers, so a hit costs neither a query nor a
//! serialization. A miss in process asks Redis, a miss there loads from the database
//! and fills both layers. Whoever changes the data evicts the entry from both layers
//! (each replica's index tail does it for listings, so every replica drops its own
//! copy); the time to live bounds what a lost race can leave behind: a load that read
//! the old row just before the change committed and stored it just after the eviction.
//!
//! Redis is an accelerator, never a dependency: when it is down or slow the cache
//! works in process only (the shared store's breaker answers at once).

use std::time::Duration;

use bytes::Bytes;
use serde::Serialize;

use super::redis::SharedStore;

/// How big and how fresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheLimits {
    /// Entries kept in process at most.
    pub local_capacity: u64,
    /// Time to live in process.
    pub local_ttl: Duration,
    /// Time to live in Redis.
    pub shared_ttl: Duration,
}

/// The cache of one kind of entry (`listing`); clones share it.
#[derive(Clone)]
pub struct ReadCache {
    kind: &'static str,
    local: moka::sync::Cache<String, Bytes>,
    shared: Option<SharedStore>,
    shared_ttl_secs: u64,
}

/// Where an answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Memory,
    Redis,
    Loaded,
}

impl Source {
    /// How an answer's `X-Cache` header names it.
    pub fn served_from(self) -> &'static str {
        match self {
            Source::Memory => "memory",
            Source::Redis => "redis",
            Source::Loaded => "miss",
        }
    }
}

impl ReadCache {
    pub fn new(kind: &'static str, shared: Option<SharedStore>, limits: CacheLimits) -> ReadCache {
        let local =
            moka::sync::Cache::builder().max_capacity(limits.local_capacity).time_to_live(limits.local_ttl).build();
        ReadCache { kind, local, shared, shared_ttl_secs: limits.shared_ttl.as_secs().max(1) }
    }

    fn shared_key(&self, shared: &SharedStore, id: &str) -> String {
        shared.key(&format!("cache:{}:{id}", self.kind))
    }

    /// The entry for `id`, or what `load` returns, serialized and kept; `Ok(None)`
    /// (nothing there) is not kept.
    pub async fn get_or_load<T, E, F, Fut>(&self, id: &str, load: F) -> Result<Option<(Bytes, Source)>, E>
    where
        T: Serialize,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Option<T>, E>>,
    {
        if let Some(hit) = self.local.get(id) {
            self.count_hit("memory");
            return Ok(Some((hit, Source::Memory)));
        }
        if let Some(shared) = &self.shared {
            let key = self.shared_key(shared, id);
            if let Ok(Some(hit)) = shared.query::<Option<Vec<u8>>>(redis::cmd("GET").arg(&key)).await {
                let hit = Bytes::from(hit);
                self.local.insert(id.to_string(), hit.clone());
                self.count_hit("redis");
                return Ok(Some((hit, Source::Redis)));
            }
        }
        metrics::counter!("cache_misses_total", "cache" => self.kind).increment(1);
        let Some(value) = load().await? else {
            return Ok(None);
        };
        let body = match serde_json::to_vec(&value) {
            Ok(body) => Bytes::from(body),
            // A value that does not serialize is a bug of its type; answer it
            // uncached rather than fail the read.
            Err(error) => {
                tracing::error!(%error, cache = self.kind, "an entry did not serialize");
                return Ok(None);
            }
        };
        self.local.insert(id.to_string(), body.clone());
        if let Some(shared) = &self.shared {
            let key = self.shared_key(shared, id);
            let set = redis::cmd("SET").arg(&key).arg(body.as_ref()).arg("EX").arg(self.shared_ttl_secs).clone();
            let _ = shared.query::<()>(&set).await;
        }
        Ok(Some((body, Source::Loaded)))
    }

    fn count_hit(&self, layer: &'static str) {
        metrics::counter!("cache_hits_total", "cache" => self.kind, "layer" => layer).increment(1);
    }

    /// Drops the entries of `ids` from both layers.
    pub async fn evict<K: ToString>(&self, ids: &[K]) {
        let ids: Vec<String> = ids.iter().map(K::to_string).collect();
        for id in &ids {
            self.local.invalidate(id);
        }
        if let Some(shared) = &self.shared
            && !ids.is_empty()
        {
            let mut del = redis::cmd("DEL");
            for id in &ids {
                del.arg(self.shared_key(shared, id));
            }
            if let Err(error) = shared.query::<i64>(&del).await {
                tracing::warn!(%error, cache = self.kind, "evicting from Redis failed; entries expire on their own");
            }
            metrics::counter!("cache_evictions_total", "cache" => self.kind).increment(ids.len() as u64);
        }
    }

    /// Drops every entry kept in process (after the index was rebuilt, when what
    /// changed is not known); Redis's entries expire on their own.
    pub fn clear_local(&self) {
        self.local.invalidate_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> CacheLimits {
        CacheLimits { local_capacity: 100, local_ttl: Duration::from_secs(60), shared_ttl: Duration::from_secs(60) }
    }

    #[tokio::test]
    async fn a_second_read_is_served_from_memory_until_evicted() {
        let cache = ReadCache::new("test", None, limits());
        let loads = std::sync::atomic::AtomicUsize::new(0);
        let load = || async {
            loads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok::<_, ()>(Some(serde_json::json!({"title": "فلتر زيت"})))
        };
        let (first, source) = cache.get_or_load("a", load).await.unwrap().unwrap();
        assert_eq!(source, Source::Loaded);
        let (second, source) = cache.get_or_load("a", load).await.unwrap().unwrap();
        assert_eq!((source, &second), (Source::Memory, &first));
        cache.evict(&["a".to_string()]).await;
        let (_, source) = cache.get_or_load("a", load).await.unwrap().unwrap();
        assert_eq!(source, Source::Loaded);
        assert_eq!(loads.load(std::sync::atomic::Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn nothing_found_is_not_kept() {
        let cache = ReadCache::new("test", None, limits());
        let none = cache.get_or_load("gone", || async { Ok::<Option<u8>, ()>(None) }).await.unwrap();
        assert!(none.is_none());
        let loaded = cache.get_or_load("gone", || async { Ok::<_, ()>(Some(1)) }).await.unwrap().unwrap();
        assert_eq!(loaded.1, Source::Loaded);
    }
}
