//! Export the conversations of a period to a JSON Lines file, optionally with their messages.
//!
//! ```sh
//! export CRISP_IDENTIFIER=… CRISP_KEY=… CRISP_TIER=plugin CRISP_WEBSITE_ID=…
//! cargo run -p crisp-examples --example export_conversations -- \
//!     --from 2024-05-01 --to 2024-05-31 --messages --out may.jsonl
//! ```
//!
//! The plugin token needs the scopes `website:conversation:sessions` (read) and, with
//! `--messages`, `website:conversation:messages` (read).
//!
//! Each line of the file is one conversation as Crisp returns it (`session_id`, `state`,
//! `meta`, `created_at`, `updated_at`, …) and, with `--messages`, a `messages` array holding
//! its whole history, oldest first. The file is written to `PATH.partial` and renamed to
//! `PATH` once complete, so `PATH` never holds half an export.
//!
//! `--from` and `--to` take `YYYY-MM-DD` (midnight UTC; for `--to`, the end of that day),
//! an RFC 3339 date and time (`2024-05-01T08:30:00Z`, `2024-05-01T10:30:00.250+02:00`), a
//! Unix timestamp in seconds or in milliseconds, or `now`. The period includes `--from` and
//! excludes `--to`.
//!
//! By default a conversation belongs to the period when its last activity (`updated_at`)
//! falls in it, as Crisp's own `filter_date_start` / `filter_date_end` filters mean it;
//! `--by created` uses its creation date instead.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::pin::pin;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use clap::{Parser, ValueEnum};
use crisp_client::models::{Conversation, ConversationMessage, ListConversationsOptions};
use crisp_client::{Client, tier};
use futures_util::TryStreamExt;
use indicatif::{ProgressBar, ProgressStyle};

/// Export the conversations of a Crisp website over a period to a JSON Lines file.
#[derive(Debug, Parser)]
struct Args {
    /// The website (default: the `CRISP_WEBSITE_ID` environment variable).
    #[arg(long, value_name = "ID")]
    website_id: Option<String>,
    /// Start of the period (included): YYYY-MM-DD, an RFC 3339 date and time, a Unix
    /// timestamp (seconds or milliseconds), or `now`.
    #[arg(long, value_name = "WHEN", value_parser = parse_start)]
    from: u64,
    /// End of the period (excluded), written as `--from`; a bare date means the end of that
    /// day.
    #[arg(long, value_name = "WHEN", value_parser = parse_end, default_value = "now")]
    to: u64,
    /// The JSON Lines file to write, one conversation per line.
    #[arg(long, value_name = "PATH")]
    out: PathBuf,
    /// Add each conversation's messages, as a `messages` array.
    #[arg(long)]
    messages: bool,
    /// Which date of a conversation must fall in the period.
    #[arg(long, value_enum, default_value_t = By::Updated)]
    by: By,
    /// Also export conversations that have no message yet.
    #[arg(long)]
    include_empty: bool,
}

/// `--by`: the date of a conversation that places it in time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum By {
    /// The last activity (`updated_at`).
    Updated,
    /// The creation (`created_at`).
    Created,
}

