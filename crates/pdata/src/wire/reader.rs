//! [`Reader`]: a cursor over one message's bytes that decodes the protobuf primitives (varints,
//! keys, length prefixes, fixed-width values) with exactly prost 0.14's acceptance rules, and
//! reports absolute offsets into the whole request.

use std::ops::Range;

use super::error::{Kind, Site, WireError, WireType};

/// A cursor over `data[pos..]`, where `data` ends where the current message ends.
pub(crate) struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader over `data[range]`; offsets stay relative to the start of `data`.
    pub(crate) fn new(data: &'a [u8], range: Range<usize>) -> Self {
        Self {
            data: &data[..range.end],
            pos: range.start,
        }
    }

    /// The offset of the next byte.
    #[inline]
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Whether the message has no more bytes.
    #[inline]
    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.data.len()
    }

    fn left(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    /// Decodes a varint. Like prost: at most ten bytes, and a tenth byte may only be 0 or 1.
    #[inline]
    pub(crate) fn varint(&mut self) -> Result<u64, WireError> {
        match self.data.get(self.pos) {
            Some(&byte) if byte < 0x80 => {
                self.pos += 1;
                Ok(u64::from(byte))
            }
            _ => self.varint_slow(),
        }
    }

    #[cold]
    fn varint_slow(&mut self) -> Result<u64, WireError> {
        let start = self.pos;
        let mut value = 0u64;
        for i in 0..10 {
            let Some(&byte) = self.data.get(start + i) else {
                return Err(WireError::new(start, Kind::TruncatedVarint));
            };
            value |= u64::from(byte & 0x7f) << (7 * i);
            if byte < 0x80 {
                if i == 9 && byte > 1 {
                    return Err(WireError::new(start, Kind::VarintOverflow));
                }
                self.pos = start + i + 1;
                return Ok(value);
            }
        }
        Err(WireError::new(start, Kind::VarintTooLong))
    }

    /// Decodes a field key into (field number, wire type), rejecting what prost's `decode_key`
    /// rejects: keys over 32 bits, wire types 6 and 7, field number 0.
    #[inline]
    pub(crate) fn key(&mut self) -> Result<(u32, WireType), WireError> {
        let start = self.pos;
        let key = self.varint()?;
        if key > u64::from(u32::MAX) {
            return Err(WireError::new(start, Kind::KeyTooLarge(key)));
        }
        let wire_type = (key & 7) as WireType;
        let number = (key >> 3) as u32;
        if wire_type > 5 {
            return Err(WireError::new(
                start,
                Kind::InvalidWireType { number, wire_type },
            ));
        }
        if number == 0 {
            return Err(WireError::new(start, Kind::FieldNumberZero));
        }
        Ok((number, wire_type))
    }

    /// Reads a length prefix and returns the range of the payload it announces, which must fit
    /// in the current message.
    #[inline]
    pub(crate) fn length_delimited(&mut self, site: Site) -> Result<Range<usize>, WireError> {
        let start = self.pos;
        let len = self.varint()?;
        let left = self.left();
        if len > left as u64 {
            return Err(WireError::new(
                start,
                Kind::TruncatedLen { site, len, left },
            ));
        }
        let begin = self.pos;
        self.pos += len as usize;
        Ok(begin..self.pos)
    }

    /// Skips a fixed-width (4- or 8-byte) value.
    #[inline]
    pub(crate) fn fixed(&mut self, width: usize, site: Site) -> Result<(), WireError> {
        if self.left() < width {
            return Err(WireError::new(
                self.pos,
                Kind::TruncatedFixed { site, width },
            ));
        }
        self.pos += width;
        Ok(())
    }
}
