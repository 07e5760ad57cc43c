// The public surface of the resp layer: what src/server/, bench/ and the cli import.

export { RequestParser, DEFAULT_REQUEST_PARSER_LIMITS, requestParserLimits, type RequestParserLimits } from './request-parser.js';
export { ReplyParser, DEFAULT_REPLY_PARSER_LIMITS, type ReplyParserLimits } from './reply-parser.js';
export {
  ReplyWriter, writeReply, encodeReply, formatDouble,
  ENCODED_OK, ENCODED_ZERO, ENCODED_ONE, ENCODED_NIL_RESP2, ENCODED_NIL_ARRAY_RESP2, ENCODED_NULL_RESP3,
} from './reply-writer.js';
export { writeCommand, encodeCommand, type CommandArg } from './command-writer.js';
export { OutputBuffer, OUTPUT_BUFFER_INITIAL_BYTES } from './output-buffer.js';
export {
  RESP_OK, RESP_ZERO, RESP_ONE, RESP_NIL, RESP_NULL, RESP_PONG, type RespValue, type RespProtocol,
} from './resp-value.js';
export { isProtocolError, protocolError, type ProtocolError, type ProtocolErrorCode } from './protocol-error.js';
export { splitInlineArgs } from './inline-args.js';
export { parseReply } from './codec.js';
export { ClientConnection, ClientFlag, type CommandHandler, type ReplySlot } from './client-connection.js';
export {
  RespServer, DEFAULT_MAX_CLIENTS, DEFAULT_CLIENT_OUTPUT_BUFFER_MAX_BYTES, DEFAULT_CLOSE_TIMEOUT_MS,
  type RespServerOptions, type RespServerStats, type RespServerLog,
} from './server.js';
