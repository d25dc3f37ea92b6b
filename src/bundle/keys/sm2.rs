//! The 国密 kind of a level's key (`[keys] algorithm = "sm2"`): an SM2 key pair, the private
//! half PKCS#8 PEM as `openssl genpkey -algorithm SM2` writes it, the public half SPKI PEM. A
//! manifest is signed with SM2 over SM3 (GM/T 0003: the message hashed after the signer's Z,
//! which takes the user id, GM/T 0009's `1234567812345678` unless configured), the signature
//! DER as `openssl pkeyutl -sign -rawin -digest sm3` writes it, so that the stock
//! `openssl pkeyutl -verify … -pkeyopt distid:1234567812345678` checks it.

use base64ct::Encoding;
use sm2::dsa::signature::{Signer, Verifier};
use sm2::elliptic_curve::Generate;
use sm2::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use sm3::Digest;

/// GM/T 0009's default user id, the one OpenSSL's `distid:` must be given to check it.
pub const DEFAULT_USER_ID: &str = "1234567812345678";
pub const PRIVATE_FILE: &str = "shenhe_sm2.pem";
pub const PUBLIC_FILE: &str = "shenhe_sm2.pub.pem";
/// The key type word on a trust line and in a manifest: `sm2 <base64 of the SPKI DER>`.
pub const KEY_TYPE: &str = "sm2";
/// The largest user id taken: GM/T 0003 counts its length in bits in two bytes.
pub const MAX_USER_ID_BYTES: usize = 8191;

/// An SM2 public key as a trust line and a manifest name it.
#[derive(Clone, PartialEq, Eq)]
pub struct Sm2Public {
    /// The SubjectPublicKeyInfo DER, as `openssl pkey -pubout -outform DER` writes it.
    der: Vec<u8>,
    key: sm2::PublicKey,
}

impl std::fmt::Debug for Sm2Public {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sm2Public({})", self.fingerprint())
    }
}

impl Sm2Public {
    /// The key in `der`, when it is exactly the DER of an SM2 public key (two encodings of one
    /// key would be two texts for one trust line).
    pub fn from_der(der: &[u8]) -> Option<Sm2Public> {
        let key = sm2::PublicKey::from_public_key_der(der).ok()?;
        let again = key.to_public_key_der().ok()?;
        (again.as_bytes() == der).then(|| Sm2Public { der: der.to_vec(), key })
    }

    /// The key from the base64 of its DER (standard, padded, strict).
    pub fn from_base64(text: &str) -> Option<Sm2Public> {
        Sm2Public::from_der(&base64ct::Base64::decode_vec(text).ok()?)
    }

    pub fn to_base64(&self) -> String {
        base64ct::Base64::encode_string(&self.der)
    }

    /// `sm2 <base64>`: the key's text on a trust line and in a manifest.
    pub fn to_text(&self) -> String {
        format!("{KEY_TYPE} {}", self.to_base64())
    }

    /// The PEM file openssl takes as `-pubin -inkey`.
    pub fn to_pem(&self) -> String {
        self.key.to_public_key_pem(LineEnding::LF).unwrap_or_default()
    }

    /// `SM3:` and the unpadded base64 of the SM3 of the DER, the way OpenSSH prints a
    /// `SHA256:` fingerprint.
    pub fn fingerprint(&self) -> String {
        let digest = sm3::Sm3::digest(&self.der);
        format!("SM3:{}", base64ct::Base64Unpadded::encode_string(&digest))
    }

    /// Whether `signature` (DER, exactly as written) is this key's over `message` with
    /// `user_id`.
    pub fn verifies(&self, user_id: &str, message: &[u8], signature: &[u8]) -> bool {
        let Ok(sig) = sm2::dsa::Signature::from_der(signature) else { return false };
        // DER leaves no room for a second form, but a changed byte must never go unseen.
        if sig.to_der().as_bytes() != signature {
            return false;
        }
        let Ok(verifier) = sm2::dsa::VerifyingKey::new(user_id, self.key) else { return false };
        verifier.verify(message, &sig).is_ok()
    }
}

/// An SM2 key pair.
pub struct Sm2Key {
    secret: sm2::SecretKey,
    public: Sm2Public,
}

impl Sm2Key {
    pub fn generate() -> Result<Sm2Key, String> {
        Sm2Key::of(sm2::SecretKey::generate())
    }

    /// The key in a PKCS#8 PEM file (unencrypted). The error names the problem only.
    pub fn from_pem(text: &str) -> Result<Sm2Key, String> {
        let secret = sm2::SecretKey::from_pkcs8_pem(text).map_err(|e| e.to_string())?;
        Sm2Key::of(secret)
    }

    fn of(secret: sm2::SecretKey) -> Result<Sm2Key, String> {
        let der = secret.public_key().to_public_key_der().map_err(|e| e.to_string())?;
        let public = Sm2Public::from_der(der.as_bytes()).ok_or("the public half does not read back")?;
        Ok(Sm2Key { secret, public })
    }

    /// The private key as PKCS#8 PEM, for its owner-only file.
    pub fn to_pem(&self) -> Result<String, String> {
        Ok(self.secret.to_pkcs8_pem(LineEnding::LF).map_err(|e| e.to_string())?.to_string())
    }

    pub fn public(&self) -> &Sm2Public {
        &self.public
    }

