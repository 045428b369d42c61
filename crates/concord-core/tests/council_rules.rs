//! The council's rules, driven command by command against the demo charter and history:
//! each refusal names its rule, and nothing but a well-signed, well-placed command yields
//! events.

use concord_core::consensus::{Outcome, Position, Stance};
use concord_core::council::{
    Circulate, Circulation, Command, Council, CouncilError, Decide, DocumentFile, Draft,
    OpenSession, SignedCommand, State, VersionRecord,
};
use concord_core::keys::{KeyOwner, KeyRegistration};
use concord_core::{Charter, Event, History, StatusTimeline};
use concord_ledger::signature::SecretKey;
use time::Date;
use time::macros::date;

const CHARTER: &str = include_str!("../../../data/charter.toml");
const HISTORY: &str = include_str!("../../../data/history.toml");
const TODAY: Date = date!(2026 - 11 - 24);
/// The deployment every test command is signed for.
const ORIGIN: &str = "TEST.concord/ledger/0123456789abcdef";

struct World {
    charter: Charter,
    timeline: StatusTimeline,
    keys: Vec<KeyRegistration>,
    secrets: Vec<(KeyOwner, SecretKey)>,
}

impl World {
    fn new() -> World {
        let charter = Charter::from_toml("charter.toml", CHARTER).unwrap();
        let history = History::from_toml("history.toml", HISTORY, &charter).unwrap();
        let timeline = charter.timeline(history.statuses.clone());
        let mut world = World {
            charter,
            timeline,
            keys: vec![],
            secrets: vec![],
        };
        for owner in ["secretariat", "ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK"] {
            world.add_key(owner.parse().unwrap(), date!(2020 - 01 - 01));
        }
        world
    }

    fn add_key(&mut self, owner: KeyOwner, from: Date) {
        let secret = SecretKey::generate();
        self.keys.push(KeyRegistration {
            key_id: secret.public().key_id(),
            owner,
            public_key: secret.public().to_b64(),
            valid_from: from,
            valid_until: None,
            demo: false,
        });
        self.secrets.push((owner, secret));
    }

    fn secret(&self, owner: &str) -> &SecretKey {
        let owner: KeyOwner = owner.parse().unwrap();
        &self
            .secrets
            .iter()
            .rev()
            .find(|(o, _)| *o == owner)
            .unwrap()
            .1
    }

    fn sign(&self, owner: &str, command: Command) -> SignedCommand {
        let secret = self.secret(owner);
        let issued_at = match &command {
            Command::RecordPosition(p) => p.signed_on,
            _ => TODAY,
        };
        SignedCommand::sign(secret, ORIGIN, command, issued_at.midnight().assume_utc())
    }

    fn council(&self) -> Council<'_> {
        Council {
            origin: ORIGIN,
            charter: &self.charter,
            timeline: &self.timeline,
            keys: &self.keys,
            nodes: &[],
        }
    }

    fn run(
        &self,
        owner: &str,
        command: Command,
        state: &State,
    ) -> Result<Vec<Event>, CouncilError> {
        self.council()
            .decide(&self.sign(owner, command), state, TODAY)
    }
}

