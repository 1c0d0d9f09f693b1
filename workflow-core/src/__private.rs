//! Items named by macro-generated code. Not public API: no stability guarantees.
//!
//! The module is `#[doc(hidden)]`, so `missing_docs` does not ask for docs here; items
//! are documented where the doc says something the name does not.

pub use core::future::Future;
pub use core::option::Option;
pub use core::result::Result;
pub use std::boxed::Box;
pub use std::time::Duration;

pub use crate::context::Context;
/// The fingerprint a durable run of `W` records (for the store's tests, which write runs
/// as an earlier graph would have).
#[cfg(feature = "store")]
pub use crate::durable::fingerprint as durable_fingerprint;
/// What `#[workflow(durable)]` code names.
#[cfg(feature = "store")]
pub use crate::durable::DurableWorkflow;
pub use crate::error::CarriesError;
pub use crate::error::WorkflowError;
/// What a run returns, under the name generated code uses.
pub use crate::executor::RunOutcome as Outcome;
pub use crate::executor::{
    boxed_in_place, cell_op, fan_out, fan_out_collect, inline_call, route, start_node,
    start_node_sharing, sub_workflow, BoxedNodes, Executor, FanOutOptions, Finished, ItemCodec,
    NodeStarter, Op, Workflow,
};
/// Fused segments (`executor/fused.rs`).
pub use crate::executor::{
    fused_context, fused_op, fused_segments_started, FusedOp, FusedProgress, Looped,
};
pub use crate::executor::{PicturesAreConstants, WorkflowIsAValue, WorkflowsAreValues};
pub use crate::launch::{Runnable, WorkflowGoesFirst};
pub use crate::node::{
    ConvertNodeError, ErrorProbe, Node, NodeCallError, NodeErrorType, NodeResult,
    UnsupportedNodeError,
};
pub use crate::plan::{
    BoxedSlots, Consumers, Decision, FusedSegment, LazySlots, NodeNames, NodeSpec, OneConsumer,
    Plan, Slot,
};
pub use crate::policy::{Execution, FailurePolicy, NodePolicy, RetryPolicy, WorkflowPolicy};
/// What `#[workflow(durable)]` code names for running one node by itself.
#[cfg(feature = "store")]
pub use crate::remote::NodeByNode;
pub use crate::resources::{Res, ResourceReq};
/// The width of the name column of reports and live snapshots, for `workflow-test`'s
/// messages, which print them in the same columns.
pub use crate::run::name_column;
#[cfg(feature = "store")]
pub use crate::store::{decode, encode, RunId, StoreError};
/// What `workflow-test`'s harness notes of the runs it records.
pub use crate::trace::note_harness_number;
pub use core::pin::{pin, Pin};
pub use core::task::Poll;
#[cfg(feature = "store")]
pub use serde::{de::DeserializeOwned, Deserialize, Deserializer, Serialize, Serializer};
pub use std::vec;
pub use std::vec::Vec;

/// Joins encoded values into one encoded array (the inputs or outputs of a durable run).
#[cfg(feature = "store")]
pub fn join_encoded(parts: Vec<Vec<u8>>) -> Vec<u8> {
    let mut out = Vec::with_capacity(parts.iter().map(|p| p.len() + 1).sum::<usize>() + 2);
    out.push(b'[');
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(part);
    }
    out.push(b']');
    out
}

/// Splits what [`join_encoded`] made back into `count` encoded values.
///
/// # Errors
///
/// [`StoreError::Decode`] naming `what` of `run` when the bytes are not such an array.
#[cfg(feature = "store")]
pub fn split_encoded(
    bytes: &[u8],
    run: RunId,
    what: &str,
    count: usize,
) -> Result<Vec<Vec<u8>>, StoreError> {
    let values: Vec<serde_json::Value> = decode(bytes, run, what)?;
    if values.len() != count {
        return Err(StoreError::Decode {
            run,
            what: what.to_owned(),
            type_name: "a list of values",
            source: format!("expected {count} values, found {}", values.len()).into(),
        });
    }
    values.iter().map(|v| encode(v, Some(run), what)).collect()
}

