//! The store's contract, on SQLite and on PostgreSQL: one transaction per commit, nothing
//! half-written, and `init` that runs once.

mod common;

use common::TestDatabase;
use concord_core::event::Event;
use concord_core::history::History;
use concord_store::init::{InitError, InitFiles, InitOutcome, init};

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

#[test]
fn init_is_idempotent_and_refuses_different_data() {
    for db in TestDatabase::all() {
        block_on(async {
            let store = concord::database::open(&db.url).await.unwrap();
            let files = concord::demo::files();
            let first = init(store.as_ref(), &files).await.unwrap();
            assert!(
                matches!(first, InitOutcome::Created { events } if events > 40),
                "{}: {first:?}",
                db.backend
            );
            let count = store.event_count().await.unwrap();
            assert_eq!(
                init(store.as_ref(), &files).await.unwrap(),
                InitOutcome::AlreadyLoaded,
                "{}",
                db.backend
            );
            assert_eq!(
                store.event_count().await.unwrap(),
                count,
                "{}: a second init wrote events",
                db.backend
            );

            let edited =
                concord::demo::HISTORY.replace("About a dozen and a half", "About fifteen");
            let other = InitFiles {
                history: &edited,
                ..files
            };
            let err = init(store.as_ref(), &other).await.unwrap_err();
            assert!(
                matches!(err, InitError::Different { .. }),
                "{}: {err}",
                db.backend
            );
            assert!(err.to_string().contains("different data"), "{err}");
            assert_eq!(store.event_count().await.unwrap(), count, "{}", db.backend);
        });
    }
}

#[test]
fn a_failed_commit_leaves_no_event_and_no_row() {
    for db in TestDatabase::all() {
        block_on(async {
            let store = db.demo_store().await;
            let before = store.event_count().await.unwrap();
            let sessions_before = store.sessions(&Default::default()).await.unwrap().len();
            let charter = store.charter().await.unwrap().unwrap();
            let history =
                History::from_toml("history.toml", concord::demo::HISTORY, &charter).unwrap();

            // A new session, then one whose id is already taken: the second fails, so the
            // first must not be stored either.
            let mut fresh = history.sessions[0].clone();
            fresh.id = "csc-2099-01-01".parse().unwrap();
            let duplicate = history.sessions[0].clone();
            let result = store
                .commit(
                    &[
                        Event::SessionRecorded(fresh),
                        Event::SessionRecorded(duplicate),
                    ],
                    None,
                )
                .await;
            assert!(
                result.is_err(),
                "{}: a duplicate session was accepted",
                db.backend
            );
            assert_eq!(
                store.event_count().await.unwrap(),
                before,
                "{}: an event leaked",
                db.backend
            );
            assert_eq!(
                store.sessions(&Default::default()).await.unwrap().len(),
                sessions_before,
                "{}",
                db.backend
            );
            assert!(
                store.session("csc-2099-01-01").await.unwrap().is_none(),
                "{}: a row leaked",
                db.backend
            );
        });
    }
}

#[test]
fn concurrent_inits_load_the_data_once() {
    for db in TestDatabase::all() {
        block_on(async {
            let a = concord::database::open(&db.url).await.unwrap();
            let b = concord::database::open(&db.url).await.unwrap();
            let files = concord::demo::files();
            let (ra, rb) = tokio::join!(init(a.as_ref(), &files), init(b.as_ref(), &files));
            let outcomes = [ra.unwrap(), rb.unwrap()];
            let created = outcomes
                .iter()
                .filter(|o| matches!(o, InitOutcome::Created { .. }))
                .count();
            assert_eq!(created, 1, "{}: {outcomes:?}", db.backend);
            let expected = concord_store::init::prepare(&files).unwrap().0.len() as i64;
            assert_eq!(a.event_count().await.unwrap(), expected, "{}", db.backend);
        });
    }
}

