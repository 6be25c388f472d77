//! Administrators' block list, `GET`/`POST /admin/blocked-networks`,
//! `DELETE /admin/blocked-networks/{id}`, and the middleware that refuses blocked
//! clients.

use axum::Json;
use axum::extract::{FromRef, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;
use validator::Validate;

use super::store::{self, BlockRecord};
use super::{Blocklist, CHANGED};
use crate::auth::AuthState;
use crate::auth::principal::AdminUser;
use crate::http::error::{AppError, ErrorCode, ErrorEnvelope, ErrorKind};
use crate::http::extract::{AppJson, AppPath};
use crate::platform::audit::{self, Entry, Event};
use crate::platform::client::{ClientAddress, RequestContext, TrustedProxies, client_ip, peer_ip};
use crate::platform::db::PrimaryDb;
use crate::platform::events;
use crate::platform::rate_limit::VerifiedKeys;

/// The longest a block may be given an end: a year; longer is "until removed".
const MAX_HOURS: u32 = 24 * 366;

pub fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    PrimaryDb: FromRef<S>,
    AuthState: FromRef<S>,
    VerifiedKeys: FromRef<S>,
    TrustedProxies: FromRef<S>,
    Blocklist: FromRef<S>,
{
    OpenApiRouter::with_openapi(BlocklistDoc::openapi())
        .routes(routes!(list_blocks, block_network))
        .routes(routes!(unblock_network))
}

#[derive(OpenApi)]
#[openapi(tags((name = "security", description = "Abuse control: blocked addresses and networks")))]
struct BlocklistDoc;

/// Refuses a request whose client address is blocked, before anything else runs. The
/// probes are never refused: a block must not take a replica out of its load balancer.
pub async fn enforce(
    State(blocklist): State<Blocklist>,
    State(proxies): State<TrustedProxies>,
    mut request: Request,
    next: Next,
) -> Response {
    let ip = client_ip(peer_ip(request.extensions()), request.headers(), &proxies.0);
    let probe = matches!(request.uri().path(), "/api/health" | "/api/ready");
    if !probe && ip.is_some_and(|ip| blocklist.blocks(ip, Utc::now())) {
        metrics::counter!("http_blocked_requests_total").increment(1);
        return AppError::from(Blocked).into_response();
    }
    // Found once here, read by the rate limits and the audit log.
    request.extensions_mut().insert(ClientAddress(ip));
    next.run(request).await
}

/// The answer to a blocked client.
#[derive(Debug, thiserror::Error)]
#[error("requests from this network are blocked")]
struct Blocked;

impl ErrorCode for Blocked {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Forbidden
    }

    fn code(&self) -> Option<&'static str> {
        Some("ADDRESS_BLOCKED")
    }
}

/// A blocked network.
#[derive(Debug, Serialize, ToSchema)]
pub struct BlockView {
    pub id: Uuid,
    /// The network, normalized (`203.0.113.0/24`; a single address as `/32` or `/128`).
    pub network: String,
    pub reason: String,
    /// The administrator who blocked it.
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    /// When the block lifts itself; `null`: until removed.
    pub expires_at: Option<DateTime<Utc>>,
    /// Whether it is in force now.
    pub active: bool,
}

impl BlockView {
    fn of(record: BlockRecord, now: DateTime<Utc>) -> BlockView {
        BlockView {
            active: record.expires_at.is_none_or(|until| now < until),
            id: record.id,
            network: record.network,
            reason: record.reason,
            created_by: record.created_by,
            created_at: record.created_at,
            expires_at: record.expires_at,
        }
    }
}

/// The blocks.
#[derive(Debug, Serialize, ToSchema)]
pub struct BlockList {
    pub data: Vec<BlockView>,
}

/// Lists every block, newest first, lifted ones included.
#[utoipa::path(
    get,
    path = "/admin/blocked-networks",
    tag = "security",
    security(("bearer_jwt" = [])),
    responses(
        (status = 200, description = "The blocks", body = BlockList),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an administrator", body = ErrorEnvelope)
    )
)]
pub async fn list_blocks(
    State(db): State<PrimaryDb>,
    State(auth): State<AuthState>,
    _admin: AdminUser,
) -> Result<Json<BlockList>, AppError> {
    let now = auth.clock.now();
    let data = store::all(&db.0).await?.into_iter().map(|record| BlockView::of(record, now)).collect();
    Ok(Json(BlockList { data }))
}

/// `POST /admin/blocked-networks`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBlock {
    /// An address (`203.0.113.7`, `2001:db8::1`) or a network in CIDR form
    /// (`203.0.113.0/24`); a network's host bits are cleared.
    pub network: String,
    /// Why, for whoever reads the list later; 3 to 500 characters.
    pub reason: String,
    /// Lift the block after this many hours (1 to 8784); without it the block stays
    /// until removed.
    #[validate(range(min = 1, max = MAX_HOURS, message = "must be between 1 and 8784"))]
    pub expires_in_hours: Option<u32>,
}