/// `Serialize` for a durable workflow's output struct `name` (so that a workflow using
/// it as a sub-workflow, or in `map`, can be durable too): a struct of `fields`, each the
/// value its field's codec encoded. The fields' types are checked where they are recorded
/// (one error per binding), so this never needs a bound of its own.
///
/// # Errors
///
/// The serializer's, or a field that did not encode.
#[cfg(feature = "store")]
pub fn serialize_output<S: Serializer>(
    serializer: S,
    name: &'static str,
    fields: &[(&'static str, Result<Vec<u8>, StoreError>)],
) -> Result<S::Ok, S::Error> {
    use serde::ser::{Error as _, SerializeStruct as _};
    let mut out = serializer.serialize_struct(name, fields.len())?;
    for (field, encoded) in fields {
        let bytes = encoded.as_ref().map_err(S::Error::custom)?;
        let value: serde_json::Value = serde_json::from_slice(bytes).map_err(S::Error::custom)?;
        out.serialize_field(field, &value)?;
    }
    out.end()
}

/// The fields of a durable workflow's output struct, as [`serialize_output`] wrote
/// them (read through `serde_json::Value`, so from a self-describing format).
///
/// # Errors
///
/// The deserializer's, when the value is not a map.
#[cfg(feature = "store")]
pub fn deserialize_output<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<serde_json::Map<String, serde_json::Value>, D::Error> {
    Deserialize::deserialize(deserializer)
}

/// Field `name` of [`deserialize_output`]'s map, through the field's codec; a missing
/// field reads as `null` (an output bound in some arms only is an `Option`).
///
/// # Errors
///
/// `E::custom` with the codec's error.
#[cfg(feature = "store")]
pub fn output_field<T, E: serde::de::Error>(
    fields: &mut serde_json::Map<String, serde_json::Value>,
    name: &str,
    decode: fn(&[u8], RunId, &str) -> Result<T, StoreError>,
) -> Result<T, E> {
    let value = fields.remove(name).unwrap_or(serde_json::Value::Null);
    let bytes = serde_json::to_vec(&value).map_err(E::custom)?;
    decode(&bytes, RunId(0), name).map_err(E::custom)
}

/// How a durable workflow encodes and decodes one value's type.
#[cfg(feature = "store")]
#[derive(Debug)]
pub struct Codec<T> {
    pub encode: EncodeFn<T>,
    pub decode: fn(&[u8], RunId, &str) -> Result<T, StoreError>,
}

/// Encodes the `what` of a run (`None`: not created yet).
#[cfg(feature = "store")]
pub type EncodeFn<T> = fn(&T, Option<RunId>, &str) -> Result<Vec<u8>, StoreError>;

/// Autoref-specialised choice of a [`Codec`] for `T`: serde's when `T` is
/// `Serialize + DeserializeOwned` ([`ViaSerde`]), one that only errors otherwise
/// ([`ViaNoSerde`]). Either way the generated code compiles; with the second, a verdict of
/// [`NotRecordable`] fails the one bound the workflow puts on each value (its own
/// `#[diagnostic::on_unimplemented]` trait, implemented for [`Recordable`] only), so a
/// value that cannot be recorded is exactly one error, at its binding, however many
/// places encode or decode it.
#[cfg(feature = "store")]
#[derive(Debug)]
pub struct RecordProbe<T>(core::marker::PhantomData<fn() -> T>);

#[cfg(feature = "store")]
impl<T> RecordProbe<T> {
    pub const NEW: Self = Self(core::marker::PhantomData);
}

/// The verdict for a `Serialize + DeserializeOwned` type.
#[cfg(feature = "store")]
#[derive(Debug)]
pub struct Recordable;

/// The verdict for any other type.
#[cfg(feature = "store")]
#[derive(Debug)]
pub struct NotRecordable;

/// The serde arm of [`RecordProbe`].
#[cfg(feature = "store")]
pub trait ViaSerde<T> {
    fn codec(&self) -> (Codec<T>, Recordable);
}

#[cfg(feature = "store")]
impl<T: Serialize + DeserializeOwned> ViaSerde<T> for &RecordProbe<T> {
    #[inline]
    fn codec(&self) -> (Codec<T>, Recordable) {
        (
            Codec {
                encode: |v, run, what| encode(v, run, what),
                decode: |b, run, what| decode(b, run, what),
            },
            Recordable,
        )
    }
}

/// The fallback arm of [`RecordProbe`]: never called in a program that compiles (the
/// verdict's bound fails), or for an `#[ephemeral]` value (never recorded).
#[cfg(feature = "store")]
pub trait ViaNoSerde<T> {
    fn codec(&self) -> (Codec<T>, NotRecordable);
}

#[cfg(feature = "store")]
impl<T> ViaNoSerde<T> for RecordProbe<T> {
    fn codec(&self) -> (Codec<T>, NotRecordable) {
        fn unrecordable(run: Option<RunId>, what: &str) -> StoreError {
            StoreError::Encode {
                run,
                what: what.to_owned(),
                type_name: "a value that is not `Serialize + DeserializeOwned`",
                source: "not recordable".into(),
            }
        }
        (
            Codec {
                encode: |_, run, what| Err(unrecordable(run, what)),
                decode: |_, run, what| {
                    Err(StoreError::Decode {
                        run,
                        what: what.to_owned(),
                        type_name: "a value that is not `Serialize + DeserializeOwned`",
                        source: "not recordable".into(),
                    })
                },
            },
            NotRecordable,
        )
    }
}

use crate::error::BoxError;

pub use workflow_macros::{node_claims, node_items, node_ports};

/// Turns a fn's plain return value into a node result.
#[inline]
pub fn infallible<T>(value: T) -> NodeResult<T> {
    Ok(value)
}

/// A node's boxed error as a node result; the boxing is generated next to the fn's
/// result, through [`NodeError`], so that a bad error type is one error, at `E`.
#[inline]
pub fn failed<T>(error: BoxError) -> NodeResult<T> {
    Err(NodeCallError::Error(error))
}

/// A `Result<T, E>` return type of a `#[node]` fn (also through aliases such as
/// `std::io::Result<T>`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a `Result`",
    label = "the node's return type",
    note = "a fallible node returns `Result<T, E>`"
)]
pub trait FallibleReturn {
    type Ok;
    type Err;
}

