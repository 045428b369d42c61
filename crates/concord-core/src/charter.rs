//! The charter: the organisation as data. Members, bodies and their decision rules, the
//! chairmanship rotation, posts, threat domains, document types and budget shares. Another
//! alliance is another charter file.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use time::Date;

use crate::chairmanship::RotationRule;
use crate::code::{MemberCode, Slug};
use crate::date;
use crate::location::{DataError, DataPath, SourceFile};
use crate::registry::{MemberStatus, StatusRecord, StatusTimeline};
use crate::releasability::SharingGroup;
use crate::text::Text;

/// The organisation a charter describes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organisation {
    /// Short identifier (`csto`).
    pub code: Slug,
    /// Full name.
    pub name: Text,
    /// Abbreviation (`CSTO` / `ОДКБ`).
    pub abbreviation: Text,
}

/// A state named by the charter, with its founding status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CharterMember {
    /// ISO 3166-1 alpha-3 code.
    pub code: MemberCode,
    /// Short name.
    pub name: Text,
    /// Capital city.
    pub capital: Text,
    /// The name in the genitive ("запрос Казахстана"), for generated text; the short name
    /// where not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_of: Option<Text>,
    /// Status under the charter before any recorded change (usually `member`).
    #[serde(default = "member_status")]
    pub status: MemberStatus,
    /// Since when, if known.
    #[serde(
        default,
        with = "date::day::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub since: Option<Date>,
    /// Share of the organisation's budget, in percent, exact to the hundredth.
    #[serde(default)]
    pub budget_share: Share,
}

/// A share of the budget in percent, held exactly in hundredths of a percent (`12.5` is
/// 1250): contributions and quota posts are computed from it in integers. Written as a
/// number (`50`, `12.5`) or a string (`"12.5"`); more than two decimals are refused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Share(u32);

impl Share {
    /// Hundredths of a percent: 10000 is the whole budget.
    pub fn basis_points(self) -> u32 {
        self.0
    }

    /// From hundredths of a percent.
    pub fn from_basis_points(bp: u32) -> Share {
        Share(bp)
    }

    fn parse(text: &str) -> Option<Share> {
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole)
            || whole.len() > 3
            || fraction.len() > 2
            || (text.contains('.') && !digits(fraction))
        {
            return None;
        }
        let whole: u32 = whole.parse().ok()?;
        let cents: u32 = format!("{fraction:0<2}").parse().ok()?;
        Some(Share(whole * 100 + cents))
    }
}

impl std::fmt::Display for Share {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0 % 100 == 0 {
            write!(f, "{}", self.0 / 100)
        } else {
            write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
        }
    }
}

impl Serialize for Share {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0 % 100 == 0 {
            s.serialize_u32(self.0 / 100)
        } else {
            // Two decimals at most: the shortest float text of it is exact.
            s.serialize_f64(f64::from(self.0) / 100.0)
        }
    }
}

impl<'de> Deserialize<'de> for Share {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Share, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written {
            Whole(u32),
            Decimal(f64),
            Text(String),
        }
        let text = match Written::deserialize(d)? {
            Written::Whole(n) => n.to_string(),
            // The float's shortest text is the decimal that was written.
            Written::Decimal(x) => x.to_string(),
            Written::Text(t) => t,
        };
        Share::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "`{text}` is not a share: a percentage with at most two decimals"
            ))
        })
    }
}

fn member_status() -> MemberStatus {
    MemberStatus::Member
}

/// How a body decides. The same rule serves every consensus body; the charter says which
/// body uses which rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionRule {
    /// What the rule is called.
    pub name: Text,
    /// Statuses whose holders vote (usually only `member`; frozen members are not counted).
    pub voters: Vec<MemberStatus>,
    /// Agreement given in advance (through a foreign ministry) counts for an absent member.
    pub advance_agreement: bool,
    /// A member may declare no interest: it neither agrees nor blocks, and is not bound.
    pub no_interest: bool,
    /// A voting member that neither attends nor agreed in advance blocks consensus.
    pub absent_blocks: bool,
    /// For urgent matters: hours within which a decision is prepared, if the rule is a
    /// fast track.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fast_track_hours: Option<u32>,
    /// Whether a decision may be adopted without a physical session.
    #[serde(default)]
    pub without_session: bool,
}

