//! Signed commands as the HTTP API receives them: decode, canonicalise, check a signature.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(signed) = serde_json::from_slice::<concord_core::council::SignedCommand>(data) {
        let _ = concord_ledger::signature::command_message(&signed.command);
        let _ = concord_ledger::signature::SignatureB64::parse(&signed.signature);
    }
});
