//! Properties of the CAP codec: any message Concord can hold writes to XML that reads
//! back the same and validates against the official schema; no input makes the reader
//! panic.

mod common;

use concord_cap::*;
use proptest::prelude::*;

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9][A-Za-z0-9:._@/-]{0,24}"
}

/// Text whose ends are not white space (values CAP trims).
fn trimmed() -> impl Strategy<Value = String> {
    "[A-Za-zА-Яа-я0-9]([A-Za-zА-Яа-я0-9 ,.;'&<>\"-]{0,30}[A-Za-z0-9])?"
}

/// Free text: any XML character, markup characters, line breaks, leading spaces.
fn free_text() -> impl Strategy<Value = String> {
    "[\\PC\t\n\r]{0,60}"
}

fn one_of<T: Copy + std::fmt::Debug + 'static>(all: &'static [T]) -> impl Strategy<Value = T> {
    proptest::sample::select(all)
}

fn cap_time() -> impl Strategy<Value = CapTime> {
    (
        1970i32..2100,
        1u8..=12,
        1u8..=28,
        0u8..24,
        0u8..60,
        0u8..60,
        any::<bool>(),
        0u8..14,
        prop::sample::select(&[0u8, 30, 45][..]),
    )
        .prop_map(|(y, mo, d, h, mi, s, minus, oh, om)| {
            let sign = if minus { '-' } else { '+' };
            CapTime::parse(&format!(
                "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{sign}{oh:02}:{om:02}"
            ))
            .expect("generated times are CAP times")
        })
}

fn point() -> impl Strategy<Value = (f64, f64)> {
    (-900_000i32..=900_000, -1_800_000i32..=1_800_000)
        .prop_map(|(la, lo)| (f64::from(la) / 10_000.0, f64::from(lo) / 10_000.0))
}

fn polygon() -> impl Strategy<Value = Polygon> {
    prop::collection::vec(point(), 3..8).prop_map(|mut points| {
        points.push(points[0]);
        let text: Vec<String> = points.iter().map(|(la, lo)| format!("{la},{lo}")).collect();
        Polygon::parse(&text.join(" ")).expect("generated polygons are closed")
    })
}

fn circle() -> impl Strategy<Value = Circle> {
    (point(), 0u32..5000).prop_map(|((la, lo), r)| {
        Circle::parse(&format!("{la},{lo} {}", f64::from(r) / 10.0)).expect("generated circles")
    })
}

fn named() -> impl Strategy<Value = Vec<NamedValue>> {
    prop::collection::vec(
        (token(), free_text()).prop_map(|(value_name, value)| NamedValue { value_name, value }),
        0..3,
    )
}

fn area() -> impl Strategy<Value = Area> {
    (
        trimmed(),
        prop::collection::vec(polygon(), 0..3),
        prop::collection::vec(circle(), 0..2),
        named(),
        prop::option::of((-2000i32..60000, prop::option::of(0i32..60000))),
    )
        .prop_map(|(area_desc, polygons, circles, geocodes, height)| Area {
            area_desc,
            polygons,
            circles,
            geocodes,
            altitude: height.map(|(a, _)| a.to_string()),
            ceiling: height.and_then(|(_, c)| c.map(|c| c.to_string())),
        })
}

fn resource() -> impl Strategy<Value = Resource> {
    (
        trimmed(),
        "[a-z]{3,8}/[a-z0-9.+-]{1,12}",
        prop::option::of(any::<u32>()),
        prop::option::of(token()),
        prop::option::of("[0-9a-f]{40}"),
    )
        .prop_map(|(resource_desc, mime_type, size, uri, digest)| Resource {
            resource_desc,
            mime_type,
            size: size.map(u64::from),
            uri: uri.map(|u| format!("https://example.org/{u}")),
            deref_uri: None,
            digest,
        })
}

fn info() -> impl Strategy<Value = Info> {
    (
        (
            prop::option::of("[a-z]{2}-[A-Z]{2}"),
            prop::collection::vec(one_of(Category::ALL), 1..4),
            trimmed(),
            prop::collection::vec(one_of(ResponseType::ALL), 0..3),
            one_of(Urgency::ALL),
            one_of(Severity::ALL),
            one_of(Certainty::ALL),
            prop::option::of(free_text()),
            named(),
        ),
        (
            prop::option::of(cap_time()),
            prop::option::of(cap_time()),
            prop::option::of(free_text()),
            prop::option::of(free_text()),
            prop::option::of(free_text()),
            prop::option::of(token().prop_map(|t| format!("https://example.org/{t}"))),
            named(),
            prop::collection::vec(resource(), 0..2),
            prop::collection::vec(area(), 0..3),
        ),
    )
        .prop_map(
            |(
                (
                    language,
                    categories,
                    event,
                    response_types,
                    urgency,
                    severity,
                    certainty,
                    audience,
                    event_codes,
                ),
                (
                    effective,
                    expires,
                    headline,
                    description,
                    instruction,
                    web,
                    parameters,
                    resources,
                    areas,
                ),
            )| Info {
                language,
                categories,
                event,
                response_types,
                urgency,
                severity,
                certainty,
                audience,
                event_codes,
                effective,
                onset: None,
                expires,
                sender_name: None,
                headline,
                description,
                instruction,
                web,
                contact: None,
                parameters,
                resources,
                areas,
            },
        )
}

fn alert() -> impl Strategy<Value = Alert> {
    (
        (
            token(),
            token(),
            cap_time(),
            one_of(Status::ALL),
            one_of(MsgType::ALL),
            one_of(Scope::ALL),
        ),
        (
            prop::option::of(free_text()),
            prop::collection::vec(token(), 0..3),
            prop::option::of(free_text()),
            prop::option::of(free_text()),
            prop::collection::vec(info(), 0..3),
        ),
    )
        .prop_map(
            |(
                (identifier, sender, sent, status, msg_type, scope),
                (source, codes, note, references, infos),
            )| {
                Alert {
                    identifier,
                    sender,
                    sent,
                    status,
                    msg_type,
                    source,
                    scope,
                    restriction: (scope == Scope::Restricted)
                        .then(|| "members of the organisation".to_owned()),
                    addresses: (scope == Scope::Private)
                        .then(|| "crc@example.org ncc@example.org".to_owned()),
                    codes,
                    note,
                    references,
                    incidents: None,
                    infos,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn what_is_written_reads_back_the_same(alert in alert()) {
        let xml = to_xml(&alert);
        prop_assert_eq!(parse(xml.as_bytes()).map_err(|e| e.to_string()), Ok(alert));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse(&bytes);
    }

    #[test]
    fn a_damaged_message_is_refused_or_read_but_never_panics(
        alert in alert(),
        cut in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let mut xml = to_xml(&alert).into_bytes();
        let at = cut.index(xml.len());
        xml[at] = byte;
        let _ = parse(&xml);
        xml.truncate(at);
        let _ = parse(&xml);
    }
}

proptest! {
    // Each case runs xmllint: a few dozen are enough to cover every element.
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn what_is_written_validates_against_the_official_schema(alert in alert()) {
        if common::xmllint_present() {
            let xml = to_xml(&alert);
            prop_assert!(common::validate(&xml).is_ok(), "{}\n{}", common::validate(&xml).unwrap_err(), xml);
        }
    }
}
