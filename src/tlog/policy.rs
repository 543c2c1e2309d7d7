//! C2SP transparency log policy files (`tlog-policy`): which logs are
//! trusted, which witnesses exist, and the quorum of witness cosignatures a
//! checkpoint needs.
//!
//! [`Policy::parse`] is strict: it refuses anything the format does not
//! allow. [`Policy::check_quorum`] verifies Ed25519 `cosignature/v1`
//! cosignatures (C2SP tlog-cosignature, signature type 0x04) and evaluates
//! the groups bottom-up; ML-DSA-44 witnesses (type 0x06) are refused when
//! the policy is parsed, since this crate cannot verify them.

use super::cosignature::CosignatureError;
pub use super::cosignature::WitnessKey;
use crate::contexts::ML_DSA_44_COSIGNATURE_TYPE as ML_DSA_44_TYPE;
use crate::note::{KeyError, KeyId, KeyName, Limits, Note, NoteError, Verified, VerifierKey};

/// The most logs, witnesses or groups (each) a policy may define; the
/// specification recommends supporting at least 32.
pub const MAX_DEFINITIONS: usize = 256;

/// Why a policy file, or a checkpoint checked against one, is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// A line of the policy file is refused.
    #[error("line {line}: {problem}")]
    Line {
        /// The 1-based line number.
        line: usize,
        /// What is wrong with it.
        problem: LineProblem,
    },
    /// The file has no `quorum` line.
    #[error("the policy has no quorum line")]
    MissingQuorum,
    /// The checkpoint is not a well-formed signed note, or (for
    /// [`Policy::verify_checkpoint`]) not signed by a listed log.
    #[error("the checkpoint: {0}")]
    Checkpoint(NoteError),
    /// A cosignature by a listed witness (its key name and id match) does
    /// not verify; the whole checkpoint is refused (signed-note, "Signatures").
    #[error("the cosignature by {name} (key id {id}) does not verify: {problem}")]
    BadCosignature {
        /// The witness key name.
        name: KeyName,
        /// The witness key id.
        id: KeyId,
        /// Why it does not verify.
        problem: CosignatureError,
    },
    /// The valid cosignatures do not satisfy the quorum.
    #[error("the checkpoint's cosignatures do not satisfy the policy's quorum")]
    QuorumNotMet,
}

/// What is wrong with one line of a policy file. Names are shown lossily
/// decoded (they are opaque octets).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineProblem {
    /// An octet outside 0x09, 0x0A, 0x20-0x7E and 0x80-0xFF.
    #[error("octet 0x{0:02x} is not allowed in a policy file")]
    BadOctet(u8),
    /// The first item is not `log`, `witness`, `group` or `quorum`.
    #[error("unknown keyword {0:?}")]
    UnknownKeyword(String),
    /// The line has the wrong number of items; holds the expected form.
    #[error("expected `{0}`")]
    Syntax(&'static str),
    /// A vkey is refused; the first field is `log` or `witness`.
    #[error("invalid {0} key: {1}")]
    Key(&'static str, KeyError),
    /// A vkey is not UTF-8.
    #[error("the key is not valid UTF-8")]
    KeyNotUtf8,
    /// An ML-DSA-44 witness key (type 0x06), which we cannot verify.
    #[error("ML-DSA-44 witness keys (type 0x06) are not supported")]
    UnsupportedWitnessType,
    /// A witness key of a signature type other than the cosignature's:
    /// witnesses cosign with type 0x04 (C2SP tlog-cosignature), so a note
    /// key (type 0x01, what [`KeyError::SignatureType`] asks of a log key)
    /// is the usual mistake here, and that error's wording would mislead.
    #[error(
        "invalid witness key: signature type 0x{0:02x} given; \
         a witness key is an Ed25519 cosignature key of type 0x04 (C2SP tlog-cosignature)"
    )]
    WitnessKeyType(u8),
    /// The log's public key is already listed on the line given.
    #[error("duplicate log: the same public key is listed on line {0}")]
    DuplicateLog(usize),
    /// The witness's public key (or key name and id) is already listed on
    /// the line given.
    #[error("duplicate witness: the same public key is listed on line {0}")]
    DuplicateWitness(usize),
    /// The witness or group name is already defined, or is `none`.
    #[error("the name {0:?} is already defined")]
    NameTaken(String),
    /// The name is not defined on a preceding line.
    #[error("the name {0:?} is not defined on a preceding line")]
    Undefined(String),
    /// `none` listed as a group member.
    #[error("`none` cannot be a group member")]
    NoneMember,
    /// The name is already listed as a member (of this or an earlier group).
    #[error("{0:?} is already listed as a group member")]
    MemberReused(String),
    /// The threshold is not `all`, `any` or a decimal k with 1 <= k <= n
    /// (the second field).
    #[error("threshold {0:?} must be all, any or a decimal k with 1 <= k <= {1}")]
    Threshold(String, usize),
    /// A second `quorum` line; the first is on the line given.
    #[error("a second quorum line (the first is on line {0})")]
    SecondQuorum(usize),
    /// More than [`MAX_DEFINITIONS`] definitions of one kind.
    #[error("more than {MAX_DEFINITIONS} {0} definitions")]
    TooMany(&'static str),
}

