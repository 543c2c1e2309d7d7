//! Signed votes (SPEC section 4): the exact text of a vote note, its
//! parsing and signing, and the vote entry that commits to it.
//!
//! ```text
//! scrutineer/vote/v1
//! origin <log origin>
//! ballot <ballot id>
//! question <question id>
//! organisation <organisation id>
//! choice <choice>
//! attachment sha256:<64 lowercase hex>      (optional)
//! nonce <16 random bytes, standard padded base64>
//!
//! — <person id> <signature>
//! ```
//!
//! Parsing decides only `malformed-note`; which key verifies the note (the
//! person's, registered and not revoked at the time of voting) is for the
//! caller to find, after the `wrong-origin`, `unknown-ballot` and
//! `token-mismatch` checks that SPEC section 4 puts first.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::contexts::VOTE_HEADER;
use crate::entry::Entry;
use crate::id::{BallotId, OrgId, PersonId, QuestionId};
use crate::note::key::{KeyId, SigningKey, VerifierKey};
use crate::note::signed::{Limits, Note, NoteError, Verified};
use crate::time::Timestamp;
use crate::tlog::Hash;
use crate::tlog::checkpoint::Origin;

/// The entry type of a vote's commitment.
pub const VOTE_ENTRY_KIND: &str = "vote";

/// The number of random bytes in a nonce.
pub const NONCE_LEN: usize = 16;

/// Why a vote note is refused as `malformed-note`, or its signature as
/// `bad-signature`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VoteError {
    /// Not a well-formed vote note (SPEC section 4 refusal
    /// `malformed-note`); the text says what is wrong.
    #[error("malformed-note: {0}")]
    Malformed(String),
    /// The signature does not verify under the given key (`bad-signature`).
    #[error("bad-signature: the vote's signature does not verify under the person's key")]
    BadSignature,
}

impl VoteError {
    /// The SPEC section 4 refusal code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "malformed-note",
            Self::BadSignature => "bad-signature",
        }
    }
}

/// A choice word as it appears in a note: lowercase letters and `-`. Whether
/// the ballot allows it is the rules' question (`bad-choice`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChoiceWord(String);

impl ChoiceWord {
    /// Checks the syntax: 1 to 32 lowercase ASCII letters and `-`, starting
    /// with a letter.
    pub fn new(text: &str) -> Result<Self, VoteError> {
        let ok = !text.is_empty()
            && text.len() <= 32
            && text.starts_with(|c: char| c.is_ascii_lowercase())
            && text.chars().all(|c| c.is_ascii_lowercase() || c == '-');
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(VoteError::Malformed(format!(
                "choice {text:?} is not a choice word"
            )))
        }
    }

    /// The word.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a vote says: the text of the note, before signing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoteNote {
    /// The log the vote is for (binds the vote to one group and server).
    pub origin: Origin,
    /// The ballot.
    pub ballot: BallotId,
    /// The question (a draft Recommendation in a consultation).
    pub question: QuestionId,
    /// The organisation the vote is cast for.
    pub organisation: OrgId,
    /// The choice.
    pub choice: ChoiceWord,
    /// The SHA-256 of an attached document (ITU-T comments or reasons).
    pub attachment: Option<Hash>,
    /// 16 random bytes that make every vote note unique.
    pub nonce: [u8; NONCE_LEN],
}

impl VoteNote {
    /// The note's text, exactly as SPEC section 4 lays it out.
    pub fn text(&self) -> String {
        let mut text = format!(
            "{VOTE_HEADER}\norigin {}\nballot {}\nquestion {}\norganisation {}\nchoice {}\n",
            self.origin.as_str(),
            self.ballot,
            self.question,
            self.organisation,
            self.choice.as_str()
        );
        if let Some(attachment) = &self.attachment {
            text.push_str(&format!("attachment sha256:{}\n", attachment.to_hex()));
        }
        text.push_str(&format!("nonce {}\n", STANDARD.encode(self.nonce)));
        text
    }

    /// Signs the note with a person's key (whose name is the person id).
    pub fn sign(&self, key: &SigningKey) -> Result<Vec<u8>, VoteError> {
        Note::sign(&self.text(), &[key])
            .map(String::into_bytes)
            .map_err(|e| VoteError::Malformed(e.to_string()))
    }

