//! The `organisation` and `person` entries: full snapshots (upserts) of an
//! organisation and of a person who represents one.
//!
//! An organisation is the rules' own [`Organisation`], so that the fold
//! hands the roll exactly what it logged. A person carries, beside the
//! rules' [`Person`] fields, when the subscription to the membership list
//! was last reconfirmed. No names or e-mail addresses: the log names
//! persons only by id (SPEC section 3).

use crate::entry::Entry;
use crate::entry::codec::{self, FormatError, Headers};
use crate::id::{OrgId, PersonId};
use crate::registry::Record;
use crate::rules::{Membership, OrgClass, Organisation, Person};
use crate::time::Timestamp;

/// Every class, for parsing (SPEC section 3).
const CLASSES: [OrgClass; 8] = [
    OrgClass::Member,
    OrgClass::Participant,
    OrgClass::Observer,
    OrgClass::Counsellor,
    OrgClass::MemberState,
    OrgClass::SectorMember,
    OrgClass::Associate,
    OrgClass::Academia,
];

impl Record for Organisation {
    const KIND: &'static str = "organisation";

    fn to_entry(&self, time: Timestamp) -> Entry {
        let mut entry = Entry::new(Self::KIND, time)
            .header("organisation", &self.id)
            .header("class", self.class)
            .header("founding", codec::bool_text(self.founding));
        if let Some(from) = self.membership.from {
            entry = entry.header("from", from.to_rfc3339_micros());
        }
        if let Some(to) = self.membership.to {
            entry = entry.header("to", to.to_rfc3339_micros());
        }
        entry
    }

    fn from_entry(entry: &Entry) -> Result<Self, FormatError> {
        let h = Headers::without_body(
            entry,
            Self::KIND,
            &["organisation", "class", "founding", "from", "to"],
        )?;
        let class = h.required("class")?;
        Ok(Organisation {
            id: codec::parse_id("organisation", h.required("organisation")?)?,
            class: codec::parse_word(
                "class",
                class,
                &CLASSES,
                OrgClass::as_str,
                "a class: member|participant|observer|counsellor|member-state|sector-member|associate|academia",
            )?,
            founding: codec::parse_bool("founding", h.required("founding")?)?,
            membership: Membership {
                from: codec::parse_time_opt("from", h.optional("from"))?,
                to: codec::parse_time_opt("to", h.optional("to"))?,
            },
        })
    }
}

/// A person of the group: `type person`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonRecord {
    /// The person's id.
    pub id: PersonId,
    /// The one organisation the person represents (Article 6.4: no
    /// proxies; SPEC section 3).
    pub organisation: OrgId,
    /// Whether the person is on the group's membership list, to which
    /// notices go (Article 6.2) and on which a correspondence voter must be
    /// (SPEC 2.1 item 7).
    pub on_membership_list: bool,
    /// When the person last reconfirmed the subscription to the list, if
    /// ever; kept so that a stale list can be shown for what it is.
    pub reconfirmed: Option<Timestamp>,
}

impl PersonRecord {
    /// The person as the rules see it.
    pub fn to_rules(&self) -> Person {
        Person {
            id: self.id.clone(),
            organisation: self.organisation.clone(),
            on_membership_list: self.on_membership_list,
        }
    }
}

impl Record for PersonRecord {
    const KIND: &'static str = "person";

    fn to_entry(&self, time: Timestamp) -> Entry {
        let mut entry = Entry::new(Self::KIND, time)
            .header("person", &self.id)
            .header("organisation", &self.organisation)
            .header("membership-list", codec::bool_text(self.on_membership_list));
        if let Some(reconfirmed) = self.reconfirmed {
            entry = entry.header("reconfirmed", reconfirmed.to_rfc3339_micros());
        }
        entry
    }

    fn from_entry(entry: &Entry) -> Result<Self, FormatError> {
        let h = Headers::without_body(
            entry,
            Self::KIND,
            &["person", "organisation", "membership-list", "reconfirmed"],
        )?;
        Ok(Self {
            id: codec::parse_id("person", h.required("person")?)?,
            organisation: codec::parse_id("organisation", h.required("organisation")?)?,
            on_membership_list: codec::parse_bool(
                "membership-list",
                h.required("membership-list")?,
            )?,
            reconfirmed: codec::parse_time_opt("reconfirmed", h.optional("reconfirmed"))?,
        })
    }
}
