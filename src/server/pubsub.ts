// Pub/sub on one node: who is subscribed to what here, the (P|S)SUBSCRIBE family and PUBSUB,
// and delivery of the messages this node applies. PUBLISH and SPUBLISH are log entries
// (kv/publish-command.ts): every node delivers each message to its own subscribers when it
// applies the entry, so a subscriber on any node sees the cluster's messages in log order,
// and a publish is as durable and as ordered as a write. PUBLISH answers, as Redis Cluster
// does, the receivers on the node the publisher is connected to (README, "Pub/sub").
// A subscribed RESP2 client may send only the commands Redis allows in that context.

import type { Reply } from '../kv/reply.js';
import { arityError } from '../kv/replies.js';
import { globMatch } from '../kv/glob.js';
import { publishArgv, type PublishedMessage } from '../kv/publish-command.js';
import type { ClientConnection } from '../resp/server.js';
import { errorReply } from './errors.js';
import { serverCommand, unknownSubcommand, type ServerCall, type ServerCommand } from './command-registry.js';

/** What pub/sub needs from the rest of the server. */
export interface PubSubDeps {
  /** A subscriber's output buffer limit (client-output-buffer-limit pubsub), bytes. */
  readonly subscriberOutputBufferMaxBytes: number;
}

/** One kind of subscription: plain channels, patterns, or shard channels. */
type Kind = 'channel' | 'pattern' | 'shard';

/** A connection's subscriptions, by their bytes as latin1 text. */
export interface Subscriptions {
  readonly channel: Map<string, Buffer>;
  readonly pattern: Map<string, Buffer>;
  readonly shard: Map<string, Buffer>;
}

/** Redis's confirmation and message kinds, per subscription kind. */
const NAMES: Readonly<Record<Kind, { readonly subscribe: Buffer; readonly unsubscribe: Buffer; readonly message: Buffer }>> = {
  channel: { subscribe: Buffer.from('subscribe'), unsubscribe: Buffer.from('unsubscribe'), message: Buffer.from('message') },
  pattern: { subscribe: Buffer.from('psubscribe'), unsubscribe: Buffer.from('punsubscribe'), message: Buffer.from('pmessage') },
  shard: { subscribe: Buffer.from('ssubscribe'), unsubscribe: Buffer.from('sunsubscribe'), message: Buffer.from('smessage') },
};

/** Commands a subscribed RESP2 client may send (Redis's processCommand). */
const ALLOWED_WHEN_SUBSCRIBED: ReadonlySet<string> = new Set(['subscribe', 'ssubscribe', 'unsubscribe', 'sunsubscribe', 'psubscribe', 'punsubscribe', 'ping', 'quit', 'reset']);

const bulk = (value: Uint8Array | null): Reply => ({ kind: 'bulk', value });
const integer = (value: number): Reply => ({ kind: 'integer', value });
const PONG = Buffer.from('pong');
const EMPTY = Buffer.alloc(0);

export class PubSub {
  /** Subscribers per channel, pattern and shard channel on this node. */
  private readonly subscribers: Record<Kind, Map<string, Set<ClientConnection>>> = { channel: new Map(), pattern: new Map(), shard: new Map() };
  private readonly byClient = new Map<ClientConnection, Subscriptions>();
  /** Messages this node delivered to its subscribers (INFO-style counter). */
  messagesDelivered = 0;

  constructor(private readonly deps: PubSubDeps) {}

  /** The commands: (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PUBLISH, SPUBLISH, PUBSUB. */
  commands(): ServerCommand[] {
    const flags = ['pubsub', 'noscript', 'loading', 'stale'] as const;
    return [
      serverCommand('subscribe', -2, flags, (call) => this.subscribe(call, 'channel')),
      serverCommand('psubscribe', -2, flags, (call) => this.subscribe(call, 'pattern')),
      serverCommand('ssubscribe', -2, flags, (call) => this.subscribe(call, 'shard'), [1, -1, 1]),
      serverCommand('unsubscribe', -1, flags, (call) => this.unsubscribe(call, 'channel')),
      serverCommand('punsubscribe', -1, flags, (call) => this.unsubscribe(call, 'pattern')),
      serverCommand('sunsubscribe', -1, flags, (call) => this.unsubscribe(call, 'shard'), [1, -1, 1]),
      serverCommand('publish', 3, ['pubsub', 'loading', 'stale', 'fast'], (call) => this.publish(call, false)),
      serverCommand('spublish', 3, ['pubsub', 'loading', 'stale', 'fast'], (call) => this.publish(call, true), [1, 1, 1]),
      serverCommand('pubsub', -2, ['pubsub', 'loading', 'stale'], (call) => call.done(this.introspect(call.argv))),
    ];
  }

