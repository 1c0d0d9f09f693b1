//! How a [`WorkflowError`] prints: `{}` (with `{:#}` for the whole chain) and a `Debug`
//! that leaves out what a run's own timeout does not have.

use std::fmt;

use super::*;

/// As `#[derive(Debug)]` prints it (`{:#?}` too), except the run's own timeout, which
/// leaves out `attempts` and `all_attempts`: they describe a node's timeout, and read
/// `attempts: 0, all_attempts: false` for the run's (a new-user trial took them for
/// facts about the run). The fields stay, so patterns and code reading them work as
/// before.
impl fmt::Debug for WorkflowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // One arm per variant, each listing every field (no `..`): a new field or
        // variant is a compile error here until it is printed.
        macro_rules! derived {
            ($($variant:ident { $($field:ident),* }),* $(,)?) => {
                match self {
                    Self::Timeout {
                        workflow,
                        scope: scope @ TimeoutScope::Workflow,
                        limit,
                        running,
                        attempts: _,
                        all_attempts: _,
                        retrying,
                    } => f
                        .debug_struct("Timeout")
                        .field("workflow", workflow)
                        .field("scope", scope)
                        .field("limit", limit)
                        .field("running", running)
                        .field("retrying", retrying)
                        .finish(),
                    $(Self::$variant { $($field),* } => f
                        .debug_struct(stringify!($variant))
                        $(.field(stringify!($field), $field))*
                        .finish(),)*
                }
            };
        }
        derived!(
            NodeFailed {
                workflow,
                node,
                attempts,
                source
            },
            NodePanicked {
                workflow,
                node,
                message
            },
            Timeout {
                workflow,
                scope,
                limit,
                running,
                attempts,
                all_attempts,
                retrying
            },
            MissingResource {
                workflow,
                node,
                type_name
            },
            ResourceRegisteredAsArc {
                workflow,
                node,
                type_name
            },
            ResourceRegisteredAsFuture {
                workflow,
                node,
                type_name,
                registered
            },
            ResourceRegisteredAsOtherType {
                workflow,
                node,
                type_name,
                registered
            },
            Deadlock { workflow, report },
            Cancelled {
                workflow,
                running,
                retrying
            },
            Multiple { workflow, errors },
            NeedsTokio {
                workflow,
                node,
                cause
            },
            ShutDown { workflow },
            Store {
                workflow,
                run,
                node,
                source,
                run_error
            },
        )
    }
}

/// `{}` includes the node's own message; `{:#}` adds the rest of the chain (the node
/// error's sources), as anyhow's `{:#}` does.
impl WorkflowError {
    /// What a failure of the run itself (no node to blame) did to it, as the verb of
    /// [`WorkflowError::Multiple`]'s first words: "deadlocked", "timed out".
    fn what_the_run_did(&self) -> &'static str {
        match self {
            Self::Deadlock { .. } => "deadlocked",
            Self::Timeout { .. } => "timed out",
            Self::Cancelled { .. } => "was cancelled",
            Self::ShutDown { .. } => "was shut down",
            _ => "failed",
        }
    }
}