#[test]
fn sessions_filter_by_year_and_body() {
    for db in TestDatabase::all() {
        block_on(async {
            let store = db.demo_store().await;
            let by = |year: Option<i32>, body: Option<&str>| {
                let filter = concord_store::SessionFilter {
                    year,
                    body: body.map(str::to_owned),
                };
                let store = store.clone();
                async move {
                    store
                        .sessions(&filter)
                        .await
                        .unwrap()
                        .into_iter()
                        .map(|s| s.id.to_string())
                        .collect::<Vec<_>>()
                }
            };
            assert_eq!(
                by(Some(2018), Some("csc")).await,
                ["csc-2018-11-08"],
                "{}",
                db.backend
            );
            assert_eq!(
                by(Some(2018), Some("cssc")).await,
                ["joint-cfm-cdm-cssc-2018-11-08"],
                "{}",
                db.backend
            );
            assert_eq!(
                by(Some(2018), None).await,
                [
                    "military-technical-commission-2018",
                    "csc-2018-11-08",
                    "joint-cfm-cdm-cssc-2018-11-08"
                ],
                "{}",
                db.backend
            );
            assert!(by(Some(2020), None).await.is_empty());
            let docs = store
                .documents(Some(&["csc-2017-11-30".to_owned()]))
                .await
                .unwrap();
            assert_eq!(docs.len(), 3, "{}", db.backend);
        });
    }
}

#[test]
fn the_ledger_grows_consistently_and_a_failed_commit_adds_no_leaf() {
    use concord_store::ledger;
    for db in TestDatabase::all() {
        block_on(async {
            let store = db.demo_store().await;
            let size = store.ledger_size().await.unwrap();
            assert_eq!(
                size as i64,
                store.event_count().await.unwrap(),
                "{}",
                db.backend
            );
            let old_root = ledger::root(store.as_ref(), size).await.unwrap();

            let charter = store.charter().await.unwrap().unwrap();
            let history =
                History::from_toml("history.toml", concord::demo::HISTORY, &charter).unwrap();
            let mut session = history.sessions[0].clone();
            session.id = "csc-2099-01-01".parse().unwrap();
            let duplicate = history.sessions[0].clone();
            assert!(
                store
                    .commit(
                        &[
                            Event::SessionRecorded(session.clone()),
                            Event::SessionRecorded(duplicate)
                        ],
                        None
                    )
                    .await
                    .is_err()
            );
            assert_eq!(
                store.ledger_size().await.unwrap(),
                size,
                "{}: a leaf leaked",
                db.backend
            );
            assert_eq!(ledger::root(store.as_ref(), size).await.unwrap(), old_root);

            let last = store
                .commit(&[Event::SessionRecorded(session)], None)
                .await
                .unwrap();
            assert_eq!(
                last as u64, size,
                "{}: leaves are numbered without gaps",
                db.backend
            );
            let proof = ledger::consistency(store.as_ref(), size, None)
                .await
                .unwrap();
            assert_eq!((proof.from_size, proof.to_size), (size, size + 1));
            assert_eq!(proof.from_root.0, old_root, "{}", db.backend);
            proof.verify().unwrap();
            let inclusion = ledger::inclusion(store.as_ref(), size, None).await.unwrap();
            inclusion.verify().unwrap();
        });
    }
}

#[test]
fn a_commit_decided_on_a_stale_record_is_refused_and_writes_nothing() {
    use concord_store::{Expect, StoreError};
    for db in TestDatabase::all() {
        block_on(async {
            let store = db.demo_store().await;
            let subject = "document/2024-astana-declaration";
            let read = store.subject_head(subject).await.unwrap();
            assert!(read.is_some(), "{}: the replay gave it events", db.backend);
            let agenda = |n: u32| {
                Event::AgendaItemAdded(concord_core::council::AgendaItemAdded {
                    session: "csc-2024-11-28".parse().unwrap(),
                    number: n,
                    title: concord_core::Text::new("Item", "Пункт"),
                })
            };
            // Someone else changes the document after we read it…
            let mut v2 = store
                .versions("2024-astana-declaration")
                .await
                .unwrap()
                .pop()
                .unwrap();
            v2.version.number = 2;
            v2.hash = v2.version.hash();
            let other = Event::VersionRecorded(v2);
            store.commit(&[other], None).await.unwrap();
            let count = store.event_count().await.unwrap();
            // …so our commit, decided on what we read, is refused whole.
            let stale = Expect {
                subject: subject.to_owned(),
                last: read,
            };
            let err = store
                .append(&[agenda(1), agenda(2)], None, &[stale])
                .await
                .unwrap_err();
            assert!(
                matches!(err, StoreError::Conflict(_)),
                "{}: {err}",
                db.backend
            );
            assert_eq!(store.event_count().await.unwrap(), count, "{}", db.backend);
            assert_eq!(store.ledger_size().await.unwrap() as i64, count);
            let session = store.session("csc-2024-11-28").await.unwrap().unwrap();
            assert!(
                session.agenda.iter().all(|a| a.en != "Item"),
                "{}",
                db.backend
            );
            // Decided on the current record, it goes through.
            let fresh = Expect {
                subject: subject.to_owned(),
                last: store.subject_head(subject).await.unwrap(),
            };
            store.append(&[agenda(1)], None, &[fresh]).await.unwrap();
        });
    }
}

