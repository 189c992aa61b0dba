#!/usr/bin/env node
/*
 * The laytest program. It sits above the layers (gds -> layout -> diff/render -> harness/cli -> ipc): the
 * command line (cli/) takes the viewer's commands (ipc/) from here, so no lower folder imports a higher one.
 */
import { runCli } from './cli/run.js'
import { viewerCommands } from './ipc/commands.js'

process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }, viewerCommands)
