//! End-to-end tests of `scrutineer keygen` and `scrutineer log
//! build|prove|verify` through the real binary.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const ORIGIN: &str = "example.org/test-log";

fn scrutineer(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scrutineer"))
        .args(args)
        .output()
        .expect("the scrutineer binary runs")
}

fn ok(args: &[&str]) -> String {
    let out = scrutineer(args);
    assert!(
        out.status.success(),
        "scrutineer {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("stdout is UTF-8")
}

fn fails(args: &[&str]) -> String {
    let out = scrutineer(args);
    assert!(
        !out.status.success(),
        "scrutineer {args:?} should have failed"
    );
    String::from_utf8(out.stderr).expect("stderr is UTF-8")
}

/// A temporary directory with a log key.
struct Fixture {
    dir: tempfile::TempDir,
    vkey: String,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let key = dir.path().join("log.key");
        let vkey = ok(&["keygen", "--name", ORIGIN, "--out", s(&key)])
            .trim_end()
            .to_owned();
        Self { dir, vkey }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn log(&self) -> PathBuf {
        self.path("log")
    }

    fn build(&self, lines: usize) -> Output {
        let entries = self.path("entries.txt");
        fs::write(&entries, entries_text(lines)).expect("write entries");
        scrutineer(&[
            "log",
            "build",
            "--key",
            s(&self.path("log.key")),
            "--origin",
            ORIGIN,
            "--entries",
            s(&entries),
            "--out",
            s(&self.log()),
        ])
    }

    fn verify(&self) -> Output {
        scrutineer(&[
            "log",
            "verify",
            "--dir",
            s(&self.log()),
            "--vkey",
            &self.vkey,
        ])
    }
}

fn s(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}

fn entries_text(lines: usize) -> String {
    (0..lines).map(|i| format!("entry number {i}\n")).collect()
}

#[test]
fn keygen_writes_an_owner_only_key_and_never_overwrites() {
    let f = Fixture::new();
    let key = f.path("log.key");
    let text = fs::read_to_string(&key).expect("key file");
    assert!(text.starts_with(&format!("PRIVATE+KEY+{ORIGIN}+")));
    assert!(f.vkey.starts_with(&format!("{ORIGIN}+")));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = fs::metadata(&key).expect("metadata").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let err = fails(&["keygen", "--name", ORIGIN, "--out", s(&key)]);
    assert!(err.contains("cannot create"), "{err}");
    assert_eq!(fs::read_to_string(&key).expect("key file"), text);
    let err = fails(&["keygen", "--name", "has space", "--out", s(&f.path("x"))]);
    assert!(err.contains("invalid key name"), "{err}");
}

#[test]
fn build_extend_prove_and_verify() {
    let f = Fixture::new();
    assert!(f.build(300).status.success());
    assert!(f.verify().status.success());
    let old_checkpoint = f.path("old-checkpoint");
    fs::copy(f.log().join("checkpoint"), &old_checkpoint).expect("copy");

    // A receipt against size 300, then the log grows to 1000.
    let receipt = f.path("receipt");
    fs::write(
        &receipt,
        ok(&["log", "prove", "--dir", s(&f.log()), "--index", "257"]),
    )
    .expect("write receipt");
    assert!(f.build(1000).status.success());
    let out = ok(&["log", "verify", "--dir", s(&f.log()), "--vkey", &f.vkey]);
    assert!(out.contains("size 1000"), "{out}");

    let entry = f.path("entry");
    fs::write(&entry, "entry number 257").expect("write entry");
    let out = ok(&[
        "log",
        "verify",
        "--vkey",
        &f.vkey,
        "--receipt",
        s(&receipt),
        "--entry",
        s(&entry),
        "--dir",
        s(&f.log()),
    ]);
    assert!(out.contains("entry 257"), "{out}");
    assert!(out.contains("consistent"), "{out}");

    // The wrong entry bytes, even one newline more, do not verify.
    fs::write(&entry, "entry number 257\n").expect("write entry");
    let err = fails(&[
        "log",
        "verify",
        "--vkey",
        &f.vkey,
        "--receipt",
        s(&receipt),
        "--entry",
        s(&entry),
    ]);
    assert!(err.contains("does not verify"), "{err}");

    // Every entry of the grown log has a receipt that verifies.
    for index in [0u64, 255, 256, 511, 999] {
        let text = ok(&[
            "log",
            "prove",
            "--dir",
            s(&f.log()),
            "--index",
            &index.to_string(),
        ]);
        fs::write(&receipt, text).expect("write receipt");
        fs::write(&entry, format!("entry number {index}")).expect("write entry");
        ok(&[
            "log",
            "verify",
            "--vkey",
            &f.vkey,
            "--receipt",
            s(&receipt),
            "--entry",
            s(&entry),
        ]);
    }
    let err = fails(&["log", "prove", "--dir", s(&f.log()), "--index", "1000"]);
    assert!(err.contains("outside the log"), "{err}");
}

#[test]
fn building_again_with_the_same_lines_changes_nothing() {
    let f = Fixture::new();
    assert!(f.build(10).status.success());
    let before = fs::read(f.log().join("checkpoint")).expect("checkpoint");
    let out = f.build(10);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 files written"));
    // Ed25519 is deterministic: the same tree gives the same checkpoint.
    assert_eq!(
        fs::read(f.log().join("checkpoint")).expect("checkpoint"),
        before
    );
}

#[test]
fn a_file_that_does_not_extend_the_log_is_refused_without_writing() {
    let f = Fixture::new();
    assert!(f.build(20).status.success());
    let before = fs::read(f.log().join("checkpoint")).expect("checkpoint");
    let entries = f.path("entries.txt");

    // Fewer lines than published.
    let shorter = f.build(19);
    assert!(!shorter.status.success());
    assert!(String::from_utf8_lossy(&shorter.stderr).contains("do not extend"));

    // A changed line in the middle.
    let mut text = entries_text(30);
    text = text.replace("entry number 7\n", "entry number seven\n");
    fs::write(&entries, text).expect("write");
    let err = fails(&[
        "log",
        "build",
        "--key",
        s(&f.path("log.key")),
        "--origin",
        ORIGIN,
        "--entries",
        s(&entries),
        "--out",
        s(&f.log()),
    ]);
    assert!(err.contains("entry 7 differs"), "{err}");
    assert_eq!(
        fs::read(f.log().join("checkpoint")).expect("checkpoint"),
        before
    );
    assert!(f.verify().status.success());
}

#[test]
fn bad_entry_files_are_refused_with_the_line() {
    let f = Fixture::new();
    let entries = f.path("entries.txt");
    let build = |f: &Fixture| {
        fails(&[
            "log",
            "build",
            "--key",
            s(&f.path("log.key")),
            "--origin",
            ORIGIN,
            "--entries",
            s(&entries),
            "--out",
            s(&f.log()),
        ])
    };
    fs::write(&entries, "one\r\ntwo\r\n").expect("write");
    let err = build(&f);
    assert!(
        err.contains("line 1") && err.contains("carriage return"),
        "{err}"
    );
    let mut long = "ok\n".to_owned();
    long.push_str(&"x".repeat(65_536));
    fs::write(&entries, long).expect("write");
    let err = build(&f);
    assert!(err.contains("line 2") && err.contains("65535"), "{err}");
    assert!(!f.log().join("checkpoint").exists());
}

#[test]
fn a_key_whose_name_is_not_the_origin_is_refused() {
    let f = Fixture::new();
    let entries = f.path("entries.txt");
    fs::write(&entries, "a\n").expect("write");
    let err = fails(&[
        "log",
        "build",
        "--key",
        s(&f.path("log.key")),
        "--origin",
        "example.org/other",
        "--entries",
        s(&entries),
        "--out",
        s(&f.log()),
    ]);
    assert!(err.contains("origin"), "{err}");
}

/// Each corruption of a published log is caught by `log verify` with a
/// message that names it.
#[test]
fn corruption_is_caught_and_named() {
    type Damage = fn(&Path);
    let cases: &[(&str, Damage, &str)] = &[
        (
            "flipped bit in a leaf tile",
            |d| flip(&d.join("tile/0/000"), 40),
            "tile/0/000",
        ),
        (
            "flipped bit in a partial tile",
            |d| flip(&d.join("tile/0/001.p/44"), 0),
            "partial tiles",
        ),
        (
            "flipped bit in a level-1 tile",
            |d| flip(&d.join("tile/1/000.p/1"), 3),
            "partial tiles",
        ),
        (
            "changed entry",
            |d| flip(&d.join("tile/entries/000"), 5),
            "entry 0 of bundle tile/entries/000",
        ),
        (
            "deleted tile",
            |d| fs::remove_file(d.join("tile/0/000")).expect("rm"),
            "tile/0/000 is missing",
        ),
        (
            "deleted bundle",
            |d| fs::remove_file(d.join("tile/entries/001.p/44")).expect("rm"),
            "tile/entries/001.p/44 is missing",
        ),
        (
            "truncated bundle",
            |d| truncate(&d.join("tile/entries/000")),
            "tile/entries/000 is malformed",
        ),
        (
            "changed checkpoint",
            |d| {
                let p = d.join("checkpoint");
                let text = fs::read_to_string(&p)
                    .expect("read")
                    .replacen("\n300\n", "\n299\n", 1);
                fs::write(p, text).expect("write");
            },
            "checkpoint",
        ),
        (
            "deleted checkpoint",
            |d| fs::remove_file(d.join("checkpoint")).expect("rm"),
            "no checkpoint",
        ),
    ];
    for (what, damage, expected) in cases {
        let f = Fixture::new();
        assert!(f.build(300).status.success());
        assert!(f.verify().status.success(), "{what}: fresh log verifies");
        damage(&f.log());
        let out = f.verify();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{what}: must fail");
        assert!(err.contains(expected), "{what}: {err}");
    }
}

#[test]
fn a_log_is_only_valid_under_its_own_key() {
    let f = Fixture::new();
    assert!(f.build(5).status.success());
    let other = Fixture::new();
    let err = fails(&["log", "verify", "--dir", s(&f.log()), "--vkey", &other.vkey]);
    assert!(err.contains("does not verify"), "{err}");
}

fn flip(path: &Path, byte: usize) {
    let mut bytes = fs::read(path).expect("read");
    bytes[byte] ^= 0x01;
    fs::write(path, bytes).expect("write");
}

fn truncate(path: &Path) {
    let bytes = fs::read(path).expect("read");
    fs::write(path, &bytes[..bytes.len() - 1]).expect("write");
}
