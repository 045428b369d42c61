//! `concord init`: create the organisation from a charter and load a history, once.

use concord_core::charter::Charter;
use concord_core::consensus::{Outcome, Position, Stance};
use concord_core::council::{
    Circulate, Command, Council, CouncilError, Decide, DocumentFile, SignedCommand, State, Version,
    VersionRecord,
};
use concord_core::event::{Event, LedgerName};
use concord_core::history::{DocumentStatus, History, SessionStatus};
use concord_core::keys::{KeyOwner, KeyRegistration};
use concord_core::location::DataError;
use concord_core::registry::MemberStatus;
use concord_ledger::signature::SecretKey;
use sha2::{Digest, Sha256};

use crate::{DatasetMark, Store, StoreError};

/// The data files to initialise from.
#[derive(Debug, Clone)]
pub struct InitFiles<'a> {
    /// Name of the charter file, for errors.
    pub charter_name: &'a str,
    /// The charter's text.
    pub charter: &'a str,
    /// Name of the history file, for errors.
    pub history_name: &'a str,
    /// The history's text (may be empty: no history).
    pub history: &'a str,
}

/// The name under which the charter and history are recorded as loaded.
pub const DATASET: &str = "charter+history";

/// What `init` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InitOutcome {
    /// The organisation was created; this many events were recorded.
    Created {
        /// Events recorded.
        events: usize,
    },
    /// The same charter and history were already loaded: nothing changed.
    AlreadyLoaded,
}

/// Why `init` refused.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// A data file is malformed or inconsistent.
    #[error(transparent)]
    Data(#[from] DataError),
    /// The database already holds a different charter or history.
    #[error(
        "this database was initialised from different data (sha256 {stored}); the files given hash to {given}. \
         Concord does not rewrite an organisation's history: use a new database, or the files it was created from"
    )]
    Different {
        /// What the database holds.
        stored: String,
        /// What was given.
        given: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The history cannot be replayed through the council's procedure.
    #[error("replaying document {document} of the history: {why}")]
    Replay {
        /// The document.
        document: String,
        /// What the council's rules refused.
        why: String,
    },
}

/// Demo keys for the secretariat and every state of the charter, valid from 1 January of
/// the history's first year.
struct DemoKeys {
    keys: Vec<KeyRegistration>,
    secrets: Vec<(KeyOwner, SecretKey)>,
}

impl DemoKeys {
    fn generate(charter: &Charter, from: time::Date) -> DemoKeys {
        let owners = std::iter::once(KeyOwner::Secretariat)
            .chain(charter.members.iter().map(|m| KeyOwner::Member(m.code)));
        let mut demo = DemoKeys {
            keys: vec![],
            secrets: vec![],
        };
        for owner in owners {
            let secret = SecretKey::generate();
            demo.keys.push(KeyRegistration {
                key_id: secret.public().key_id(),
                owner,
                public_key: secret.public().to_b64(),
                valid_from: from,
                valid_until: None,
                demo: true,
            });
            demo.secrets.push((owner, secret));
        }
        demo
    }

    fn sign(
        &self,
        owner: KeyOwner,
        origin: &str,
        command: Command,
        day: time::Date,
    ) -> SignedCommand {
        let secret = &self
            .secrets
            .iter()
            .find(|(o, _)| *o == owner)
            .expect("every owner has a demo key")
            .1;
        SignedCommand::sign(secret, origin, command, day.midnight().assume_utc())
    }
}

/// The events that replay the history's documents through the council's procedure.
fn replay(charter: &Charter, origin: &str, history: &History) -> Result<Vec<Event>, InitError> {
    let Some(first) = history.sessions.iter().map(|s| s.date.earliest()).min() else {
        return Ok(vec![]);
    };
    let from = time::Date::from_calendar_date(first.year(), time::Month::January, 1)
        .expect("1 January exists");
    let demo = DemoKeys::generate(charter, from);
    let timeline = charter.timeline(history.statuses.clone());
    let council = Council {
        origin,
        charter,
        timeline: &timeline,
        keys: &demo.keys,
        nodes: &[],
    };
    let mut events: Vec<Event> = demo
        .keys
        .iter()
        .cloned()
        .map(Event::KeyRegistered)
        .collect();
    for document in &history.documents {
        let Some(session) = history.sessions.iter().find(|s| s.id == document.session) else {
            continue;
        };
        if session.status == SessionStatus::Planned {
            continue;
        }
        let refused = |e: CouncilError| InitError::Replay {
            document: document.id.to_string(),
            why: format!("{} ({})", e, e.rule()),
        };
        let day = session.date.earliest();
        let version = Version {
            document: document.id.clone(),
            number: 1,
            doc_type: document.doc_type.clone(),
            title: document.title.clone(),
            text: None,
        };
        let record = VersionRecord {
            hash: version.hash(),
            version,
        };
        events.push(Event::VersionRecorded(record.clone()));
        let mut file = DocumentFile {
            document: DocumentFile::submitted(document),
            versions: vec![record.clone()],
            circulated: None,
            positions: vec![],
            decision: None,
        };
        let mut step = |command: Command, owner: KeyOwner, file: &mut DocumentFile| {
            let state = State {
                session: Some(session.clone()),
                document: Some(file.clone()),
                incident: None,
                assistance: Default::default(),
                situation: Default::default(),
                alert: None,
                ..State::default()
            };
            let done = council
                .decide(&demo.sign(owner, origin, command, day), &state, day)
                .map_err(refused)?;
            for event in &done {
                match event {
                    Event::VersionCirculated(c) => file.circulated = Some(c.clone()),
                    Event::PositionRecorded(p) => file.positions.push(p.clone()),
                    _ => {}
                }
            }
            events.extend(done);
            Ok::<(), InitError>(())
        };
        step(
            Command::Circulate(Circulate {
                document: document.id.clone(),
                version: 1,
            }),
            KeyOwner::Secretariat,
            &mut file,
        )?;
        if document.status != DocumentStatus::Adopted {
            continue;
        }
        for member in charter.members.iter().map(|m| m.code) {
            let voting = timeline
                .status_on(member, day)
                .is_some_and(|s| s.status == MemberStatus::Member);
            if !voting {
                continue;
            }
            let position = Position {
                document: document.id.clone(),
                version: 1,
                hash: record.hash.clone(),
                member,
                stance: Stance::Agree,
                reason: None,
                signatory: None,
                signed_on: day,
            };
            step(
                Command::RecordPosition(position),
                KeyOwner::Member(member),
                &mut file,
            )?;
        }
        step(
            Command::Decide(Decide {
                document: document.id.clone(),
                urgent: false,
            }),
            KeyOwner::Secretariat,
            &mut file,
        )?;
        let blocked = events.iter().rev().find_map(|e| match e {
            Event::DocumentDecided(d) if d.outcome != Outcome::Adopted => Some(d),
            _ => None,
        });
        if let Some(decision) = blocked.filter(|d| d.document == document.id) {
            let blockers: Vec<String> = decision
                .blockers
                .iter()
                .map(|b| b.member.to_string())
                .collect();
            return Err(InitError::Replay {
                document: document.id.to_string(),
                why: format!(
                    "the history says adopted, but the rule `{}` blocks it ({} absent without agreeing or objecting): fix the attendance or the status",
                    decision.rule_code,
                    blockers.join(", ")
                ),
            });
        }
    }
    Ok(events)
}

