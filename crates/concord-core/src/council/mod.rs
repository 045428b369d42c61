//! The council's procedure: open a session, set its agenda, record attendance, draft a
//! document, revise it, circulate a version, record each member's signed position, decide
//! by the body's rule.
//!
//! Every step is a [`Command`] signed by a registered key. [`Council::decide`] is a pure
//! function of the current state and the command: the events to store, or a
//! [`CouncilError`] naming the rule that refused it.

mod alert;
mod assistance;
mod authenticate;
mod command;
mod error;
mod naming;
mod record;
mod situation;

pub use alert::*;
pub use assistance::*;
pub use authenticate::Authenticated;
pub use command::*;
pub use error::*;
pub use naming::*;
pub use record::*;
pub use situation::*;

use error::list;

use time::Date;

use crate::charter::{Charter, DecisionRule};
use crate::code::Slug;
use crate::consensus::{self, Ballot, Outcome, Position, SignedPosition, Stance, Tally};
use crate::event::Event;
use crate::history::{Attendance, Document, DocumentStatus, Session, SessionStatus};
use crate::incident::IncidentReport;
use crate::keys::{KeyOwner, KeyRegistration};
use crate::registry::{MemberStatus, StatusTimeline};

/// How far in the future a command's moment may lie: the clocks of a member's crisis
/// centre and of Concord may disagree by this much.
pub const CLOCK_SKEW: time::Duration = time::Duration::minutes(5);

/// The council's rules over the registry: the charter, the statuses over time, the keys.
pub struct Council<'a> {
    /// The ledger's origin: the deployment every signed command must name.
    pub origin: &'a str,
    /// The charter.
    pub charter: &'a Charter,
    /// Statuses over time.
    pub timeline: &'a StatusTimeline,
    /// Registered keys.
    pub keys: &'a [KeyRegistration],
    /// The federation's nodes a position may be signed on and delivered from (the
    /// secretariat's registry; empty on a member state's node, which takes no delivery).
    pub nodes: &'a [crate::federation::NodeRegistration],
}

