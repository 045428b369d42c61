//! The chair's annual report as a printed document, in English or Russian: the same
//! report always gives the same PDF bytes, and every page carries the report's SHA-256.

use concord_core::charter::Charter;
use concord_core::text::Text;
use concord_pdf::{Block, Document, PdfError};
use concord_store::annual::{AnnualReport, Part};

fn t<'a>(lang: &str, en: &'a str, ru: &'a str) -> &'a str {
    if lang == "ru" { ru } else { en }
}

fn text(lang: &str, value: &Text) -> String {
    value.get(lang).to_owned()
}

/// Month names for the incident chart.
const MONTHS: [(&str, &str); 12] = [
    ("Jan", "янв"),
    ("Feb", "фев"),
    ("Mar", "мар"),
    ("Apr", "апр"),
    ("May", "май"),
    ("Jun", "июн"),
    ("Jul", "июл"),
    ("Aug", "авг"),
    ("Sep", "сен"),
    ("Oct", "окт"),
    ("Nov", "ноя"),
    ("Dec", "дек"),
];

/// Renders `report` in `lang` (`en` or `ru`).
pub fn render(report: &AnnualReport, charter: &Charter, lang: &str) -> Result<Vec<u8>, PdfError> {
    let l = lang;
    let member = |code: concord_core::code::MemberCode| {
        charter
            .member(code)
            .map_or_else(|| code.to_string(), |m| text(l, &m.name))
    };
    let chair_of = text(l, &charter.name_of(report.chair));
    let title = match l {
        "ru" => format!(
            "Годовой отчёт председательства {chair_of} в {} за {} год",
            text(l, &report.organisation),
            report.year
        ),
        _ => format!(
            "Annual report of the chairmanship of {chair_of} in the {}, {}",
            text(l, &report.organisation),
            report.year
        ),
    };
    let part = match report.part {
        Part::Full => t(
            l,
            "full report (member states and the secretariat)",
            "полный отчёт (государства-члены и секретариат)",
        ),
        Part::Public => t(l, "public part", "публичная часть"),
    };
    let footer = format!(
        "{} {} · {part} · SHA-256 {}",
        text(l, &report.organisation),
        report.year,
        report.digest()
    );
    let mut doc = Document::new(title.clone(), footer);
    doc.push(Block::Title(title));
    doc.push(Block::Paragraph(format!(
        "{} {}. {}",
        t(l, "Generated from the ledger", "Сформирован по реестру"),
        report.origin,
        t(
            l,
            "Only what the record holds is stated.",
            "Указано только то, что содержит реестр."
        )
    )));
    if let Some(m) = &report.motto {
        doc.push(Block::Paragraph(format!(
            "{}: «{}»",
            t(l, "Motto", "Девиз"),
            text(l, m)
        )));
    }
    doc.push(Block::Heading(
        t(
            l,
            "Priorities and what served them",
            "Приоритеты и их выполнение",
        )
        .into(),
    ));
    if report.priorities.is_empty() {
        doc.push(Block::Paragraph(
            t(
                l,
                "No priorities are recorded for this year.",
                "Приоритеты на этот год не записаны.",
            )
            .into(),
        ));
    }
    for p in &report.priorities {
        let served: Vec<String> = p.served_by.iter().map(|s| text(l, &s.title)).collect();
        doc.push(Block::Paragraph(format!(
            "{}. {} — {}",
            p.number,
            text(l, &p.text),
            if served.is_empty() {
                t(l, "nothing linked yet", "пока ничего не связано").to_owned()
            } else {
                served.join("; ")
            }
        )));
    }
    doc.push(Block::Heading(
        t(
            l,
            "Sessions held and attendance",
            "Проведённые заседания и участие",
        )
        .into(),
    ));
    let mut rows = vec![vec![
        t(l, "Session", "Заседание").into(),
        t(l, "Date", "Дата").into(),
        t(l, "Place", "Место").into(),
        t(l, "Attendance", "Участие").into(),
    ]];
    for s in &report.sessions {
        let bodies: Vec<String> = s.bodies.iter().map(|b| text(l, b)).collect();
        let attendance: Vec<String> = s
            .attendance
            .iter()
            .map(|(m, a)| format!("{} {}", member(*m), attendance_label(l, *a)))
            .collect();
        let mut name = bodies.join(" + ");
        if !s.formats.is_empty() {
            name = format!("{name} ({})", s.formats.join(", "));
        }
        rows.push(vec![
            name,
            text(l, &s.date_spoken),
            s.city.as_ref().map(|c| text(l, c)).unwrap_or_default(),
            attendance.join(", "),
        ]);
    }
    doc.push(Block::Table {
        widths: vec![3, 3, 2, 6],
        rows,
    });
    doc.push(Block::Heading(t(l, "Documents", "Документы").into()));
    let mut rows = vec![vec![
        t(l, "Document", "Документ").into(),
        t(l, "Status", "Статус").into(),
        t(l, "Positions", "Позиции").into(),
    ]];
    for d in &report.documents {
        let mut positions: Vec<String> = d
            .stayed_out
            .iter()
            .map(|m| {
                format!(
                    "{} — {}",
                    member(*m),
                    t(
                        l,
                        "stayed out (limited format)",
                        "не участвует (в ограниченном формате)"
                    )
                )
            })
            .collect();
        positions.extend(d.objections.iter().map(|o| {
            format!(
                "{} — {}{}",
                member(o.member),
                t(l, "objected", "возражает"),
                o.reason
                    .as_ref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            )
        }));
        rows.push(vec![
            text(l, &d.title),
            status_label(l, d.status).into(),
            positions.join("; "),
        ]);
    }
    doc.push(Block::Table {
        widths: vec![6, 2, 4],
        rows,
    });
    doc.push(Block::Heading(
        t(
            l,
            "Programmes and action plans",
            "Программы и планы мероприятий",
        )
        .into(),
    ));
    let mut rows = vec![vec![
        t(l, "Programme", "Программа").into(),
        t(l, "Items", "Пункты").into(),
        t(l, "Done", "Выполнено").into(),
        t(l, "Overdue", "Просрочено").into(),
        "%".into(),
    ]];
    for p in &report.programmes {
        rows.push(vec![
            text(l, &p.title),
            p.items.to_string(),
            p.done.to_string(),
            p.overdue.to_string(),
            p.percent.to_string(),
        ]);
    }
    doc.push(Block::Table {
        widths: vec![7, 1, 1, 1, 1],
        rows,
    });
    doc.push(Block::Heading(t(l, "Exercises", "Учения").into()));
    if let Some(y) = &report.exercises.totals {
        let count = |c: &Option<concord_core::history::Count>| match c {
            Some(concord_core::history::Count::Exact(n)) => n.to_string(),
            Some(concord_core::history::Count::UpTo { up_to }) => {
                format!("{} {up_to}", t(l, "up to", "до"))
            }
            None => "—".into(),
        };
        doc.push(Block::Paragraph(format!(
            "{}: {}; {}: {}; {}: {}",
            t(l, "Personnel", "Личный состав"),
            count(&y.personnel),
            t(l, "equipment", "техника"),
            count(&y.equipment),
            t(l, "aircraft", "авиация"),
            count(&y.aircraft)
        )));
    }
    for e in &report.exercises.list {
        doc.push(Block::Paragraph(format!(
            "• {}{}",
            text(l, &e.name),
            e.host
                .map(|h| format!(" ({})", member(h)))
                .unwrap_or_default()
        )));
    }
    if let Some(incidents) = &report.incidents {
        doc.push(Block::Heading(
            t(
                l,
                "Incidents by threat domain",
                "Инциденты по направлениям угроз",
            )
            .into(),
        ));
        doc.push(Block::Bars(
            incidents
                .iter()
                .map(|d| (text(l, &d.name), u64::from(d.total)))
                .collect(),
        ));
        let mut months = [0u64; 12];
        for d in incidents {
            for (m, n) in d.months.iter().enumerate() {
                months[m] += u64::from(*n);
            }
        }
        doc.push(Block::Heading(
            t(l, "Incidents by month", "Инциденты по месяцам").into(),
        ));
        doc.push(Block::Bars(
            MONTHS
                .iter()
                .zip(months)
                .map(|((en, ru), n)| (t(l, en, ru).to_owned(), n))
                .collect(),
        ));
    }
    if let Some(requests) = &report.requests {
        doc.push(Block::Heading(
            t(
                l,
                "Requests for collective assistance and deployments",
                "Запросы о коллективной помощи и развёртывания",
            )
            .into(),
        ));
        if requests.is_empty() {
            doc.push(Block::Paragraph(t(l, "None.", "Не было.").into()));
        }
        for r in requests {
            doc.push(Block::Paragraph(format!(
                "{} — {} ({}): {} {}; {} {}",
                r.id,
                member(r.requester),
                r.requested_on,
                t(l, "decision", "решение"),
                r.decision.as_deref().unwrap_or("—"),
                t(l, "deployment", "развёртывание"),
                r.deployment.as_deref().unwrap_or("—")
            )));
        }
    }
    if let Some(b) = &report.budget {
        doc.push(Block::Heading(
            t(l, "Budget execution", "Исполнение бюджета").into(),
        ));
        doc.push(Block::Paragraph(format!(
            "{} {} {}; {} {}; {} {}",
            t(l, "Total", "Всего"),
            b.total,
            b.currency,
            t(l, "paid", "уплачено"),
            b.paid,
            t(l, "outstanding", "задолженность"),
            b.outstanding
        )));
        let mut rows = vec![vec![
            t(l, "Member", "Государство").into(),
            t(l, "Assessed", "Начислено").into(),
            t(l, "Paid", "Уплачено").into(),
            t(l, "Outstanding", "Задолженность").into(),
        ]];
        for m in &b.members {
            let mut name = member(m.member);
            if m.stayed_out {
                name = format!(
                    "{name} ({})",
                    t(l, "stayed out of the decision", "не участвовало в решении")
                );
            }
            rows.push(vec![
                name,
                m.assessed.clone(),
                m.paid.clone(),
                m.outstanding.clone(),
            ]);
        }
        doc.push(Block::Table {
            widths: vec![4, 2, 2, 2],
            rows,
        });
    }
    doc.render()
}

fn attendance_label(l: &str, a: concord_core::history::Attendance) -> &'static str {
    use concord_core::history::Attendance::*;
    match (a, l) {
        (Present, "ru") => "присутствовало",
        (PresentByVideo, "ru") => "по видеосвязи",
        (AbsentAgreed, "ru") => "отсутствовало, согласовав",
        (Absent, "ru") => "отсутствовало",
        (Frozen, "ru") => "участие заморожено",
        (Present, _) => "present",
        (PresentByVideo, _) => "by video",
        (AbsentAgreed, _) => "absent, agreed in advance",
        (Absent, _) => "absent",
        (Frozen, _) => "frozen",
    }
}

fn status_label(l: &str, s: concord_core::history::DocumentStatus) -> &'static str {
    use concord_core::history::DocumentStatus::*;
    match (s, l) {
        (Adopted, "ru") => "принят",
        (Blocked, "ru") => "заблокирован",
        (Submitted, "ru") => "внесён",
        (Adopted, _) => "adopted",
        (Blocked, _) => "blocked",
        (Submitted, _) => "submitted",
    }
}