#[test]
fn proofs_from_the_hash_cache_equal_proofs_from_the_database() {
    use concord_store::ledger;
    for db in TestDatabase::all() {
        block_on(async {
            // Mirrored as it was written…
            let cached = db.demo_store().await;
            // …warmed from the database by another node…
            let warmed = concord::database::open(&db.url).await.unwrap();
            let loaded = ledger::warm(warmed.as_ref()).await.unwrap();
            assert!(loaded > 0, "{}", db.backend);
            // …and read from the database alone.
            let bare = concord::database::open(&db.url).await.unwrap();
            bare.hash_cache().set_mirror_budget(0);
            let size = cached.ledger_size().await.unwrap();
            assert_eq!(
                cached.hash_cache().mirrored(),
                concord_ledger::log::stored_hash_count(size)
            );
            assert_eq!(bare.hash_cache().mirrored(), 0);
            for index in (0..size).step_by(7) {
                let a = ledger::inclusion(cached.as_ref(), index, Some(size))
                    .await
                    .unwrap();
                let b = ledger::inclusion(warmed.as_ref(), index, Some(size))
                    .await
                    .unwrap();
                let c = ledger::inclusion(bare.as_ref(), index, Some(size))
                    .await
                    .unwrap();
                assert_eq!(a, b, "{}: leaf {index}", db.backend);
                assert_eq!(a, c, "{}: leaf {index}", db.backend);
                a.verify().unwrap();
            }
            let a = ledger::consistency(cached.as_ref(), 17, Some(size))
                .await
                .unwrap();
            let c = ledger::consistency(bare.as_ref(), 17, Some(size))
                .await
                .unwrap();
            assert_eq!(a, c, "{}", db.backend);
        });
    }
}

/// A runtime of two workers, as a server's: writers spawned at once really run at once.
fn two_workers() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// The store at `url` with the demo data loaded.
async fn demo_store(url: &str) -> std::sync::Arc<dyn concord_store::Store> {
    let store = concord::database::open(url).await.unwrap();
    init(store.as_ref(), &concord::demo::files()).await.unwrap();
    store
}

#[test]
fn concurrent_writes_commit_together_and_a_failing_one_fails_alone() {
    use concord_core::history::Source;
    for db in TestDatabase::all() {
        let url = db.url.clone();
        two_workers().block_on(async move {
            let store = demo_store(&url).await;
            let before = store.ledger_size().await.unwrap();
            let source = |n: usize| {
                Event::SourceCited(Source {
                    file: format!("concurrent-{n}.txt"),
                    title: format!("Source {n}"),
                    published: None,
                })
            };
            // Fifty writers at once; the seventh cites a source the third also cites.
            let mut tasks = Vec::new();
            for n in 0..50 {
                let store = store.clone();
                let event = if n == 7 { source(3) } else { source(n) };
                tasks.push(tokio::spawn(
                    async move { store.commit(&[event], None).await },
                ));
            }
            let mut leaves = Vec::new();
            let mut failures = 0;
            for t in tasks {
                match t.await.unwrap() {
                    Ok(leaf) => leaves.push(leaf),
                    Err(concord_store::StoreError::Conflict(_)) => failures += 1,
                    Err(e) => panic!("unexpected {e}"),
                }
            }
            assert_eq!(failures, 1, "exactly the duplicate fails");
            leaves.sort();
            let expected: Vec<i64> = (before as i64..before as i64 + 49).collect();
            assert_eq!(
                leaves, expected,
                "the others get consecutive leaves, no gap"
            );
            assert_eq!(store.ledger_size().await.unwrap(), before + 49);
            let report = concord_store::ledger::audit(store.as_ref(), |_, _| {})
                .await
                .unwrap();
            assert_eq!(report.entries, before + 49);
        });
    }
}