/// The state after a session was opened and a declaration drafted and circulated.
fn circulated(world: &World) -> State {
    let open = Command::OpenSession(OpenSession {
        id: "csc-2026-11-24".parse().unwrap(),
        body: "csc".parse().unwrap(),
        date: TODAY,
        city: concord_core::Text::new("Moscow", "Москва"),
        country: "RUS".parse().unwrap(),
        venue: None,
        formats: vec![],
        confidential: false,
    });
    let events = world.run("secretariat", open, &State::default()).unwrap();
    let Event::SessionRecorded(session) = &events[0] else {
        panic!("{events:?}")
    };
    // ARM is frozen since 2024: the session records it so; the rotation gives 2026 to RUS.
    assert_eq!(
        session
            .attendance
            .get(&"ARM".parse().unwrap())
            .map(|a| a.as_str()),
        Some("frozen")
    );
    assert_eq!(session.chair.unwrap().as_str(), "RUS");
    let mut state = State {
        session: Some(session.clone()),
        document: None,
        incident: None,
        assistance: Default::default(),
        situation: Default::default(),
        alert: None,
        ..State::default()
    };
    let draft = Command::DraftDocument(Draft {
        id: "2026-moscow-declaration".parse().unwrap(),
        session: session.id.clone(),
        doc_type: "declaration".parse().unwrap(),
        title: concord_core::Text::new("Moscow Declaration", "Московская декларация"),
        text: concord_core::Text::new("The member states declare…", "Государства-члены заявляют…"),
    });
    let events = world.run("secretariat", draft, &state).unwrap();
    let (Event::DocumentRecorded(doc), Event::VersionRecorded(v1)) = (&events[0], &events[1])
    else {
        panic!()
    };
    let mut file = DocumentFile {
        document: doc.clone(),
        versions: vec![v1.clone()],
        circulated: None,
        positions: vec![],
        decision: None,
    };
    state.document = Some(file.clone());
    let events = world
        .run(
            "secretariat",
            Command::Circulate(Circulate {
                document: doc.id.clone(),
                version: 1,
            }),
            &state,
        )
        .unwrap();
    let Event::VersionCirculated(c) = &events[0] else {
        panic!()
    };
    file.circulated = Some(c.clone());
    state.document = Some(file);
    state
}

fn position(state: &State, member: &str, stance: Stance) -> Command {
    let c: &Circulation = state
        .document
        .as_ref()
        .unwrap()
        .circulated
        .as_ref()
        .unwrap();
    Command::RecordPosition(Position {
        document: c.document.clone(),
        version: c.version,
        hash: c.hash.clone(),
        member: member.parse().unwrap(),
        stance,
        reason: (stance == Stance::Object).then(|| "the text is premature".to_owned()),
        signatory: None,
        signed_on: TODAY,
    })
}

fn record(world: &World, state: &mut State, member: &str, stance: Stance) {
    let events = world
        .run(member, position(state, member, stance), state)
        .unwrap();
    let Event::PositionRecorded(p) = &events[0] else {
        panic!()
    };
    state.document.as_mut().unwrap().positions.push(p.clone());
}

fn decide(world: &World, state: &State) -> Result<Vec<Event>, CouncilError> {
    let doc = state.document.as_ref().unwrap().document.id.clone();
    world.run(
        "secretariat",
        Command::Decide(Decide {
            document: doc,
            urgent: false,
        }),
        state,
    )
}

#[test]
fn five_members_agree_while_the_sixth_is_frozen_and_the_document_is_adopted() {
    let world = World::new();
    let mut state = circulated(&world);
    for member in ["BLR", "KAZ", "KGZ", "RUS"] {
        record(&world, &mut state, member, Stance::Agree);
    }
    let err = decide(&world, &state).unwrap_err();
    assert_eq!(err.rule(), "awaiting-positions");
    assert!(err.to_string().contains("TJK"), "{err}");
    record(&world, &mut state, "TJK", Stance::Agree);
    let events = decide(&world, &state).unwrap();
    let Event::DocumentDecided(decision) = &events[0] else {
        panic!()
    };
    assert_eq!(decision.outcome, Outcome::Adopted);
    assert_eq!(decision.ballots.len(), 6);
    concord_core::council::recheck(decision).unwrap();
}

#[test]
fn one_objection_blocks_and_names_the_blocker() {
    let world = World::new();
    let mut state = circulated(&world);
    record(&world, &mut state, "BLR", Stance::Agree);
    record(&world, &mut state, "KGZ", Stance::Object);
    let events = decide(&world, &state).unwrap();
    let Event::DocumentDecided(decision) = &events[0] else {
        panic!()
    };
    assert_eq!(decision.outcome, Outcome::Blocked);
    assert_eq!(decision.blockers[0].member.as_str(), "KGZ");
}

