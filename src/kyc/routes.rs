//! The verification endpoints: sellers upload documents and follow their review
//! (`/seller/kyc…`, signed in as the seller's account); administrators review them
//! (`/admin/kyc…`). Files are answered only here, never under `/media`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::multipart::{Multipart, MultipartError};
use axum::extract::{DefaultBodyLimit, FromRef, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;
use validator::Validate;

use super::documents::{self, DocumentView, KycStatus, Reader, Upload};
use super::review::{self, Decision, QueuedDocument};
use super::{KycError, KycState};
use crate::auth::AuthState;
use crate::auth::principal::{AdminUser, SellerUser};
use crate::http::error::{AppError, ErrorEnvelope};
use crate::http::extract::{AppJson, AppPath, AppQuery};
use crate::platform::client::{RequestContext, TrustedProxies};
use crate::platform::db::PrimaryDb;

/// Routes of seller verification, relative to `/api/v1`.
pub fn routes<S>(max_upload_bytes: usize) -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    PrimaryDb: FromRef<S>,
    AuthState: FromRef<S>,
    KycState: FromRef<S>,
    TrustedProxies: FromRef<S>,
{
    // The file and a few short fields.
    let uploads = OpenApiRouter::new()
        .routes(routes!(upload_document))
        .layer(DefaultBodyLimit::max(max_upload_bytes + 64 * 1024));
    OpenApiRouter::with_openapi(KycDoc::openapi())
        .merge(uploads)
        .routes(routes!(my_verification))
        .routes(routes!(my_document_file))
        .routes(routes!(review_queue))
        .routes(routes!(review_document))
        .routes(routes!(document_file))
}

#[derive(OpenApi)]
#[openapi(tags((name = "kyc", description = "Seller verification: documents, review, the verified badge")))]
struct KycDoc;

/// The upload form, as documented: `type`, the number field of the type, `expires_on`
/// for a registration, and `file`.
#[derive(ToSchema)]
#[allow(dead_code)]
struct DocumentForm {
    /// `commercial_registration`, `vat_certificate` or `bank_letter`.
    r#type: String,
    /// With `commercial_registration`: 10 digits.
    cr_number: Option<String>,
    /// With `vat_certificate`: 15 digits, first and last 3.
    vat_number: Option<String>,
    /// With `bank_letter`: `SA` and 22 digits, valid check digits.
    iban: Option<String>,
    /// With `commercial_registration`: its expiry, `YYYY-MM-DD`.
    expires_on: Option<String>,
    /// A PDF, or a JPEG, PNG or WebP image.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Uploads one of the seller's documents. It replaces the earlier one of its type and
/// waits for review; until the three are approved the seller is not verified.
#[utoipa::path(
    post,
    path = "/seller/kyc/documents",
    tag = "kyc",
    security(("bearer_jwt" = [])),
    request_body(content = DocumentForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Stored; it waits for review", body = DocumentView),
        (status = 400, description = "A field missing or wrong (an invalid IBAN, CR or VAT number, a file that is not a PDF or image); each is named", body = ErrorEnvelope),
        (status = 401, description = "Missing, invalid or revoked access token", body = ErrorEnvelope),
        (status = 403, description = "Not a seller's account", body = ErrorEnvelope),
        (status = 413, description = "The file is over `media.max_upload_bytes`", body = ErrorEnvelope)
    )
)]
#[tracing::instrument(skip_all, fields(seller_id = %seller.seller_id))]
pub async fn upload_document(
    State(kyc): State<KycState>,
    seller: SellerUser,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, Json<DocumentView>), AppError> {
    let mut multipart = multipart.map_err(|rejection| AppError::BadRequest {
        message: format!("expected a multipart/form-data body: {}", rejection.body_text()),
        details: None,
    })?;
    let limit = kyc.settings.media.max_upload_bytes;
    let mut form = Upload::default();
    while let Some(field) = multipart.next_field().await.map_err(|e| malformed(e, limit))? {
        let name = field.name().unwrap_or_default().to_string();
        match name.as_str() {
            "file" => {
                let bytes: Bytes = field.bytes().await.map_err(|e| malformed(e, limit))?;
                if bytes.len() > limit {
                    return Err(AppError::PayloadTooLarge { limit_bytes: Some(limit) });
                }
                form.file = Some(bytes);
            }
            "type" | "cr_number" | "vat_number" | "iban" | "expires_on" => {
                let value = field.text().await.map_err(|e| malformed(e, limit))?;
                if value.chars().count() > 100 {
                    return Err(KycError::invalid(name, "must be at most 100 characters").into());
                }
                match name.as_str() {
                    "type" => form.r#type = Some(value),
                    "expires_on" => form.expires_on = Some(value),
                    _ if form.number.is_some() => {
                        return Err(KycError::invalid(name, "give one number: the one of the document's type").into());
                    }
                    _ => form.number = Some((name, value)),
                }
            }
            _ => return Err(KycError::invalid(name, "is not a field of a document upload").into()),
        }
    }
    let document = documents::upload(&kyc, seller.seller_id, form).await?;
    Ok((StatusCode::CREATED, Json(document)))
}

