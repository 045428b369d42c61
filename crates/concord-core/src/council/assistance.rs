//! Requests for collective assistance: a member asks for help; the request opens emergency
//! consultations of the Collective Security Council with a draft decision already
//! circulated, which the members decide by the council's own procedure under the body's
//! urgent (fast-track) rule; then members pledge forces, and a deployment is ordered and
//! tracked until it is completed.
//!
//! A request's record is folded from its events ([`AssistanceFile::fold`]); its decision is
//! an ordinary council document (`REQUEST-decision`).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::code::{MemberCode, Slug};
use crate::consensus::Outcome;
use crate::event::Event;
use crate::history::{Document, DocumentStatus};
use crate::text::Text;

use super::{
    Circulation, Council, CouncilError, Decision, OpenSession, State, Version, VersionRecord,
};

/// A member's request for collective assistance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestAssistance {
    /// Identifier (`tjk-2026-assistance-1`).
    pub id: Slug,
    /// The requesting member.
    pub requester: MemberCode,
    /// What is asked, and why.
    pub text: Text,
}

/// A member's pledge of forces to a decided request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PledgeForces {
    /// The request.
    pub request: Slug,
    /// The pledging member.
    pub member: MemberCode,
    /// Units.
    pub units: u32,
    /// Personnel.
    pub personnel: u32,
    /// Pieces of equipment.
    pub equipment: u32,
    /// Aircraft.
    pub aircraft: u32,
}

/// Where a deployment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeploymentStatus {
    /// Ordered by the council's decision.
    Ordered,
    /// Moving to the area.
    Deploying,
    /// In place.
    Deployed,
    /// Leaving.
    Withdrawing,
    /// Withdrawn; the Secretary General reported completion. Closed.
    Completed,
}

impl DeploymentStatus {
    /// The written form.
    pub fn as_str(self) -> &'static str {
        match self {
            DeploymentStatus::Ordered => "ordered",
            DeploymentStatus::Deploying => "deploying",
            DeploymentStatus::Deployed => "deployed",
            DeploymentStatus::Withdrawing => "withdrawing",
            DeploymentStatus::Completed => "completed",
        }
    }

    /// The one status that may follow.
    pub fn next(self) -> Option<DeploymentStatus> {
        match self {
            DeploymentStatus::Ordered => Some(DeploymentStatus::Deploying),
            DeploymentStatus::Deploying => Some(DeploymentStatus::Deployed),
            DeploymentStatus::Deployed => Some(DeploymentStatus::Withdrawing),
            DeploymentStatus::Withdrawing => Some(DeploymentStatus::Completed),
            DeploymentStatus::Completed => None,
        }
    }
}

/// Orders the deployment of the pledged forces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderDeployment {
    /// The request.
    pub request: Slug,
}

/// Moves the deployment to its next status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdvanceDeployment {
    /// The request.
    pub request: Slug,
    /// The next status.
    pub to: DeploymentStatus,
}

/// A request as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssistanceRequest {
    /// Identifier.
    pub id: Slug,
    /// The requesting member.
    pub requester: MemberCode,
    /// What is asked.
    pub text: Text,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub requested_at: OffsetDateTime,
    /// The decision document the council decides.
    pub decision: Slug,
    /// The emergency consultations that decide it.
    pub session: Slug,
    /// When the fast-track rule wants the decision by.
    #[serde(with = "time::serde::rfc3339")]
    pub decide_by: OffsetDateTime,
}

/// A pledge as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pledge {
    /// What was pledged.
    pub pledge: PledgeForces,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// A deployment's step, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeploymentStep {
    /// The request.
    pub request: Slug,
    /// The status reached.
    pub status: DeploymentStatus,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// Everything recorded of one request, folded from its events.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct AssistanceFile {
    /// The request.
    pub request: Option<AssistanceRequest>,
    /// The pledges, in order.
    pub pledges: Vec<Pledge>,
    /// The deployment's steps, in order.
    pub deployment: Vec<DeploymentStep>,
}

