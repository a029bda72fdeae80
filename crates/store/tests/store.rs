//! The storage suite: every test runs on SQLite and on PostgreSQL (when `GPUBOOK_TEST_PG` is set, always
//! under CI).

use store::scratch::{ScratchDb, backends};
use store::{AuditRow, Batch, BookingRow, IdempotencyRow, ObjectChange, ObjectRow, PriceVersionRow, Store, TokenRow};

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
            booking_id: 1,
            verdict: "fits-after-preempting".into(),
            reasons: r#"[{"code":"preempts","message":"b2"}]"#.into(),
            preempted: "2".into(),
            moved: "3,4".into(),
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
async fn price_versions_append_in_order_and_a_seq_is_never_written_twice() {
    each_backend(|store, _| async move {
        let v = |seq, at, doc: &str| PriceVersionRow { seq, applied_at: at, doc: doc.into() };
        let mut batch = Batch::default();
        batch.price_versions.push(v(1, 100, "kind: PriceList"));
        store.commit(&batch).await.unwrap();
        let mut batch = Batch::default();
        batch.price_versions.push(v(2, 200, ""));
        store.commit(&batch).await.unwrap();
        assert_eq!(store.load().await.unwrap().price_versions, vec![v(1, 100, "kind: PriceList"), v(2, 200, "")]);
        // Versions are never rewritten: the same seq again fails the whole commit.
        let mut batch = Batch::default();
        batch.price_versions.push(v(2, 300, "changed"));
        assert!(store.commit(&batch).await.is_err());
        assert_eq!(store.load().await.unwrap().price_versions.len(), 2);
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

#[tokio::test]
async fn a_replaced_writer_commits_nothing_more() {
    each_backend(|first, url| async move {
        let mut lock = first.lock_writer(&url).await.unwrap().expect("the first writer gets the lock");
        let mut batch = Batch::default();
        batch.bookings.push(booking(1, "holding"));
        first.commit(&batch).await.unwrap();

        let second = Store::open(&url).await.unwrap();
        assert!(second.lock_writer(&url).await.unwrap().is_none(), "a second writer must wait for the lock");
        if first.backend() == "postgres" {
            // The first writer's lock session ends behind its back; it notices on its own...
            store::scratch::terminate_lock_sessions(&url).await;
            let lost = tokio::time::timeout(
                std::time::Duration::from_secs(10),
                lock.lost(std::time::Duration::from_millis(50)),
            )
            .await
            .expect("the lost lock is noticed");
            assert!(!lost.is_fenced(), "{lost}");
        } else {
            drop(lock);
        }
        // ...and a second server takes over.
        let mut taken = None;
        for _ in 0..100 {
            taken = second.lock_writer(&url).await.unwrap();
            if taken.is_some() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let taken = taken.expect("the second writer gets the lock");
        assert!(taken.epoch > first.epoch());

        // The old writer's next commit is refused, in the same transaction that would have written it.
        let mut late = Batch::default();
        late.bookings.push(booking(2, "holding"));
        let err = first.commit(&late).await.unwrap_err();
        assert!(err.is_fenced(), "{err}");
        let mut fresh = Batch::default();
        fresh.bookings.push(booking(3, "holding"));
        second.commit(&fresh).await.unwrap();
        let ids: Vec<i64> = second.load().await.unwrap().bookings.iter().map(|b| b.id).collect();
        assert_eq!(ids, vec![1, 3], "nothing of the replaced writer lands after the takeover");
        second.close().await;
    })
    .await;
}

#[tokio::test]
async fn the_sqlite_lock_is_on_the_database_file_whatever_its_spelling() {
    let db = ScratchDb::new("sqlite").await;
    let path = db.url.trim_start_matches("sqlite://").to_string();
    let (dir, file) = path.rsplit_once('/').unwrap();
    // The same file through a symbolic link to its directory: only the canonical path tells them apart.
    let link = format!("{dir}-link");
    std::os::unix::fs::symlink(dir, &link).unwrap();
    let other_spelling = format!("sqlite://{link}/{file}");
    let a = Store::open(&db.url).await.unwrap();
    let b = Store::open(&other_spelling).await.unwrap();
    let held = a.lock_writer(&db.url).await.unwrap();
    assert!(held.is_some());
    assert!(b.lock_writer(&other_spelling).await.unwrap().is_none(), "one database file, one writer");
    drop(held);
    assert!(b.lock_writer(&other_spelling).await.unwrap().is_some());
    a.close().await;
    b.close().await;
    let _ = std::fs::remove_file(&link);
}

#[tokio::test]
async fn a_full_disk_fails_commits_whole_and_the_store_recovers_when_space_returns() {
    let Some(disk) = store::scratch::SmallDisk::mount(600 * 1024) else { return };
    let url = format!("sqlite://{}", disk.path.join("gpubook.db").display());
    let store = Store::open(&url).await.unwrap();
    let _lock = store.lock_writer(&url).await.unwrap().unwrap();
    let big = |id: i64| BookingRow { doc: "x".repeat(3000), ..booking(id, "holding") };
    let mut committed = vec![];
    let mut failures = 0;
    for id in 1..400 {
        let mut b = Batch::default();
        b.bookings.push(big(id));
        // Before the fix a failed connection went back to the pool inside its transaction: later commits
        // waited out the busy timeout or "committed" into a transaction that never ended.
        let answered = tokio::time::timeout(std::time::Duration::from_secs(2), store.commit(&b))
            .await
            .unwrap_or_else(|_| panic!("commit {id} hangs after the disk filled"));
        match answered {
            Ok(()) => committed.push(id),
            Err(e) => {
                assert!(e.to_string().contains("full"), "{e}");
                failures += 1;
            }
        }
    }
    assert!(failures > 0, "the disk never filled");
    assert_eq!(store.load().await.unwrap().bookings.iter().map(|b| b.id).collect::<Vec<_>>(), committed);
    // Space comes back: the same store writes again, without a restart.
    disk.resize(64 << 20);
    let mut after = Batch::default();
    after.bookings.push(big(1000));
    store.commit(&after).await.unwrap();
    committed.push(1000);
    store.close().await;
    let reopened = Store::open(&url).await.unwrap();
    assert_eq!(reopened.load().await.unwrap().bookings.iter().map(|b| b.id).collect::<Vec<_>>(), committed);
    reopened.close().await;
}
