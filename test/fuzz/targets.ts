// The decoders that read bytes from outside a node, as fuzz targets (coverage-fuzzer.ts):
// client requests, peer frames and messages, forwarded writes and answers, log entries, WAL
// segments, snapshot files and streams, the membership and snapshot-header JSON, DUMP
// payloads, ACL files and the config file. Each target passes a decoder's error value (or
// its documented error class) as a fine result and lets anything else escape as a finding.
// Where a checksum guards the bytes (WAL records), the target fixes it up first, so the
// search reaches the decoders behind it.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FuzzTarget } from './coverage-fuzzer.js';
import { RequestParser } from '../../src/resp/request-parser.js';
import { FrameDecoder } from '../../src/transport/frame-decoder.js';
import { decodeMessage, encodeMessage } from '../../src/transport/codec.js';
import {
  decodeAuthChallenge, decodeAuthProof, decodeHandshake, decodeHandshakeReply, decodeRequest, decodeResponse, decodeSnapshotAbort,
  decodeSnapshotAck, decodeSnapshotEnd, decodeStreamIdAndBytes, encodeRaftFrame, FrameKind,
} from '../../src/transport/frame.js';
import { oneOfEach } from '../transport/arbitraries.js';
import {
  decodeForwardAnswer, decodeForwardedAdmin, decodeForwardedWrite, encodeForwardAnswer, encodeForwardedAdmin, encodeForwardedWrite, FORWARD_NODE_ERROR, FORWARD_REPLY,
} from '../../src/server/forward-codec.js';
import { decodeForwardedReply, encodeForwardedReply } from '../../src/server/forwarded-reply.js';
import { decodeCommand, encodeCommand } from '../../src/kv/command-codec.js';
import { readReply, writeReply } from '../../src/kv/reply-codec.js';
import { ByteReader, ByteWriter as KvByteWriter, DecodeError } from '../../src/kv/binary.js';
import { createDumpPayload, readDumpPayload } from '../../src/kv/rdb/index.js';
import { parseAclLines } from '../../src/kv/acl/acl-users.js';
import { AclCatalogue } from '../../src/kv/acl/acl-catalogue.js';
import { commandTable } from '../../src/kv/commands.js';
import { KvStateMachine } from '../../src/kv/state-machine.js';
import { encodeCommand as encodeEntry } from '../../src/kv/command-codec.js';
import { ConfigError, loadConfig } from '../../src/server/config.js';
import { decodeMembership, encodeMembership } from '../../src/server/log-store.js';
import { decodeSnapshotHeader } from '../../src/node/raft-node.js';
import { scanWal } from '../../src/storage/wal-recovery.js';
import { encodeSegmentHeader, segmentFileName } from '../../src/storage/segment-file.js';
import { encodeEntriesRecord, encodeHardStateRecord, encodeSnapshotMarkerRecord } from '../../src/storage/record-codec.js';
import { ByteWriter as StorageByteWriter } from '../../src/storage/byte-buffer.js';
import { crc32c } from '../../src/storage/crc32c.js';
import { StorageCorruptionError } from '../../src/storage/errors.js';
import type { Disk } from '../../src/storage/disk.js';
import { nodeId } from '../../src/raft/types.js';

const text = (value: string): Buffer => Buffer.from(value, 'latin1');
const tokens = (...values: string[]): Buffer[] => values.map(text);

/** Feeds `input` in pieces whose sizes come from its own bytes, so splits vary with the input. */
function splits(input: Uint8Array): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  for (let at = 0; at < input.length; ) {
    const size = 1 + (((input[at] ?? 0) * 7 + at) % 61);
    pieces.push(input.subarray(at, at + size));
    at += size;
  }
  return pieces;
}

const respRequests: FuzzTarget = {
  name: 'resp-request',
  seeds: () => [
    text('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n*1\r\n$4\r\nPING\r\n'),
    text('SET "a b" \'c\\\'d\' "\\x41\\n"\r\nGET k\n'),
    text('*2\r\n$4\r\nECHO\r\n$0\r\n\r\n*0\r\n*-1\r\n'),
  ],
  dictionary: tokens('\r\n', '*', '$', '"', "'", '\\x', '*1048577\r\n', '$536870913\r\n', '$-1\r\n', '*-1\r\n'),
  run(input) {
    // Small limits, so the search meets every one of them.
    const parser = new RequestParser({ protoMaxBulkLen: 1024, maxMultibulkLength: 64, inlineMaxBytes: 256, queryBufferMaxBytes: 2048 });
    for (const piece of splits(input)) {
      parser.feed(Buffer.from(piece));
      for (let next = parser.next(); next !== null; next = parser.next()) {
        if (!Array.isArray(next)) return; // a protocol error: the connection would close
        if (next.length > 64) throw new Error(`a command of ${next.length} arguments passed maxMultibulkLength 64`);
        for (const arg of next) if (arg.length > 2048) throw new Error(`an argument of ${arg.length} bytes passed the limits`);
      }
      if (parser.bufferedBytes > 2048 + 4096) throw new Error(`${parser.bufferedBytes} bytes buffered beyond queryBufferMaxBytes`);
    }
  },
};