/// What kind of organ a body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BodyKind {
    /// A council of heads of state or ministers.
    Council,
    /// A committee (e.g. of security-council secretaries).
    Committee,
    /// A permanent council of plenipotentiary representatives.
    PermanentCouncil,
    /// The secretariat.
    Secretariat,
    /// The joint staff.
    Staff,
    /// A commission or coordination council.
    Commission,
    /// The parliamentary assembly.
    Assembly,
}

/// A body of the organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Body {
    /// Identifier (`csc`).
    pub code: Slug,
    /// Full name.
    pub name: Text,
    /// Abbreviation.
    pub abbreviation: Text,
    /// Kind of organ.
    pub kind: BodyKind,
    /// Who sits in it.
    pub composition: Text,
    /// The decision rule it uses, if it decides.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision_rule: Option<Slug>,
    /// The rule for urgent matters, if it has a fast track.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urgent_rule: Option<Slug>,
}

/// A post in a body that a person holds for a term.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Post {
    /// Identifier (`secretary-general`).
    pub code: Slug,
    /// The body the post belongs to.
    pub body: Slug,
    /// Name of the post.
    pub name: Text,
    /// Length of a term, in years, if fixed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub term_years: Option<u32>,
    /// The state whose nationals hold the post, if the charter fixes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_by_nationals_of: Option<MemberCode>,
    /// How holders succeed one another, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub succession: Option<Text>,
    /// The rotation among members, where the post rotates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation: Option<crate::posts::PostRotation>,
}

/// The secretariat's quota posts: how many, for how long, counted from which year. They are
/// apportioned among the members by budget share ([`crate::year::apportion`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaPosts {
    /// The body whose posts they are.
    pub body: Slug,
    /// How many.
    pub count: u32,
    /// Years in a period.
    pub term_years: u32,
    /// A year a period begins; periods follow each other from it.
    pub anchor_year: i32,
}

impl QuotaPosts {
    /// The period (first and last year) that covers `year`.
    pub fn period_of(&self, year: i32) -> (i32, i32) {
        let years = i32::try_from(self.term_years.max(1)).unwrap_or(1);
        let start = self.anchor_year + (year - self.anchor_year).div_euclid(years) * years;
        (start, start + years - 1)
    }
}

/// A named entry of a charter vocabulary (threat domain, document type).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Term {
    /// Identifier.
    pub code: Slug,
    /// Name.
    pub name: Text,
}

/// A whole charter, checked: every reference resolves, shares add up, the rotation covers
/// the members.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Charter {
    /// The organisation.
    pub organisation: Organisation,
    /// The states it names.
    pub members: Vec<CharterMember>,
    /// The chairmanship rotation.
    pub chairmanship: RotationRule,
    /// Decision rules by identifier.
    pub decision_rules: BTreeMap<Slug, DecisionRule>,
    /// The bodies.
    pub bodies: Vec<Body>,
    /// The posts.
    pub posts: Vec<Post>,
    /// The secretariat's quota posts, if the organisation has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota_posts: Option<QuotaPosts>,
    /// The threat domains the organisation works on.
    pub threat_domains: Vec<Term>,
    /// The kinds of document its bodies adopt.
    pub document_types: Vec<Term>,
    /// Named groups of member states that may release records to each other only.
    #[serde(default)]
    pub sharing_groups: Vec<SharingGroup>,
}

impl Charter {
    /// Reads and checks a charter from TOML text; `name` is the file name used in errors.
    pub fn from_toml(name: &str, text: &str) -> Result<Charter, DataError> {
        let file = SourceFile { name, text };
        let charter: Charter = file.parse()?;
        charter
            .check()
            .map_err(|(path, msg)| file.error_at_path(&path, msg))?;
        Ok(charter)
    }

