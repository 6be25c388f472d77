//! A seller's documents: the upload (numbers checked, the file recognised by its
//! bytes, stored privately), what the seller sees of its verification, the files read
//! back, and the verification each change decides.

use axum::body::Bytes;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use super::numbers::{cr_number_problem, fold, iban_problem, vat_number_problem};
use super::store::{self, DocumentRow};
use super::{KycError, KycState, SELLER_UNVERIFIED, SELLER_VERIFIED};
use crate::http::error::FieldError;
use crate::platform::events;

/// The three documents a seller shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocumentType {
    CommercialRegistration,
    VatCertificate,
    BankLetter,
}

impl DocumentType {
    pub const ALL: [DocumentType; 3] =
        [DocumentType::CommercialRegistration, DocumentType::VatCertificate, DocumentType::BankLetter];

    pub fn as_str(self) -> &'static str {
        match self {
            DocumentType::CommercialRegistration => "commercial_registration",
            DocumentType::VatCertificate => "vat_certificate",
            DocumentType::BankLetter => "bank_letter",
        }
    }

    pub fn parse(value: &str) -> Option<DocumentType> {
        DocumentType::ALL.into_iter().find(|t| t.as_str() == value)
    }

    /// The form field that carries the document's number.
    pub fn number_field(self) -> &'static str {
        match self {
            DocumentType::CommercialRegistration => "cr_number",
            DocumentType::VatCertificate => "vat_number",
            DocumentType::BankLetter => "iban",
        }
    }

    fn number_problem(self, folded: &str) -> Option<&'static str> {
        match self {
            DocumentType::CommercialRegistration => cr_number_problem(folded),
            DocumentType::VatCertificate => vat_number_problem(folded),
            DocumentType::BankLetter => iban_problem(folded),
        }
    }
}

/// An upload as the form gave it.
#[derive(Debug, Default)]
pub struct Upload {
    pub r#type: Option<String>,
    /// The number, from whichever number field the form had, with that field's name.
    pub number: Option<(String, String)>,
    pub expires_on: Option<String>,
    pub file: Option<Bytes>,
}

/// A document as the seller (and administrators) see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DocumentView {
    pub id: Uuid,
    pub r#type: DocumentType,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    /// Why it was rejected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The number's last four digits.
    pub number_last4: String,
    /// The registration's expiry (commercial registrations).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_on: Option<NaiveDate>,
    pub content_type: String,
    pub size_bytes: i32,
    pub uploaded_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reviewed_at: Option<DateTime<Utc>>,
}

impl DocumentView {
    pub fn of(row: &DocumentRow) -> DocumentView {
        DocumentView {
            id: row.id,
            r#type: DocumentType::parse(&row.r#type).unwrap_or(DocumentType::CommercialRegistration),
            status: row.status.clone(),
            reason: row.reason.clone(),
            number_last4: row.number_last4.clone(),
            expires_on: row.expires_on,
            content_type: row.content_type.clone(),
            size_bytes: row.size_bytes,
            uploaded_at: row.uploaded_at,
            reviewed_at: row.reviewed_at,
        }
    }
}

/// Where a seller's verification stands.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KycStatus {
    pub verified: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified_at: Option<DateTime<Utc>>,
    /// What stands in the way: `cr_expired` (the registration's expiry has passed),
    /// `missing_<type>`, `pending_<type>`, `rejected_<type>`.
    pub flags: Vec<String>,
    /// The current document of each type uploaded.
    pub documents: Vec<DocumentView>,
}

/// The associated data a document's sealed number is bound to.
fn number_context(id: Uuid) -> Vec<u8> {
    format!("seller_documents.number:{id}").into_bytes()
}

/// What the bytes are: a PDF or a JPEG, PNG or WebP image; `None` for anything else.
fn content_type_of(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        return Some("application/pdf");
    }
    match image::guess_format(bytes).ok()? {
        image::ImageFormat::Jpeg => Some("image/jpeg"),
        image::ImageFormat::Png => Some("image/png"),
        image::ImageFormat::WebP => Some("image/webp"),
        _ => None,
    }
}