function frames(): Uint8Array[] {
  return oneOfEach('n1', 'n2', 5).map((message) => encodeRaftFrame(message));
}

/** Decodes a frame's payload by its kind, as the transport does. */
function decodeFrame(kind: number, payload: Uint8Array): void {
  switch (kind) {
    case FrameKind.Raft: decodeMessage(payload); break;
    case FrameKind.Handshake: decodeHandshake(payload); break;
    case FrameKind.HandshakeReply: decodeHandshakeReply(payload); break;
    case FrameKind.AuthChallenge: decodeAuthChallenge(payload); break;
    case FrameKind.AuthProof: decodeAuthProof(payload); break;
    case FrameKind.SnapshotBegin: case FrameKind.SnapshotChunk: {
      const begun = decodeStreamIdAndBytes(payload);
      if (begun.ok && kind === FrameKind.SnapshotBegin) tryJson(() => decodeSnapshotHeader(begun.value.bytes));
      break;
    }
    case FrameKind.SnapshotEnd: decodeSnapshotEnd(payload); break;
    case FrameKind.SnapshotAbort: decodeSnapshotAbort(payload); break;
    case FrameKind.SnapshotAck: decodeSnapshotAck(payload); break;
    case FrameKind.Request: {
      const request = decodeRequest(payload);
      if (request.ok) { decodeForwardedWrite(request.value.payload); decodeForwardedAdmin(request.value.payload); }
      break;
    }
    case FrameKind.Response: {
      const response = decodeResponse(payload);
      if (response.ok) forwarded.run(response.value.payload);
      break;
    }
    default: break;
  }
}

/** Snapshot headers and membership are JSON: a SyntaxError or a SchemaError is the clear error. */
function tryJson(decode: () => unknown): void {
  try {
    decode();
  } catch (error) {
    if (error instanceof SyntaxError || (error instanceof Error && error.name === 'SchemaError')) return;
    throw error;
  }
}

const peerFrames: FuzzTarget = {
  name: 'peer-frames',
  seeds: () => [Buffer.concat(frames())],
  inputBytesMax: 8192,
  run(input) {
    const decoder = new FrameDecoder(4096);
    for (const piece of splits(input)) if (decoder.push(piece, decodeFrame) !== null) return;
  },
};

const peerMessages: FuzzTarget = {
  name: 'peer-message',
  seeds: () => oneOfEach('n1', 'n2', 7).map((message) => encodeMessage(message)),
  run(input) {
    decodeMessage(input);
  },
};

const forwarded: FuzzTarget = {
  name: 'forward-codec',
  seeds: () => [
    encodeForwardedWrite({ origin: 'n2', client: 7, seq: 3, firstUnanswered: 2, argv: [text('SET'), text('k'), text('v')] }),
    encodeForwardAnswer({ status: FORWARD_REPLY, resp: encodeForwardedReply({ kind: 'array', value: [{ kind: 'bulk', value: text('x') }, { kind: 'integer', value: 3 }, { kind: 'map', value: [[{ kind: 'simple', value: 'a' }, { kind: 'double', value: 1.5 }]] }, { kind: 'null' }] }) }),
    encodeForwardAnswer({ status: FORWARD_REPLY, resp: encodeForwardedReply({ kind: 'simple', value: 'OK' }), executionUsec: 1234 }),
    encodeForwardAnswer({ status: FORWARD_NODE_ERROR, code: 'TRYAGAIN', message: 'no leader' }),
    encodeForwardedAdmin([text('RAFT.ADD'), text('n4')]),
  ],
  run(input) {
    decodeForwardedWrite(input);
    const answer = decodeForwardAnswer(input);
    if (!(answer instanceof Error) && answer.status === FORWARD_REPLY) decodeForwardedReply(answer.resp);
    decodeForwardedAdmin(input);
  },
};

const logEntries: FuzzTarget = {
  name: 'log-entry',
  seeds: () => [
    encodeCommand({ origin: 'n1', client: 4, seq: 9, firstUnanswered: 8, time: 1_700_000_000_000, argv: [text('SET'), text('k'), text('v')] }),
    encodeCommand({ origin: 'n3', client: 0, seq: 0, firstUnanswered: 0, time: -5, argv: [] }),
  ],
  run(input) {
    decodeCommand(input);
  },
};

