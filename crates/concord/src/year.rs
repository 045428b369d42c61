//! The organisation's year on the command line: `concord year <step>` signs and records a
//! step (programme items and progress, budget and payments, quota posts, the chair's
//! priorities and report); `concord programmes`, `budget`, `quota`, `posts` and
//! `report` read them as the secretariat does.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Subcommand;
use concord_core::code::{MemberCode, Slug};
use concord_core::council::Command;
use concord_core::date::parse_day;
use concord_core::keys::KeyOwner;
use concord_core::releasability::Reader;
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

/// Signs `step` with the key at `key` and records it (or prints it).
pub async fn run(
    store: &dyn Store,
    key: &std::path::Path,
    step: YearStep,
    print_only: bool,
) -> anyhow::Result<()> {
    let (secret, owner) = crate::keys::read_secret(key)?;
    let command = command(step, store, owner).await?;
    crate::council::sign_and_record(store, &secret, owner, command, print_only).await
}

/// Who holds each post on `at`, by the rule and by the record.
pub async fn posts(store: &dyn Store, at: time::Date, json: bool) -> anyhow::Result<()> {
    let charter = concord_store::queries::charter(store).await?;
    let posts = concord_store::year::posts(store, &charter, at, None).await?;
    let quota =
        concord_store::year::quota(store, &charter, &Reader::Secretariat, at.year()).await?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({ "posts": posts, "quota_posts": quota })
            )?
        );
        return Ok(());
    }
    println!("Posts on {}", concord_core::PartialDate::Day(at));
    for p in &posts {
        println!("  {} ({})", p.name.en, p.code);
        match (&p.term, p.held_by_nationals_of) {
            (Some(t), _) => println!(
                "    by the rule: a national of {} from {} to {}",
                t.member,
                concord_core::PartialDate::Day(t.from),
                concord_core::PartialDate::Day(t.until)
            ),
            (None, Some(m)) => println!("    by the charter: a national of {m}"),
            (None, None) => println!("    no rule for this day"),
        }
        match &p.holder {
            Some(h) => println!(
                "    recorded: {} ({}), known from {} — {}",
                h.appointment.person.name.en,
                h.appointment
                    .nationality
                    .map_or("nationality not recorded".to_owned(), |n| n.to_string()),
                h.known_from
                    .map_or("?".to_owned(), |d| concord_core::PartialDate::Day(d)
                        .to_string()),
                serde_json::to_value(h.check)?.as_str().unwrap_or_default()
            ),
            None => println!("    recorded: nobody known on this day"),
        }
    }
    if let Some(q) = quota {
        println!(
            "  Quota posts {}–{} ({} in all, under {})",
            q.from, q.until, q.count, q.document
        );
        for m in &q.members {
            println!(
                "    {}: {} allotted, {} renounced, {} vacant",
                m.member, m.allotted, m.renounced, m.vacant
            );
            for h in &m.holders {
                println!(
                    "      {} — {}, until {}",
                    h.post.en,
                    h.holder.en,
                    concord_core::PartialDate::Day(h.until)
                );
            }
        }
    }
    Ok(())
}

/// Programmes standing on `day`.
pub async fn programmes(store: &dyn Store, day: time::Date, json: bool) -> anyhow::Result<()> {
    let charter = concord_store::queries::charter(store).await?;
    let all = concord_store::year::programmes(store, &charter, &Reader::Secretariat, day).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&all)?);
        return Ok(());
    }
    for p in concord_store::year::progress_by_party(&all) {
        println!(
            "{}: {} items, {} done, {} overdue",
            p.party, p.items, p.done, p.overdue
        );
    }
    for p in &all {
        println!(
            "{} ({}, {}): {} items, {} done, {} overdue, {}%",
            p.title.en,
            p.id,
            p.status.as_str(),
            p.items.len(),
            p.done,
            p.overdue,
            p.percent
        );
        for i in &p.items {
            println!(
                "  {}. {} — {} by {}: {} {}%{}",
                i.item.number,
                i.item.title.en,
                i.item.responsible,
                concord_core::PartialDate::Day(i.item.deadline),
                i.status.as_str(),
                i.percent,
                if i.overdue { " OVERDUE" } else { "" }
            );
        }
    }
    Ok(())
}

/// A year's budget and arrears on `day`.
pub async fn budget(
    store: &dyn Store,
    year: i32,
    day: time::Date,
    json: bool,
) -> anyhow::Result<()> {
    let charter = concord_store::queries::charter(store).await?;
    let view = concord_store::year::budget(store, &charter, &Reader::Secretariat, year, day)
        .await?
        .with_context(|| format!("no budget of {year} is set"))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&view)?);
        return Ok(());
    }
    println!(
        "Budget {year} ({}): total {} {}, paid {}, outstanding {} on {}",
        view.document,
        view.total,
        view.currency,
        view.paid,
        view.outstanding,
        concord_core::PartialDate::Day(day)
    );
    for a in &view.accounts {
        println!(
            "  {}  assessed {:>16}  paid {:>16}  outstanding {:>16}{}{}",
            a.contribution.member,
            a.contribution.assessed.to_string(),
            a.paid.to_string(),
            a.outstanding.to_string(),
            if a.in_arrears { "  IN ARREARS" } else { "" },
            if a.contribution.stayed_out {
                "  (stayed out of the decision)"
            } else {
                ""
            }
        );
    }
    Ok(())
}

/// Writes the annual report of `year` (JSON and/or PDF).
pub async fn report(
    store: &dyn Store,
    year: i32,
    public: bool,
    lang: &str,
    pdf: Option<PathBuf>,
    json: bool,
) -> anyhow::Result<()> {
    let deployment = concord_store::council::Deployment::read(store).await?;
    let part = if public {
        concord_store::annual::Part::Public
    } else {
        concord_store::annual::Part::Full
    };
    let report =
        concord_store::annual::report(store, &deployment.charter, &deployment.origin, year, part)
            .await?;
    if let Some(path) = &pdf {
        let bytes = concord_server::annual_pdf::render(&report, &deployment.charter, lang)?;
        std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    }
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({ "sha256": report.digest(), "report": report })
            )?
        );
    } else {
        println!(
            "annual report {year} of {} (chair), SHA-256 {}",
            report.chair,
            report.digest()
        );
        if let Some(path) = pdf {
            println!("wrote {}", path.display());
        }
    }
    Ok(())
}