/// A `witness <name> <vkey> [<url>]` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Witness {
    /// The policy-local name (opaque octets).
    pub name: Vec<u8>,
    /// The cosigner key.
    pub key: WitnessKey,
    /// The URL, if given (opaque octets).
    pub url: Option<Vec<u8>>,
}

/// A group member, or what the quorum names: an index into
/// [`Policy::witnesses`] or [`Policy::groups`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Member {
    /// A witness.
    Witness(usize),
    /// A group (always defined before any group that lists it).
    Group(usize),
}

/// A `group <name> all|any|<k> <name>...` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    /// The group's name (opaque octets).
    pub name: Vec<u8>,
    /// k: how many members must have witnessed a checkpoint.
    pub threshold: usize,
    /// The members, in the order listed.
    pub members: Vec<Member>,
}

/// The quorum: `none`, or a witness or group that must witness.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quorum {
    /// `quorum none`: no cosignature needed.
    None,
    /// A witness or group.
    Of(Member),
}

/// When a policy's quorum was satisfied ([`Policy::quorum_time`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuorumTime {
    /// `quorum none`: no cosignature is needed.
    NotRequired,
    /// The earliest time (POSIX seconds) by which the quorum had cosigned.
    Met(u64),
    /// Too few witnesses cosigned.
    NotMet,
}

/// A parsed transparency log policy (C2SP tlog-policy).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// The log keys, in file order.
    logs: Vec<VerifierKey>,
    /// The log URLs, parallel to `logs`.
    log_urls: Vec<Option<Vec<u8>>>,
    /// The witnesses, in file order.
    witnesses: Vec<Witness>,
    /// The groups, in file order.
    groups: Vec<Group>,
    /// The quorum.
    quorum: Quorum,
}

/// The parse so far, with where things were defined.
#[derive(Default)]
struct Parser {
    logs: Vec<(VerifierKey, Option<Vec<u8>>, usize)>,
    witnesses: Vec<(Witness, usize)>,
    groups: Vec<Group>,
    names: Vec<(Vec<u8>, Member)>,
    used_as_member: Vec<Member>,
    quorum: Option<(Quorum, usize)>,
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

impl Parser {
    fn lookup(&self, name: &[u8]) -> Result<Member, LineProblem> {
        let found = self.names.iter().find(|(n, _)| n == name);
        found
            .map(|(_, m)| *m)
            .ok_or_else(|| LineProblem::Undefined(lossy(name)))
    }

    fn define(&mut self, name: &[u8], member: Member) -> Result<(), LineProblem> {
        if name == b"none" || self.lookup(name).is_ok() {
            return Err(LineProblem::NameTaken(lossy(name)));
        }
        self.names.push((name.to_vec(), member));
        Ok(())
    }

