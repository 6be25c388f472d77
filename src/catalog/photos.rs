//! Listing photos: a seller uploads one (JPEG, PNG or WebP, recognised by its bytes,
//! whatever the request claims), the original is stored, and a job makes the sizes
//! shoppers see. A photo shows on the listing, and in search, once its sizes exist.

use std::io::Cursor;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, RgbImage};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;

use super::error::CatalogError;
use super::store;
use crate::platform::config::MediaSettings;
use crate::platform::jobs::{self, Job, JobFailure, JobHandler, NewJob};
use crate::platform::media::MediaStore;

pub const SIZES_JOB: &str = "catalog.photo_sizes";

/// Longest side of each size, in pixels; a photo is never enlarged.
pub const SIZES: [(&str, u32); 3] = [("thumbnail", 160), ("card", 480), ("full", 1280)];
/// The smallest photo worth showing, on its shorter side.
const MIN_SIDE: u32 = 100;
/// The largest side and area decoded: beyond them a small file can ask for gigabytes
/// of memory (a decompression bomb).
const MAX_SIDE: u32 = 12_000;
const MAX_PIXELS: u64 = 50_000_000;
/// JPEG quality of the sizes: indistinguishable on a phone, a third of the bytes of 95.
const JPEG_QUALITY: u8 = 82;
/// Attempts at making a photo's sizes: a failure is the store (worth retrying) or the
/// photo itself (dead at once), so a few are enough.
const SIZES_ATTEMPTS: u32 = 5;

/// A photo as its seller sees it.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct PhotoView {
    pub id: Uuid,
    /// Order among the listing's photos, from 0.
    pub position: i32,
    /// `processing`, `ready` or `failed`.
    pub status: String,
    /// `jpeg`, `png` or `webp`, as found in the file.
    pub format: String,
    pub width: i32,
    pub height: i32,
    /// The sizes' URLs once ready: `thumbnail`, `card`, `full`.
    #[schema(value_type = Option<Object>)]
    pub sizes: Option<serde_json::Value>,
    /// Why the sizes could not be made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// What the bytes of an upload turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inspected {
    pub format: &'static str,
    pub width: u32,
    pub height: u32,
}

/// Recognises a JPEG, PNG or WebP by its bytes and reads its dimensions from its
/// header, without decoding the picture.
pub fn inspect(bytes: &[u8]) -> Result<Inspected, CatalogError> {
    let not_an_image = || CatalogError::invalid("body", "is not a JPEG, PNG or WebP image");
    let format = match image::guess_format(bytes).map_err(|_| not_an_image())? {
        ImageFormat::Jpeg => "jpeg",
        ImageFormat::Png => "png",
        ImageFormat::WebP => "webp",
        _ => return Err(not_an_image()),
    };
    let reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|_| not_an_image())?;
    let (width, height) = reader.into_dimensions().map_err(|_| not_an_image())?;
    if width.min(height) < MIN_SIDE {
        return Err(CatalogError::invalid(
            "body",
            format!("is {width}×{height}; photos are at least {MIN_SIDE} pixels on each side"),
        ));
    }
    if width.max(height) > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(CatalogError::invalid(
            "body",
            format!(
                "is {width}×{height}; photos are at most {MAX_SIDE} pixels on a side and {MAX_PIXELS} pixels in all"
            ),
        ));
    }
    Ok(Inspected { format, width, height })
}

