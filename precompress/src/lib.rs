//! Dictionary-compressed copies of the split wasm chunks (RFC 9842, Compression Dictionary
//! Transport, content coding `dcb`).
//!
//! Every page loads the shell (`cmr-admin.wasm`) first and its chunks after. The chunks are
//! cut from the same program, so they repeat much of the shell: compressed with the shell as
//! a brotli dictionary they come out smaller than compressed alone (BENCHMARKS.md, "the
//! first-load budget"). The server marks the shell `Use-As-Dictionary` and sends a chunk's
//! `.dcb` file to a browser that announces that very shell in `Available-Dictionary`.

use sha2::{Digest, Sha256};
#[cfg(feature = "encode")]
use std::io;

/// The `dcb` stream starts with these four bytes, then the dictionary's SHA-256, then the
/// brotli stream (RFC 9842, section 4).
pub const MAGIC: [u8; 4] = [0xff, 0x44, 0x43, 0x42];
/// Magic plus hash: what a `dcb` file carries before its brotli stream.
pub const HEADER_LEN: usize = MAGIC.len() + 32;
/// RFC 9842 limits a `dcb` window to 16 MB (brotli's largest standard window, 2^24).
#[cfg(feature = "encode")]
const MAX_WINDOW_BITS: u32 = 24;

/// A page's chunks as one bundle (split-wasm writes it; the chunks' loader and the benchmark
/// ask for it): its members are the chunk names (file stems), distinct and sorted as
/// JavaScript's default sort orders these ASCII names.
pub fn bundle_members(chunks: &[String]) -> Vec<String> {
    let mut names = chunks.to_vec();
    names.sort();
    names.dedup();
    names
}

/// The bundle's key: FNV-1a (32 bits) of its members joined by commas, in hex, as the loader
/// computes it in the browser (`split-wasm/src/bundle_loader.js`).
pub fn bundle_key(members: &[String]) -> String {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in members.join(",").bytes() {
        hash = (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193);
    }
    format!("{hash:08x}")
}

/// The bundle's file name in the package folder.
pub fn bundle_file(members: &[String]) -> String {
    format!("bundle-{}.wasm", bundle_key(members))
}

/// The SHA-256 of a dictionary, as `dcb` headers and `Available-Dictionary` carry it.
pub fn dictionary_hash(dictionary: &[u8]) -> [u8; 32] {
    Sha256::digest(dictionary).into()
}

/// A dictionary's hash as `Available-Dictionary` carries it: a structured-field byte
/// sequence, `:base64:`.
pub fn available_dictionary(hash: &[u8; 32]) -> String {
    use base64::Engine as _;
    format!(
        ":{}:",
        base64::engine::general_purpose::STANDARD.encode(hash)
    )
}

/// `input` as a `dcb` stream against `dictionary`, at brotli's highest quality.
///
/// The window must reach back over the whole dictionary; a dictionary too large for the
/// 16 MB window is an error, not a silently worse file.
#[cfg(feature = "encode")]
pub fn encode(dictionary: &[u8], input: &[u8]) -> io::Result<Vec<u8>> {
    let reach = dictionary.len() + input.len() + 16;
    let window_bits = usize::BITS - reach.leading_zeros();
    if window_bits > MAX_WINDOW_BITS {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "a {} B dictionary is larger than dcb's 16 MB window",
                dictionary.len()
            ),
        ));
    }
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: window_bits.max(16) as i32,
        size_hint: input.len(),
        ..Default::default()
    };
    let mut out = Vec::with_capacity(HEADER_LEN + input.len() / 2);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&dictionary_hash(dictionary));
    let mut nothing_per_metablock =
        |_: &mut brotli::interface::PredictionModeContextMap<brotli::InputReferenceMut>,
         _: &mut [brotli::interface::StaticCommand],
         _: brotli::InputPair,
         _: &mut brotli::enc::StandardAlloc| ();
    brotli::enc::BrotliCompressCustomIoCustomDict(
        &mut brotli::IoReaderWrapper(&mut &input[..]),
        &mut brotli::IoWriterWrapper(&mut out),
        &mut vec![0; 1 << 16],
        &mut vec![0; 1 << 16],
        &params,
        brotli::enc::StandardAlloc::default(),
        &mut nothing_per_metablock,
        dictionary,
        io::Error::new(io::ErrorKind::UnexpectedEof, "the input ended early"),
    )?;
    Ok(out)
}