    /// Takes one line's items (not a blank or comment line).
    fn line(&mut self, line: usize, items: &[&[u8]]) -> Result<(), LineProblem> {
        use LineProblem::*;
        let utf8 = |text: &[u8]| String::from_utf8(text.to_vec()).map_err(|_| KeyNotUtf8);
        match items {
            [b"log", vkey, url @ ..] if url.len() <= 1 => {
                let key = VerifierKey::parse(&utf8(vkey)?).map_err(|e| Key("log", e))?;
                let same = |(k, _, _): &&(VerifierKey, _, _)| k.public_key() == key.public_key();
                if let Some((_, _, first)) = self.logs.iter().find(same) {
                    return Err(DuplicateLog(*first));
                }
                if self.logs.len() == MAX_DEFINITIONS {
                    return Err(TooMany("log"));
                }
                self.logs.push((key, url.first().map(|u| u.to_vec()), line));
            }
            [b"log", ..] => return Err(Syntax("log <vkey> [<url>]")),
            [b"witness", name, vkey, url @ ..] if url.len() <= 1 => {
                let key = WitnessKey::parse(&utf8(vkey)?).map_err(|e| match e {
                    KeyError::SignatureType(ML_DSA_44_TYPE) => UnsupportedWitnessType,
                    KeyError::SignatureType(other) => WitnessKeyType(other),
                    e => Key("witness", e),
                })?;
                let same = |(w, _): &&(Witness, usize)| {
                    w.key.public_key() == key.public_key()
                        || (w.key.name() == key.name() && w.key.id() == key.id())
                };
                if let Some((_, first)) = self.witnesses.iter().find(same) {
                    return Err(DuplicateWitness(*first));
                }
                if self.witnesses.len() == MAX_DEFINITIONS {
                    return Err(TooMany("witness"));
                }
                self.define(name, Member::Witness(self.witnesses.len()))?;
                let url = url.first().map(|u| u.to_vec());
                let witness = Witness {
                    name: name.to_vec(),
                    key,
                    url,
                };
                self.witnesses.push((witness, line));
            }
            [b"witness", ..] => return Err(Syntax("witness <name> <vkey> [<url>]")),
            [b"group", name, threshold, members @ ..] if !members.is_empty() => {
                let n = members.len();
                let threshold = match *threshold {
                    b"all" => Some(n),
                    b"any" => Some(1),
                    digits if digits.iter().all(u8::is_ascii_digit) => {
                        // ASCII digits are UTF-8; too many of them overflow.
                        std::str::from_utf8(digits)
                            .ok()
                            .and_then(|d| d.parse().ok())
                    }
                    _ => None,
                }
                .filter(|k| (1..=n).contains(k))
                .ok_or_else(|| Threshold(lossy(threshold), n))?;
                let mut resolved = Vec::with_capacity(n);
                for member in members {
                    if *member == b"none" {
                        return Err(NoneMember);
                    }
                    let m = self.lookup(member)?;
                    if self.used_as_member.contains(&m) {
                        return Err(MemberReused(lossy(member)));
                    }
                    self.used_as_member.push(m);
                    resolved.push(m);
                }
                if self.groups.len() == MAX_DEFINITIONS {
                    return Err(TooMany("group"));
                }
                self.define(name, Member::Group(self.groups.len()))?;
                let name = name.to_vec();
                self.groups.push(Group {
                    name,
                    threshold,
                    members: resolved,
                });
            }
            [b"group", ..] => return Err(Syntax("group <name> all|any|<k> <name>...")),
            [b"quorum", name] => {
                if let Some((_, first)) = self.quorum {
                    return Err(SecondQuorum(first));
                }
                let quorum = match *name {
                    b"none" => Quorum::None,
                    name => Quorum::Of(self.lookup(name)?),
                };
                self.quorum = Some((quorum, line));
            }
            [b"quorum", ..] => return Err(Syntax("quorum <name>")),
            [keyword, ..] => return Err(UnknownKeyword(lossy(keyword))),
            [] => {}
        }
        Ok(())
    }
}

impl Policy {
    /// Parses a policy file strictly (C2SP tlog-policy). Lines end with
    /// `\n` (a last line without one is accepted); items are separated by
    /// runs of spaces and tabs; blank and `#` comment lines are ignored.
    pub fn parse(bytes: &[u8]) -> Result<Policy, PolicyError> {
        let mut parser = Parser::default();
        for (index, text) in bytes.split(|&b| b == b'\n').enumerate() {
            let line = index + 1;
            let at = |problem| PolicyError::Line { line, problem };
            let allowed = |b: &u8| matches!(b, 0x09 | 0x20..=0x7e | 0x80..=0xff);
            if let Some(&octet) = text.iter().find(|b| !allowed(b)) {
                return Err(at(LineProblem::BadOctet(octet)));
            }
            let items: Vec<&[u8]> = text
                .split(|&b| b == b' ' || b == b'\t')
                .filter(|item| !item.is_empty())
                .collect();
            if items.first().is_some_and(|first| first.starts_with(b"#")) {
                continue;
            }
            parser.line(line, &items).map_err(at)?;
        }
        let (quorum, _) = parser.quorum.ok_or(PolicyError::MissingQuorum)?;
        let (logs, log_urls) = parser.logs.into_iter().map(|(k, u, _)| (k, u)).unzip();
        Ok(Policy {
            logs,
            log_urls,
            witnesses: parser.witnesses.into_iter().map(|(w, _)| w).collect(),
            groups: parser.groups,
            quorum,
        })
    }

