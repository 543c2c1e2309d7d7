//! The fault-injection seam of the append transaction: the named storage
//! steps of an append, at which a test can make storage fail.
//!
//! Each step of [`super::append::AppendTx`] (and of
//! [`super::Store::begin_append`]) asks [`Faults::check`] before and after
//! it touches the database. In a normal build [`Faults`] is a zero-sized
//! type and `check` is `Ok(())`, so the seam compiles to nothing; in the
//! crate's own unit tests (`cfg(test)`) a test arms one fault, which fires
//! once: the table in `src/server/fault_injection.rs` makes every step fail
//! in every [`Mode`] and checks what the sequencer does about it.

use super::StoreError;

/// A storage step of one append, in the order the sequencer runs them
/// (`src/server/sequencer/mod.rs`, steps 1, 4 and 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Opening the transaction and taking the log's write lock.
    Begin,
    /// Writing the documents stored beside the entries.
    Documents,
    /// Inserting the entries.
    Entries,
    /// Inserting the stored hashes.
    Hashes,
    /// Inserting the new checkpoint into the history.
    Checkpoint,
    /// Updating the log's head (size and latest checkpoint).
    Head,
    /// Committing.
    Commit,
}

/// How a step fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The write did not happen, and an error is returned.
    Lost,
    /// The write happened, and an error is returned all the same.
    Landed,
    /// [`Step::Commit`] only: success is reported but nothing reached
    /// storage (a database or disk that lies about durability). No error
    /// handling can help; the sequencer must notice and stop.
    LostSilently,
}

/// The faults armed for a store: nothing at all outside the crate's unit
/// tests.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// The one armed fault, shared by the store's clones and their
    /// transactions.
    #[cfg(test)]
    armed: std::sync::Arc<std::sync::Mutex<Option<(Step, Mode)>>>,
}

impl Faults {
    /// Whether the fault armed for `step` in `mode` fires now (once).
    #[inline]
    pub fn fires(&self, step: Step, mode: Mode) -> bool {
        #[cfg(test)]
        {
            let mut armed = self.armed.lock().expect("invariant: never poisoned");
            if *armed == Some((step, mode)) {
                *armed = None;
                return true;
            }
        }
        let _ = (step, mode);
        false
    }

    /// `Err` (an error such as the database would give) if the fault armed
    /// for `step` in `mode` fires now.
    #[inline]
    pub fn check(&self, step: Step, mode: Mode) -> Result<(), StoreError> {
        if self.fires(step, mode) {
            Err(StoreError::Database(sqlx::Error::Protocol(format!(
                "injected fault: {step:?} {mode:?}"
            ))))
        } else {
            Ok(())
        }
    }

    /// Arms one fault, replacing any other; it fires at the next time its
    /// step runs in its mode.
    #[cfg(test)]
    pub fn arm(&self, step: Step, mode: Mode) {
        *self.armed.lock().expect("invariant: never poisoned") = Some((step, mode));
    }

    /// Whether a fault is still armed (it has not fired).
    #[cfg(test)]
    pub fn armed(&self) -> bool {
        self.armed
            .lock()
            .expect("invariant: never poisoned")
            .is_some()
    }
}