/// The dictionary hash a `dcb` file was made against, or `None` when it is not one.
pub fn encoded_against(file: &[u8]) -> Option<[u8; 32]> {
    if file.len() < HEADER_LEN || file[..MAGIC.len()] != MAGIC {
        return None;
    }
    file[MAGIC.len()..HEADER_LEN].try_into().ok()
}

#[cfg(all(test, feature = "encode"))]
mod tests {
    use super::*;

    fn decode(dictionary: &[u8], file: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        brotli_decompressor::BrotliDecompressCustomDict(
            &mut &file[HEADER_LEN..],
            &mut out,
            &mut [0; 4096],
            &mut [0; 4096],
            dictionary.to_vec(),
        )
        .unwrap();
        out
    }

    /// Text that repeats itself the way a chunk repeats the shell: long shared runs.
    fn sample(seed: u32, len: usize) -> Vec<u8> {
        let mut x = seed;
        (0..len)
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                b"fn wasm(){}let mut;"[(x >> 16) as usize % 19]
            })
            .collect()
    }

    #[test]
    fn a_chunk_round_trips_and_names_its_dictionary() {
        let shell = sample(1, 200_000);
        let chunk: Vec<u8> = [&shell[50_000..70_000], b"new code".as_slice()].concat();
        let file = encode(&shell, &chunk).unwrap();
        assert_eq!(encoded_against(&file), Some(dictionary_hash(&shell)));
        assert_eq!(decode(&shell, &file), chunk);
    }

    #[test]
    fn what_the_shell_already_holds_costs_almost_nothing() {
        let shell = sample(2, 200_000);
        let chunk = shell[100_000..160_000].to_vec();
        let against_shell = encode(&shell, &chunk).unwrap();
        let alone = encode(&[], &chunk).unwrap();
        assert!(
            against_shell.len() * 20 < alone.len(),
            "{} B against the shell, {} B alone",
            against_shell.len(),
            alone.len()
        );
    }

    #[test]
    fn available_dictionary_is_the_sha256_as_a_byte_sequence() {
        // SHA-256 of nothing (checked with Python's hashlib), as RFC 9651 writes a byte sequence.
        assert_eq!(
            available_dictionary(&dictionary_hash(b"")),
            ":47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:"
        );
    }

    #[test]
    fn a_file_without_the_magic_is_not_dcb() {
        assert_eq!(encoded_against(b"\x1b\x00 plain brotli"), None);
        assert_eq!(encoded_against(&MAGIC), None, "too short for the hash");
    }

    #[test]
    fn a_dictionary_past_the_window_is_refused() {
        let huge = vec![0u8; 1 << 24];
        assert!(encode(&huge, b"x").is_err());
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_bundle_is_named_by_fnv1a_of_its_sorted_members() {
        // FNV-1a's published vectors: "" and "a".
        assert_eq!(bundle_key(&[]), "811c9dc5");
        assert_eq!(bundle_key(&names(&["a"])), "e40c292c");
        let set = bundle_members(&names(&[
            "split___home_view_1",
            "chunk_30",
            "chunk_29",
            "chunk_30",
        ]));
        assert_eq!(set, names(&["chunk_29", "chunk_30", "split___home_view_1"]));
        let again = bundle_members(&names(&["chunk_30", "split___home_view_1", "chunk_29"]));
        assert_eq!(bundle_file(&set), bundle_file(&again));
        assert_eq!(
            bundle_file(&set),
            format!("bundle-{}.wasm", bundle_key(&set))
        );
        assert_ne!(
            bundle_key(&set),
            bundle_key(&names(&["chunk_29", "chunk_30"]))
        );
    }
}