/// A new ledger origin for the organisation: its code and a random part, so that no two
/// deployments share one and a command signed for one is refused by every other.
fn new_origin(charter: &Charter) -> String {
    let random = concord_ledger::signature::salt();
    format!(
        "{}.concord/ledger/{}",
        charter.organisation.code,
        &random[..16]
    )
}

/// Checks the files and returns the events that would record them, with their mark.
///
/// The history's documents replay through the council's procedure: each is circulated,
/// and an adopted one is agreed by every voting member and decided by its body's rule,
/// every step signed with demo keys generated here and registered as `demo` keys. Their
/// secrets are dropped when this returns.
pub fn prepare(files: &InitFiles<'_>) -> Result<(Vec<Event>, DatasetMark), InitError> {
    prepare_node(files, None)
}

/// [`prepare`] for a node: a member state's node (`node` given) records only the charter
/// and its name, and takes the registry and the history from the secretariat's node.
pub fn prepare_node(
    files: &InitFiles<'_>,
    node: Option<&concord_core::federation::NodeOf>,
) -> Result<(Vec<Event>, DatasetMark), InitError> {
    let charter = Charter::from_toml(files.charter_name, files.charter)?;
    let history = if files.history.trim().is_empty() || node.is_some() {
        None
    } else {
        Some(History::from_toml(
            files.history_name,
            files.history,
            &charter,
        )?)
    };
    let mut hasher = Sha256::new();
    for part in [files.charter, "\u{0}", files.history] {
        hasher.update(part.as_bytes());
    }
    if let Some(node) = node {
        hasher.update(format!(
            "\u{0}node {} {}",
            node.state, node.secretariat_log_key
        ));
    }
    let mark = DatasetMark {
        name: DATASET.to_owned(),
        sha256: hex::encode(hasher.finalize()),
    };
    let origin = new_origin(&charter);
    let mut events = vec![
        Event::CharterAdopted(Box::new(charter.clone())),
        Event::LedgerNamed(LedgerName {
            origin: origin.clone(),
            node: node.cloned(),
        }),
    ];
    if let Some(history) = history {
        for event in history.events() {
            match event {
                // Recorded as submitted: the replayed decision is what adopts it.
                Event::DocumentRecorded(mut d) => {
                    d.status = DocumentStatus::Submitted;
                    events.push(Event::DocumentRecorded(d));
                }
                other => events.push(other),
            }
        }
        events.extend(replay(&charter, &origin, &history)?);
    }
    Ok((events, mark))
}

/// Creates the organisation from the files, or does nothing if the same files were
/// already loaded. Safe to run concurrently from several nodes.
pub async fn init(store: &dyn Store, files: &InitFiles<'_>) -> Result<InitOutcome, InitError> {
    init_node(store, files, None).await
}

/// [`init`] for a node of the federation (see [`prepare_node`]).
pub async fn init_node(
    store: &dyn Store,
    files: &InitFiles<'_>,
    node: Option<&concord_core::federation::NodeOf>,
) -> Result<InitOutcome, InitError> {
    let (events, mark) = prepare_node(files, node)?;
    let check = |stored: Option<DatasetMark>| match stored {
        Some(stored) if stored.sha256 == mark.sha256 => Ok(Some(InitOutcome::AlreadyLoaded)),
        Some(stored) => Err(InitError::Different {
            stored: stored.sha256,
            given: mark.sha256.clone(),
        }),
        None => Ok(None),
    };
    if let Some(outcome) = check(store.dataset(DATASET).await?)? {
        return Ok(outcome);
    }
    match store.commit(&events, Some(&mark)).await {
        Ok(_) => Ok(InitOutcome::Created {
            events: events.len(),
        }),
        // Another node loaded it between our check and our commit.
        Err(StoreError::Conflict(_)) => match check(store.dataset(DATASET).await?)? {
            Some(outcome) => Ok(outcome),
            None => Err(StoreError::Conflict("dataset mark vanished".into()).into()),
        },
        Err(e) => Err(e.into()),
    }
}