impl AssistanceFile {
    /// Folds a request's events, in ledger order.
    pub fn fold<'a>(events: impl IntoIterator<Item = &'a Event>) -> AssistanceFile {
        let mut file = AssistanceFile::default();
        for event in events {
            match event {
                Event::AssistanceRequested(r) => file.request = Some(r.clone()),
                Event::ForcesPledged(p) => file.pledges.push(p.clone()),
                Event::DeploymentStepped(s) => file.deployment.push(s.clone()),
                _ => {}
            }
        }
        file
    }

    /// The deployment's current status.
    pub fn status(&self) -> Option<DeploymentStatus> {
        self.deployment.last().map(|s| s.status)
    }

    /// Totals pledged: units, personnel, equipment, aircraft.
    pub fn totals(&self) -> [u64; 4] {
        self.pledges.iter().fold([0; 4], |t, p| {
            [
                t[0] + u64::from(p.pledge.units),
                t[1] + u64::from(p.pledge.personnel),
                t[2] + u64::from(p.pledge.equipment),
                t[3] + u64::from(p.pledge.aircraft),
            ]
        })
    }
}

/// What the session and decision of a request's emergency consultations are named with
/// (a name only: their confidentiality is the session's, [`crate::history::Session::confidential`]).
pub const CONSULTATIONS: &str = "consultations-";

/// The body that decides requests for collective assistance.
const COUNCIL: &str = "csc";

