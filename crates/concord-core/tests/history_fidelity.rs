//! The history holds what real sessions record, not only what the demo's five articles say:
//! a session planned for a quarter, an extraordinary session by videoconference with a
//! member attending by video and a state represented by its head of government, a session
//! known only as "on or before" the day an article was posted, or only by its weekday.

use concord_core::charter::Charter;
use concord_core::date::PartialDate;
use concord_core::history::{Attendance, Capacity, History, SessionFormat};

const CHARTER: &str = include_str!("../../../data/charter.toml");
const HISTORY: &str = include_str!("../../../data/history.toml");

const MORE: &str = r#"
[[sessions]]
id = "csc-2024-planned"
bodies = ["csc"]
date = "2024-Q4"
status = "planned"
city = { en = "Astana", ru = "Астана" }
sources = ["002_a38566f08c145064.txt"]

[[sessions]]
id = "csc-2020-extraordinary"
bodies = ["csc"]
date = "thursday..2020-12-04"
status = "held"
formats = ["extraordinary", "videoconference"]
attendance = { ARM = "present-by-video", BLR = "present-by-video", KAZ = "present", KGZ = "present-by-video", RUS = "present-by-video", TJK = "absent-agreed" }
heads.KGZ = { name = { en = "A. Person", ru = "А. Персона" }, title = { en = "Prime Minister of Kyrgyzstan", ru = "Премьер-министр Кыргызстана" }, capacity = "head-of-government" }
sources = ["002_a38566f08c145064.txt"]
"#;

#[test]
fn quarters_bounds_weekdays_video_and_heads_of_government_are_held() {
    let charter = Charter::from_toml("charter.toml", CHARTER).unwrap();
    let history =
        History::from_toml("history.toml", &format!("{HISTORY}{MORE}"), &charter).unwrap();
    let session = |id: &str| {
        history
            .sessions
            .iter()
            .find(|s| s.id.as_str() == id)
            .unwrap()
    };
    assert_eq!(
        session("csc-2024-planned").date,
        PartialDate::Quarter(2024, 4)
    );
    let minsk = session("csc-2023-minsk");
    assert_eq!(minsk.date.to_string(), "..2023-11-28");
    assert_eq!(
        minsk.date.exact(),
        None,
        "the article does not give the day"
    );
    let extra = session("csc-2020-extraordinary");
    assert_eq!(extra.date.latest().to_string(), "2020-12-03");
    assert!(extra.formats.contains(&SessionFormat::Videoconference));
    assert!(extra.formats.contains(&SessionFormat::Extraordinary));
    assert_eq!(
        extra.attendance.get(&"RUS".parse().unwrap()),
        Some(&Attendance::PresentByVideo)
    );
    assert_eq!(
        extra.heads[&"KGZ".parse().unwrap()].capacity,
        Some(Capacity::HeadOfGovernment)
    );
    // A planned session with attendance, or attendance on a month only, is refused.
    let wrong = MORE.replace("date = \"thursday..2020-12-04\"", "date = \"2020-12\"");
    let err = History::from_toml("history.toml", &format!("{HISTORY}{wrong}"), &charter)
        .unwrap_err()
        .to_string();
    assert!(err.contains("attendance needs the day"), "{err}");
}