#[test]
fn positions_are_refused_by_the_rule_they_break() {
    let mut world = World::new();
    let mut state = circulated(&world);

    // Frozen member.
    let err = world
        .run("ARM", position(&state, "ARM", Stance::Agree), &state)
        .unwrap_err();
    assert_eq!(err.rule(), "frozen-member");

    // Signed by another member's key.
    let err = world
        .run("KAZ", position(&state, "KGZ", Stance::Agree), &state)
        .unwrap_err();
    assert_eq!(err.rule(), "wrong-signer");

    // Signed over another text.
    let Command::RecordPosition(mut p) = position(&state, "KAZ", Stance::Agree) else {
        panic!()
    };
    p.hash = "0".repeat(64);
    let err = world
        .run("KAZ", Command::RecordPosition(p), &state)
        .unwrap_err();
    assert_eq!(err.rule(), "signed-for-another-version");

    // Objection with no reason.
    let Command::RecordPosition(mut p) = position(&state, "KAZ", Stance::Object) else {
        panic!()
    };
    p.reason = None;
    assert_eq!(
        world
            .run("KAZ", Command::RecordPosition(p), &state)
            .unwrap_err()
            .rule(),
        "objection-without-reason"
    );

    // A tampered signature.
    let mut signed = world.sign("KAZ", position(&state, "KAZ", Stance::Agree));
    if let Command::RecordPosition(p) = &mut signed.command {
        p.stance = Stance::Object;
        p.reason = Some("changed after signing".into());
    }
    assert_eq!(
        world
            .council()
            .decide(&signed, &state, TODAY)
            .unwrap_err()
            .rule(),
        "bad-signature"
    );

    // Replay of a recorded position: the store says its seal was seen.
    let signed = world.sign("KAZ", position(&state, "KAZ", Stance::Agree));
    let events = world.council().decide(&signed, &state, TODAY).unwrap();
    let Event::PositionRecorded(p) = &events[0] else {
        panic!()
    };
    state.document.as_mut().unwrap().positions.push(p.clone());
    state.sealed_before = true;
    assert_eq!(
        world
            .council()
            .decide(&signed, &state, TODAY)
            .unwrap_err()
            .rule(),
        "replayed-signature"
    );
    state.sealed_before = false;

    // Signed for another deployment.
    let signed = SignedCommand::sign(
        world.secret("TJK"),
        "OTHER.concord/ledger/fedcba9876543210",
        position(&state, "TJK", Stance::Agree),
        TODAY.midnight().assume_utc(),
    );
    assert_eq!(
        world
            .council()
            .decide(&signed, &state, TODAY)
            .unwrap_err()
            .rule(),
        "bad-signature"
    );

    // Issued in the future.
    let signed = SignedCommand::sign(
        world.secret("TJK"),
        ORIGIN,
        position(&state, "TJK", Stance::Agree),
        TODAY.midnight().assume_utc() + time::Duration::minutes(6),
    );
    assert_eq!(
        world
            .council()
            .decide(&signed, &state, TODAY)
            .unwrap_err()
            .rule(),
        "future-date"
    );

    // Backdated before the version was circulated.
    let Command::RecordPosition(mut early) = position(&state, "TJK", Stance::Agree) else {
        panic!()
    };
    early.signed_on = date!(2026 - 11 - 20);
    assert_eq!(
        world
            .run("TJK", Command::RecordPosition(early), &state)
            .unwrap_err()
            .rule(),
        "signed-before-circulation"
    );

    // A key not valid on the day it signs.
    world
        .keys
        .iter_mut()
        .find(|k| k.owner == "BLR".parse().unwrap())
        .unwrap()
        .valid_until = Some(date!(2025 - 12 - 31));
    assert_eq!(
        world
            .run("BLR", position(&state, "BLR", Stance::Agree), &state)
            .unwrap_err()
            .rule(),
        "key-not-valid-on-date"
    );

    // A rotated key: the new one signs.
    world.add_key("BLR".parse().unwrap(), date!(2026 - 01 - 01));
    world
        .run("BLR", position(&state, "BLR", Stance::Agree), &state)
        .unwrap();

    // Only the secretariat drives the procedure.
    let doc = state.document.as_ref().unwrap().document.id.clone();
    let err = world
        .run(
            "KAZ",
            Command::Decide(Decide {
                document: doc,
                urgent: false,
            }),
            &state,
        )
        .unwrap_err();
    assert_eq!(err.rule(), "wrong-signer");
}

