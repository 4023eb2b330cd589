//! Generators of zip archives, well-formed and hostile, built in memory at
//! test time (no megabytes in the repository). Shared by the batch crate's
//! tests, the CLI's hostile-input tests (`#[path]`) and the archive fuzz
//! target's smoke run. Written from APPNOTE.TXT's record layouts; nothing
//! here uses a zip library, so any layout can be made: duplicate and
//! non-UTF-8 names, overlapping entries, lying sizes, truncation.
#![allow(dead_code)]

/// One member to write.
#[derive(Clone, Debug)]
pub struct Member {
    /// Raw name.
    pub name: Vec<u8>,
    /// The bytes stored in the archive (compressed when `method` is 8).
    pub data: Vec<u8>,
    /// 0 stored, 8 deflated.
    pub method: u16,
    /// Declared uncompressed size.
    pub size: u64,
    /// Declared CRC-32.
    pub crc: u32,
}

impl Member {
    /// A stored member.
    pub fn stored(name: impl AsRef<[u8]>, data: &[u8]) -> Self {
        Member {
            name: name.as_ref().to_vec(),
            data: data.to_vec(),
            method: 0,
            size: data.len() as u64,
            crc: crc32(data),
        }
    }

    /// A deflated member (stored deflate blocks: the reader's inflater runs,
    /// without needing a compressor here).
    pub fn deflated(name: impl AsRef<[u8]>, data: &[u8]) -> Self {
        Member {
            name: name.as_ref().to_vec(),
            data: deflate_stored(data),
            method: 8,
            size: data.len() as u64,
            crc: crc32(data),
        }
    }
}

/// A zip: `prefix` (a shebang line, an executable), then the members' local
/// entries, the central directory and the end record.
pub fn zip(prefix: &[u8], members: &[Member]) -> Vec<u8> {
    let mut out = prefix.to_vec();
    let base = out.len();
    let mut offsets = Vec::new();
    for m in members {
        offsets.push((out.len() - base) as u32);
        local_entry(&mut out, m);
    }
    let cd_start = out.len();
    for (m, off) in members.iter().zip(&offsets) {
        central_entry(&mut out, m, *off);
    }
    let cd_size = out.len() - cd_start;
    end_record(&mut out, members.len() as u16, cd_size as u32, (cd_start - base) as u32);
    out
}

/// The overlap bomb: one local entry holding `zeros` deflated zero bytes,
/// and `entries` central-directory entries that all point at it (each
/// would inflate the whole entry again). With 65,534 entries and 64 MiB
/// this is the 3.7 MB archive of issue 17.
pub fn overlap_bomb(entries: usize, zeros: u64) -> Vec<u8> {
    let m = Member { name: b"a.pyc".to_vec(), data: deflate_zeros(zeros), method: 8, size: zeros, crc: 0 };
    let mut out = Vec::new();
    local_entry(&mut out, &m);
    let cd_start = out.len();
    let mut e = Member { data: Vec::new(), ..m };
    let compressed = out.len() - 30 - e.name.len();
    for i in 0..entries {
        e.name = format!("m{i:05}.pyc").into_bytes();
        central_entry_sized(&mut out, &e, compressed as u32, 0);
    }
    let cd_size = out.len() - cd_start;
    end_record(&mut out, entries as u16, cd_size as u32, cd_start as u32);
    out
}

pub fn local_entry(out: &mut Vec<u8>, m: &Member) {
    out.extend(0x0403_4b50u32.to_le_bytes());
    out.extend(20u16.to_le_bytes()); // version needed
    out.extend(0x0800u16.to_le_bytes()); // flags: UTF-8 names
    out.extend(m.method.to_le_bytes());
    out.extend([0u8; 4]); // time, date
    out.extend(m.crc.to_le_bytes());
    out.extend((m.data.len() as u32).to_le_bytes());
    out.extend((m.size as u32).to_le_bytes());
    out.extend((m.name.len() as u16).to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out.extend(&m.name);
    out.extend(&m.data);
}

pub fn central_entry(out: &mut Vec<u8>, m: &Member, offset: u32) {
    central_entry_sized(out, m, m.data.len() as u32, offset);
}

/// A central entry declaring `compressed` bytes of data.
pub fn central_entry_sized(out: &mut Vec<u8>, m: &Member, compressed: u32, offset: u32) {
    out.extend(0x0201_4b50u32.to_le_bytes());
    out.extend(20u16.to_le_bytes()); // made by
    out.extend(20u16.to_le_bytes()); // needed
    out.extend(0x0800u16.to_le_bytes());
    out.extend(m.method.to_le_bytes());
    out.extend([0u8; 4]);
    out.extend(m.crc.to_le_bytes());
    out.extend(compressed.to_le_bytes());
    out.extend((m.size as u32).to_le_bytes());
    out.extend((m.name.len() as u16).to_le_bytes());
    out.extend([0u8; 4]); // extra, comment lengths
    out.extend([0u8; 4]); // disk, internal attributes
    out.extend([0u8; 4]); // external attributes
    out.extend(offset.to_le_bytes());
    out.extend(&m.name);
}

pub fn end_record(out: &mut Vec<u8>, entries: u16, cd_size: u32, cd_offset: u32) {
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0u8; 4]); // disks
    out.extend(entries.to_le_bytes());
    out.extend(entries.to_le_bytes());
    out.extend(cd_size.to_le_bytes());
    out.extend(cd_offset.to_le_bytes());
    out.extend(0u16.to_le_bytes());
}

/// `data` as a deflate stream of stored blocks.
pub fn deflate_stored(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut chunks = data.chunks(0xffff).peekable();
    if chunks.peek().is_none() {
        out.extend([1, 0, 0, 0xff, 0xff]);
    }
    while let Some(c) = chunks.next() {
        out.push(u8::from(chunks.peek().is_none()));
        out.extend((c.len() as u16).to_le_bytes());
        out.extend((!(c.len() as u16)).to_le_bytes());
        out.extend(c);
    }
    out
}

/// A deflate stream of `n` zero bytes (one fixed-Huffman block: a literal
/// zero, then matches of 258 at distance 1, then literals): 13 bits per
/// 258 bytes, so 64 MiB take about 420 KB, built in milliseconds.
pub fn deflate_zeros(n: u64) -> Vec<u8> {
    let mut w = Bits::default();
    w.put(1, 1); // final block
    w.put(1, 2); // fixed Huffman codes
    let mut left = n;
    if left > 0 {
        w.huff(0b0011_0000, 8); // literal 0
        left -= 1;
    }
    while left >= 258 {
        w.huff(0b1100_0101, 8); // length symbol 285: 258
        w.huff(0, 5); // distance symbol 0: 1
        left -= 258;
    }
    for _ in 0..left {
        w.huff(0b0011_0000, 8);
    }
    w.huff(0, 7); // end of block
    w.finish()
}

#[derive(Default)]
struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    /// `len` bits of `v`, least significant first (deflate's header fields).
    fn put(&mut self, v: u64, len: u32) {
        self.acc |= v << self.n;
        self.n += len;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    /// A Huffman code of `len` bits, most significant bit first.
    fn huff(&mut self, code: u64, len: u32) {
        let rev = (0..len).fold(0, |r, i| r | ((code >> i) & 1) << (len - 1 - i));
        self.put(rev, len);
    }

    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

/// CRC-32 (IEEE), bit by bit: test data is small.
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
        }
    }
    !crc
}
