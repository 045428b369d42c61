//! What each event writes to the read tables, decided once for every backend: each store
//! only turns a [`ReadRow`] into its own SQL.

use concord_core::accounts::AccountChange;
use concord_core::event::Event;
use concord_core::releasability::Releasability;
use time::Date;

use crate::{Hash, StoreError};

/// The `incident_reports` row of a report version: the columns searched, and the signed
/// report as JSON. Serialises by column name, so a store can insert many in one statement.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct IncidentRow {
    /// Identifier.
    pub id: String,
    /// Version.
    pub version: i64,
    /// Reporting member.
    pub reporter: String,
    /// Threat domain.
    pub domain: String,
    /// Country.
    pub country: String,
    /// When it happened: UTC, fixed width, so that it sorts as time does.
    pub occurred_at: String,
    /// CAP severity.
    pub severity: String,
    /// Severity as a number, 4 (Extreme) to 0 (Unknown).
    pub severity_rank: i64,
    /// Releasability kind.
    pub release_to: String,
    /// Sharing group, for a group release.
    pub release_group: Option<String>,
    /// Bounding box: west, south, east, north.
    pub bbox: [f64; 4],
    /// JSON.
    pub body: String,
}

/// The `alerts` row of an issued alert: the columns lists choose and order by, and the
/// summary they show, computed once.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRow {
    /// Identifier.
    pub id: String,
    /// Issuer: a state's code or `secretariat`.
    pub issuer: String,
    /// Releasability kind.
    pub release_to: String,
    /// Sharing group, for a group release.
    pub release_group: Option<String>,
    /// When received: UTC, fixed width, so that it sorts as time does.
    pub received_at: String,
    /// The situation it belongs to.
    pub situation: Option<String>,
    /// The summary as JSON.
    pub summary: String,
}

/// A situation as lists show it.
#[derive(Debug, Clone, PartialEq)]
pub struct SituationRow {
    /// Identifier.
    pub id: String,
    /// When opened: UTC, fixed width.
    pub opened_at: String,
    /// Title as JSON.
    pub title: String,
    /// Its level now.
    pub level: String,
    /// The reports grouped in, as a JSON array of ids.
    pub reports: String,
}

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
    /// A registered key.
    Key {
        /// Key identifier.
        key_id: String,
        /// Owner (`KAZ`, `secretariat`).
        owner: String,
        /// JSON.
        body: String,
    },
    /// A node of the federation.
    Node {
        /// Its ledger's origin.
        origin: String,
        /// Whose it is (`KAZ`, `secretariat`).
        owner: String,
        /// JSON.
        body: String,
    },
    /// The end of a key's validity.
    KeyRetired {
        /// Key identifier.
        key_id: String,
        /// Last valid day, `YYYY-MM-DD`.
        valid_until: String,
    },
    /// An item appended to a session's agenda.
    AgendaItem {
        /// Session.
        session_id: String,
        /// The item's title as JSON.
        title: String,
    },
    /// A member's attendance at a session.
    Attendance {
        /// Session.
        session_id: String,
        /// Member code.
        member: String,
        /// Attendance.
        attendance: String,
    },
    /// A document version.
    Version {
        /// Document.
        document_id: String,
        /// Number.
        number: i64,
        /// JSON.
        body: String,
    },
    /// A circulation.
    Circulation {
        /// Document.
        document_id: String,
        /// Version.
        version: i64,
        /// JSON.
        body: String,
    },
    /// A signed position.
    Position {
        /// Document.
        document_id: String,
        /// Version.
        version: i64,
        /// Member code.
        member: String,
        /// JSON.
        body: String,
    },
    /// A version of an incident report.
    Incident(IncidentRow),
    /// A standing operation.
    Operation {
        /// Identifier.
        code: String,
        /// JSON.
        body: String,
    },
    /// An issued API token.
    Token {
        /// Identifier.
        id: String,
        /// SHA-256 of the token, hex.
        sha256: String,
        /// JSON.
        body: String,
    },
    /// A revoked API token.
    TokenRevoked {
        /// Identifier.
        id: String,
    },
    /// An account as it now stands (opened, or its roles changed).
    Account {
        /// Username.
        username: String,
        /// JSON.
        body: String,
    },
    /// A closed account.
    AccountClosed {
        /// Username.
        username: String,
    },
    /// An issued alert.
    Alert(AlertRow),
    /// A situation opened.
    SituationOpened(SituationRow),
    /// A report grouped into a situation.
    SituationReport {
        /// Situation.
        id: String,
        /// Report.
        report: String,
    },
    /// A situation's new level.
    SituationLevel {
        /// Situation.
        id: String,
        /// Level.
        level: String,
    },
    /// Nothing: the event lives in the log only.
    Nothing,
    /// A document's new status, decided in another node's log (received from a peer):
    /// no `decisions` row, whose leaf would be this ledger's.
    DocumentStatus {
        /// Document.
        document_id: String,
        /// `adopted` or `blocked`.
        status: String,
    },
    /// A decision, and the document's new status.
    Decision {
        /// Document.
        document_id: String,
        /// `adopted` or `blocked`.
        status: String,
        /// JSON.
        body: String,
    },
}

