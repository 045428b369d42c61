//! Releasability: to whom an incident report or an alert is released, and the rule for it
//! ([`may_read_from`]), which the access policy (`crate::access`) applies to those records;
//! every read path asks the access policy, never this rule alone.
//!
//! The rule, for a record released by state `originator`:
//! - `originator`: only the originator's own officials;
//! - `members`: the originator, and every state whose status is `member` on the day of
//!   reading (a frozen or suspended member receives nothing new), and the secretariat with
//!   the crisis-response centre;
//! - `members+partners`: the same, and partners;
//! - a named sharing group: the originator, and the group's states whose status is
//!   `member`;
//! - `public`: anyone.
//!
//! Observers read only what is public.

use serde::{Deserialize, Serialize};

use crate::code::{MemberCode, Slug};
use crate::keys::KeyOwner;
use crate::registry::MemberStatus;
use crate::text::Text;

/// Who a record is released to.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "to", content = "group")]
pub enum Releasability {
    /// The reporting state only.
    Originator,
    /// Member states (and the secretariat).
    Members,
    /// Member states, partners (and the secretariat).
    #[serde(rename = "members+partners")]
    MembersAndPartners,
    /// A named sharing group of member states.
    Group(Slug),
    /// Anyone.
    Public,
}

impl std::str::FromStr for Releasability {
    type Err = String;

    /// Reads `originator`, `members`, `members+partners`, `group:NAME` or `public`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "originator" => Releasability::Originator,
            "members" => Releasability::Members,
            "members+partners" => Releasability::MembersAndPartners,
            "public" => Releasability::Public,
            _ => match s.strip_prefix("group:").map(str::parse) {
                Some(Ok(group)) => Releasability::Group(group),
                _ => {
                    return Err(format!(
                        "`{s}` is not a releasability: originator, members, members+partners, group:NAME or public"
                    ));
                }
            },
        })
    }
}

/// The releasability in words, for messages (`members`, `sharing group central-asia`).
pub fn describe(release: &Releasability) -> String {
    match release {
        Releasability::Originator => "its originator only".to_owned(),
        Releasability::Members => "members".to_owned(),
        Releasability::MembersAndPartners => "members and partners".to_owned(),
        Releasability::Group(g) => format!("sharing group {g}"),
        Releasability::Public => "the public".to_owned(),
    }
}

/// A named group of member states that share records among themselves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharingGroup {
    /// Identifier.
    pub code: Slug,
    /// Name.
    pub name: Text,
    /// The states in it.
    pub members: Vec<MemberCode>,
}

/// Who is reading, with the standing that decides what they may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Reader {
    /// Officials of a state (delegation, foreign ministry, national crisis centre), with
    /// the state's status on the day of reading.
    State {
        /// The state.
        code: MemberCode,
        /// Its status that day.
        status: MemberStatus,
    },
    /// The secretariat's officers and the crisis-response centre.
    Secretariat,
    /// The secretariat's administrators of Concord: accounts and tokens, and what is
    /// public; no state's restricted records.
    Administrator,
    /// Anyone else: the press, an unauthenticated request.
    Public,
}

