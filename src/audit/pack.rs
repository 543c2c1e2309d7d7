//! `documents.pack`: the documents of an audit bundle in one file
//! (`docs/formats.md` section 9), so that a verifier reads a million
//! small vote notes in a few hundred large sequential reads instead of
//! opening a million files.
//!
//! The file is [`PACK_MAGIC`] followed by frames, each a 4-byte big-endian
//! length of at most [`DOCUMENT_MAX_BYTES`] and then that many bytes: one
//! document. Nothing else: no padding, no index, no trailer; the file ends
//! where its last frame ends. The file names no document: a document's
//! name is the SHA-256 of its bytes, computed by the reader. A document is
//! packed once. So a list of distinct documents has exactly one encoding,
//! and [`encode_pack`] of what [`PackReader`] reads is the file itself.

use std::collections::HashMap;
use std::io::{self, Read};

use crate::tlog::Hash;

/// The pack's name in a bundle.
pub const PACK_FILE: &str = "documents.pack";

/// The first bytes of a pack: what it is, and the version of its framing.
pub const PACK_MAGIC: &[u8] = b"scrutineer/documents/v1\n";

/// The longest document a frame may hold: 64 MiB, far above any document
/// stored beside a log (a vote note is at most 8 KiB, an attachment 64 KiB,
/// a roll about 200 bytes per organisation), and a bound on what a reader
/// holds for one frame whatever the file claims.
pub const DOCUMENT_MAX_BYTES: usize = 64 << 20;

/// The bytes of a frame's length.
const LENGTH_BYTES: usize = 4;

/// The size of the reads: large, so that the pack of a million-vote
/// ballot (about 300 MB) is read in fewer than a hundred system calls.
const READ_BYTES: usize = 4 << 20;

/// The size of the first read, doubled after each read that fills the room
/// offered, up to [`READ_BYTES`]: a small pack is not given a large buffer.
const FIRST_READ_BYTES: usize = 16 << 10;

/// Why a pack cannot be written or read: the byte offset in the file, and
/// what is wrong there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{PACK_FILE} at byte {offset}: {fault}")]
pub struct PackError {
    /// Where in the file: the start of the frame at fault (0 for the
    /// magic).
    pub offset: u64,
    /// What is wrong.
    pub fault: PackFault,
}

/// What is wrong with a pack, at [`PackError::offset`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PackFault {
    /// The file does not begin with [`PACK_MAGIC`].
    #[error(
        "the file does not begin with the line \"scrutineer/documents/v1\": not a documents pack"
    )]
    Magic,
    /// A frame's length is more than [`DOCUMENT_MAX_BYTES`].
    #[error(
        "a frame of {length} bytes, more than the {DOCUMENT_MAX_BYTES} bytes a packed \
         document may have"
    )]
    TooLong {
        /// The length the frame gives (or, when writing, the document's).
        length: u64,
    },
    /// The file ends inside a frame: it was cut short, or bytes that are
    /// not a frame follow the last document.
    #[error(
        "the file ends inside a frame ({left} bytes left, the frame needs {needed}): the pack \
         is truncated or bytes follow its last document"
    )]
    Truncated {
        /// The bytes left in the file from the frame's start.
        left: u64,
        /// The bytes the frame needs (its length field, then its length).
        needed: u64,
    },
    /// A document is packed twice.
    #[error(
        "document {} again (first at byte {first}): a pack holds each document once",
        .sha256.to_hex()
    )]
    Duplicate {
        /// The document's SHA-256.
        sha256: Hash,
        /// The offset of its first frame.
        first: u64,
    },
    /// The file could not be read.
    #[error("cannot read the file: {0}")]
    Io(String),
}

/// One document read from a pack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packed {
    /// The offset of its frame in the file.
    pub offset: u64,
    /// The SHA-256 of its bytes (its name, computed by the reader).
    pub sha256: Hash,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// Encodes `documents`, in order, as a pack. Refuses a document longer
/// than [`DOCUMENT_MAX_BYTES`] or given twice (a writer drops duplicates
/// first): the reader would refuse the file.
pub fn encode_pack<'a>(
    documents: impl IntoIterator<Item = &'a [u8]>,
) -> Result<Vec<u8>, PackError> {
    let mut out = PACK_MAGIC.to_vec();
    let mut first: HashMap<Hash, u64> = HashMap::new();
    for document in documents {
        let offset = out.len() as u64;
        let fault = |fault| PackError { offset, fault };
        let length = u32::try_from(document.len())
            .ok()
            .filter(|&l| l as usize <= DOCUMENT_MAX_BYTES)
            .ok_or_else(|| {
                fault(PackFault::TooLong {
                    length: document.len() as u64,
                })
            })?;
        let sha256 = Hash::sha256(document);
        if let Some(&first) = first.get(&sha256) {
            return Err(fault(PackFault::Duplicate { sha256, first }));
        }
        first.insert(sha256, offset);
        out.extend_from_slice(&length.to_be_bytes());
        out.extend_from_slice(document);
    }
    Ok(out)
}