/// Reports written at once, one of them a second version of another's report under a seal
/// used before: that one alone fails, whether its group is written together (a row
/// statement that ends the whole transaction) or, sharing a subject, write by write (each
/// in a savepoint, where a failing statement must undo itself alone).
#[test]
fn a_used_seal_among_concurrent_reports_fails_alone() {
    let report = |n: usize, version: u32, nonce: &str| {
        let value = serde_json::json!({
            "report": {
                "id": format!("kaz-seal-{n}"), "version": version, "reporter": "KAZ",
                "domain": "illegal-migration", "occurred_at": "2026-11-23T10:00:00Z",
                "place": {"type": "Point", "coordinates": [69.2, 41.3]}, "country": "KAZ",
                "severity": "Minor", "urgency": "Expected", "certainty": "Observed",
                "title": format!("Report {n}"), "text": "Border crossing attempt.",
                "releasability": {"to": "members"}
            },
            "seal": {"key": "kaz-key", "issued_at": "2026-11-23T10:00:00Z", "nonce": nonce,
                     "signature": "not checked by the store"},
            "on": "2026-11-23"
        });
        Event::IncidentReported(Box::new(serde_json::from_value(value).unwrap()))
    };
    for db in TestDatabase::all() {
        let url = db.url.clone();
        two_workers().block_on(async move {
            let store = demo_store(&url).await;
            store
                .commit(&[report(1000, 1, "used")], None)
                .await
                .unwrap();
            let before = store.ledger_size().await.unwrap();
            // Fifty writers at once; the seventh writes the third's report again, version
            // 2, under the seal already used.
            let mut tasks = Vec::new();
            for n in 0..50 {
                let store = store.clone();
                let event = if n == 7 {
                    report(3, 2, "used")
                } else {
                    report(n, 1, &format!("nonce-{n}"))
                };
                tasks.push(tokio::spawn(
                    async move { store.commit(&[event], None).await },
                ));
            }
            let mut failures = 0;
            for (n, t) in tasks.into_iter().enumerate() {
                match t.await.unwrap() {
                    Ok(_) => assert_ne!(n, 7, "{}", db.backend),
                    Err(concord_store::StoreError::Conflict(_)) => {
                        assert_eq!(n, 7, "{}", db.backend);
                        failures += 1;
                    }
                    Err(e) => panic!("{}: unexpected {e}", db.backend),
                }
            }
            assert_eq!(failures, 1, "{}", db.backend);
            assert_eq!(store.ledger_size().await.unwrap(), before + 49);
            // The store still writes afterwards.
            store
                .commit(&[report(2000, 1, "after")], None)
                .await
                .unwrap();
        });
    }
}