/// Stores an uploaded photo of the seller's listing `sku` and queues its sizes.
pub async fn upload(
    db: &PgPool,
    media: &MediaStore,
    settings: &MediaSettings,
    seller_id: Uuid,
    sku: &str,
    bytes: Bytes,
    now: DateTime<Utc>,
) -> Result<PhotoView, CatalogError> {
    let inspected = inspect(&bytes)?;
    let listing_id = store::photos::listing_of(db, seller_id, sku).await?.ok_or(CatalogError::NotFound("listing"))?;
    let id = Uuid::now_v7();
    let original_key = format!("photos/{listing_id}/{id}/original.{}", inspected.format);
    // Stored before the row exists: a failed insert leaves an unreferenced file,
    // never a row whose file is missing.
    media.put(&original_key, bytes.clone()).await?;
    let mut tx = db.begin().await?;
    let count = store::photos::lock_and_count(&mut tx, listing_id).await?;
    if count >= i64::from(settings.max_photos_per_listing) {
        return Err(CatalogError::TooManyPhotos { limit: settings.max_photos_per_listing });
    }
    let new = store::photos::NewPhoto {
        id,
        listing_id,
        original_key: &original_key,
        format: inspected.format,
        width: i32::try_from(inspected.width).map_err(anyhow::Error::from)?,
        height: i32::try_from(inspected.height).map_err(anyhow::Error::from)?,
        bytes: i32::try_from(bytes.len()).map_err(anyhow::Error::from)?,
        now,
    };
    let photo = store::photos::insert(&mut tx, &new).await?;
    let job = NewJob {
        kind: SIZES_JOB,
        payload: serde_json::json!({ "photo_id": id }),
        dedupe_key: Some(format!("photo:{id}")),
    };
    jobs::enqueue(&mut tx, &job, SIZES_ATTEMPTS).await?;
    tx.commit().await?;
    metrics::counter!("photos_uploaded_total").increment(1);
    Ok(photo)
}

/// The photos of the seller's listing `sku`, in order.
pub async fn of_listing(db: &PgPool, seller_id: Uuid, sku: &str) -> Result<Vec<PhotoView>, CatalogError> {
    let listing_id = store::photos::listing_of(db, seller_id, sku).await?.ok_or(CatalogError::NotFound("listing"))?;
    Ok(store::photos::of_listing(db, listing_id).await?)
}

/// The size of `image` whose longest side is at most `longest`, the aspect kept.
fn fit(image: &DynamicImage, longest: u32) -> DynamicImage {
    if image.width().max(image.height()) <= longest {
        image.clone()
    } else {
        image.resize(longest, longest, image::imageops::FilterType::Triangle)
    }
}

/// The picture on white: JPEG has no transparency, and a transparent PNG's hidden
/// pixels are often black.
fn on_white(image: &DynamicImage) -> RgbImage {
    let rgba = image.to_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let blend = |c: u8| ((u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a))) / 255) as u8;
        image::Rgb([blend(r), blend(g), blend(b)])
    })
}

/// Decodes `original` (within the limits), turns it the way the camera said it was
/// held (phones store portrait photos sideways with an EXIF orientation), and encodes
/// each size as JPEG.
pub fn make_sizes(original: &[u8]) -> Result<Vec<(&'static str, Vec<u8>)>, String> {
    let mut reader = ImageReader::new(Cursor::new(original)).with_guessed_format().map_err(|e| e.to_string())?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_PIXELS * 4 + (64 << 20));
    reader.limits(limits);
    let undecodable = |e: image::ImageError| format!("the photo does not decode: {e}");
    let mut decoder = reader.into_decoder().map_err(undecodable)?;
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(undecodable)?;
    image.apply_orientation(orientation);
    SIZES
        .iter()
        .map(|&(name, longest)| {
            let sized = on_white(&fit(&image, longest));
            let mut encoded = Vec::new();
            JpegEncoder::new_with_quality(&mut encoded, JPEG_QUALITY)
                .encode_image(&sized)
                .map_err(|e| e.to_string())?;
            Ok((name, encoded))
        })
        .collect()
}

#[derive(Deserialize)]
struct SizesPayload {
    photo_id: Uuid,
}

/// The job that makes a photo's sizes.
pub struct PhotoSizes {
    pub db: PgPool,
    pub media: MediaStore,
}

impl PhotoSizes {
    pub fn handler(db: PgPool, media: MediaStore) -> Arc<dyn JobHandler> {
        Arc::new(PhotoSizes { db, media })
    }
}

