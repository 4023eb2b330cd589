//! Just enough of ELF, PE and Mach-O to say what a file is and where its
//! appended data sits: the ELF section PyInstaller names `pydata`, the PE
//! overlay and resource directory (py2exe's `PYTHONSCRIPT`). Every read is
//! bounds-checked; a malformed header means "not found", never an error.

/// The executable format of an input, from its first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExeFormat {
    /// ELF (Linux, BSD).
    Elf,
    /// PE (Windows; `MZ` then a `PE\0\0` header).
    Pe,
    /// Mach-O (macOS), one architecture.
    MachO,
    /// A Mach-O universal ("fat") binary.
    MachOFat,
    /// Anything else (a bare package, a side-loaded `.pkg`, a zip).
    Other,
}

impl ExeFormat {
    /// Sniffs the format.
    #[must_use]
    pub fn of(data: &[u8]) -> Self {
        match data.get(..4) {
            Some(b"\x7fELF") => ExeFormat::Elf,
            Some([b'M', b'Z', ..]) if pe_header(data).is_some() => ExeFormat::Pe,
            Some([0xcf | 0xce, 0xfa, 0xed, 0xfe] | [0xfe, 0xed, 0xfa, 0xce | 0xcf]) => ExeFormat::MachO,
            Some([0xca, 0xfe, 0xba, 0xbe]) => ExeFormat::MachOFat,
            _ => ExeFormat::Other,
        }
    }

    /// The name used in messages and JSON.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            ExeFormat::Elf => "ELF",
            ExeFormat::Pe => "PE",
            ExeFormat::MachO => "Mach-O",
            ExeFormat::MachOFat => "Mach-O universal",
            ExeFormat::Other => "raw",
        }
    }
}

pub(crate) fn slice(data: &[u8], start: u64, len: u64) -> Option<&[u8]> {
    let s = usize::try_from(start).ok()?;
    let e = s.checked_add(usize::try_from(len).ok()?)?;
    data.get(s..e)
}

pub(crate) fn u16le(data: &[u8], at: u64) -> Option<u16> {
    slice(data, at, 2).map(|b| u16::from_le_bytes([b[0], b[1]]))
}