/// Two servers on one PostgreSQL: the other's commits reach this one's hash mirror on
/// PostgreSQL's word, so its proofs stay in memory (the mirror would otherwise stop at the
/// first commit it did not make).
#[test]
fn another_servers_commits_reach_the_hash_mirror() {
    let Some(db) = TestDatabase::postgres() else {
        return;
    };
    common::block_on(async {
        let writer = db.demo_store().await;
        let follower = concord::database::open(&db.url).await.unwrap();
        concord_store::ledger::warm(follower.as_ref())
            .await
            .unwrap();
        concord_server::follow_other_writers(follower.clone());
        // Let the listener connect before the other server writes.
        let mut growth = follower.growth().expect("PostgreSQL gives word of growth");
        tokio::time::timeout(std::time::Duration::from_secs(5), growth.changed())
            .await
            .expect("the listener connects")
            .unwrap();
        let before = follower.hash_cache().mirrored();
        let events: Vec<Event> = (0..5)
            .map(|n| {
                Event::SourceCited(concord_core::history::Source {
                    file: format!("follow-{n}.txt"),
                    title: "Source".into(),
                    published: None,
                })
            })
            .collect();
        writer.commit(&events, None).await.unwrap();
        let size = writer.ledger_size().await.unwrap();
        let wanted = concord_ledger::log::stored_hash_count(size);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while follower.hash_cache().mirrored() < wanted {
            assert!(
                std::time::Instant::now() < deadline,
                "the mirror stayed at {} of {wanted} (from {before})",
                follower.hash_cache().mirrored()
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    });
}

#[test]
fn the_journal_is_copied_into_the_database_file_while_the_store_is_open() {
    let db = TestDatabase::sqlite();
    let file = std::path::PathBuf::from(db.url.trim_start_matches("sqlite://"));
    common::block_on(async {
        let store = db.demo_store().await;
        let events: Vec<Event> = (0..500)
            .map(|n| {
                Event::SourceCited(concord_core::history::Source {
                    file: format!("journal-{n}.txt"),
                    title: "A source cited to grow the journal past a few pages".repeat(8),
                    published: None,
                })
            })
            .collect();
        for chunk in events.chunks(50) {
            store.commit(chunk, None).await.unwrap();
        }
        // No commit checkpoints at SQLite's usual 1,000 pages (the journal here stays
        // below the store's backstop): the store's own task copies the journal back, a
        // moment after the commits, with the store still open.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let copied = std::fs::metadata(&file).unwrap().len();
            if copied > 400 * 1024 {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the database file holds {copied} bytes: the journal was not checkpointed"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        drop(store);
    });
}

/// An append dropped before it commits or rolls back (its task cancelled mid-write) leaves
/// nothing behind, and the next append writes: its connection is never lent again with the
/// transaction open (SQLite's is closed, PostgreSQL's rolled back by sqlx). Lent open, on
/// SQLite the next `BEGIN` would be refused; on PostgreSQL the next append would wait for
/// the ledger head's lock for ever.
#[test]
fn an_append_dropped_open_leaves_nothing_and_the_next_one_writes() {
    use concord_store::append::AppendDatabase;
    for db in TestDatabase::all() {
        block_on(async {
            if db.backend == "sqlite" {
                let store = concord_store_sqlite::SqliteStore::open(&db.url)
                    .await
                    .unwrap();
                drop_one_append_then_write(&store).await;
                assert_entries(&store, db.backend).await;
            } else {
                let store = concord_store_postgres::PostgresStore::open(&db.url)
                    .await
                    .unwrap();
                drop_one_append_then_write(&store).await;
                assert_entries(&store, db.backend).await;
            }
        });
    }

    async fn drop_one_append_then_write<D: AppendDatabase>(db: &D) {
        use concord_store::append::{AppendTransaction, EntryRow, Rows};
        let entry = |body: &str| EntryRow {
            index: 0,
            kind: "source-cited",
            body: body.to_owned(),
            subject: None,
        };
        let rows = |entries| Rows {
            now: time::OffsetDateTime::now_utc(),
            entries,
            seals: &[],
            hashes: &[],
            sources: &[],
            positions: &[],
            incidents: &[],
        };
        let (mut dropped, size) = db.begin_append().await.unwrap();
        assert_eq!(size, 0);
        let first = [entry("dropped")];
        dropped.insert_rows(&rows(&first)).await.unwrap();
        drop(dropped);

        let begun = tokio::time::timeout(std::time::Duration::from_secs(10), db.begin_append());
        let (mut next, again) = begun
            .await
            .expect("the dropped append's lock is released")
            .unwrap();
        assert_eq!(again, 0);
        let second = [entry("written")];
        next.insert_rows(&rows(&second)).await.unwrap();
        next.commit(1).await.unwrap();
    }

    async fn assert_entries(store: &dyn concord_store::Store, backend: &str) {
        assert_eq!(store.ledger_size().await.unwrap(), 1, "{backend}");
        assert_eq!(
            store.ledger_entries(0, 1).await.unwrap(),
            ["written"],
            "{backend}"
        );
    }
}
