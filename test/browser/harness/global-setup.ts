import type { TestProject } from 'vitest/node';
import { buildPackage, removeAll } from './package.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Folder holding the built dvme package (package.json and dist/). */
    dvmePackage: string;
  }
}

/** Builds dvme once for every browser test file. */
export default async function setup(project: TestProject): Promise<() => void> {
  const dir = await buildPackage();
  project.provide('dvmePackage', dir);
  return () => removeAll(dir);
}