/// A multipart body that could not be read, or a part over the limit.
fn malformed(error: MultipartError, limit: usize) -> AppError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return AppError::PayloadTooLarge { limit_bytes: Some(limit) };
    }
    AppError::BadRequest { message: format!("malformed multipart body: {}", error.body_text()), details: None }
}

/// Where the seller's verification stands: its documents and what is missing.
#[utoipa::path(
    get,
    path = "/seller/kyc",
    tag = "kyc",
    security(("bearer_jwt" = [])),
    responses(
        (status = 200, description = "The verification", body = KycStatus),
        (status = 401, description = "Missing, invalid or revoked access token", body = ErrorEnvelope),
        (status = 403, description = "Not a seller's account", body = ErrorEnvelope)
    )
)]
pub async fn my_verification(State(kyc): State<KycState>, seller: SellerUser) -> Result<Json<KycStatus>, AppError> {
    Ok(Json(documents::status(&kyc, seller.seller_id).await?))
}

/// One of the seller's own document files.
#[utoipa::path(
    get,
    path = "/seller/kyc/documents/{id}/file",
    tag = "kyc",
    security(("bearer_jwt" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The file as uploaded", content_type = "application/octet-stream"),
        (status = 401, description = "Missing, invalid or revoked access token", body = ErrorEnvelope),
        (status = 404, description = "No such document of this seller", body = ErrorEnvelope)
    )
)]
pub async fn my_document_file(
    State(kyc): State<KycState>,
    seller: SellerUser,
    AppPath(id): AppPath<Uuid>,
) -> Result<Response, AppError> {
    file_response(documents::file(&kyc, id, Reader::Seller(seller.seller_id)).await?)
}

/// A document file, for an administrator reviewing it.
#[utoipa::path(
    get,
    path = "/admin/kyc/documents/{id}/file",
    tag = "kyc",
    security(("bearer_jwt" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The file as uploaded", content_type = "application/octet-stream"),
        (status = 401, description = "Missing, invalid or revoked access token", body = ErrorEnvelope),
        (status = 403, description = "Not an administrator", body = ErrorEnvelope),
        (status = 404, description = "No such document", body = ErrorEnvelope)
    )
)]
pub async fn document_file(
    State(kyc): State<KycState>,
    _admin: AdminUser,
    AppPath(id): AppPath<Uuid>,
) -> Result<Response, AppError> {
    file_response(documents::file(&kyc, id, Reader::Admin).await?)
}

/// A private file: never cached, never sniffed into something else, saved rather than shown.
fn file_response((content_type, bytes): (String, Bytes)) -> Result<Response, AppError> {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_str(&content_type).map_err(anyhow::Error::from)?);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    headers.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    Ok(response)
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
pub struct QueueQuery {
    /// At most this many, 1 to 200 (default 50).
    #[serde(default = "default_limit")]
    #[validate(range(min = 1, max = 200, message = "must be 1 to 200"))]
    pub limit: i64,
}

fn default_limit() -> i64 {
    50
}

/// The review queue.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewQueue {
    pub data: Vec<QueuedDocument>,
}

/// Documents waiting for review, oldest first, with their numbers in full.
#[utoipa::path(
    get,
    path = "/admin/kyc/documents",
    tag = "kyc",
    security(("bearer_jwt" = [])),
    params(QueueQuery),
    responses(
        (status = 200, description = "The queue", body = ReviewQueue),
        (status = 401, description = "Missing, invalid or revoked access token", body = ErrorEnvelope),
        (status = 403, description = "Not an administrator", body = ErrorEnvelope)
    )
)]
pub async fn review_queue(
    State(kyc): State<KycState>,
    _admin: AdminUser,
    AppQuery(query): AppQuery<QueueQuery>,
) -> Result<Json<ReviewQueue>, AppError> {
    Ok(Json(ReviewQueue { data: review::queue(&kyc, query.limit).await? }))
}

/// A review.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    pub decision: Decision,
    /// Why it is rejected; the seller reads it. Required to reject.
    pub reason: Option<String>,
}

/// Approves or rejects a pending document. When the seller's three documents are
/// approved it becomes verified (`seller.verified`, and its accounts are told).
#[utoipa::path(
    post,
    path = "/admin/kyc/documents/{id}/review",
    tag = "kyc",
    security(("bearer_jwt" = [])),
    params(("id" = Uuid, Path)),
    request_body = ReviewRequest,
    responses(
        (status = 200, description = "The document as reviewed", body = DocumentView),
        (status = 400, description = "A rejection without a reason, or a malformed body", body = ErrorEnvelope),
        (status = 401, description = "Missing, invalid or revoked access token", body = ErrorEnvelope),
        (status = 403, description = "Not an administrator", body = ErrorEnvelope),
        (status = 404, description = "No such document", body = ErrorEnvelope),
        (status = 409, description = "Reviewed already, or superseded (`INVALID_STATE`)", body = ErrorEnvelope)
    )
)]
pub async fn review_document(
    State(kyc): State<KycState>,
    admin: AdminUser,
    context: RequestContext,
    AppPath(id): AppPath<Uuid>,
    AppJson(body): AppJson<ReviewRequest>,
) -> Result<Json<DocumentView>, AppError> {
    let reviewed = review::decide(&kyc, admin.0.user_id, id, body.decision, body.reason.as_deref(), &context).await?;
    Ok(Json(reviewed))
}