pub(crate) fn u32le(data: &[u8], at: u64) -> Option<u32> {
    slice(data, at, 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn u64le(data: &[u8], at: u64) -> Option<u64> {
    slice(data, at, 8).map(|b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
}

/// The file range of the ELF section called `name` (little-endian ELF32 or
/// ELF64, as every PyInstaller target is).
#[must_use]
pub fn elf_section(data: &[u8], name: &[u8]) -> Option<(u64, u64)> {
    if data.get(..4)? != b"\x7fELF" || *data.get(5)? != 1 {
        return None;
    }
    let is64 = *data.get(4)? == 2;
    let (shoff, shentsize, shnum, shstrndx) = if is64 {
        (u64le(data, 0x28)?, u16le(data, 0x3a)?, u16le(data, 0x3c)?, u16le(data, 0x3e)?)
    } else {
        (u64::from(u32le(data, 0x20)?), u16le(data, 0x2e)?, u16le(data, 0x30)?, u16le(data, 0x32)?)
    };
    let section = |i: u16| -> Option<(u32, u64, u64)> {
        let at = shoff.checked_add(u64::from(i) * u64::from(shentsize))?;
        if is64 {
            Some((u32le(data, at)?, u64le(data, at + 0x18)?, u64le(data, at + 0x20)?))
        } else {
            Some((u32le(data, at)?, u64::from(u32le(data, at + 0x10)?), u64::from(u32le(data, at + 0x14)?)))
        }
    };
    let (_, stroff, strsize) = section(shstrndx)?;
    let strtab = slice(data, stroff, strsize)?;
    (0..shnum).filter_map(section).find_map(|(n, off, size)| {
        let rest = strtab.get(n as usize..)?;
        let end = memchr::memchr(0, rest)?;
        (&rest[..end] == name && slice(data, off, size).is_some()).then_some((off, size))
    })
}

/// (offset of the PE header, number of sections, offset of the section
/// table, optional-header magic).
fn pe_header(data: &[u8]) -> Option<(u64, u16, u64, u16)> {
    let pe = u64::from(u32le(data, 0x3c)?);
    if slice(data, pe, 4)? != b"PE\0\0" {
        return None;
    }
    let nsections = u16le(data, pe + 6)?;
    let opt_size = u16le(data, pe + 20)?;
    let magic = u16le(data, pe + 24)?;
    Some((pe, nsections, pe + 24 + u64::from(opt_size), magic))
}

/// A PE section: (virtual address, virtual size, file offset, file size).
fn pe_sections(data: &[u8]) -> Option<Vec<(u32, u32, u32, u32)>> {
    let (_, n, table, _) = pe_header(data)?;
    (0..u64::from(n))
        .map(|i| {
            let at = table + i * 40;
            Some((u32le(data, at + 12)?, u32le(data, at + 8)?, u32le(data, at + 20)?, u32le(data, at + 16)?))
        })
        .collect()
}

/// The data directory entry `index` of a PE: (address, size).
fn pe_directory(data: &[u8], index: u64) -> Option<(u32, u32)> {
    let (pe, _, _, magic) = pe_header(data)?;
    let dirs = pe + 24 + if magic == 0x20b { 112 } else { 96 };
    Some((u32le(data, dirs + index * 8)?, u32le(data, dirs + index * 8 + 4)?))
}

/// The PE overlay: from the end of the last section's raw data to the
/// certificate table (whose address is a file offset) or the end of file.
#[must_use]
pub fn pe_overlay(data: &[u8]) -> Option<(u64, u64)> {
    let start = pe_sections(data)?.iter().map(|&(_, _, off, size)| u64::from(off) + u64::from(size)).max()?;
    let end = match pe_directory(data, 4) {
        Some((off, size)) if off != 0 && size != 0 && u64::from(off) >= start => u64::from(off),
        _ => data.len() as u64,
    };
    (start <= end && end <= data.len() as u64).then_some((start, end))
}

/// Maps a PE virtual address to a file offset.
fn pe_file_offset(sections: &[(u32, u32, u32, u32)], rva: u32) -> Option<u64> {
    sections.iter().find_map(|&(va, vsize, off, size)| {
        let d = rva.checked_sub(va)?;
        (d < vsize.max(size)).then(|| u64::from(off) + u64::from(d))
    })
}

/// The data of the PE resource of type `type_name` (a string type, as
/// py2exe's `PYTHONSCRIPT`) and integer id `id`, first language: (file
/// offset, size).
#[must_use]
pub fn pe_resource(data: &[u8], type_name: &str, id: u32) -> Option<(u64, u64)> {
    let sections = pe_sections(data)?;
    let (rva, _) = pe_directory(data, 2)?;
    let root = pe_file_offset(&sections, rva)?;
    // One directory level: find the entry matching `pick`, return its
    // target offset (relative to `root`) and whether it is a subdirectory.
    let find = |dir: u64, pick: &dyn Fn(u32) -> bool| -> Option<(u64, bool)> {
        let named = u64::from(u16le(data, dir + 12)?);
        let ids = u64::from(u16le(data, dir + 14)?);
        (0..(named + ids).min(4096)).find_map(|i| {
            let at = dir + 16 + i * 8;
            let name = u32le(data, at)?;
            let target = u32le(data, at + 4)?;
            pick(name).then_some((u64::from(target & 0x7fff_ffff), target & 0x8000_0000 != 0))
        })
    };
    let name_is = |n: u32| -> bool {
        if n & 0x8000_0000 == 0 {
            return false;
        }
        let at = root + u64::from(n & 0x7fff_ffff);
        let Some(len) = u16le(data, at) else { return false };
        let Some(units) = slice(data, at + 2, u64::from(len) * 2) else { return false };
        let text: Vec<u16> = units.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
        String::from_utf16_lossy(&text) == type_name
    };
    let (types, true) = find(root, &name_is)? else { return None };
    let (ids, true) = find(root + types, &|n| n == id)? else { return None };
    let (leaf, false) = find(root + ids, &|_| true)? else { return None };
    let data_rva = u32le(data, root + leaf)?;
    let size = u32le(data, root + leaf + 4)?;
    let off = pe_file_offset(&sections, data_rva)?;
    slice(data, off, u64::from(size)).map(|_| (off, u64::from(size)))
}
