//! PYZ bytecode encryption of PyInstaller 3.0–5.x (`--key`).
//!
//! Each PYZ entry is `IV (16 bytes) ‖ AES-128(zlib stream)`; the key is the
//! string constant of the CArchive module `pyimod00_crypto_key`, cut to 16
//! characters or left-padded with `'0'` as `str.zfill(16)` does (what the
//! bootloader's `Cipher` does at run time). PyInstaller 3.x used PyCrypto's
//! `MODE_CFB`, whose default segment is 8 bits (CFB-8); 4.0–5.x use
//! tinyaes's CTR mode with the IV as a big-endian 128-bit counter. Which one
//! an archive uses is found by trying both on its smallest entry.

use aes::Aes128;
use aes::cipher::{AsyncStreamCipher, KeyIvInit, StreamCipher};
use bytescope_marshal::{Format, Value};
use bytescope_pyc::PythonVersion;

/// The AES block (and IV) size.
pub const BLOCK: usize = 16;

/// The cipher mode of an encrypted PYZ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// CFB with 8-bit segments (PyInstaller 3.x, PyCrypto).
    Cfb8,
    /// CTR with a 128-bit big-endian counter (PyInstaller 4.0–5.x, tinyaes).
    Ctr,
}

impl Mode {
    /// The name used in messages and JSON.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Mode::Cfb8 => "AES-128-CFB8",
            Mode::Ctr => "AES-128-CTR",
        }
    }
}

/// A recovered key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Key {
    /// The 16 key bytes.
    pub bytes: [u8; BLOCK],
    /// The key as the archive stores it (before padding).
    pub stored: String,
}

impl Key {
    /// The key the bootloader derives from `stored`: its first 16
    /// characters, or `stored.zfill(16)`.
    #[must_use]
    pub fn from_stored(stored: &str) -> Option<Key> {
        let chars: Vec<char> = stored.chars().collect();
        let padded: String = if chars.len() > BLOCK {
            chars[..BLOCK].iter().collect()
        } else {
            // str.zfill: zeros go after a leading sign.
            let (sign, rest) = match chars.first() {
                Some(c @ ('+' | '-')) => (Some(*c), &chars[1..]),
                _ => (None, &chars[..]),
            };
            let zeros = BLOCK - chars.len();
            sign.into_iter().chain(std::iter::repeat_n('0', zeros)).chain(rest.iter().copied()).collect()
        };
        let bytes: [u8; BLOCK] = padded.as_bytes().try_into().ok()?;
        Some(Key { bytes, stored: stored.to_owned() })
    }
}

/// Decrypts one entry (`IV ‖ ciphertext`); `None` when it is shorter than
/// an IV.
#[must_use]
pub fn decrypt(key: &Key, mode: Mode, blob: &[u8]) -> Option<Vec<u8>> {
    let (iv, body) = (blob.get(..BLOCK)?, &blob[BLOCK..]);
    let mut out = body.to_vec();
    match mode {
        Mode::Ctr => {
            let mut c = ctr::Ctr128BE::<Aes128>::new(&key.bytes.into(), iv.into());
            c.apply_keystream(&mut out);
        }
        Mode::Cfb8 => {
            cfb8::Decryptor::<Aes128>::new(&key.bytes.into(), iv.into()).decrypt(&mut out);
        }
    }
    Some(out)
}

/// The key string in the code object of `pyimod00_crypto_key`: its first
/// string constant (`key = '…'`). `marshal` is the module's marshal data
/// (no pyc header).
#[must_use]
pub fn key_from_module(marshal: &[u8], version: PythonVersion) -> Option<String> {
    let m = bytescope_marshal::read(marshal, Format::for_version(version), 0).ok()?;
    let code = m.code(m.root())?;
    m.tuple(code.consts)?.iter().find_map(|&c| match m.get(c) {
        Value::Str { .. } | Value::Bytes(_) => m.name_lossy(c),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_padding_follows_zfill() {
        assert_eq!(&Key::from_stored("secretkey").unwrap().bytes, b"0000000secretkey");
        assert_eq!(&Key::from_stored("0123456789abcdefXYZ").unwrap().bytes, b"0123456789abcdef");
        assert_eq!(&Key::from_stored("-abc").unwrap().bytes, b"-000000000000abc");
        assert_eq!(&Key::from_stored("").unwrap().bytes, b"0000000000000000");
        // Non-ASCII keys are UTF-8 encoded by the bootloader: 16 chars, more bytes.
        assert!(Key::from_stored("ééééééééééééééé").is_none());
    }

    #[test]
    fn both_modes_round_trip() {
        let key = Key::from_stored("secretkey").unwrap();
        let iv = [7u8; 16];
        let plain: Vec<u8> = (0..100u8).collect();
        // CTR is its own inverse.
        let mut ct = plain.clone();
        ctr::Ctr128BE::<Aes128>::new(&key.bytes.into(), &iv.into()).apply_keystream(&mut ct);
        let blob = [&iv[..], &ct].concat();
        assert_eq!(decrypt(&key, Mode::Ctr, &blob).unwrap(), plain);
        let mut ct = plain.clone();
        cfb8::Encryptor::<Aes128>::new(&key.bytes.into(), &iv.into()).encrypt(&mut ct);
        let blob = [&iv[..], &ct].concat();
        assert_eq!(decrypt(&key, Mode::Cfb8, &blob).unwrap(), plain);
        assert!(decrypt(&key, Mode::Ctr, &[0; 15]).is_none());
    }
}
