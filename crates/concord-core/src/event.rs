//! Events: every change to Concord is one. The store appends them to one log and derives
//! its read tables from them; later the ledger hashes them.

use serde::{Deserialize, Serialize};

use crate::charter::Charter;
use crate::history::{
    Appointment, ChairmanshipStatement, Document, Exercise, ExerciseYear, Programme, Session,
    Source,
};
use crate::registry::StatusRecord;

/// One change to the system.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "body", rename_all = "kebab-case")]
pub enum Event {
    /// The organisation's charter was adopted (the first event of every log).
    CharterAdopted(Box<Charter>),
    /// A source article was registered for citation.
    SourceCited(Source),
    /// A state's status changed.
    StatusRecorded(StatusRecord),
    /// A session was recorded.
    SessionRecorded(Session),
    /// A document was recorded.
    DocumentRecorded(Document),
    /// An appointment to a post was recorded.
    AppointmentRecorded(Appointment),
    /// A chairmanship stated its motto and priorities.
    ChairmanshipStated(ChairmanshipStatement),
    /// A year's exercise totals were recorded.
    ExerciseYearRecorded(ExerciseYear),
    /// An exercise was recorded.
    ExerciseRecorded(Exercise),
    /// A programme was recorded.
    ProgrammeRecorded(Programme),
}

impl Event {
    /// The event's kind, as stored and published.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::CharterAdopted(_) => "charter-adopted",
            Event::SourceCited(_) => "source-cited",
            Event::StatusRecorded(_) => "status-recorded",
            Event::SessionRecorded(_) => "session-recorded",
            Event::DocumentRecorded(_) => "document-recorded",
            Event::AppointmentRecorded(_) => "appointment-recorded",
            Event::ChairmanshipStated(_) => "chairmanship-stated",
            Event::ExerciseYearRecorded(_) => "exercise-year-recorded",
            Event::ExerciseRecorded(_) => "exercise-recorded",
            Event::ProgrammeRecorded(_) => "programme-recorded",
        }
    }
}
