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

/// GETs `url` (`https://`) over TLS with `config` (this node's key; the server's must be
/// a known node's), with the `Concord-Node` header if given: the JSON answer, and the node
/// key the server presented.
pub async fn get_json_tls<T: DeserializeOwned>(
    url: &str,
    node_header: Option<String>,
    config: std::sync::Arc<rustls::ClientConfig>,
) -> Result<(T, [u8; 32]), String> {
    use http_body_util::BodyExt;
    let fail = |e: &dyn std::fmt::Display| format!("{url}: {e}");
    let parsed = url::Url::parse(url).map_err(|e| fail(&e))?;
    if parsed.scheme() != "https" {
        return Err(format!(
            "{url}: nodes are reached over TLS: give the peer's federation address as https://HOST:PORT"
        ));
    }
    let host = parsed
        .host_str()
        .ok_or_else(|| fail(&"no host"))?
        .to_owned();
    let port = parsed.port().unwrap_or(443);
    let target = match parsed.query() {
        Some(q) => format!("{}?{q}", parsed.path()),
        None => parsed.path().to_owned(),
    };
    let exchange = async {
        let tcp = tokio::net::TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|e| fail(&e))?;
        tcp.set_nodelay(true).map_err(|e| fail(&e))?;
        let name = rustls::pki_types::ServerName::try_from(host.clone()).map_err(|e| fail(&e))?;
        let tls = tokio_rustls::TlsConnector::from(config)
            .connect(name, tcp)
            .await
            .map_err(|e| {
                fail(&format!(
                    "TLS with the peer failed ({e}): is it a registered node?"
                ))
            })?;
        let key = tls
            .get_ref()
            .1
            .peer_certificates()
            .and_then(|c| c.first())
            .and_then(|c| concord_server::federation_tls::node_key_of(c))
            .ok_or_else(|| fail(&"the peer presented no node key"))?;
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
                .await
                .map_err(|e| fail(&e))?;
        tokio::spawn(connection);
        let mut request = hyper::Request::get(&target).header(hyper::header::HOST, &host);
        if let Some(h) = &node_header {
            request = request.header(concord_server::federation::NODE_HEADER, h);
        }
        let request = request
            .body(http_body_util::Empty::<bytes::Bytes>::new())
            .map_err(|e| fail(&e))?;
        // TLS 1.3 refuses a client's key after the handshake: the peer then ends the
        // connection before it answers.
        let response = sender.send_request(request).await.map_err(|e| {
            fail(&format!(
                "the peer ended the TLS connection ({e}): is this node registered where it pulls?"
            ))
        })?;
        let status = response.status();
        let body = http_body_util::Limited::new(response.into_body(), MAX_BODY as usize)
            .collect()
            .await
            .map_err(|e| fail(&e))?
            .to_bytes();
        if !status.is_success() {
            let text = String::from_utf8_lossy(&body).into_owned();
            let detail = serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| v["detail"].as_str().map(str::to_owned))
                .unwrap_or(text);
            return Err(format!("{url}: {status}: {detail}"));
        }
        let value = serde_json::from_slice(&body)
            .map_err(|e| fail(&format!("the answer is not what a node sends: {e}")))?;
        Ok((value, key))
    };
    tokio::time::timeout(TIMEOUT, exchange)
        .await
        .map_err(|_| fail(&"no answer in time"))?
}
