//! The audit trail of security events.
//!
//! Who did what to whom, from where and when. Entries are written by this module's
//! code only, with details chosen here (ids, reasons, methods), so a password, token
//! or code has no way in.

pub mod store;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgExecutor;
use uuid::Uuid;

use super::client::RequestContext;

/// The kinds of event recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Registered,
    LoginSucceeded,
    LoginFailed,
    MfaChallengeFailed,
    MfaEnrolmentStarted,
    MfaEnabled,
    MfaDisabled,
    RecoveryCodeUsed,
    RecoveryCodesRegenerated,
    PasswordChanged,
    PasswordResetRequested,
    PasswordResetFailed,
    PasswordReset,
    VerificationSent,
    VerificationFailed,
    ContactVerified,
    ContactReleased,
    AccountErased,
    KycDocumentReviewed,
    RefreshTokenReused,
    LoggedOut,
    OtpRequested,
    OtpFailed,
    ApiKeyCreated,
    ApiKeyRevoked,
    AdminRevokedSessions,
    RoleChanged,
    AdminStartedReindex,
    AdminMarkedOrderPaid,
    AdminRequestedRefund,
    ComplianceFlagResolved,
    NetworkBlocked,
    NetworkUnblocked,
}

impl Event {
    pub fn as_str(self) -> &'static str {
        match self {
            Event::Registered => "account.registered",
            Event::LoginSucceeded => "login.succeeded",
            Event::LoginFailed => "login.failed",
            Event::MfaChallengeFailed => "mfa.challenge_failed",
            Event::MfaEnrolmentStarted => "mfa.enrolment_started",
            Event::MfaEnabled => "mfa.enabled",
            Event::MfaDisabled => "mfa.disabled",
            Event::RecoveryCodeUsed => "mfa.recovery_code_used",
            Event::RecoveryCodesRegenerated => "mfa.recovery_codes_regenerated",
            Event::PasswordChanged => "password.changed",
            Event::PasswordResetRequested => "password.reset_requested",
            Event::PasswordResetFailed => "password.reset_failed",
            Event::PasswordReset => "password.reset",
            Event::VerificationSent => "contact.verification_sent",
            Event::VerificationFailed => "contact.verification_failed",
            Event::ContactVerified => "contact.verified",
            Event::ContactReleased => "contact.released",
            Event::AccountErased => "account.erased",
            Event::KycDocumentReviewed => "kyc.document_reviewed",
            Event::RefreshTokenReused => "session.refresh_token_reused",
            Event::LoggedOut => "session.logged_out",
            Event::OtpRequested => "otp.requested",
            Event::OtpFailed => "otp.failed",
            Event::ApiKeyCreated => "api_key.created",
            Event::ApiKeyRevoked => "api_key.revoked",
            Event::AdminRevokedSessions => "admin.sessions_revoked",
            Event::RoleChanged => "admin.role_changed",
            Event::AdminStartedReindex => "admin.reindex_started",
            Event::AdminMarkedOrderPaid => "admin.order_marked_paid",
            Event::AdminRequestedRefund => "admin.refund_requested",
            Event::ComplianceFlagResolved => "compliance.flag_resolved",
            Event::NetworkBlocked => "security.network_blocked",
            Event::NetworkUnblocked => "security.network_unblocked",
        }
    }
}

/// One event about to be recorded.
#[derive(Debug, Clone)]
pub struct Entry {
    pub event: Event,
    /// Who acted: the signed-in user, or `None` for an anonymous or unknown caller.
    pub actor: Option<Uuid>,
    /// Whose account the event concerns.
    pub subject: Option<Uuid>,
    pub details: Value,
}

impl Entry {
    /// An event a user caused on their own account.
    pub fn own(event: Event, user: Uuid) -> Entry {
        Entry { event, actor: Some(user), subject: Some(user), details: Value::Object(Default::default()) }
    }

    /// An act of `actor` on something that is not an account (a seller's document).
    pub fn by(event: Event, actor: Uuid) -> Entry {
        Entry { event, actor: Some(actor), subject: None, details: Value::Object(Default::default()) }
    }

    /// An event about `subject` by someone not (yet) known, e.g. a failed login.
    pub fn about(event: Event, subject: Option<Uuid>) -> Entry {
        Entry { event, actor: None, subject, details: Value::Object(Default::default()) }
    }

    pub fn with(mut self, details: Value) -> Entry {
        self.details = details;
        self
    }
}

/// Records `entry`; on a transaction, it stands or falls with the change it describes.
pub async fn record(
    db: impl PgExecutor<'_>,
    entry: Entry,
    context: &RequestContext,
    at: DateTime<Utc>,
) -> sqlx::Result<()> {
    store::insert(db, entry, context.ip_text().as_deref(), context.user_agent.as_deref(), at).await
}
