//! Signed commands as the HTTP API receives them: decode, read the seal's moment and nonce,
//! build the signed message, parse the signature.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(signed) = serde_json::from_slice::<concord_core::council::SignedCommand>(data) {
        let _ = signed.seal.moment();
        let _ = signed.seal.check_nonce();
        let _ = signed.seal.message("fuzz.concord/ledger/0000000000000000", &signed.command);
        let _ = concord_ledger::signature::SignatureB64::parse(&signed.seal.signature);
    }
});