#[async_trait]
impl JobHandler for PhotoSizes {
    async fn run(&self, job: &Job) -> Result<(), JobFailure> {
        let SizesPayload { photo_id } = serde_json::from_value(job.payload.clone())
            .map_err(|e| JobFailure::Permanent(format!("unreadable payload: {e}")))?;
        let Some(original_key) = store::photos::processing(&self.db, photo_id).await? else {
            // Ready already (a repeated job), or gone with its listing.
            return Ok(());
        };
        let original = self
            .media
            .get(&original_key)
            .await
            .map_err(|e| JobFailure::Retry(format!("reading the original: {e:#}")))?
            .ok_or_else(|| JobFailure::Permanent(format!("the original {original_key} is missing")))?;
        let sizes = match tokio::task::spawn_blocking(move || make_sizes(&original)).await {
            Ok(Ok(sizes)) => sizes,
            Ok(Err(reason)) => {
                store::photos::failed(&self.db, photo_id, &reason).await?;
                return Err(JobFailure::Permanent(reason));
            }
            Err(panicked) => return Err(JobFailure::Permanent(format!("making the sizes failed: {panicked}"))),
        };
        let mut urls = serde_json::Map::new();
        for (name, bytes) in sizes {
            let key = format!("{}/{name}.jpg", original_key.rsplit_once('/').map_or("", |(dir, _)| dir));
            self.media
                .put(&key, Bytes::from(bytes))
                .await
                .map_err(|e| JobFailure::Retry(format!("storing the {name} size: {e:#}")))?;
            urls.insert(name.to_string(), self.media.url(&key).into());
        }
        store::photos::ready(&self.db, photo_id, &serde_json::Value::Object(urls)).await?;
        metrics::counter!("photos_processed_total").increment(1);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let image = image::RgbaImage::from_fn(width, height, |x, _| image::Rgba([(x % 256) as u8, 80, 160, 128]));
        let mut bytes = Vec::new();
        DynamicImage::ImageRgba8(image).write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png).unwrap();
        bytes
    }

    #[test]
    fn images_are_recognised_by_their_bytes() {
        assert_eq!(inspect(&png(640, 480)).unwrap(), Inspected { format: "png", width: 640, height: 480 });
        for bogus in [&b"not an image at all"[..], b"\x89PNG\r\n\x1a\n truncated", b"GIF89a......"] {
            let refused = inspect(bogus).unwrap_err();
            assert!(matches!(&refused, CatalogError::Invalid(f) if f[0].field == "body"), "{refused:?}");
        }
    }

    #[test]
    fn tiny_photos_are_refused() {
        assert!(inspect(&png(40, 400)).is_err());
    }

    #[test]
    fn sizes_keep_the_aspect_and_never_enlarge() {
        let sizes = make_sizes(&png(2000, 1000)).unwrap();
        let dimensions: Vec<(&str, (u32, u32))> = sizes
            .iter()
            .map(|(name, bytes)| {
                let decoded = image::load_from_memory_with_format(bytes, ImageFormat::Jpeg).unwrap();
                (*name, (decoded.width(), decoded.height()))
            })
            .collect();
        assert_eq!(dimensions, [("thumbnail", (160, 80)), ("card", (480, 240)), ("full", (1280, 640))]);
        let small = make_sizes(&png(300, 200)).unwrap();
        let full = image::load_from_memory(&small[2].1).unwrap();
        assert_eq!((full.width(), full.height()), (300, 200));
    }

    #[test]
    fn a_photo_held_upright_comes_out_upright() {
        // A 600×300 JPEG whose EXIF says "turn 90° clockwise", as phones store
        // portrait photos.
        let exif = [
            b"MM\x00\x2a\x00\x00\x00\x08".as_slice(),
            &[0x00, 0x01],
            &[0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x00, 0x00],
            &[0x00, 0x00, 0x00, 0x00],
        ]
        .concat();
        let mut sideways = Vec::new();
        let mut encoder = JpegEncoder::new_with_quality(&mut sideways, 90);
        image::ImageEncoder::set_exif_metadata(&mut encoder, exif).unwrap();
        encoder.encode_image(&RgbImage::from_pixel(600, 300, image::Rgb([10, 20, 30]))).unwrap();
        let sizes = make_sizes(&sideways).unwrap();
        let full = image::load_from_memory(&sizes[2].1).unwrap();
        assert_eq!((full.width(), full.height()), (300, 600));
    }

    #[test]
    fn transparency_becomes_white() {
        let clear = DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(2, 2, image::Rgba([0, 0, 0, 0])));
        assert_eq!(on_white(&clear).get_pixel(0, 0).0, [255, 255, 255]);
    }
}
