// Loader hook for Node 20: the conformance suite imports fs.globSync, which Node adds in v22.
import { register } from 'node:module';

const [major] = process.versions.node.split('.').map(Number);
if (major < 22) register('./hooks.mjs', import.meta.url);
