import { Sha256 } from '../io/sha256.js';

const utf8 = new TextEncoder();

/** @internal SHA-256 (hex) of a string's UTF-8 bytes: the digest behind every key dvme writes. */
export function textSha256(text: string): string {
  return new Sha256().update(utf8.encode(text)).hex();
}
