//! What each event writes to the read tables, decided once for every backend: each store
//! only turns a [`ReadRow`] into its own SQL.

use concord_core::event::Event;
use time::Date;

use crate::{Hash, StoreError};
use concord_ledger::entry::Entry;

/// The read-table row an event produces, with the record as JSON beside its indexed
/// columns.
#[derive(Debug, Clone, PartialEq)]
pub enum ReadRow {
    /// The charter (one row).
    Charter {
        /// JSON.
        body: String,
    },
    /// A cited source.
    Source {
        /// File name.
        file: String,
        /// JSON.
        body: String,
    },
    /// A status change.
    Status {
        /// Member code.
        member: String,
        /// Status.
        status: String,
        /// JSON.
        body: String,
    },
    /// A session and the bodies meeting.
    Session {
        /// Identifier.
        id: String,
        /// Calendar year.
        year: i32,
        /// Earliest day the date stands for.
        starts: Date,
        /// Bodies meeting.
        bodies: Vec<String>,
        /// JSON.
        body: String,
    },
    /// A document of a session.
    Document {
        /// Identifier.
        id: String,
        /// Session identifier.
        session_id: String,
        /// JSON.
        body: String,
    },
    /// An appointment.
    Appointment {
        /// Post code.
        post: String,
        /// JSON.
        body: String,
    },
    /// A chairmanship statement.
    Chairmanship {
        /// Year.
        year: i32,
        /// JSON.
        body: String,
    },
    /// A year's exercise totals.
    ExerciseYear {
        /// Year.
        year: i32,
        /// JSON.
        body: String,
    },
    /// An exercise.
    Exercise {
        /// Identifier.
        id: String,
        /// Year.
        year: i32,
        /// JSON.
        body: String,
    },
    /// A programme.
    Programme {
        /// Identifier.
        id: String,
        /// JSON.
        body: String,
    },
}

/// The row `event` writes.
pub fn read_row(event: &Event) -> ReadRow {
    match event {
        Event::CharterAdopted(c) => ReadRow::Charter {
            body: encode(c.as_ref()),
        },
        Event::SourceCited(s) => ReadRow::Source {
            file: s.file.clone(),
            body: encode(s),
        },
        Event::StatusRecorded(s) => ReadRow::Status {
            member: s.member.to_string(),
            status: s.status.as_str().to_owned(),
            body: encode(s),
        },
        Event::SessionRecorded(s) => ReadRow::Session {
            id: s.id.to_string(),
            year: s.date.year(),
            starts: s.date.earliest(),
            bodies: s.bodies.iter().map(ToString::to_string).collect(),
            body: encode(s),
        },
        Event::DocumentRecorded(d) => ReadRow::Document {
            id: d.id.to_string(),
            session_id: d.session.to_string(),
            body: encode(d),
        },
        Event::AppointmentRecorded(a) => ReadRow::Appointment {
            post: a.post.to_string(),
            body: encode(a),
        },
        Event::ChairmanshipStated(c) => ReadRow::Chairmanship {
            year: c.year,
            body: encode(c),
        },
        Event::ExerciseYearRecorded(e) => ReadRow::ExerciseYear {
            year: e.year,
            body: encode(e),
        },
        Event::ExerciseRecorded(e) => ReadRow::Exercise {
            id: e.id.to_string(),
            year: e.year,
            body: encode(e),
        },
        Event::ProgrammeRecorded(p) => ReadRow::Programme {
            id: p.id.to_string(),
            body: encode(p),
        },
    }
}

fn encode<T: serde::Serialize>(record: &T) -> String {
    StoreError::encode(record)
}

/// The ledger entry of `event` as leaf `index`: its canonical JSON (stored as the event's
/// body) and its leaf hash.
pub fn ledger_entry(
    index: u64,
    recorded_at: time::OffsetDateTime,
    event: &Event,
) -> (String, Hash) {
    let recorded_at = recorded_at
        .format(&time::format_description::well_known::Rfc3339)
        .expect("UTC timestamps format");
    let entry = Entry {
        index,
        recorded_at,
        event,
    };
    let data = entry.leaf_data();
    let leaf = concord_ledger::entry::leaf_hash(&data);
    (
        String::from_utf8(data).expect("canonical JSON is UTF-8"),
        leaf,
    )
}

/// The present moment as stored: UTC, whole microseconds (what PostgreSQL keeps).
pub fn now() -> time::OffsetDateTime {
    let now = time::OffsetDateTime::now_utc();
    now.replace_nanosecond(now.nanosecond() / 1000 * 1000)
        .expect("a valid nanosecond")
}
