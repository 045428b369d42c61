//! TLS between nodes (rustls, TLS 1.3 only) with no outside authority: each node presents
//! its registered node key as an RFC 7250 raw public key, client and server alike, and
//! takes a peer only if the peer's key is a registered node's. On an air-gapped network
//! there is no certificate authority to run, and the registry already says which keys are
//! nodes. The `Concord-Node` signature on each request stays, and must be by the same key
//! the connection was made with.

use std::collections::HashSet;
use std::sync::{Arc, RwLock};

use concord_ledger::signature::SecretKey;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls13_signature_with_raw_key};
use rustls::pki_types::{
    CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, SubjectPublicKeyInfoDer,
    UnixTime,
};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::sign::CertifiedKey;
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, DistinguishedName, Error, ServerConfig,
    SignatureScheme,
};

/// The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): the key's 32 bytes follow.
const ED25519_SPKI: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// The DER prefix of an Ed25519 private key in PKCS #8 (RFC 8410): the 32-byte seed follows.
const ED25519_PKCS8: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// The node key in a raw public key (an Ed25519 SubjectPublicKeyInfo); `None` for anything
/// else.
pub fn node_key_of(spki: &[u8]) -> Option<[u8; 32]> {
    spki.strip_prefix(&ED25519_SPKI)?.try_into().ok()
}

/// The node keys this node accepts a connection from or to: the registry's nodes (and, on
/// a member state's node, the secretariat's named at its start). Refreshed from the store.
#[derive(Debug, Default)]
pub struct KnownNodes {
    keys: RwLock<HashSet<[u8; 32]>>,
}

impl KnownNodes {
    /// Replaces the keys.
    pub fn set(&self, keys: impl IntoIterator<Item = [u8; 32]>) {
        *self.keys.write().expect("the node keys are never poisoned") = keys.into_iter().collect();
    }

    /// Replaces the keys with the registry's nodes' and, on a member state's node, the
    /// secretariat's named at its start (`anchor`).
    pub fn set_registered(
        &self,
        nodes: &[concord_core::federation::NodeRegistration],
        anchor: Option<&concord_core::federation::NodeOf>,
    ) {
        let keys = nodes
            .iter()
            .map(|n| n.node_key.as_str())
            .chain(anchor.map(|a| a.secretariat_node_key.as_str()))
            .filter_map(|k| concord_ledger::signature::PublicKey::parse(k).ok())
            .map(|k| k.to_bytes());
        self.set(keys);
    }

    /// Whether `key` is a known node's.
    pub fn knows(&self, key: &[u8; 32]) -> bool {
        self.keys
            .read()
            .expect("the node keys are never poisoned")
            .contains(key)
    }
}

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("TLS between nodes: {0}")]
pub struct TlsSetupError(String);

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// This node's key as TLS presents it: a raw public key and its signing key.
fn certified(
    key: &SecretKey,
    provider: &CryptoProvider,
) -> Result<Arc<CertifiedKey>, TlsSetupError> {
    let mut pkcs8 = ED25519_PKCS8.to_vec();
    pkcs8.extend_from_slice(&key.seed_bytes());
    let signing = provider
        .key_provider
        .load_private_key(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pkcs8)))
        .map_err(|e| TlsSetupError(e.to_string()))?;
    let mut spki = ED25519_SPKI.to_vec();
    spki.extend_from_slice(&key.public().to_bytes());
    Ok(Arc::new(CertifiedKey::new(
        vec![CertificateDer::from(spki)],
        signing,
    )))
}

/// Accepts a peer whose raw public key is a known node's, and checks its handshake
/// signature with that key.
#[derive(Debug)]
struct NodeVerifier {
    known: Arc<KnownNodes>,
    provider: Arc<CryptoProvider>,
}

impl NodeVerifier {
    fn check(&self, end_entity: &CertificateDer<'_>) -> Result<(), Error> {
        match node_key_of(end_entity) {
            Some(key) if self.known.knows(&key) => Ok(()),
            Some(_) => Err(Error::InvalidCertificate(CertificateError::UnknownIssuer)),
            None => Err(Error::InvalidCertificate(CertificateError::BadEncoding)),
        }
    }
}

