//! A running server with the secretariat's token and a directory for the
//! voters' files, and the helpers that drive the real `scrutineer` binary
//! against it. Only the binary and HTTP are used, so this builds with
//! `--no-default-features` too.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::http::{Response, get, json};
use super::server::Server;

/// The server, the secretariat's token, and a directory for the voters'
/// files.
pub struct World {
    pub server: Server,
    pub token: String,
    pub work: PathBuf,
}

impl World {
    /// A server on a simulated clock starting at `start`, its data in
    /// `data`, the voters' files in `work`.
    pub fn simulated(data: &std::path::Path, work: &std::path::Path, start: &str) -> Self {
        let server = Server::start(data, &["--simulated-clock", "--simulated-start", start]);
        let token = server.token.clone().expect("first start prints the token");
        Self {
            server,
            token,
            work: work.to_owned(),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.server.address)
    }

    /// Sends a JSON request with the secretariat's token; it must succeed.
    pub fn send(&self, method: &str, path: &str, body: Value) -> Response {
        let r = json(&self.server.address, method, path, Some(&self.token), &body);
        assert!(
            (200..300).contains(&r.status),
            "{method} {path}: {}",
            r.text()
        );
        r
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.work.join(name)
    }

    /// [`World::path`] as a command-line argument.
    pub fn path_str(&self, name: &str) -> String {
        self.path(name).to_str().expect("UTF-8").to_owned()
    }

    /// Creates an account and stores its token in `<id>.token`.
    pub fn account(&self, id: &str) {
        self.send(
            "POST",
            "/v1/persons",
            json!({"id": id, "name": format!("Name of {id}"), "email": format!("{id}@example.org")}),
        );
        let r = self.send(
            "POST",
            &format!("/v1/persons/{id}/tokens"),
            json!({"label": "cli"}),
        );
        let token = r.json()["token"].as_str().expect("token").to_owned();
        std::fs::write(self.path(&format!("{id}.token")), format!("{token}\n")).expect("write");
    }

    /// A key made with `scrutineer keygen`, registered to the person.
    pub fn key(&self, person: &str) {
        let out = ok(&[
            "keygen",
            "--name",
            person,
            "--out",
            &self.path_str(&format!("{person}.key")),
        ]);
        self.send(
            "POST",
            &format!("/v1/groups/ETI/persons/{person}/keys"),
            json!({"key": out.trim()}),
        );
    }
    /// Group ETI (etsi-isg) with the given founding-member organisations,
    /// a kick-off meeting, delegate alice and chair carol of the first
    /// organisation (both on the membership list, each with a key made by
    /// `scrutineer keygen`), and the pinned log key in `log.vkey`.
    pub fn eti_group(&self, organisations: &[&str]) {
        self.send(
            "POST",
            "/v1/groups",
            json!({"id": "ETI", "profile": "etsi-isg"}),
        );
        for org in organisations {
            self.send(
                "PUT",
                &format!("/v1/groups/ETI/organisations/{org}"),
                json!({"class": "member", "founding": true, "from": "2026-01-01T00:00:00Z"}),
            );
        }
        self.send(
            "PUT",
            "/v1/groups/ETI/meetings/kom",
            json!({"plenary": true, "format": "face-to-face", "kick_off": true,
                   "start": "2026-02-01T09:00:00Z", "end": "2026-02-01T17:00:00Z"}),
        );
        for person in ["alice", "carol"] {
            self.account(person);
            self.send(
                "PUT",
                &format!("/v1/groups/ETI/persons/{person}"),
                json!({"organisation": organisations[0], "membership_list": true}),
            );
            self.key(person);
        }
        self.send("POST", "/v1/groups/ETI/chair", json!({"person": "carol"}));
        let group = get(&self.server.address, "/v1/groups/ETI", Some(&self.token)).json();
        let log_key = group["log_key"].as_str().expect("log key");
        std::fs::write(self.path("log.vkey"), format!("{log_key}\n")).expect("write");
    }

    /// The common flags of the voter's tools.
    pub fn server_flags(&self) -> Vec<String> {
        vec![
            "--server".into(),
            self.url(),
            "--group".into(),
            "ETI".into(),
        ]
    }

    /// The flags of a voter's tool run as `person`: the server, the group,
    /// the pinned log key and the person's token file `<person>.token`.
    pub fn as_person(&self, person: &str) -> Vec<String> {
        let mut flags = self.server_flags();
        flags.extend(strings(&[
            "--log-key",
            &self.path_str("log.vkey"),
            "--token-file",
            &self.path_str(&format!("{person}.token")),
        ]));
        flags
    }

    /// [`World::as_person`], signing with the key file `key`.
    pub fn signing_as(&self, person: &str, key: &str) -> Vec<String> {
        let mut flags = self.as_person(person);
        flags.extend(strings(&["--key", &self.path_str(key)]));
        flags
    }

