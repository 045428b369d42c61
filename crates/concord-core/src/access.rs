//! The access policy: who may read each kind of record and each ledger event. Every read
//! path (lists, search, one record, the live stream, the ledger's entries, the console,
//! the press centre, exports, bundles) asks this module, and only this module.
//!
//! - [`rule`] states, for every kind of event, what its readability follows. The match is
//!   exhaustive: a new kind of event does not compile until it states its rule.
//! - [`Guard`] is what a record resolves to; [`may_read`] decides for a [`Reader`].
//! - Confidentiality follows what a record belongs to: a document is confidential because
//!   its session is ([`Session::confidential`]), whatever its identifier.
//! - [`Scope`] is the same rule for releasable records, stated as the set of
//!   (originator, releasability) pairs a reader may read, so that a database query can
//!   choose rows by it before it orders, counts, searches or limits; a property test keeps
//!   it equal to [`may_read`].
//!
//! Roles count where people expect them: see `docs/access.md` for the role × record
//! matrix ([`reader_for`] turns an affiliation and roles into a reader).

use crate::accounts::{Affiliation, Role};
use crate::code::{MemberCode, Slug};
use crate::council::{Command, Subject};
use crate::event::Event;
use crate::history::Session;
use crate::keys::KeyOwner;
use crate::registry::{MemberStatus, StatusTimeline};
use crate::releasability::{Reader, Releasability, SharingGroup, may_read_from};

/// Who may read a record, once everything it depends on is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Guard {
    /// Anyone: the registry, the public record of council work, public keys.
    Public,
    /// A releasable record (incident report, alert) of this originator.
    Released {
        /// To whom it is released.
        release: Releasability,
        /// Who released it.
        originator: KeyOwner,
    },
    /// Confidential council and crisis work (requests for collective assistance, their
    /// consultations, situations, confidential sessions and their documents): member
    /// states while they are members, and the secretariat's officers.
    Confidential,
    /// The secretariat's administration of Concord itself (API tokens, accounts and
    /// sign-ins): the secretariat's officers and administrators.
    Administration,
    /// Nobody: what cannot be resolved is not shown (deny by default).
    Nobody,
}

/// What an event's readability follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// Decided by the event alone.
    Is(Guard),
    /// Whatever guards this session.
    OfSession(Slug),
    /// Whatever guards this document (its session's).
    OfDocument(Slug),
}

/// The rule of every kind of event. Exhaustive on purpose: no wildcard arm.
pub fn rule(event: &Event) -> Rule {
    match event {
        Event::CharterAdopted(_)
        | Event::SourceCited(_)
        | Event::StatusRecorded(_)
        | Event::AppointmentRecorded(_)
        | Event::ChairmanshipStated(_)
        | Event::ExerciseYearRecorded(_)
        | Event::ExerciseRecorded(_)
        | Event::ProgrammeRecorded(_)
        | Event::OperationRecorded(_)
        | Event::KeyRegistered(_)
        | Event::KeyRetired(_)
        | Event::NodeRegistered(_)
        | Event::LedgerNamed(_) => Rule::Is(Guard::Public),
        Event::SessionRecorded(s) => Rule::Is(of_session(s)),
        Event::DocumentRecorded(d) => Rule::OfSession(d.session.clone()),
        Event::AgendaItemAdded(a) => Rule::OfSession(a.session.clone()),
        Event::AttendanceRecorded(a) => Rule::OfSession(a.session.clone()),
        Event::VersionRecorded(v) => Rule::OfDocument(v.version.document.clone()),
        Event::VersionCirculated(c) => Rule::OfDocument(c.document.clone()),
        Event::PositionRecorded(p) => Rule::OfDocument(p.position.document.clone()),
        Event::DocumentDecided(d) => Rule::OfDocument(d.document.clone()),
        Event::CommandSigned(c) => of_command(&c.command.command),
        Event::IncidentReported(i) => Rule::Is(of_report(&i.report)),
        Event::AlertIssued(a) => Rule::Is(of_alert(a)),
        Event::AssistanceRequested(_)
        | Event::ForcesPledged(_)
        | Event::DeploymentStepped(_)
        | Event::SituationChanged(_) => Rule::Is(Guard::Confidential),
        Event::TokenIssued(_) | Event::TokenRevoked(_) | Event::AccountChanged(_) => {
            Rule::Is(Guard::Administration)
        }
        // A programme's execution is read by whoever reads its document.
        Event::ProgrammeItemAdded(i) => Rule::OfDocument(i.item.programme.clone()),
        Event::ProgressReported(r) => Rule::OfDocument(r.report.programme.clone()),
        // Contributions, arrears and staffing are the members' and the secretariat's.
        Event::BudgetSet(_)
        | Event::PaymentRecorded(_)
        | Event::QuotaApportioned(_)
        | Event::QuotaPostRenounced(_)
        | Event::QuotaPostFilled(_) => Rule::Is(Guard::Confidential),
        // That a chair submitted its report, and the report's hash, are public.
        Event::AnnualReportSubmitted(_) => Rule::Is(Guard::Public),
        Event::PriorityLinked(l) => of_link(&l.link.record),
    }
}

