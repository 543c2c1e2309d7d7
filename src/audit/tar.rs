//! An audit bundle as one file: a POSIX ustar archive (IEEE Std 1003.1,
//! "pax" format's base) of the bundle's files, so that the server can
//! offer a bundle as a single download and `scrutineer verify` can read
//! it. Only what a bundle needs: regular files with relative paths of at
//! most 100 bytes, no links, no directories entries (a reader creates
//! them), fixed metadata (mode 0644, owner 0, time 0) so that the same
//! bundle always gives the same bytes.
//!
//! The reader is strict: it refuses anything but regular files, absolute
//! paths, `..` components, bad checksums, sizes beyond the input, and
//! garbage after the two zero blocks that end the archive.

/// One block of a tar archive.
const BLOCK: usize = 512;

/// The longest path kept in the header's `name` field (no `prefix` use).
pub const MAX_PATH: usize = 100;

/// Why an archive cannot be written or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TarError {
    /// A path is empty, too long, absolute, or has a `.`/`..` component.
    #[error("{0:?} is not a relative path of at most 100 bytes without . or .. components")]
    Path(String),
    /// The archive is cut short.
    #[error("the archive is truncated")]
    Truncated,
    /// A header's checksum does not match.
    #[error("the header of {0:?} has a bad checksum")]
    Checksum(String),
    /// A header field is not what this format writes.
    #[error("the header of {name:?}: {what}")]
    Header {
        /// The member's name.
        name: String,
        /// What is wrong.
        what: &'static str,
    },
    /// Bytes follow the end-of-archive marker.
    #[error("bytes follow the end of the archive")]
    Trailing,
}

fn check_path(path: &str) -> Result<(), TarError> {
    let bad = path.is_empty()
        || path.len() > MAX_PATH
        || path.starts_with('/')
        || path.contains('\0')
        || path
            .split('/')
            .any(|c| c.is_empty() || c == "." || c == "..");
    if bad {
        Err(TarError::Path(path.to_owned()))
    } else {
        Ok(())
    }
}

/// Writes `value` as `width - 1` octal digits and a NUL.
fn octal(field: &mut [u8], value: u64) {
    let text = format!("{value:0width$o}", width = field.len() - 1);
    field[..text.len()].copy_from_slice(text.as_bytes());
    field[text.len()] = 0;
}

fn header(path: &str, size: u64) -> [u8; BLOCK] {
    let mut h = [0u8; BLOCK];
    h[..path.len()].copy_from_slice(path.as_bytes());
    octal(&mut h[100..108], 0o644);
    octal(&mut h[108..116], 0);
    octal(&mut h[116..124], 0);
    octal(&mut h[124..136], size);
    octal(&mut h[136..148], 0);
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    // The checksum is computed with its own field as eight spaces.
    h[148..156].copy_from_slice(b"        ");
    let sum: u64 = h.iter().map(|&b| u64::from(b)).sum();
    let text = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(text.as_bytes());
    h
}

/// The archive of `files` (relative path, bytes), in the order given.
pub fn write_tar<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a [u8])>,
) -> Result<Vec<u8>, TarError> {
    let mut out = Vec::new();
    for (path, bytes) in files {
        out.extend_from_slice(&member_start(path, bytes.len() as u64)?);
        out.extend_from_slice(bytes);
        out.extend_from_slice(member_end(bytes.len() as u64));
    }
    out.extend_from_slice(&ARCHIVE_END);
    Ok(out)
}

/// Two zero blocks: the end of an archive.
pub const ARCHIVE_END: [u8; 2 * BLOCK] = [0; 2 * BLOCK];

/// The header block of a member of `size` bytes at `path`: what a writer
/// that streams an archive sends before the member's bytes.
pub fn member_start(path: &str, size: u64) -> Result<[u8; BLOCK], TarError> {
    check_path(path)?;
    Ok(header(path, size))
}

/// The zero bytes that pad a member of `size` bytes to a whole block: what
/// a streaming writer sends after the member's bytes.
pub fn member_end(size: u64) -> &'static [u8] {
    const ZEROS: [u8; BLOCK] = [0; BLOCK];
    let rest = (size % BLOCK as u64) as usize;
    if rest == 0 { &[] } else { &ZEROS[rest..] }
}