    /// The trusted log keys, in file order (give them to [`Note::verify`]
    /// to check a checkpoint's log signature).
    pub fn logs(&self) -> &[VerifierKey] {
        &self.logs
    }

    /// The URL of the log at `index` in [`Policy::logs`], if one was given.
    pub fn log_url(&self, index: usize) -> Option<&[u8]> {
        self.log_urls.get(index)?.as_deref()
    }

    /// The first listed log key whose name is `origin` (tlog-policy: a
    /// log's key name is its origin line).
    pub fn log_for_origin(&self, origin: &str) -> Option<&VerifierKey> {
        self.logs.iter().find(|k| k.name().as_str() == origin)
    }

    /// The witnesses, in file order.
    pub fn witnesses(&self) -> &[Witness] {
        &self.witnesses
    }

    /// The groups, in file order.
    pub fn groups(&self) -> &[Group] {
        &self.groups
    }

    /// The quorum.
    pub fn quorum(&self) -> Quorum {
        self.quorum
    }

    /// The policy's witnesses, groups and quorum as a tlog-policy file of
    /// its own: `witness <name> <vkey>` lines (without URLs), `group`
    /// lines with numeric thresholds, then the `quorum` line; no `log`
    /// line. It parses back to the same witnesses, groups and quorum. The
    /// server serves it to the receipt check page, which verifies
    /// cosignatures with it.
    pub fn witness_text(&self) -> Vec<u8> {
        let name_of = |m: &Member| match *m {
            Member::Witness(i) => &self.witnesses[i].name,
            Member::Group(i) => &self.groups[i].name,
        };
        let mut out = Vec::new();
        for w in &self.witnesses {
            out.extend_from_slice(b"witness ");
            out.extend_from_slice(&w.name);
            out.extend_from_slice(format!(" {}\n", w.key.encode()).as_bytes());
        }
        for g in &self.groups {
            out.extend_from_slice(b"group ");
            out.extend_from_slice(&g.name);
            out.extend_from_slice(format!(" {}", g.threshold).as_bytes());
            for m in &g.members {
                out.push(b' ');
                out.extend_from_slice(name_of(m));
            }
            out.push(b'\n');
        }
        out.extend_from_slice(b"quorum ");
        match &self.quorum {
            Quorum::None => out.extend_from_slice(b"none"),
            Quorum::Of(m) => out.extend_from_slice(name_of(m)),
        }
        out.push(b'\n');
        out
    }

