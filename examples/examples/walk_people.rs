//! Walk every people profile (contact) of a website and print one line per profile.
//!
//! ```sh
//! export CRISP_IDENTIFIER=… CRISP_KEY=… CRISP_TIER=plugin CRISP_WEBSITE_ID=…
//! cargo run -p crisp-examples --example walk_people
//! cargo run -p crisp-examples --example walk_people -- --search acme --sort-field nickname
//! ```
//!
//! The plugin token needs the scope `website:people:profiles` (read).
//!
//! `list_people_profiles_stream` hides the paging: it asks for page 1, 2, … as the profiles
//! are consumed and stops at the first empty page. Each line is
//! `PEOPLE_ID  E-MAIL  NICKNAME`, and the last one `total: N profiles`.

use std::pin::pin;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, ValueEnum};
use crisp_client::models::{ListPeopleProfilesOptions, ListPeopleProfilesSortOrder};
use crisp_client::{Client, tier};
use futures_util::{StreamExt, TryStreamExt};

/// Print every people profile of a Crisp website.
#[derive(Debug, Parser)]
struct Args {
    /// The website (default: the `CRISP_WEBSITE_ID` environment variable).
    #[arg(long, value_name = "ID")]
    website_id: Option<String>,
    /// Only the profiles matching this text (name, e-mail address, phone, company, segment).
    #[arg(long, value_name = "TEXT")]
    search: Option<String>,
    /// Sort on this profile field, e.g. `nickname`, `email`, `created_at`, `updated_at`.
    #[arg(long, value_name = "FIELD")]
    sort_field: Option<String>,
    /// The direction of the sort.
    #[arg(long, value_enum)]
    sort_order: Option<SortOrder>,
    /// How many profiles to fetch per request (Crisp's default when left out).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    per_page: Option<u16>,
    /// Stop after this many profiles.
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
}

/// `--sort-order`, as clap parses it.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum SortOrder {
    Ascending,
    Descending,
}

impl From<SortOrder> for ListPeopleProfilesSortOrder {
    fn from(order: SortOrder) -> Self {
        match order {
            SortOrder::Ascending => ListPeopleProfilesSortOrder::Ascending,
            SortOrder::Descending => ListPeopleProfilesSortOrder::Descending,
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // `{:#}` prints the error and its causes on one line, e.g. `cannot list the
            // people profiles: listPeopleProfiles: invalid_session (401): …`.
            eprintln!("walk_people: error: {error:#}");
            // The client's own error, behind the context added with `.context(…)`.
            if let Some(hint) = error.downcast_ref::<crisp_client::Error>().and_then(hint) {
                eprintln!("walk_people: hint: {hint}");
            }
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    // `--website-id`, or else the CRISP_WEBSITE_ID environment variable.
    let website_id = args
        .website_id
        .or_else(|| std::env::var("CRISP_WEBSITE_ID").ok())
        .filter(|id| !id.is_empty())
        .context("no website: set CRISP_WEBSITE_ID (or pass --website-id)")?;
    let client = Client::<tier::Plugin>::from_env()
        .context("cannot configure the Crisp client from the environment")?;

    // Optional query parameters live in an `…Options` struct with `Default`: start from it
    // and set the fields wanted (the struct is `#[non_exhaustive]`, so it cannot be written
    // as a struct literal outside its crate).
    let mut options = ListPeopleProfilesOptions::default();
    options.search_text = args.search;
    options.sort_field = args.sort_field;
    options.sort_order = args.sort_order.map(Into::into);
    options.per_page = args.per_page;

    // Pages are fetched as the stream is consumed, so `take` also saves the requests for the
    // pages past `--limit`. The stream is not `Unpin`: pin it to call `try_next` on it.
    let profiles = client
        .website_people()
        .list_people_profiles_stream(&website_id, &options)
        .take(args.limit.unwrap_or(usize::MAX));
    let mut profiles = pin!(profiles);
    let mut total = 0_usize;
    while let Some(profile) = profiles
        .try_next()
        .await
        .context("cannot list the people profiles")?
    {
        total += 1;
        // Every field of a profile is optional in the API's schema.
        let nickname = profile
            .person
            .as_ref()
            .and_then(|person| person.nickname.as_deref())
            .unwrap_or("-");
        println!(
            "{:<36}  {:<32}  {}",
            profile.people_id.as_deref().unwrap_or("-"),
            profile.email.as_deref().unwrap_or("-"),
            nickname,
        );
    }
    println!("total: {total} profiles");
    Ok(())
}

/// A hint for the Crisp errors that usually mean a setting is wrong.
fn hint(error: &crisp_client::Error) -> Option<&'static str> {
    let hint = match error.status().map(|status| status.as_u16()) {
        Some(401) => "Crisp refused the token: check CRISP_IDENTIFIER, CRISP_KEY and CRISP_TIER",
        Some(403) => "the token lacks a scope this example needs (listed at the top of its source)",
        Some(404) => "check CRISP_WEBSITE_ID",
        _ if matches!(error, crisp_client::Error::Transport { .. }) => {
            "Crisp could not be reached: check CRISP_BASE_URL and the network"
        }
        _ if error.is_retryable() => "a temporary failure (rate limit, server error, timeout)",
        _ => return None,
    };
    Some(hint)
}