impl<T, E> FallibleReturn for Result<T, E> {
    type Ok = T;
    type Err = E;
}

/// The error type `E` of a `#[node]` fn returning `Result<T, E>`: anything that converts
/// into a [`BoxError`](crate::BoxError) (`Box<dyn Error + Send + Sync>`), such as an
/// error type deriving `thiserror::Error`, `std::io::Error`, `anyhow::Error`, `String`.
/// Implemented for every such type; named in the compile error when it is not.
///
/// A `Box<dyn std::error::Error>` is not one: it may hold a value that is not `Send`, so
/// it cannot cross to the thread that reports it. Return a [`BoxError`](crate::BoxError)
/// instead.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the error of a `#[node]` fn",
    label = "a node's error must convert into `Box<dyn std::error::Error + Send + Sync>`",
    note = "implement `std::error::Error` for the type (e.g. with `thiserror`), and make it `Send + Sync + 'static`; for `Box<dyn Error>`, write `Box<dyn Error + Send + Sync>` or `workflow_core::BoxError`"
)]
pub trait NodeError {
    /// Boxes the error (for generated code).
    #[doc(hidden)]
    fn __into_box_error(self) -> BoxError;
}

impl<E: Into<BoxError>> NodeError for E {
    #[inline]
    fn __into_box_error(self) -> BoxError {
        self.into()
    }
}

/// Autoref-specialised: is the return type of a `#[node]` fn that `#[node]` takes as a
/// plain value (not written `Result<..>`) a `Result` after all, written through an
/// alias (`type PayResult<T> = Result<T, PayError>`)? Then an `Err` would be the
/// node's value and the run would succeed: generated code calls
/// `plain_output_is_not_a_result((&OutputProbe::<Ret>::NEW).__probe_output())`,
/// which compiles only for [`PlainValue`].
#[derive(Debug)]
pub struct OutputProbe<T>(core::marker::PhantomData<T>);

impl<T> OutputProbe<T> {
    /// The probe.
    pub const NEW: Self = Self(core::marker::PhantomData);
}

/// What [`OutputProbe`] finds for a `Result`.
#[derive(Debug)]
pub struct ResultThroughAlias;

/// What [`OutputProbe`] finds for any other type.
#[derive(Debug)]
pub struct PlainValue;

/// The `Result` arm of [`OutputProbe`].
pub trait ProbeResultOutput {
    fn __probe_output(&self) -> ResultThroughAlias {
        ResultThroughAlias
    }
}

impl<T, E> ProbeResultOutput for OutputProbe<Result<T, E>> {}

/// The fallback arm of [`OutputProbe`].
pub trait ProbePlainOutput {
    fn __probe_output(&self) -> PlainValue {
        PlainValue
    }
}

impl<T> ProbePlainOutput for &OutputProbe<T> {}

/// A plain `#[node]` output that is not a `Result` (see [`OutputProbe`]).
#[diagnostic::on_unimplemented(
    message = "this node returns `{Ret}`, a `Result` written through an alias: `#[node]` takes it as the node's value, so an `Err` would not fail the node",
    label = "an alias of `Result`",
    note = "write the return type as `Result<T, E>` (an alias named `Result`, like `io::Result<T>`, works too): an `Err` then fails the node, and `retry`/`retry_if` see it; to keep a `Result` as the node's value, wrap it in a type of your own"
)]
pub trait PlainNodeOutput<Ret> {}

impl<Ret> PlainNodeOutput<Ret> for PlainValue {}

/// Compiles only when a plain node output is not a `Result` (see [`OutputProbe`]).
#[inline(always)]
pub fn plain_output_is_not_a_result<Ret, P: PlainNodeOutput<Ret>>(_: P) {}

/// Autoref-specialised clone: `(&&CloneProbe(&x)).probe_clone()` is `Some(x.clone())`
/// when `x: Clone`, `None` otherwise. Works because generated code names concrete types.
pub struct CloneProbe<'a, T>(pub &'a T);

impl<T> core::fmt::Debug for CloneProbe<'_, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("CloneProbe")
    }
}

/// The `Clone` arm of [`CloneProbe`].
pub trait ViaClone<T> {
    fn probe_clone(&self) -> Option<T>;
}

impl<T: Clone> ViaClone<T> for &CloneProbe<'_, T> {
    #[inline]
    fn probe_clone(&self) -> Option<T> {
        Some(self.0.clone())
    }
}

/// The fallback arm of [`CloneProbe`].
pub trait ViaNoClone<T> {
    fn probe_clone(&self) -> Option<T>;
}

impl<T> ViaNoClone<T> for CloneProbe<'_, T> {
    #[inline]
    fn probe_clone(&self) -> Option<T> {
        None
    }
}

