//! The server asks witnesses (SPEC section 10, "Cosigning"): each group's
//! new checkpoints go to the policy's witnesses with C2SP tlog-witness
//! add-checkpoint requests, in parallel; every cosignature received is
//! verified and kept; a quorum not reached is reported, never blocking.
//!
//! The loop looks at the logs' heads every [`TICK`] and submits a log's
//! checkpoint to each witness that has not cosigned its current size, so a
//! log that changes is submitted within seconds of each batch (an
//! announcement, an opening, a close and a tally included), far more often
//! than the once a minute SPEC asks for; an unchanged log costs nothing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use super::AppState;
use super::http_client;
use crate::ballot::CosignedRecord;
use crate::note::{Limits, Note};
use crate::store::cosigned::StoredCosignature;
use crate::tlog::TreeSize;
use crate::tlog::policy::{Policy, QuorumTime};
use crate::tlog::proof::consistency_proof;
use crate::tlog::witness::{ADD_CHECKPOINT_PATH, AddCheckpoint, parse_conflict};

/// How often the logs' heads are looked at.
pub const TICK: StdDuration = StdDuration::from_secs(2);

/// How far in the past a cosignature's timestamp may lie (seconds): a
/// witness answers at once, so an older one is not this request's.
pub const MAX_COSIGNATURE_AGE: u64 = 300;

/// The time limit of one add-checkpoint exchange.
const REQUEST_TIMEOUT: StdDuration = StdDuration::from_secs(15);

/// The largest answer read from a witness.
const MAX_ANSWER: usize = 16 * 1024;

/// The witnesses of a policy and what the server knows of each.
pub struct Witnessing {
    policy: Policy,
    /// Per (witness index, group): the size the witness last said it has.
    known: Mutex<HashMap<(usize, String), u64>>,
    /// Per group: the last problem per witness (None: cosigned the latest).
    status: Mutex<HashMap<String, Vec<Option<String>>>>,
}