    /// A member named by the charter.
    pub fn member(&self, code: MemberCode) -> Option<&CharterMember> {
        self.members.iter().find(|m| m.code == code)
    }

    /// A member's name in the genitive, for generated text ("запрос Казахстана"); the code
    /// for a state the charter does not name.
    pub fn name_of(&self, code: MemberCode) -> Text {
        self.member(code).map_or_else(
            || Text::new(code.to_string(), code.to_string()),
            |m| m.name_of.clone().unwrap_or_else(|| m.name.clone()),
        )
    }

    /// A body by code.
    pub fn body(&self, code: &Slug) -> Option<&Body> {
        self.bodies.iter().find(|b| &b.code == code)
    }

    /// A post by code.
    pub fn post(&self, code: &Slug) -> Option<&Post> {
        self.posts.iter().find(|p| &p.code == code)
    }

    /// Whether a document type exists.
    pub fn has_document_type(&self, code: &Slug) -> bool {
        self.document_types.iter().any(|t| &t.code == code)
    }

    /// The status timeline from the founding statuses and the given recorded changes.
    pub fn timeline(&self, changes: impl IntoIterator<Item = StatusRecord>) -> StatusTimeline {
        StatusTimeline::new(
            self.members.iter().map(|m| (m.code, m.status, m.since)),
            changes,
        )
    }