/// Reads a pack from `R` in large reads, one document at a time, in file
/// order; each document is named by the SHA-256 of its bytes. It stops at
/// the first fault, which it yields as its last item.
pub struct PackReader<R> {
    source: R,
    /// Bytes read and not yet taken: `buffer[start..end]` (the rest of
    /// the buffer is room for the next read).
    buffer: Vec<u8>,
    start: usize,
    end: usize,
    /// The file offset of `buffer[start]`.
    offset: u64,
    /// The size of the next read.
    read_size: usize,
    /// The source has ended.
    at_end: bool,
    /// The magic is checked.
    begun: bool,
    /// A fault was yielded: nothing follows it.
    done: bool,
    /// Each document read, to its position in file order: duplicates are
    /// found here, and the caller may keep it as its index.
    index: HashMap<Hash, usize>,
    /// The offset of each document read, in file order.
    offsets: Vec<u64>,
}

impl<R: Read> PackReader<R> {
    /// A reader of the pack `source` (a file, or a byte slice).
    pub fn new(source: R) -> Self {
        Self {
            source,
            buffer: Vec::new(),
            start: 0,
            end: 0,
            offset: 0,
            read_size: FIRST_READ_BYTES,
            at_end: false,
            begun: false,
            done: false,
            index: HashMap::new(),
            offsets: Vec::new(),
        }
    }

    /// Every document read so far, to its position in file order (0 for
    /// the first).
    pub fn into_index(self) -> HashMap<Hash, usize> {
        self.index
    }

    /// The bytes buffered and not taken.
    fn available(&self) -> usize {
        self.end - self.start
    }