/// The rule of a logged command: that of what it acts on. Commands that carry their own
/// signature (reports, positions, alerts) are not logged apart, but are stated anyway.
fn of_command(command: &Command) -> Rule {
    match command {
        Command::ReportIncident(r) => Rule::Is(of_report(r)),
        Command::IssueAlert(_) => Rule::Is(Guard::Nobody),
        Command::LinkPriority(l) => of_link(&l.record),
        other => match other.subject() {
            Subject::Session(id) => Rule::OfSession(id),
            Subject::Document(id) => Rule::OfDocument(id),
            Subject::Request(_)
            | Subject::Situation(_)
            | Subject::Budget(_)
            | Subject::Quota(_) => Rule::Is(Guard::Confidential),
            Subject::Programme(id) => Rule::OfDocument(id),
            Subject::Chairmanship(_) => Rule::Is(Guard::Public),
            Subject::Incident(_) | Subject::Alert(_) => Rule::Is(Guard::Nobody),
        },
    }
}

/// The rule of a link between a priority and a record: the record's own, so that a link
/// never names what its reader may not read.
fn of_link(record: &crate::year::RecordRef) -> Rule {
    use crate::year::RecordRef;
    match record {
        RecordRef::Document(id) | RecordRef::Programme(id) => Rule::OfDocument(id.clone()),
        RecordRef::Session(id) => Rule::OfSession(id.clone()),
        RecordRef::Exercise(_) | RecordRef::Operation(_) => Rule::Is(Guard::Public),
    }
}

/// The guard of a version of an incident report: its own releasability, its reporter's.
pub fn of_report(report: &crate::incident::IncidentReport) -> Guard {
    Guard::Released {
        release: report.releasability.clone(),
        originator: KeyOwner::Member(report.reporter),
    }
}

/// The guard of an issued alert: its releasability, its issuer's.
pub fn of_alert(alert: &crate::council::IssuedAlert) -> Guard {
    Guard::Released {
        release: alert.releasability.clone(),
        originator: alert.issuer,
    }
}

/// The guard of a session: confidential sessions are read by members and the secretariat.
pub fn of_session(session: &Session) -> Guard {
    if session.confidential {
        Guard::Confidential
    } else {
        Guard::Public
    }
}

/// Whether `reader` may read a record guarded by `guard`; `groups` are the charter's
/// sharing groups.
pub fn may_read(guard: &Guard, reader: &Reader, groups: &[SharingGroup]) -> bool {
    match guard {
        Guard::Public => true,
        Guard::Released {
            release,
            originator,
        } => may_read_from(release, *originator, reader, groups),
        Guard::Confidential => matches!(
            reader,
            Reader::Secretariat
                | Reader::State {
                    status: MemberStatus::Member,
                    ..
                }
        ),
        Guard::Administration => matches!(reader, Reader::Secretariat | Reader::Administrator),
        Guard::Nobody => false,
    }
}

/// The releasable records a reader may read, as conditions a query can apply where it
/// chooses rows: a record is readable when its originator is `own`, or its release is one
/// of `releases`, or it is released to one of `groups`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scope {
    /// Records this originator released, whatever their release.
    pub own: Option<KeyOwner>,
    /// Releases readable whoever the originator: a subset of `public`, `members`,
    /// `members+partners`.
    pub releases: Vec<&'static str>,
    /// Sharing groups whose records are readable.
    pub groups: Vec<Slug>,
}

impl Scope {
    /// Whether the scope admits a record of `originator` released as `release`: the same
    /// answer as [`may_read_from`], stated as conditions.
    pub fn admits(&self, release: &Releasability, originator: KeyOwner) -> bool {
        if self.own == Some(originator) {
            return true;
        }
        match release {
            Releasability::Group(g) => self.groups.contains(g),
            other => self.releases.contains(&release_kind(other)),
        }
    }
}

/// How a release is written in a query's column (`group` for a sharing group).
pub fn release_kind(release: &Releasability) -> &'static str {
    match release {
        Releasability::Originator => "originator",
        Releasability::Members => "members",
        Releasability::MembersAndPartners => "members+partners",
        Releasability::Group(_) => "group",
        Releasability::Public => "public",
    }
}

/// The scope of releasable records `reader` may read.
pub fn scope(reader: &Reader, groups: &[SharingGroup]) -> Scope {
    match *reader {
        Reader::Public | Reader::Administrator => Scope {
            own: None,
            releases: vec!["public"],
            groups: vec![],
        },
        Reader::Secretariat => Scope {
            own: Some(KeyOwner::Secretariat),
            releases: vec!["public", "members", "members+partners"],
            groups: vec![],
        },
        Reader::State { code, status } => Scope {
            own: Some(KeyOwner::Member(code)),
            releases: match status {
                MemberStatus::Member => vec!["public", "members", "members+partners"],
                MemberStatus::Partner => vec!["public", "members+partners"],
                _ => vec!["public"],
            },
            groups: if status == MemberStatus::Member {
                groups_of(code, groups)
            } else {
                vec![]
            },
        },
    }
}

