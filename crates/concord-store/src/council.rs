//! The one write path of the council: read the state a signed command needs, let the
//! domain decide, commit the events on the condition that nothing changed meanwhile.
//! The HTTP API, the CLI and `init`'s replay all come through [`execute`] or the same
//! domain rules.

use concord_core::bundle::{Bundle, FORMAT};
use concord_core::council::{
    Command, Council, CouncilError, DocumentFile, SignedCommand, State, Subject,
};
use concord_core::event::Event;
use concord_core::federation::NodeRegistration;
use concord_core::keys::{self, KeyError, KeyRegistration};
use concord_ledger::checkpoint::LogKey;
use time::Date;

use crate::ledger::{self, LedgerQueryError};
use crate::queries::{self, QueryError};
use crate::{Expect, Store, StoreError};

/// How many times a command is decided again when another write changed its subject.
const ATTEMPTS: usize = 5;

/// Why a command was not carried out.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// A rule of the council refused it.
    #[error(transparent)]
    Council(#[from] CouncilError),
    /// A key registration was refused.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The registry could not be read.
    #[error(transparent)]
    Query(#[from] QueryError),
    /// The store failed (or kept conflicting).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The ledger could not produce a proof.
    #[error(transparent)]
    Ledger(#[from] LedgerQueryError),
    /// The document has no decision to bundle.
    #[error("document {0} has not been decided: there is nothing to bundle yet")]
    NotDecided(String),
    /// The document does not exist.
    #[error("document {0} does not exist")]
    NoSuchDocument(String),
    /// A role that is unknown or does not go with the holder.
    #[error("{0}")]
    Account(String),
}

/// What a command did.
#[derive(Debug, Clone, PartialEq)]
pub struct Executed {
    /// The events recorded.
    pub events: Vec<Event>,
    /// Leaf index of the last one.
    pub last_leaf: i64,
}

/// The organisation a command is carried out in: its charter and its ledger's origin, both
/// fixed once the organisation is created, so a server reads them once.
#[derive(Debug, Clone)]
pub struct Deployment {
    /// The charter.
    pub charter: std::sync::Arc<concord_core::charter::Charter>,
    /// The ledger's origin, which every signed command must name.
    pub origin: String,
    /// On a member state's node: the state, and the secretariat's log key it trusts.
    pub node: Option<concord_core::federation::NodeOf>,
    /// The registry the last batch was decided on, kept while it does not change.
    pub registry: std::sync::Arc<crate::registry::KeptRegistry>,
}

impl Deployment {
    /// Reads both from the store.
    pub async fn read(store: &dyn Store) -> Result<Deployment, QueryError> {
        let name = queries::ledger_name(store).await?;
        Ok(Deployment {
            charter: std::sync::Arc::new(queries::charter(store).await?),
            origin: name.origin,
            node: name.node,
            registry: Default::default(),
        })
    }

    /// Whose node this is: the state named at its start, or the secretariat.
    pub fn owner(&self) -> concord_core::keys::KeyOwner {
        match &self.node {
            Some(node) => concord_core::keys::KeyOwner::Member(node.state),
            None => concord_core::keys::KeyOwner::Secretariat,
        }
    }

    pub(crate) fn council<'a>(
        &'a self,
        timeline: &'a concord_core::registry::StatusTimeline,
        keys: &'a [KeyRegistration],
        nodes: &'a [NodeRegistration],
    ) -> Council<'a> {
        Council {
            origin: &self.origin,
            charter: &self.charter,
            timeline,
            keys,
            nodes,
        }
    }

    /// The nodes a position among `signed` may have been signed on: read only where one
    /// names another ledger, and only on the secretariat's node, the one that takes
    /// positions delivered from members' nodes.
    pub(crate) async fn delivering_nodes(
        &self,
        store: &dyn Store,
        signed: &[SignedCommand],
    ) -> Result<Vec<NodeRegistration>, StoreError> {
        if self.node.is_none() && signed.iter().any(|s| s.seal.node_origin.is_some()) {
            store.nodes().await
        } else {
            Ok(vec![])
        }
    }
}

/// Carries out `signed` at `now`: every check, then one transaction.
pub async fn execute(
    store: &dyn Store,
    signed: &SignedCommand,
    now: time::OffsetDateTime,
) -> Result<Executed, CommandError> {
    let deployment = Deployment::read(store).await?;
    execute_under(store, &deployment, signed, now).await
}