/// Checks an upload; each wrong or missing field is named.
fn check(
    upload: Upload,
    today: NaiveDate,
) -> Result<(DocumentType, String, Option<NaiveDate>, Bytes, &'static str), KycError> {
    let mut errors = Vec::new();
    let kind = match upload.r#type.as_deref().map(DocumentType::parse) {
        Some(Some(kind)) => Some(kind),
        Some(None) => {
            errors.push(FieldError::new("type", "must be commercial_registration, vat_certificate or bank_letter"));
            None
        }
        None => {
            errors.push(FieldError::new("type", "is required"));
            None
        }
    };
    let mut number = None;
    if let Some(kind) = kind {
        match &upload.number {
            Some((field, value)) if field == kind.number_field() => {
                let folded = fold(value);
                match kind.number_problem(&folded) {
                    Some(problem) => errors.push(FieldError::new(kind.number_field(), problem)),
                    None => number = Some(folded),
                }
            }
            Some((field, _)) => errors.push(FieldError::new(
                field.clone(),
                format!("does not belong to a {}; give {}", kind.as_str(), kind.number_field()),
            )),
            None => errors.push(FieldError::new(kind.number_field(), "is required")),
        }
    }
    let mut expires_on = None;
    match (kind, upload.expires_on.as_deref()) {
        (Some(DocumentType::CommercialRegistration), Some(date)) => {
            match NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d") {
                Ok(date) if date < today => errors.push(FieldError::new("expires_on", "the registration has expired")),
                Ok(date) => expires_on = Some(date),
                Err(_) => errors.push(FieldError::new("expires_on", "must be a date, YYYY-MM-DD")),
            }
        }
        (Some(DocumentType::CommercialRegistration), None) => {
            errors.push(FieldError::new("expires_on", "is required with a commercial registration"))
        }
        (Some(_), Some(_)) => errors.push(FieldError::new("expires_on", "belongs to a commercial registration only")),
        _ => {}
    }
    let mut file = None;
    match upload.file {
        Some(bytes) if bytes.is_empty() => errors.push(FieldError::new("file", "is empty")),
        Some(bytes) => match content_type_of(&bytes) {
            Some(content_type) => file = Some((bytes, content_type)),
            None => errors.push(FieldError::new("file", "must be a PDF, JPEG, PNG or WebP file")),
        },
        None => errors.push(FieldError::new("file", "is required")),
    }
    match (kind, number, file) {
        (Some(kind), Some(number), Some((bytes, content_type))) if errors.is_empty() => {
            Ok((kind, number, expires_on, bytes, content_type))
        }
        _ => Err(KycError::Invalid(errors)),
    }
}

/// Stores a seller's document, superseding its earlier one of the type; it waits for
/// review, and the seller's verification is decided again.
pub async fn upload(state: &KycState, seller_id: Uuid, upload: Upload) -> Result<DocumentView, KycError> {
    let now = state.now();
    let (kind, number, expires_on, bytes, content_type) = check(upload, riyadh_today(now))?;
    let id = Uuid::new_v4();
    let file_key = format!("documents/{seller_id}/{id}");
    let size_bytes = i32::try_from(bytes.len()).map_err(anyhow::Error::from)?;
    state.documents.put(&file_key, bytes).await?;
    let row = DocumentRow {
        id,
        seller_id,
        r#type: kind.as_str().to_string(),
        number_sealed: state.keys.cipher.seal(number.as_bytes(), &number_context(id)),
        number_last4: number[number.len() - 4..].to_string(),
        expires_on,
        file_key,
        content_type: content_type.to_string(),
        size_bytes,
        status: "pending".into(),
        reason: None,
        reviewed_at: None,
        uploaded_at: now,
    };
    let mut tx = state.db.begin().await?;
    store::lock_seller(&mut tx, seller_id).await?.ok_or(KycError::NotFound("seller"))?;
    store::supersede(&mut tx, seller_id, kind.as_str()).await?;
    store::insert(&mut tx, &row).await?;
    decide_verification(&mut tx, seller_id, now).await?;
    tx.commit().await?;
    Ok(DocumentView::of(&row))
}

/// The day it is in Riyadh: registrations expire by the Saudi calendar day.
pub fn riyadh_today(now: DateTime<Utc>) -> NaiveDate {
    (now + chrono::Duration::hours(3)).date_naive()
}

