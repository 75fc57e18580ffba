// The cross-binding agreement table (bindings/common/tests/agreement.json):
// Node refuses each bad input with the kind and the words Python uses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import * as oncely from '../index.mjs';

const cases = JSON.parse(readFileSync(new URL('../../common/tests/agreement.json', import.meta.url), 'utf8'));

/** The shared kind of a thrown error: invalid inputs are TypeErrors, the rest oncely errors. */
function kindOf(error) {
  if (error instanceof TypeError && error.code === 'ERR_ONCELY_INVALID_ARGUMENT') return 'invalid_input';
  if (error instanceof oncely.OncelyError) return error.kind;
  return `unexpected ${error?.name}: ${error?.message}`;
}

for (const c of cases) {
  test(`agreement: ${c.case}`, () => {
    let thrown;
    try {
      new oncely.Client({ baseUrl: 'http://127.0.0.1:1', ...c.node });
    } catch (error) {
      thrown = error;
    }
    assert.ok(thrown, 'the input was accepted');
    assert.equal(kindOf(thrown), c.kind);
    assert.equal(thrown.message, c.message.node);
  });
}
