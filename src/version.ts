/** @internal The dvme release recorded in provenance and caches (kept equal to package.json by a test). */
export const DVME_VERSION = '0.1.0';
