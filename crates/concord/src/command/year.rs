//! `concord year <step>`: a step of the organisation's year signed and recorded (programme
//! items and progress, budget and payments, quota posts, the chair's priorities and
//! report); `concord programmes`, `budget`, `posts` and `report` read them as the
//! secretariat does.

use std::path::PathBuf;

use anyhow::bail;
use clap::Subcommand;
use concord_core::code::{MemberCode, Slug};
use concord_core::council::Command;
use concord_core::date::parse_day;
use concord_core::keys::KeyOwner;
use concord_core::text::Text;
use concord_core::year::{
    AddProgrammeItem, Amount, ApportionQuotaPosts, Currency, FillQuotaPost, Funding, ItemStatus,
    LinkPriority, Party, RecordPayment, RecordRef, RenounceQuotaPost, ReportProgress, SetBudget,
    StatePriorities, SubmitAnnualReport,
};
use concord_store::Store;

/// A step of the organisation's year, signed with a key file.
#[derive(Debug, Subcommand)]
pub enum YearStep {
    /// Set out the next item of an adopted programme or action plan (secretariat).
    ProgrammeItem {
        /// The programme's document.
        #[arg(long)]
        programme: Slug,
        /// The item's number (the next one).
        #[arg(long)]
        number: u32,
        /// What is to be done, in English.
        #[arg(long)]
        title_en: String,
        /// ...in Russian.
        #[arg(long)]
        title_ru: String,
        /// Who answers for it: a member's code (KAZ) or `body:CODE` (body:joint-staff).
        #[arg(long, value_parser = parse_party)]
        responsible: Party,
        /// By when (YYYY-MM-DD).
        #[arg(long, value_parser = parse_day)]
        deadline: time::Date,
        /// Funding set aside, exact (e.g. 1250000.00).
        #[arg(long, requires = "currency")]
        funding: Option<Amount>,
        /// Its currency (ISO 4217).
        #[arg(long)]
        currency: Option<String>,
    },
    /// Report progress on an item (the responsible member's key, or the secretariat's for a
    /// body).
    Progress {
        /// The programme's document.
        #[arg(long)]
        programme: Slug,
        /// The item's number.
        #[arg(long)]
        item: u32,
        /// in-progress or done.
        #[arg(long, value_parser = parse_status)]
        status: ItemStatus,
        /// Percent done (100 when done).
        #[arg(long)]
        percent: u8,
        /// What was done, in English.
        #[arg(long)]
        note_en: String,
        /// ...in Russian.
        #[arg(long)]
        note_ru: String,
        /// For a body's item, signed by the secretariat: the body's code.
        #[arg(long)]
        body: Option<Slug>,
    },
    /// Set a year's budget under its adopted document (secretariat).
    Budget {
        /// The year.
        #[arg(long)]
        year: i32,
        /// The adopted budget document.
        #[arg(long)]
        document: Slug,
        /// Currency (ISO 4217).
        #[arg(long)]
        currency: String,
        /// The total, exact (e.g. 1250000.00).
        #[arg(long)]
        total: Amount,
    },
    /// Record a member's payment (secretariat).
    Payment {
        /// The budget year.
        #[arg(long)]
        year: i32,
        /// The paying member.
        #[arg(long)]
        member: MemberCode,
        /// The amount, exact.
        #[arg(long)]
        amount: Amount,
        /// The day received (YYYY-MM-DD).
        #[arg(long, value_parser = parse_day)]
        received_on: time::Date,
        /// The transfer's reference.
        #[arg(long, default_value = "")]
        reference: String,
    },
    /// Apportion a period's quota posts by budget share (secretariat).
    QuotaApportion {
        /// The period's first year.
        #[arg(long)]
        period: i32,
        /// The council's adopted decision on the distribution.
        #[arg(long)]
        document: Slug,
    },
    /// Renounce quota posts of your state for a period (the member's key).
    QuotaRenounce {
        /// The period's first year.
        #[arg(long)]
        period: i32,
        /// How many posts.
        #[arg(long, default_value_t = 1)]
        posts: u32,
    },
    /// Record who fills a member's quota post (secretariat).
    QuotaFill {
        /// The period's first year.
        #[arg(long)]
        period: i32,
        /// Whose post.
        #[arg(long)]
        member: MemberCode,
        /// The post, in English.
        #[arg(long)]
        post_en: String,
        /// ...in Russian.
        #[arg(long)]
        post_ru: String,
        /// The holder's name, in English.
        #[arg(long)]
        holder_en: String,
        /// ...in Russian.
        #[arg(long)]
        holder_ru: String,
        /// From (YYYY-MM-DD).
        #[arg(long, value_parser = parse_day)]
        from: time::Date,
        /// Until (YYYY-MM-DD).
        #[arg(long, value_parser = parse_day)]
        until: time::Date,
    },
    /// State the chair's motto and priorities (the chair's key).
    Priorities {
        /// The year.
        #[arg(long)]
        year: i32,
        /// Motto in English.
        #[arg(long, requires = "motto_ru")]
        motto_en: Option<String>,
        /// Motto in Russian.
        #[arg(long, requires = "motto_en")]
        motto_ru: Option<String>,
        /// A priority in English (repeat, in order).
        #[arg(long = "priority-en", required = true)]
        priorities_en: Vec<String>,
        /// The same in Russian (as many, in the same order).
        #[arg(long = "priority-ru", required = true)]
        priorities_ru: Vec<String>,
    },
    /// Link a record to a priority (secretariat).
    Link {
        /// The year.
        #[arg(long)]
        year: i32,
        /// The priority's number.
        #[arg(long)]
        priority: u32,
        /// The record: document:ID, programme:ID, session:ID, exercise:ID or operation:CODE.
        #[arg(long, value_parser = parse_record)]
        record: RecordRef,
    },
    /// Submit the year's annual report as generated now (the chair's key).
    SubmitReport {
        /// The year.
        #[arg(long)]
        year: i32,
    },
}

