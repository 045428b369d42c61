//! Asking a peer node over HTTP: JSON answers, requests signed with this node's key where
//! the peer asks for it. Blocking `ureq` calls run on the runtime's blocking threads.

use std::time::Duration;

use serde::de::DeserializeOwned;

/// How long one request may take, end to end.
const TIMEOUT: Duration = Duration::from_secs(30);

/// The largest answer taken (a page of a log).
const MAX_BODY: u64 = 256 << 20;

/// GETs `url` and reads its JSON, with the `Concord-Node` header if given. A failure says
/// what the peer answered.
pub async fn get_json<T: DeserializeOwned + Send + 'static>(
    url: String,
    node_header: Option<String>,
) -> Result<T, String> {
    tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(TIMEOUT))
            .http_status_as_error(false)
            .build()
            .into();
        let mut request = agent.get(&url);
        if let Some(h) = &node_header {
            request = request.header(concord_server::federation::NODE_HEADER, h);
        }
        let mut response = request.call().map_err(|e| format!("{url}: {e}"))?;
        let status = response.status();
        let body = response.body_mut().with_config().limit(MAX_BODY);
        if !status.is_success() {
            let text = body.read_to_string().unwrap_or_default();
            let detail = serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| v["detail"].as_str().map(str::to_owned))
                .unwrap_or(text);
            return Err(format!("{url}: {status}: {detail}"));
        }
        body.read_json::<T>()
            .map_err(|e| format!("{url}: the answer is not what a node sends: {e}"))
    })
    .await
    .map_err(|e| format!("the request failed to run: {e}"))?
}