  /**
   * The dispatcher's hook for subscribed mode: the reply that replaces the command's own, or
   * null to run it. A RESP2 client with subscriptions gets Redis's error for any command but
   * the allowed ones, and PING's reply as a message (["pong", argument]).
   */
  intercept(conn: ClientConnection, name: string, argv: readonly Buffer[]): Reply | null {
    if (conn.protocol !== 2 || !this.byClient.has(conn)) return null;
    if (name === 'ping') return argv.length > 2 ? arityError('ping') : { kind: 'array', value: [bulk(PONG), bulk(argv[1] ?? EMPTY)] };
    if (ALLOWED_WHEN_SUBSCRIBED.has(name)) return null;
    return errorReply(`ERR Can't execute '${name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`);
  }

  /** A client left or was reset: it is subscribed to nothing. */
  forget(conn: ClientConnection): void {
    const subscriptions = this.byClient.get(conn);
    if (subscriptions === undefined) return;
    for (const kind of ['channel', 'pattern', 'shard'] as const) {
      for (const name of subscriptions[kind].keys()) this.removeSubscriber(kind, name, conn);
    }
    this.byClient.delete(conn);
    conn.outputBufferMaxBytes = null;
    conn.subscriptions = { sub: 0, psub: 0, ssub: 0 };
  }

  /** CLIENT LIST's sub, psub and ssub of a connection. */
  counts(conn: ClientConnection): { sub: number; psub: number; ssub: number } {
    const subscriptions = this.byClient.get(conn);
    return { sub: subscriptions?.channel.size ?? 0, psub: subscriptions?.pattern.size ?? 0, ssub: subscriptions?.shard.size ?? 0 };
  }

  /** Delivers an applied message to this node's subscribers; returns how many received it. */
  deliver(message: PublishedMessage): number {
    const channel = Buffer.from(message.channel);
    const payload = bulk(message.payload);
    const text = channel.toString('latin1');
    let receivers = 0;
    const kind: Kind = message.sharded ? 'shard' : 'channel';
    const names = NAMES[kind];
    for (const conn of this.subscribers[kind].get(text) ?? []) {
      conn.push({ kind: 'push', value: [bulk(names.message), bulk(channel), payload] });
      receivers++;
    }
    if (!message.sharded) {
      for (const [pattern, conns] of this.subscribers.pattern) {
        const patternBytes = Buffer.from(pattern, 'latin1');
        if (!globMatch(patternBytes, channel)) continue;
        for (const conn of conns) {
          conn.push({ kind: 'push', value: [bulk(NAMES.pattern.message), bulk(patternBytes), bulk(channel), payload] });
          receivers++;
        }
      }
    }
    this.messagesDelivered += receivers;
    return receivers;
  }

  /** How many clients on this node receive a message on `channel` (PUBLISH's reply). */
  receivers(channel: Buffer, sharded: boolean): number {
    const text = channel.toString('latin1');
    if (sharded) return this.subscribers.shard.get(text)?.size ?? 0;
    let count = this.subscribers.channel.get(text)?.size ?? 0;
    for (const [pattern, conns] of this.subscribers.pattern) {
      if (globMatch(Buffer.from(pattern, 'latin1'), channel)) count += conns.size;
    }
    return count;
  }

  private publish({ argv, done, write }: ServerCall, sharded: boolean): void {
    const channel = argv[1] as Buffer;
    write(publishArgv(sharded, channel, argv[2] as Buffer), (reply) => {
      done(reply.kind === 'error' ? reply : integer(this.receivers(channel, sharded)));
    });
  }

  private subscribe({ conn, argv, done }: ServerCall, kind: Kind): void {
    const subscriptions = this.subscriptionsOf(conn);
    const confirmations: Reply[] = [];
    for (const name of argv.slice(1)) {
      const text = name.toString('latin1');
      if (!subscriptions[kind].has(text)) {
        subscriptions[kind].set(text, name);
        let conns = this.subscribers[kind].get(text);
        if (conns === undefined) this.subscribers[kind].set(text, (conns = new Set()));
        conns.add(conn);
      }
      confirmations.push(confirmation(NAMES[kind].subscribe, name, countFor(subscriptions, kind)));
    }
    conn.outputBufferMaxBytes = this.deps.subscriberOutputBufferMaxBytes;
    conn.subscriptions = this.counts(conn);
    answerAll(conn, confirmations, done);
  }

