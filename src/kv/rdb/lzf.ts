// LZF decompression (lzf_d.c), for the compressed strings of an RDB payload (Redis writes a
// string longer than 20 bytes LZF-compressed when that saves space). raftis writes strings
// uncompressed, which every Redis reads.

import { DecodeError } from '../binary.js';

/** Decompresses `input` into exactly `length` bytes; throws DecodeError on a malformed stream. */
export function lzfDecompress(input: Uint8Array, length: number): Buffer {
  const output = Buffer.allocUnsafe(length);
  let inputAt = 0;
  let outputAt = 0;
  while (inputAt < input.length) {
    const control = input[inputAt++] as number;
    if (control < 32) {
      const literal = control + 1;
      if (outputAt + literal > length || inputAt + literal > input.length) throw new DecodeError('lzf: literal run out of bounds');
      output.set(input.subarray(inputAt, inputAt + literal), outputAt);
      inputAt += literal;
      outputAt += literal;
      continue;
    }
    let run = control >> 5;
    if (run === 7) {
      if (inputAt >= input.length) throw new DecodeError('lzf: truncated run length');
      run += input[inputAt++] as number;
    }
    if (inputAt >= input.length) throw new DecodeError('lzf: truncated back reference');
    let from = outputAt - ((control & 0x1f) << 8) - 1 - (input[inputAt++] as number);
    run += 2;
    if (from < 0 || outputAt + run > length) throw new DecodeError('lzf: back reference out of bounds');
    // Byte by byte: the reference may overlap the bytes being written.
    for (let i = 0; i < run; i++) output[outputAt++] = output[from++] as number;
  }
  if (outputAt !== length) throw new DecodeError(`lzf: ${outputAt} bytes decompressed, ${length} expected`);
  return output;
}
