//! The one encoding of values crossing into a store: JSON, via `serde_json`.
//!
//! Every value a store keeps (a run's input and outputs, each node's output) is bytes
//! produced here, so changing the encoding is a change to this file and a new
//! [`ENCODING`] name (stores record the name they were created with and refuse another).

use std::panic::AssertUnwindSafe;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{NodePath, RecordedOutput, RunId, StoreError};
use crate::BoxError;

/// The name of the encoding, kept in each store's metadata.
pub const ENCODING: &str = "json";

/// Encodes `value`, the `what` (a node path, `input` or `output`) of `run` (`None` for a
/// run not created yet).
///
/// # Errors
///
/// [`StoreError::Encode`] naming the run, `what` and `T`; also when `T`'s `Serialize`
/// panics (a bug in a user's impl), which is then contained: the error says it panicked,
/// with its message, rather than the panic unwinding out of the run that records it.
///
/// ```
/// use workflow_core::store::{encode, RunId};
///
/// struct Buggy;
/// impl serde::Serialize for Buggy {
///     fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
///         panic!("not implemented yet")
///     }
/// }
///
/// # let hook = std::panic::take_hook();
/// # std::panic::set_hook(Box::new(|_| {}));
/// let err = encode(&Buggy, Some(RunId(7)), "b").unwrap_err();
/// # std::panic::set_hook(hook);
/// assert!(err.to_string().starts_with("cannot encode b of run 7 as `"), "{err}");
/// assert!(err.to_string().ends_with("Buggy`: its `Serialize` panicked: not implemented yet"), "{err}");
/// ```
pub fn encode<T: Serialize + ?Sized>(
    value: &T,
    run: Option<RunId>,
    what: &str,
) -> Result<Vec<u8>, StoreError> {
    let encoded = std::panic::catch_unwind(AssertUnwindSafe(|| serde_json::to_vec(value)));
    let error = |source: BoxError| StoreError::Encode {
        run,
        what: what.to_owned(),
        type_name: std::any::type_name::<T>(),
        source,
    };
    match encoded {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(e)) => Err(error(e.into())),
        Err(payload) => Err(error(panicked("Serialize", payload.as_ref()))),
    }
}

/// Decodes the `what` (a node path, `input` or `output`) of `run` as a `T`.
///
/// # Errors
///
/// [`StoreError::Decode`] naming the run, `what` and `T`: the row was written by code whose
/// type differed, or is damaged; also when `T`'s `Deserialize` panics, contained as for
/// [`encode`].
pub fn decode<T: DeserializeOwned>(bytes: &[u8], run: RunId, what: &str) -> Result<T, StoreError> {
    let decoded = std::panic::catch_unwind(AssertUnwindSafe(|| serde_json::from_slice(bytes)));
    let error = |source: BoxError| StoreError::Decode {
        run,
        what: what.to_owned(),
        type_name: std::any::type_name::<T>(),
        source,
    };
    match decoded {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(error(e.into())),
        Err(payload) => Err(error(panicked("Deserialize", payload.as_ref()))),
    }
}

/// The cause of an encode or decode error whose serde impl (`Serialize` or
/// `Deserialize`) panicked. Cold: only a bug in a user's impl.
#[cold]
fn panicked(serde_trait: &str, payload: &(dyn std::any::Any + Send)) -> BoxError {
    format!(
        "its `{serde_trait}` panicked: {}",
        crate::error::panic_message(payload)
    )
    .into()
}

impl RecordedOutput {
    /// The row recording that node `path` (at `node_version`) of `run` produced `value`.
    ///
    /// ```
    /// use workflow_core::store::{NodePath, RecordedOutput, RunId};
    ///
    /// let path: NodePath = "thumbs[3].img".parse().unwrap();
    /// let row = RecordedOutput::encode(RunId(7), path, 1, &vec![1u8, 2]).unwrap();
    /// assert_eq!(row.output_type, "alloc::vec::Vec<u8>");
    /// let back: Vec<u8> = row.decode(RunId(7)).unwrap();
    /// assert_eq!(back, [1, 2]);
    /// let err = row.decode::<String>(RunId(7)).unwrap_err();
    /// assert!(err.to_string().contains("thumbs[3].img of run 7"), "{err}");
    /// ```
    ///
    /// # Errors
    ///
    /// [`StoreError::Encode`] naming the run and node.
    pub fn encode<T: Serialize>(
        run: RunId,
        path: NodePath,
        node_version: u32,
        value: &T,
    ) -> Result<RecordedOutput, StoreError> {
        let value = encode(value, Some(run), path.as_str())?;
        Ok(RecordedOutput {
            path,
            node_version,
            output_type: std::any::type_name::<T>().to_owned(),
            value,
        })
    }

    /// Decodes the recorded value as a `T`.
    ///
    /// # Errors
    ///
    /// [`StoreError::Decode`] naming the run and node.
    pub fn decode<T: DeserializeOwned>(&self, run: RunId) -> Result<T, StoreError> {
        decode(&self.value, run, self.path.as_str())
    }
}