/// Where the seller's verification stands.
pub async fn status(state: &KycState, seller_id: Uuid) -> Result<KycStatus, KycError> {
    let verified_at: Option<Option<DateTime<Utc>>> =
        sqlx::query_scalar("SELECT verified_at FROM sellers WHERE id = $1")
            .bind(seller_id)
            .fetch_optional(&state.db)
            .await?;
    let verified_at = verified_at.ok_or(KycError::NotFound("seller"))?;
    let documents = store::current(&state.db, seller_id).await?;
    let flags = flags(&documents, riyadh_today(state.now()));
    Ok(KycStatus {
        verified: verified_at.is_some() && flags.is_empty(),
        verified_at,
        flags,
        documents: documents.iter().map(DocumentView::of).collect(),
    })
}

/// What keeps `documents` from verifying a seller on `today`; empty when nothing does.
fn flags(documents: &[DocumentRow], today: NaiveDate) -> Vec<String> {
    let mut flags = Vec::new();
    for kind in DocumentType::ALL {
        match documents.iter().find(|d| d.r#type == kind.as_str()) {
            None => flags.push(format!("missing_{}", kind.as_str())),
            Some(d) if d.status == "approved" => {}
            Some(d) => flags.push(format!("{}_{}", d.status, kind.as_str())),
        }
    }
    let expired = documents.iter().any(|d| d.expires_on.is_some_and(|date| date < today) && d.status != "superseded");
    if expired {
        flags.insert(0, "cr_expired".into());
    }
    flags
}

/// Decides the seller's verification from its current documents, in the caller's
/// transaction (the seller's row locked); records `seller.verified` or
/// `seller.unverified` when it changes.
pub async fn decide_verification(
    conn: &mut PgConnection,
    seller_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, KycError> {
    let was = store::lock_seller(conn, seller_id).await?.ok_or(KycError::NotFound("seller"))?;
    let documents = store::current(&mut *conn, seller_id).await?;
    let verified = flags(&documents, riyadh_today(now)).is_empty();
    let cr_expires_on = documents.iter().find_map(|d| d.expires_on);
    let verified_at = match (was, verified) {
        (Some(at), true) => Some(at),
        (None, true) => Some(now),
        (_, false) => None,
    };
    store::set_verification(conn, seller_id, verified_at, cr_expires_on).await?;
    let topic = match (was.is_some(), verified) {
        (false, true) => Some(SELLER_VERIFIED),
        (true, false) => Some(SELLER_UNVERIFIED),
        _ => None,
    };
    if let Some(topic) = topic {
        let event = events::Event {
            topic,
            subject_id: seller_id,
            payload: json!({ "seller_id": seller_id }),
            occurred_at: now,
        };
        events::record(conn, &event).await?;
        // The badge is in every listing's search entry: the change stream re-reads them.
        store::touch_listings(conn, seller_id).await?;
    }
    Ok(verified)
}

/// Takes the badge from verified sellers whose registration expired; how many lost it.
/// Every process runs it hourly (see [`run_expiry`]); a seller is decided under its
/// row lock, so replicas running it together agree.
pub async fn lapse_expired(db: &sqlx::PgPool, now: DateTime<Utc>) -> Result<usize, KycError> {
    let expired = store::expired_verifications(db, riyadh_today(now)).await?;
    for &seller_id in &expired {
        let mut tx = db.begin().await?;
        decide_verification(&mut tx, seller_id, now).await?;
        tx.commit().await?;
    }
    Ok(expired.len())
}

/// Runs [`lapse_expired`] hourly for as long as the process runs.
pub async fn run_expiry(db: sqlx::PgPool) {
    let mut ticks = tokio::time::interval(std::time::Duration::from_secs(3600));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match lapse_expired(&db, Utc::now()).await {
            Ok(0) => {}
            Ok(lapsed) => tracing::info!(lapsed, "sellers whose registration expired lost the verified badge"),
            Err(error) => tracing::warn!(%error, "checking registrations' expiry failed; retrying in an hour"),
        }
    }
}

/// Who reads a document's file.
pub enum Reader {
    Seller(Uuid),
    Admin,
}

/// The file of document `id` and its type, for its seller or an administrator.
pub async fn file(state: &KycState, id: Uuid, reader: Reader) -> Result<(String, Bytes), KycError> {
    let document = store::by_id(&state.db, id).await?.ok_or(KycError::NotFound("document"))?;
    if let Reader::Seller(seller_id) = reader
        && seller_id != document.seller_id
    {
        // Another seller's document does not exist as far as this one knows.
        return Err(KycError::NotFound("document"));
    }
    let bytes = state.documents.get(&document.file_key).await?.ok_or(KycError::NotFound("document file"))?;
    Ok((document.content_type, bytes))
}