fn parse_octal(field: &[u8], name: &str, what: &'static str) -> Result<u64, TarError> {
    let text: Vec<u8> = field
        .iter()
        .copied()
        .take_while(|&b| b != 0 && b != b' ')
        .collect();
    std::str::from_utf8(&text)
        .ok()
        .filter(|t| !t.is_empty())
        .and_then(|t| u64::from_str_radix(t, 8).ok())
        .ok_or_else(|| TarError::Header {
            name: name.to_owned(),
            what,
        })
}

/// Reads an archive of regular files: (relative path, bytes) in order.
pub fn read_tar(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, TarError> {
    let mut files = Vec::new();
    let mut at = 0;
    loop {
        let h = bytes.get(at..at + BLOCK).ok_or(TarError::Truncated)?;
        if h.iter().all(|&b| b == 0) {
            let end = bytes
                .get(at + BLOCK..at + 2 * BLOCK)
                .ok_or(TarError::Truncated)?;
            if end.iter().any(|&b| b != 0) || bytes[at + 2 * BLOCK..].iter().any(|&b| b != 0) {
                return Err(TarError::Trailing);
            }
            return Ok(files);
        }
        let name_len = h[..100].iter().position(|&b| b == 0).unwrap_or(100);
        let name = std::str::from_utf8(&h[..name_len])
            .map_err(|_| TarError::Header {
                name: String::from_utf8_lossy(&h[..name_len]).into_owned(),
                what: "the name is not UTF-8",
            })?
            .to_owned();
        let mut copy = [0u8; BLOCK];
        copy.copy_from_slice(h);
        copy[148..156].copy_from_slice(b"        ");
        let sum: u64 = copy.iter().map(|&b| u64::from(b)).sum();
        if parse_octal(&h[148..156], &name, "no checksum")? != sum {
            return Err(TarError::Checksum(name));
        }
        if h[156] != b'0' && h[156] != 0 {
            return Err(TarError::Header {
                name,
                what: "not a regular file",
            });
        }
        if h[345..500].iter().any(|&b| b != 0) {
            return Err(TarError::Header {
                name,
                what: "a path prefix is not supported",
            });
        }
        check_path(&name)?;
        let size = parse_octal(&h[124..136], &name, "no size")?;
        let size = usize::try_from(size).map_err(|_| TarError::Truncated)?;
        let start = at + BLOCK;
        let content = bytes
            .get(start..start.checked_add(size).ok_or(TarError::Truncated)?)
            .ok_or(TarError::Truncated)?;
        files.push((name, content.to_vec()));
        at = start + size.div_ceil(BLOCK) * BLOCK;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archives_round_trip_and_are_deterministic() {
        let files: Vec<(&str, &[u8])> = vec![
            ("checkpoints/12", b"a checkpoint\n"),
            ("tile/entries/000.p/12", &[7u8; 1000]),
            ("empty", b""),
            ("checkpoint", b"last\n"),
        ];
        let tar = write_tar(files.iter().copied()).expect("writes");
        assert_eq!(tar.len() % BLOCK, 0);
        assert_eq!(tar, write_tar(files.iter().copied()).expect("writes"));
        let read = read_tar(&tar).expect("reads");
        let read: Vec<(&str, &[u8])> = read
            .iter()
            .map(|(n, b)| (n.as_str(), b.as_slice()))
            .collect();
        assert_eq!(read, files);
    }

    #[test]
    fn bad_paths_and_bad_archives_are_refused() {
        for path in ["", "/etc/passwd", "a/../b", "./a", "a//b", &"x".repeat(101)] {
            assert!(
                write_tar([(path, &b"x"[..])]).is_err(),
                "{path:?} was accepted"
            );
        }
        let tar = write_tar([("a", &b"hello"[..])]).expect("writes");
        assert_eq!(read_tar(&tar[..600]), Err(TarError::Truncated));
        let mut flipped = tar.clone();
        flipped[0] = b'b';
        assert_eq!(read_tar(&flipped), Err(TarError::Checksum("b".into())));
        let mut trailing = tar.clone();
        trailing.extend_from_slice(&[1u8; BLOCK]);
        assert_eq!(read_tar(&trailing), Err(TarError::Trailing));
        let mut link = tar;
        link[156] = b'2';
        link[148..156].copy_from_slice(b"        ");
        let sum: u64 = link[..BLOCK].iter().map(|&b| u64::from(b)).sum();
        link[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        assert!(matches!(read_tar(&link), Err(TarError::Header { .. })));
    }
}