/// [`execute`] in a deployment already read (it never changes once created): what a
/// server calls, saving reads per command.
pub async fn execute_under(
    store: &dyn Store,
    deployment: &Deployment,
    signed: &SignedCommand,
    now: time::OffsetDateTime,
) -> Result<Executed, CommandError> {
    let charter = &deployment.charter;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let subject = signed.command.subject();
        let mut expect = vec![head(store, &subject.name()).await?];
        let (mut state, also_read) = load(store, &signed.command, &subject).await?;
        for name in also_read {
            expect.push(head(store, &name).await?);
        }
        state.sealed_before = store.seals_seen(&[seal_of(signed)]).await?[0];
        let timeline = charter.timeline(store.status_records().await?);
        let keys = store.keys().await?;
        let nodes = deployment
            .delivering_nodes(store, std::slice::from_ref(signed))
            .await?;
        let council = deployment.council(&timeline, &keys, &nodes);
        let events = council.decide_at(signed, &state, now)?;
        match store.append(&events, None, &expect).await {
            Ok(last_leaf) => return Ok(Executed { events, last_leaf }),
            Err(StoreError::Conflict(why)) if attempt < ATTEMPTS => {
                tracing::debug!(attempt, why, "decided on stale state; deciding again");
            }
            Err(e) => return Err(e.into()),
        }
    }
}

pub use crate::batch::{DecidedBatch, decide_many, execute_many};

/// The seal's moment, key id and nonce: what identifies a signed command once received.
pub(crate) fn seal_of(signed: &SignedCommand) -> crate::SealId {
    let seal = &signed.seal;
    (seal.issued_at.clone(), seal.key.clone(), seal.nonce.clone())
}

pub(crate) async fn head(store: &dyn Store, subject: &str) -> Result<Expect, StoreError> {
    Ok(Expect {
        subject: subject.to_owned(),
        last: store.subject_head(subject).await?,
    })
}

/// The state `command` is decided against, and the subjects it reads beside its own.
pub(crate) async fn load(
    store: &dyn Store,
    command: &Command,
    subject: &Subject,
) -> Result<(State, Vec<String>), StoreError> {
    let mut state = State::default();
    let mut also_read = Vec::new();
    if let Some(found) = load_year(store, command, subject, &mut state).await? {
        also_read.extend(found);
        return Ok((state, also_read));
    }
    if let Subject::Situation(_) = subject {
        let events = store.subject_events(&subject.name()).await?;
        state.situation = concord_core::council::SituationFile::fold(&events);
        if let Command::AttachReport(a) = command {
            state.incident = store
                .incident_versions(a.report.as_str())
                .await?
                .pop()
                .map(|i| i.report);
        }
        return Ok((state, also_read));
    }
    if let Subject::Alert(_) = subject {
        state.alert = store
            .subject_events(&subject.name())
            .await?
            .into_iter()
            .find_map(|e| match e {
                concord_core::event::Event::AlertIssued(a) => Some(*a),
                _ => None,
            });
        if let Command::IssueAlert(c) = command
            && let Some(situation) = &c.situation
        {
            let name = Subject::Situation(situation.clone()).name();
            state.situation =
                concord_core::council::SituationFile::fold(&store.subject_events(&name).await?);
            also_read.push(name);
        }
        return Ok((state, also_read));
    }
    if let Subject::Request(_) = subject {
        let events = store.subject_events(&subject.name()).await?;
        state.assistance = concord_core::council::AssistanceFile::fold(&events);
        if let Some(request) = &state.assistance.request {
            state.document = document_file(store, request.decision.as_str()).await?;
            also_read.push(Subject::Document(request.decision.clone()).name());
        }
        return Ok((state, also_read));
    }
    let mut session_id = command.session().map(ToString::to_string);
    if let Subject::Document(id) = subject {
        state.document = document_file(store, id.as_str()).await?;
        if let Some(file) = &state.document {
            session_id = Some(file.document.session.to_string());
        }
    }
    if let Subject::Incident(id) = subject {
        state.incident = store
            .incident_versions(id.as_str())
            .await?
            .pop()
            .map(|i| i.report);
    }
    let session_id = match subject {
        Subject::Session(id) => Some(id.to_string()),
        Subject::Document(_) => session_id,
        _ => None,
    };
    if let Some(id) = session_id {
        state.session = store.session(&id).await?;
        if matches!(subject, Subject::Document(_)) {
            also_read.push(Subject::Session(id.parse().expect("stored ids are slugs")).name());
        }
    }
    Ok((state, also_read))
}

