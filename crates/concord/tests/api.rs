//! The HTTP API, driven over real TCP as a client would, on SQLite and on PostgreSQL.

mod common;

use common::{TestDatabase, TestServer, request};
use serde_json::Value;

fn each_backend(test: impl Fn(&TestServer, &'static str)) {
    for db in TestDatabase::all() {
        let server = TestServer::start(&db);
        test(&server, db.backend);
    }
}

fn members_by_code(list: &Value) -> Vec<(String, String)> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["code"].as_str().unwrap().to_owned(),
                m["status"].as_str().unwrap_or("?").to_owned(),
            )
        })
        .collect()
}

#[test]
fn health_answers_with_the_event_count() {
    each_backend(|server, backend| {
        let reply = server.get("/healthz");
        assert_eq!(reply.status, 200, "{backend}");
        assert_eq!(reply.json["status"], "ok", "{backend}");
        assert!(
            reply.json["events"].as_i64().unwrap() > 40,
            "{backend}: {reply:?}"
        );
    });
}

#[test]
fn chairs_come_from_the_rotation_rule() {
    each_backend(|server, backend| {
        let reply = server.get("/api/v1/chairmanships?from=2017&to=2025");
        assert_eq!(reply.status, 200, "{backend}");
        let chairs: Vec<(i64, &str)> = reply
            .json
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["year"].as_i64().unwrap(), c["member"].as_str().unwrap()))
            .collect();
        // The articles' chairs, and the years between that no article names.
        assert_eq!(
            chairs,
            [
                (2017, "BLR"),
                (2018, "KAZ"),
                (2019, "KGZ"),
                (2020, "RUS"),
                (2021, "TJK"),
                (2022, "ARM"),
                (2023, "BLR"),
                (2024, "KAZ"),
                (2025, "KGZ")
            ],
            "{backend}"
        );
        // 2028 would be Armenia's turn; its participation is frozen, so Belarus chairs.
        // No record says so: only the rule can.
        let reply = server.get("/api/v1/chairmanships/2028");
        assert_eq!(reply.json["member"], "BLR", "{backend}: {reply:?}");
        // What the 2024 chairmanship stated comes with it.
        let reply = server.get("/api/v1/chairmanships/2024");
        assert_eq!(
            reply.json["priorities"].as_array().unwrap().len(),
            7,
            "{backend}"
        );
        assert_eq!(reply.json["handover"], "calendar-year", "{backend}");
        let reply = server.get("/api/v1/chairmanships/2018");
        assert_eq!(reply.json["handover"], "regular-session", "{backend}");
    });
}

#[test]
fn member_status_on_any_day() {
    each_backend(|server, backend| {
        let today = server.get("/api/v1/members");
        assert_eq!(today.status, 200);
        let codes = members_by_code(&today.json);
        assert_eq!(codes.len(), 6, "{backend}");
        assert!(
            codes.contains(&("ARM".into(), "frozen".into())),
            "{backend}: {codes:?}"
        );
        assert_eq!(today.json[1]["name"]["en"], "Belarus");
        assert_eq!(today.json[1]["name"]["ru"], "Беларусь");

        let before = server.get("/api/v1/members?date=2023-11-28");
        assert!(
            members_by_code(&before.json)
                .iter()
                .all(|(_, s)| s == "member"),
            "{backend}: {before:?}"
        );

        let frozen = server.get("/api/v1/members?date=2024-11-28&status=frozen");
        assert_eq!(
            members_by_code(&frozen.json),
            [("ARM".to_owned(), "frozen".to_owned())],
            "{backend}"
        );
        assert_eq!(
            frozen.json[0]["status_sources"][0],
            "003_f2608bd43c9350e4.txt"
        );

        let one = server.get("/api/v1/members/ARM?date=2024-12-01");
        assert_eq!(one.json["status"], "frozen", "{backend}");
        assert_eq!(
            one.json["status_history"].as_array().unwrap().len(),
            1,
            "{backend}"
        );
    });
}