impl Council<'_> {
    /// A request: the request, emergency consultations, and the draft decision circulated.
    pub(super) fn request_assistance(
        &self,
        c: &RequestAssistance,
        state: &State,
        now: OffsetDateTime,
    ) -> Result<Vec<Event>, CouncilError> {
        if state.assistance.request.is_some() {
            return Err(CouncilError::AlreadyExists(format!("request {}", c.id)));
        }
        let body: Slug = COUNCIL.parse().expect("a slug");
        let (_, rule) = self.body_rule(&body, true)?;
        let hours = i64::from(rule.fast_track_hours.unwrap_or(24));
        let today = now.date();
        let session_id: Slug = format!("{CONSULTATIONS}{}", c.id)
            .parse()
            .map_err(|_| CouncilError::NotInCharter(format!("`{}` cannot name a session", c.id)))?;
        let decision_id: Slug = format!("{CONSULTATIONS}{}-decision", c.id)
            .parse()
            .map_err(|_| {
                CouncilError::NotInCharter(format!("`{}` cannot name a document", c.id))
            })?;
        let requester = self.charter.member(c.requester).ok_or_else(|| {
            CouncilError::NotInCharter(format!("{} is not a state of the charter", c.requester))
        })?;
        let mut events = self.open_session(
            &OpenSession {
                id: session_id.clone(),
                body: body.clone(),
                date: today,
                city: requester.capital.clone(),
                country: c.requester,
                venue: None,
                formats: vec![],
                confidential: true,
            },
            &State::default(),
            today,
        )?;
        if let Some(Event::SessionRecorded(session)) = events.first_mut() {
            session.note = Some(Text::new(
                "Emergency consultations on a request for collective assistance, without a physical session",
                "Экстренные консультации по запросу о коллективной помощи, без очного заседания",
            ));
        }
        let of = self.charter.name_of(c.requester);
        let title = Text::new(
            format!(
                "Decision on the request of {} for collective assistance",
                of.en
            ),
            format!("Решение по запросу {} о коллективной помощи", of.ru),
        );
        let version = Version {
            document: decision_id.clone(),
            number: 1,
            doc_type: "decision".parse().expect("a slug"),
            title: title.clone(),
            text: Some(c.text.clone()),
        };
        let hash = version.hash();
        events.extend([
            Event::AssistanceRequested(AssistanceRequest {
                id: c.id.clone(),
                requester: c.requester,
                text: c.text.clone(),
                requested_at: now,
                decision: decision_id.clone(),
                session: session_id.clone(),
                decide_by: now + time::Duration::hours(hours),
            }),
            Event::DocumentRecorded(Document {
                id: decision_id.clone(),
                session: session_id,
                doc_type: version.doc_type.clone(),
                title,
                status: DocumentStatus::Submitted,
                note: None,
                sources: vec![],
            }),
            Event::VersionRecorded(VersionRecord {
                version,
                hash: hash.clone(),
            }),
            Event::VersionCirculated(Circulation {
                document: decision_id,
                version: 1,
                hash,
                on: today,
            }),
        ]);
        Ok(events)
    }

    /// A pledge, once the request is adopted and while its deployment is open.
    pub(super) fn pledge(
        &self,
        c: &PledgeForces,
        state: &State,
        now: OffsetDateTime,
    ) -> Result<Vec<Event>, CouncilError> {
        self.adopted(state, &c.request)?;
        if state.assistance.status() == Some(DeploymentStatus::Completed) {
            return Err(CouncilError::OutOfOrder(format!(
                "the deployment for {} is completed and closed: it takes no more pledges",
                c.request
            )));
        }
        if c.units + c.personnel + c.equipment + c.aircraft == 0 {
            return Err(CouncilError::OutOfOrder(
                "a pledge pledges something".into(),
            ));
        }
        Ok(vec![Event::ForcesPledged(Pledge {
            pledge: c.clone(),
            at: now,
        })])
    }

    /// Orders the deployment (once).
    pub(super) fn order_deployment(
        &self,
        c: &OrderDeployment,
        state: &State,
        now: OffsetDateTime,
    ) -> Result<Vec<Event>, CouncilError> {
        self.adopted(state, &c.request)?;
        if state.assistance.status().is_some() {
            return Err(CouncilError::AlreadyExists(format!(
                "the deployment for {}",
                c.request
            )));
        }
        if state.assistance.pledges.is_empty() {
            return Err(CouncilError::OutOfOrder(
                "no forces are pledged: there is nothing to deploy".into(),
            ));
        }
        Ok(vec![Event::DeploymentStepped(DeploymentStep {
            request: c.request.clone(),
            status: DeploymentStatus::Ordered,
            at: now,
        })])
    }

    /// Moves the deployment one step on.
    pub(super) fn advance_deployment(
        &self,
        c: &AdvanceDeployment,
        state: &State,
        now: OffsetDateTime,
    ) -> Result<Vec<Event>, CouncilError> {
        let current = state.assistance.status().ok_or_else(|| {
            CouncilError::OutOfOrder(format!("no deployment is ordered for {}", c.request))
        })?;
        if current.next() != Some(c.to) {
            return Err(CouncilError::OutOfOrder(format!(
                "the deployment is {}: it cannot become {}{}",
                current.as_str(),
                c.to.as_str(),
                current
                    .next()
                    .map(|n| format!(" (next: {})", n.as_str()))
                    .unwrap_or_else(|| " (it is closed)".into())
            )));
        }
        Ok(vec![Event::DeploymentStepped(DeploymentStep {
            request: c.request.clone(),
            status: c.to,
            at: now,
        })])
    }

    /// The request, if its decision adopted it.
    fn adopted<'s>(&self, state: &'s State, id: &Slug) -> Result<&'s Decision, CouncilError> {
        state
            .assistance
            .request
            .as_ref()
            .ok_or_else(|| CouncilError::NotFound(format!("request {id}")))?;
        match state.document.as_ref().and_then(|f| f.decision.as_ref()) {
            Some(d) if d.outcome == Outcome::Adopted => Ok(d),
            Some(_) => Err(CouncilError::OutOfOrder(format!(
                "the council did not adopt the decision on {id}"
            ))),
            None => Err(CouncilError::OutOfOrder(format!(
                "the council has not decided on {id} yet"
            ))),
        }
    }
}
