import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommandRegistry, serverCommand } from '../../src/server/command-registry.js';
import { commandTable } from '../../src/kv/commands.js';

test('lookupBytes finds a command by its name in any case, and a reused buffer by its bytes now', () => {
  const registry = new CommandRegistry(commandTable, [serverCommand('ping', -1, ['fast'], ({ done }) => done({ kind: 'simple', value: 'PONG' }))]);
  assert.equal(registry.lookupBytes(Buffer.from('GET'))?.row.name, 'get');
  assert.equal(registry.lookupBytes(Buffer.from('GET'))?.row.name, 'get'); // the remembered one
  assert.equal(registry.lookupBytes(Buffer.from('gEt'))?.row.name, 'get');
  assert.equal(registry.lookupBytes(Buffer.from('ping'))?.row.name, 'ping');
  // A read buffer reused for the next request: the name is judged by its bytes now.
  const reused = Buffer.from('set');
  assert.equal(registry.lookupBytes(reused)?.row.name, 'set');
  reused.write('get');
  assert.equal(registry.lookupBytes(reused)?.row.name, 'get');
  reused.write('xyz');
  assert.equal(registry.lookupBytes(reused), undefined);
  assert.equal(registry.lookupBytes(Buffer.from('ge')), undefined);
  assert.equal(registry.lookupBytes(Buffer.from('gett')), undefined);
});