/// An input of a retried node (`#[node(retry(..))]` or `#[retry(..)]` on a binding):
/// each attempt gets its own copy, so the input must be `Clone`. Implemented for every
/// `Clone` type; named in the compile error when an input is not.
#[diagnostic::on_unimplemented(
    message = "input `{Self}` of a retried node must be `Clone`",
    label = "every attempt gets its own copy of this input",
    note = "derive `Clone` for the type, or remove the retry policy"
)]
pub trait RetryInput {
    /// Holds when `Self: Clone` (for generated code).
    #[doc(hidden)]
    const __IS_CLONE: () = ();
    /// Holds when `Self: Clone` (for generated code, on a value).
    #[doc(hidden)]
    #[inline(always)]
    fn __retry_input(&self) {}
}

impl<T: Clone> RetryInput for T {}

/// The error type a `retry(retry_if = pred)` predicate takes, `E` of the node's
/// `Result<T, E>`: the engine holds a failed attempt's error as a `dyn Error` and gives
/// it back to `pred` as an `&E`, so `E` must be a `std::error::Error` (not `String`,
/// `anyhow::Error` or `Box<dyn Error>`, which a run keeps but cannot downcast to). Named
/// in the compile error when it is not, instead of `downcast_ref`'s bound.
#[diagnostic::on_unimplemented(
    message = "`retry_if` takes the node's error as `&{Self}`, and `{Self}` is not a `std::error::Error`, which the run could give back to it",
    label = "not a `std::error::Error`",
    note = "return an error type of your own (`#[derive(Debug, thiserror::Error)]`) and take it in the predicate, like `fn is_transient(e: &FetchError) -> bool`"
)]
pub trait RetryIfError: Sized + 'static {
    /// The failed attempt's error as `Self`, if it is one.
    fn downcast<'a>(error: &'a (dyn std::error::Error + Send + Sync + 'static))
        -> Option<&'a Self>;
}

#[diagnostic::do_not_recommend]
impl<E: std::error::Error + 'static> RetryIfError for E {
    #[inline]
    fn downcast<'a>(
        error: &'a (dyn std::error::Error + Send + Sync + 'static),
    ) -> Option<&'a Self> {
        error.downcast_ref::<E>()
    }
}

/// What a `retry(retry_if = pred)` predicate returns: a `bool`. Generated code reads
/// `pred(error)` through `RetryAnswer::<E>::__answer`, so that a predicate returning something else (an
/// `async fn`'s future, `()`) is one error at `pred` naming the `fn(&E) -> bool` to write,
/// instead of rustc's "expected `bool`" in the generated call. (The call itself stays a
/// plain call, so a predicate taking `&(dyn Error + Send + Sync)` still gets the error by
/// coercion.)
#[diagnostic::on_unimplemented(
    message = "`retry_if` takes a `fn(&{E}) -> bool`, and this predicate returns `{Self}`",
    label = "returns `{Self}`, not `bool`",
    note = "write the predicate as a plain fn answering whether to try again, like `fn is_transient(e: &{E}) -> bool {{ .. }}` (not `async`)"
)]
pub trait RetryAnswer<E> {
    /// The answer.
    fn __answer(self) -> bool;
}

#[diagnostic::do_not_recommend]
impl<E> RetryAnswer<E> for bool {
    #[inline]
    fn __answer(self) -> bool {
        self
    }
}

/// [`RetryInput`] for a binding's `#[retry(..)]`, required only when the retry can run
/// (`RUNS`): when it cannot (the node cannot fail and has no timeout), that is the one
/// error, and the inputs need not be `Clone`.
#[diagnostic::on_unimplemented(
    message = "input `{Self}` of a retried node must be `Clone`",
    label = "every attempt gets its own copy of this input",
    note = "derive `Clone` for the type, or remove the retry policy"
)]
pub trait RetriedInput<const RUNS: bool> {
    /// Holds when the retry cannot run, or `Self: Clone` (for generated code).
    #[doc(hidden)]
    #[inline(always)]
    fn __retried_input(&self) {}
}

impl<T: Clone> RetriedInput<true> for T {}

impl<T> RetriedInput<false> for T {}

/// An output that `workflow!` connects to more than one port: each consumer but the last
/// gets a clone, so the output must be `Clone` (or be shared through an `Arc`).
/// Implemented for every `Clone` type; named in the compile error when an output is not.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is used by several nodes, so it must be `Clone`",
    label = "this value goes to more than one input",
    note = "derive `Clone` for the type, or wrap it in `Arc`"
)]
pub trait SharedOutput: Sized {
    /// A copy for one consumer (for generated code).
    #[doc(hidden)]
    fn __share(&self) -> Self;
}

impl<T: Clone> SharedOutput for T {
    #[inline]
    fn __share(&self) -> Self {
        self.clone()
    }
}

/// A node's input port or output, or a workflow's input: it moves between threads, so
/// it must be `Send`. `#[node]` and `workflow!` call this once per such type, in a const
/// of the node (or workflow) that [`SendChecked`] takes, so that a type that is not
/// `Send` is one error, at the type, rather than one per generated item that holds it.
/// (rustc shows the bound's line in that error, hence the comment on it.)
#[inline(always)]
pub const fn must_be_send<T>()
where
    T: Send, // node inputs and outputs move between threads: use Arc/Mutex/atomics, not Rc/RefCell/Cell
{
}