/// The number of a document, opened: for administrators comparing it with the file.
pub fn open_number(state: &KycState, row: &DocumentRow) -> Result<String, KycError> {
    let bytes = state.keys.cipher.open(&row.number_sealed, &number_context(row.id))?;
    Ok(String::from_utf8(bytes).map_err(anyhow::Error::from)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 4).unwrap()
    }

    fn upload(kind: &str, field: &str, number: &str, expires_on: Option<&str>, file: &[u8]) -> Upload {
        Upload {
            r#type: Some(kind.into()),
            number: Some((field.into(), number.into())),
            expires_on: expires_on.map(str::to_string),
            file: Some(Bytes::copy_from_slice(file)),
        }
    }

    fn fields(result: Result<(DocumentType, String, Option<NaiveDate>, Bytes, &'static str), KycError>) -> Vec<String> {
        match result {
            Err(KycError::Invalid(fields)) => fields.into_iter().map(|f| f.field).collect(),
            other => panic!("accepted: {:?}", other.map(|o| o.0)),
        }
    }

    #[test]
    fn a_good_upload_is_folded_and_typed_by_its_bytes() {
        let ok = check(upload("bank_letter", "iban", "sa03 8000 0000 6080 1016 7519", None, b"%PDF-1.7 ..."), today())
            .unwrap();
        assert_eq!(
            (ok.0, ok.1.as_str(), ok.4),
            (DocumentType::BankLetter, "SA0380000000608010167519", "application/pdf")
        );
        let cr =
            check(upload("commercial_registration", "cr_number", "١٠١٠١٢٣٤٥٦", Some("2027-06-30"), b"%PDF-"), today());
        assert_eq!(cr.unwrap().2, NaiveDate::from_ymd_opt(2027, 6, 30));
    }

    #[test]
    fn each_bad_field_is_named() {
        assert_eq!(
            fields(check(upload("bank_letter", "iban", "SA0380000000608010167518", None, b"%PDF-"), today())),
            ["iban"]
        );
        assert_eq!(
            fields(check(upload("vat_certificate", "vat_number", "123", None, b"%PDF-"), today())),
            ["vat_number"]
        );
        assert_eq!(
            fields(check(
                upload("commercial_registration", "cr_number", "12345", Some("2020-01-01"), b"%PDF-"),
                today()
            )),
            ["cr_number", "expires_on"]
        );
        assert_eq!(
            fields(check(upload("vat_certificate", "iban", "SA0380000000608010167519", None, b"%PDF-"), today())),
            ["iban"]
        );
        assert_eq!(fields(check(upload("passport", "cr_number", "1010123456", None, b"%PDF-"), today())), ["type"]);
        assert_eq!(
            fields(check(
                upload("bank_letter", "iban", "SA0380000000608010167519", None, b"<?php echo 1; ?>"),
                today()
            )),
            ["file"]
        );
        assert_eq!(fields(check(Upload::default(), today())), ["type", "file"]);
    }

    #[test]
    fn a_seller_is_flagged_until_all_three_are_approved_and_current() {
        let row = |kind: &str, status: &str, expires_on: Option<NaiveDate>| DocumentRow {
            id: Uuid::new_v4(),
            seller_id: Uuid::nil(),
            r#type: kind.into(),
            number_sealed: String::new(),
            number_last4: "0000".into(),
            expires_on,
            file_key: String::new(),
            content_type: "application/pdf".into(),
            size_bytes: 1,
            status: status.into(),
            reason: None,
            reviewed_at: None,
            uploaded_at: Utc::now(),
        };
        let later = NaiveDate::from_ymd_opt(2027, 1, 1);
        let mut documents = vec![
            row("commercial_registration", "approved", later),
            row("vat_certificate", "approved", None),
            row("bank_letter", "pending", None),
        ];
        assert_eq!(flags(&documents, today()), ["pending_bank_letter"]);
        documents[2].status = "approved".into();
        assert!(flags(&documents, today()).is_empty());
        assert_eq!(flags(&documents, NaiveDate::from_ymd_opt(2027, 1, 2).unwrap()), ["cr_expired"]);
        assert_eq!(flags(&documents[1..], today()), ["missing_commercial_registration"]);
    }
}
