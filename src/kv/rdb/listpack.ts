// Reading the compact blobs Redis keeps small collections in, as they appear inside an RDB
// payload: a listpack (listpack.c: lists, hashes and sorted sets since Redis 7.0), a ziplist
// (ziplist.c: the same before 7.0) and an intset (intset.c: small sets of integers). Each
// yields its elements in order as latin1 strings (integers as their decimal text).

import { DecodeError } from '../binary.js';

const listpackHeaderBytes = 6;
const listpackEnd = 0xff;

/** Bytes a listpack entry's back-length takes for an entry of `size` bytes. */
function backLengthBytes(size: number): number {
  if (size <= 127) return 1;
  if (size < 16383) return 2;
  if (size < 2097151) return 3;
  if (size < 268435455) return 4;
  return 5;
}

function signed(value: number, bits: number): number {
  return value >= 2 ** (bits - 1) ? value - 2 ** bits : value;
}

/** One listpack entry at `at`: its element and the offset of the next entry. */
function listpackEntry(blob: Buffer, at: number): { readonly element: string; readonly next: number } {
  const need = (bytes: number): void => {
    if (at + bytes > blob.length) throw new DecodeError('listpack: entry beyond the end');
  };
  need(1);
  const first = blob[at] as number;
  let header: number;
  let element: string;
  if (first < 0x80) {
    header = 1;
    element = String(first);
  } else if ((first & 0xc0) === 0x80) {
    header = 1;
    need(header + (first & 0x3f));
    element = blob.toString('latin1', at + 1, at + 1 + (first & 0x3f));
    header += first & 0x3f;
  } else if ((first & 0xe0) === 0xc0) {
    need(2);
    header = 2;
    element = String(signed(((first & 0x1f) << 8) | (blob[at + 1] as number), 13));
  } else if ((first & 0xf0) === 0xe0) {
    need(2);
    const length = ((first & 0x0f) << 8) | (blob[at + 1] as number);
    need(2 + length);
    element = blob.toString('latin1', at + 2, at + 2 + length);
    header = 2 + length;
  } else {
    ({ header, element } = listpackWideEntry(blob, at, first, need));
  }
  const next = at + header + backLengthBytes(header);
  if (next > blob.length) throw new DecodeError('listpack: back length beyond the end');
  return { element, next };
}

function listpackWideEntry(blob: Buffer, at: number, first: number, need: (bytes: number) => void): { header: number; element: string } {
  switch (first) {
    case 0xf0: {
      need(5);
      const length = blob.readUInt32LE(at + 1);
      need(5 + length);
      return { header: 5 + length, element: blob.toString('latin1', at + 5, at + 5 + length) };
    }
    case 0xf1: need(3); return { header: 3, element: String(blob.readInt16LE(at + 1)) };
    case 0xf2: need(4); return { header: 4, element: String(signed(blob.readUIntLE(at + 1, 3), 24)) };
    case 0xf3: need(5); return { header: 5, element: String(blob.readInt32LE(at + 1)) };
    case 0xf4: need(9); return { header: 9, element: String(blob.readBigInt64LE(at + 1)) };
    default: throw new DecodeError(`listpack: unknown encoding 0x${first.toString(16)}`);
  }
}

/** The elements of a listpack blob. */
export function listpackElements(blob: Buffer): string[] {
  if (blob.length < listpackHeaderBytes + 1) throw new DecodeError('listpack: shorter than its header');
  if (blob.readUInt32LE(0) !== blob.length) throw new DecodeError('listpack: total bytes do not match');
  const declared = blob.readUInt16LE(4);
  const elements: string[] = [];
  let at = listpackHeaderBytes;
  while (at < blob.length && blob[at] !== listpackEnd) {
    const { element, next } = listpackEntry(blob, at);
    elements.push(element);
    at = next;
  }
  if (at !== blob.length - 1) throw new DecodeError('listpack: no end marker at the end');
  if (declared !== 0xffff && declared !== elements.length) throw new DecodeError('listpack: element count does not match');
  return elements;
}

const ziplistHeaderBytes = 10;

/** One ziplist entry's element and the offset of the next entry. */
function ziplistEntry(blob: Buffer, start: number): { readonly element: string; readonly next: number } {
  const at = start + ((blob[start] as number) < 254 ? 1 : 5);
  const need = (bytes: number): void => {
    if (at + bytes > blob.length) throw new DecodeError('ziplist: entry beyond the end');
  };
  need(1);
  const encoding = blob[at] as number;
  const text = (header: number, length: number): { element: string; next: number } => {
    need(header + length);
    return { element: blob.toString('latin1', at + header, at + header + length), next: at + header + length };
  };
  const integer = (bytes: number, read: (offset: number) => number | bigint): { element: string; next: number } => {
    need(1 + bytes);
    return { element: String(read(at + 1)), next: at + 1 + bytes };
  };
  switch (encoding >> 6) {
    case 0: return text(1, encoding & 0x3f);
    case 1: need(2); return text(2, ((encoding & 0x3f) << 8) | (blob[at + 1] as number));
    case 2: need(5); return text(5, blob.readUInt32BE(at + 1));
    default: break;
  }
  switch (encoding) {
    case 0xc0: return integer(2, (offset) => blob.readInt16LE(offset));
    case 0xd0: return integer(4, (offset) => blob.readInt32LE(offset));
    case 0xe0: return integer(8, (offset) => blob.readBigInt64LE(offset));
    case 0xf0: return integer(3, (offset) => signed(blob.readUIntLE(offset, 3), 24));
    case 0xfe: return integer(1, (offset) => blob.readInt8(offset));
    default:
      if (encoding >= 0xf1 && encoding <= 0xfd) return { element: String((encoding & 0x0f) - 1), next: at + 1 };
      throw new DecodeError(`ziplist: unknown encoding 0x${encoding.toString(16)}`);
  }
}

/** The elements of a ziplist blob. */
export function ziplistElements(blob: Buffer): string[] {
  if (blob.length < ziplistHeaderBytes + 1) throw new DecodeError('ziplist: shorter than its header');
  if (blob.readUInt32LE(0) !== blob.length) throw new DecodeError('ziplist: total bytes do not match');
  const elements: string[] = [];
  let at = ziplistHeaderBytes;
  while (at < blob.length && blob[at] !== 0xff) {
    const { element, next } = ziplistEntry(blob, at);
    elements.push(element);
    at = next;
  }
  if (at !== blob.length - 1) throw new DecodeError('ziplist: no end marker at the end');
  return elements;
}

/** The members of an intset blob: encoding (2, 4 or 8 bytes), count, then the sorted integers. */
export function intsetElements(blob: Buffer): string[] {
  if (blob.length < 8) throw new DecodeError('intset: shorter than its header');
  const width = blob.readUInt32LE(0);
  const count = blob.readUInt32LE(4);
  if (width !== 2 && width !== 4 && width !== 8) throw new DecodeError(`intset: unknown encoding ${width}`);
  if (blob.length !== 8 + width * count) throw new DecodeError('intset: size does not match its count');
  const elements: string[] = [];
  for (let i = 0; i < count; i++) {
    const at = 8 + i * width;
    elements.push(String(width === 2 ? blob.readInt16LE(at) : width === 4 ? blob.readInt32LE(at) : blob.readBigInt64LE(at)));
  }
  return elements;
}
