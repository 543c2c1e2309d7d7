//! `simulate --explain`: the derivation of each ballot's roll, its votes
//! and its tally as Markdown tables a chair can paste into a report.

use std::fmt::Write as _;

use crate::rules::{BallotKind, BallotRun, Parameters, PlenaryScope, Profile, Roll, Vote};
use crate::simulate::{BallotResult, Scenario};

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

fn list<T: std::fmt::Display>(items: &[T]) -> String {
    if items.is_empty() {
        "—".to_string()
    } else {
        items
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The Markdown explanation of every ballot of a scenario, in input order.
pub fn explain(scenario: &Scenario, results: &[BallotResult]) -> String {
    let mut out = String::new();
    for (input, result) in scenario.ballots.iter().zip(results) {
        let ballot = &input.ballot;
        // Writing to a String cannot fail.
        let _ = writeln!(out, "## Ballot {} ({})\n", ballot.id, result.kind.as_str());
        let _ = writeln!(
            out,
            "Announced {}; open from {} until before {}.\n",
            ballot.announced, ballot.opens, ballot.closes
        );
        match &result.run {
            Err(error) => {
                let _ = writeln!(out, "**Refused** ({}): {error}.\n", error.code());
            }
            Ok(run) => {
                explain_roll(&mut out, &scenario.parameters, &run.roll, &ballot.kind);
                explain_votes(&mut out, &input.votes, run);
                explain_tally(&mut out, &scenario.parameters, run);
            }
        }
    }
    out
}

fn explain_roll(out: &mut String, parameters: &Parameters, roll: &Roll, kind: &BallotKind) {
    let reference = &roll.reference;
    let _ = writeln!(
        out,
        "Roll taken at {} (membership, Kick-off Period).",
        reference.at
    );
    if let Some(rule) = parameters.attendance {
        let meeting_note = match kind {
            BallotKind::Meeting { meeting } => format!(" (the start of meeting {meeting})"),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "Attendance window: the {} most recent {} ended at or before {}{}: {}; {} physical attendances needed.",
            rule.window,
            match reference.scope {
                PlenaryScope::Plenaries => "plenaries (any format)",
                PlenaryScope::FaceToFacePlenaries => "face-to-face or hybrid plenaries",
            },
            reference.attendance_at,
            meeting_note,
            list(&roll.window),
            rule.required,
        );
    }
    if let Some(kop) = &roll.kick_off_period {
        let end = kop.end.map_or(
            "not yet ended (fewer than two face-to-face plenaries after the KoM)".to_string(),
            |e| format!("{e} inclusive"),
        );
        let _ = writeln!(
            out,
            "Kick-off Period: from {} (start of {}) to {}; {} at the reference time.",
            kop.start,
            kop.kick_off_meeting,
            end,
            if kop.running {
                "running"
            } else {
                "not running"
            }
        );
    }
    let _ = writeln!(
        out,
        "\n| organisation | class | founding | Kick-off Period right | meetings in window | physical attendances | eligible | reason |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|");
    for e in &roll.organisations {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} ({}) | {} | {} |",
            e.organisation,
            e.class,
            yes_no(e.founding),
            yes_no(e.kick_off_period),
            list(&roll.window),
            list(&e.physical),
            e.physical.len(),
            if e.eligible { "**yes**" } else { "no" },
            e.reason.as_str(),
        );
    }
    let _ = writeln!(
        out,
        "\nEligible: {}.\n",
        list(&roll.eligible().collect::<Vec<_>>())
    );
}

fn explain_votes(out: &mut String, votes: &[Vote], run: &BallotRun) {
    if votes.is_empty() {
        let _ = writeln!(out, "No votes.\n");
        return;
    }
    let _ = writeln!(
        out,
        "| # | person | organisation | question | choice | at | accepted | counted | reason |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|");
    for (i, (vote, verdict)) in votes.iter().zip(&run.verdicts).enumerate() {
        let _ = writeln!(
            out,
            "| {i} | {} | {} | {} | {} | {} | {} | {} | {} |",
            vote.person,
            vote.organisation,
            vote.question,
            vote.choice.replace('|', "\\|"),
            vote.at,
            yes_no(verdict.admission.is_ok()),
            yes_no(verdict.counted),
            verdict.admission.as_ref().err().map_or("", |r| r.code()),
        );
    }
    out.push('\n');
}

fn explain_tally(out: &mut String, parameters: &Parameters, run: &BallotRun) {
    let threshold = parameters.threshold.get();
    match parameters.profile {
        Profile::EtsiIsg => {
            let _ = writeln!(
                out,
                "| question | yes | no | abstain | not voted | outcome |"
            );
            let _ = writeln!(out, "|---|---|---|---|---|---|");
            for q in &run.questions {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} |",
                    q.question,
                    q.in_favour,
                    q.against,
                    q.abstain,
                    q.not_voted(),
                    parameters.outcome_word(q.passed)
                );
            }
            let _ = writeln!(
                out,
                "\nApproved if yes + no > 0 and 100 × yes ≥ {threshold} × (yes + no).\n"
            );
        }
        Profile::ItuTTap => {
            let _ = writeln!(
                out,
                "| draft | assign | do-not-assign | replies | outcome |"
            );
            let _ = writeln!(out, "|---|---|---|---|---|");
            for q in &run.questions {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} |",
                    q.question,
                    q.in_favour,
                    q.against,
                    q.cast(),
                    parameters.outcome_word(q.passed)
                );
            }
            let _ = writeln!(
                out,
                "\nProceeds if there are no replies or 100 × assign ≥ {threshold} × replies.\n"
            );
        }
    }
}
