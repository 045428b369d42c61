//! Real CAP messages import, export as schema-valid CAP 1.2, and come back the same; what
//! is not CAP 1.2 is refused with a message that names the place.

mod common;

use concord_cap::{CapError, Category, MsgType, Scope, Severity, Status, Urgency, parse, to_xml};

fn sample(name: &str) -> String {
    let path = format!("{}/tests/samples/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

const CAP_1_2: [&str; 3] = [
    "eccc-2022-10-10-air-quality-bc.xml",
    "eccc-2022-10-10-frost-advisory-ns.xml",
    "oasis-cap-1.2-amber-alert-example.xml",
];

#[test]
fn the_samples_are_schema_valid_as_published() {
    if !common::xmllint_present() {
        return;
    }
    for name in CAP_1_2 {
        common::validate(&sample(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    assert!(
        common::validate(&sample("nws-2015-08-15-flood-warning-cap-1.1.xml")).is_err(),
        "the CAP 1.1 sample is not CAP 1.2"
    );
}

#[test]
fn a_canadian_feed_message_reads_whole() {
    let alert = parse(sample("eccc-2022-10-10-air-quality-bc.xml").as_bytes()).unwrap();
    assert_eq!(alert.identifier, "urn:oid:2.49.0.1.124.2051382770.2022");
    assert_eq!(alert.sender, "cap-pac@canada.ca");
    assert_eq!(alert.sent.as_str(), "2022-10-10T17:44:34-00:00");
    assert_eq!(alert.status, Status::Actual);
    assert_eq!(alert.msg_type, MsgType::Update);
    assert_eq!(alert.scope, Scope::Public);
    assert_eq!(alert.codes.len(), 6);
    assert_eq!(
        alert.references.as_deref().unwrap().split(' ').count(),
        21,
        "21 earlier messages referenced"
    );
    assert_eq!(alert.infos.len(), 2);
    let en = &alert.infos[0];
    assert_eq!(en.language.as_deref(), Some("en-CA"));
    assert_eq!(
        en.categories,
        [
            Category::Env,
            Category::Health,
            Category::Geo,
            Category::Met,
            Category::Transport
        ]
    );
    assert_eq!(en.severity, Severity::Moderate);
    assert_eq!(en.urgency, Urgency::Future);
    assert_eq!(en.parameters.len(), 13);
    assert_eq!(en.areas.len(), 2);
    assert_eq!(en.areas[0].area_desc, "Kootenay Lake");
    assert_eq!(en.areas[0].geocodes.len(), 11);
    let ring = en.areas[0].polygons[0].points();
    assert_eq!(ring.len(), 17);
    assert_eq!((ring[0].lat, ring[0].lon), (49.0992, -117.0727));
    assert!(
        en.description
            .as_deref()
            .unwrap()
            .starts_with("\nSmoky Skies Bulletin — issued October 10, 2022\n"),
        "free text is kept exactly, line breaks and all"
    );
    assert_eq!(
        alert.infos[1].headline.as_deref(),
        Some("bulletin spécial sur la qualité de l'air en vigueur")
    );
    assert_eq!(
        alert.title(),
        Some("special air quality statement in effect")
    );
}

#[test]
fn empty_elements_of_a_feed_are_kept_empty() {
    let alert = parse(sample("eccc-2022-10-10-frost-advisory-ns.xml").as_bytes()).unwrap();
    let info = &alert.infos[0];
    assert_eq!(info.instruction.as_deref(), Some(""));
    assert_eq!(info.parameters[2].value, "");
    assert_eq!(info.areas.len(), 2);
}

#[test]
fn every_sample_exports_schema_valid_and_reads_back_the_same() {
    let lint = common::xmllint_present();
    for name in CAP_1_2 {
        let alert = parse(sample(name).as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let xml = to_xml(&alert);
        if lint {
            common::validate(&xml).unwrap_or_else(|e| panic!("{name} exported: {e}\n{xml}"));
        }
        assert_eq!(parse(xml.as_bytes()).unwrap(), alert, "{name}");
    }
}

#[test]
fn cap_1_1_is_refused_by_name() {
    let err = parse(sample("nws-2015-08-15-flood-warning-cap-1.1.xml").as_bytes()).unwrap_err();
    assert_eq!(err, CapError::Version("1.1".into()));
    assert!(
        err.to_string()
            .contains("this is CAP 1.1; Concord takes CAP 1.2")
    );
}

/// A minimal valid message with `info` replaced.
fn with_info(info: &str) -> String {
    format!(
        r#"<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>T-1</identifier><sender>crc@example.org</sender><sent>2024-11-28T10:00:00+05:00</sent><status>Exercise</status><msgType>Alert</msgType><scope>Public</scope>{info}</alert>"#
    )
}

const INFO: &str = "<info><category>Security</category><event>Border incident</event><urgency>Immediate</urgency><severity>Severe</severity><certainty>Observed</certainty></info>";

fn refusal(xml: &str) -> String {
    parse(xml.as_bytes()).unwrap_err().to_string()
}

#[test]
fn what_is_not_cap_1_2_is_refused_with_its_place() {
    assert!(parse(with_info(INFO).as_bytes()).is_ok());
    let cases = [
        (with_info(&INFO.replace("Immediate", "Soon")), "alert/info[1]/urgency: `Soon` is not a CAP 1.2 value (one of Immediate, Expected, Future, Past, Unknown)"),
        (with_info(&INFO.replace("<urgency>Immediate</urgency>", "")), "alert/info[1]: <urgency> is missing; CAP 1.2 requires it"),
        (with_info(&INFO.replace("<category>Security</category>", "")), "alert/info[1]: <category> is missing"),
        (with_info(INFO).replace("+05:00", "Z"), "alert/sent: `2024-11-28T10:00:00Z` is not a CAP date and time"),
        (with_info(INFO).replace("<identifier>T-1", "<identifier>T 1"), "alert/identifier: `T 1` has a space"),
        (with_info(INFO).replace("<scope>Public", "<scope>Private"), "a Private message names its <addresses>"),
        (with_info(&INFO.replace("</info>", "<area><areaDesc>Pamir</areaDesc><polygon>38,72 39,73 38,74</polygon></area></info>")), "alert/info[1]/area[1]/polygon[1]: a polygon has at least 4 points"),
        (with_info(&INFO.replace("</info>", "<area><areaDesc>Pamir</areaDesc><circle>38,72</circle></area></info>")), "alert/info[1]/area[1]/circle[1]: `38,72` is not a circle"),
        (with_info(&INFO.replace("</info>", "<colour>red</colour></info>")), "alert/info[1]: <colour> is not a CAP 1.2 element here"),
        (with_info(INFO).replace("<status>", "<sender>x</sender><status>"), "alert: <sender> appears 2 times"),
        (with_info(INFO).replace("T-1", "T-1<b>bold</b>"), "alert/identifier: holds an element <b>"),
        (with_info(INFO).replace("T-1", "T&#1;1"), "alert/identifier: holds a character XML 1.0 does not allow"),
        (with_info(INFO).replace("<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">", "<alert>"), "not a CAP message: the root element is <alert> in no namespace"),
        ("<feed xmlns=\"http://www.w3.org/2005/Atom\"/>".to_owned(), "not a CAP message: the root element is <feed> in namespace http://www.w3.org/2005/Atom"),
        (with_info(INFO).replace("</alert>", ""), "not well-formed XML"),
        ("<!DOCTYPE lolz [<!ENTITY lol \"lol\">]><alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">&lol;</alert>".to_owned(), "a document type declaration"),
        (with_info(INFO).replace("T-1", "&unknown;"), "unknown entity &unknown;"),
        (String::new(), "no root element"),
    ];
    for (xml, expected) in cases {
        let got = refusal(&xml);
        assert!(
            got.contains(expected),
            "expected `{expected}`, got `{got}` for\n{xml}"
        );
    }
}

#[test]
fn elements_of_other_namespaces_are_skipped() {
    let signed = with_info(INFO).replace(
        "</alert>",
        r#"<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo/></Signature></alert>"#,
    );
    assert_eq!(
        parse(signed.as_bytes()).unwrap(),
        parse(with_info(INFO).as_bytes()).unwrap()
    );
}

#[test]
fn too_large_a_message_is_refused_before_reading() {
    let huge = vec![b' '; concord_cap::MAX_BYTES + 1];
    assert!(matches!(parse(&huge), Err(CapError::TooLarge(_))));
}