  private unsubscribe({ conn, argv, done }: ServerCall, kind: Kind): void {
    const subscriptions = this.byClient.get(conn);
    const names = argv.length > 1 ? argv.slice(1) : [...(subscriptions?.[kind].values() ?? [])];
    const confirmations: Reply[] = [];
    for (const name of names) {
      const text = name.toString('latin1');
      if (subscriptions?.[kind].delete(text) === true) this.removeSubscriber(kind, text, conn);
      confirmations.push(confirmation(NAMES[kind].unsubscribe, name, subscriptions === undefined ? 0 : countFor(subscriptions, kind)));
    }
    // Unsubscribing from all when subscribed to none still answers once, with a nil channel.
    if (confirmations.length === 0) confirmations.push(confirmation(NAMES[kind].unsubscribe, null, subscriptions === undefined ? 0 : countFor(subscriptions, kind)));
    if (subscriptions !== undefined && subscriptions.channel.size + subscriptions.pattern.size + subscriptions.shard.size === 0) this.forget(conn);
    conn.subscriptions = this.counts(conn);
    answerAll(conn, confirmations, done);
  }

  /** This node's subscribed connections with what each is subscribed to (ACL changes re-check them). */
  subscribed(): IterableIterator<[ClientConnection, Subscriptions]> {
    return this.byClient.entries();
  }

  private subscriptionsOf(conn: ClientConnection): Subscriptions {
    let subscriptions = this.byClient.get(conn);
    if (subscriptions === undefined) this.byClient.set(conn, (subscriptions = { channel: new Map(), pattern: new Map(), shard: new Map() }));
    return subscriptions;
  }

  private removeSubscriber(kind: Kind, name: string, conn: ClientConnection): void {
    const conns = this.subscribers[kind].get(name);
    if (conns === undefined) return;
    conns.delete(conn);
    if (conns.size === 0) this.subscribers[kind].delete(name);
  }

  /** PUBSUB CHANNELS / NUMSUB / NUMPAT / SHARDCHANNELS / SHARDNUMSUB / HELP. */
  private introspect(argv: readonly Buffer[]): Reply {
    const sub = argv[1]?.toString('latin1').toLowerCase();
    switch (sub) {
      case 'channels':
      case 'shardchannels':
        if (argv.length > 3) return arityError(`pubsub|${sub}`);
        return this.activeChannels(sub === 'channels' ? 'channel' : 'shard', argv[2]);
      case 'numsub':
      case 'shardnumsub': {
        const kind: Kind = sub === 'numsub' ? 'channel' : 'shard';
        // A flat array in RESP3 too, as Redis 7.0 answers it.
        return { kind: 'array', value: argv.slice(2).flatMap((name) => [bulk(name), integer(this.subscribers[kind].get(name.toString('latin1'))?.size ?? 0)]) };
      }
      case 'numpat':
        return argv.length === 2 ? integer(this.subscribers.pattern.size) : arityError('pubsub|numpat');
      case 'help':
        return { kind: 'array', value: PUBSUB_HELP.map((line) => ({ kind: 'simple', value: line })) };
      default:
        return unknownSubcommand('pubsub', argv[1]);
    }
  }

  private activeChannels(kind: Kind, pattern: Buffer | undefined): Reply {
    const names: Reply[] = [];
    for (const name of this.subscribers[kind].keys()) {
      const bytes = Buffer.from(name, 'latin1');
      if (pattern === undefined || globMatch(pattern, bytes)) names.push(bulk(bytes));
    }
    return { kind: 'array', value: names };
  }
}

/** Redis counts plain channels and patterns together; shard channels on their own. */
function countFor(subscriptions: Subscriptions, kind: Kind): number {
  return kind === 'shard' ? subscriptions.shard.size : subscriptions.channel.size + subscriptions.pattern.size;
}

function confirmation(what: Buffer, name: Buffer | null, count: number): Reply {
  return { kind: 'push', value: [bulk(what), bulk(name), integer(count)] };
}

/** One confirmation per channel: the first is the command's reply, the rest follow it as pushes, in order. */
function answerAll(conn: ClientConnection, replies: readonly Reply[], done: (reply: Reply) => void): void {
  const [first, ...rest] = replies;
  if (first === undefined) throw new Error('pubsub: a (un)subscribe with no confirmation');
  done(first);
  for (const reply of rest) conn.push(reply);
}

const PUBSUB_HELP = [
  'PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CHANNELS [<pattern>]',
  "    Return the currently active channels matching a <pattern> (default: '*').",
  'NUMPAT',
  '    Return number of subscriptions to patterns.',
  'NUMSUB [<channel> ...]',
  '    Return the number of subscribers for the specified channels, excluding',
  '    pattern subscriptions(default: no channels).',
  'SHARDCHANNELS [<pattern>]',
  '    Return the currently active shard level channels matching a <pattern> (default: \'*\').',
  'SHARDNUMSUB [<shardchannel> ...]',
  '    Return the number of subscribers for the specified shard level channel(s)',
  'HELP',
  '    Print this help.',
];
