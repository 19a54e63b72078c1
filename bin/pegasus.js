#!/usr/bin/env node
// The `pegasus` executable. The sources are TypeScript run through tsx's loader, so a checkout works with
// no build step (`npx pegasus ...`).
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