#[test]
fn a_new_version_voids_earlier_agreement() {
    let world = World::new();
    let mut state = circulated(&world);
    record(&world, &mut state, "KAZ", Stance::Agree);
    let old = position(&state, "BLR", Stance::Agree);
    let doc = state.document.as_ref().unwrap().document.id.clone();
    let revise = Command::ReviseDocument(concord_core::council::Revision {
        document: doc.clone(),
        version: 2,
        title: None,
        text: concord_core::Text::new("Amended text", "Исправленный текст"),
    });
    let events = world.run("secretariat", revise, &state).unwrap();
    let Event::VersionRecorded(v2) = &events[0] else {
        panic!()
    };
    let v2: VersionRecord = v2.clone();
    state.document.as_mut().unwrap().versions.push(v2);
    // Positions on version 1 are void: neither recorded nor counted.
    assert_eq!(
        world.run("BLR", old, &state).unwrap_err().rule(),
        "version-not-under-agreement"
    );
    assert_eq!(decide(&world, &state).unwrap_err().rule(), "out-of-order");
}

#[test]
fn observers_have_no_vote() {
    let mut world = World::new();
    let mut state = circulated(&world);
    world.timeline = world.charter.timeline([concord_core::StatusRecord {
        member: "SRB".parse().unwrap(),
        status: concord_core::MemberStatus::Observer,
        since: Some(date!(2021 - 01 - 01)),
        attested: None,
        note: None,
        sources: vec![],
    }]);
    world.add_key("SRB".parse().unwrap(), date!(2021 - 01 - 01));
    state.document.as_mut().unwrap().positions.clear();
    let err = world
        .run("SRB", position(&state, "SRB", Stance::Object), &state)
        .unwrap_err();
    assert_eq!(err.rule(), "state-may-not-act");
}

#[test]
fn the_signature_audit_takes_keys_from_the_log_and_names_a_forged_position() {
    use concord_core::signatures::{SignatureAudit, verify_items};
    let world = World::new();
    let mut state = circulated(&world);
    let mut log: Vec<Event> =
        std::iter::once(Event::LedgerNamed(concord_core::event::LedgerName {
            origin: ORIGIN.into(),
            node: None,
        }))
        .chain(world.keys.iter().cloned().map(Event::KeyRegistered))
        .collect();
    for member in ["BLR", "KAZ", "KGZ", "RUS", "TJK"] {
        let events = world
            .run(member, position(&state, member, Stance::Agree), &state)
            .unwrap();
        let Event::PositionRecorded(p) = &events[0] else {
            panic!()
        };
        state.document.as_mut().unwrap().positions.push(p.clone());
        log.extend(events);
    }
    log.extend(decide(&world, &state).unwrap());

    let check = |log: &[Event]| {
        let mut audit = SignatureAudit::new();
        let mut items = vec![];
        for (leaf, event) in log.iter().enumerate() {
            items.extend(audit.observe(leaf as u64, event)?);
        }
        verify_items(&items).map(|()| items.len())
    };
    // Five positions, the same five again inside the decision, and the secretariat's
    // signed decide command.
    assert_eq!(check(&log), Ok(11));
    assert!(
        matches!(log.last(), Some(Event::CommandSigned(c)) if c.command.command.action() == "decide")
    );

    // A logged command whose signature does not cover what it says.
    let mut forged_command = log.clone();
    if let Some(Event::CommandSigned(c)) = forged_command.last_mut()
        && let Command::Decide(d) = &mut c.command.command
    {
        d.urgent = true;
    }
    let err = check(&forged_command).unwrap_err();
    assert!(err.contains("decide command"), "{err}");

    // A position whose stance was rewritten after signing.
    let mut forged = log.clone();
    let at = forged
        .iter()
        .position(
            |e| matches!(e, Event::PositionRecorded(p) if p.position.member.as_str() == "KGZ"),
        )
        .unwrap();
    if let Event::PositionRecorded(p) = &mut forged[at] {
        p.position.stance = Stance::Object;
        p.position.reason = Some("forged".into());
    }
    let err = check(&forged).unwrap_err();
    assert!(
        err.contains(&format!("entry {at}")) && err.contains("KGZ"),
        "{err}"
    );

    // A position signed by a key the log never registered.
    let mut unregistered = log.clone();
    unregistered
        .retain(|e| !matches!(e, Event::KeyRegistered(k) if k.owner == "KAZ".parse().unwrap()));
    let err = check(&unregistered).unwrap_err();
    assert!(err.contains("never registered"), "{err}");
}

