#!/usr/bin/env node
// `smmuscope run FILE|URL [--jsonl] [--until N]`: the TypeScript CLI run through tsx.
import { register } from 'tsx/esm/api'

register()
await import('../engine/cli.ts')