#[test]
fn sessions_of_2024_show_armenia_frozen_and_five_present() {
    each_backend(|server, backend| {
        let reply = server.get("/api/v1/sessions?year=2024");
        assert_eq!(reply.status, 200, "{backend}");
        let sessions = reply.json.as_array().unwrap();
        assert_eq!(sessions.len(), 1, "{backend}: {reply:?}");
        let astana = &sessions[0];
        assert_eq!(astana["date"], "2024-11-28");
        assert_eq!(astana["city"]["en"], "Astana");
        assert_eq!(astana["body"], "csc");
        assert_eq!(astana["chair"], "KAZ");
        let attendance = astana["attendance"].as_object().unwrap();
        assert_eq!(attendance["ARM"], "frozen", "{backend}");
        assert_eq!(
            attendance.values().filter(|a| *a == "present").count(),
            5,
            "{backend}"
        );
        assert_eq!(
            astana["documents"].as_array().unwrap().len(),
            4,
            "{backend}"
        );
        assert!(
            astana["documents"]
                .as_array()
                .unwrap()
                .iter()
                .all(|d| d["status"] == "submitted")
        );
        assert!(
            astana["sources"]
                .as_array()
                .unwrap()
                .contains(&Value::from("003_f2608bd43c9350e4.txt"))
        );
    });
}

#[test]
fn the_2023_minsk_session_lists_armenia_absent_with_agreement() {
    each_backend(|server, backend| {
        let reply = server.get("/api/v1/sessions?year=2023");
        let minsk = &reply.json[0];
        assert_eq!(minsk["city"]["en"], "Minsk", "{backend}");
        assert_eq!(minsk["attendance"]["ARM"], "absent-agreed", "{backend}");
        assert_eq!(minsk["chair"], "BLR");
        let titles: Vec<&str> = minsk["documents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["title"]["en"].as_str().unwrap())
            .collect();
        assert!(
            titles.iter().any(|t| t.contains("crisis response system")),
            "{titles:?}"
        );
        assert!(
            titles.iter().any(|t| t.contains("joint press centre")),
            "{titles:?}"
        );
        assert_eq!(
            minsk["sources"],
            serde_json::json!(["002_a38566f08c145064.txt"])
        );
    });
}

#[test]
fn every_session_cites_its_articles_and_partial_dates_stay_partial() {
    each_backend(|server, backend| {
        let all = server.get("/api/v1/sessions");
        let sessions = all.json.as_array().unwrap();
        assert!(sessions.len() >= 8, "{backend}");
        assert!(
            sessions
                .iter()
                .all(|s| !s["sources"].as_array().unwrap().is_empty())
        );
        let dates: Vec<&str> = sessions
            .iter()
            .map(|s| s["date"].as_str().unwrap())
            .collect();
        let mut sorted = dates.clone();
        sorted.sort_by_key(|d| d.parse::<concord_core::PartialDate>().unwrap());
        assert_eq!(dates, sorted, "{backend}: sessions come in date order");
        let astana = server.get("/api/v1/sessions/csc-2018-11-08");
        assert_eq!(
            astana.json["heads"]["ARM"]["capacity"], "head-of-government",
            "{backend}: Armenia's acting prime minister represented it"
        );
        let minsk = server.get("/api/v1/sessions/csc-2023-minsk");
        assert_eq!(
            minsk.json["date"], "..2023-11-28",
            "{backend}: the article posted on 28 November 2023 does not give the session's day"
        );
        let yerevan = server.get("/api/v1/sessions/csc-2022-11-yerevan");
        assert_eq!(yerevan.json["date"], "2022-11", "{backend}");
        assert_eq!(
            yerevan.json["chair"],
            Value::Null,
            "no article names the 2022 session's chair"
        );
        let joint = server.get("/api/v1/sessions?year=2018&body=cdm");
        assert_eq!(
            joint.json[0]["bodies"],
            serde_json::json!(["cfm", "cdm", "cssc"]),
            "{backend}"
        );
    });
}

#[test]
fn the_registry_of_posts_exercises_and_programmes() {
    each_backend(|server, backend| {
        let appointments = server.get("/api/v1/appointments").json;
        let chief = appointments
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["post"] == "chief-of-joint-staff")
            .expect("the Chief of the Joint Staff");
        assert_eq!(
            chief["person"]["name"]["en"], "Andrei Serdyukov",
            "{backend}"
        );
        assert_eq!(chief["nationality"], "RUS");
        assert_eq!(chief["decided_at"], "csc-2023-minsk");
        let secretaries = appointments
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["post"] == "secretary-general")
            .count();
        assert_eq!(secretaries, 3, "{backend}");

        let exercises = server.get("/api/v1/exercises").json;
        let y2017 = &exercises["years"][0];
        assert_eq!(
            (y2017["year"].as_i64(), y2017["personnel"].as_i64()),
            (Some(2017), Some(13000))
        );
        assert_eq!(y2017["equipment"]["up_to"], 2000);
        assert_eq!(y2017["aircraft"], 140);
        assert_eq!(exercises["exercises"][0]["scheduled"], false);

        let programmes = server.get("/api/v1/programmes").json;
        let tajik = programmes
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["document"] == "2024-tajik-afghan-border-programme")
            .unwrap_or_else(|| panic!("{backend}: {programmes}"));
        // What the articles say of it, and nothing more: submitted, no items.
        assert_eq!(tajik["status"], "submitted", "{backend}");
        assert_eq!(tajik["items"], serde_json::json!([]), "{backend}");
        assert_eq!(tajik["history"]["id"], "tajik-afghan-border", "{backend}");
        let doc = server
            .get("/api/v1/documents/2024-tajik-afghan-border-programme")
            .json;
        assert_eq!(doc["type"], "programme");

        assert_eq!(
            server.get("/api/v1/sources").json.as_array().unwrap().len(),
            5
        );
        assert_eq!(
            server.get("/api/v1/bodies").json.as_array().unwrap().len(),
            9
        );
        assert_eq!(
            server.get("/api/v1/charter").json["organisation"]["abbreviation"]["ru"],
            "ОДКБ"
        );
    });
}

