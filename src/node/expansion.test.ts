import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandVars, lookupIn } from './expansion.js';

const vars = lookupIn(new Map([['VAR_A', 'A'], ['VAR_B', 'B'], ['EMPTY', '']]), { VAR_C: 'C', VAR_A: 'shadowed' });

const table: Array<[string, string, string]> = [
  ['plain text stays', 'no refs here', 'no refs here'],
  ['one reference', '$(VAR_A)', 'A'],
  ['references inside text', 'x-$(VAR_A)-$(VAR_B)-y', 'x-A-B-y'],
  ['first source wins', '$(VAR_A)$(VAR_C)', 'AC'],
  ['empty value expands to nothing', '[$(EMPTY)]', '[]'],
  ['unknown reference is kept', '$(NOPE) $(VAR_A)', '$(NOPE) A'],
  ['$$ escapes the operator', '$$(VAR_A)', '$(VAR_A)'],
  ['double escape then reference', '$$$(VAR_A)', '$A'],
  ['four dollars give two', '$$$$', '$$'],
  ['lone dollar at the end', 'cost: 5$', 'cost: 5$'],
  ['dollar before another char', '$HOME and $1', '$HOME and $1'],
  ['unclosed reference is kept', '$(VAR_A', '$(VAR_A'],
  ['unclosed then closed', '$(VAR_A $(VAR_B)', '$(VAR_A $(VAR_B)'],
  ['empty name is unknown', '$()', '$()'],
  ['nested parens end at the first closer', '$(VAR_A)(x)', 'A(x)'],
  ['reference at the start and the end', '$(VAR_B)mid$(VAR_C)', 'BmidC'],
];

for (const [name, input, want] of table) {
  test(`expandVars: ${name}`, () => {
    assert.equal(expandVars(input, vars), want);
  });
}