    /// Parses the text of a note (without its signatures).
    fn parse_text(text: &str) -> Result<Self, VoteError> {
        let bad = |what: &str| VoteError::Malformed(what.to_owned());
        let mut lines = text.split_terminator('\n');
        if lines.next() != Some(VOTE_HEADER) {
            return Err(bad("the first line must be scrutineer/vote/v1"));
        }
        let mut field = |name: &str| -> Result<&str, VoteError> {
            lines
                .next()
                .and_then(|l| l.strip_prefix(name))
                .and_then(|l| l.strip_prefix(' '))
                .ok_or_else(|| VoteError::Malformed(format!("expected the line \"{name} …\"")))
        };
        let origin = Origin::new(field("origin")?).map_err(|e| bad(&format!("origin: {e}")))?;
        let ballot = BallotId::new(field("ballot")?).map_err(|e| bad(&format!("ballot: {e}")))?;
        let question =
            QuestionId::new(field("question")?).map_err(|e| bad(&format!("question: {e}")))?;
        let organisation =
            OrgId::new(field("organisation")?).map_err(|e| bad(&format!("organisation: {e}")))?;
        let choice = ChoiceWord::new(field("choice")?)?;
        // Then `attachment` (optional) and `nonce`, and nothing else.
        let rest: Vec<&str> = lines.collect();
        let (attachment, nonce_line) = match rest.as_slice() {
            [nonce] => (None, *nonce),
            [attachment, nonce] => {
                let hex = attachment
                    .strip_prefix("attachment sha256:")
                    .ok_or_else(|| {
                        bad("expected the line \"attachment sha256:<hex>\" or \"nonce …\"")
                    })?;
                let hash = Hash::from_hex(hex)
                    .map_err(|_| bad("the attachment must be 64 lowercase hexadecimal digits"))?;
                (Some(hash), *nonce)
            }
            _ => {
                return Err(bad(
                    "expected an optional attachment line, then the nonce line, then nothing",
                ));
            }
        };
        let nonce_text = nonce_line
            .strip_prefix("nonce ")
            .ok_or_else(|| bad("expected the line \"nonce …\""))?;
        let decoded = STANDARD
            .decode(nonce_text)
            .map_err(|_| bad("the nonce must be standard padded base64"))?;
        let nonce: [u8; NONCE_LEN] = decoded
            .try_into()
            .map_err(|_| bad("the nonce must be exactly 16 bytes"))?;
        if STANDARD.encode(nonce) != nonce_text {
            return Err(bad("the nonce's base64 is not canonical"));
        }
        Ok(Self {
            origin,
            ballot,
            question,
            organisation,
            choice,
            attachment,
            nonce,
        })
    }
}

/// A vote note as submitted: parsed, well formed, signed once, not yet
/// verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmittedVote {
    /// What the note says (unauthenticated until verified).
    pub vote: VoteNote,
    /// The person named by the signature line.
    pub person: PersonId,
    /// The key id of the signature line.
    pub key_id: KeyId,
    /// The exact bytes submitted, which the vote entry commits to.
    pub bytes: Vec<u8>,
    note: Note,
}

impl SubmittedVote {
    /// Parses a signed vote note: at most 8 KiB, a valid signed note with
    /// exactly one signature line whose key name is a person id, and a text
    /// of exactly the SPEC lines.
    pub fn parse(bytes: &[u8]) -> Result<Self, VoteError> {
        let note = Note::parse(bytes, Limits::VOTE)
            .map_err(|e: NoteError| VoteError::Malformed(e.to_string()))?;
        let [signature] = note.signatures() else {
            return Err(VoteError::Malformed(format!(
                "a vote carries exactly one signature, this one has {}",
                note.signatures().len()
            )));
        };
        let person = PersonId::new(signature.name().as_str())
            .map_err(|e| VoteError::Malformed(format!("the signer is not a person id: {e}")))?;
        let key_id = signature.id();
        let vote = VoteNote::parse_text(note.text())?;
        Ok(Self {
            vote,
            person,
            key_id,
            bytes: bytes.to_vec(),
            note,
        })
    }

    /// The SHA-256 of the note's bytes: what the vote entry commits to.
    pub fn commitment(&self) -> Hash {
        Hash::sha256(&self.bytes)
    }

    /// Verifies the signature with the person's registered key (strictly).
    pub fn verify(self, key: &VerifierKey) -> Result<Verified<Self>, VoteError> {
        let proof = self.check(key)?;
        proof.try_map(|()| Ok::<_, VoteError>(self))
    }

    /// [`SubmittedVote::verify`] by reference, for a caller that keeps the
    /// vote either way: whether it verifies.
    pub fn verifies_under(&self, key: &VerifierKey) -> bool {
        self.check(key).is_ok()
    }

