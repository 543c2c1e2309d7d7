//! Go's reference transparency-log packages (`golang.org/x/mod/sumdb/note`
//! and `.../tlog`, Debian's golang-golang-x-mod-dev) read a static log that
//! `scrutineer log build` wrote: checkpoint signature, every tile, every
//! entry and its inclusion proof, and consistency with an older checkpoint.
//!
//! Without `go` the test skips with a note, unless `SCRUTINEER_REQUIRE_GO`
//! is set (CI sets it), in which case a missing toolchain is a failure.

use std::fs;
use std::path::Path;
use std::process::Command;

const GOPATH: &str = "/usr/share/gocode";
const ORIGIN: &str = "example.org/go-interop";

fn go_available() -> bool {
    let found = Command::new("go").arg("version").output().is_ok()
        && Path::new(GOPATH)
            .join("src/golang.org/x/mod/sumdb/tlog")
            .is_dir();
    if !found {
        assert!(
            std::env::var_os("SCRUTINEER_REQUIRE_GO").is_none(),
            "SCRUTINEER_REQUIRE_GO is set but go or golang-golang-x-mod-dev is missing"
        );
        eprintln!(
            "note: skipping: go and golang-golang-x-mod-dev are not installed (apt-get install golang-go golang-golang-x-mod-dev)"
        );
    }
    found
}

fn scrutineer(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_scrutineer"))
        .args(args)
        .output()
        .expect("scrutineer runs");
    assert!(
        out.status.success(),
        "scrutineer {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

fn go_read(dir: &Path, vkey: &str, old: Option<&Path>) -> std::process::Output {
    let tool = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/go/tlogread");
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("go-cache");
    let mut command = Command::new("go");
    command
        .current_dir(&tool)
        .env("GO111MODULE", "off")
        .env("GOPATH", GOPATH)
        .env("GOCACHE", cache)
        .env("GOFLAGS", "")
        .args(["run", ".", dir.to_str().expect("UTF-8 path"), vkey]);
    if let Some(old) = old {
        command.arg(old);
    }
    command.output().expect("go runs")
}

#[test]
fn go_reads_and_verifies_our_static_log() {
    if !go_available() {
        return;
    }
    let tmp = tempfile::tempdir().expect("temporary directory");
    let p = |name: &str| tmp.path().join(name);
    let s = |path: &Path| path.to_str().expect("UTF-8 path").to_owned();
    let vkey = scrutineer(&["keygen", "--name", ORIGIN, "--out", &s(&p("key"))])
        .trim_end()
        .to_owned();
    let build = |lines: usize| {
        let text: String = (0..lines).map(|i| format!("entry {i}\n")).collect();
        fs::write(p("entries"), text).expect("write entries");
        scrutineer(&[
            "log",
            "build",
            "--key",
            &s(&p("key")),
            "--origin",
            ORIGIN,
            "--entries",
            &s(&p("entries")),
            "--out",
            &s(&p("log")),
        ]);
    };
    // Sizes that exercise partial tiles at levels 0 and 1 and a full level-1
    // tile boundary (256 · 256 = 65 536 would take too long; 70 000 does not).
    build(300);
    fs::copy(p("log/checkpoint"), p("old")).expect("copy");
    build(66_000);
    let out = go_read(&p("log"), &vkey, Some(&p("old")));
    assert!(
        out.status.success(),
        "Go refused our log: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("ok {ORIGIN} size 66000")
    );

    // And Go notices damage: a changed entry.
    let bundle = p("log/tile/entries/000");
    let mut bytes = fs::read(&bundle).expect("read bundle");
    bytes[3] ^= 1;
    fs::write(&bundle, bytes).expect("write bundle");
    let out = go_read(&p("log"), &vkey, None);
    assert!(!out.status.success(), "Go must refuse a changed entry");
}
