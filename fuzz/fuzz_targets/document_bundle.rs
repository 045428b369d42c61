//! Document bundles as `concord verify` reads them, against no trusted keys: every check
//! runs and fails cleanly.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(bundle) = serde_json::from_slice::<concord_core::bundle::Bundle>(data) {
        let _ = concord_core::bundle::verify(&bundle, &concord_core::bundle::TrustedKeys::default());
    }
});