    /// Whether checkpoints need cosignatures (the quorum is not `none`).
    pub fn requires_cosignatures(&self) -> bool {
        self.quorum != Quorum::None
    }

    /// The timestamp of each witness's cosignature on a signed checkpoint,
    /// parallel to [`Policy::witnesses`] (`None`: no line of that witness).
    /// A signature line whose key name and id are a witness's must be a
    /// valid Ed25519 `cosignature/v1`, or the whole checkpoint is refused
    /// (signed-note, "Signatures"); other lines are ignored. The log's
    /// signature is not checked here.
    pub fn cosigned_times(
        &self,
        signed_checkpoint: &[u8],
    ) -> Result<Vec<Option<u64>>, PolicyError> {
        let note =
            Note::parse(signed_checkpoint, Limits::CHECKPOINT).map_err(PolicyError::Checkpoint)?;
        self.witnesses
            .iter()
            .map(|witness| {
                // Note::parse refuses two lines with one name and id.
                let Some(line) = witness.key.find(note.signatures()) else {
                    return Ok(None);
                };
                witness
                    .key
                    .verify(note.text(), line.signature())
                    .map(Some)
                    .map_err(|problem| PolicyError::BadCosignature {
                        name: witness.key.name().clone(),
                        id: witness.key.id(),
                        problem,
                    })
            })
            .collect()
    }

    /// When the quorum was first satisfied, given each witness's (earliest)
    /// cosignature time, parallel to [`Policy::witnesses`]: a witness
    /// witnesses at its time, a group of threshold k at the k-th smallest
    /// time of its members (never, if fewer than k ever witness). For a
    /// single k-of-n group this is the k-th smallest timestamp.
    pub fn quorum_time(&self, times: &[Option<u64>]) -> QuorumTime {
        let Quorum::Of(quorum) = self.quorum else {
            return QuorumTime::NotRequired;
        };
        // Groups only list earlier groups, so one pass in order suffices.
        let mut group_times: Vec<Option<u64>> = Vec::with_capacity(self.groups.len());
        let time_of = |m: &Member, group_times: &[Option<u64>]| -> Option<u64> {
            match *m {
                Member::Witness(i) => times.get(i).copied().flatten(),
                Member::Group(i) => group_times[i],
            }
        };
        for group in &self.groups {
            let mut member_times: Vec<u64> = group
                .members
                .iter()
                .filter_map(|m| time_of(m, &group_times))
                .collect();
            member_times.sort_unstable();
            group_times.push(member_times.get(group.threshold - 1).copied());
        }
        match time_of(&quorum, &group_times) {
            Some(time) => QuorumTime::Met(time),
            None => QuorumTime::NotMet,
        }
    }

    /// Checks that the cosignatures of a signed checkpoint satisfy the
    /// quorum (always `Ok` for `quorum none`). It checks neither the log's
    /// signature (see [`Policy::verify_checkpoint`]) nor whether timestamps
    /// lie in the future; see [`Policy::cosigned_times`] for the lines.
    pub fn check_quorum(&self, signed_checkpoint: &[u8]) -> Result<(), PolicyError> {
        if !self.requires_cosignatures() {
            return Ok(());
        }
        let times = self.cosigned_times(signed_checkpoint)?;
        match self.quorum_time(&times) {
            QuorumTime::NotMet => Err(PolicyError::QuorumNotMet),
            QuorumTime::NotRequired | QuorumTime::Met(_) => Ok(()),
        }
    }

    /// Verifies a signed checkpoint: signed by one of the policy's logs
    /// (strictly, as [`Note::open`] does) and cosigned per the quorum.
    pub fn verify_checkpoint(&self, signed: &[u8]) -> Result<Verified<Note>, PolicyError> {
        let note =
            Note::open(signed, Limits::CHECKPOINT, &self.logs).map_err(PolicyError::Checkpoint)?;
        self.check_quorum(signed)?;
        Ok(note)
    }
}

#[cfg(test)]
mod tests;