/// The types of a node's ports and output, by the const that checks that they are all
/// `Send` (`0`: they are). When one is not, that const is the one error, and every type
/// named through [`Checked`] becomes an error type, which rustc reports nothing more
/// about: not the ports struct, the node's future, nor the workflow's state holding the
/// value.
#[derive(Debug)]
pub struct SendChecked<const OK: usize>;

/// `Self` (and a value of it) through [`SendChecked`]: `<T as Checked<SendChecked<OK>>>::T`
/// is `T` when `OK` is `0`, an error type when `OK` failed to compile.
pub trait Checked<S> {
    /// `Self`.
    type T;
    /// The value.
    fn pass(value: Self) -> Self::T;
}

impl<T> Checked<SendChecked<0>> for T {
    type T = T;
    #[inline(always)]
    fn pass(value: T) -> T {
        value
    }
}

/// The output of a node declared with `#[node]`.
pub type Output<N> = <N as Node>::Output;

/// Autoref-specialised `Debug`: prints the value when it is `Debug`, a placeholder
/// otherwise, so generated input/output structs are always `Debug`.
pub struct DebugProbe<'a, T>(pub &'a T);

/// The `Debug` arm of [`DebugProbe`].
pub trait ViaDebug {
    fn probe_fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result;
}

impl<T: core::fmt::Debug> ViaDebug for &DebugProbe<'_, T> {
    fn probe_fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(self.0, f)
    }
}

/// The fallback arm of [`DebugProbe`].
pub trait ViaNoDebug {
    fn probe_fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result;
}

impl<T> ViaNoDebug for DebugProbe<'_, T> {
    fn probe_fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "<{} (not Debug)>", core::any::type_name::<T>())
    }
}

impl<T> core::fmt::Debug for DebugProbe<'_, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("DebugProbe")
    }
}

/// Formats with a closure.
pub struct DebugWith<F>(pub F);

impl<F: Fn(&mut core::fmt::Formatter<'_>) -> core::fmt::Result> core::fmt::Debug for DebugWith<F> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        (self.0)(f)
    }
}

/// Reached only if a shared output were not `Clone`, which `share` rejects at compile time
/// on another edge from the same source.
#[cold]
pub fn unreachable_clone() -> ! {
    unreachable!("workflow output shared without `Clone`; this is a bug in workflow-macros")
}

/// Runs a `#[node(spawn_blocking)]` fn on tokio's blocking pool. A panic inside is
/// resumed here, so the executor reports it as the node's panic.
pub async fn spawn_blocking<T, F>(f: F) -> NodeResult<T>
where
    T: Send + 'static,
    F: FnOnce() -> NodeResult<T> + Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result,
        Err(e) => match e.try_into_panic() {
            Ok(payload) => std::panic::resume_unwind(payload),
            Err(e) => Err(NodeCallError::Error(Box::new(e))),
        },
    }
}

/// The type of one input port of a `#[node]`, by the [`port_key`] of its name:
/// `#[node]` implements it for its ports struct, so `workflow!` can name the type of a
/// port (the slot of a pattern binding that feeds it) without seeing the node's fn.
pub trait PortType<const KEY: u64> {
    /// The port's type.
    type Ty;
}

/// The key of a port name in [`PortType`] (64-bit FNV-1a of the name; computed the same
/// way by the macros).
pub const fn port_key(name: &str) -> u64 {
    let bytes = name.as_bytes();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash
}

/// The ports struct behind a node path in `workflow!`, which names it as
/// `<fetch! { .. } as NodePath>::Node`. When `fetch!` (the node's ports callback) does
/// not resolve, rustc reports that once and puts `()` in its place: `()` stands for
/// [`UnresolvedNode`] then (which `workflow!` turns into an error type, see
/// [`Checked`]), so the rest of the workflow adds no errors of its own.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a workflow node",
    label = "not a `#[node]` fn",
    note = "add `#[node]` to the `async fn` to use it in `workflow!`"
)]
pub trait NodePath {
    /// The node.
    type Node: Node;
}

impl<N: Node> NodePath for N {
    type Node = N;
}

impl NodePath for () {
    type Node = UnresolvedNode;
}

/// The node of a path that names no `#[node]` fn (see [`NodePath`]); that path is
/// already a compile error, so this node never runs.
#[derive(Debug)]
pub struct UnresolvedNode;

impl Node for UnresolvedNode {
    const NAME: &'static str = "<unresolved>";
    const PORTS: &'static [&'static str] = &[];
    const POLICY: NodePolicy = NodePolicy::DEFAULT;
    const RESOURCES: &'static [ResourceReq] = &[];
    type Output = ();
    type Error = core::convert::Infallible;

    fn call(self, _ctx: Context) -> impl Future<Output = NodeResult<()>> + Send + 'static {
        core::future::ready(Ok(()))
    }

    fn try_clone(&self) -> Option<Self> {
        Some(Self)
    }
}

/// A resource a node takes as `Res<T>`: nodes on several threads share it, so it must be
/// `Send + Sync` (and `'static`). Implemented for every such type. (`#[node]` checks a
/// `Res<T>` parameter through [`SharedResource`], whose error names the resource type.)
pub trait ResourceValue {
    /// `Self` (for generated code).
    #[doc(hidden)]
    type __Checked: ?Sized;
}

