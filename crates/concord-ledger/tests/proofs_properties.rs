//! Property tests: every proof the log generates verifies, and changing any byte of it, or
//! of what it proves, makes it fail.

use concord_ledger::checkpoint::{self, LogKey};
use concord_ledger::entry::leaf_hash;
use concord_ledger::log::{self, MemoryLog};
use concord_ledger::proof::{B64, ConsistencyProof, InclusionProof};
use proptest::prelude::*;

fn log_of(size: u64) -> MemoryLog {
    let mut log = MemoryLog::default();
    for i in 0..size {
        log.push(leaf_hash(format!("entry {i}").as_bytes()));
    }
    log
}

fn root(mem: &MemoryLog, size: u64) -> concord_ledger::Hash {
    mem.compute(|k| log::root(k, size)).unwrap()
}

fn inclusion(mem: &MemoryLog, size: u64, index: u64) -> InclusionProof {
    let path = mem.compute(|k| log::inclusion(k, size, index)).unwrap();
    InclusionProof {
        index,
        tree_size: size,
        leaf_hash: B64(leaf_hash(format!("entry {index}").as_bytes())),
        root_hash: B64(root(mem, size)),
        path: path.into_iter().map(B64).collect(),
    }
}

fn flip(hash: &mut B64, byte: usize, bit: u8) {
    hash.0.0[byte % 32] ^= 1 << (bit % 8);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn inclusion_proofs_verify_and_any_flipped_bit_fails(size in 1u64..300, index_seed in any::<u64>(), which in any::<usize>(), byte in 0usize..32, bit in 0u8..8) {
        let mem = log_of(size);
        let index = index_seed % size;
        let proof = inclusion(&mem, size, index);
        prop_assert!(proof.verify().is_ok());

        let mut bad = proof.clone();
        let slots = bad.path.len() + 2;
        match which % slots {
            0 => flip(&mut bad.leaf_hash, byte, bit),
            1 => flip(&mut bad.root_hash, byte, bit),
            k => flip(&mut bad.path[k - 2], byte, bit),
        }
        prop_assert!(bad.verify().is_err(), "a flipped bit verified");
    }

    #[test]
    fn consistency_proofs_verify_and_any_flipped_bit_fails(to in 2u64..300, from_seed in any::<u64>(), which in any::<usize>(), byte in 0usize..32, bit in 0u8..8) {
        let mem = log_of(to);
        let from = 1 + from_seed % (to - 1);
        let path = mem.compute(|k| log::consistency(k, from, to)).unwrap();
        let proof = ConsistencyProof {
            from_size: from,
            to_size: to,
            from_root: B64(root(&mem, from)),
            to_root: B64(root(&mem, to)),
            path: path.into_iter().map(B64).collect(),
        };
        prop_assert!(proof.verify().is_ok());
        let mut bad = proof.clone();
        let slots = bad.path.len() + 2;
        match which % slots {
            0 => flip(&mut bad.from_root, byte, bit),
            1 => flip(&mut bad.to_root, byte, bit),
            k => flip(&mut bad.path[k - 2], byte, bit),
        }
        prop_assert!(bad.verify().is_err(), "a flipped bit verified");
    }

    #[test]
    fn signed_checkpoints_verify_and_any_changed_byte_fails(size in 0u64..1_000_000, seed in any::<[u8; 32]>(), at in any::<usize>(), to in any::<u8>()) {
        let (key, _secret) = LogKey::generate("concord.test/ledger").unwrap();
        let signed = key.sign(size, concord_ledger::Hash(seed)).unwrap();
        let ok = checkpoint::verify(&signed, key.verifier_key()).unwrap();
        prop_assert_eq!((ok.size, ok.root, ok.origin.as_str()), (size, concord_ledger::Hash(seed), "concord.test/ledger"));

        let mut bytes = signed.clone().into_bytes();
        let at = at % bytes.len();
        prop_assume!(bytes[at] != to);
        bytes[at] = to;
        if let Ok(tampered) = String::from_utf8(bytes) {
            // A change in the text or the signature fails; so does one that breaks the format.
            prop_assert!(checkpoint::verify(&tampered, key.verifier_key()).is_err(), "tampered checkpoint verified:\n{}", tampered);
        }
    }
}

#[test]
fn a_key_survives_its_secret_form_and_another_key_does_not_verify() {
    let (key, secret) = LogKey::generate("concord.csto/ledger").unwrap();
    assert!(
        !format!("{key:?}").contains(&secret),
        "Debug shows the secret"
    );
    let again = LogKey::from_secret(&secret).unwrap();
    assert_eq!(again.verifier_key(), key.verifier_key());
    let signed = again.sign(5, concord_ledger::Hash([7; 32])).unwrap();
    assert!(signed.starts_with("concord.csto/ledger\n5\n"), "{signed}");
    let (other, _) = LogKey::generate("concord.csto/ledger").unwrap();
    assert!(checkpoint::verify(&signed, other.verifier_key()).is_err());
}