impl Witnessing {
    /// The witnessing of a parsed policy.
    pub fn new(policy: Policy) -> Self {
        Self {
            policy,
            known: Mutex::new(HashMap::new()),
            status: Mutex::new(HashMap::new()),
        }
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// One line per group for `/readyz`: whether the quorum cosigned its
    /// latest checkpoint, and each witness's problem.
    pub fn report(&self) -> Vec<String> {
        let status = self.status.lock().expect("status lock is never poisoned");
        let mut groups: Vec<_> = status.iter().collect();
        groups.sort_by(|a, b| a.0.cmp(b.0));
        groups
            .into_iter()
            .map(|(group, witnesses)| {
                let times: Vec<Option<u64>> = witnesses
                    .iter()
                    .map(|problem| problem.is_none().then_some(1))
                    .collect();
                let quorum = match self.policy.quorum_time(&times) {
                    QuorumTime::NotMet => "quorum NOT reached",
                    _ => "quorum reached",
                };
                let problems: Vec<String> = witnesses
                    .iter()
                    .zip(self.policy.witnesses())
                    .filter_map(|(p, w)| {
                        p.as_ref()
                            .map(|p| format!("{}: {p}", String::from_utf8_lossy(&w.name)))
                    })
                    .collect();
                if problems.is_empty() {
                    format!("witnesses of {group}: {quorum}")
                } else {
                    format!("witnesses of {group}: {quorum} ({})", problems.join("; "))
                }
            })
            .collect()
    }

    /// Per group, whether a quorum cosigned its latest checkpoint
    /// submitted (for `/metrics`).
    pub fn quorum_reached(&self) -> Vec<(String, bool)> {
        let status = self.status.lock().expect("status lock is never poisoned");
        status
            .iter()
            .map(|(group, witnesses)| {
                let times: Vec<Option<u64>> = witnesses
                    .iter()
                    .map(|problem| problem.is_none().then_some(1))
                    .collect();
                let reached = !matches!(self.policy.quorum_time(&times), QuorumTime::NotMet);
                (group.clone(), reached)
            })
            .collect()
    }

    fn set_status(&self, group: &str, witness: usize, problem: Option<String>) {
        let mut status = self.status.lock().expect("status lock is never poisoned");
        let entry = status
            .entry(group.to_owned())
            .or_insert_with(|| vec![Some("not asked yet".into()); self.policy.witnesses().len()]);
        entry[witness] = problem;
    }
}

/// Runs forever: submits each log's new checkpoints to every witness.
pub async fn run(state: Arc<AppState>, witnessing: Arc<Witnessing>) {
    let mut cosigned: HashMap<(usize, String), u64> = HashMap::new();
    // Per group: the size last considered for a `cosigned-checkpoint` entry.
    let mut recorded: HashMap<String, u64> = HashMap::new();
    let mut interval = tokio::time::interval(TICK);
    loop {
        interval.tick().await;
        let heads = match state.store.heads().await {
            Ok(heads) => heads,
            Err(e) => {
                tracing::warn!(error = %e, "witnessing: cannot read the logs' heads");
                continue;
            }
        };
        let mut tasks = tokio::task::JoinSet::new();
        for head in &heads {
            for index in 0..witnessing.policy.witnesses().len() {
                let key = (index, head.group.clone());
                if cosigned.get(&key) == Some(&head.size) {
                    continue;
                }
                let (state, witnessing) = (Arc::clone(&state), Arc::clone(&witnessing));
                let head = head.clone();
                tasks.spawn(async move {
                    let result = submit(&state, &witnessing, index, &head).await;
                    let problem = result.as_ref().err().cloned();
                    super::metrics::global().witness_request(
                        &String::from_utf8_lossy(&witnessing.policy.witnesses()[index].name),
                        problem.is_none(),
                    );
                    witnessing.set_status(&head.group, index, problem.clone());
                    if let Some(problem) = problem {
                        tracing::warn!(group = %head.group, witness = index, %problem, "witness did not cosign");
                    }
                    (key_of(index, &head.group), head.size, result.is_ok())
                });
            }
        }
        while let Some(done) = tasks.join_next().await {
            if let Ok((key, size, true)) = done {
                cosigned.insert(key, size);
            }
        }
        for head in &heads {
            if recorded.get(&head.group) == Some(&head.size) {
                continue;
            }
            match record(&state, &witnessing, head).await {
                Ok(done) => {
                    if done {
                        recorded.insert(head.group.clone(), head.size);
                    }
                }
                Err(e) => {
                    tracing::warn!(group = %head.group, error = %e, "witnessing: cannot log the cosigned checkpoint");
                }
            }
        }
    }
}

/// Logs the head's checkpoint with its cosignatures as a
/// `cosigned-checkpoint` entry once the policy's quorum has cosigned it
/// (SPEC section 10: the evidence is itself in the tree). `Ok(false)`:
/// no quorum yet, try again later; `Ok(true)`: logged, or nothing to log
/// (the head is the last such entry's own tree).
async fn record(
    state: &AppState,
    witnessing: &Witnessing,
    head: &crate::store::LogHead,
) -> Result<bool, String> {
    if !witnessing.policy.requires_cosignatures() || head.size == 0 {
        return Ok(true);
    }
    let mut note = head.checkpoint.clone();
    let lines = state
        .store
        .cosignatures_at(&head.group, head.size)
        .await
        .map_err(|e| e.to_string())?;
    for line in lines {
        note.extend_from_slice(line.line.as_bytes());
    }
    let times = witnessing
        .policy
        .cosigned_times(&note)
        .map_err(|e| e.to_string())?;
    if !matches!(witnessing.policy.quorum_time(&times), QuorumTime::Met(_)) {
        return Ok(false);
    }
    let log = state.log(&head.group).await.map_err(|e| e.to_string())?;
    let record = CosignedRecord {
        size: head.size,
        note,
    };
    match super::commands::witnessed::record(&log, record).await {
        Ok(appended) => {
            tracing::info!(group = %head.group, size = head.size, index = appended.index, "logged a cosigned checkpoint");
            Ok(true)
        }
        Err(super::commands::CommandError::Log(super::sequencer::AppendError::Refused(
            refused,
        ))) => {
            tracing::debug!(group = %head.group, size = head.size, code = refused.code, "cosigned checkpoint not logged");
            Ok(true)
        }
        Err(e) => Err(e.to_string()),
    }
}

fn key_of(index: usize, group: &str) -> (usize, String) {
    (index, group.to_owned())
}

/// Submits a log's latest checkpoint to one witness, resynchronising once
/// on 409, and keeps the verified cosignature.
async fn submit(
    state: &AppState,
    witnessing: &Witnessing,
    index: usize,
    head: &crate::store::LogHead,
) -> Result<(), String> {
    let witness = &witnessing.policy.witnesses()[index];
    let url = witness
        .url
        .as_ref()
        .map(|u| String::from_utf8_lossy(u).trim_end_matches('/').to_owned())
        .ok_or("no URL in the policy")?;
    let checkpoint =
        String::from_utf8(head.checkpoint.clone()).map_err(|_| "the checkpoint is not UTF-8")?;
    let key = (index, head.group.clone());
    for _ in 0..2 {
        let old = witnessing
            .known
            .lock()
            .expect("known lock is never poisoned")
            .get(&key)
            .copied()
            .unwrap_or(0);
        if old > head.size {
            return Err(format!(
                "the witness has size {old}, larger than the log's {}: refused (was the log rolled back?)",
                head.size
            ));
        }
        let proof = if old == 0 || old == head.size {
            vec![]
        } else {
            state
                .store
                .with_hashes(&head.group, |reader| {
                    consistency_proof(TreeSize::new(old), TreeSize::new(head.size), reader)
                })
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?
        };
        let body = AddCheckpoint {
            old: TreeSize::new(old),
            proof,
            checkpoint: checkpoint.clone(),
        }
        .encode();
        let answer = http_client::send(
            &format!("{url}{ADD_CHECKPOINT_PATH}"),
            Some(body),
            REQUEST_TIMEOUT,
            MAX_ANSWER,
        )
        .await
        .map_err(|e| format!("unreachable: {e}"))?;
        match answer.status {
            200 => {}
            409 => {
                let size = parse_conflict(&answer.body).ok_or("409 without a valid size")?;
                witnessing
                    .known
                    .lock()
                    .expect("known lock is never poisoned")
                    .insert(key.clone(), size.get());
                continue;
            }
            status => {
                let text = String::from_utf8_lossy(&answer.body);
                return Err(format!("refused with {status}: {}", text.trim()));
            }
        }
        let lines =
            String::from_utf8(answer.body).map_err(|_| "the answer is not UTF-8".to_owned())?;
        let note = Note::parse(
            format!("{checkpoint}{lines}").as_bytes(),
            Limits::CHECKPOINT,
        )
        .map_err(|e| format!("the answer: {e}"))?;
        let line = witness
            .key
            .find(note.signatures())
            .ok_or("the answer holds no cosignature of the witness's key")?;
        let timestamp = witness
            .key
            .verify(note.text(), line.signature())
            .map_err(|e| e.to_string())?;
        let now = state.clock.now();
        let now_secs = u64::try_from(now.unix_seconds()).unwrap_or(0);
        if timestamp > now_secs {
            return Err(format!(
                "the cosignature's time {timestamp} is in the future (now {now_secs})"
            ));
        }
        if now_secs - timestamp > MAX_COSIGNATURE_AGE {
            return Err(format!(
                "the cosignature's time {timestamp} is more than {MAX_COSIGNATURE_AGE} s old"
            ));
        }
        let stored = StoredCosignature {
            witness: witness.key.encode(),
            cosigned_at: timestamp,
            line: line.to_line(),
        };
        state
            .store
            .add_cosignature(&head.group, head.size, &stored, &now.to_rfc3339_micros())
            .await
            .map_err(|e| format!("cannot keep the cosignature: {e}"))?;
        witnessing
            .known
            .lock()
            .expect("known lock is never poisoned")
            .insert(key, head.size);
        return Ok(());
    }
    Err("the witness kept answering 409".into())
}
