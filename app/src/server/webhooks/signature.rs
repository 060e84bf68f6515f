//! Is a webhook really from CMR? CMR signs with HMAC-SHA256 keyed with the partner's API key
//! (`cmr-x-signature`) and sends the time it signed (`cmr-x-timestamp`, Unix seconds). Its
//! documentation leaves open what exactly is signed and how the signature is written, so the
//! readings it allows are accepted, and nothing else:
//! - the signed text: the raw body, or the timestamp and the body joined by `.` or by nothing;
//! - the signature: hex (either case) or standard base64, optionally prefixed `sha256=`.
//!
//! Comparison is in constant time (`Mac::verify_slice`).

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far a timestamp may be from now, either way.
pub const MAX_SKEW_SECS: i64 = 5 * 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No signature or timestamp header, or one that cannot be read.
    Missing,
    /// Signed more than five minutes away from now: a replay, or a clock far off.
    Stale,
    /// No accepted reading of the signature matches.
    BadSignature,
}

/// Checks `signature` over `body` sent at `timestamp`, against `now` (Unix seconds).
pub fn verify(
    key: &[u8],
    timestamp: &str,
    signature: &str,
    body: &[u8],
    now: i64,
) -> Result<i64, Refusal> {
    let sent_at: i64 = timestamp.trim().parse().map_err(|_| Refusal::Missing)?;
    if (now - sent_at).abs() > MAX_SKEW_SECS {
        return Err(Refusal::Stale);
    }
    let signature = signature.trim();
    let signature = signature.strip_prefix("sha256=").unwrap_or(signature);
    let decoded: Vec<Vec<u8>> = [
        hex::decode(signature).ok(),
        base64::engine::general_purpose::STANDARD
            .decode(signature)
            .ok(),
    ]
    .into_iter()
    .flatten()
    .filter(|d| d.len() == 32)
    .collect();
    if decoded.is_empty() {
        return Err(Refusal::BadSignature);
    }
    let stamp = timestamp.trim().as_bytes();
    let messages: [&[&[u8]]; 3] = [&[body], &[stamp, b".", body], &[stamp, body]];
    for parts in messages {
        for candidate in &decoded {
            let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key");
            for part in parts {
                mac.update(part);
            }
            if mac.verify_slice(candidate).is_ok() {
                return Ok(sent_at);
            }
        }
    }
    Err(Refusal::BadSignature)
}

/// The signature the sandbox sends (hex over `timestamp.body`); also what tests sign with.
pub fn sign(key: &[u8], timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
        let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
        for p in parts {
            mac.update(p);
        }
        mac.finalize().into_bytes().to_vec()
    }

    #[test]
    fn every_documented_reading_is_accepted_and_nothing_else() {
        let (key, body, now) = (
            b"partner-key".as_slice(),
            br#"{"event":"x"}"#.as_slice(),
            1_800_000_000,
        );
        let ts = now.to_string();
        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        let readings = [
            hex::encode(mac(key, &[body])),
            hex::encode(mac(key, &[body])).to_uppercase(),
            b64(&mac(key, &[body])),
            format!(
                "sha256={}",
                hex::encode(mac(key, &[ts.as_bytes(), b".", body]))
            ),
            b64(&mac(key, &[ts.as_bytes(), body])),
            sign(key, now, body),
        ];
        for signature in readings {
            assert_eq!(
                verify(key, &ts, &signature, body, now),
                Ok(now),
                "{signature}"
            );
        }
        let wrong_key = hex::encode(mac(b"other", &[body]));
        let other_body = hex::encode(mac(key, &[b"{}"]));
        let other_join = hex::encode(mac(key, &[ts.as_bytes(), b":", body]));
        for signature in [wrong_key, other_body, other_join, "".into(), "zz".into()] {
            assert_eq!(
                verify(key, &ts, &signature, body, now),
                Err(Refusal::BadSignature),
                "{signature}"
            );
        }
        let good = sign(key, now, body);
        assert_eq!(
            verify(key, &(now - 301).to_string(), &good, body, now),
            Err(Refusal::Stale)
        );
        assert_eq!(verify(key, "soon", &good, body, now), Err(Refusal::Missing));
    }
}
