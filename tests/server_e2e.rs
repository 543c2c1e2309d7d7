//! End to end through the real binary on port 0: groups, accounts and
//! registry writes over HTTP; the log read back tile by tile and verified
//! with the library against the signed checkpoint; inclusion and
//! consistency proofs over HTTP; a graceful restart and a SIGKILL during a
//! burst of writes, after which every acknowledged entry must be in a log
//! that still verifies. The same on PostgreSQL, and two `serve` processes
//! sharing one PostgreSQL database.
//!
//! PostgreSQL tests skip with a note when it is not installed, unless
//! `SCRUTINEER_REQUIRE_POSTGRES` is set (CI sets it).

mod common;

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use common::http;
use common::logview::{LogView, Receipt, read_verified};
use common::pg::TempPostgres;
use common::server::Server;
use serde_json::json;

fn create_group(address: &str, token: &str, id: &str) -> http::Response {
    http::json(
        address,
        "POST",
        "/v1/groups",
        Some(token),
        &json!({"id": id, "profile": "etsi-isg"}),
    )
}

/// Registers an organisation: one `organisation` entry in the group's log.
/// The receipt of a successful change, `None` for any other answer.
fn acknowledged(r: &http::Response) -> Option<Receipt> {
    matches!(r.status, 200 | 201).then(|| Receipt::from_json(&r.json()))
}

fn expect_receipt(r: &http::Response, what: &str) -> Receipt {
    acknowledged(r).unwrap_or_else(|| panic!("{what}: {} {}", r.status, r.text()))
}

/// Every acknowledged change of each group, in the order acknowledged.
type Acks = BTreeMap<String, Vec<Receipt>>;

/// Reads each group's log, verifies tiles and proofs, and checks that the
/// acknowledged entries are there, each exactly once, and that with
/// `complete` they are all the log holds.
fn verify_groups(
    address: &str,
    token: &str,
    acks: &Acks,
    complete: bool,
) -> BTreeMap<String, LogView> {
    let mut views = BTreeMap::new();
    for (group, receipts) in acks {
        let view = read_verified(address, token, group);
        view.verify_inclusions(address);
        for receipt in receipts {
            view.check_receipt(address, receipt);
        }
        // Every change in these tests names a new organisation: a change
        // recorded twice (say, a batch committed again after an unknown
        // outcome) would show one twice, whatever its receive time.
        let mut organisations = HashSet::new();
        for entry in &view.entries {
            let text = String::from_utf8_lossy(entry);
            let header = text.split("\n\n").next().unwrap_or_default();
            if let Some(id) = header.lines().find_map(|l| l.strip_prefix("organisation ")) {
                assert!(
                    organisations.insert(id.to_owned()),
                    "{group}: {id} is logged twice"
                );
            }
        }
        if complete {
            assert_eq!(
                view.entries.len(),
                receipts.len(),
                "{group} holds the acknowledged entries only"
            );
            assert_eq!(
                organisations.len() + 1,
                view.entries.len(),
                "{group}: the group entry, then organisations"
            );
        }
        views.insert(group.clone(), view);
    }
    views
}