    /// The DER signature of `message` with `user_id`.
    pub fn sign(&self, user_id: &str, message: &[u8]) -> Result<Vec<u8>, String> {
        let signer = sm2::dsa::SigningKey::new(user_id, &self.secret).map_err(|e| e.to_string())?;
        let sig: sm2::dsa::Signature = signer.try_sign(message).map_err(|e| e.to_string())?;
        Ok(sig.to_der().as_bytes().to_vec())
    }
}

/// SM3 of `bytes`, lowercase hex, as `openssl dgst -sm3` prints it.
pub fn sm3_hex(bytes: &[u8]) -> String {
    sm3::Sm3::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sm3_is_the_standard_hash() {
        // GM/T 0004-2012, example 1: "abc".
        assert_eq!(sm3_hex(b"abc"), "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
    }

    #[test]
    fn a_signature_holds_for_its_key_message_and_user_id_only() {
        let key = Sm2Key::generate().unwrap();
        let other = Sm2Key::generate().unwrap();
        let sig = key.sign(DEFAULT_USER_ID, b"manifest").unwrap();
        assert!(key.public().verifies(DEFAULT_USER_ID, b"manifest", &sig));
        assert!(!key.public().verifies(DEFAULT_USER_ID, b"manifest!", &sig));
        assert!(!key.public().verifies("another id", b"manifest", &sig));
        assert!(!other.public().verifies(DEFAULT_USER_ID, b"manifest", &sig));
        let mut longer = sig.clone();
        longer.push(0);
        assert!(!key.public().verifies(DEFAULT_USER_ID, b"manifest", &longer));
        let again = Sm2Key::from_pem(&key.to_pem().unwrap()).unwrap();
        assert_eq!(again.public(), key.public());
        assert!(Sm2Public::from_base64(&key.public().to_base64()).is_some_and(|p| &p == key.public()));
        assert!(key.public().fingerprint().starts_with("SM3:"));
    }

    /// The stock tool reads shenhe's key files and checks its signature with the documented
    /// line; shenhe checks openssl's. (`.ci/run` has openssl; without it this says so.)
    #[test]
    fn openssl_and_shenhe_check_each_others_signatures() {
        let Ok(_) = std::process::Command::new("openssl").arg("version").output() else {
            eprintln!("openssl not installed: the interoperability check did not run");
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let path = |name: &str| dir.path().join(name);
        let key = Sm2Key::generate().unwrap();
        std::fs::write(path("key.pem"), key.to_pem().unwrap()).unwrap();
        std::fs::write(path("pub.pem"), key.public().to_pem()).unwrap();
        std::fs::write(path("manifest.json"), b"{\"county_code\":\"410102\"}\n").unwrap();
        std::fs::write(
            path("manifest.json.sm2.sig"),
            key.sign(DEFAULT_USER_ID, b"{\"county_code\":\"410102\"}\n").unwrap(),
        )
        .unwrap();
        let openssl =
            |args: &[&str]| std::process::Command::new("openssl").current_dir(dir.path()).args(args).output().unwrap();
        let verify = |public: &str, file: &str| {
            let out = openssl(&[
                "pkeyutl",
                "-verify",
                "-pubin",
                "-inkey",
                public,
                "-rawin",
                "-in",
                file,
                "-sigfile",
                "manifest.json.sm2.sig",
                "-digest",
                "sm3",
                "-pkeyopt",
                &format!("distid:{DEFAULT_USER_ID}"),
            ]);
            out.status.success() && String::from_utf8_lossy(&out.stdout).contains("Signature Verified Successfully")
        };
        assert!(verify("pub.pem", "manifest.json"));
        std::fs::write(path("changed.json"), b"{\"county_code\":\"410103\"}\n").unwrap();
        assert!(!verify("pub.pem", "changed.json"), "a changed manifest");
        let other = Sm2Key::generate().unwrap();
        std::fs::write(path("other.pem"), other.public().to_pem()).unwrap();
        assert!(!verify("other.pem", "manifest.json"), "another key");

        // openssl's key and signature: shenhe reads the key and checks the signature.
        assert!(openssl(&["genpkey", "-algorithm", "SM2", "-out", "theirs.pem"]).status.success());
        let sign = openssl(&[
            "pkeyutl",
            "-sign",
            "-inkey",
            "theirs.pem",
            "-rawin",
            "-in",
            "manifest.json",
            "-digest",
            "sm3",
            "-pkeyopt",
            &format!("distid:{DEFAULT_USER_ID}"),
            "-out",
            "theirs.sig",
        ]);
        assert!(sign.status.success(), "{}", String::from_utf8_lossy(&sign.stderr));
        let theirs = Sm2Key::from_pem(&std::fs::read_to_string(path("theirs.pem")).unwrap()).unwrap();
        let sig = std::fs::read(path("theirs.sig")).unwrap();
        let message = std::fs::read(path("manifest.json")).unwrap();
        assert!(theirs.public().verifies(DEFAULT_USER_ID, &message, &sig));
        assert!(!key.public().verifies(DEFAULT_USER_ID, &message, &sig), "made with another key");
        let dgst = openssl(&["dgst", "-sm3", "manifest.json"]);
        assert!(String::from_utf8_lossy(&dgst.stdout).contains(&sm3_hex(&message)));
    }
}