/// The row an event received from another node's log writes: as [`read_row`], but a
/// decision only sets its document's status (its ledger entry is in the other log).
pub fn received_row(event: &Event) -> ReadRow {
    match read_row(event) {
        ReadRow::Decision {
            document_id,
            status,
            ..
        } => ReadRow::DocumentStatus {
            document_id,
            status,
        },
        row => row,
    }
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
        Event::KeyRegistered(k) => ReadRow::Key {
            key_id: k.key_id.clone(),
            owner: k.owner.to_string(),
            body: encode(k),
        },
        Event::NodeRegistered(n) => ReadRow::Node {
            origin: n.origin.clone(),
            owner: n.owner.to_string(),
            body: encode(n),
        },
        Event::KeyRetired(k) => ReadRow::KeyRetired {
            key_id: k.key_id.clone(),
            valid_until: k.valid_until.to_string(),
        },
        Event::AgendaItemAdded(a) => ReadRow::AgendaItem {
            session_id: a.session.to_string(),
            title: encode(&a.title),
        },
        Event::AttendanceRecorded(a) => ReadRow::Attendance {
            session_id: a.session.to_string(),
            member: a.member.to_string(),
            attendance: a.attendance.as_str().to_owned(),
        },
        Event::VersionRecorded(v) => ReadRow::Version {
            document_id: v.version.document.to_string(),
            number: v.version.number.into(),
            body: encode(v),
        },
        Event::VersionCirculated(c) => ReadRow::Circulation {
            document_id: c.document.to_string(),
            version: c.version.into(),
            body: encode(c),
        },
        Event::PositionRecorded(p) => ReadRow::Position {
            document_id: p.position.document.to_string(),
            version: p.position.version.into(),
            member: p.position.member.to_string(),
            body: encode(p),
        },
        Event::OperationRecorded(o) => ReadRow::Operation {
            code: o.code.to_string(),
            body: encode(o),
        },
        Event::CommandSigned(_)
        | Event::ProgrammeItemAdded(_)
        | Event::ProgressReported(_)
        | Event::BudgetSet(_)
        | Event::PaymentRecorded(_)
        | Event::QuotaApportioned(_)
        | Event::QuotaPostRenounced(_)
        | Event::QuotaPostFilled(_)
        | Event::AnnualReportSubmitted(_)
        | Event::PriorityLinked(_)
        | Event::LedgerNamed(_)
        | Event::AssistanceRequested(_)
        | Event::ForcesPledged(_)
        | Event::DeploymentStepped(_) => ReadRow::Nothing,
        Event::SituationChanged(change) => situation_row(change),
        Event::AlertIssued(a) => {
            let (release_to, release_group) = release_columns(&a.releasability);
            ReadRow::Alert(AlertRow {
                id: a.alert.id.to_string(),
                issuer: a.issuer.to_string(),
                release_to: release_to.to_owned(),
                release_group,
                received_at: crate::incidents::sortable_time(a.at),
                situation: a.alert.situation.as_ref().map(ToString::to_string),
                summary: encode(&crate::alerts::AlertSummary::of(a)),
            })
        }
        Event::TokenIssued(t) => ReadRow::Token {
            id: t.id.clone(),
            sha256: t.sha256.clone(),
            body: encode(t),
        },
        Event::TokenRevoked(r) => ReadRow::TokenRevoked { id: r.id.clone() },
        Event::AccountChanged(change) => match change {
            AccountChange::Opened { account, .. }
            | AccountChange::RolesChanged { account, .. }
            | AccountChange::LanguageChosen { account, .. } => ReadRow::Account {
                username: account.username.clone(),
                body: encode(account),
            },
            AccountChange::Closed { username, .. } => ReadRow::AccountClosed {
                username: username.clone(),
            },
            AccountChange::SignedIn { .. } => ReadRow::Nothing,
        },
        Event::IncidentReported(i) => {
            let r = &i.report;
            let (release_to, release_group) = release_columns(&r.releasability);
            ReadRow::Incident(IncidentRow {
                id: r.id.to_string(),
                version: r.version.into(),
                reporter: r.reporter.to_string(),
                domain: r.domain.to_string(),
                country: r.country.to_string(),
                occurred_at: crate::incidents::sortable_time(r.occurred_at),
                severity: format!("{:?}", r.severity),
                severity_rank: r.severity.rank().into(),
                release_to: release_to.to_owned(),
                release_group,
                bbox: r.place.bbox(),
                body: encode(i.as_ref()),
            })
        }
        Event::DocumentDecided(d) => ReadRow::Decision {
            document_id: d.document.to_string(),
            status: match d.outcome {
                concord_core::consensus::Outcome::Adopted => "adopted",
                concord_core::consensus::Outcome::Blocked => "blocked",
            }
            .to_owned(),
            body: encode(d.as_ref()),
        },
    }
}

