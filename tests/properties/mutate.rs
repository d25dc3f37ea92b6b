//! Byte-level mutations shared by the targets: flips, overwrites, insertions (random bytes or
//! tokens that mean something to a CSV, a zip or an SSH key line), deletions, duplicated spans
//! and truncation. Positions are proptest `Index`es, so they scale to any input and shrink
//! towards its start.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{Index, select};

/// Byte sequences that steer a parser somewhere interesting.
const TOKENS: &[&[u8]] = &[
    b",",
    b";",
    b"\t",
    b"\"",
    b"\"\"",
    b"\n",
    b"\r\n",
    b"\r",
    b"\0",
    b"\xEF\xBB\xBF",
    b"\xFF\xFE",
    b"\xFE\xFF",
    b"\xFF\xFE\0\0",
    b"\x81\x30",
    b"\xC3",
    b"\xE5\xAD",
    b"\xF0\x9F\x98",
    b"\xED\xA0\x80",
    b"PK\x03\x04",
    b"PK\x01\x02",
    b"PK\x05\x06",
    b"PK\x06\x06",
    b"PK\x07\x08",
    b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1",
    b"\xFF\xFF\xFF\xFF",
    b"\0\0\0\0",
    "学校标识码,学校名称,".as_bytes(),
    "是".as_bytes(),
    "99999999999999999999".as_bytes(),
    b"-1",
    b"NaN",
    b"=1+1",
    b"<",
    b"&amp;",
    b"]]>",
    b"\x1b[2J",
    b" ",
    b"*",
    b"!",
    b"=\"",
    b"AAAA",
    b"ssh-ed25519 ",
];

#[derive(Debug, Clone)]
pub enum Edit {
    Flip {
        at: Index,
        mask: u8,
    },
    Set {
        at: Index,
        byte: u8,
    },
    Insert {
        at: Index,
        bytes: Vec<u8>,
    },
    Delete {
        at: Index,
        len: usize,
    },
    /// A span copied to another place (a repeated line, header or record).
    Copy {
        from: Index,
        len: usize,
        to: Index,
    },
    Truncate {
        at: Index,
    },
}

pub fn inserted() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => select(TOKENS).prop_map(<[u8]>::to_vec),
        2 => vec(any::<u8>(), 1..16),
        1 => (select(TOKENS), 2usize..64).prop_map(|(t, n)| t.repeat(n)),
    ]
}

pub fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        4 => (any::<Index>(), 1u8..=255).prop_map(|(at, mask)| Edit::Flip { at, mask }),
        2 => (any::<Index>(), any::<u8>()).prop_map(|(at, byte)| Edit::Set { at, byte }),
        4 => (any::<Index>(), inserted()).prop_map(|(at, bytes)| Edit::Insert { at, bytes }),
        3 => (any::<Index>(), 1usize..64).prop_map(|(at, len)| Edit::Delete { at, len }),
        1 => (any::<Index>(), 1usize..256, any::<Index>()).prop_map(|(from, len, to)| Edit::Copy { from, len, to }),
        1 => any::<Index>().prop_map(|at| Edit::Truncate { at }),
    ]
}

/// One to `max` edits.
pub fn edits(max: usize) -> impl Strategy<Value = Vec<Edit>> {
    vec(edit(), 1..=max)
}

/// An edit placed in an input of a given length.
enum Op {
    Xor(usize, u8),
    Set(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Copy(usize, usize, usize),
    Truncate(usize),
}

/// Where an edit lands in an input of `len` bytes (`None`: nothing to edit).
fn place(e: &Edit, len: usize) -> Option<Op> {
    if len == 0 {
        return match e {
            Edit::Insert { bytes, .. } => Some(Op::Insert(0, bytes.clone())),
            _ => None,
        };
    }
    Some(match e {
        Edit::Flip { at, mask } => Op::Xor(at.index(len), *mask),
        Edit::Set { at, byte } => Op::Set(at.index(len), *byte),
        Edit::Insert { at, bytes } => Op::Insert(at.index(len + 1), bytes.clone()),
        Edit::Delete { at, len: n } => {
            let p = at.index(len);
            Op::Delete(p, (p + n).min(len))
        }
        Edit::Copy { from, len: n, to } => {
            let p = from.index(len);
            Op::Copy(p, (p + n).min(len), to.index(len + 1))
        }
        Edit::Truncate { at } => Op::Truncate(at.index(len)),
    })
}

fn run(bytes: &mut Vec<u8>, op: Op) {
    match op {
        Op::Xor(p, mask) => bytes[p] ^= mask,
        Op::Set(p, byte) => bytes[p] = byte,
        Op::Insert(p, b) => {
            bytes.splice(p..p, b);
        }
        Op::Delete(p, end) => {
            bytes.drain(p..end);
        }
        Op::Copy(p, end, to) => {
            let span = bytes[p..end].to_vec();
            bytes.splice(to..to, span);
        }
        Op::Truncate(p) => bytes.truncate(p),
    }
}

/// Applies the edits in order; an edit of an empty input inserts or does nothing.
pub fn apply(bytes: &mut Vec<u8>, edits: &[Edit]) {
    for e in edits {
        if let Some(op) = place(e, bytes.len()) {
            run(bytes, op);
        }
    }
}

/// Like [`apply`], but every position moved forward to an ASCII byte and every changed byte kept
/// ASCII: the damage of a careless edit in a text editor rather than of a broken disk, so that
/// most of the file still decodes and the rows behind the damage are read.
pub fn apply_gentle(bytes: &mut Vec<u8>, edits: &[Edit]) {
    for e in edits {
        let len = bytes.len();
        let snap = |p: usize| (p..len).find(|&q| bytes[q].is_ascii()).unwrap_or(len);
        let op = match place(e, len) {
            None => continue,
            Some(Op::Xor(p, mask)) => Op::Xor(snap(p), mask & 0x7F),
            Some(Op::Set(p, byte)) => Op::Set(snap(p), byte & 0x7F),
            Some(Op::Delete(p, end)) => Op::Delete(snap(p), snap(end).max(snap(p))),
            Some(Op::Copy(p, end, to)) => Op::Copy(snap(p), snap(end).max(snap(p)), snap(to)),
            Some(Op::Truncate(p)) => Op::Truncate(snap(p)),
            Some(insert) => insert,
        };
        if matches!(op, Op::Xor(p, _) | Op::Set(p, _) if p >= len) {
            continue;
        }
        run(bytes, op);
    }
}