impl<T: ?Sized + Send + Sync + 'static> ResourceValue for T {
    type __Checked = T;
}

/// The resource lookup of a `Res<T>` parameter, chosen by whether `T: Send + Sync`
/// (autoref specialization: `(&&ResourceProbe::<T>::NEW).__fetch(&ctx)`), then passed
/// through [`SharedResource`]: a type that is not both is one error in the resource's
/// terms, where `Send` and `Sync` bounds would report each one that fails (and
/// `Res<dyn Trait>` usually misses both).
pub struct ResourceProbe<T: ?Sized>(core::marker::PhantomData<fn(&T)>);

impl<T: ?Sized> core::fmt::Debug for ResourceProbe<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("ResourceProbe")
    }
}

impl<T: ?Sized> ResourceProbe<T> {
    /// The probe of `T`.
    pub const NEW: Self = Self(core::marker::PhantomData);
}

/// The lookup of a resource that is `Send + Sync` (picked first by method resolution).
pub trait ResourceShared<T: ?Sized> {
    /// `ctx.__resource::<T>()`.
    fn __fetch(&self, ctx: &Context) -> Result<Res<T>, NodeCallError>;
}

impl<T: ?Sized + Send + Sync + 'static> ResourceShared<T> for &ResourceProbe<T> {
    fn __fetch(&self, ctx: &Context) -> Result<Res<T>, NodeCallError> {
        ctx.__resource::<T>()
    }
}

/// The lookup of any other resource type: [`NotSendSync`], which is not a
/// [`SharedResource`], so it never compiles.
pub trait ResourceNotShared {
    /// [`NotSendSync`].
    fn __fetch(&self, ctx: &Context) -> NotSendSync;
}

impl<T: ?Sized> ResourceNotShared for ResourceProbe<T> {
    fn __fetch(&self, _: &Context) -> NotSendSync {
        NotSendSync
    }
}

/// What a `Res<T>` parameter whose `T` is not `Send + Sync` looks up: named in that
/// compile error.
#[derive(Debug)]
pub struct NotSendSync;

/// A resource lookup of a type nodes on several threads can share (`Send + Sync`): the
/// compile error of a `Res<T>` parameter whose `T` is not both names it.
#[diagnostic::on_unimplemented(
    message = "resource `{T}` must be `Send + Sync`: nodes on several threads share it",
    label = "not `Send + Sync`",
    note = "for a trait object, write `Res<dyn Trait + Send + Sync>` (or declare `trait Trait: Send + Sync`); for shared mutable state, use `Mutex`/`RwLock` or atomics, not `RefCell`/`Cell`/`Rc`"
)]
pub trait SharedResource<T: ?Sized> {
    /// The looked-up resource.
    #[doc(hidden)]
    fn __resource(self) -> Result<Res<T>, NodeCallError>;
}

// Not listed as "implemented for `Result<..>`" in that error.
#[diagnostic::do_not_recommend]
impl<T: ?Sized> SharedResource<T> for Result<Res<T>, NodeCallError> {
    fn __resource(self) -> Self {
        self
    }
}

/// The value an `if` in `workflow!` routes on: a `bool`. Named in the compile error
/// when `if c { .. }` routes on a binding or input of another type.
#[diagnostic::on_unimplemented(
    message = "`if` routes on a `bool`, and this is `{Self}`",
    label = "not a `bool`",
    note = "`if name {{ .. }} else {{ .. }}` takes a binding or input of type `bool`; to route on another value, use `match name {{ Pattern => {{ .. }} }}`, or compute a `bool` in a `#[node]`"
)]
pub trait IfCondition {
    /// The condition (for generated code).
    #[doc(hidden)]
    fn __condition(self) -> bool;
}

// Not listed in the error (it would point into this file); the note says what to do.
#[diagnostic::do_not_recommend]
impl IfCondition for bool {
    #[inline]
    fn __condition(self) -> bool {
        self
    }
}

/// What a `match` in `workflow!` routes on, passed through on its way to the user's own
/// `match`: `Self` is left for the arms' patterns to infer (`Triage::Small(o)` makes it
/// `Triage`), so a value of another type is one error here, naming both types, rather
/// than a mismatch at each arm.
#[diagnostic::on_unimplemented(
    message = "`match` routes on `{S}`, but its arms match `{Self}`",
    label = "this is `{S}`",
    note = "match on a binding or input of type `{Self}`, or write the arms' patterns for `{S}`"
)]
pub trait MatchOn<S> {
    /// The value (for generated code).
    #[doc(hidden)]
    fn __matched(source: S) -> Self;
}

impl<T> MatchOn<T> for T {
    #[inline]
    fn __matched(source: T) -> T {
        source
    }
}

/// What a `match` in `workflow!` whose arms are string literals (`"eu" => { .. }`)
/// routes on: a `String`, `&str` or another owned or shared string, matched as a `&str`
/// (the arms of a plain Rust `match` on a `String` would need `.as_str()`, which the DSL
/// has no place for). Named in the compile error when the value is not a string.
#[diagnostic::on_unimplemented(
    message = "`match` with string patterns routes on a string, and this is `{Self}`",
    label = "not a `String` or `&str`",
    note = "match string literals on a binding or input of type `String` or `&str`; for another type, write the arms' patterns for it"
)]
pub trait MatchStr {
    /// The value as a `String` (for generated code). By value, so that a value of
    /// another type is one error, at the user's value; a `String` moves, a borrowed
    /// string is copied once a run.
    #[doc(hidden)]
    fn __into_string(self) -> String;
}

