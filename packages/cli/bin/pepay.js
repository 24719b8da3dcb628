#!/usr/bin/env node
// Runs the TypeScript entry point on Node ≥ 24 (type stripping).
import('../src/main.ts')
