// Unknown keys are named in errors ("colection: unknown key"), but a file that is no config at all
// (a shadow file, a private key, a token pasted at the top level) makes whole lines of it keys:
// only what looks like a key name is ever echoed.
const KEY_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

export function isKeyName(key: string): boolean {
  return KEY_NAME.test(key);
}

/** The one error for `count` keys of a mapping that are no key names. */
export function notKeyNames(count: number): string {
  return `${count === 1 ? 'a key that is' : `${count} keys that are`} not a key name (not shown: is this the right file?)`;
}