/// The handshake checks both verifier traits ask for (TLS 1.3 only, Ed25519 only, raw
/// public keys only), written once for the two impls.
macro_rules! handshake_checks {
    () => {
        fn verify_tls12_signature(
            &self,
            _message: &[u8],
            _cert: &CertificateDer<'_>,
            _dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, Error> {
            Err(Error::General("nodes speak TLS 1.3 only".into()))
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, Error> {
            verify_tls13_signature_with_raw_key(
                message,
                &SubjectPublicKeyInfoDer::from(cert.as_ref()),
                dss,
                &self.provider.signature_verification_algorithms,
            )
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            vec![SignatureScheme::ED25519]
        }

        fn requires_raw_public_keys(&self) -> bool {
            true
        }
    };
}

impl ServerCertVerifier for NodeVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        self.check(end_entity)
            .map(|()| ServerCertVerified::assertion())
    }

    handshake_checks!();
}

impl ClientCertVerifier for NodeVerifier {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        self.check(end_entity)
            .map(|()| ClientCertVerified::assertion())
    }

    handshake_checks!();
}

/// The server side: presents `key`, requires a known node's key of every client.
pub fn server_config(
    key: &SecretKey,
    known: Arc<KnownNodes>,
) -> Result<Arc<ServerConfig>, TlsSetupError> {
    let provider = provider();
    let certified = certified(key, &provider)?;
    let verifier = Arc::new(NodeVerifier {
        known,
        provider: provider.clone(),
    });
    let config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| TlsSetupError(e.to_string()))?
        .with_client_cert_verifier(verifier)
        .with_cert_resolver(Arc::new(
            rustls::server::AlwaysResolvesServerRawPublicKeys::new(certified),
        ));
    Ok(Arc::new(config))
}

/// The client side: presents `key`, requires a known node's key of every server.
pub fn client_config(
    key: &SecretKey,
    known: Arc<KnownNodes>,
) -> Result<Arc<ClientConfig>, TlsSetupError> {
    let provider = provider();
    let certified = certified(key, &provider)?;
    let verifier = Arc::new(NodeVerifier {
        known,
        provider: provider.clone(),
    });
    let config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| TlsSetupError(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_client_cert_resolver(Arc::new(
            rustls::client::AlwaysResolvesClientRawPublicKeys::new(certified),
        ));
    Ok(Arc::new(config))
}

/// The node key a connection's peer presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerNodeKey(pub [u8; 32]);

/// Serves `app` on `listener` over TLS with `config` until `shutdown`: each connection's
/// requests carry the [`PeerNodeKey`] its client presented.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    config: Arc<ServerConfig>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) {
    use hyper_util::rt::{TokioExecutor, TokioIo};
    use hyper_util::service::TowerToHyperService;
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    tokio::pin!(shutdown);
    loop {
        let (mut tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "the federation listener could not accept");
                    continue;
                }
            },
            () = &mut shutdown => return,
        };
        // Each flight of the handshake, and each answer, is sent at once (as on the API's
        // listener, `crate::sending_at_once`).
        crate::send_at_once(&mut tcp);
        let acceptor = acceptor.clone();
        let app = app.clone();
        tokio::spawn(async move {
            let tls = match acceptor.accept(tcp).await {
                Ok(tls) => tls,
                Err(e) => {
                    tracing::info!(%peer, error = %e, "refused a TLS connection from an unknown node");
                    return;
                }
            };
            let Some(key) = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|c| c.first())
                .and_then(|c| node_key_of(c))
            else {
                return;
            };
            let app = app
                .layer(axum::Extension(PeerNodeKey(key)))
                .layer(axum::Extension(axum::extract::ConnectInfo(peer)));
            let service = TowerToHyperService::new(app);
            let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(tls), service)
                .await;
        });
    }
}