impl By {
    /// The conversation's date, in milliseconds since the Unix epoch.
    fn timestamp(self, conversation: &Conversation) -> Option<u64> {
        match self {
            By::Updated => conversation.updated_at.or(conversation.created_at),
            By::Created => conversation.created_at,
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // `{:#}` prints the error and its causes on one line, e.g. `cannot list the
            // conversations: listConversations: not_allowed (403): …`.
            eprintln!("export_conversations: error: {error:#}");
            // The client's own error, behind the context added with `.context(…)`.
            if let Some(hint) = error.downcast_ref::<crisp_client::Error>().and_then(hint) {
                eprintln!("export_conversations: hint: {hint}");
            }
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    // `--website-id`, or else the CRISP_WEBSITE_ID environment variable.
    let website_id = args
        .website_id
        .clone()
        .or_else(|| std::env::var("CRISP_WEBSITE_ID").ok())
        .filter(|id| !id.is_empty())
        .context("no website: set CRISP_WEBSITE_ID (or pass --website-id)")?;
    let website_id = website_id.as_str();
    if args.from >= args.to {
        bail!(
            "the period is empty: --from ({}) is not before --to ({})",
            iso8601(args.from),
            iso8601(args.to)
        );
    }
    let client = Client::<tier::Plugin>::from_env()
        .context("cannot configure the Crisp client from the environment")?;

    // Write to PATH.partial, and rename it only once the export is complete.
    let mut partial = args.out.clone().into_os_string();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let file =
        File::create(&partial).with_context(|| format!("cannot create {}", partial.display()))?;
    let outcome = export(&client, website_id, &args, BufWriter::new(file)).await;
    let counts = match outcome {
        Ok(counts) => counts,
        Err(error) => {
            let _ = std::fs::remove_file(&partial);
            return Err(error);
        }
    };
    std::fs::rename(&partial, &args.out).with_context(|| {
        format!(
            "cannot rename {} to {}",
            partial.display(),
            args.out.display()
        )
    })?;

    let messages = if args.messages {
        format!(" with {} messages", counts.messages)
    } else {
        String::new()
    };
    println!(
        "exported {} conversations{messages} from {} to {} into {}",
        counts.conversations,
        iso8601(args.from),
        iso8601(args.to),
        args.out.display()
    );
    Ok(())
}

/// What an export wrote.
#[derive(Debug, Default)]
struct Counts {
    conversations: usize,
    messages: usize,
}

/// Walks the conversations newest first and writes those of the period to `out`.
async fn export(
    client: &Client<tier::Plugin>,
    website_id: &str,
    args: &Args,
    mut out: BufWriter<File>,
) -> anyhow::Result<Counts> {
    // Ask Crisp for the period and for the order the walk relies on: newest first by the
    // chosen date. Crisp filters on the dates itself; the checks below make the export right
    // even against a server that does not (such as the local sandbox), and let the walk stop
    // at the first conversation older than the period instead of listing the whole website.
    let mut options = ListConversationsOptions::default();
    options.filter_date_start = Some(iso8601(args.from));
    options.filter_date_end = Some(iso8601(args.to));
    options.order_date_updated = (args.by == By::Updated).then_some(true);
    options.order_date_created = (args.by == By::Created).then_some(true);
    options.include_empty = args.include_empty.then_some(true);

    // A spinner on standard error, only when a person watches standard output.
    let progress = if std::io::stdout().is_terminal() {
        ProgressBar::new_spinner()
    } else {
        ProgressBar::hidden()
    };
    progress.set_style(ProgressStyle::with_template(
        "{spinner} {pos} conversations exported [{elapsed}] {msg}",
    )?);
    progress.enable_steady_tick(Duration::from_millis(100));

    let mut conversations = pin!(
        client
            .website_conversation()
            .list_conversations_stream(website_id, &options)
    );
    let mut counts = Counts::default();
    while let Some(conversation) = conversations
        .try_next()
        .await
        .context("cannot list the conversations")?
    {
        let Some(at) = args.by.timestamp(&conversation) else {
            continue; // No date: it cannot be placed in the period.
        };
        if at >= args.to {
            continue; // Newer than the period: keep walking back.
        }
        if at < args.from {
            break; // Older: every conversation after this one is older still.
        }
        progress.set_message(conversation.session_id.clone());

        // The conversation as Crisp sent it, plus its messages if asked.
        let mut line = serde_json::to_value(&conversation)?;
        if args.messages {
            let messages = history(client, website_id, &conversation.session_id).await?;
            counts.messages += messages.len();
            line["messages"] = serde_json::to_value(messages)?;
        }
        serde_json::to_writer(&mut out, &line).context("cannot write the export")?;
        out.write_all(b"\n").context("cannot write the export")?;
        counts.conversations += 1;
        progress.inc(1);
    }
    progress.finish_and_clear();
    out.flush().context("cannot write the export")?;
    Ok(counts)
}

/// The whole message history of a conversation, oldest first.
async fn history(
    client: &Client<tier::Plugin>,
    website_id: &str,
    session_id: &str,
) -> anyhow::Result<Vec<ConversationMessage>> {
    // The stream goes back in time one window at a time (each request passes the timestamp
    // of the oldest message so far as `timestamp_before`) until nothing older is left.
    let mut messages: Vec<ConversationMessage> = client
        .website_conversation()
        .get_messages_in_conversation_stream(website_id, session_id, &Default::default())
        .try_collect()
        .await
        .with_context(|| format!("cannot read the messages of conversation {session_id}"))?;
    // Windows come newest first, the messages of each one oldest first: put them in order.
    messages.sort_by_key(|message| message.timestamp);
    Ok(messages)
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

// ---------------------------------------------------------------------------------------------
// Dates, without a date-time crate: Unix timestamps in milliseconds, UTC civil dates.

/// Parses `--from`: the first millisecond of the period.
fn parse_start(text: &str) -> Result<u64, String> {
    parse_when(text, false)
}

/// Parses `--to`: the first millisecond after the period (a bare date: the next midnight).
fn parse_end(text: &str) -> Result<u64, String> {
    parse_when(text, true)
}

/// Milliseconds since the Unix epoch of `now`, a timestamp, a date or an RFC 3339 date-time.
fn parse_when(text: &str, end_of_day: bool) -> Result<u64, String> {
    const HELP: &str = "use YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS[.mmm]][Z|±HH:MM], \
                        a Unix timestamp in seconds or milliseconds, or `now`";
    let text = text.trim();
    if text.eq_ignore_ascii_case("now") {
        return Ok(now());
    }
    if !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit()) {
        let number: u64 = text.parse().map_err(|_| format!("`{text}` is too large"))?;
        // Seconds until the year 5138; a larger number is already milliseconds.
        return Ok(if number < 100_000_000_000 {
            number * 1000
        } else {
            number
        });
    }
    let (date, time) = match text.split_once(['T', 't', ' ']) {
        Some((date, time)) => (date, Some(time)),
        None => (text, None),
    };
    let days = parse_date(date).ok_or_else(|| format!("`{text}` is not a date: {HELP}"))?;
    let millis = match time {
        None => (days + i64::from(end_of_day)) * 86_400_000,
        Some(time) => {
            let offset =
                parse_time(time).ok_or_else(|| format!("`{text}` is not a date: {HELP}"))?;
            days * 86_400_000 + offset
        }
    };
    u64::try_from(millis).map_err(|_| format!("`{text}` is before 1970"))
}

/// `YYYY-MM-DD` as days since 1970-01-01.
fn parse_date(date: &str) -> Option<i64> {
    let mut parts = date.split('-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || year.len() != 4 || month.len() != 2 || day.len() != 2 {
        return None;
    }
    let (year, month, day): (i64, u32, u32) = (number(year)?, number(month)?, number(day)?);
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    Some(days_from_civil(year, month, day))
}

/// `HH:MM[:SS[.fraction]]` followed by `Z`, `±HH:MM` or nothing (UTC), as milliseconds
/// since midnight UTC (negative or past a day when the offset moves it to another day).
fn parse_time(time: &str) -> Option<i64> {
    let (clock, offset_minutes) = if let Some(clock) = time.strip_suffix(['Z', 'z']) {
        (clock, 0)
    } else if let Some(at) = time.rfind(['+', '-']) {
        let (clock, zone) = time.split_at(at);
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        let zone = zone[1..].replace(':', "");
        if zone.len() != 4 {
            return None;
        }
        let (hours, minutes): (i64, i64) = (number(&zone[..2])?, number(&zone[2..])?);
        if hours > 23 || minutes > 59 {
            return None;
        }
        (clock, sign * (hours * 60 + minutes))
    } else {
        (time, 0)
    };
    let (clock, fraction) = clock.split_once('.').unwrap_or((clock, ""));
    let mut fields = clock.split(':');
    let hours: i64 = two_digits(fields.next()?)?;
    let minutes: i64 = two_digits(fields.next()?)?;
    let seconds: i64 = fields.next().map_or(Some(0), two_digits)?;
    if fields.next().is_some() || hours > 23 || minutes > 59 || seconds > 60 {
        return None;
    }
    // Milliseconds: the first three digits of the fraction, if any.
    let millis = if fraction.is_empty() {
        0
    } else {
        let digits: String = fraction.chars().chain("00".chars()).take(3).collect();
        if !fraction.bytes().all(|byte| byte.is_ascii_digit()) {
            return None;
        }
        number(&digits)?
    };
    let seconds = hours * 3600 + minutes * 60 + seconds.min(59);
    Some(seconds * 1000 + millis - offset_minutes * 60_000)
}

/// A two-digit number.
fn two_digits(text: &str) -> Option<i64> {
    if text.len() == 2 { number(text) } else { None }
}

/// A number made of ASCII digits only.
fn number<T: std::str::FromStr>(text: &str) -> Option<T> {
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// The number of days of `month` (1 to 12) in `year`.
fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month_from_march = i64::from((month + 9) % 12);
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date of a day counted from 1970-01-01: (year, month, day).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    // Both fit: a day is 1 to 31, a month 1 to 12.
    let day = u32::try_from(day_of_year - (153 * month_from_march + 2) / 5 + 1).unwrap_or(1);
    let month = u32::try_from(if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    })
    .unwrap_or(1);
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A timestamp in milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ`, the form Crisp's date filters take.
fn iso8601(millis: u64) -> String {
    let days = i64::try_from(millis / 86_400_000).unwrap_or(i64::MAX);
    let (year, month, day) = civil_from_days(days);
    let in_day = millis % 86_400_000;
    let (hours, minutes) = (in_day / 3_600_000, in_day / 60_000 % 60);
    let (seconds, millis) = (in_day / 1000 % 60, in_day % 1000);
    format!("{year:04}-{month:02}-{day:02}T{hours:02}:{minutes:02}:{seconds:02}.{millis:03}Z")
}

/// The current time in milliseconds since the Unix epoch.
fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_times_and_timestamps_parse() {
        assert_eq!(parse_start("1970-01-01"), Ok(0));
        assert_eq!(parse_end("1970-01-01"), Ok(86_400_000));
        assert_eq!(parse_start("2024-05-01"), Ok(1_714_521_600_000));
        assert_eq!(parse_start("2024-02-29T12:00:00Z"), Ok(1_709_208_000_000));
        assert_eq!(
            parse_start("2024-05-01T08:30:00.25Z"),
            Ok(1_714_552_200_250)
        );
        assert_eq!(parse_start("2024-05-01T10:30+02:00"), Ok(1_714_552_200_000));
        assert_eq!(
            parse_start("2024-05-01t05:00:00-0330"),
            Ok(1_714_552_200_000)
        );
        assert_eq!(parse_start("2024-05-01T08:30:00"), Ok(1_714_552_200_000));
        assert_eq!(parse_end("2024-05-01T08:30:00Z"), Ok(1_714_552_200_000));
        assert_eq!(parse_start("1714552200"), Ok(1_714_552_200_000));
        assert_eq!(parse_start("1714552200123"), Ok(1_714_552_200_123));
        assert!(parse_start("now").is_ok_and(|now| now > 1_714_552_200_000));
        for bad in [
            "",
            "yesterday",
            "2024-5-1",
            "2024-13-01",
            "2023-02-29",
            "2024-05-01T25:00Z",
            "2024-05-01T08:30:00+2",
            "2024-05-01T08:30:00.x",
            "1969-12-31",
            "-5",
        ] {
            assert!(parse_start(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn timestamps_format_as_iso_8601_and_back() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(1_714_552_200_250), "2024-05-01T08:30:00.250Z");
        assert_eq!(iso8601(951_782_400_000), "2000-02-29T00:00:00.000Z");
        for millis in [0, 1, 951_868_799_999, 1_709_208_000_000, 4_102_444_800_000] {
            assert_eq!(parse_start(&iso8601(millis)), Ok(millis));
        }
    }
}