impl Council<'_> {
    /// Checks `signed` against the keys and `state`, on `today`; returns the events that
    /// carry it out.
    pub fn decide(
        &self,
        signed: &SignedCommand,
        state: &State,
        today: Date,
    ) -> Result<Vec<Event>, CouncilError> {
        self.decide_at(signed, state, today.midnight().assume_utc())
    }

    /// [`Council::decide`] at a moment: requests, pledges and deployments record the time.
    pub fn decide_at(
        &self,
        signed: &SignedCommand,
        state: &State,
        now: time::OffsetDateTime,
    ) -> Result<Vec<Event>, CouncilError> {
        let authenticated = self
            .authenticate_all(&[signed], now)
            .pop()
            .expect("one answer per command")?;
        self.decide_authenticated(signed, authenticated, state, now)
    }

    /// [`Council::decide_at`] for a command whose seal [`Council::authenticate_all`] has
    /// checked already (with others, in one batch).
    pub fn decide_authenticated(
        &self,
        signed: &SignedCommand,
        authenticated: Authenticated,
        state: &State,
        now: time::OffsetDateTime,
    ) -> Result<Vec<Event>, CouncilError> {
        let today = now.date();
        let owner = authenticated
            .owner_of(signed)
            .ok_or_else(|| CouncilError::BadSignature(signed.seal.key.clone()))?;
        if state.sealed_before {
            return Err(CouncilError::Replayed);
        }
        let command = &signed.command;
        let signer = command.signer();
        if !signer.allows(owner) {
            return Err(CouncilError::WrongSigner {
                action: command.action(),
                expected: signer.describe(),
                key: signed.seal.key.clone(),
                owner,
            });
        }
        let mut events = match command {
            Command::RequestAssistance(c) => self.request_assistance(c, state, now)?,
            Command::PledgeForces(c) => self.pledge(c, state, now)?,
            Command::OrderDeployment(c) => self.order_deployment(c, state, now)?,
            Command::AdvanceDeployment(c) => self.advance_deployment(c, state, now)?,
            Command::OpenSituation(c) => self.open_situation(c, state, now)?,
            Command::AttachReport(c) => self.attach_report(c, state, now)?,
            Command::SetCrisisLevel(c) => self.set_level(c, state, now)?,
            Command::IssueAlert(c) => self.issue_alert(signed, c, owner, state, now)?,
            Command::ReportIncident(r) => self.report_incident(signed, r, state, now)?,
            Command::AddProgrammeItem(c) => self.add_programme_item(c, state, today)?,
            Command::ReportProgress(c) => self.report_progress(c, state, today)?,
            Command::SetBudget(c) => self.set_budget(c, state, today)?,
            Command::RecordPayment(c) => self.record_payment(c, state, today)?,
            Command::ApportionQuotaPosts(c) => self.apportion_quota_posts(c, state, today)?,
            Command::RenounceQuotaPost(c) => self.renounce_quota_post(c, state, today)?,
            Command::FillQuotaPost(c) => self.fill_quota_post(c, state, today)?,
            Command::StatePriorities(c) => self.state_priorities(c, state)?,
            Command::LinkPriority(c) => self.link_priority(c, state, today)?,
            Command::SubmitAnnualReport(c) => self.submit_annual_report(c, state, today)?,
            _ => self.carry_out(signed, state, today)?,
        };
        // Positions, reports and alerts carry their own signatures (a report's or an
        // alert's must not be copied where its releasability cannot follow); every other
        // command is logged with the signature that authorised it, so the ledger shows who
        // did what.
        if !matches!(
            command,
            Command::RecordPosition(_) | Command::ReportIncident(_) | Command::IssueAlert(_)
        ) {
            events.push(Event::CommandSigned(Box::new(CommandSigned {
                command: signed.clone(),
                on: today,
            })));
        }
        Ok(events)
    }

    fn carry_out(
        &self,
        signed: &SignedCommand,
        state: &State,
        today: Date,
    ) -> Result<Vec<Event>, CouncilError> {
        let command = &signed.command;
        match command {
            Command::OpenSession(c) => self.open_session(c, state, today),
            Command::AddAgendaItem(c) => {
                let session = existing_session(state, &c.session)?;
                if c.number as usize != session.agenda.len() + 1 {
                    return Err(CouncilError::OutOfOrder(format!(
                        "session {} has {} agenda items: the next is number {}",
                        c.session,
                        session.agenda.len(),
                        session.agenda.len() + 1
                    )));
                }
                Ok(vec![Event::AgendaItemAdded(AgendaItemAdded {
                    session: c.session.clone(),
                    number: c.number,
                    title: c.title.clone(),
                })])
            }
            Command::RecordAttendance(c) => self.record_attendance(c, state),
            Command::DraftDocument(c) => self.draft(c, state),
            Command::ReviseDocument(c) => {
                let file = open_document(state, &c.document)?;
                let latest = &file
                    .latest()
                    .expect("a drafted document has a version")
                    .version;
                if c.version != latest.number + 1 {
                    return Err(CouncilError::OutOfOrder(format!(
                        "document {} is at version {}: the next is {}",
                        c.document,
                        latest.number,
                        latest.number + 1
                    )));
                }
                let version = Version {
                    document: c.document.clone(),
                    number: c.version,
                    doc_type: latest.doc_type.clone(),
                    title: c.title.clone().unwrap_or_else(|| latest.title.clone()),
                    text: Some(c.text.clone()),
                };
                let hash = version.hash();
                Ok(vec![Event::VersionRecorded(VersionRecord {
                    version,
                    hash,
                })])
            }
            Command::Circulate(c) => {
                let file = open_document(state, &c.document)?;
                let latest = file.latest().expect("a drafted document has a version");
                if c.version != latest.version.number {
                    return Err(CouncilError::OutOfOrder(format!(
                        "only the latest version ({}) can be circulated",
                        latest.version.number
                    )));
                }
                if file.under_agreement().is_some() {
                    return Err(CouncilError::OutOfOrder(format!(
                        "version {} is already circulated",
                        c.version
                    )));
                }
                Ok(vec![Event::VersionCirculated(Circulation {
                    document: c.document.clone(),
                    version: c.version,
                    hash: latest.hash.clone(),
                    on: today,
                })])
            }
            Command::RecordPosition(p) => self.record_position(signed, p, state),
            Command::Decide(c) => self.conclude(c, state, today),
            Command::RequestAssistance(_)
            | Command::ReportIncident(_)
            | Command::PledgeForces(_)
            | Command::OrderDeployment(_)
            | Command::AdvanceDeployment(_)
            | Command::OpenSituation(_)
            | Command::AttachReport(_)
            | Command::SetCrisisLevel(_)
            | Command::IssueAlert(_)
            | Command::AddProgrammeItem(_)
            | Command::ReportProgress(_)
            | Command::SetBudget(_)
            | Command::RecordPayment(_)
            | Command::ApportionQuotaPosts(_)
            | Command::RenounceQuotaPost(_)
            | Command::FillQuotaPost(_)
            | Command::StatePriorities(_)
            | Command::LinkPriority(_)
            | Command::SubmitAnnualReport(_) => {
                unreachable!("decide_at carries out these commands itself")
            }
        }
    }

    fn report_incident(
        &self,
        signed: &SignedCommand,
        report: &IncidentReport,
        state: &State,
        now: time::OffsetDateTime,
    ) -> Result<Vec<Event>, CouncilError> {
        // First, before anything that depends on what is recorded under that name.
        check_own_id(
            self.charter,
            KeyOwner::Member(report.reporter),
            &report.id,
            "an incident report",
        )?;
        report
            .check(self.charter, &self.charter.sharing_groups)
            .map_err(|e| CouncilError::InvalidReport(e.to_string()))?;
        if report.occurred_at > now + CLOCK_SKEW {
            return Err(CouncilError::InvalidReport(format!(
                "the incident is dated {}, in the future: a report tells what has happened",
                report
                    .occurred_at
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default()
            )));
        }
        let expected = state.incident.as_ref().map_or(1, |r| r.version + 1);
        if report.version != expected {
            return Err(CouncilError::OutOfOrder(format!(
                "incident {} is at version {}: the next is {expected}",
                report.id,
                expected - 1
            )));
        }
        if let Some(first) = &state.incident
            && first.reporter != report.reporter
        {
            return Err(CouncilError::InvalidReport(format!(
                "incident {} was reported by {}: only it may issue new versions",
                report.id, first.reporter
            )));
        }
        Ok(vec![Event::IncidentReported(Box::new(SignedIncident {
            report: report.clone(),
            seal: signed.seal.clone(),
            on: now.date(),
        }))])
    }

    fn open_session(
        &self,
        c: &OpenSession,
        state: &State,
        today: Date,
    ) -> Result<Vec<Event>, CouncilError> {
        if state.session.is_some() {
            return Err(CouncilError::AlreadyExists(format!("session {}", c.id)));
        }
        if self.charter.body(&c.body).is_none() {
            return Err(CouncilError::NotInCharter(format!(
                "the charter has no body `{}`",
                c.body
            )));
        }
        if self.charter.member(c.country).is_none() {
            return Err(CouncilError::NotInCharter(format!(
                "{} is not a state of the charter",
                c.country
            )));
        }
        let chair = self
            .charter
            .chairmanship
            .chair_for_year(self.timeline, c.date.year())
            .map_err(|e| CouncilError::Rotation(e.to_string()))?;
        let attendance = self
            .timeline
            .states()
            .filter(|m| {
                self.timeline
                    .status_on(*m, c.date)
                    .is_some_and(|s| s.status == MemberStatus::Frozen)
            })
            .map(|m| (m, Attendance::Frozen))
            .collect();
        Ok(vec![Event::SessionRecorded(Session {
            id: c.id.clone(),
            bodies: vec![c.body.clone()],
            date: crate::date::PartialDate::Day(c.date),
            status: if c.date <= today {
                SessionStatus::Held
            } else {
                SessionStatus::Planned
            },
            city: Some(c.city.clone()),
            country: Some(c.country),
            venue: c.venue.clone(),
            chair: Some(chair.member),
            formats: c.formats.clone(),
            attendance,
            heads: Default::default(),
            agenda: vec![],
            note: None,
            sources: vec![],
            confidential: c.confidential,
        })])
    }

    fn record_attendance(
        &self,
        c: &AttendanceRecord,
        state: &State,
    ) -> Result<Vec<Event>, CouncilError> {
        let session = existing_session(state, &c.session)?;
        let day = session.date.earliest();
        let status = self
            .timeline
            .status_on(c.member, day)
            .ok_or(CouncilError::UnknownState(c.member, day))?
            .status;
        let frozen = status == MemberStatus::Frozen;
        if frozen != (c.attendance == Attendance::Frozen) {
            return Err(CouncilError::OutOfOrder(format!(
                "{} is {} on {day}: its attendance cannot be `{}`",
                c.member,
                status.as_str(),
                c.attendance.as_str()
            )));
        }
        Ok(vec![Event::AttendanceRecorded(AttendanceRecorded {
            session: c.session.clone(),
            member: c.member,
            attendance: c.attendance,
        })])
    }

    fn draft(&self, c: &Draft, state: &State) -> Result<Vec<Event>, CouncilError> {
        if state.document.is_some() {
            return Err(CouncilError::AlreadyExists(format!("document {}", c.id)));
        }
        existing_session(state, &c.session)?;
        if !self.charter.has_document_type(&c.doc_type) {
            return Err(CouncilError::NotInCharter(format!(
                "the charter has no document type `{}`",
                c.doc_type
            )));
        }
        let version = Version {
            document: c.id.clone(),
            number: 1,
            doc_type: c.doc_type.clone(),
            title: c.title.clone(),
            text: Some(c.text.clone()),
        };
        let hash = version.hash();
        Ok(vec![
            Event::DocumentRecorded(Document {
                id: c.id.clone(),
                session: c.session.clone(),
                doc_type: c.doc_type.clone(),
                title: c.title.clone(),
                status: DocumentStatus::Submitted,
                note: None,
                sources: vec![],
            }),
            Event::VersionRecorded(VersionRecord { version, hash }),
        ])
    }

    fn record_position(
        &self,
        signed: &SignedCommand,
        p: &Position,
        state: &State,
    ) -> Result<Vec<Event>, CouncilError> {
        let file = open_document(state, &p.document)?;
        let Some(circulated) = file.under_agreement() else {
            return Err(CouncilError::NotUnderAgreement {
                signed: p.version,
                current: "no version is circulated".into(),
            });
        };
        if p.version != circulated.version {
            return Err(CouncilError::NotUnderAgreement {
                signed: p.version,
                current: format!("version {} is", circulated.version),
            });
        }
        if p.hash != circulated.hash {
            return Err(CouncilError::WrongText {
                version: p.version,
                signed: p.hash.clone(),
                actual: circulated.hash.clone(),
            });
        }
        if p.signed_on < circulated.on {
            return Err(CouncilError::BeforeCirculation {
                version: p.version,
                signed: p.signed_on,
                circulated: circulated.on,
            });
        }
        if let Some(earlier) = file
            .positions
            .iter()
            .find(|e| e.position.member == p.member)
        {
            return Err(CouncilError::AlreadyStated {
                member: p.member,
                stance: earlier.position.stance.as_str(),
                version: p.version,
            });
        }
        let status = self
            .timeline
            .status_on(p.member, p.signed_on)
            .ok_or(CouncilError::UnknownState(p.member, p.signed_on))?
            .status;
        match status {
            MemberStatus::Member => {}
            MemberStatus::Frozen => {
                return Err(CouncilError::FrozenMember {
                    member: p.member,
                    day: p.signed_on,
                });
            }
            other => {
                return Err(CouncilError::NoVote {
                    member: p.member,
                    status: other.as_str(),
                    day: p.signed_on,
                });
            }
        }
        match p.stance {
            Stance::Object if p.reason.as_deref().is_none_or(|r| r.trim().is_empty()) => {
                return Err(CouncilError::ObjectionWithoutReason);
            }
            Stance::NoInterest => {
                let body = state
                    .session
                    .as_ref()
                    .and_then(|s| s.bodies.first())
                    .ok_or_else(|| {
                        CouncilError::NotFound(format!("session {}", file.document.session))
                    })?;
                let (code, rule) = self.body_rule(body, false)?;
                if !rule.no_interest {
                    return Err(CouncilError::NoInterestNotAllowed(code.to_string()));
                }
            }
            _ => {}
        }
        Ok(vec![Event::PositionRecorded(SignedPosition {
            position: p.clone(),
            seal: signed.seal.clone(),
        })])
    }

    fn body_rule(&self, body: &Slug, urgent: bool) -> Result<(Slug, &DecisionRule), CouncilError> {
        let b = self.charter.body(body).ok_or_else(|| {
            CouncilError::NotInCharter(format!("the charter has no body `{body}`"))
        })?;
        let code = if urgent {
            &b.urgent_rule
        } else {
            &b.decision_rule
        };
        let code = code.clone().ok_or_else(|| {
            CouncilError::NotInCharter(format!(
                "body `{body}` has no {}decision rule in the charter",
                if urgent { "urgent " } else { "" }
            ))
        })?;
        let rule = self.charter.decision_rules.get(&code).ok_or_else(|| {
            CouncilError::NotInCharter(format!("the charter has no decision rule `{code}`"))
        })?;
        Ok((code, rule))
    }

    /// The ballots of every state known on `day`, with the session's attendance and the
    /// positions taken.
    pub fn ballots(
        &self,
        session: &Session,
        positions: &[SignedPosition],
        day: Date,
    ) -> Vec<Ballot> {
        self.timeline
            .states()
            .filter_map(|member| {
                let status = self.timeline.status_on(member, day)?.status;
                Some(Ballot {
                    member,
                    status,
                    attendance: session.attendance.get(&member).copied(),
                    position: positions
                        .iter()
                        .find(|p| p.position.member == member)
                        .cloned(),
                })
            })
            .collect()
    }

    fn conclude(&self, c: &Decide, state: &State, today: Date) -> Result<Vec<Event>, CouncilError> {
        let file = open_document(state, &c.document)?;
        let session = state
            .session
            .as_ref()
            .ok_or_else(|| CouncilError::NotFound(format!("session {}", file.document.session)))?;
        let Some(circulated) = file.under_agreement() else {
            return Err(CouncilError::OutOfOrder(
                "the latest version has not been circulated".into(),
            ));
        };
        let body = session.bodies.first().ok_or_else(|| {
            CouncilError::NotInCharter(format!("session {} names no body", session.id))
        })?;
        let (rule_code, rule) = self.body_rule(body, c.urgent)?;
        let ballots = self.ballots(session, &file.positions, today);
        let tally: Tally = consensus::tally(rule, &ballots);
        let outcome = match tally.outcome() {
            Some(o) => o,
            None if !tally.awaiting.is_empty() => {
                return Err(CouncilError::AwaitingPositions(tally.awaiting));
            }
            None => return Err(CouncilError::NobodyAgreed),
        };
        Ok(vec![Event::DocumentDecided(Box::new(Decision {
            document: c.document.clone(),
            version: circulated.version,
            hash: circulated.hash.clone(),
            body: body.clone(),
            rule_code,
            rule: rule.clone(),
            decided_on: today,
            ballots,
            outcome,
            blockers: tally.blockers,
        }))])
    }
}