fn groups_of(code: MemberCode, groups: &[SharingGroup]) -> Vec<Slug> {
    groups
        .iter()
        .filter(|g| g.members.contains(&code))
        .map(|g| g.code.clone())
        .collect()
}

/// Who someone of `affiliation` with `roles` reads as on `day`. A state's officials read
/// as their state with its status that day; the secretariat's officers and auditors read
/// as the secretariat; an administrator alone reads what is public and the administration
/// of Concord; a press officer alone reads what is public. A state unknown that day reads
/// as the public.
pub fn reader_for(
    affiliation: Affiliation,
    roles: &[Role],
    timeline: &StatusTimeline,
    day: time::Date,
) -> Reader {
    match affiliation {
        Affiliation::Public => Reader::Public,
        Affiliation::State(code) => match timeline.status_on(code, day) {
            Some(on) => Reader::State {
                code,
                status: on.status,
            },
            None => Reader::Public,
        },
        Affiliation::Secretariat => {
            if roles
                .iter()
                .any(|r| matches!(r, Role::SecretariatOfficer | Role::Auditor))
            {
                Reader::Secretariat
            } else if roles.contains(&Role::Administrator) {
                Reader::Administrator
            } else {
                Reader::Public
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn code(s: &str) -> MemberCode {
        s.parse().unwrap()
    }

    fn groups() -> Vec<SharingGroup> {
        vec![SharingGroup {
            code: "central-asia".parse().unwrap(),
            name: crate::Text::new("Central Asia", "Центральная Азия"),
            members: vec![code("KAZ"), code("KGZ"), code("TJK")],
        }]
    }

    fn any_reader() -> impl Strategy<Value = Reader> {
        let codes = prop::sample::select(vec!["ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK", "SRB"]);
        let status = prop::sample::select(MemberStatus::ALL.to_vec());
        prop_oneof![
            (codes, status).prop_map(|(c, s)| Reader::State {
                code: code(c),
                status: s
            }),
            Just(Reader::Secretariat),
            Just(Reader::Administrator),
            Just(Reader::Public),
        ]
    }

    fn any_release() -> impl Strategy<Value = Releasability> {
        prop_oneof![
            Just(Releasability::Originator),
            Just(Releasability::Members),
            Just(Releasability::MembersAndPartners),
            Just(Releasability::Group("central-asia".parse().unwrap())),
            Just(Releasability::Group("unknown".parse().unwrap())),
            Just(Releasability::Public),
        ]
    }

    fn any_originator() -> impl Strategy<Value = KeyOwner> {
        prop_oneof![
            prop::sample::select(vec!["KAZ", "RUS", "ARM", "KGZ"])
                .prop_map(|c| KeyOwner::Member(code(c))),
            Just(KeyOwner::Secretariat),
        ]
    }

    proptest! {
        /// The query's form of the rule and the rule agree on every reader, release and
        /// originator.
        #[test]
        fn the_scope_is_the_rule(reader in any_reader(), release in any_release(), originator in any_originator()) {
            let g = groups();
            let guard = Guard::Released { release: release.clone(), originator };
            prop_assert_eq!(scope(&reader, &g).admits(&release, originator), may_read(&guard, &reader, &g));
        }
    }

    /// Confidential work and the administration, reader by reader, written out.
    #[test]
    fn confidential_and_administration() {
        use MemberStatus::*;
        let rows = [
            (Reader::Secretariat, true, true),
            (Reader::Administrator, false, true),
            (Reader::Public, false, false),
            (
                Reader::State {
                    code: code("KAZ"),
                    status: Member,
                },
                true,
                false,
            ),
            (
                Reader::State {
                    code: code("ARM"),
                    status: Frozen,
                },
                false,
                false,
            ),
            (
                Reader::State {
                    code: code("SRB"),
                    status: Partner,
                },
                false,
                false,
            ),
            (
                Reader::State {
                    code: code("AFG"),
                    status: Observer,
                },
                false,
                false,
            ),
        ];
        for (reader, confidential, administration) in rows {
            assert_eq!(
                may_read(&Guard::Confidential, &reader, &[]),
                confidential,
                "{reader:?}"
            );
            assert_eq!(
                may_read(&Guard::Administration, &reader, &[]),
                administration,
                "{reader:?}"
            );
            assert!(may_read(&Guard::Public, &reader, &[]));
            assert!(!may_read(&Guard::Nobody, &reader, &[]));
        }
    }

    /// A press officer of the secretariat reads as the public; an officer or an auditor
    /// as the secretariat; an administrator as the administration.
    #[test]
    fn roles_decide_the_secretariat_reader() {
        let timeline = StatusTimeline::default();
        let day = time::macros::date!(2026 - 11 - 24);
        let as_ = |roles: &[Role]| reader_for(Affiliation::Secretariat, roles, &timeline, day);
        assert_eq!(as_(&[Role::PressOfficer]), Reader::Public);
        assert_eq!(as_(&[Role::Administrator]), Reader::Administrator);
        assert_eq!(
            as_(&[Role::PressOfficer, Role::SecretariatOfficer]),
            Reader::Secretariat
        );
        assert_eq!(as_(&[Role::Auditor]), Reader::Secretariat);
    }
}