fn parse_party(s: &str) -> Result<Party, String> {
    match s.strip_prefix("body:") {
        Some(b) => b.parse().map(Party::Body).map_err(|e| format!("{e}")),
        None => s
            .parse()
            .map(Party::Member)
            .map_err(|_| format!("`{s}`: a member's code (KAZ) or body:CODE")),
    }
}

fn parse_status(s: &str) -> Result<ItemStatus, String> {
    match s {
        "in-progress" => Ok(ItemStatus::InProgress),
        "done" => Ok(ItemStatus::Done),
        _ => Err(format!("`{s}`: in-progress or done")),
    }
}

fn parse_record(s: &str) -> Result<RecordRef, String> {
    let (kind, id) = s
        .split_once(':')
        .ok_or_else(|| format!("`{s}`: write KIND:ID, e.g. document:2024-budget"))?;
    let id: Slug = id.parse().map_err(|e| format!("{e}"))?;
    Ok(match kind {
        "document" => RecordRef::Document(id),
        "programme" => RecordRef::Programme(id),
        "session" => RecordRef::Session(id),
        "exercise" => RecordRef::Exercise(id),
        "operation" => RecordRef::Operation(id),
        _ => {
            return Err(format!(
                "`{kind}`: document, programme, session, exercise or operation"
            ));
        }
    })
}

fn currency(code: String) -> anyhow::Result<Currency> {
    Currency::try_from(code).map_err(anyhow::Error::msg)
}

fn own_member(owner: KeyOwner, what: &str) -> anyhow::Result<MemberCode> {
    match owner {
        KeyOwner::Member(m) => Ok(m),
        KeyOwner::Secretariat => {
            bail!("{what} is signed with a member's key, not the secretariat's")
        }
    }
}

