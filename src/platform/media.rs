//! Stored media (listing photos): bytes under a key in an object store, served at a
//! public URL.
//!
//! The store is `object_store`'s: a local directory by default (a single node, or a
//! volume the replicas share), or an S3-compatible bucket by configuration. Either way
//! this service serves the files under `/media/`; the public URL is configuration, so a
//! CDN in front of them (or of the bucket) changes nothing else.

use std::sync::Arc;

use bytes::Bytes;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use secrecy::ExposeSecret;

use super::config::{MediaSettings, S3Settings};

/// Where media is kept and where shoppers fetch it.
#[derive(Clone)]
pub struct MediaStore {
    store: Arc<dyn ObjectStore>,
    public_url: Arc<str>,
}

/// A key that is not one of ours (empty, `..`, odd characters).
#[derive(Debug, thiserror::Error)]
#[error("not a media key")]
pub struct BadKey;

impl MediaStore {
    /// The store the settings name: their bucket, or their directory (created when
    /// missing).
    pub fn open(settings: &MediaSettings) -> anyhow::Result<MediaStore> {
        let store: Arc<dyn ObjectStore> = match &settings.s3 {
            Some(s3) => Arc::new(Self::bucket(s3)?),
            None => {
                std::fs::create_dir_all(&settings.dir)?;
                Arc::new(LocalFileSystem::new_with_prefix(&settings.dir)?)
            }
        };
        Ok(MediaStore { store, public_url: settings.public_url.trim_end_matches('/').into() })
    }

    /// Requests are signed (SigV4) with the static key of the settings, not with
    /// credentials found in the environment, so what the service writes to is what
    /// its configuration says.
    fn bucket(s3: &S3Settings) -> anyhow::Result<object_store::aws::AmazonS3> {
        super::outbound::install_tls_provider();
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&s3.bucket)
            .with_region(&s3.region)
            .with_access_key_id(&s3.access_key_id)
            .with_secret_access_key(s3.secret_access_key.expose_secret())
            .with_allow_http(s3.allow_http);
        if let Some(endpoint) = &s3.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        Ok(builder.build()?)
    }

    fn path(key: &str) -> Result<Path, BadKey> {
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/');
        if key.is_empty()
            || !key.chars().all(allowed)
            || key.split('/').any(|part| part.is_empty() || part.starts_with('.'))
        {
            return Err(BadKey);
        }
        Path::parse(key).map_err(|_| BadKey)
    }

    pub async fn put(&self, key: &str, bytes: Bytes) -> anyhow::Result<()> {
        self.store.put(&Self::path(key)?, PutPayload::from(bytes)).await?;
        Ok(())
    }

    /// The bytes under `key`, `None` when there are none.
    pub async fn get(&self, key: &str) -> anyhow::Result<Option<Bytes>> {
        let path = Self::path(key)?;
        match self.store.get(&path).await {
            Ok(found) => Ok(Some(found.bytes().await?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    /// Whether `key` is a well-formed media key.
    pub fn is_key(key: &str) -> bool {
        Self::path(key).is_ok()
    }

    /// The URL shoppers fetch `key` at.
    pub fn url(&self, key: &str) -> String {
        format!("{}/{key}", self.public_url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_cannot_leave_the_store() {
        assert!(MediaStore::is_key("photos/0190f6c2/ab12/card.jpg"));
        for bad in ["", "../etc/passwd", "photos/../x", "photos//x", "/abs", "photos/.hidden", "a b", "photos/%2e%2e"] {
            assert!(!MediaStore::is_key(bad), "{bad}");
        }
    }

    #[tokio::test]
    async fn bytes_put_come_back_and_missing_ones_are_none() {
        let dir = tempfile::tempdir().unwrap();
        let settings = MediaSettings {
            dir: dir.path().to_path_buf(),
            public_url: "https://cdn.example/media/".into(),
            max_upload_bytes: 1,
            max_photos_per_listing: 1,
            s3: None,
        };
        let media = MediaStore::open(&settings).unwrap();
        media.put("photos/a/full.jpg", Bytes::from_static(b"jpeg")).await.unwrap();
        assert_eq!(media.get("photos/a/full.jpg").await.unwrap().as_deref(), Some(&b"jpeg"[..]));
        assert!(media.get("photos/b/full.jpg").await.unwrap().is_none());
        assert_eq!(media.url("photos/a/full.jpg"), "https://cdn.example/media/photos/a/full.jpg");
    }
}
