//! The ledger against published RFC 6962 test vectors from an independent implementation:
//! the reference tree of transparency-dev/merkle (`testonly/constants.go`,
//! `proof/verify_test.go`, Apache-2.0): eight leaf inputs, the root of every prefix, and
//! known inclusion and consistency proofs.

use concord_ledger::Hash;
use concord_ledger::entry::leaf_hash;
use concord_ledger::log::{self, KnownHashes, MemoryLog, Step};
use concord_ledger::proof::{B64, ConsistencyProof, InclusionProof};

const LEAVES: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];

const ROOTS: [&str; 9] = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

/// (leaf index from 0, tree size, audit path)
const INCLUSION: [(u64, u64, &[&str]); 4] = [
    (
        0,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        &[
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        3,
        &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
    ),
    (
        1,
        5,
        &[
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
];

/// (from size, to size, proof)
const CONSISTENCY: [(u64, u64, &[&str]); 4] = [
    (
        1,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        &[
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        &[
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        &[
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
];

fn h(hex_text: &str) -> Hash {
    Hash(hex::decode(hex_text).unwrap().try_into().unwrap())
}

fn reference_log() -> MemoryLog {
    let mut log = MemoryLog::default();
    for leaf in LEAVES {
        log.push(leaf_hash(&hex::decode(leaf).unwrap()));
    }
    log
}

/// Runs a computation over the memory log through [`KnownHashes`], as the store does.
fn via_known<T>(
    mem: &MemoryLog,
    f: impl Fn(&mut KnownHashes) -> Result<Step<T>, concord_ledger::LedgerError>,
) -> T {
    mem.compute(f).unwrap()
}

#[test]
fn roots_of_every_prefix_match() {
    let mem = reference_log();
    for (size, expected) in ROOTS.iter().enumerate() {
        let root = via_known(&mem, |k| log::root(k, size as u64));
        assert_eq!(root, h(expected), "root of size {size}");
    }
}

#[test]
fn appending_through_known_hashes_stores_what_the_memory_log_stores() {
    let mem = reference_log();
    let mut stored: Vec<Hash> = Vec::new();
    let mut known = KnownHashes::new();
    for (n, leaf) in LEAVES.iter().enumerate() {
        // Start cold each time, so every needed hash is fetched from what was stored.
        known.clear();
        let leaf = leaf_hash(&hex::decode(leaf).unwrap());
        let pairs = log::run_with(
            &mut known,
            |idx| idx.iter().map(|&i| stored[i as usize]).collect(),
            |k| log::append(k, n as u64, leaf),
        )
        .unwrap();
        for (index, hash) in pairs {
            assert_eq!(index as usize, stored.len());
            stored.push(hash);
        }
    }
    assert_eq!(stored, mem.stored);
}

#[test]
fn known_inclusion_proofs_are_generated_and_verify() {
    let mem = reference_log();
    for (index, size, path) in INCLUSION {
        let generated = via_known(&mem, |k| log::inclusion(k, size, index));
        let expected: Vec<Hash> = path.iter().map(|p| h(p)).collect();
        assert_eq!(generated, expected, "inclusion of {index} in {size}");
        let proof = InclusionProof {
            index,
            tree_size: size,
            leaf_hash: B64(leaf_hash(&hex::decode(LEAVES[index as usize]).unwrap())),
            root_hash: B64(h(ROOTS[size as usize])),
            path: expected.into_iter().map(B64).collect(),
        };
        proof.verify().unwrap();
        let mut wrong = proof.clone();
        wrong.index ^= 1;
        assert!(wrong.verify().is_err(), "wrong index verified");
    }
}

#[test]
fn known_consistency_proofs_are_generated_and_verify() {
    let mem = reference_log();
    for (from, to, path) in CONSISTENCY {
        let generated = via_known(&mem, |k| log::consistency(k, from, to));
        let expected: Vec<Hash> = path.iter().map(|p| h(p)).collect();
        assert_eq!(generated, expected, "consistency {from} → {to}");
        let proof = ConsistencyProof {
            from_size: from,
            to_size: to,
            from_root: B64(h(ROOTS[from as usize])),
            to_root: B64(h(ROOTS[to as usize])),
            path: expected.into_iter().map(B64).collect(),
        };
        proof.verify().unwrap();
        let swapped = ConsistencyProof {
            from_root: proof.to_root,
            to_root: proof.from_root,
            ..proof.clone()
        };
        assert!(swapped.verify().is_err(), "swapped roots verified");
    }
}