/// Whether `reader` may read a record of `originator` (a state, or the secretariat for an
/// alert of the crisis-response centre) released as `release`; `groups` are the sharing
/// groups in force. Its originator always reads it; others as released.
pub fn may_read_from(
    release: &Releasability,
    originator: KeyOwner,
    reader: &Reader,
    groups: &[SharingGroup],
) -> bool {
    if *release == Releasability::Public {
        return true;
    }
    match *reader {
        Reader::Public | Reader::Administrator => false,
        Reader::Secretariat => {
            originator == KeyOwner::Secretariat
                || matches!(
                    release,
                    Releasability::Members | Releasability::MembersAndPartners
                )
        }
        Reader::State { code, .. } if originator == KeyOwner::Member(code) => true,
        Reader::State { code, status } => match release {
            Releasability::Originator | Releasability::Public => false,
            Releasability::Members => status == MemberStatus::Member,
            Releasability::MembersAndPartners => {
                matches!(status, MemberStatus::Member | MemberStatus::Partner)
            }
            Releasability::Group(g) => {
                status == MemberStatus::Member
                    && groups
                        .iter()
                        .any(|group| &group.code == g && group.members.contains(&code))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn may_read(
        release: &Releasability,
        originator: MemberCode,
        reader: &Reader,
        groups: &[SharingGroup],
    ) -> bool {
        may_read_from(release, KeyOwner::Member(originator), reader, groups)
    }

    fn code(s: &str) -> MemberCode {
        s.parse().unwrap()
    }

    fn groups() -> Vec<SharingGroup> {
        vec![SharingGroup {
            code: "central-asia".parse().unwrap(),
            name: Text::new("Central Asia", "Центральная Азия"),
            members: vec![code("KAZ"), code("KGZ"), code("TJK")],
        }]
    }

    fn state(c: &str, status: MemberStatus) -> Reader {
        Reader::State {
            code: code(c),
            status,
        }
    }

    /// Every reader kind against every releasability, for a record reported by Kazakhstan;
    /// each cell is written out, not computed.
    #[test]
    fn the_matrix() {
        use MemberStatus::*;
        let releases = [
            Releasability::Originator,
            Releasability::Members,
            Releasability::MembersAndPartners,
            Releasability::Group("central-asia".parse().unwrap()),
            Releasability::Public,
        ];
        // Columns: originator, members, members+partners, group central-asia, public.
        let rows: Vec<(&str, Reader, [bool; 5])> = vec![
            (
                "the originator",
                state("KAZ", Member),
                [true, true, true, true, true],
            ),
            (
                "a member in the group",
                state("KGZ", Member),
                [false, true, true, true, true],
            ),
            (
                "a member outside the group",
                state("RUS", Member),
                [false, true, true, false, true],
            ),
            (
                "a frozen member",
                state("ARM", Frozen),
                [false, false, false, false, true],
            ),
            (
                "a frozen member in the group",
                state("TJK", Frozen),
                [false, false, false, false, true],
            ),
            (
                "a suspended member",
                state("ARM", Suspended),
                [false, false, false, false, true],
            ),
            (
                "a partner",
                state("SRB", Partner),
                [false, false, true, false, true],
            ),
            (
                "an observer",
                state("AFG", Observer),
                [false, false, false, false, true],
            ),
            (
                "a withdrawn state",
                state("UZB", Withdrawn),
                [false, false, false, false, true],
            ),
            (
                "the secretariat",
                Reader::Secretariat,
                [false, true, true, false, true],
            ),
            (
                "the public",
                Reader::Public,
                [false, false, false, false, true],
            ),
        ];
        for (who, reader, expected) in rows {
            for (release, want) in releases.iter().zip(expected) {
                assert_eq!(
                    may_read(release, code("KAZ"), &reader, &groups()),
                    want,
                    "{who} reading a record released to {release:?}"
                );
            }
        }
    }

    #[test]
    fn releasability_reads_and_writes_as_json() {
        let group: Releasability =
            serde_json::from_str(r#"{"to":"group","group":"central-asia"}"#).unwrap();
        assert_eq!(group, Releasability::Group("central-asia".parse().unwrap()));
        assert_eq!(
            serde_json::to_string(&Releasability::MembersAndPartners).unwrap(),
            r#"{"to":"members+partners"}"#
        );
        assert!(serde_json::from_str::<Releasability>(r#"{"to":"everyone"}"#).is_err());
    }

    fn any_reader() -> impl Strategy<Value = Reader> {
        let codes = prop::sample::select(vec!["ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK", "SRB"]);
        let status = prop::sample::select(MemberStatus::ALL.to_vec());
        prop_oneof![
            (codes, status).prop_map(|(c, s)| state(c, s)),
            Just(Reader::Secretariat),
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

    proptest! {
        /// Widening never hides: whoever reads a record released to members reads it
        /// released to members and partners, and whoever reads that reads it public;
        /// whoever reads a group record reads it released to members. Only the originator
        /// reads originator records, the public reads only what is public, and the
        /// originator always reads its own.
        #[test]
        fn wider_releases_never_hide(reader in any_reader(), release in any_release(), originator in prop::sample::select(vec!["KAZ", "RUS", "ARM"])) {
            let o = code(originator);
            let g = groups();
            let read = |r: &Releasability| may_read(r, o, &reader, &g);
            let is_originator = matches!(reader, Reader::State { code, .. } if code == o);
            prop_assert_eq!(read(&Releasability::Originator), is_originator);
            if read(&Releasability::Members) {
                prop_assert!(read(&Releasability::MembersAndPartners));
            }
            if read(&Releasability::MembersAndPartners) {
                prop_assert!(read(&Releasability::Public));
            }
            if matches!(release, Releasability::Group(_)) && read(&release) {
                prop_assert!(read(&Releasability::Members));
            }
            if reader == Reader::Public {
                prop_assert_eq!(read(&release), release == Releasability::Public);
            }
            let own = Reader::State { code: o, status: MemberStatus::Member };
            prop_assert!(may_read(&release, o, &own, &g));
        }
    }
}
