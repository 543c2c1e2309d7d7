//! A test certificate authority made with rcgen, for the TLS tests (the
//! server's HTTPS, a relay's STARTTLS).

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};

/// A CA, and a certificate for `localhost` and 127.0.0.1 that it issued,
/// written as `<name>-ca.pem`, `<name>-cert.pem`, `<name>-key.pem`.
pub fn make_ca(dir: &Path, name: &str) -> (PathBuf, PathBuf, PathBuf) {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(DnType::CommonName, format!("Scrutineer test CA {name}"));
    let ca =
        CertifiedIssuer::self_signed(params, KeyPair::generate().expect("a key")).expect("the CA");
    let leaf_key = KeyPair::generate().expect("a key");
    let leaf = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .expect("params")
        .signed_by(&leaf_key, &ca)
        .expect("the server's certificate");
    let write = |suffix: &str, pem: String| {
        let path = dir.join(format!("{name}-{suffix}.pem"));
        std::fs::write(&path, pem).expect("write");
        path
    };
    (
        write("ca", ca.pem()),
        write("cert", leaf.pem()),
        write("key", leaf_key.serialize_pem()),
    )
}
