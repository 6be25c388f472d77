//! The listings the index is built from: every active listing with its fitment for a
//! full build, the ones a catch-up re-reads, and pages of them for `index verify`.
//!
//! A listing is indexed while it and its seller are active.

use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use uuid::Uuid;

use crate::catalog::listings::{FitmentView, ListingView, listing_select, listing_select_with};

/// Active listings now; a build reports its progress against it.
pub async fn count_active(db: &PgPool) -> anyhow::Result<u64> {
    let total: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM listings l JOIN sellers s ON s.id = l.seller_id
          WHERE l.status = 'active' AND s.status = 'active'",
    )
    .fetch_one(db)
    .await?;
    Ok(total.max(0) as u64)
}

/// A transaction for one long read of a full build: exempt from the statement timeout
/// that protects API requests, with room to sort in memory. A build reads every row,
/// for which hash joins are always right; ruling out nested loops keeps stale
/// statistics (right after a bulk load) from turning the scan quadratic.
pub async fn begin_scan(db: &PgPool) -> anyhow::Result<Transaction<'static, Postgres>> {
    let mut tx = db.begin().await?;
    sqlx::query("SET LOCAL statement_timeout = 0").execute(&mut *tx).await?;
    sqlx::query("SET LOCAL idle_in_transaction_session_timeout = 0").execute(&mut *tx).await?;
    sqlx::query("SET LOCAL work_mem = '256MB'").execute(&mut *tx).await?;
    sqlx::query("SET LOCAL enable_nestloop = off").execute(&mut *tx).await?;
    Ok(tx)
}

/// Every active listing with its fitment, in id order, read on two connections (each
/// in a [`begin_scan`] transaction).
///
/// Two ordered streams merged here rather than a fitment subquery per listing:
/// PostgreSQL answers a correlated subquery a million times far slower than two scans.
/// The streams read two snapshots; a change that falls between them is in the change
/// stream, for the caller to replay.
pub fn active_with_fitment<'c>(
    listings: &'c mut PgConnection,
    fitment: &'c mut PgConnection,
) -> BoxStream<'c, anyhow::Result<ListingView>> {
    let rows = sqlx::query(listing_select_with!(
        fitment = "'[]'::json",
        "WHERE l.status = 'active' AND s.status = 'active' ORDER BY l.id"
    ))
    .fetch(listings);
    let fitments = sqlx::query_as::<_, (Uuid, String, String, i16, i16)>(
        "SELECT listing_id, make, model, year_from, year_to FROM listing_fitment ORDER BY listing_id, position",
    )
    .fetch(fitment)
    .map_ok(|(listing_id, make, model, year_from, year_to)| {
        (listing_id, FitmentView { make, model, year_from, year_to })
    });
    // The state carries the first fitment row not yet given to a listing; `None`
    // before the fitment stream is first read.
    futures::stream::try_unfold((rows, fitments, None), |(mut rows, mut fitments, pending)| async move {
        let Some(row) = rows.try_next().await? else { return Ok(None) };
        let mut listing = ListingView::from_row(&row)?;
        let mut next = match pending {
            Some(next) => next,
            None => fitments.try_next().await?,
        };
        // Fitment of listings not being indexed (paused, deleted meanwhile) is skipped.
        while let Some((listing_id, _)) = &next
            && *listing_id <= listing.id
        {
            let (listing_id, fits) = next.take().expect("checked");
            if listing_id == listing.id {
                listing.fitment.push(fits);
            }
            next = fitments.try_next().await?;
        }
        Ok(Some((listing, (rows, fitments, Some(next)))))
    })
    .boxed()
}

/// The active listings among `ids`, with their fitment.
pub async fn active_among(db: &PgPool, ids: &[Uuid]) -> anyhow::Result<Vec<ListingView>> {
    let rows = sqlx::query(listing_select!("WHERE l.id = ANY($1) AND l.status = 'active' AND s.status = 'active'"))
        .bind(ids)
        .fetch_all(db)
        .await?;
    Ok(rows.iter().map(ListingView::from_row).collect::<Result<_, _>>()?)
}

/// Up to `limit` active listings with ids above `after`, in id order, with their
/// fitment.
pub async fn active_after(db: &PgPool, after: Uuid, limit: i64) -> anyhow::Result<Vec<ListingView>> {
    let rows = sqlx::query(listing_select!(
        "WHERE l.status = 'active' AND s.status = 'active' AND l.id > $1 ORDER BY l.id LIMIT $2"
    ))
    .bind(after)
    .bind(limit)
    .fetch_all(db)
    .await?;
    Ok(rows.iter().map(ListingView::from_row).collect::<Result<_, _>>()?)
}
