//! The incident report decoder and its checks, on arbitrary bytes: a value or an error,
//! never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(report) = serde_json::from_slice::<concord_core::incident::IncidentReport>(data) {
        let _ = report.place.check();
        let _ = report.place.bbox();
    }
});