fn existing_session<'s>(state: &'s State, id: &Slug) -> Result<&'s Session, CouncilError> {
    state
        .session
        .as_ref()
        .filter(|s| &s.id == id)
        .ok_or_else(|| CouncilError::NotFound(format!("session {id}")))
}

/// The document, if it exists and is not decided yet.
fn open_document<'s>(state: &'s State, id: &Slug) -> Result<&'s DocumentFile, CouncilError> {
    let file = state
        .document
        .as_ref()
        .filter(|f| &f.document.id == id)
        .ok_or_else(|| CouncilError::NotFound(format!("document {id}")))?;
    if let Some(decision) = &file.decision {
        return Err(CouncilError::AlreadyDecided {
            document: id.clone(),
            outcome: match decision.outcome {
                Outcome::Adopted => "adopted",
                Outcome::Blocked => "blocked",
            },
        });
    }
    Ok(file)
}

/// Checks a decision again from its own facts, as an offline verifier does: the rule
/// applied to the ballots gives the recorded outcome and blockers.
pub fn recheck(decision: &Decision) -> Result<(), String> {
    let tally = consensus::tally(&decision.rule, &decision.ballots);
    match tally.outcome() {
        Some(o) if o == decision.outcome && tally.blockers == decision.blockers => Ok(()),
        Some(o) => Err(format!(
            "the rule applied to the ballots gives {o:?} (blockers {:?}), but the decision records {:?} (blockers {:?})",
            tally.blockers, decision.outcome, decision.blockers
        )),
        None => Err(format!(
            "the rule applied to the ballots gives no outcome (awaiting {}), but the decision records {:?}",
            list(&tally.awaiting),
            decision.outcome
        )),
    }
}