async fn command(step: YearStep, store: &dyn Store, owner: KeyOwner) -> anyhow::Result<Command> {
    Ok(match step {
        YearStep::ProgrammeItem {
            programme,
            number,
            title_en,
            title_ru,
            responsible,
            deadline,
            funding,
            currency: code,
        } => {
            let funding = match (funding, code) {
                (Some(amount), Some(code)) => Some(Funding {
                    currency: currency(code)?,
                    amount,
                }),
                _ => None,
            };
            Command::AddProgrammeItem(AddProgrammeItem {
                programme,
                number,
                title: Text::new(title_en, title_ru),
                responsible,
                deadline,
                funding,
            })
        }
        YearStep::Progress {
            programme,
            item,
            status,
            percent,
            note_en,
            note_ru,
            body,
        } => {
            let reporter = match (body, owner) {
                (Some(b), _) => Party::Body(b),
                (None, KeyOwner::Member(m)) => Party::Member(m),
                (None, KeyOwner::Secretariat) => {
                    bail!("the secretariat reports for a body: name it with --body")
                }
            };
            Command::ReportProgress(ReportProgress {
                programme,
                item,
                reporter,
                status,
                percent,
                note: Text::new(note_en, note_ru),
            })
        }
        YearStep::Budget {
            year,
            document,
            currency: code,
            total,
        } => Command::SetBudget(SetBudget {
            year,
            document,
            currency: currency(code)?,
            total,
        }),
        YearStep::Payment {
            year,
            member,
            amount,
            received_on,
            reference,
        } => Command::RecordPayment(RecordPayment {
            year,
            member,
            amount,
            received_on,
            reference,
        }),
        YearStep::QuotaApportion { period, document } => {
            Command::ApportionQuotaPosts(ApportionQuotaPosts { period, document })
        }
        YearStep::QuotaRenounce { period, posts } => {
            Command::RenounceQuotaPost(RenounceQuotaPost {
                period,
                member: own_member(owner, "a renunciation")?,
                posts,
            })
        }
        YearStep::QuotaFill {
            period,
            member,
            post_en,
            post_ru,
            holder_en,
            holder_ru,
            from,
            until,
        } => Command::FillQuotaPost(FillQuotaPost {
            period,
            member,
            post: Text::new(post_en, post_ru),
            holder: Text::new(holder_en, holder_ru),
            from,
            until,
        }),
        YearStep::Priorities {
            year,
            motto_en,
            motto_ru,
            priorities_en,
            priorities_ru,
        } => {
            if priorities_en.len() != priorities_ru.len() {
                bail!("give each priority in English and in Russian, in the same order");
            }
            Command::StatePriorities(StatePriorities {
                year,
                chair: own_member(owner, "the chair's priorities")?,
                motto: motto_en.zip(motto_ru).map(|(en, ru)| Text::new(en, ru)),
                priorities: priorities_en
                    .into_iter()
                    .zip(priorities_ru)
                    .map(|(en, ru)| Text::new(en, ru))
                    .collect(),
            })
        }
        YearStep::Link {
            year,
            priority,
            record,
        } => Command::LinkPriority(LinkPriority {
            year,
            priority,
            record,
        }),
        YearStep::SubmitReport { year } => {
            let deployment = concord_store::council::Deployment::read(store).await?;
            let report = concord_store::annual::report(
                store,
                &deployment.charter,
                &deployment.origin,
                year,
                concord_store::annual::Part::Full,
            )
            .await?;
            Command::SubmitAnnualReport(SubmitAnnualReport {
                year,
                chair: own_member(owner, "the annual report")?,
                sha256: report.digest(),
            })
        }
    })
}

/// A step of the organisation's year (programmes, budget, quota posts, the chair's
/// priorities and report), signed with a key file and recorded.
#[derive(Debug, clap::Args)]
pub struct Year {
    /// The signing key.
    #[arg(long, env = "CONCORD_KEY")]
    key: PathBuf,
    /// Print the signed command instead of recording it.
    #[arg(long)]
    print: bool,
    #[command(subcommand)]
    step: YearStep,
}

impl Year {
    /// Signs the step and records it (or prints it).
    pub async fn run(self, database: &str) -> anyhow::Result<()> {
        let store = crate::database::open(database).await?;
        record(store.as_ref(), &self.key, self.step, self.print).await
    }
}

/// Signs `step` with the key at `key` and records it (or prints it).
async fn record(
    store: &dyn Store,
    key: &std::path::Path,
    step: YearStep,
    print_only: bool,
) -> anyhow::Result<()> {
    let (secret, owner) = crate::keys::read_secret(key)?;
    let command = command(step, store, owner).await?;
    super::council::sign_and_record(store, &secret, owner, command, print_only).await
}
