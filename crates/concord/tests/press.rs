//! The joint press centre, as the public meets it: a page in Russian or English, the
//! adopted documents as an Atom feed and the sessions as an iCalendar feed; nothing
//! confidential in any of them.

mod common;

use std::str::FromStr;

use common::{TestDatabase, TestServer};
use icalendar::{Calendar, Component, EventLike};
use serde_json::Value;

#[test]
fn the_press_centre_publishes_adopted_documents_and_sessions() {
    for db in TestDatabase::all() {
        let server = TestServer::start(&db);
        let documents = server.get("/api/v1/documents").json;
        let adopted: Vec<&Value> = documents
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["status"] == "adopted")
            .collect();
        assert!(
            adopted.len() >= 3,
            "the demo history adopted documents: {documents}"
        );
        let submitted: Vec<&Value> = documents
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["status"] != "adopted")
            .collect();
        assert!(!submitted.is_empty());

        // The page, in Russian for a visitor without preference, English when asked.
        let page = server.get("/press");
        assert_eq!(page.status, 200);
        assert!(
            page.text.contains("Объединённый пресс-центр"),
            "{}",
            page.text
        );
        for d in &adopted {
            assert!(
                page.text.contains(d["title"]["ru"].as_str().unwrap()),
                "{d}"
            );
        }
        for d in &submitted {
            assert!(
                !page.text.contains(d["title"]["ru"].as_str().unwrap()),
                "not adopted: {d}"
            );
        }

        // Atom: one entry per adopted document, readable by a feed reader.
        let atom = server.get("/press/documents.atom?lang=en");
        assert_eq!(atom.content_type, "application/atom+xml; charset=utf-8");
        let feed = atom_syndication::Feed::from_str(&atom.text).expect("an Atom feed");
        assert_eq!(feed.entries.len(), adopted.len());
        for d in &adopted {
            let id = format!("urn:concord:document:{}", d["id"].as_str().unwrap());
            let entry = feed
                .entries
                .iter()
                .find(|e| e.id == id)
                .unwrap_or_else(|| panic!("{id}"));
            assert_eq!(entry.title.value, d["title"]["en"].as_str().unwrap());
            assert!(
                entry.links[0]
                    .href
                    .ends_with(&format!("/api/v1/documents/{}", d["id"].as_str().unwrap()))
            );
        }
        let newest = feed.entries.iter().map(|e| e.updated).max().unwrap();
        assert_eq!(feed.updated, newest);
        assert!(
            server
                .get("/press/documents.atom?lang=fr")
                .problem(400)
                .contains("ru or en")
        );

        // iCalendar: every session whose day is known.
        let ics = server.get("/press/sessions.ics?lang=ru");
        assert_eq!(ics.content_type, "text/calendar; charset=utf-8");
        let calendar: Calendar = ics.text.parse().expect("an iCalendar feed");
        let sessions = server.get("/api/v1/sessions").json;
        let days: Vec<&Value> = sessions
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["date"].as_str().is_some_and(|d| d.len() == 10))
            .collect();
        let events: Vec<&icalendar::Event> = calendar
            .components
            .iter()
            .filter_map(|c| c.as_event())
            .collect();
        assert_eq!(events.len(), days.len(), "{}", ics.text);
        let minsk = events
            .iter()
            .find(|e| e.get_location() == Some("Минск"))
            .expect("a Minsk session, in Russian");
        assert!(minsk.get_summary().unwrap().contains("Минск"));
        // RFC 5545: an all-day event's DTEND is the day after its DTSTART (exclusive).
        for event in &events {
            let start = event.property_value("DTSTART").unwrap();
            let end = event.property_value("DTEND").unwrap();
            let format = time::macros::format_description!("[year][month][day]");
            let day = |v: &str| time::Date::parse(v, &format).unwrap();
            assert_eq!(day(end), day(start).next_day().unwrap(), "{}", ics.text);
        }
        // The joint meeting of the councils of 2018 is named as joint.
        let joint: Vec<&&icalendar::Event> = events
            .iter()
            .filter(|e| {
                e.get_summary()
                    .unwrap()
                    .starts_with("Совместное заседание: ")
            })
            .collect();
        let several = days
            .iter()
            .filter(|s| s["bodies"].as_array().unwrap().len() > 1)
            .count();
        assert!(several > 0, "the history holds a joint meeting");
        assert_eq!(joint.len(), several, "{}", ics.text);
    }
}