/// Writes `count` organisations into `group` from `threads` threads at
/// once; every write must be acknowledged.
fn concurrent_organisations(
    address: &str,
    token: &str,
    group: &str,
    prefix: &str,
    threads: usize,
    count: usize,
) -> Vec<Receipt> {
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (address, token, group) = (address.to_owned(), token.to_owned(), group.to_owned());
            let prefix = prefix.to_owned();
            std::thread::spawn(move || {
                (0..count)
                    .map(|k| {
                        let org = format!("{prefix}-{t}-{k}");
                        let r = http::put_organisation(&address, &token, &group, &org);
                        expect_receipt(&r, &format!("PUT {group}/{org}"))
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    handles
        .into_iter()
        .flat_map(|h| h.join().expect("writer thread"))
        .collect()
}

/// The whole story on one database: first start, writes, reads, proofs,
/// graceful restart, more writes, a crash during a burst, restart.
fn end_to_end(data_dir: &Path, flags: &[&str]) {
    let server = Server::start(data_dir, flags);
    let address = server.address.clone();
    let token = server
        .token
        .clone()
        .expect("the first start prints the bootstrap token");
    let mut acks = Acks::new();

    // Groups: one `group` entry each; a second creation is a conflict.
    for group in ["wg1", "wg2"] {
        let r = create_group(&address, &token, group);
        assert_eq!(r.status, 201, "create {group}: {}", r.text());
        acks.insert(group.to_owned(), vec![expect_receipt(&r, "create")]);
    }
    let again = create_group(&address, &token, "wg1");
    assert_eq!(again.status, 409, "{}", again.text());

    // Accounts and tokens (kept out of the log).
    let r = http::json(
        &address,
        "POST",
        "/v1/persons",
        Some(&token),
        &json!({"id": "alice", "name": "Alice Example", "email": "alice@example.org"}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let r = http::json(
        &address,
        "POST",
        "/v1/persons/alice/tokens",
        Some(&token),
        &json!({"label": "laptop"}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let alice = r.json()["token"].as_str().expect("a token").to_owned();
    let me = http::get(&address, "/v1/me", Some(&alice));
    assert_eq!(
        (me.status, me.json()["person"].as_str()),
        (200, Some("alice"))
    );
    assert_eq!(http::get(&address, "/v1/persons", Some(&alice)).status, 403);

    // Registry writes: one by one, then many at once (group commit).
    for k in 0..5 {
        let r = http::put_organisation(&address, &token, "wg1", &format!("org{k}"));
        acks.get_mut("wg1")
            .expect("wg1")
            .push(expect_receipt(&r, "PUT"));
    }
    for group in ["wg1", "wg2"] {
        let receipts = concurrent_organisations(&address, &token, group, "many", 4, 6);
        acks.get_mut(group).expect("group").extend(receipts);
    }
    let first = verify_groups(&address, &token, &acks, true);
    assert_eq!(first["wg1"].size, 1 + 5 + 24);

    // Graceful restart: same data, no new bootstrap token, the same logs.
    server.stop();
    let server = Server::start(data_dir, flags);
    let address = server.address.clone();
    assert_eq!(
        server.token, None,
        "the bootstrap token is printed on first start only"
    );
    let me = http::get(&address, "/v1/me", Some(&alice));
    assert_eq!(me.status, 200, "tokens survive a restart: {}", me.text());
    let restarted = verify_groups(&address, &token, &acks, true);
    for (group, view) in &restarted {
        assert_eq!(
            view.checkpoint, first[group].checkpoint,
            "{group} unchanged"
        );
        assert_eq!(view.entries, first[group].entries);
    }
    // New appends continue the same tree.
    for k in 0..3 {
        let r = http::put_organisation(&address, &token, "wg1", &format!("later{k}"));
        acks.get_mut("wg1")
            .expect("wg1")
            .push(expect_receipt(&r, "PUT"));
    }
    let grown = verify_groups(&address, &token, &acks, true);
    grown["wg1"].verify_consistent_with(&address, &first["wg1"].checkpoint);

    // A burst of writes (registry entries into wg1, group creations), and
    // SIGKILL in the middle of it.
    let burst: Arc<Mutex<Acks>> = Arc::default();
    let writers: Vec<_> = (0..4)
        .map(|t| {
            let (address, token, burst) = (address.clone(), token.clone(), Arc::clone(&burst));
            std::thread::spawn(move || {
                for k in 0..400 {
                    let (group, r) = if t % 2 == 0 {
                        let r = http::put_organisation(
                            &address,
                            &token,
                            "wg1",
                            &format!("burst-{t}-{k}"),
                        );
                        ("wg1".to_owned(), r)
                    } else {
                        let group = format!("burst-{t}-{k}");
                        let r = create_group(&address, &token, &group);
                        (group, r)
                    };
                    // After the kill the connection fails and this thread
                    // panics (captured with the test's output); what was
                    // acknowledged before is recorded.
                    let Some(receipt) = acknowledged(&r) else {
                        break;
                    };
                    burst
                        .lock()
                        .expect("acks")
                        .entry(group)
                        .or_default()
                        .push(receipt);
                }
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    while burst
        .lock()
        .expect("acks")
        .values()
        .map(Vec::len)
        .sum::<usize>()
        < 40
    {
        assert!(Instant::now() < deadline, "the burst made no progress");
        std::thread::sleep(Duration::from_millis(5));
    }
    server.kill();
    for writer in writers {
        let _ = writer.join();
    }
    let burst = std::mem::take(&mut *burst.lock().expect("acks"));
    let acknowledged_in_burst: usize = burst.values().map(Vec::len).sum();

    // Restart after the crash: every log is served and verifies, and every
    // acknowledged entry is in it.
    let server = Server::start(data_dir, flags);
    let address = server.address.clone();
    assert_eq!(server.token, None);
    let list = http::get(&address, "/v1/groups", Some(&token));
    assert_eq!(list.status, 200);
    let listed: Vec<String> = list
        .json()
        .as_array()
        .expect("a list")
        .iter()
        .map(|g| {
            assert!(
                g["halted"].is_null(),
                "no log is refused after the crash: {g}"
            );
            g["id"].as_str().expect("id").to_owned()
        })
        .collect();
    for (group, receipts) in burst {
        assert!(
            listed.contains(&group),
            "acknowledged group {group} is there"
        );
        acks.entry(group).or_default().extend(receipts);
    }
    // Entries committed but not acknowledged may be there too.
    let after = verify_groups(&address, &token, &acks, false);
    eprintln!(
        "note: {acknowledged_in_burst} writes acknowledged before SIGKILL; after restart \
         {} groups, wg1 has {} entries",
        listed.len(),
        after["wg1"].size
    );
    for group in &listed {
        if !acks.contains_key(group) {
            read_verified(&address, &token, group);
        }
    }
    // The log goes on from where the crash left it.
    let r = http::put_organisation(&address, &token, "wg1", "after-crash");
    let receipt = expect_receipt(&r, "PUT after the crash");
    assert_eq!(receipt.index, after["wg1"].size);
    let last = read_verified(&address, &token, "wg1");
    last.check_receipt(&address, &receipt);
    last.verify_consistent_with(&address, &after["wg1"].checkpoint);
    last.verify_consistent_with(&address, &first["wg1"].checkpoint);
    server.stop();
}

#[test]
fn sqlite_end_to_end() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    end_to_end(dir.path(), &[]);
}

#[test]
fn postgres_end_to_end() {
    let Some(pg) = TempPostgres::shared() else {
        return;
    };
    let url = pg.create_database(&TempPostgres::unique_name("e2e"));
    let dir = tempfile::tempdir().expect("a temporary directory");
    end_to_end(dir.path(), &["--database-url", &url]);
}

/// Two `serve` processes on one PostgreSQL database (sharing the log key)
/// write to the same groups at once: the logs verify through either, and
/// every acknowledged entry is there exactly once.
#[test]
fn two_servers_share_one_postgres_database() {
    let Some(pg) = TempPostgres::shared() else {
        return;
    };
    let url = pg.create_database(&TempPostgres::unique_name("two"));
    let (dir_a, dir_b) = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    let a = Server::start(dir_a.path(), &["--database-url", &url]);
    let token = a.token.clone().expect("bootstrap token");
    let mut acks = Acks::new();
    let shared = ["s1", "s2", "s3"];
    for group in shared {
        let r = create_group(&a.address, &token, group);
        acks.insert(group.to_owned(), vec![expect_receipt(&r, "create")]);
    }
    let key = dir_a.path().join("log.key");
    let key = key.to_str().expect("UTF-8 path");
    let b = Server::start(dir_b.path(), &["--database-url", &url, "--log-key", key]);
    assert_eq!(
        b.token, None,
        "the second server finds the bootstrap account"
    );
    let servers = [a.address.clone(), b.address.clone()];

    // Registry writes to the three groups through both servers at once.
    let writers: Vec<_> = (0..6)
        .map(|t| {
            let (address, token) = (servers[t % 2].clone(), token.clone());
            std::thread::spawn(move || {
                (0..12)
                    .map(|k| {
                        let group = shared[(t + k) % 3];
                        let r =
                            http::put_organisation(&address, &token, group, &format!("w{t}-{k}"));
                        (
                            group.to_owned(),
                            expect_receipt(&r, &format!("PUT via {address}")),
                        )
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    // Both servers create the same new groups at the same moment: one
    // creates each, the other is told it exists.
    let creators: Vec<_> = (1..=4)
        .map(|n| {
            let barrier = Arc::new(Barrier::new(2));
            let group = format!("n{n}");
            let racers: Vec<_> = servers
                .iter()
                .map(|address| {
                    let (address, token, group) = (address.clone(), token.clone(), group.clone());
                    let barrier = Arc::clone(&barrier);
                    std::thread::spawn(move || {
                        barrier.wait();
                        create_group(&address, &token, &group)
                    })
                })
                .collect();
            (group, racers)
        })
        .collect();
    for writer in writers {
        for (group, receipt) in writer.join().expect("writer") {
            acks.get_mut(&group).expect("group").push(receipt);
        }
    }
    for (group, racers) in creators {
        let answers: Vec<http::Response> = racers
            .into_iter()
            .map(|r| r.join().expect("creator"))
            .collect();
        let mut statuses: Vec<u16> = answers.iter().map(|r| r.status).collect();
        statuses.sort_unstable();
        assert_eq!(
            statuses,
            [201, 409],
            "{group}: {:?}",
            answers.iter().map(http::Response::text).collect::<Vec<_>>()
        );
        let created = answers.iter().find(|r| r.status == 201).expect("one 201");
        acks.insert(group, vec![expect_receipt(created, "create")]);
    }

    // Through either server, the same verified logs with every
    // acknowledged entry exactly once and nothing else.
    let via_a = verify_groups(&servers[0], &token, &acks, true);
    let via_b = verify_groups(&servers[1], &token, &acks, true);
    for (group, view) in &via_a {
        assert_eq!(
            view.checkpoint, via_b[group].checkpoint,
            "{group}: both serve the same head"
        );
    }
    assert_eq!(
        via_a["s1"].size + via_a["s2"].size + via_a["s3"].size,
        3 + 6 * 12
    );

    // SIGKILL one server in the middle of a burst to the same groups: the
    // other goes on (the killed one's transactions are rolled back and its
    // locks released), and nothing either acknowledged is lost.
    let a_acks: Arc<Mutex<Vec<(String, Receipt)>>> = Arc::default();
    let doomed: Vec<_> = (0..2)
        .map(|t| {
            let (address, token, a_acks) = (servers[0].clone(), token.clone(), Arc::clone(&a_acks));
            std::thread::spawn(move || {
                for k in 0..400 {
                    let group = shared[(t + k) % 2];
                    let r = http::put_organisation(&address, &token, group, &format!("a{t}-{k}"));
                    // Panics once the server is gone (captured output).
                    let Some(receipt) = acknowledged(&r) else {
                        break;
                    };
                    a_acks
                        .lock()
                        .expect("acks")
                        .push((group.to_owned(), receipt));
                }
            })
        })
        .collect();
    let survivors: Vec<_> = (0..2)
        .map(|t| {
            let (address, token) = (servers[1].clone(), token.clone());
            std::thread::spawn(move || {
                (0..20)
                    .map(|k| {
                        let group = shared[(t + k) % 2];
                        let r =
                            http::put_organisation(&address, &token, group, &format!("b{t}-{k}"));
                        (group.to_owned(), expect_receipt(&r, "PUT via the survivor"))
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    while a_acks.lock().expect("acks").len() < 10 {
        assert!(Instant::now() < deadline, "the burst made no progress");
        std::thread::sleep(Duration::from_millis(5));
    }
    a.kill();
    for thread in doomed {
        let _ = thread.join();
    }
    for thread in survivors {
        for (group, receipt) in thread
            .join()
            .expect("the survivor acknowledges every write")
        {
            acks.get_mut(&group).expect("group").push(receipt);
        }
    }
    for (group, receipt) in std::mem::take(&mut *a_acks.lock().expect("acks")) {
        acks.get_mut(&group).expect("group").push(receipt);
    }
    // Entries committed by the killed server but not acknowledged may be
    // there too.
    let after_kill = verify_groups(&servers[1], &token, &acks, false);

    // The survivor stops; the killed one restarts and its start-up check
    // accepts every log, as the survivor left it.
    b.stop();
    let a = Server::start(dir_a.path(), &["--database-url", &url]);
    let again = verify_groups(&a.address, &token, &acks, false);
    for (group, view) in &again {
        assert_eq!(view.checkpoint, after_kill[group].checkpoint);
    }
    a.stop();
}
