//! C2SP tlog-tiles entry bundles: the entries of one level-0 tile, each
//! prefixed by its length as a big-endian uint16.

use super::tile::{MAX_ENTRY_LEN, TILE_WIDTH};

/// Why an entry bundle cannot be encoded or decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    /// An entry longer than the uint16 length prefix can express.
    #[error("entry {index} is {len} bytes, above the entry bundle limit of {MAX_ENTRY_LEN} bytes")]
    EntryTooLarge {
        /// The entry's position in the bundle.
        index: usize,
        /// Its length.
        len: usize,
    },
    /// The bundle ends inside entry `index` (in its length prefix or body).
    #[error("entry bundle is truncated in entry {index} of {expected}")]
    Truncated {
        /// The entry being read.
        index: usize,
        /// The number of entries expected.
        expected: usize,
    },
    /// Bytes follow the last expected entry.
    #[error("entry bundle has {extra} bytes after its {expected} entries")]
    TrailingBytes {
        /// How many bytes are left over.
        extra: usize,
        /// The number of entries expected.
        expected: usize,
    },
}

/// tlog-tiles "Log entries": each entry prefixed by its length as a
/// big-endian uint16. Empty entries are allowed (RFC 6962 leaves may be
/// empty and tlog-tiles does not forbid them); entries above
/// [`MAX_ENTRY_LEN`] are refused.
pub fn encode_bundle(entries: &[&[u8]]) -> Result<Vec<u8>, BundleError> {
    let mut out = Vec::with_capacity(entries.iter().map(|e| e.len() + 2).sum());
    for (index, entry) in entries.iter().enumerate() {
        let len = u16::try_from(entry.len()).map_err(|_| BundleError::EntryTooLarge {
            index,
            len: entry.len(),
        })?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(entry);
    }
    Ok(out)
}

/// Decodes exactly `expected_count` entries, refusing truncation and
/// trailing bytes (the count comes from the tile's width, so the bundle
/// cannot hide or drop an entry).
pub fn decode_bundle(bytes: &[u8], expected_count: usize) -> Result<Vec<Vec<u8>>, BundleError> {
    let mut rest = bytes;
    let mut out = Vec::with_capacity(expected_count.min(usize::from(TILE_WIDTH)));
    for index in 0..expected_count {
        let truncated = BundleError::Truncated {
            index,
            expected: expected_count,
        };
        let (prefix, tail) = rest.split_first_chunk::<2>().ok_or(truncated.clone())?;
        let len = usize::from(u16::from_be_bytes(*prefix));
        if tail.len() < len {
            return Err(truncated);
        }
        let (entry, tail) = tail.split_at(len);
        out.push(entry.to_vec());
        rest = tail;
    }
    if !rest.is_empty() {
        return Err(BundleError::TrailingBytes {
            extra: rest.len(),
            expected: expected_count,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundles_round_trip_and_refuse_bad_lengths() {
        let big = vec![7u8; MAX_ENTRY_LEN];
        let entries: Vec<&[u8]> = vec![b"", b"a", &big, b"scrutineer"];
        let bytes = encode_bundle(&entries).expect("within limits");
        assert_eq!(&bytes[..5], &[0, 0, 0, 1, b'a']);
        let decoded = decode_bundle(&bytes, 4).expect("well formed");
        assert_eq!(
            decoded.iter().map(Vec::as_slice).collect::<Vec<_>>(),
            entries
        );
        let too_big = vec![0u8; MAX_ENTRY_LEN + 1];
        assert_eq!(
            encode_bundle(&[b"x", &too_big]),
            Err(BundleError::EntryTooLarge {
                index: 1,
                len: 65_536
            })
        );
        assert_eq!(
            decode_bundle(&bytes, 5),
            Err(BundleError::Truncated {
                index: 4,
                expected: 5
            })
        );
        assert_eq!(
            decode_bundle(&bytes, 3),
            Err(BundleError::TrailingBytes {
                extra: 12,
                expected: 3
            })
        );
        assert_eq!(
            decode_bundle(&bytes[..bytes.len() - 1], 4),
            Err(BundleError::Truncated {
                index: 3,
                expected: 4
            })
        );
        assert_eq!(
            decode_bundle(&[0], 1),
            Err(BundleError::Truncated {
                index: 0,
                expected: 1
            })
        );
        assert_eq!(decode_bundle(&[], 0), Ok(Vec::new()));
    }
}
