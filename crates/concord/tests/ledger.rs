//! The ledger over HTTP, checked as an auditor would: verify the signed checkpoint with the
//! published key, recompute leaf hashes and roots from the entries themselves, and check
//! proofs — on SQLite and on PostgreSQL.

mod common;

use common::{TestDatabase, TestServer};
use concord_ledger::canonical;
use concord_ledger::checkpoint;
use concord_ledger::entry::leaf_hash;
use concord_ledger::log::{self, MemoryLog};
use concord_ledger::proof::{ConsistencyProof, InclusionProof};

#[test]
fn checkpoint_proofs_and_entries_agree() {
    for db in TestDatabase::all() {
        let server = TestServer::start(&db);
        let backend = db.backend;

        let key = server.get("/api/v1/ledger/key").json;
        let verifier_key = key["verifier_key"].as_str().unwrap().to_owned();
        // The ledger's name is the organisation's and this deployment's own.
        let origin = key["origin"].as_str().unwrap().to_owned();
        assert!(origin.starts_with("csto.concord/ledger/"), "{origin}");
        assert_eq!(origin.len(), "csto.concord/ledger/".len() + 16, "{origin}");

        let reply = server.get("/api/v1/ledger/checkpoint");
        assert_eq!(reply.status, 200, "{backend}");
        assert!(
            reply.content_type.starts_with("text/plain"),
            "{backend}: {reply:?}"
        );
        let cp = checkpoint::verify(&reply.text, &verifier_key)
            .unwrap_or_else(|e| panic!("{backend}: {e}\n{}", reply.text));
        let events = server.get("/healthz").json["events"].as_u64().unwrap();
        assert_eq!(cp.size, events, "{backend}: one leaf per event");
        assert_eq!(cp.origin, origin);

        // An auditor's own root, from the raw entries: every leaf is the canonical JSON of
        // its entry, numbered from 0 without gaps.
        let entries = server
            .get(&format!("/api/v1/ledger/entries?start=0&end={}", cp.size))
            .json;
        let entries = entries.as_array().unwrap();
        assert_eq!(entries.len() as u64, cp.size, "{backend}");
        let mut mine = MemoryLog::default();
        for (i, entry) in entries.iter().enumerate() {
            assert_eq!(entry["index"], i, "{backend}");
            mine.push(leaf_hash(&canonical::to_vec(entry)));
        }
        assert_eq!(entries[0]["event"]["type"], "charter-adopted", "{backend}");
        assert_eq!(entries[1]["event"]["type"], "ledger-named", "{backend}");
        assert_eq!(entries[1]["event"]["body"]["origin"], origin, "{backend}");
        // Every entry carries its own secret salt (16 random bytes).
        let salts: std::collections::HashSet<&str> = entries
            .iter()
            .map(|e| e["salt"].as_str().unwrap())
            .collect();
        assert_eq!(salts.len(), entries.len(), "{backend}: salts repeat");
        assert!(salts.iter().all(|s| s.len() == 32), "{backend}");
        let my_root = mine.compute(|k| log::root(k, cp.size)).unwrap();
        assert_eq!(
            my_root, cp.root,
            "{backend}: the recomputed root differs from the signed one"
        );

        // Inclusion of entry 5 in the signed tree.
        let proof: InclusionProof =
            serde_json::from_value(server.get("/api/v1/ledger/proof/inclusion?index=5").json)
                .unwrap();
        assert_eq!((proof.index, proof.tree_size), (5, cp.size));
        assert_eq!(
            proof.leaf_hash.0,
            leaf_hash(&canonical::to_vec(&entries[5])),
            "{backend}"
        );
        assert_eq!(proof.root_hash.0, cp.root);
        proof.verify().unwrap();

        // Consistency of an older size with the signed tree; the older root is recomputed
        // from the entries, not taken from the server.
        let proof: ConsistencyProof =
            serde_json::from_value(server.get("/api/v1/ledger/proof/consistency?from=10").json)
                .unwrap();
        let old_root = mine.compute(|k| log::root(k, 10)).unwrap();
        assert_eq!(proof.from_root.0, old_root, "{backend}");
        assert_eq!((proof.to_size, proof.to_root.0), (cp.size, cp.root));
        proof.verify().unwrap();

        // Inclusion in an older tree.
        let proof: InclusionProof = serde_json::from_value(
            server
                .get("/api/v1/ledger/proof/inclusion?index=3&size=10")
                .json,
        )
        .unwrap();
        assert_eq!(proof.root_hash.0, old_root);
        proof.verify().unwrap();
    }
}

#[test]
fn ledger_questions_outside_the_log_are_refused() {
    for db in TestDatabase::all() {
        let server = TestServer::start(&db);
        let size = server.get("/healthz").json["events"].as_u64().unwrap();
        let detail = server
            .get(&format!("/api/v1/ledger/proof/inclusion?index={size}"))
            .problem(400);
        assert!(
            detail.contains("is not in a ledger of"),
            "{}: {detail}",
            db.backend
        );
        let detail = server.get("/api/v1/ledger/proof/inclusion").problem(400);
        assert!(detail.contains("index is required"), "{detail}");
        let detail = server
            .get("/api/v1/ledger/proof/inclusion?index=-1")
            .problem(400);
        assert!(detail.contains("not a whole number"), "{detail}");
        let detail = server
            .get("/api/v1/ledger/proof/consistency?from=5&to=2")
            .problem(400);
        assert!(detail.contains("larger than"), "{detail}");
        let detail = server
            .get(&format!(
                "/api/v1/ledger/proof/consistency?from=1&to={}",
                size + 1
            ))
            .problem(400);
        assert!(detail.contains("beyond the ledger"), "{detail}");
        let detail = server
            .get("/api/v1/ledger/entries?start=0&end=5000")
            .problem(400);
        assert!(detail.contains("at most 1000"), "{detail}");
        server.get("/api/v1/ledger/entries?begin=0").problem(400);
    }
}