function replySeed(): Uint8Array {
  const writer = new KvByteWriter();
  writeReply(writer, { kind: 'array', value: [{ kind: 'simple', value: 'OK' }, { kind: 'error', message: 'ERR x' }, { kind: 'integer', value: 5 }, { kind: 'bulk', value: text('v') }, { kind: 'null' }, { kind: 'set', value: [{ kind: 'boolean', value: true }] }, { kind: 'bignum', value: 12345678901234567890n }, { kind: 'verbatim', format: 'txt', value: 'v' }] });
  return writer.finish();
}

const replies: FuzzTarget = {
  name: 'reply-codec',
  seeds: () => [replySeed()],
  run(input) {
    try {
      readReply(new ByteReader(input));
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
    }
  },
};

const dumpPayloads: FuzzTarget = {
  name: 'dump-payload',
  seeds: () => {
    const h = new KvStateMachine();
    const argvs = [['RPUSH', 'l', 'a', '1', 'b'], ['SADD', 's', '1', '2', 'x'], ['HSET', 'h', 'f', 'v', 'g', '12'], ['ZADD', 'z', '1', 'a', '2.5', 'b'], ['SET', 'str', 'hello'], ['XADD', 'x', '1-1', 'f', 'v'], ['PFADD', 'p', 'a', 'b']];
    const payloads: Uint8Array[] = [];
    argvs.forEach((argv, i) => {
      h.apply(i + 1, encodeEntry({ origin: 'n1', client: 0, seq: 0, firstUnanswered: 0, time: 1_700_000_000_000, argv: argv.map(text) }));
      const dumped = h.read([text('DUMP'), text(argv[1] as string)], 1_700_000_000_000);
      if (dumped.kind === 'bulk' && dumped.value !== null) payloads.push(dumped.value);
    });
    payloads.push(createDumpPayload({ type: 'string', data: Buffer.alloc(40, 'x') }));
    return payloads;
  },
  dictionary: [Buffer.from([0x0a, 0x00]), Buffer.from([0xc3]), Buffer.from([0xc0]), Buffer.from([0xc1]), Buffer.from([0xc2]), Buffer.from([0x80]), Buffer.from([0xff])],
  run(input) {
    try {
      readDumpPayload(input, 4096);
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
    }
  },
};

const catalogue = new AclCatalogue(commandTable);

const aclFiles: FuzzTarget = {
  name: 'acl-file',
  seeds: () => [text('user default on nopass ~* &* +@all\nuser app on #ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb ~app:* %R~r* &ch -@all +get +set|x (~k +hget)\n')],
  dictionary: tokens('user ', ' on', ' off', ' ~', ' %RW~', ' &', ' +@', ' -@', ' +', ' (', ')', ' >', ' #', ' <', ' nopass', ' reset', ' allkeys', '|', '\n'),
  run(input) {
    parseAclLines(Buffer.from(input).toString('latin1').split('\n'), catalogue);
  },
};

const configDir = mkdtempSync(join(tmpdir(), 'raftis-fuzz-config-'));

const configFiles: FuzzTarget = {
  name: 'config',
  seeds: () => [
    text('{"listen":"127.0.0.1:6379","peer-listen":"127.0.0.1:16379","data-dir":"/tmp/x","maxclients":100,"requirepass":"p"}'),
    text('# redis.conf style\nlisten 127.0.0.1:6379\nmaxclients 100\nclient-query-buffer-limit 2mb\nrequirepass "a b"\n'),
    text('\0--listen\x00127.0.0.1:7000\0--proto-max-bulk-len\x001mb\0--cluster\0n1=127.0.0.1:17000,n2=127.0.0.1:17001'),
  ],
  run(input) {
    // A first byte NUL makes the rest NUL-separated command-line arguments; anything else is a
    // config file (JSON or redis.conf style, as the file itself shows).
    const path = join(configDir, 'raftis.conf');
    const argv = input[0] === 0 ? Buffer.from(input.subarray(1)).toString('utf8').split('\0') : ['--config', path];
    if (input[0] !== 0) writeFileSync(path, input);
    try {
      loadConfig(argv, {});
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
    }
  },
};

const membership: FuzzTarget = {
  name: 'membership-json',
  seeds: () => [
    encodeMembership({ voters: [nodeId('n1'), nodeId('n2')], learners: [nodeId('n3')] }, new Map([
      ['n1', { id: 'n1', peer: { host: '127.0.0.1', port: 17000 }, client: { host: '127.0.0.1', port: 7000 }, incarnation: 'abc' }],
      ['n3', { id: 'n3', peer: { host: '127.0.0.1', port: 17002 }, client: { host: '127.0.0.1', port: 7002 }, promote: true }],
    ]) as Parameters<typeof encodeMembership>[1]),
    text('{"from":"n1","to":"n2","term":3,"snapshot":{"index":10,"term":2,"confState":{"voters":["n1"],"learners":[]}},"context":""}'),
  ],
  dictionary: tokens('"voters"', '"learners"', '"members"', '"peer"', '"client"', '"promote"', 'null', 'true', '[]', '{}', '"snapshot"', '"confState"', '1e999'),
  run(input) {
    tryJson(() => decodeMembership(input));
    tryJson(() => decodeSnapshotHeader(input));
  },
};

