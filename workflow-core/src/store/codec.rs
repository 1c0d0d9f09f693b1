//! The one encoding of values crossing into a store: JSON, via `serde_json`.
//!
//! Every value a store keeps (a run's input and outputs, each node's output) is bytes
//! produced here, so changing the encoding is a change to this file and a new
//! [`ENCODING`] name (stores record the name they were created with and refuse another).

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{NodePath, RecordedOutput, RunId, StoreError};

/// The name of the encoding, kept in each store's metadata.
pub const ENCODING: &str = "json";

/// Encodes `value`, the `what` (a node path, `input` or `output`) of `run` (`None` for a
/// run not created yet).
///
/// # Errors
///
/// [`StoreError::Encode`] naming the run, `what` and `T`.
pub fn encode<T: Serialize + ?Sized>(
    value: &T,
    run: Option<RunId>,
    what: &str,
) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|e| StoreError::Encode {
        run,
        what: what.to_owned(),
        type_name: std::any::type_name::<T>(),
        source: e.into(),
    })
}

/// Decodes the `what` (a node path, `input` or `output`) of `run` as a `T`.
///
/// # Errors
///
/// [`StoreError::Decode`] naming the run, `what` and `T`: the row was written by code whose
/// type differed, or is damaged.
pub fn decode<T: DeserializeOwned>(bytes: &[u8], run: RunId, what: &str) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Decode {
        run,
        what: what.to_owned(),
        type_name: std::any::type_name::<T>(),
        source: e.into(),
    })
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
