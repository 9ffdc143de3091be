// The per-character figures behind the request body limits (src/http/body-limits.ts), against the Unicode data this Node runs.
import { BYTES_PER_CHARACTER, BYTES_PER_UNIT } from '../../src/http/body-limits';
import { worstCharacter, escapedLength } from '../helpers/json-escape';

test('no character the service counts as one takes more than BYTES_PER_CHARACTER bytes in any JSON encoding', () => {
  const { char, bytes } = worstCharacter();
  // Fails when a Unicode update adds a longer canonical decomposition: raise the figure, and so the limits.
  expect(bytes).toBeLessThanOrEqual(BYTES_PER_CHARACTER);
  // ...and the figure is no larger than it must be.
  expect(bytes).toBe(BYTES_PER_CHARACTER);
  expect(char.normalize('NFC')).toBe(char);
});

test('one UTF-16 code unit takes at most BYTES_PER_UNIT bytes (a \\uXXXX escape)', () => {
  expect(escapedLength('\uffff')).toBe(BYTES_PER_UNIT);
  expect(escapedLength('😀')).toBe(2 * BYTES_PER_UNIT);
  expect(JSON.parse(`"${'\\ud83d\\ude00'}"`)).toBe('😀');
});
