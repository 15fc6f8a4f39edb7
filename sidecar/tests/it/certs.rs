//! Certificates made at test time with rcgen (no key is committed): CAs, server
//! certificates for 127.0.0.1, client certificates, and the files the sidecar reads.

use std::path::Path;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair,
};

/// A certificate authority.
pub(crate) struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

/// A certificate and its private key, PEM.
pub(crate) struct Issued {
    pub(crate) cert: String,
    pub(crate) key: String,
    /// The certificate, DER: what a TLS peer presents.
    pub(crate) der: Vec<u8>,
}

impl Ca {
    pub(crate) fn new(name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        Ca { issuer }
    }

    pub(crate) fn pem(&self) -> String {
        self.issuer.pem()
    }

    fn issue(&self, name: &str, sans: Vec<String>, usage: ExtendedKeyUsagePurpose) -> Issued {
        let mut params = CertificateParams::new(sans).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.extended_key_usages = vec![usage];
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Issued {
            cert: cert.pem(),
            key: key.serialize_pem(),
            der: cert.der().to_vec(),
        }
    }

    /// A server certificate for 127.0.0.1 and localhost.
    pub(crate) fn server(&self, name: &str) -> Issued {
        let sans = vec!["127.0.0.1".to_string(), "localhost".to_string()];
        self.issue(name, sans, ExtendedKeyUsagePurpose::ServerAuth)
    }

    /// A client certificate.
    pub(crate) fn client(&self, name: &str) -> Issued {
        self.issue(name, Vec::new(), ExtendedKeyUsagePurpose::ClientAuth)
    }
}

/// Writes `text` to `path` as a replacement does it: a new file renamed over the
/// old one, readable by its owner only.
pub(crate) fn replace_file(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt as _;
    let new = path.with_extension("new");
    std::fs::write(&new, text).unwrap();
    std::fs::set_permissions(&new, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::rename(&new, path).unwrap();
}

/// A client trusting `ca`, presenting `identity` if given, reporting the server's
/// certificate (`tls_info`). Each client opens its own connections.
pub(crate) fn client(ca: &Ca, identity: Option<&Issued>) -> reqwest::Client {
    let root = reqwest::Certificate::from_pem(ca.pem().as_bytes()).unwrap();
    let mut builder = reqwest::Client::builder()
        .tls_certs_only([root])
        .tls_info(true);
    if let Some(issued) = identity {
        let pem = format!("{}{}", issued.cert, issued.key);
        builder = builder.identity(reqwest::Identity::from_pem(pem.as_bytes()).unwrap());
    }
    builder.build().unwrap()
}

/// The certificate the server presented on the connection of `response`.
pub(crate) fn server_cert(response: &reqwest::Response) -> Vec<u8> {
    response
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|info| info.peer_certificate())
        .expect("a TLS connection")
        .to_vec()
}
