//! What is voted on: the chair announces a ballot with its title, each
//! question's text and the documents (announcement version 2), uploaded
//! with it; members read them from the announcement on; every vote is bound
//! to exactly those bytes, and the verifier finds each document with the
//! hash the chair signed, and fails when one is changed.

#![cfg(feature = "server")]

mod common;

use common::http;
use common::world::{World, ok, scrutineer, strings, text};
use serde_json::{Value, json};

const START: &str = "2026-06-01T00:00:00Z";
const DRAFT: &[u8] = b"%PDF-1.7\nGS ETI 001 V1.1.1: the draft voted on\n";
const ANNEX: &[u8] = b"Annex B (informative): examples\n";

fn announce_args(w: &World, extra: &[&str]) -> Vec<String> {
    let mut args = strings(&["announce"]);
    args.extend(w.signing_as("carol", "carol.key"));
    args.extend(strings(&[
        "--ballot",
        "B1",
        "--kind",
        "correspondence",
        "--opens",
        "2026-07-15T00:00:00Z",
        "--closes",
        "2026-08-15T00:00:00Z",
        "--title",
        "Approval of GS ETI 001 V1.1.1",
        "--question",
        "main",
        "--question-text",
        "Do you approve GS ETI 001 V1.1.1 for publication?",
    ]));
    args.extend(strings(extra));
    args
}

