//! Asking a peer node: over TLS with this node's key ([`PeerConnection`]), requests signed
//! where the peer asks for it; and, in the clear, who a node says it is (registering it).
//! Blocking `ureq` calls run on the runtime's blocking threads.

use std::time::Duration;

use serde::de::DeserializeOwned;

/// How long one request may take, end to end.
const TIMEOUT: Duration = Duration::from_secs(30);

/// The largest answer taken (a page of a log).
const MAX_BODY: u64 = 256 << 20;

/// What a peer's refusal says: the `detail` of its problem+json, or its text.
fn refusal(url: &str, status: impl std::fmt::Display, text: String) -> String {
    let detail = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v["detail"].as_str().map(str::to_owned))
        .unwrap_or(text);
    format!("{url}: {status}: {detail}")
}

/// GETs `url` in the clear and reads its JSON. A failure says what the peer answered.
pub async fn get_json<T: DeserializeOwned + Send + 'static>(url: String) -> Result<T, String> {
    tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(TIMEOUT))
            .http_status_as_error(false)
            .build()
            .into();
        let mut response = agent.get(&url).call().map_err(|e| format!("{url}: {e}"))?;
        let status = response.status();
        let body = response.body_mut().with_config().limit(MAX_BODY);
        if !status.is_success() {
            return Err(refusal(
                &url,
                status,
                body.read_to_string().unwrap_or_default(),
            ));
        }
        body.read_json::<T>()
            .map_err(|e| format!("{url}: the answer is not what a node sends: {e}"))
    })
    .await
    .map_err(|e| format!("the request failed to run: {e}"))?
}

/// One TLS connection to a peer node, made with this node's key (the peer's must be a
/// known node's); requests go one after another over it.
pub struct PeerConnection {
    sender: hyper::client::conn::http1::SendRequest<http_body_util::Empty<bytes::Bytes>>,
    base: String,
    host: String,
    config: std::sync::Arc<rustls::ClientConfig>,
    /// The node key the peer presented.
    pub key: [u8; 32],
}

impl PeerConnection {
    /// Connects to the peer at `base` (`https://HOST:PORT`).
    pub async fn connect(
        base: &str,
        config: std::sync::Arc<rustls::ClientConfig>,
    ) -> Result<PeerConnection, String> {
        let again = config.clone();
        let base = base.trim_end_matches('/').to_owned();
        let fail = |e: &dyn std::fmt::Display| format!("{base}: {e}");
        let parsed = url::Url::parse(&base).map_err(|e| fail(&e))?;
        if parsed.scheme() != "https" {
            return Err(fail(
                &"nodes are reached over TLS: give the peer's federation address as https://HOST:PORT",
            ));
        }
        let host = parsed
            .host_str()
            .ok_or_else(|| fail(&"no host"))?
            .to_owned();
        let port = parsed.port().unwrap_or(443);
        let connect = async {
            let tcp = tokio::net::TcpStream::connect((host.as_str(), port))
                .await
                .map_err(|e| fail(&e))?;
            tcp.set_nodelay(true).map_err(|e| fail(&e))?;
            let name =
                rustls::pki_types::ServerName::try_from(host.clone()).map_err(|e| fail(&e))?;
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
            let (sender, connection) =
                hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
                    .await
                    .map_err(|e| fail(&e))?;
            tokio::spawn(connection);
            Ok::<_, String>((sender, key))
        };
        let (sender, key) = tokio::time::timeout(TIMEOUT, connect)
            .await
            .map_err(|_| fail(&"no answer in time"))??;
        Ok(PeerConnection {
            sender,
            base,
            host,
            config: again,
            key,
        })
    }

    /// GETs `target` (path and query), with the `Concord-Node` header if given, and reads
    /// its JSON. A peer may close a kept-alive connection between requests: a GET that
    /// finds it closed is sent once more on a new connection (to the same key).
    pub async fn get<T: DeserializeOwned>(
        &mut self,
        target: &str,
        node_header: Option<String>,
    ) -> Result<T, String> {
        if self.sender.is_closed() || self.sender.ready().await.is_err() {
            let fresh = PeerConnection::connect(&self.base, self.config.clone()).await?;
            if fresh.key != self.key {
                return Err(format!("{}: the peer now presents another key", self.base));
            }
            *self = fresh;
        }
        self.send(target, node_header).await
    }

    async fn send<T: DeserializeOwned>(
        &mut self,
        target: &str,
        node_header: Option<String>,
    ) -> Result<T, String> {
        use http_body_util::BodyExt;
        let url = format!("{}{target}", self.base);
        let fail = |e: &dyn std::fmt::Display| format!("{url}: {e}");
        let mut request = hyper::Request::get(target).header(hyper::header::HOST, &self.host);
        if let Some(h) = &node_header {
            request = request.header(concord_server::federation::NODE_HEADER, h);
        }
        let request = request
            .body(http_body_util::Empty::<bytes::Bytes>::new())
            .map_err(|e| fail(&e))?;
        let exchange = async {
            // TLS 1.3 refuses a client's key after the handshake: the peer then ends the
            // connection before it answers.
            let response = self.sender.send_request(request).await.map_err(|e| {
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
                return Err(refusal(
                    &url,
                    status,
                    String::from_utf8_lossy(&body).into_owned(),
                ));
            }
            serde_json::from_slice(&body)
                .map_err(|e| fail(&format!("the answer is not what a node sends: {e}")))
        };
        tokio::time::timeout(TIMEOUT, exchange)
            .await
            .map_err(|_| fail(&"no answer in time"))?
    }
}

/// GETs `url` (`https://HOST:PORT/PATH?QUERY`) over a connection of its own (see
/// [`PeerConnection`]): the JSON answer, and the node key the server presented.
pub async fn get_json_tls<T: DeserializeOwned>(
    url: &str,
    node_header: Option<String>,
    config: std::sync::Arc<rustls::ClientConfig>,
) -> Result<(T, [u8; 32]), String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("{url}: {e}"))?;
    let base = format!(
        "{}://{}:{}",
        parsed.scheme(),
        parsed.host_str().unwrap_or_default(),
        parsed.port().unwrap_or(443)
    );
    let target = match parsed.query() {
        Some(q) => format!("{}?{q}", parsed.path()),
        None => parsed.path().to_owned(),
    };
    let mut peer = PeerConnection::connect(&base, config).await?;
    let value = peer.get(&target, node_header).await?;
    Ok((value, peer.key))
}
