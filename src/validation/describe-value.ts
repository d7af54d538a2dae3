/**
 * A short, never-throwing description of an untrusted unpickled value for error messages.
 * (`String(x)` and template literals throw on prototype-less objects, which a hostile pickle
 * can produce through `argparse.Namespace`.)
 *
 * @internal
 */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `a ${value.length}-element ${Object.isFrozen(value) ? 'tuple' : 'list'}`;
  if (value instanceof Map) return 'a dict';
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * A dict key as a path segment: strings and numbers as they are, anything else described.
 *
 * @internal
 */
export function keyString(key: unknown): string {
  if (typeof key === 'string') return key;
  return typeof key === 'object' && key !== null ? `<${describeValue(key)}>` : describeValue(key);
}
