//! Tables for people reading a terminal, in English or Russian.

use concord_core::history::SessionStatus;
use concord_core::registry::MemberStatus;
use concord_store::queries::{ChairmanshipView, MemberView, SessionView};
use time::Date;

use crate::command::Lang;

fn label(lang: Lang, en: &'static str, ru: &'static str) -> &'static str {
    if lang == Lang::Ru { ru } else { en }
}

fn status_label(status: MemberStatus, lang: Lang) -> &'static str {
    match (status, lang) {
        (_, Lang::En) => status.as_str(),
        (MemberStatus::Member, Lang::Ru) => "член",
        (MemberStatus::Frozen, Lang::Ru) => "участие заморожено",
        (MemberStatus::Suspended, Lang::Ru) => "участие приостановлено",
        (MemberStatus::Partner, Lang::Ru) => "партнёр",
        (MemberStatus::Observer, Lang::Ru) => "наблюдатель",
        (MemberStatus::Withdrawn, Lang::Ru) => "вышел",
    }
}

/// Members and their status on `day`.
pub fn members(members: &[MemberView], day: Date, lang: Lang) {
    let l = lang.tag();
    println!(
        "{} {}",
        label(lang, "Member states on", "Государства-члены на"),
        concord_core::PartialDate::Day(day)
    );
    for m in members {
        let status = m.status.map_or("?", |s| status_label(s, lang));
        let since = match (m.status_since, m.status_attested) {
            (Some(d), _) => format!(
                " {} {}",
                label(lang, "since", "с"),
                concord_core::PartialDate::Day(d)
            ),
            (None, Some(d)) => format!(
                " ({} {})",
                label(lang, "attested", "подтверждено"),
                concord_core::PartialDate::Day(d)
            ),
            _ => String::new(),
        };
        println!("  {}  {:<14} {:<20}{since}", m.code, m.name.get(l), status);
    }
}

/// Chairmanships and their priorities.
pub fn chairs(chairs: &[ChairmanshipView], lang: Lang) {
    let l = lang.tag();
    for c in chairs {
        println!("{}  {}  {}", c.year, c.member, c.member_name.get(l));
        if let Some(motto) = &c.motto {
            println!("      «{}»", motto.get(l));
        }
        for (i, p) in c.priorities.iter().enumerate() {
            println!("      {}. {}", i + 1, p.get(l));
        }
    }
}

/// Sessions with attendance and documents.
pub fn sessions(sessions: &[SessionView], lang: Lang) {
    let l = lang.tag();
    if sessions.is_empty() {
        println!("{}", label(lang, "No sessions.", "Заседаний нет."));
    }
    for s in sessions {
        let place = s.city.as_ref().map_or("?", |c| c.get(l));
        let planned = if s.status == SessionStatus::Planned {
            label(lang, " (planned)", " (запланировано)")
        } else {
            ""
        };
        let bodies: Vec<&str> = s.bodies.iter().map(|b| b.as_str()).collect();
        println!(
            "{}  {}  {}{planned}  [{}]",
            s.date,
            bodies.join("+"),
            place,
            s.id
        );
        if let Some(chair) = s.chair {
            println!("    {}: {chair}", label(lang, "chair", "председатель"));
        }
        if !s.attendance.is_empty() {
            let att: Vec<String> = s
                .attendance
                .iter()
                .map(|(m, a)| format!("{m} {}", a.as_str()))
                .collect();
            println!(
                "    {}: {}",
                label(lang, "attendance", "участие"),
                att.join(", ")
            );
        }
        for d in &s.documents {
            println!(
                "    - {} ({}, {})",
                d.title.get(l),
                d.doc_type,
                d.status.as_str()
            );
        }
    }
}
