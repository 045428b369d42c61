//! The registry's nodes: registered on the secretariat's node only.

use concord_core::event::Event;
use concord_core::federation::NodeRegistration;

use crate::Store;
use crate::StoreError;

/// Why a node could not be registered.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// The registration is malformed.
    #[error("{0}")]
    Invalid(String),
    /// This is a member state's node: the registry is the secretariat's.
    #[error(
        "this is {0}'s node: nodes are registered on the secretariat's node, whose registry every node takes"
    )]
    NotTheRegistry(String),
    /// The store failed, or another registration was recorded meanwhile.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Registers a node in the registry (on the secretariat's node), replacing an earlier
/// registration of the same origin (a new node key). Returns the event recorded, or
/// `None` if the same registration is there already.
pub async fn register_node(
    store: &dyn Store,
    deployment: &crate::council::Deployment,
    registration: NodeRegistration,
) -> Result<Option<Event>, RegisterError> {
    if let Some(node) = &deployment.node {
        return Err(RegisterError::NotTheRegistry(node.state.to_string()));
    }
    registration
        .check(&deployment.charter)
        .map_err(RegisterError::Invalid)?;
    let same = |n: &NodeRegistration| {
        n.origin == registration.origin
            && n.owner == registration.owner
            && n.log_key == registration.log_key
            && n.node_key == registration.node_key
    };
    if store.nodes().await?.iter().any(same) {
        return Ok(None);
    }
    let expect = [crate::Expect {
        subject: "nodes".to_owned(),
        last: store.subject_head("nodes").await?,
    }];
    let event = Event::NodeRegistered(registration);
    store
        .append(std::slice::from_ref(&event), None, &expect)
        .await?;
    Ok(Some(event))
}