impl fmt::Display for WorkflowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NodeFailed {
                workflow,
                node,
                attempts,
                source,
            } => write!(
                f,
                "node `{node}` of workflow `{workflow}` failed after {attempts} attempt(s): {}",
                Shown(&**source)
            )?,
            Self::NodePanicked {
                workflow,
                node,
                message,
            } => write!(
                f,
                "node `{node}` of workflow `{workflow}` panicked: {message}"
            )?,
            Self::Timeout {
                workflow,
                scope,
                limit,
                running,
                attempts,
                all_attempts,
                retrying,
            } => {
                write!(
                    f,
                    "{scope} of workflow `{workflow}` timed out after {limit:?}"
                )?;
                let is_scope = |r: &str| match scope {
                    TimeoutScope::Node(node) => is_named(node, r),
                    TimeoutScope::Workflow => false,
                };
                // With retries, say how many attempts were made, and which limit ran
                // out: one attempt's (`timeout`) or all of them together's
                // (`retry(total_timeout)`, which an attempt reaches part-way, or the
                // wait before the next one).
                let own_wait = retrying.iter().find(|w| is_scope(&w.node));
                match (*all_attempts, *attempts, own_wait) {
                    (true, 0, _) => {
                        f.write_str(", its `retry(total_timeout)`, before its first attempt began")?
                    }
                    (true, _, Some(wait)) => write!(
                        f,
                        ", its `retry(total_timeout)` for all attempts, while waiting to retry: {}",
                        wait.failed()
                    )?,
                    (true, n, None) => write!(
                        f,
                        ", its `retry(total_timeout)` for all attempts, during attempt {n}"
                    )?,
                    (false, n, _) if n > 1 => write!(f, " in the last of {n} attempt(s)")?,
                    (false, _, _) => {}
                }
                // A node's own timeout lists that node in `running`; "still running: s"
                // after "node `s` timed out" read as if it had not been stopped. Name only
                // the others, if any; those between two attempts (a retry's backoff)
                // apart: "still running" would say an attempt was cut short.
                let waiting = |r: &str| retrying.iter().any(|w| w.node == r);
                let others: Vec<&str> = running
                    .iter()
                    .map(|r| &**r)
                    .filter(|r| !is_scope(r) && !waiting(r))
                    .collect();
                let waits: Vec<&RetryWait> =
                    retrying.iter().filter(|w| !is_scope(&w.node)).collect();
                if !others.is_empty()
                    || (matches!(scope, TimeoutScope::Workflow) && waits.is_empty())
                {
                    write!(f, "; still running: {}", List(&others))?;
                }
                if !waits.is_empty() {
                    f.write_str("; waiting to retry: ")?;
                    for (i, wait) in waits.iter().enumerate() {
                        let sep = if i == 0 { "" } else { ", " };
                        write!(f, "{sep}{} ({})", wait.node, wait.failed())?;
                    }
                }
            }
            Self::MissingResource {
                workflow,
                node,
                type_name,
            } => {
                let is_dyn = is_trait_object(type_name);
                let type_name = ShortType(type_name);
                write!(
                    f,
                    "node `{node}` of workflow `{workflow}` needs resource `{type_name}`, which is not registered; "
                )?;
                // A trait object has no size: `resource(..)` cannot take one.
                if is_dyn {
                    write!(
                        f,
                        "add a value of a type that implements it with `Runtime::builder().resource_arc::<{type_name}>(Arc::new(..))` (`insert_resource_arc::<{type_name}>(..)` on a running runtime or a `Harness`)"
                    )?;
                } else if let Some(inner) = type_name
                    .to_string()
                    .strip_prefix("Arc<")
                    .and_then(|t| t.strip_suffix('>'))
                {
                    // `Res<Arc<Mutex<S>>>`, the shared-state habit of hand-written code,
                    // registered with `resource_arc(arc)` (which registers `Mutex<S>`).
                    write!(
                        f,
                        "register the `Arc` itself with `Runtime::builder().resource(arc)` (`insert_resource(arc)` on a running runtime or a `Harness`), or, since a `Res` is already a shared handle, take `Res<{inner}>` in the node and register it with `resource_arc(arc)`"
                    )?;
                } else {
                    // A test's runtime is often a `Harness`'s: name its call too.
                    f.write_str("add it with `Runtime::builder().resource(..)` (`insert_resource(..)` on a running runtime or a `Harness`)")?;
                }
            }
            Self::ResourceRegisteredAsArc {
                workflow,
                node,
                type_name,
            } if is_trait_object(type_name) => {
                let type_name = ShortType(type_name);
                write!(
                    f,
                    "node `{node}` of workflow `{workflow}` needs resource `{type_name}`, but an `Arc` was registered with `resource(..)` or `insert_resource(..)`, which registers the type `Arc<..>` itself; register it with `resource_arc::<{type_name}>(..)` (`insert_resource_arc::<{type_name}>(..)` on a running runtime or a `Harness`) so nodes receive it as `Res<{type_name}>`"
                )?;
            }
            Self::ResourceRegisteredAsArc {
                workflow,
                node,
                type_name,
            } => {
                let type_name = ShortType(type_name);
                write!(
                    f,
                    "node `{node}` of workflow `{workflow}` needs resource `{type_name}`, but an `Arc<{type_name}>` was registered; register it with `resource_arc(..)` so nodes receive it as `Res<{type_name}>`"
                )?;
            }
            Self::ResourceRegisteredAsFuture {
                workflow,
                node,
                type_name,
                registered,
            } => {
                let type_name = ShortType(type_name);
                write!(
                    f,
                    "node `{node}` of workflow `{workflow}` needs resource `{type_name}`, which is not registered; "
                )?;
                let (shown, origin) = future_origin(registered);
                write!(
                    f,
                    "what is registered in its place (`{shown}`) is a future or closure, which no `Res<..>` can name: "
                )?;
                match origin {
                    Some(origin) => write!(
                        f,
                        "if it is the future of `{origin}`, `.await` it before registering, as in `Runtime::builder().resource({origin}(..).await)` (add `?` if it returns a `Result`)"
                    )?,
                    None => f.write_str("`.await` a future before registering its value")?,
                }
            }
            Self::ResourceRegisteredAsOtherType {
                workflow,
                node,
                type_name,
                registered,
            } => {
                let (wanted, registered) = (ShortType(type_name), ShortType(registered));
                write!(
                    f,
                    "node `{node}` of workflow `{workflow}` needs resource `{wanted}`, which is not registered, but `{registered}` is registered: the same type with other type parameters, which inference gives a value built without them (an integer literal is an `i32`, a float an `f64`, unless told otherwise); name the type where the value is built, as in `let value: {wanted} = ..` (`EventQueue::<u32>::new()`)"
                )?;
            }
            Self::Deadlock { workflow, report } => {
                write!(f, "deadlock in workflow `{workflow}`: {report}")?;
            }
            Self::Cancelled {
                workflow,
                running,
                retrying,
            } => {
                write!(f, "run of workflow `{workflow}` was cancelled")?;
                // Those between two attempts apart, as a run's timeout names them.
                let others: Vec<&str> = running
                    .iter()
                    .map(|r| &**r)
                    .filter(|r| !retrying.iter().any(|w| w.node == *r))
                    .collect();
                if !others.is_empty() || retrying.is_empty() {
                    write!(f, "; still running: {}", List(&others))?;
                }
                if !retrying.is_empty() {
                    f.write_str("; waiting to retry: ")?;
                    for (i, wait) in retrying.iter().enumerate() {
                        let sep = if i == 0 { "" } else { ", " };
                        write!(f, "{sep}{} ({})", wait.node, wait.failed())?;
                    }
                }
            }
            // No single source: each failure is printed with its own cause.
            Self::Multiple { workflow, errors } => {
                // Count the nodes that failed, not the errors: with `failure =
                // "continue"`, a run stopped by a deadlock, its timeout or a
                // cancellation after a node failed holds that error too, which no node
                // made ("2 nodes failed" for one node and a deadlock).
                let failed = errors.iter().filter(|e| e.node().is_some()).count();
                let nodes = if failed == 1 { "node" } else { "nodes" };
                let run: Vec<&str> = errors
                    .iter()
                    .filter(|e| e.node().is_none())
                    .map(Self::what_the_run_did)
                    .collect();
                if run.is_empty() {
                    write!(f, "{failed} {nodes} of workflow `{workflow}` failed: ")?;
                } else if failed == 0 {
                    write!(
                        f,
                        "the run of workflow `{workflow}` {}: ",
                        run.join(" and ")
                    )?;
                } else {
                    write!(
                        f,
                        "{failed} {nodes} of workflow `{workflow}` failed, then the run {}: ",
                        run.join(" and ")
                    )?;
                }
                for (i, e) in errors.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    // `{:#}` promises the whole chain: pass it on to each failure.
                    if f.alternate() {
                        write!(f, "{e:#}")?;
                    } else {
                        write!(f, "{e}")?;
                    }
                }
            }
            Self::ShutDown { workflow } => write!(
                f,
                "the runtime is shut down; workflow `{workflow}` was not started"
            )?,
            Self::NeedsTokio {
                workflow,
                node,
                cause,
            } => {
                write!(f, "workflow `{workflow}` needs a tokio runtime because of ")?;
                let (what, drop) = cause.what_and_fix();
                match (node, cause) {
                    (None, _) => write!(f, "its {what}")?,
                    (Some(node), TokioNeed::RunTimeout | TokioNeed::StallLimit) => {
                        write!(f, "the {what} of its sub-workflow node `{node}`")?;
                    }
                    (Some(node), _) => write!(f, "the {what} of its node `{node}`")?,
                }
                write!(
                    f,
                    ", and was polled outside one (another executor's `block_on`): run it inside a tokio runtime (`#[tokio::main]`, `tokio::runtime::Runtime::block_on`), or drop {drop}"
                )?;
            }
            Self::Store {
                workflow,
                run,
                node,
                source,
                run_error,
            } => {
                // Run 0: refused before a run was created (no store, a key naming
                // another run); "durable run 0" read like a run of that id.
                if *run == 0 {
                    write!(f, "durable workflow `{workflow}`")?;
                } else {
                    write!(f, "durable run {run} of workflow `{workflow}`")?;
                }
                if let Some(node) = node {
                    write!(f, ", node `{node}`")?;
                }
                // The store's error leaves out the run and node named here.
                let named = Named {
                    run: (*run != 0).then_some(*run),
                    node: node.as_deref().map(str::to_owned),
                };
                naming(Some(named), || write!(f, ": {}", Shown(&**source)))?;
                if let Some(e) = run_error {
                    write!(f, " (after the run itself failed: {e})")?;
                }
            }
        }
        if f.alternate() {
            let mut causes = self.causes();
            for cause in causes.by_ref() {
                write!(f, ": {}", Shown(cause))?;
            }
            if causes.cut() {
                f.write_str(": <the rest of the cause chain is left out: it loops>")?;
            }
        }
        Ok(())
    }
}

/// Whether `name` (in `running`: the node's path, or a binding such as `b` in an error
/// made by hand) names the node at `path` (`b`, or `out[2].b` inside a fan-out item or
/// sub-workflow).
fn is_named(path: &str, name: &str) -> bool {
    path == name
        || path
            .strip_suffix(name)
            .is_some_and(|head| head.ends_with('.'))
}

/// Node names, comma-separated, or `none`.
struct List<'a>(&'a [&'a str]);

impl fmt::Display for List<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("none")
        } else {
            f.write_str(&self.0.join(", "))
        }
    }
}
