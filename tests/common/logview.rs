//! Reads a group's log over HTTP as a mirror or a witness would, and
//! verifies it with the library: the checkpoint under the group's log key,
//! every hash tile and entry bundle against it (`verify_tiles`), inclusion
//! proofs for every entry and consistency proofs from older checkpoints,
//! all fetched from the server.

#![allow(dead_code)]

use std::collections::BTreeMap;

use scrutineer::note::key::VerifierKey;
use scrutineer::tlog::checkpoint::{Checkpoint, open_checkpoint};
use scrutineer::tlog::tile::{decode_bundle, verify_tiles};
use scrutineer::tlog::{
    Hash, LeafIndex, TileKind, TreeSize, leaf_hash, verify_consistency, verify_inclusion,
};

use super::http;

/// A log as read and verified over HTTP.
#[derive(Debug, Clone)]
pub struct LogView {
    /// The group id.
    pub group: String,
    /// The log key from `GET /v1/groups/{group}`.
    pub key: VerifierKey,
    /// The signed checkpoint as served.
    pub checkpoint: Vec<u8>,
    /// The verified size.
    pub size: u64,
    /// The verified root.
    pub root: Hash,
    /// Every entry, from the verified entry bundles.
    pub entries: Vec<Vec<u8>>,
}

/// A change's answer: where its entry is and the checkpoint covering it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The entry's index.
    pub index: u64,
    /// The log size the checkpoint covers.
    pub size: u64,
    /// The entry's bytes.
    pub entry: Vec<u8>,
    /// The signed checkpoint.
    pub checkpoint: Vec<u8>,
}

impl Receipt {
    /// Reads a receipt from a 200/201 answer's JSON body.
    pub fn from_json(body: &serde_json::Value) -> Self {
        let number = |name: &str| {
            body[name]
                .as_u64()
                .unwrap_or_else(|| panic!("receipt field {name}: {body}"))
        };
        let text = |name: &str| {
            body[name]
                .as_str()
                .unwrap_or_else(|| panic!("receipt field {name}: {body}"))
                .as_bytes()
                .to_vec()
        };
        Self {
            index: number("index"),
            size: number("size"),
            entry: text("entry"),
            checkpoint: text("checkpoint"),
        }
    }
}

/// `GET /v1/groups/{group}`, which must answer 200.
pub fn group_info(address: &str, token: &str, group: &str) -> serde_json::Value {
    let r = http::get(address, &format!("/v1/groups/{group}"), Some(token));
    assert_eq!(r.status, 200, "GET group {group}: {}", r.text());
    r.json()
}

/// Opens a signed checkpoint under the log key, panicking if it does not
/// verify.
pub fn open(key: &VerifierKey, bytes: &[u8]) -> Checkpoint {
    open_checkpoint(bytes, key)
        .unwrap_or_else(|e| {
            panic!(
                "checkpoint does not verify: {e}\n{}",
                String::from_utf8_lossy(bytes)
            )
        })
        .into_inner()
}

/// Reads the checkpoint and every tile and entry bundle of a served log,
/// and verifies them against the checkpoint under the group's log key.
pub fn read_verified(address: &str, token: &str, group: &str) -> LogView {
    let info = group_info(address, token, group);
    assert!(info["halted"].is_null(), "log {group} is halted: {info}");
    let key =
        VerifierKey::parse(info["log_key"].as_str().expect("log_key")).expect("a verifier key");
    let r = http::get(address, &format!("/v1/groups/{group}/log/checkpoint"), None);
    assert_eq!(r.status, 200, "checkpoint of {group}: {}", r.text());
    let checkpoint = r.body;
    let opened = open(&key, &checkpoint);
    assert_eq!(
        opened.origin().as_str(),
        info["origin"].as_str().expect("origin")
    );
    let (size, root) = (opened.size(), *opened.root());
    let mut bundles = BTreeMap::new();
    verify_tiles(size, &root, |tile| {
        let path = format!("/v1/groups/{group}/log/{}", tile.path());
        let r = http::get(address, &path, Some(token));
        if r.status != 200 {
            eprintln!("{path}: {} {}", r.status, r.text());
            return None;
        }
        if tile.kind() == TileKind::Entries {
            let entries = decode_bundle(&r.body, usize::from(tile.width())).ok()?;
            bundles.insert(tile.index(), entries);
        }
        Some(r.body)
    })
    .unwrap_or_else(|e| panic!("the tiles of {group} do not verify: {e}"));
    let entries: Vec<Vec<u8>> = bundles.into_values().flatten().collect();
    assert_eq!(
        entries.len() as u64,
        size.get(),
        "every entry of {group} was read"
    );
    LogView {
        group: group.to_owned(),
        key,
        checkpoint,
        size: size.get(),
        root,
        entries,
    }
}

fn proof_hashes(body: &serde_json::Value) -> Vec<Hash> {
    body["proof"]
        .as_array()
        .unwrap_or_else(|| panic!("a proof: {body}"))
        .iter()
        .map(|h| Hash::from_base64(h.as_str().expect("base64 text")).expect("a hash"))
        .collect()
}

impl LogView {
    /// Gets the inclusion proof of every entry over HTTP and verifies it
    /// against the checkpoint.
    pub fn verify_inclusions(&self, address: &str) {
        for index in 0..self.size {
            let path = format!(
                "/v1/groups/{}/log/proof/inclusion?index={index}&size={}",
                self.group, self.size
            );
            let r = http::get(address, &path, None);
            assert_eq!(r.status, 200, "{path}: {}", r.text());
            let body = r.json();
            assert_eq!(body["size"].as_u64(), Some(self.size));
            verify_inclusion(
                &leaf_hash(&self.entries[index as usize]),
                LeafIndex::new(index),
                TreeSize::new(self.size),
                &proof_hashes(&body),
                &self.root,
            )
            .unwrap_or_else(|e| panic!("inclusion of {index} in {}: {e}", self.size));
        }
    }

    /// Gets the consistency proof from an older signed checkpoint of this
    /// log over HTTP and verifies it.
    pub fn verify_consistent_with(&self, address: &str, older: &[u8]) {
        let old = open(&self.key, older);
        let path = format!(
            "/v1/groups/{}/log/proof/consistency?old={}&new={}",
            self.group,
            old.size(),
            self.size
        );
        let r = http::get(address, &path, None);
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        verify_consistency(
            old.size(),
            TreeSize::new(self.size),
            &proof_hashes(&r.json()),
            old.root(),
            &self.root,
        )
        .unwrap_or_else(|e| panic!("consistency {} → {}: {e}", old.size(), self.size));
    }

    /// A receipt's entry is in this log at its index, its checkpoint
    /// verifies, covers the index, and is consistent with this log.
    pub fn check_receipt(&self, address: &str, receipt: &Receipt) {
        assert!(receipt.index < receipt.size && receipt.size <= self.size);
        assert_eq!(
            self.entries[receipt.index as usize], receipt.entry,
            "the acknowledged entry is at its index {}",
            receipt.index
        );
        assert_eq!(
            open(&self.key, &receipt.checkpoint).size().get(),
            receipt.size
        );
        self.verify_consistent_with(address, &receipt.checkpoint);
    }
}