    fn check(&self) -> Result<(), (DataPath, String)> {
        let members = DataPath::root("members");
        if self.members.is_empty() {
            return Err((members, "a charter names at least one member".into()));
        }
        let mut codes = BTreeSet::new();
        let mut share = 0u32;
        for (i, m) in self.members.iter().enumerate() {
            let at = members.index(i);
            if !codes.insert(m.code) {
                return Err((at.key("code"), format!("member {} is named twice", m.code)));
            }
            blank(&m.name, at.key("name"))?;
            blank(&m.capital, at.key("capital"))?;
            if m.budget_share.basis_points() > 10_000 {
                return Err((
                    at.key("budget_share"),
                    "a budget share is a percentage from 0 to 100".into(),
                ));
            }
            share += m.budget_share.basis_points();
        }
        if share != 10_000 {
            return Err((
                members,
                format!(
                    "budget shares add up to {}%, not 100%",
                    Share::from_basis_points(share)
                ),
            ));
        }

        let rotation = DataPath::root("chairmanship");
        let mut seen = BTreeSet::new();
        for (i, code) in self.chairmanship.order.iter().enumerate() {
            let at = rotation.key("order").index(i);
            if !codes.contains(code) {
                return Err((
                    at,
                    format!("unknown member code `{code}`: the charter has no such member"),
                ));
            }
            if !seen.insert(*code) {
                return Err((at, format!("{code} stands twice in the rotation order")));
            }
        }
        if let Some(m) = self
            .members
            .iter()
            .find(|m| m.status == MemberStatus::Member && !seen.contains(&m.code))
        {
            return Err((
                rotation.key("order"),
                format!("member {} is missing from the rotation order", m.code),
            ));
        }
        if !seen.contains(&self.chairmanship.anchor.member) {
            return Err((
                rotation.key("anchor").key("member"),
                format!(
                    "anchor {} is not in the rotation order",
                    self.chairmanship.anchor.member
                ),
            ));
        }
        for (i, p) in self.chairmanship.handover.iter().enumerate() {
            if let (Some(f), Some(u)) = (p.from, p.until) {
                if f > u {
                    return Err((
                        rotation.key("handover").index(i),
                        format!("period from {f} until {u} is empty"),
                    ));
                }
            }
        }

        for (code, rule) in &self.decision_rules {
            let at = DataPath::root("decision_rules").key(code.as_str());
            blank(&rule.name, at.key("name"))?;
            if rule.voters.is_empty() {
                return Err((
                    at.key("voters"),
                    "a decision rule needs at least one voting status".into(),
                ));
            }
        }
        let mut bodies = BTreeSet::new();
        for (i, b) in self.bodies.iter().enumerate() {
            let at = DataPath::root("bodies").index(i);
            if !bodies.insert(b.code.clone()) {
                return Err((
                    at.key("code"),
                    format!("body `{}` is defined twice", b.code),
                ));
            }
            blank(&b.name, at.key("name"))?;
            for (key, rule) in [
                ("decision_rule", &b.decision_rule),
                ("urgent_rule", &b.urgent_rule),
            ] {
                if let Some(rule) = rule {
                    if !self.decision_rules.contains_key(rule) {
                        return Err((at.key(key), format!("unknown decision rule `{rule}`")));
                    }
                }
            }
        }
        let mut posts = BTreeSet::new();
        for (i, p) in self.posts.iter().enumerate() {
            let at = DataPath::root("posts").index(i);
            if !posts.insert(p.code.clone()) {
                return Err((
                    at.key("code"),
                    format!("post `{}` is defined twice", p.code),
                ));
            }
            if !bodies.contains(&p.body) {
                return Err((at.key("body"), format!("unknown body `{}`", p.body)));
            }
            if let Some(code) = p.held_by_nationals_of {
                if !codes.contains(&code) {
                    return Err((
                        at.key("held_by_nationals_of"),
                        format!("unknown member code `{code}`"),
                    ));
                }
            }
            if let Some(r) = &p.rotation {
                let at = at.key("rotation");
                if r.term_years == 0 || r.term_years > 10 {
                    return Err((at.key("term_years"), "a term is 1 to 10 years".into()));
                }
                if !(1900..=2200).contains(&r.since) || !(1900..=2200).contains(&r.anchor.from) {
                    return Err((at.key("anchor"), "years from 1900 to 2200".into()));
                }
                if let Some(c) = r.order.iter().find(|c| !codes.contains(c)) {
                    return Err((at.key("order"), format!("unknown member code `{c}`")));
                }
                if !r.order.contains(&r.anchor.member) {
                    return Err((
                        at.key("anchor"),
                        format!("{} is not in the order", r.anchor.member),
                    ));
                }
            }
        }
        if let Some(q) = &self.quota_posts {
            let at = DataPath::root("quota_posts");
            if !bodies.contains(&q.body) {
                return Err((at.key("body"), format!("unknown body `{}`", q.body)));
            }
            if q.term_years == 0 || q.term_years > 10 {
                return Err((at.key("term_years"), "a period is 1 to 10 years".into()));
            }
            if !(1900..=2200).contains(&q.anchor_year) {
                return Err((at.key("anchor_year"), "a year from 1900 to 2200".into()));
            }
            if q.count > 10_000 {
                return Err((at.key("count"), "at most 10,000 quota posts".into()));
            }
        }
        for (key, terms) in [
            ("threat_domains", &self.threat_domains),
            ("document_types", &self.document_types),
        ] {
            let mut seen = BTreeSet::new();
            if terms.is_empty() {
                return Err((DataPath::root(key), "the list is empty".into()));
            }
            for (i, t) in terms.iter().enumerate() {
                if !seen.insert(t.code.clone()) {
                    return Err((
                        DataPath::root(key).index(i).key("code"),
                        format!("`{}` is defined twice", t.code),
                    ));
                }
                blank(&t.name, DataPath::root(key).index(i).key("name"))?;
            }
        }
        let groups = DataPath::root("sharing_groups");
        let mut seen = BTreeSet::new();
        for (i, g) in self.sharing_groups.iter().enumerate() {
            let at = groups.index(i);
            if !seen.insert(g.code.clone()) {
                return Err((at.key("code"), format!("`{}` is defined twice", g.code)));
            }
            blank(&g.name, at.key("name"))?;
            if g.members.is_empty() {
                return Err((at.key("members"), "a sharing group has members".into()));
            }
            for (j, code) in g.members.iter().enumerate() {
                if self.member(*code).is_none() {
                    return Err((
                        at.key("members").index(j),
                        format!("unknown member code `{code}`"),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Refuses a text with a blank language.
pub(crate) fn blank(text: &Text, at: DataPath) -> Result<(), (DataPath, String)> {
    if text.has_blank() {
        Err((at, "both `en` and `ru` must be given and not blank".into()))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {

    mod shares {
        use super::super::Share;
        use proptest::prelude::*;

        fn read(json: &str) -> Option<Share> {
            serde_json::from_str(json).ok()
        }

        #[test]
        fn shares_are_exact_hundredths_of_a_percent() {
            assert_eq!(read("50").unwrap().basis_points(), 5000);
            assert_eq!(read("12.5").unwrap().basis_points(), 1250);
            assert_eq!(read("\"33.34\"").unwrap().basis_points(), 3334);
            assert_eq!(read("\"0.01\"").unwrap().to_string(), "0.01");
            for bad in [
                "-1", "12.345", "\"1e2\"", "\"\"", "\"12.\"", "\".5\"", "1000.5",
            ] {
                assert_eq!(read(bad), None, "{bad} accepted");
            }
        }

        proptest! {
            /// Any text is read without panic; every share written reads back the same.
            #[test]
            fn any_text_reads_without_panic_and_shares_round_trip(s in "\\PC{0,12}", bp in 0u32..=99_999) {
                let _ = read(&format!("{s:?}"));
                let share = Share::from_basis_points(bp);
                let json = serde_json::to_string(&share).unwrap();
                prop_assert_eq!(read(&json), Some(share));
            }
        }
    }
    use super::*;

    const CHARTER: &str = include_str!("../../../data/charter.toml");

    #[test]
    fn the_default_charter_is_valid() {
        let c = Charter::from_toml("charter.toml", CHARTER).unwrap();
        assert_eq!(c.members.len(), 6);
        assert_eq!(c.organisation.abbreviation.en, "CSTO");
    }

    fn broken(from: &str, to: &str) -> DataError {
        assert!(
            CHARTER.contains(from),
            "fixture text `{from}` not in the charter"
        );
        Charter::from_toml("charter.toml", &CHARTER.replacen(from, to, 1)).unwrap_err()
    }

    #[test]
    fn an_unknown_code_in_the_rotation_is_named_with_its_place() {
        let err = broken("order = [\"ARM\"", "order = [\"XYZ\"");
        assert!(err.message.contains("unknown member code `XYZ`"), "{err}");
        assert!(err.message.starts_with("chairmanship.order[0]"), "{err}");
        let line = CHARTER
            .lines()
            .position(|l| l.starts_with("order = ["))
            .unwrap()
            + 1;
        assert_eq!(err.line, Some(line), "{err}");
    }

    #[test]
    fn a_syntax_error_names_line_and_column() {
        let err = broken("[organisation]", "[organisation");
        assert!(err.line.is_some() && err.column.is_some(), "{err}");
        assert!(err.to_string().starts_with("charter.toml:"), "{err}");
    }

    #[test]
    fn a_bad_code_shape_is_refused_where_it_stands() {
        let err = broken("code = \"TJK\"", "code = \"tjk\"");
        assert!(err.message.contains("ISO 3166-1 alpha-3"), "{err}");
        let line = CHARTER
            .lines()
            .position(|l| l.contains("code = \"TJK\""))
            .unwrap()
            + 1;
        assert_eq!(err.line, Some(line), "{err}");
    }

    #[test]
    fn shares_must_add_up() {
        let err = broken("budget_share = 50", "budget_share = 40");
        assert!(err.message.contains("add up to 90%"), "{err}");
    }

    #[test]
    fn unknown_fields_are_refused() {
        let err = broken("[organisation]\n", "[organisation]\nmotto = \"x\"\n");
        assert!(err.message.contains("unknown field `motto`"), "{err}");
    }
}
