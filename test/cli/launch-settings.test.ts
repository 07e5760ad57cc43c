// The settings a raftis process must start with (src/cli/launch-settings.ts) are the ones the
// `raftis` command's first line carries, and the benchmark reads them back from it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { launchEnvironment, launchSettingsOf, launchShebang, withLaunchEnvironment } from '../../src/cli/launch-settings.js';

test('the raftis command\'s first line is the launch settings\' shebang', () => {
  const firstLine = readFileSync(new URL('../../src/cli/main.ts', import.meta.url), 'utf8').split('\n', 1)[0];
  assert.equal(firstLine, launchShebang());
  assert.deepEqual(launchSettingsOf(launchShebang()), { env: { ...launchEnvironment }, nodeArgs: [] });
});

test('a first line is read into its environment and node flags; an older build\'s plain one into none', () => {
  assert.deepEqual(launchSettingsOf('#!/usr/bin/env -S A_=1 B=x=y node --max-semi-space-size=2 --foo'), { env: { A_: '1', B: 'x=y' }, nodeArgs: ['--max-semi-space-size=2', '--foo'] });
  assert.deepEqual(launchSettingsOf('#!/usr/bin/env node'), { env: {}, nodeArgs: [] });
  assert.deepEqual(launchSettingsOf('// no shebang'), { env: {}, nodeArgs: [] });
});

test('cluster up\'s nodes get the settings, and a variable the user set keeps the user\'s value', () => {
  const name = Object.keys(launchEnvironment)[0] as string;
  assert.equal(withLaunchEnvironment({})[name], launchEnvironment[name]);
  assert.equal(withLaunchEnvironment({ [name]: '4096', OTHER: 'kept' })[name], '4096');
  assert.equal(withLaunchEnvironment({ OTHER: 'kept' }).OTHER, 'kept');
});