/// Blocks an address or a network on every replica within seconds. Refused when the
/// network holds the caller's own address or a trusted proxy (which would block every
/// client behind it).
#[utoipa::path(
    post,
    path = "/admin/blocked-networks",
    tag = "security",
    security(("bearer_jwt" = [])),
    request_body = NewBlock,
    responses(
        (status = 201, description = "Blocked", body = BlockView),
        (status = 400, description = "A field is invalid; it is named", body = ErrorEnvelope),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an administrator", body = ErrorEnvelope),
        (status = 409, description = "The network is blocked already", body = ErrorEnvelope)
    )
)]
pub async fn block_network(
    State(db): State<PrimaryDb>,
    State(auth): State<AuthState>,
    State(proxies): State<TrustedProxies>,
    State(blocklist): State<Blocklist>,
    admin: AdminUser,
    context: RequestContext,
    AppJson(body): AppJson<NewBlock>,
) -> Result<(StatusCode, Json<BlockView>), AppError> {
    let network = parse_network(&body.network).map_err(|reason| AppError::invalid("network", reason))?;
    if context.ip.is_some_and(|ip| network.contains(&ip.to_canonical())) {
        return Err(AppError::invalid("network", "holds your own address: you would lock yourself out"));
    }
    if proxies.0.iter().any(|proxy| network.contains(proxy) || proxy.contains(&network)) {
        return Err(AppError::invalid("network", "overlaps a trusted proxy: every client behind it would be blocked"));
    }
    let reason = body.reason.trim();
    if !(3..=500).contains(&reason.chars().count()) || reason.chars().any(char::is_control) {
        return Err(AppError::invalid("reason", "must be 3 to 500 characters of text"));
    }
    let now = auth.clock.now();
    let block = BlockRecord {
        id: Uuid::new_v4(),
        network: network.to_string(),
        reason: reason.to_string(),
        created_by: Some(admin.0.user_id),
        created_at: now,
        expires_at: body.expires_in_hours.map(|hours| now + Duration::hours(i64::from(hours))),
    };
    let mut tx = db.0.begin().await?;
    let Some(block) = store::insert(&mut *tx, &block).await? else {
        return Err(AppError::Conflict("this network is blocked already".into()));
    };
    let details = serde_json::json!({ "block_id": block.id, "network": block.network, "reason": block.reason,
                                      "expires_at": block.expires_at });
    let entry = Entry::by(Event::NetworkBlocked, admin.0.user_id).with(details);
    put_in_force(tx, &db, &blocklist, entry, &context, block.id, now).await?;
    Ok((StatusCode::CREATED, Json(BlockView::of(block, now))))
}

/// Lifts a block on every replica within seconds.
#[utoipa::path(
    delete,
    path = "/admin/blocked-networks/{id}",
    tag = "security",
    security(("bearer_jwt" = [])),
    params(("id" = Uuid, Path, description = "The block's id")),
    responses(
        (status = 204, description = "Lifted"),
        (status = 400, description = "The id is not a UUID", body = ErrorEnvelope),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an administrator", body = ErrorEnvelope),
        (status = 404, description = "No such block", body = ErrorEnvelope)
    )
)]
pub async fn unblock_network(
    State(db): State<PrimaryDb>,
    State(auth): State<AuthState>,
    State(blocklist): State<Blocklist>,
    admin: AdminUser,
    context: RequestContext,
    AppPath(id): AppPath<Uuid>,
) -> Result<StatusCode, AppError> {
    let now = auth.clock.now();
    let mut tx = db.0.begin().await?;
    let Some(block) = store::delete(&mut *tx, id).await? else {
        return Err(AppError::NotFound("block"));
    };
    let details = serde_json::json!({ "block_id": block.id, "network": block.network });
    let entry = Entry::by(Event::NetworkUnblocked, admin.0.user_id).with(details);
    put_in_force(tx, &db, &blocklist, entry, &context, block.id, now).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ends a change of block `block_id` made in `tx`: its audit entry and the event the
/// other replicas follow go in with it, and it is in force here at once.
async fn put_in_force(
    mut tx: sqlx::Transaction<'_, sqlx::Postgres>,
    db: &PrimaryDb,
    blocklist: &Blocklist,
    entry: Entry,
    context: &RequestContext,
    block_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    audit::record(&mut *tx, entry, context, now).await?;
    let event =
        events::Event { topic: CHANGED, subject_id: block_id, payload: serde_json::json!({}), occurred_at: now };
    events::record(&mut tx, &event).await?;
    tx.commit().await?;
    blocklist.reload(&db.0, now).await?;
    Ok(())
}

/// An address or a network, host bits cleared.
fn parse_network(text: &str) -> Result<IpNet, &'static str> {
    let text = text.trim();
    let network = match text.parse::<IpNet>() {
        Ok(network) => network.trunc(),
        Err(_) => text
            .parse::<std::net::IpAddr>()
            .map(|ip| IpNet::from(ip.to_canonical()))
            .map_err(|_| "must be an IP address or a network in CIDR form, like 203.0.113.0/24")?,
    };
    if network.prefix_len() == 0 {
        return Err("must not be the whole address space");
    }
    Ok(network)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_networks_are_read_and_normalized() {
        assert_eq!(parse_network(" 203.0.113.7 ").unwrap().to_string(), "203.0.113.7/32");
        assert_eq!(parse_network("203.0.113.77/24").unwrap().to_string(), "203.0.113.0/24");
        assert_eq!(parse_network("2001:db8::1").unwrap().to_string(), "2001:db8::1/128");
        assert_eq!(parse_network("::ffff:203.0.113.7").unwrap().to_string(), "203.0.113.7/32");
        assert!(parse_network("0.0.0.0/0").is_err());
        assert!(parse_network("203.0.113.0/33").is_err());
        assert!(parse_network("a network").is_err());
    }
}