    /// Reads until `n` bytes are buffered or the source ends; returns
    /// whether they are.
    fn fill(&mut self, n: usize) -> io::Result<bool> {
        while self.available() < n && !self.at_end {
            // Room for a full read: what is left (less than a frame) moves
            // to the front first, and the buffer grows only if that is not
            // enough, so it stays at about one read plus one frame, and a
            // frame is buffered only as far as the file really holds it
            // (whatever length it claims), read after read.
            if self.buffer.len() - self.end < self.read_size && self.start > 0 {
                self.buffer.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            let size = self.end + self.read_size;
            if self.buffer.len() < size {
                self.buffer.resize(size, 0);
            }
            let room = self.buffer.len() - self.end;
            let read = loop {
                match self.source.read(&mut self.buffer[self.end..]) {
                    Ok(read) => break read,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            };
            self.end += read;
            self.at_end = read == 0;
            if read == room {
                self.read_size = (self.read_size * 2).min(READ_BYTES);
            }
        }
        Ok(self.available() >= n)
    }

    /// Takes `n` buffered bytes.
    fn take(&mut self, n: usize) -> &[u8] {
        let taken = &self.buffer[self.start..self.start + n];
        self.start += n;
        self.offset += n as u64;
        taken
    }

    fn next_document(&mut self) -> Result<Option<Packed>, PackError> {
        let offset = self.offset;
        let fault = |fault| PackError { offset, fault };
        let io = |e: io::Error| fault(PackFault::Io(e.to_string()));
        if !self.begun {
            if !self.fill(PACK_MAGIC.len()).map_err(io)?
                || self.take(PACK_MAGIC.len()) != PACK_MAGIC
            {
                return Err(fault(PackFault::Magic));
            }
            self.begun = true;
            return self.next_document();
        }
        if !self.fill(1).map_err(io)? {
            return Ok(None);
        }
        let truncated = |left: usize, needed: usize| {
            fault(PackFault::Truncated {
                left: left as u64,
                needed: needed as u64,
            })
        };
        if !self.fill(LENGTH_BYTES).map_err(io)? {
            return Err(truncated(self.available(), LENGTH_BYTES));
        }
        let length: [u8; LENGTH_BYTES] = self.buffer[self.start..self.start + LENGTH_BYTES]
            .try_into()
            .expect("invariant: the length's bytes are buffered");
        let length = u32::from_be_bytes(length) as usize;
        if length > DOCUMENT_MAX_BYTES {
            return Err(fault(PackFault::TooLong {
                length: length as u64,
            }));
        }
        let needed = LENGTH_BYTES + length;
        if !self.fill(needed).map_err(io)? {
            return Err(truncated(self.available(), needed));
        }
        let bytes = self.take(needed)[LENGTH_BYTES..].to_vec();
        let sha256 = Hash::sha256(&bytes);
        let position = self.offsets.len();
        if let Some(&first) = self.index.get(&sha256) {
            return Err(fault(PackFault::Duplicate {
                sha256,
                first: self.offsets[first],
            }));
        }
        self.index.insert(sha256, position);
        self.offsets.push(offset);
        Ok(Some(Packed {
            offset,
            sha256,
            bytes,
        }))
    }
}

impl<R: Read> Iterator for PackReader<R> {
    type Item = Result<Packed, PackError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let next = self.next_document().transpose();
        self.done = !matches!(next, Some(Ok(_)));
        next
    }
}

/// Every document of the pack `bytes`, in file order.
pub fn read_pack(bytes: &[u8]) -> Result<Vec<Packed>, PackError> {
    PackReader::new(bytes).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn documents() -> Vec<Vec<u8>> {
        vec![
            b"a vote note\n".to_vec(),
            Vec::new(),
            vec![0xff; 70_000],
            b"an attachment\n".to_vec(),
        ]
    }

    fn pack() -> Vec<u8> {
        let documents = documents();
        encode_pack(documents.iter().map(Vec::as_slice)).expect("distinct, small")
    }

    #[test]
    fn a_pack_round_trips_in_order_with_its_offsets() {
        let bytes = pack();
        let read = read_pack(&bytes).expect("a valid pack");
        let mut offset = PACK_MAGIC.len() as u64;
        for (packed, document) in read.iter().zip(documents()) {
            assert_eq!(packed.bytes, document);
            assert_eq!(packed.sha256, Hash::sha256(&document));
            assert_eq!(packed.offset, offset);
            offset += 4 + document.len() as u64;
        }
        assert_eq!(read.len(), 4);
        assert_eq!(offset, bytes.len() as u64, "no padding");
        let again = encode_pack(read.iter().map(|p| p.bytes.as_slice())).expect("encode");
        assert_eq!(again, bytes);
        // An empty pack is the magic alone.
        assert_eq!(read_pack(PACK_MAGIC), Ok(Vec::new()));
    }

    #[test]
    fn reads_of_any_size_give_the_same_documents() {
        /// A source that gives at most `n` bytes per read.
        struct Trickle<'a>(&'a [u8], usize);
        impl Read for Trickle<'_> {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                let n = self.1.min(out.len()).min(self.0.len());
                out[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let bytes = pack();
        for n in [1, 3, 7, 4096] {
            let read: Result<Vec<Packed>, PackError> =
                PackReader::new(Trickle(&bytes, n)).collect();
            assert_eq!(read, read_pack(&bytes), "reads of {n} bytes");
        }
    }

    #[test]
    fn every_malformed_pack_names_its_offset() {
        let bytes = pack();
        let last = read_pack(&bytes).expect("valid").pop().expect("a document");

        // Not a pack.
        let error = read_pack(b"scrutineer/documents/v2\n").expect_err("another magic");
        assert_eq!(error.fault, PackFault::Magic);
        assert_eq!(read_pack(b"").expect_err("empty").fault, PackFault::Magic);

        // A truncated last frame, in its length or its bytes.
        for cut in [1, 4, 5, 4 + last.bytes.len() - 1] {
            let short = &bytes[..last.offset as usize + cut];
            let error = read_pack(short).expect_err("truncated");
            assert_eq!(error.offset, last.offset, "cut at {cut}");
            assert!(
                matches!(error.fault, PackFault::Truncated { .. }),
                "{error}"
            );
        }

        // Bytes after the last frame.
        for trailing in [&[0u8][..], &[0, 0, 0, 9, b'x'], &[0, 0, 0]] {
            let mut long = bytes.clone();
            long.extend_from_slice(trailing);
            let error = read_pack(&long).expect_err("trailing bytes");
            assert_eq!(error.offset, bytes.len() as u64);
            assert!(
                matches!(error.fault, PackFault::Truncated { .. }),
                "{error}"
            );
            assert!(
                error.to_string().starts_with("documents.pack at byte "),
                "{error}"
            );
        }

        // A length beyond the maximum, whatever follows.
        let mut oversize = PACK_MAGIC.to_vec();
        oversize.extend_from_slice(&(DOCUMENT_MAX_BYTES as u32 + 1).to_be_bytes());
        oversize.extend_from_slice(b"x");
        let error = read_pack(&oversize).expect_err("oversize");
        assert_eq!(
            error,
            PackError {
                offset: PACK_MAGIC.len() as u64,
                fault: PackFault::TooLong {
                    length: DOCUMENT_MAX_BYTES as u64 + 1
                }
            }
        );
        let big = vec![0; DOCUMENT_MAX_BYTES + 1];
        assert!(matches!(
            encode_pack([big.as_slice()]).expect_err("oversize").fault,
            PackFault::TooLong { .. }
        ));

        // A document twice.
        let mut twice = bytes.clone();
        twice.extend_from_slice(&bytes[last.offset as usize..]);
        let error = read_pack(&twice).expect_err("a duplicate");
        assert_eq!(
            error,
            PackError {
                offset: bytes.len() as u64,
                fault: PackFault::Duplicate {
                    sha256: last.sha256,
                    first: last.offset
                }
            }
        );
        assert!(encode_pack([&b"x"[..], b"x"]).is_err());

        // The reader stops at its fault.
        let mut reader = PackReader::new(twice.as_slice());
        assert_eq!(reader.by_ref().filter(Result::is_ok).count(), 4);
        assert!(reader.next().is_none());
    }
}