#[diagnostic::do_not_recommend]
impl MatchStr for String {
    #[inline]
    fn __into_string(self) -> String {
        self
    }
}

#[diagnostic::do_not_recommend]
impl MatchStr for Box<str> {
    #[inline]
    fn __into_string(self) -> String {
        self.into()
    }
}

#[diagnostic::do_not_recommend]
impl MatchStr for std::borrow::Cow<'_, str> {
    #[inline]
    fn __into_string(self) -> String {
        self.into_owned()
    }
}

macro_rules! match_borrowed_str {
    ($($ty:ty),*) => {$(
        #[diagnostic::do_not_recommend]
        impl MatchStr for $ty {
            #[inline]
            fn __into_string(self) -> String {
                (*self).to_owned()
            }
        }
    )*};
}

match_borrowed_str!(&str, &String, std::sync::Arc<str>);

/// The list a fan-out (`for x in xs { .. }`, `map(W, xs)`) runs over: any `IntoIterator`
/// whose items can cross threads, such as a `Vec<T>`. Implemented for every such type;
/// named in the compile error when the source of a fan-out is not one.
#[diagnostic::on_unimplemented(
    message = "cannot fan out over `{Self}`: it is not a list",
    label = "`for .. in` runs its body once per item of this, so it must be a `Vec<T>` (or another `IntoIterator`)",
    note = "fan out over an input or binding holding a `Vec<T>`; to run a body once, bind its nodes directly"
)]
pub trait FanOutItems:
    IntoIterator<IntoIter = Self::Items, Item = Self::Each> + Send + 'static
{
    /// One item (an input of the body's child workflow).
    type Each: Send + 'static;
    /// The iterator over the items.
    type Items: Iterator<Item = Self::Each> + Send;
}

impl<T> FanOutItems for T
where
    T: IntoIterator + Send + 'static,
    T::IntoIter: Send,
    T::Item: Send + 'static,
{
    type Each = T::Item;
    type Items = T::IntoIter;
}

/// The input struct of a workflow with exactly one input, built from one item of a
/// `map(Workflow, items)` fan-out. `workflow!` implements it for such workflows.
#[diagnostic::on_unimplemented(
    message = "`map` runs a workflow with exactly one input per item, and `{Self}` does not have exactly one",
    label = "not a one-input workflow's input struct",
    note = "run a workflow with several inputs per item with `for x in items {{ out = Workflow(a: x, b: other), }} => out`"
)]
pub trait MapInput: Sized {
    /// The type of the one input.
    type Item;
    /// The input struct holding `item`.
    fn from_item(item: Self::Item) -> Self;
}

/// Autoref-specialised choice of a fan-out's [`ItemCodec`]: `Some` when the items'
/// workflow `W` is durable ([`ViaDurableItems`], a `for` body of a durable workflow, or a
/// durable workflow of `map(W, xs)`), so a durable run records each item's nodes;
/// `None` otherwise ([`ViaPlainItems`]). Generated as
/// `(&&ItemsProbe::<W>::NEW).item_codec()` with both traits in scope.
#[derive(Debug)]
pub struct ItemsProbe<W>(core::marker::PhantomData<fn() -> W>);

impl<W> ItemsProbe<W> {
    pub const NEW: Self = Self(core::marker::PhantomData);
}

/// The fallback arm of [`ItemsProbe`]: items recorded only as part of the fan-out.
pub trait ViaPlainItems<W: Workflow> {
    fn item_codec(&self) -> Option<ItemCodec<W>> {
        None
    }
}

impl<W: Workflow> ViaPlainItems<W> for ItemsProbe<W> {}

/// The durable arm of [`ItemsProbe`] (without the `store` feature, a trait nothing
/// implements, so generated code names it either way).
#[cfg(feature = "store")]
pub trait ViaDurableItems<W: Workflow> {
    fn item_codec(&self) -> Option<ItemCodec<W>>;
}

#[cfg(feature = "store")]
impl<W: DurableWorkflow> ViaDurableItems<W> for &ItemsProbe<W> {
    fn item_codec(&self) -> Option<ItemCodec<W>> {
        Some(ItemCodec {
            encode: W::encode_value,
            decode: W::decode_value,
            output_type: W::output_type,
            ephemeral: W::EPHEMERAL,
            versions: W::NODE_VERSIONS,
            workflow: core::marker::PhantomData,
        })
    }
}

/// The durable arm of [`ItemsProbe`] (without the `store` feature, a trait nothing
/// implements, so generated code names it either way).
#[cfg(not(feature = "store"))]
pub trait ViaDurableItems {}

