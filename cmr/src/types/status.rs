//! CMR's string enums.
//!
//! Every enum keeps values it does not know in `Other(String)`: CMR adds states without notice,
//! and a dashboard that refuses a whole page over one new status is worse than one showing it raw.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! cmr_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$vmeta:meta])* $variant:ident => $text:literal ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this crate does not know yet, kept verbatim (empty when CMR sent none).
            Other(String),
        }

        impl $name {
            /// Every known value, in the reference's order.
            pub const KNOWN: &'static [$name] = &[$($name::$variant),+];

            /// The wire spelling (e.g. `"GRACE_PERIOD"`), or the raw unknown value.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $text, )+
                    $name::Other(raw) => raw,
                }
            }

            /// Reads a wire value; case-insensitive, never fails.
            pub fn parse(raw: &str) -> $name {
                let trimmed = raw.trim();
                $( if trimmed.eq_ignore_ascii_case($text) { return $name::$variant; } )+
                $name::Other(trimmed.to_owned())
            }

            pub fn is_known(&self) -> bool {
                !matches!(self, $name::Other(_))
            }
        }

        impl Default for $name {
            /// Missing in the response: an empty `Other`.
            fn default() -> $name {
                $name::Other(String::new())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl From<&str> for $name {
            fn from(raw: &str) -> $name {
                $name::parse(raw)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                let raw = super::lenient::string(d)?;
                Ok($name::parse(&raw))
            }
        }
    };
}

cmr_enum! {
    /// Lifecycle of a registered domain (reference §2).
    DomainStatus {
        Active => "ACTIVE",
        /// Registration in progress.
        Pending => "PENDING",
        Renewing => "RENEWING",
        /// Expired but renewable for 7 days.
        GracePeriod => "GRACE_PERIOD",
        /// Terminal for the API: cannot be renewed.
        Expired => "EXPIRED",
        Transferred => "TRANSFERRED",
        Inactive => "INACTIVE",
    }
}

cmr_enum! {
    /// Lifecycle of a mailbox: `IN_PROGRESS` → `CREATING_PASSWORD` → `ACTIVE`; `EXPIRED` when
    /// its subscription lapsed.
    MailboxStatus {
        InProgress => "IN_PROGRESS",
        CreatingPassword => "CREATING_PASSWORD",
        Active => "ACTIVE",
        Expired => "EXPIRED",
    }
}

cmr_enum! {
    /// Lifecycle of a mailbox subscription (reference §2).
    SubscriptionStatus {
        Active => "ACTIVE",
        Renewing => "RENEWING",
        /// Payment failed: 7-day grace.
        PastDue => "PAST_DUE",
        /// Explicit and permanent.
        Cancelled => "CANCELLED",
        Expired => "EXPIRED",
    }
}

cmr_enum! {
    /// Order progress. The reference found no list (§2 "Order status \[NF\]"); these are the
    /// values the sandbox uses, anything else arrives as `Other`.
    OrderStatus {
        Pending => "PENDING",
        Processing => "PROCESSING",
        Completed => "COMPLETED",
        Failed => "FAILED",
    }
}

cmr_enum! {
    /// Workspace provider (`serviceProvider` / `workspaceType`).
    ServiceProvider {
        Google => "GOOGLE",
        Microsoft => "MICROSOFT",
    }
}

cmr_enum! {
    /// Subscription billing cycle; `MONTHLY` is the only value seen.
    BillingCycle {
        Monthly => "MONTHLY",
    }
}

cmr_enum! {
    /// DNS record type (the guide's set; the full allowed set is not documented).
    RecordType {
        A => "A",
        Aaaa => "AAAA",
        Cname => "CNAME",
        Mx => "MX",
        Txt => "TXT",
        Ns => "NS",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_status_decodes_to_its_variant() {
        let s: DomainStatus = serde_json::from_str(r#""GRACE_PERIOD""#).unwrap();
        assert_eq!(s, DomainStatus::GracePeriod);
        assert_eq!(s.as_str(), "GRACE_PERIOD");
    }

    #[test]
    fn status_matching_ignores_case() {
        assert_eq!(
            MailboxStatus::parse("creating_password"),
            MailboxStatus::CreatingPassword
        );
    }

    #[test]
    fn an_unknown_status_is_kept_and_displayable() {
        let s: SubscriptionStatus = serde_json::from_str(r#""ON_HOLD""#).unwrap();
        assert_eq!(s, SubscriptionStatus::Other("ON_HOLD".into()));
        assert_eq!(s.to_string(), "ON_HOLD");
        assert!(!s.is_known());
        assert_eq!(serde_json::to_string(&s).unwrap(), r#""ON_HOLD""#);
    }

    #[test]
    fn a_null_status_becomes_an_empty_other() {
        let s: OrderStatus = serde_json::from_str("null").unwrap();
        assert_eq!(s, OrderStatus::default());
        assert_eq!(s.as_str(), "");
    }

    #[test]
    fn known_statuses_round_trip() {
        for s in DomainStatus::KNOWN {
            let json = serde_json::to_string(s).unwrap();
            assert_eq!(&serde_json::from_str::<DomainStatus>(&json).unwrap(), s);
        }
    }
}