/// A bundle of an adopted declaration, built the way the store builds one: the decision
/// as leaf 3 of a small log, its inclusion proof and a signed checkpoint.
fn adopted_bundle() -> (
    concord_core::bundle::Bundle,
    concord_core::bundle::TrustedKeys,
) {
    use concord_ledger::checkpoint::LogKey;
    use concord_ledger::log::{self, MemoryLog};
    use concord_ledger::proof::{B64, InclusionProof};
    let world = World::new();
    let mut state = circulated(&world);
    for member in ["BLR", "KAZ", "KGZ", "RUS", "TJK"] {
        record(&world, &mut state, member, Stance::Agree);
    }
    let decision = decide(&world, &state).unwrap().remove(0);
    let version = state.document.as_ref().unwrap().versions[0].version.clone();
    let mut mem = MemoryLog::default();
    let mut entry_value = serde_json::Value::Null;
    for index in 0..5u64 {
        let event = if index == 3 {
            decision.clone()
        } else {
            Event::KeyRegistered(world.keys[index as usize].clone())
        };
        let entry = concord_ledger::entry::Entry {
            index,
            recorded_at: "2026-11-24T10:00:00Z".into(),
            event,
            salt: format!("{index:032x}"),
        };
        mem.push(concord_ledger::entry::leaf_hash(&entry.leaf_data()));
        if index == 3 {
            entry_value = serde_json::to_value(&entry).unwrap();
        }
    }
    let leaf = mem.compute(|k| log::leaf(k, 3)).unwrap();
    let path = mem.compute(|k| log::inclusion(k, 5, 3)).unwrap();
    let root = mem.compute(|k| log::root(k, 5)).unwrap();
    let (log_key, _) = LogKey::generate(ORIGIN).unwrap();
    let bundle = concord_core::bundle::Bundle {
        format: concord_core::bundle::FORMAT.into(),
        version,
        entry: entry_value,
        proof: InclusionProof {
            index: 3,
            tree_size: 5,
            leaf_hash: B64(leaf),
            root_hash: B64(root),
            path: path.into_iter().map(B64).collect(),
        },
        checkpoint: log_key.sign(5, root).unwrap(),
        log_key: log_key.verifier_key().to_owned(),
    };
    let trusted = concord_core::bundle::TrustedKeys {
        keys: world.keys.clone(),
        log_key: Some(log_key.verifier_key().to_owned()),
        nodes: vec![],
    };
    (bundle, trusted)
}