/** Just enough of a Disk to read one WAL directory from memory. */
function memoryDisk(files: ReadonlyMap<string, Uint8Array>): Disk {
  const open: Uint8Array[] = [];
  const disk: Pick<Disk, 'readdir' | 'openRead' | 'pread' | 'fileSize' | 'close'> = {
    readdir: () => [...files.keys()],
    openRead: (path) => open.push(files.get(path.slice(path.lastIndexOf('/') + 1)) ?? new Uint8Array(0)) - 1,
    fileSize: (file) => open[file]?.length ?? 0,
    pread: (file, target, position) => {
      const bytes = (open[file] ?? new Uint8Array(0)).subarray(position, position + target.length);
      target.set(bytes);
      return bytes.length;
    },
    close: () => undefined,
  };
  return disk as Disk; // scanWal only reads: the rest of Disk is never called
}

const WAL_IDENTITY = { clusterId: 'c1', nodeId: 'n1' };

/** Recomputes each record's checksum in place, as far as the records' lengths frame them. */
function fixChecksums(records: Uint8Array): void {
  for (let at = 0; at + 9 <= records.length; ) {
    const length = (records[at]! | (records[at + 1]! << 8) | (records[at + 2]! << 16) | (records[at + 3]! << 24)) >>> 0;
    const end = at + 9 + length;
    if (end > records.length) return;
    const crc = crc32c(records, at + 8, end);
    for (let i = 0; i < 4; i++) records[at + 4 + i] = (crc >>> (8 * i)) & 0xff;
    at = end;
  }
}

const walSegments: FuzzTarget = {
  name: 'wal-segment',
  seeds: () => {
    const writer = new StorageByteWriter(4096);
    encodeHardStateRecord(writer, { term: 2, vote: 'n1', commit: 1 });
    encodeEntriesRecord(writer, [{ index: 1, term: 1, type: 0, data: text('set k v') }, { index: 2, term: 2, type: 1, data: text('cc') }], 0, 2);
    encodeSnapshotMarkerRecord(writer, 2, 2);
    encodeEntriesRecord(writer, [{ index: 3, term: 2, type: 0, data: text('x') }], 0, 1);
    return [writer.bytes.slice(0, writer.length)];
  },
  inputBytesMax: 8192,
  run(input) {
    const records = Buffer.from(input);
    fixChecksums(records);
    const header = encodeSegmentHeader({ seq: 1, ...WAL_IDENTITY });
    const disk = memoryDisk(new Map([[segmentFileName(1, 1), Buffer.concat([header, records])]]));
    try {
      scanWal(disk, '/wal', WAL_IDENTITY);
    } catch (error) {
      if (!(error instanceof StorageCorruptionError)) throw error;
    }
  },
};

function snapshotSeed(): Uint8Array {
  const kv = new KvStateMachine();
  const argvs = [['SET', 'a', '1'], ['RPUSH', 'l', 'x', 'y'], ['HSET', 'h', 'f', 'v'], ['SADD', 's', 'm'], ['ZADD', 'z', '1', 'm'], ['XADD', 'st', '1-1', 'f', 'v'], ['PEXPIRE', 'a', '100000']];
  argvs.forEach((argv, i) => kv.apply(i + 1, encodeEntry({ origin: 'n1', client: 1, seq: i + 1, firstUnanswered: i + 1, time: 1_700_000_000_000, argv: argv.map(text) })));
  const source = kv.beginSnapshot();
  const chunks: Uint8Array[] = [];
  for (let chunk = source.next(512); chunk !== null; chunk = source.next(512)) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

const snapshotStreams: FuzzTarget = {
  name: 'snapshot-stream',
  seeds: () => [snapshotSeed()],
  inputBytesMax: 8192,
  run(input) {
    const sink = new KvStateMachine().beginRestore();
    for (const piece of splits(input)) {
      if (sink.write(piece) !== null) break;
      while (sink.step(64));
    }
    sink.finish();
  },
};

export const FUZZ_TARGETS: readonly FuzzTarget[] = [
  respRequests, peerFrames, peerMessages, forwarded, logEntries, replies, dumpPayloads, aclFiles, configFiles, membership, walSegments, snapshotStreams,
];