#[test]
fn bad_requests_get_problem_details() {
    each_backend(|server, backend| {
        let detail = server.get("/api/v1/members?date=2024-13-01").problem(400);
        assert!(
            detail.contains("2024-13-01") && detail.contains("YYYY-MM-DD"),
            "{backend}: {detail}"
        );

        let detail = server.get("/api/v1/sessions?yaer=2024").problem(400);
        assert!(
            detail.contains("unknown field `yaer`"),
            "{backend}: {detail}"
        );

        let detail = server.get("/api/v1/sessions?year=twenty").problem(400);
        assert!(detail.contains("`twenty` is not a year"), "{detail}");

        let detail = server.get("/api/v1/sessions?body=nato").problem(400);
        assert!(
            detail.contains("unknown body `nato`") && detail.contains("csc"),
            "{detail}"
        );

        let detail = server.get("/api/v1/members/XYZ").problem(404);
        assert!(detail.contains("unknown member code `XYZ`"), "{detail}");

        let detail = server.get("/api/v1/members/xy").problem(400);
        assert!(detail.contains("alpha-3"), "{detail}");

        let detail = server.get("/api/v1/members?status=ally").problem(400);
        assert!(detail.contains("unknown status `ally`"), "{detail}");

        let detail = server
            .get("/api/v1/chairmanships?from=2030&to=2017")
            .problem(400);
        assert!(detail.contains("after"), "{detail}");

        let detail = server.get("/api/v1/chairmanships/1066").problem(400);
        assert!(detail.contains("out of range"), "{detail}");

        server.get("/api/v1/sessions/csc-1999-01-01").problem(404);
        server.get("/api/v1/documents/nothing").problem(404);

        let detail = server.get("/api/v2/members").problem(404);
        assert!(detail.contains("/api/v2/members"), "{detail}");

        let detail = request("POST", &server.url("/api/v1/members")).problem(405);
        assert!(detail.contains("POST"), "{detail}");

        // Every problem type names a page that explains it.
        let kind = server.get("/api/v1/members/XYZ").json["type"]
            .as_str()
            .unwrap()
            .to_owned();
        let page = server.get(&kind);
        assert_eq!(page.status, 200);
        assert!(page.json["explanation"].as_str().unwrap().len() > 20);
    });
}