#[test]
fn a_bundle_verifies_and_names_what_was_altered() {
    let (bundle, trusted) = adopted_bundle();
    let verified = concord_core::bundle::verify(&bundle, &trusted).unwrap();
    assert_eq!(verified.signatures, 5);

    let mut other_text = bundle.clone();
    other_text.version.text = Some(concord_core::Text::new("Another text", "Другой текст"));
    let failures = concord_core::bundle::verify(&other_text, &trusted).unwrap_err();
    assert_eq!(failures[0].at, "version", "{failures:?}");

    let mut other_log = trusted.clone();
    other_log.log_key = Some(
        concord_ledger::checkpoint::LogKey::generate("csto.concord/ledger")
            .unwrap()
            .0
            .verifier_key()
            .to_owned(),
    );
    let failures = concord_core::bundle::verify(&bundle, &other_log).unwrap_err();
    assert!(
        failures.iter().any(|f| f.at == "checkpoint"),
        "{failures:?}"
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
    /// Any single changed byte of a bundle's canonical text is caught: the text no longer
    /// parses, or is no longer canonical (which `concord verify` refuses), or fails
    /// verification. Nothing panics.
    #[test]
    fn any_changed_byte_of_a_bundle_is_caught(at in proptest::prelude::any::<proptest::sample::Index>(), byte in proptest::prelude::any::<u8>()) {
        use std::sync::OnceLock;
        static BUNDLE: OnceLock<(String, concord_core::bundle::TrustedKeys)> = OnceLock::new();
        let (text, trusted) = BUNDLE.get_or_init(|| {
            let (bundle, trusted) = adopted_bundle();
            (concord_ledger::canonical::to_string(&bundle), trusted)
        });
        let mut bytes = text.clone().into_bytes();
        let i = at.index(bytes.len());
        proptest::prop_assume!(bytes[i] != byte);
        bytes[i] = byte;
        if let Ok(parsed) = serde_json::from_slice::<concord_core::bundle::Bundle>(&bytes) {
            let canonical = concord_ledger::canonical::to_vec(&parsed) == bytes;
            proptest::prop_assert!(
                !canonical || concord_core::bundle::verify(&parsed, trusted).is_err(),
                "byte {} changed to {:?} and the bundle still verifies", i, byte as char
            );
        }
    }
}

/// Seals checked together, as the intake checks a batch, are refused by the same rule as
/// each alone: a bad signature among good ones does not fail the others, and a good one
/// next to bad ones is not refused.
#[test]
fn seals_checked_together_are_judged_as_each_alone() {
    let world = World::new();
    let circulate = |document: &str| {
        Command::Circulate(Circulate {
            document: document.parse().unwrap(),
            version: 1,
        })
    };
    let good = world.sign("secretariat", circulate("d-1"));
    let mut forged = world.sign("secretariat", circulate("d-2"));
    forged.command = circulate("d-3");
    let mut unknown = world.sign("secretariat", circulate("d-4"));
    unknown.seal.key = "0000000000000000".into();
    let frozen = world.sign("ARM", circulate("d-5"));
    let mut garbled = world.sign("secretariat", circulate("d-6"));
    garbled.seal.signature = "not base64".into();
    let all = [&good, &forged, &unknown, &frozen, &garbled, &good];
    let now = TODAY.midnight().assume_utc();
    let council = world.council();
    let together = council.authenticate_all(&all, now);
    let alone: Vec<_> = all
        .iter()
        .map(|s| council.authenticate_all(&[s], now).remove(0))
        .collect();
    assert_eq!(together, alone);
    let rules: Vec<&str> = together
        .iter()
        .map(|r| r.as_ref().map_or_else(CouncilError::rule, |_| "ok"))
        .collect();
    assert_eq!(
        rules,
        [
            "ok",
            "bad-signature",
            "unknown-key",
            "frozen-member",
            "bad-signature",
            "ok"
        ]
    );
    // A check is good for its own command only.
    let checked = together[0].clone().unwrap();
    let err = council
        .decide_authenticated(&frozen, checked, &State::default(), now)
        .unwrap_err();
    assert_eq!(err.rule(), "bad-signature");
    // Only good seals together: the batch holds.
    assert!(
        council
            .authenticate_all(&[&good, &good, &good], now)
            .iter()
            .all(Result::is_ok)
    );
}