    fn check(&self, key: &VerifierKey) -> Result<Verified<()>, VoteError> {
        if key.name().as_str() != self.person.as_str() || key.id() != self.key_id {
            return Err(VoteError::BadSignature);
        }
        self.note
            .vouch_for(std::slice::from_ref(key), ())
            .map_err(|_| VoteError::BadSignature)
    }
}

/// The vote entry of SPEC section 4: a commitment that names the ballot and
/// the SHA-256 of the signed note, and reveals neither organisation nor
/// choice.
pub fn vote_entry(time: Timestamp, ballot: &BallotId, note_bytes: &[u8]) -> Entry {
    Entry::new(VOTE_ENTRY_KIND, time)
        .header("ballot", ballot)
        .header(
            "note",
            format!("sha256:{}", Hash::sha256(note_bytes).to_hex()),
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::note::key::KeyName;

    fn sample() -> (VoteNote, SigningKey) {
        let key = SigningKey::from_seed(KeyName::new("alice").expect("name"), &[7u8; 32]);
        let vote = VoteNote {
            origin: Origin::new("vote.example.org/ETI").expect("origin"),
            ballot: BallotId::new("B1").expect("id"),
            question: QuestionId::new("main").expect("id"),
            organisation: OrgId::new("cadzow").expect("id"),
            choice: ChoiceWord::new("yes").expect("choice"),
            attachment: None,
            nonce: [1u8; 16],
        };
        (vote, key)
    }

    #[test]
    fn a_signed_vote_parses_back_and_verifies_only_under_its_key() {
        let (vote, key) = sample();
        let bytes = vote.sign(&key).expect("sign");
        let submitted = SubmittedVote::parse(&bytes).expect("parse");
        assert_eq!(submitted.vote, vote);
        assert_eq!(submitted.person.as_str(), "alice");
        assert_eq!(submitted.commitment(), Hash::sha256(&bytes));
        let other = SigningKey::from_seed(KeyName::new("alice").expect("name"), &[8u8; 32]);
        assert_eq!(
            submitted.clone().verify(&other.verifier_key()),
            Err(VoteError::BadSignature)
        );
        assert!(!submitted.verifies_under(&other.verifier_key()));
        assert!(submitted.verifies_under(&key.verifier_key()));
        // The same signature under another name's key does not verify.
        let bob = SigningKey::from_seed(KeyName::new("bob").expect("name"), &[7u8; 32]);
        assert!(!submitted.verifies_under(&bob.verifier_key()));
        // A changed text does not verify under the right key.
        let tampered = String::from_utf8(bytes.clone())
            .expect("UTF-8")
            .replace("choice yes", "choice no");
        let tampered = SubmittedVote::parse(tampered.as_bytes()).expect("parse");
        assert!(!tampered.verifies_under(&key.verifier_key()));
        assert!(submitted.verify(&key.verifier_key()).is_ok());
    }

    #[test]
    fn malformed_notes_are_refused_with_the_reason() {
        let (vote, key) = sample();
        let good = vote.text();
        let variants = [
            good.replace("scrutineer/vote/v1", "scrutineer/vote/v2"),
            good.replace("question main\n", ""),
            good.replace("choice yes", "choice YES"),
            good.replace(
                "nonce AQEBAQEBAQEBAQEBAQEBAQ==",
                "nonce AQEBAQEBAQEBAQEBAQEBAQ",
            ),
            good.replace(
                "nonce AQEBAQEBAQEBAQEBAQEBAQ==",
                "nonce AQEBAQEBAQEBAQEBAQEBAR==",
            ),
            good.replace(
                "nonce AQEBAQEBAQEBAQEBAQEBAQ==",
                "nonce AQEBAQEBAQEBAQEBAQE=",
            ),
            good.replace("organisation cadzow\n", "organisation cadzow\nextra x\n"),
            good.replace("choice yes\n", "choice yes\nattachment sha256:ABC\n"),
            format!("{good}trailing line\n"),
        ];
        for text in variants {
            let signed = Note::sign(&text, &[&key]).expect("sign any text");
            let err = SubmittedVote::parse(signed.as_bytes()).expect_err(&text);
            assert_eq!(err.code(), "malformed-note", "{text}");
        }
        // Two signatures, and an oversized note.
        let second = SigningKey::from_seed(KeyName::new("bob").expect("name"), &[9u8; 32]);
        let twice = Note::sign(&good, &[&key, &second]).expect("sign");
        assert!(SubmittedVote::parse(twice.as_bytes()).is_err());
        let mut big = vote.sign(&key).expect("sign");
        big.extend(std::iter::repeat_n(b'x', 9000));
        assert!(SubmittedVote::parse(&big).is_err());
    }
}
