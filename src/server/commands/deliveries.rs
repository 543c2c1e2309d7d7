//! Logging how a notice's e-mail went out (SPEC section 9): the
//! `delivery` entry, which settles the notice's outbox row in the same
//! transaction (`crate::store::outbox`).

use crate::ballot::Delivery;
use crate::server::Log;
use crate::server::sequencer::{Appended, Refused};

use super::{CommandError, registry_of};

/// Appends `delivery`, checked by the fold's own rule on the state at its
/// turn: it must name an undelivered notification of its ballot and
/// person (`already-logged` if its delivery is logged: nothing to do).
pub async fn record(log: &Log, delivery: Delivery) -> Result<Appended, CommandError> {
    let group = log.group.clone();
    let appended = log
        .append(move |loaded, time| {
            registry_of(loaded, &group)?;
            match loaded.book.deliveries().check(&delivery) {
                Ok(()) => Ok(delivery.to_entry(time)),
                Err(refusal @ crate::ballot::DeliveryRefusal::AlreadyLogged(_)) => {
                    Err(Refused::conflict("already-logged", refusal.to_string()))
                }
                Err(refusal) => Err(Refused::conflict(
                    "no-such-notification",
                    refusal.to_string(),
                )),
            }
        })
        .await?;
    Ok(appended)
}
