#!/usr/bin/env node
// The headless runner's entry point; the work is in cli/main.ts (testable without a process).
import { main } from './cli/main'

process.exitCode = main(process.argv.slice(2), (s) => process.stdout.write(s + '\n'), (s) => process.stderr.write(s + '\n'))
