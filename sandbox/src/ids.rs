//! Deterministic ids. A fixed-seed generator gives the same ids in every run, so a demo,
//! a screenshot or a failing test can refer to the same customer twice.

/// SplitMix64: tiny, fast, and good enough for fake ids.
#[derive(Debug, Clone)]
pub(crate) struct IdGen {
    state: u64,
}

const ALPHABET: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

impl IdGen {
    pub(crate) fn new(seed: u64) -> IdGen {
        IdGen { state: seed }
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (bound > 0).
    pub(crate) fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound.max(1)
    }

    /// A 28-character upper-case alphanumeric id, the shape of CMR's real ids.
    pub(crate) fn cmr_id(&mut self) -> String {
        (0..28)
            .map(|_| char::from(ALPHABET[self.below(36) as usize]))
            .collect()
    }

    /// `ACT_` + a UUID-v4-shaped value, as CMR's action ids look.
    pub(crate) fn action_id(&mut self) -> String {
        let hi = self.next_u64();
        let lo = self.next_u64();
        let hex = format!("{hi:016x}{lo:016x}");
        format!(
            "ACT_{}-{}-4{}-{}{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[13..16],
            ["8", "9", "a", "b"][(lo % 4) as usize],
            &hex[17..20],
            &hex[20..32]
        )
    }
}

#[cfg(test)]
mod tests {
    use super::IdGen;

    #[test]
    fn the_same_seed_gives_the_same_ids() {
        let (mut a, mut b) = (IdGen::new(7), IdGen::new(7));
        assert_eq!(a.cmr_id(), b.cmr_id());
        assert_eq!(a.action_id(), b.action_id());
    }

    #[test]
    fn ids_have_cmr_shapes() {
        let mut ids = IdGen::new(1);
        let id = ids.cmr_id();
        assert_eq!(id.len(), 28);
        assert!(id
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()));
        let action = ids.action_id();
        assert!(action.starts_with("ACT_"));
        assert_eq!(action.len(), 4 + 36);
        assert_eq!(action.matches('-').count(), 4);
    }
}
