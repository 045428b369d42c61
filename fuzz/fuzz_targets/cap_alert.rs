//! The CAP 1.2 reader on arbitrary bytes: an alert or an error, never a panic; and what it
//! reads writes back to XML that reads the same.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(alert) = concord_cap::parse(data) {
        let xml = concord_cap::to_xml(&alert);
        assert_eq!(concord_cap::parse(xml.as_bytes()).as_ref(), Ok(&alert));
    }
});