#[test]
fn the_documents_voted_on_are_announced_read_and_verified() {
    let data = tempfile::tempdir().expect("temporary directory");
    let work = tempfile::tempdir().expect("temporary directory");
    let w = World::simulated(data.path(), work.path(), START);
    w.eti_group(&["cadzow"]);
    let draft = w.path("GS ETI 001 draft.pdf");
    std::fs::write(&draft, DRAFT).expect("write the draft");
    let annex = w.path("annex-b.txt");
    std::fs::write(&annex, ANNEX).expect("write the annex");

    // A text for each question, or the CLI refuses before signing.
    let mut missing_text = announce_args(&w, &[]);
    missing_text.extend(strings(&["--question", "annex"]));
    let out = scrutineer(&missing_text);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("1 --question-text for 2 questions"),
        "{}",
        text(&out.stderr)
    );

    // The server refuses an announcement whose documents are not those
    // its note names: the note names the draft, the body sends nothing.
    let origin = w.send("GET", "/v1/groups/ETI", json!(null)).json()["origin"]
        .as_str()
        .expect("origin")
        .to_owned();
    let note = scrutineer::ballot::AnnouncementNote {
        origin: scrutineer::tlog::checkpoint::Origin::new(origin).expect("origin"),
        ballot: scrutineer::id::BallotId::new("B1").expect("id"),
        kind: scrutineer::rules::BallotKind::Correspondence,
        questions: vec![scrutineer::id::QuestionId::new("main").expect("id")],
        opens: Some(scrutineer::time::Timestamp::parse("2026-07-15T00:00:00Z").expect("time")),
        closes: scrutineer::time::Timestamp::parse("2026-08-15T00:00:00Z").expect("time"),
        subject: Some(scrutineer::ballot::Subject {
            title: "Approval of GS ETI 001 V1.1.1".into(),
            questions: vec!["Do you approve it?".into()],
            documents: vec![scrutineer::ballot::DocumentRef::of(
                DRAFT,
                "application/pdf",
                "draft.pdf",
            )],
        }),
    };
    let carol_key = scrutineer::note::key::SigningKey::parse(
        std::fs::read_to_string(w.path("carol.key"))
            .expect("carol key")
            .trim(),
    )
    .expect("a key");
    let signed = String::from_utf8(note.sign(&carol_key).expect("signs")).expect("UTF-8");
    let carol = std::fs::read_to_string(w.path("carol.token")).expect("carol's token");
    for documents in [json!([]), json!([base64(ANNEX)]), json!(["not base64!"])] {
        let r = http::json(
            &w.server.address,
            "POST",
            "/v1/groups/ETI/ballots",
            Some(carol.trim()),
            &json!({"announcement": signed, "documents": documents}),
        );
        let problem = r.json();
        assert!(
            r.status == 422 && problem["type"] == "urn:scrutineer:problem:documents"
                || r.status == 400 && problem["type"] == "urn:scrutineer:problem:invalid-document",
            "{documents}: {} {problem}",
            r.status
        );
    }

    // The CLI announces with both documents, which the server stores
    // beside the log with the announcement.
    let mut args = announce_args(&w, &[]);
    args.extend(strings(&[
        "--document",
        &draft.display().to_string(),
        "--document",
        &annex.display().to_string(),
    ]));
    ok(&args);
    let alice = std::fs::read_to_string(w.path("alice.token")).expect("alice's token");
    let ballot = http::get(
        &w.server.address,
        "/v1/groups/ETI/ballots/B1",
        Some(alice.trim()),
    );
    assert_eq!(ballot.status, 200);
    let ballot = ballot.json();
    assert_eq!(ballot["title"], "Approval of GS ETI 001 V1.1.1");
    assert_eq!(
        ballot["question_texts"],
        json!(["Do you approve GS ETI 001 V1.1.1 for publication?"])
    );
    let documents = ballot["documents"].as_array().expect("documents");
    assert_eq!(documents.len(), 2);
    assert_eq!(documents[0]["file_name"], "GS ETI 001 draft.pdf");
    assert_eq!(documents[0]["media_type"], "application/pdf");
    assert_eq!(documents[1]["media_type"], "text/plain");
    // A member reads the draft before the opening, under its signed name.
    let sha256 = documents[0]["sha256"].as_str().expect("hash");
    let read = http::get(
        &w.server.address,
        &format!("/v1/groups/ETI/ballots/B1/documents/{sha256}"),
        Some(alice.trim()),
    );
    assert_eq!(read.status, 200);
    assert_eq!(read.body, DRAFT);
    assert_eq!(read.header("content-type"), Some("application/pdf"));
    assert_eq!(
        read.header("content-disposition"),
        Some("attachment; filename*=UTF-8''GS%20ETI%20001%20draft.pdf")
    );

    // The ballot runs; its bundle carries both documents, and the report
    // names what was voted on.
    w.advance_days(45);
    w.wait_for("B1", "open");
    w.vote("alice", "alice.key", "B1", "cadzow", "yes", "alice-votes");
    w.advance_days(32);
    w.wait_for("B1", "tallied");
    let bundle = w.export("alice", "B1", "bundle");
    let key = w.path_str("log.vkey");
    let report = ok(&["verify", &bundle, "--log-key", &key]);
    assert!(
        report.contains("Title: Approval of GS ETI 001 V1.1.1"),
        "{report}"
    );
    assert!(
        report.contains("Question main: Do you approve GS ETI 001 V1.1.1 for publication?"),
        "{report}"
    );
    let line = format!(
        "Document voted on: GS ETI 001 draft.pdf (application/pdf, {} bytes",
        DRAFT.len()
    );
    assert!(report.contains(&line), "{report}");
    let json: Value =
        serde_json::from_str(&ok(&["verify", &bundle, "--log-key", &key, "--json"])).expect("JSON");
    assert_eq!(json["ballot"]["documents"][1]["file_name"], "annex-b.txt");

    // The server's archive verifies too.
    let archive = http::get(
        &w.server.address,
        "/v1/groups/ETI/ballots/B1/bundle",
        Some(alice.trim()),
    );
    assert_eq!(archive.status, 200);
    let tar = w.path("B1.tar");
    std::fs::write(&tar, &archive.body).expect("write the archive");
    let from_tar = ok(&["verify", &tar.display().to_string(), "--log-key", &key]);
    assert!(
        from_tar.contains("Document voted on: annex-b.txt"),
        "{from_tar}"
    );

    // A bundle whose draft was changed does not verify: the changed bytes
    // are not the document the announcement names.
    let pack = std::path::Path::new(&bundle).join("documents.pack");
    let mut packed = std::fs::read(&pack).expect("the pack");
    let at = packed
        .windows(DRAFT.len())
        .position(|w| w == DRAFT)
        .expect("the draft is packed");
    packed[at + 9] ^= 1;
    std::fs::write(&pack, packed).expect("write the pack");
    let out = scrutineer(&["verify", &bundle, "--log-key", &key]);
    assert!(!out.status.success(), "{}", text(&out.stdout));
    eprintln!("{}", text(&out.stderr));
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
