//! The storage suite: every test runs on SQLite and on PostgreSQL (when `GPUBOOK_TEST_PG` is set, always
//! under CI).

use store::scratch::{ScratchDb, backends};
use store::{AuditRow, Batch, BookingRow, IdempotencyRow, ObjectChange, ObjectRow, Store, TokenRow};

fn booking(id: i64, state: &str) -> BookingRow {
    BookingRow {
        id,
        project: "team-a".into(),
        owner: "alice".into(),
        state: state.into(),
        starts_at: 1_000,
        ends_at: 2_000,
        doc: format!("{{\"id\":{id},\"state\":\"{state}\"}}"),
    }
}

fn token(id: &str) -> TokenRow {
    TokenRow {
        id: id.into(),
        hash: format!("hash-{id}"),
        subject: "alice".into(),
        role: "member".into(),
        projects: "team-a".into(),
        created_at: 5,
    }
}

fn audit(action: &str) -> AuditRow {
    AuditRow { seq: 0, at: 7, actor: "alice".into(), action: action.into(), target: "b1".into(), detail: "{}".into() }
}

async fn each_backend<F, Fut>(test: F)
where
    F: Fn(Store, String) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for backend in backends() {
        let db = ScratchDb::new(backend).await;
        let store = Store::open(&db.url).await.unwrap_or_else(|e| panic!("{backend}: {e}"));
        assert_eq!(store.backend(), backend);
        test(store.clone(), db.url.clone()).await;
        store.close().await;
        db.drop_db().await;
    }
}

#[tokio::test]
async fn a_commit_round_trips_through_load() {
    each_backend(|store, _| async move {
        let mut batch = Batch::default();
        batch.objects.push(ObjectChange::Put(ObjectRow { kind: "Size".into(), name: "s".into(), doc: "a".into() }));
        batch.bookings.push(booking(1, "holding"));
        batch.tokens.push(token("t1"));
        batch.idempotency.push(IdempotencyRow {
            subject: "alice".into(),
            key: "k1".into(),
            request_hash: "h".into(),
            status: 201,
            response: "{}".into(),
            created_at: 9,
        });
        batch.audit.push(audit("book"));
        store.commit(&batch).await.unwrap();
        let snap = store.load().await.unwrap();
        assert_eq!(snap.objects, vec![ObjectRow { kind: "Size".into(), name: "s".into(), doc: "a".into() }]);
        assert_eq!(snap.bookings, vec![booking(1, "holding")]);
        assert_eq!(snap.tokens, vec![token("t1")]);
        assert_eq!(snap.idempotency, batch.idempotency);
        let log = store.audit(10).await.unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!((log[0].action.as_str(), log[0].at), ("book", 7));
    })
    .await;
}

#[tokio::test]
async fn upserts_replace_booking_state_and_object_documents() {
    each_backend(|store, _| async move {
        let mut first = Batch::default();
        first.bookings.push(booking(1, "holding"));
        first.objects.push(ObjectChange::Put(ObjectRow { kind: "Size".into(), name: "s".into(), doc: "a".into() }));
        store.commit(&first).await.unwrap();
        let mut second = Batch::default();
        second.bookings.push(booking(1, "cancelled"));
        second.objects.push(ObjectChange::Put(ObjectRow { kind: "Size".into(), name: "s".into(), doc: "b".into() }));
        second.objects.push(ObjectChange::Put(ObjectRow { kind: "Cohort".into(), name: "c".into(), doc: "c".into() }));
        store.commit(&second).await.unwrap();
        let mut third = Batch::default();
        third.objects.push(ObjectChange::Delete { kind: "Cohort".into(), name: "c".into() });
        third.revoked.push("t-none".into());
        store.commit(&third).await.unwrap();
        let snap = store.load().await.unwrap();
        assert_eq!(snap.bookings, vec![booking(1, "cancelled")]);
        assert_eq!(snap.objects, vec![ObjectRow { kind: "Size".into(), name: "s".into(), doc: "b".into() }]);
    })
    .await;
}

#[tokio::test]
async fn a_failing_batch_leaves_nothing_half_written() {
    each_backend(|store, _| async move {
        let mut first = Batch::default();
        first.tokens.push(token("t1"));
        store.commit(&first).await.unwrap();
        // The booking and audit rows come first; the duplicate token id then fails the whole batch.
        let mut bad = Batch::default();
        bad.bookings.push(booking(2, "holding"));
        bad.audit.push(audit("book"));
        bad.tokens.push(token("t1"));
        assert!(store.commit(&bad).await.is_err());
        let snap = store.load().await.unwrap();
        assert!(snap.bookings.is_empty());
        assert_eq!(snap.tokens.len(), 1);
        assert!(store.audit(10).await.unwrap().is_empty());
        let mut revoke = Batch::default();
        revoke.revoked.push("t1".into());
        store.commit(&revoke).await.unwrap();
        assert!(store.load().await.unwrap().tokens.is_empty(), "a revoked token is deleted");
    })
    .await;
}

#[tokio::test]
async fn audit_is_newest_first_and_limited() {
    each_backend(|store, _| async move {
        for action in ["a", "b", "c"] {
            let mut batch = Batch::default();
            batch.audit.push(audit(action));
            store.commit(&batch).await.unwrap();
        }
        let log = store.audit(2).await.unwrap();
        assert_eq!(log.iter().map(|a| a.action.as_str()).collect::<Vec<_>>(), ["c", "b"]);
        assert!(log[0].seq > log[1].seq);
    })
    .await;
}

#[tokio::test]
async fn reopening_keeps_data_and_migrations_are_idempotent() {
    each_backend(|store, url| async move {
        let mut batch = Batch::default();
        batch.bookings.push(booking(3, "holding"));
        store.commit(&batch).await.unwrap();
        let again = Store::open(&url).await.unwrap();
        assert_eq!(again.load().await.unwrap().bookings, vec![booking(3, "holding")]);
        again.ping().await.unwrap();
        again.close().await;
    })
    .await;
}

#[tokio::test]
async fn only_one_writer_holds_a_postgres_database() {
    each_backend(|store, url| async move {
        let first = store.lock_writer(&url).await.unwrap();
        assert!(first.is_some());
        if store.backend() == "postgres" {
            assert!(store.lock_writer(&url).await.unwrap().is_none(), "a second writer must be refused");
            drop(first);
            // The lock goes with its connection.
            let mut got = None;
            for _ in 0..50 {
                got = store.lock_writer(&url).await.unwrap();
                if got.is_some() {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            assert!(got.is_some());
        }
    })
    .await;
}

#[tokio::test]
async fn a_bad_url_names_the_problem() {
    let err = Store::open("mysql://x").await.unwrap_err();
    assert!(err.to_string().contains("expected sqlite://PATH or postgres://"), "{err}");
}
