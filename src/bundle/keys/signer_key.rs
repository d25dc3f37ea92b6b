//! A signer's public key of either kind, as a manifest states it and a trust line lists it.

use ssh_key::PublicKey;

use super::sm2::{KEY_TYPE as SM2_KEY_TYPE, Sm2Public};
use super::{Algorithm, fingerprint};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignerKey {
    /// An OpenSSH key (the comment is the trust line's or the manifest's text after it).
    Ssh(PublicKey),
    Sm2(Sm2Public),
}

impl SignerKey {
    pub fn algorithm(&self) -> Algorithm {
        match self {
            SignerKey::Ssh(_) => Algorithm::Ed25519,
            SignerKey::Sm2(_) => Algorithm::Sm2,
        }
    }

    /// The OpenSSH key, if it is one.
    pub fn as_ssh(&self) -> Option<&PublicKey> {
        match self {
            SignerKey::Ssh(key) => Some(key),
            SignerKey::Sm2(_) => None,
        }
    }

    /// The key a manifest's `signer.public_key` states: an OpenSSH line, or `sm2 <base64>`.
    pub fn parse(text: &str) -> Option<SignerKey> {
        match text.split_once(' ') {
            Some((SM2_KEY_TYPE, rest)) => {
                let base64 = rest.split([' ', '\t']).next().unwrap_or_default();
                Sm2Public::from_base64(base64).map(SignerKey::Sm2)
            }
            _ => PublicKey::from_openssh(text).ok().map(SignerKey::Ssh),
        }
    }

    /// The key without its comment, as a manifest states it.
    pub fn to_text(&self) -> String {
        match self {
            SignerKey::Ssh(key) => key.to_openssh().unwrap_or_default(),
            SignerKey::Sm2(key) => key.to_text(),
        }
    }

    pub fn fingerprint(&self) -> String {
        match self {
            SignerKey::Ssh(key) => fingerprint(key),
            SignerKey::Sm2(key) => key.fingerprint(),
        }
    }

    /// The same key, whatever the comments.
    pub fn same_key(&self, other: &SignerKey) -> bool {
        match (self, other) {
            (SignerKey::Ssh(a), SignerKey::Ssh(b)) => a.key_data() == b.key_data(),
            (SignerKey::Sm2(a), SignerKey::Sm2(b)) => a == b,
            _ => false,
        }
    }
}

/// What a trust verdict is asked about: an OpenSSH key or a signer's key of either kind.
pub trait KeyIdentity {
    fn is(&self, listed: &SignerKey) -> bool;
}

impl KeyIdentity for SignerKey {
    fn is(&self, listed: &SignerKey) -> bool {
        self.same_key(listed)
    }
}

impl KeyIdentity for PublicKey {
    fn is(&self, listed: &SignerKey) -> bool {
        matches!(listed, SignerKey::Ssh(key) if key.key_data() == self.key_data())
    }
}