/// Everything recorded of a document, if it exists.
pub async fn document_file(
    store: &dyn Store,
    id: &str,
) -> Result<Option<DocumentFile>, StoreError> {
    let Some(document) = store.document(id).await? else {
        return Ok(None);
    };
    let versions = store.versions(id).await?;
    let circulated = store.circulations(id).await?.pop();
    let positions = match &circulated {
        Some(c) => store.positions(id, c.version).await?,
        None => vec![],
    };
    let decision = store.decision(id).await?.map(|(_, d)| d);
    Ok(Some(DocumentFile {
        document,
        versions,
        circulated,
        positions,
        decision,
    }))
}

/// Registers a public key (the operator's act, on the server's own database): rotation
/// ends the owner's current key the day before the new one starts.
pub async fn register_key(
    store: &dyn Store,
    new: KeyRegistration,
) -> Result<Vec<Event>, CommandError> {
    let expect = [head(store, "keys").await?];
    let known = store.keys().await?;
    let (registered, retired) = keys::register(&known, new)?;
    let mut events = vec![];
    if let Some(r) = retired {
        events.push(Event::KeyRetired(r));
    }
    events.push(Event::KeyRegistered(registered));
    store.append(&events, None, &expect).await?;
    Ok(events)
}

/// The bundle of a decided document, proved against a checkpoint of the current log.
pub async fn bundle(
    store: &dyn Store,
    log_key: &LogKey,
    document: &str,
) -> Result<Bundle, CommandError> {
    if store.document(document).await?.is_none() {
        return Err(CommandError::NoSuchDocument(document.to_owned()));
    }
    let Some((leaf, decision)) = store.decision(document).await? else {
        return Err(CommandError::NotDecided(document.to_owned()));
    };
    let version = store
        .versions(document)
        .await?
        .into_iter()
        .find(|v| v.version.number == decision.version)
        .ok_or_else(|| StoreError::Corrupt {
            what: format!("document {document}"),
            why: format!("decided version {} is not stored", decision.version),
        })?;
    let size = store.ledger_size().await?;
    let root = ledger::root(store, size).await?;
    let checkpoint = log_key.sign(size, root).map_err(LedgerQueryError::from)?;
    let proof = ledger::inclusion(store, leaf, Some(size)).await?;
    let entry = ledger::entries(store, leaf, leaf + 1)
        .await?
        .pop()
        .ok_or_else(|| StoreError::Ledger(format!("entry {leaf} is missing")))?;
    Ok(Bundle {
        format: FORMAT.to_owned(),
        version: version.version,
        entry,
        proof,
        checkpoint,
        log_key: log_key.verifier_key().to_owned(),
    })
}

/// Issues an API token for `holder`'s officials in `role`: records its hash (the operator's
/// act on the server's own database) and returns the token, to be shown once.
pub async fn issue_token(
    store: &dyn Store,
    holder: concord_core::keys::KeyOwner,
    role: concord_core::code::Slug,
    label: Option<String>,
    today: Date,
) -> Result<(String, concord_core::tokens::ApiToken), CommandError> {
    let affiliation = match holder {
        concord_core::keys::KeyOwner::Secretariat => {
            concord_core::accounts::Affiliation::Secretariat
        }
        concord_core::keys::KeyOwner::Member(m) => concord_core::accounts::Affiliation::State(m),
    };
    let known: concord_core::accounts::Role =
        role.as_str().parse().map_err(CommandError::Account)?;
    concord_core::accounts::check_roles(&[known], affiliation)
        .map_err(|e| CommandError::Account(e.to_string()))?;
    let (token, sha256) = concord_ledger::signature::generate_token(concord_core::tokens::PREFIX);
    let issued = concord_core::tokens::ApiToken {
        id: sha256[..12].to_owned(),
        holder,
        role,
        label,
        sha256,
        issued_on: today,
    };
    let expect = [head(store, "tokens").await?];
    store
        .append(&[Event::TokenIssued(issued.clone())], None, &expect)
        .await?;
    Ok((token, issued))
}