    /// The command line of the CLI's `command` run as `person` (the flags
    /// of [`World::as_person`]), signing with the key file `<person>.key`,
    /// then `rest`: `announce`, `certify`, `appeal`, `decide`.
    pub fn signed_command(&self, command: &str, person: &str, rest: &[&str]) -> Vec<String> {
        let mut args = strings(&[command]);
        args.extend(self.signing_as(person, &format!("{person}.key")));
        args.extend(strings(rest));
        args
    }

    /// [`World::signed_command`], run; it must succeed; its output.
    pub fn run_signed(&self, command: &str, person: &str, rest: &[&str]) -> String {
        ok(&self.signed_command(command, person, rest))
    }

    /// `person` appeals the certified result of `ballot` with the CLI, on
    /// `grounds` (written to `grounds.txt`); the appeal's id, as printed.
    pub fn appeal_certification(&self, person: &str, ballot: &str, grounds: &str) -> String {
        std::fs::write(self.path("grounds.txt"), grounds).expect("write the grounds");
        let out = self.run_signed(
            "appeal",
            person,
            &[
                "--ballot",
                ballot,
                "--against",
                "certification",
                "--grounds",
                &self.path_str("grounds.txt"),
            ],
        );
        out.split("the appeal's id is ")
            .nth(1)
            .expect("an appeal id")
            .trim()
            .to_owned()
    }

    /// Moves the simulated clock on by `days` days.
    pub fn advance_days(&self, days: u64) {
        self.send(
            "POST",
            "/v1/clock",
            json!({"advance_seconds": days * 24 * 3600}),
        );
    }

    /// The chair carol announces correspondence ballot `ballot` with the
    /// real CLI (opening 2026-07-15, closing 2026-08-15, 44 days after a
    /// 2026-06-01 start), then the clock moves 45 days and the ballot is
    /// open.
    pub fn announce_and_open(&self, ballot: &str) {
        let mut announce = strings(&["announce"]);
        announce.extend(self.signing_as("carol", "carol.key"));
        announce.extend(strings(&[
            "--ballot",
            ballot,
            "--kind",
            "correspondence",
            "--opens",
            "2026-07-15T00:00:00Z",
            "--closes",
            "2026-08-15T00:00:00Z",
        ]));
        ok(&announce);
        self.advance_days(45);
        self.wait_for(ballot, "open");
    }

    /// Votes with the real CLI as `person` (its token file
    /// `<person>.token`, its key file `key`) for `organisation`, keeping
    /// the vote and its receipt in `out`; the CLI's output.
    pub fn vote(
        &self,
        person: &str,
        key: &str,
        ballot: &str,
        organisation: &str,
        choice: &str,
        out: &str,
    ) -> String {
        ok(&self.vote_args(person, key, ballot, organisation, choice, out))
    }

    /// The arguments of [`World::vote`], for a test that runs the CLI
    /// itself (and expects it may fail).
    pub fn vote_args(
        &self,
        person: &str,
        key: &str,
        ballot: &str,
        organisation: &str,
        choice: &str,
        out: &str,
    ) -> Vec<String> {
        let mut args = strings(&["vote"]);
        args.extend(self.signing_as(person, key));
        args.extend(strings(&[
            "--ballot",
            ballot,
            "--organisation",
            organisation,
            "--choice",
            choice,
            "--out",
            &self.path_str(out),
        ]));
        args
    }

    /// Exports `ballot`'s audit bundle with `person`'s token into the
    /// directory `name`; its path.
    pub fn export(&self, person: &str, ballot: &str, name: &str) -> String {
        let bundle = self.path_str(name);
        let mut args = strings(&["export"]);
        args.extend(self.as_person(person));
        args.extend(strings(&["--ballot", ballot, "--out", &bundle]));
        ok(&args);
        bundle
    }

    /// Waits (bounded) until the ballot is in `state`.
    pub fn wait_for(&self, ballot: &str, state: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let r = get(
                &self.server.address,
                &format!("/v1/groups/ETI/ballots/{ballot}"),
                Some(&self.token),
            );
            if r.status == 200 && r.json()["state"] == state {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "ballot {ballot} did not become {state}: {} {}",
                r.status,
                r.text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// Runs the real binary, without the environment's token or server.
pub fn scrutineer<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scrutineer"))
        .args(args)
        .env_remove("SCRUTINEER_TOKEN")
        .env_remove("SCRUTINEER_SERVER")
        .output()
        .expect("run scrutineer")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// Runs a command that must succeed and returns its standard output.
pub fn ok<S: AsRef<std::ffi::OsStr> + std::fmt::Debug>(args: &[S]) -> String {
    let out = scrutineer(args);
    assert!(
        out.status.success(),
        "scrutineer {args:?} failed:\n{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}
