//! Listing photos: `POST`/`GET /seller/listings/{sku}/photos`, and the stored files
//! under `/media/`.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, FailedToBufferBody};
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::catalog::api_keys::SellerAuth;
use crate::catalog::photos::{self, PhotoView};
use crate::http::error::{AppError, ErrorEnvelope};
use crate::platform::config::Settings;
use crate::platform::db::PrimaryDb;
use crate::platform::media::MediaStore;

/// The content types an upload may declare; what it is, is read from its bytes.
const IMAGE_TYPES: [&str; 3] = ["image/jpeg", "image/png", "image/webp"];

/// Uploads a photo of one of the seller's listings: the body is the file itself
/// (JPEG, PNG or WebP; recognised by its bytes, not by the declared type), at least
/// 100 pixels on each side. The answer comes at once; the sizes shoppers see
/// (thumbnail, card, full) are made in the background, and the photo shows on the
/// listing and in search when they are ready.
#[utoipa::path(
    post,
    path = "/seller/listings/{sku}/photos",
    tag = "seller",
    security(("seller_api_key" = [])),
    params(("sku" = String, Path, description = "The seller's SKU")),
    request_body(content = Vec<u8>, description = "The photo", content_type = "image/jpeg"),
    responses(
        (status = 202, description = "Stored; its sizes are being made", body = PhotoView),
        (status = 400, description = "Not a JPEG, PNG or WebP image, or too small or too large in pixels", body = ErrorEnvelope),
        (status = 401, description = "Missing or invalid API key", body = ErrorEnvelope),
        (status = 404, description = "The seller has no such SKU", body = ErrorEnvelope),
        (status = 413, description = "Over `media.max_upload_bytes`", body = ErrorEnvelope),
        (status = 415, description = "Not declared as image/jpeg, image/png or image/webp", body = ErrorEnvelope),
        (status = 422, description = "The listing has as many photos as a listing may", body = ErrorEnvelope)
    )
)]
pub async fn upload_photo(
    State(PrimaryDb(db)): State<PrimaryDb>,
    State(media): State<MediaStore>,
    State(settings): State<Arc<Settings>>,
    auth: SellerAuth,
    Path(sku): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<PhotoView>), AppError> {
    let declared = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let declared = declared.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    if !IMAGE_TYPES.contains(&declared.as_str()) {
        return Err(AppError::UnsupportedMediaType(
            "expected Content-Type: image/jpeg, image/png or image/webp".into(),
        ));
    }
    let body = body.map_err(|rejection| match rejection {
        BytesRejection::FailedToBufferBody(FailedToBufferBody::LengthLimitError(_)) => {
            AppError::PayloadTooLarge { limit_bytes: Some(settings.media.max_upload_bytes) }
        }
        other => AppError::BadRequest { message: other.body_text(), details: None },
    })?;
    let photo = photos::upload(&db, &media, &settings.media, auth.seller_id, &sku, body, chrono::Utc::now()).await?;
    Ok((StatusCode::ACCEPTED, Json(photo)))
}

/// The photos of one of the seller's listings, with where each stands.
#[utoipa::path(
    get,
    path = "/seller/listings/{sku}/photos",
    tag = "seller",
    security(("seller_api_key" = [])),
    params(("sku" = String, Path, description = "The seller's SKU")),
    responses(
        (status = 200, description = "The photos, in order", body = Vec<PhotoView>),
        (status = 401, description = "Missing or invalid API key", body = ErrorEnvelope),
        (status = 404, description = "The seller has no such SKU", body = ErrorEnvelope)
    )
)]
pub async fn list_photos(
    State(PrimaryDb(db)): State<PrimaryDb>,
    auth: SellerAuth,
    Path(sku): Path<String>,
) -> Result<Json<Vec<PhotoView>>, AppError> {
    Ok(Json(photos::of_listing(&db, auth.seller_id, &sku).await?))
}

/// A stored file: the sizes are JPEG, originals what they were. Keys name a photo
/// once and are never rewritten, so caches may keep them for good.
pub async fn media_file(State(media): State<MediaStore>, Path(key): Path<String>) -> Result<Response, AppError> {
    if !MediaStore::is_key(&key) {
        return Err(AppError::NotFound("file"));
    }
    let bytes = media.get(&key).await.map_err(AppError::Internal)?.ok_or(AppError::NotFound("file"))?;
    let content_type = match key.rsplit_once('.').map(|(_, ext)| ext) {
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("png") => "image/png",
        Some("webp") => "image/webp",
        _ => "application/octet-stream",
    };
    Ok(([(CONTENT_TYPE, content_type), (CACHE_CONTROL, "public, max-age=31536000, immutable")], bytes).into_response())
}
