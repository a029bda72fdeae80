//! Migrations keep what was stored readable: a database at an older schema, written as that version wrote
//! it, loads after `Store::open` migrates it to the latest. On SQLite and on PostgreSQL.

use sqlx::{AssertSqlSafe, Executor};
use store::scratch::{ScratchDb, backends};
use store::{IdempotencyRow, Store};

/// An idempotency record as schema 2 kept it: the HTTP status and the JSON answer.
const OLD_RECORDS: &str = r#"
INSERT INTO idempotency (subject, key, request_hash, status, response, created_at) VALUES
  ('t1/team-a', 'k-1', 'h1', 201,
   '{"id":"b7","status":"confirmed","verdict":"fits-after-preempting","reasons":[{"code":"preempts","message":"it preempts b3, b4"}],"preempted":["b3","b4"],"moved":["b12"]}',
   40),
  ('t1/team-a', 'k-2', 'h2', 201, '{"id":"b8","verdict":"fits","reasons":[],"preempted":[],"moved":[]}', 41),
  ('t1/team-a', 'k-3', 'h3', 500, '{"error":{}}', 42)
"#;

#[tokio::test]
async fn idempotency_records_of_schema_2_become_outcome_rows() {
    for backend in backends() {
        let db = ScratchDb::new(backend).await;
        if backend == "sqlite" {
            let opts = db.url.parse::<sqlx::sqlite::SqliteConnectOptions>().unwrap().create_if_missing(true);
            let pool = sqlx::SqlitePool::connect_with(opts).await.unwrap();
            sqlx::migrate!("migrations/sqlite").run_to(2, &pool).await.unwrap();
            pool.execute(AssertSqlSafe(OLD_RECORDS)).await.unwrap();
            pool.close().await;
        } else {
            let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
            sqlx::migrate!("migrations/postgres").run_to(2, &pool).await.unwrap();
            pool.execute(AssertSqlSafe(OLD_RECORDS)).await.unwrap();
            pool.close().await;
        }
        let store = Store::open(&db.url).await.unwrap_or_else(|e| panic!("{backend}: {e}"));
        let mut got = store.load().await.unwrap().idempotency;
        got.sort_by(|a, b| a.key.cmp(&b.key));
        let row = |key: &str, hash: &str, id, verdict: &str, reasons: &str, preempted: &str, moved: &str, at| {
            IdempotencyRow {
                subject: "t1/team-a".into(),
                key: key.into(),
                request_hash: hash.into(),
                booking_id: id,
                verdict: verdict.into(),
                reasons: reasons.into(),
                preempted: preempted.into(),
                moved: moved.into(),
                created_at: at,
            }
        };
        let want = vec![
            row("k-1", "h1", 7, "fits-after-preempting", "", "3,4", "12", 40),
            row("k-2", "h2", 8, "fits", "[]", "", "", 41),
        ];
        assert_eq!(got.len(), 2, "{backend}: the record no version wrote (status 500) is dropped: {got:?}");
        for (g, w) in got.iter().zip(&want) {
            let reasons: serde_json::Value = serde_json::from_str(&g.reasons).unwrap();
            let expected = if w.key == "k-1" {
                serde_json::json!([{"code": "preempts", "message": "it preempts b3, b4"}])
            } else {
                serde_json::json!([])
            };
            assert_eq!(reasons, expected, "{backend}: the reasons are kept as they were");
            assert_eq!(IdempotencyRow { reasons: w.reasons.clone(), ..g.clone() }, *w, "{backend}");
        }
        store.close().await;
        db.drop_db().await;
    }
}