/// `Result`'s `unwrap`/`expect` on a run that was not awaited (`rt.execute(..).unwrap()`):
/// in scope through the prelude, so that mistake is one error saying to add `.await`
/// (rustc's own is "no method named `unwrap` found for `RunFuture`", with no hint).
/// The methods can never be called: their bound, [`AwaitedRun`], has no impl.
pub trait RunNotAwaited<O>: Sized {
    /// Never callable: see [`AwaitedRun`].
    #[doc(hidden)]
    fn unwrap(self) -> crate::Run<O>
    where
        Self: AwaitedRun;

    /// Never callable: see [`AwaitedRun`].
    #[doc(hidden)]
    fn expect(self, message: &str) -> crate::Run<O>
    where
        Self: AwaitedRun;
}

// `never()` returns an uninhabited type, which rustc's reachability lint flags.
#[allow(unreachable_code)]
impl<O> RunNotAwaited<O> for crate::launch::RunFuture<O> {
    fn unwrap(self) -> crate::Run<O>
    where
        Self: AwaitedRun,
    {
        match self.never() {}
    }

    fn expect(self, _: &str) -> crate::Run<O>
    where
        Self: AwaitedRun,
    {
        match self.never() {}
    }
}

/// What `unwrap` and `expect` need: a run's result, which a [`RunFuture`](crate::launch::RunFuture)
/// becomes once awaited. Implemented for nothing; named in the compile error.
#[diagnostic::on_unimplemented(
    message = "a run's result is there only once the run is awaited: add `.await` before this call",
    label = "`{Self}` is a future: await it first, like `.await.unwrap()` or `.await?`",
    note = "`execute(..)` returns a future that runs the workflow when awaited, like an `async fn` call"
)]
pub trait AwaitedRun {
    /// Never called (no type implements this trait).
    #[doc(hidden)]
    fn never(self) -> core::convert::Infallible;
}

/// `Result`'s `unwrap`/`expect` on a durable run that was not awaited
/// (`rt.start_durable(..).unwrap()`, `rt.resume(..).expect(..)`): in scope through the
/// prelude, so that mistake is one error saying to add `.await` (rustc's own is "no
/// method named `unwrap` found for struct `Pin<Box<dyn Future<..>>>`", with no hint).
/// The methods can never be called: their bound, [`AwaitedDurableRun`], has no impl.
#[cfg(feature = "store")]
pub trait DurableRunNotAwaited<O>: Sized {
    /// Never callable: see [`AwaitedDurableRun`].
    #[doc(hidden)]
    fn unwrap(self) -> crate::DurableRun<O>
    where
        Self: AwaitedDurableRun;

    /// Never callable: see [`AwaitedDurableRun`].
    #[doc(hidden)]
    fn expect(self, message: &str) -> crate::DurableRun<O>
    where
        Self: AwaitedDurableRun;
}

// `never()` returns an uninhabited type, which rustc's reachability lint flags.
#[cfg(feature = "store")]
#[allow(unreachable_code)]
impl<O> DurableRunNotAwaited<O> for crate::DurableFuture<'_, crate::DurableRun<O>> {
    fn unwrap(self) -> crate::DurableRun<O>
    where
        Self: AwaitedDurableRun,
    {
        match self.never() {}
    }

    fn expect(self, _: &str) -> crate::DurableRun<O>
    where
        Self: AwaitedDurableRun,
    {
        match self.never() {}
    }
}

/// What `unwrap` and `expect` need: a durable run's result, which the
/// [`DurableFuture`](crate::DurableFuture) of `start_durable`, `resume` or `retry`
/// becomes once awaited. Implemented for nothing; named in the compile error.
#[cfg(feature = "store")]
#[diagnostic::on_unimplemented(
    message = "a durable run's result is there only once the run is awaited: add `.await` before this call",
    label = "a future of the run: await it first, like `.await.unwrap()` or `.await?`",
    note = "`start_durable(..)`, `resume(..)` and `retry(..)` return a future that runs the workflow when awaited, like an `async fn` call"
)]
pub trait AwaitedDurableRun {
    /// Never called (no type implements this trait).
    #[doc(hidden)]
    fn never(self) -> core::convert::Infallible;
}

/// The `ctx: &Context` parameter of a `#[node]` fn, as the generated call passes it:
/// `context_param(&ctx)`, whose type is the parameter's. When a type of the user's named
/// `Context` hides the prelude's (`struct Context { user: String }` in their crate), the
/// parameter is not the runtime's context, and this bound is one error at its type saying
/// so, where it was rustc's "expected `Context`, found `workflow_core::Context`" at
/// `#[node]`.
#[diagnostic::on_unimplemented(
    message = "this `Context` is not the runtime's: a type of yours named `Context` hides `workflow_core::Context` (the prelude's) here",
    label = "a node's context is `&workflow_core::Context`",
    note = "take `ctx: &workflow_core::Context`, or import yours under another name (`use crate::app::Context as AppContext;`)"
)]
pub trait ContextParam<'a> {
    /// The runtime's context as the parameter's type.
    fn __from(ctx: &'a Context) -> Self;
}

impl<'a> ContextParam<'a> for &'a Context {
    fn __from(ctx: &'a Context) -> Self {
        ctx
    }
}

/// See [`ContextParam`].
#[inline(always)]
pub fn context_param<'a, C: ContextParam<'a>>(ctx: &'a Context) -> C {
    C::__from(ctx)
}