/// The seal an event carries (its moment, key id and nonce), which the store records so
/// that it is refused the second time.
pub fn seal_of(event: &Event) -> Option<(&str, &str, &str)> {
    let seal = match event {
        Event::CommandSigned(c) => &c.command.seal,
        Event::PositionRecorded(p) => &p.seal,
        Event::IncidentReported(i) => &i.seal,
        Event::AlertIssued(a) => &a.seal,
        _ => return None,
    };
    Some((
        seal.issued_at.as_str(),
        seal.key.as_str(),
        seal.nonce.as_str(),
    ))
}

/// How a releasability is stored: its kind (as `concord_core::access::Scope` names it) and
/// its sharing group.
fn release_columns(release: &Releasability) -> (&'static str, Option<String>) {
    let group = match release {
        Releasability::Group(g) => Some(g.to_string()),
        _ => None,
    };
    (concord_core::access::release_kind(release), group)
}

/// The row a change of a situation writes.
fn situation_row(change: &concord_core::council::SituationChange) -> ReadRow {
    use concord_core::council::SituationChange;
    let level = |l: &concord_core::council::CrisisLevel| {
        serde_json::to_value(l)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    };
    match change {
        SituationChange::Opened {
            situation,
            title,
            level: l,
            at,
        } => ReadRow::SituationOpened(SituationRow {
            id: situation.to_string(),
            opened_at: crate::incidents::sortable_time(*at),
            title: encode(title),
            level: level(l),
            reports: "[]".to_owned(),
        }),
        SituationChange::ReportAttached {
            situation, report, ..
        } => ReadRow::SituationReport {
            id: situation.to_string(),
            report: report.to_string(),
        },
        SituationChange::LevelSet {
            situation,
            level: l,
            ..
        } => ReadRow::SituationLevel {
            id: situation.to_string(),
            level: level(l),
        },
    }
}

fn encode<T: serde::Serialize>(record: &T) -> String {
    StoreError::encode(record)
}

/// An event made ready for the log before its place in it is known: its canonical JSON,
/// its entry's salt and its read row. A store prepares each event before it takes the
/// log's lock; under the lock it only numbers and hashes ([`ledger_entry_of`]).
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The event's RFC 8785 canonical JSON.
    pub canonical: Vec<u8>,
    /// The salt of its entry.
    pub salt: String,
    /// The read row it makes.
    pub row: ReadRow,
}

/// Prepares `event` for the log.
pub fn prepare(event: &Event) -> Prepared {
    Prepared {
        canonical: concord_ledger::canonical::to_vec(event),
        salt: concord_ledger::signature::salt(),
        row: read_row(event),
    }
}

/// The ledger entry of a prepared event as leaf `index`, recorded at `recorded_at` (RFC
/// 3339): its canonical JSON (stored as the event's body) and its leaf hash.
pub fn ledger_entry_of(index: u64, recorded_at: &str, prepared: &Prepared) -> (String, Hash) {
    entry_and_leaf(index, recorded_at, &prepared.canonical, &prepared.salt)
}

/// An entry's canonical JSON, from its event's, and its leaf hash.
fn entry_and_leaf(index: u64, recorded_at: &str, event: &[u8], salt: &str) -> (String, Hash) {
    let data = concord_ledger::entry::leaf_data_with(index, recorded_at, event, salt);
    let leaf = concord_ledger::entry::leaf_hash(&data);
    (
        String::from_utf8(data).expect("canonical JSON is UTF-8"),
        leaf,
    )
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
    entry_and_leaf(
        index,
        &recorded_at,
        &concord_ledger::canonical::to_vec(event),
        &concord_ledger::signature::salt(),
    )
}

/// The present moment as stored: UTC, whole microseconds (what PostgreSQL keeps).
pub fn now() -> time::OffsetDateTime {
    let now = time::OffsetDateTime::now_utc();
    now.replace_nanosecond(now.nanosecond() / 1000 * 1000)
        .expect("a valid nanosecond")
}