/// Revokes a token by its identifier; false if no live token has it.
pub async fn revoke_token(store: &dyn Store, id: &str, today: Date) -> Result<bool, CommandError> {
    let live = store
        .tokens()
        .await?
        .into_iter()
        .any(|(t, revoked)| t.id == id && !revoked);
    if !live {
        return Ok(false);
    }
    let expect = [head(store, "tokens").await?];
    let revocation = concord_core::tokens::TokenRevocation {
        id: id.to_owned(),
        on: today,
    };
    store
        .append(&[Event::TokenRevoked(revocation)], None, &expect)
        .await?;
    Ok(true)
}

/// Who a bearer token reads as on `today` (its holder, in its role); `None` for an unknown
/// or revoked token.
pub async fn reader_for_token(
    store: &dyn Store,
    charter: &concord_core::charter::Charter,
    token: &str,
    today: Date,
) -> Result<Option<concord_core::releasability::Reader>, StoreError> {
    let sha256 = concord_ledger::signature::token_sha256(token);
    let Some(found) = store.live_token(&sha256).await? else {
        return Ok(None);
    };
    let timeline = charter.timeline(store.status_records().await?);
    Ok(Some(found.reader(&timeline, today)))
}

/// The state of the organisation's year's commands (programmes, budgets, quota posts, the
/// chair's year), and the subjects read beside their own; `None` for other subjects.
async fn load_year(
    store: &dyn Store,
    command: &Command,
    subject: &Subject,
    state: &mut State,
) -> Result<Option<Vec<String>>, StoreError> {
    use concord_core::year::{BudgetFile, ChairFile, ProgrammeFile, QuotaFile, RecordRef};
    let name = subject.name();
    let events = || store.subject_events(&name);
    let document = match (subject, command) {
        (Subject::Programme(id), _) => {
            state.programme = ProgrammeFile::fold(&events().await?);
            Some(id.clone())
        }
        (Subject::Budget(_), c) => {
            state.budget = BudgetFile::fold(&events().await?);
            match c {
                Command::SetBudget(b) => Some(b.document.clone()),
                _ => None,
            }
        }
        (Subject::Quota(_), c) => {
            state.quota = QuotaFile::fold(&events().await?);
            match c {
                Command::ApportionQuotaPosts(a) => Some(a.document.clone()),
                _ => None,
            }
        }
        (Subject::Chairmanship(year), c) => {
            state.chairmanship = ChairFile::fold(&events().await?);
            if state.chairmanship.statement.is_none() {
                // A statement loaded with the history has no subject of its own.
                state.chairmanship.statement = store
                    .chairmanship_statements()
                    .await?
                    .into_iter()
                    .find(|s| s.year == *year);
            }
            match c {
                Command::LinkPriority(l) => {
                    state.linked_record_exists = match &l.record {
                        RecordRef::Document(id) | RecordRef::Programme(id) => {
                            store.document(id.as_str()).await?.is_some()
                        }
                        RecordRef::Session(id) => store.session(id.as_str()).await?.is_some(),
                        RecordRef::Exercise(id) => {
                            store.exercises().await?.iter().any(|e| &e.id == id)
                        }
                        RecordRef::Operation(code) => {
                            store.operations().await?.iter().any(|o| &o.code == code)
                        }
                    };
                }
                Command::SubmitAnnualReport(r) => {
                    let charter = store
                        .charter()
                        .await?
                        .ok_or_else(|| StoreError::Database("no charter".into()))?;
                    let origin = queries::origin(store)
                        .await
                        .map_err(|e| StoreError::Database(e.to_string()))?;
                    state.report_digest = crate::annual::report(
                        store,
                        &charter,
                        &origin,
                        r.year,
                        crate::annual::Part::Full,
                    )
                    .await
                    .ok()
                    .map(|report| report.digest());
                }
                _ => {}
            }
            None
        }
        _ => return Ok(None),
    };
    let mut also_read = Vec::new();
    if let Some(id) = document {
        state.document = document_file(store, id.as_str()).await?;
        also_read.push(Subject::Document(id).name());
    }
    Ok(Some(also_read))
}
